# Sondeo - offline-first field surveys.
#   make            build bin/sondeo and bin/sondeod
#   make test       build with -Werror and sanitizers, run every test, end with "N passed, N failed"
#   make demo       the offline story on the built-in form, in a temporary store
#   make bench      benchmarks, with this machine's own baseline beside them
#   make bench-peers  sync beside PouchDB 9 and pouchdb-server 4.2 (npm, into build/peers), then over a slow link
#   make fuzz       every fuzz target (tests/fuzz/) under clang's libFuzzer, FUZZ_SECONDS each (FUZZ_TARGETS=NAME...)
#   make install    PREFIX=/usr/local DESTDIR= : binaries and man pages
#   make po         merge the code's messages into the catalogs po/LANG.po, for translators (docs/translating.md)

PREFIX ?= /usr/local
DESTDIR ?=
MODE ?= release
DEMO_EXIT ?= 0
# BUILD_DIR lets several builds (one per person or tool working in the tree) live side by side.
BUILD_DIR ?= build/$(MODE)
B := $(BUILD_DIR)
# Where make puts the programs it installs (the tests of make install use one of their own, beside their build).
BIN ?= bin

# libzip and libxlsxwriter are not linked: common/xlsxlib.c loads them when a workbook is first read or
# written (it says why); nor are libjpeg and libpng, which common/image.c loads when it first scales an image.
# Their headers are still needed, for the functions' types.
PKGS := sqlite3 libsodium jansson zlib expat
LIB_CFLAGS := $(shell pkg-config --cflags libzip 2>/dev/null) $(shell pkg-config --cflags xlsxwriter 2>/dev/null) \
	      $(shell pkg-config --cflags libpng 2>/dev/null)
WARN := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow -Wformat=2
BASE_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -g $(WARN) -Icommon -Iproto -Iclient -I$(B)/gen

ifeq ($(MODE),test)
  # SONDEO_CHEAP_PASSWORDS: Argon2id at libsodium's minimum cost (server/sstore-int.h says why).
  # -g1: line tables only, all a sanitizer's report needs to name file and line; the full debug information
  # (variables, for gdb) takes a fifth of the build's time (CFLAGS=-g puts it back).
  OPT := -O1 -g1 -Werror -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
	 -DSONDEO_CHEAP_PASSWORDS
  # The runtimes linked in, not as libasan.so and libubsan.so: each shared runtime carries its own copy of the
  # sanitizers' tables, which LeakSanitizer scans at every exit. Static, they are one copy, and each of the
  # suite's thousands of processes ends about a third faster.
  # gold, binutils' faster linker, where it is installed: the test build links some thirty programs, each with
  # every common object and the sanitizers' runtimes, and gold takes a sixth off that build's time.
  # -no-pie: a position-independent test program carries some 35,000 relocations for the sanitizers' tables of
  # its globals, which the loader applies (touching each page) at every start; fixed addresses need none.
  LDOPT := -fsanitize=address,undefined -static-libasan -static-libubsan -no-pie \
	   $(shell ld.gold --version >/dev/null 2>&1 && echo -fuse-ld=gold)
else ifeq ($(MODE),fuzz)
  # make fuzz: clang's libFuzzer with the same sanitizers; objects are instrumented, the targets get its main.
  CC := $(or $(FUZZ_CC),/usr/bin/clang)
  OPT := -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
  LDOPT := -fsanitize=fuzzer,address,undefined
else
  OPT := -O2
  LDOPT :=
endif

CFLAGS_ALL = $(BASE_CFLAGS) $(OPT) $(shell pkg-config --cflags $(PKGS) libmicrohttpd libcurl libpq 2>/dev/null) $(LIB_CFLAGS) \
	     $(CFLAGS)
# libcurl is not linked: common/net.c loads it when a command first needs the network (it says why). The test
# tools that speak HTTP on their own (cspush, signedget) link it. Nor is libmicrohttpd, in either program: the HTTP
# layer (common/http.c) loads it when a server starts (common/mhdlib.h says why).
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lutil -lpthread -lm $(LDLIBS)
CURL_LDLIBS = $(shell pkg-config --libs libcurl 2>/dev/null)
# sondeod needs no terminal (-lutil) but serves HTTP with worker threads.
SERVER_LDLIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm $(LDLIBS)

COMMON_SRC := $(wildcard common/*.c) $(wildcard proto/*.c)
CLIENT_SRC := $(wildcard client/*.c)
SERVER_SRC := $(wildcard server/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FORMS := forms/partnership.json

COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o) $(B)/gen/catalogs.o
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(B)/%.o) $(B)/gen/builtin_forms.o $(B)/gen/field_assets.o
SERVER_OBJ := $(SERVER_SRC:%.c=$(B)/%.o) $(B)/gen/builtin_forms.o $(B)/gen/web_assets.o
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TOOL_BIN := $(B)/tests/ptyrun

.PHONY: all deps test demo bench bench-peers install clean check-build soak fuzz po screenshots FORCE
.SUFFIXES:

all: deps
	@$(MAKE) --no-print-directory MODE=release $(BIN)/sondeo $(BIN)/sondeod $(BIN)/partnership.xlsx

deps:
	@sh scripts/deps.sh

$(BIN)/sondeo: $(B)/sondeo
	@mkdir -p $(BIN)
	cp $< $@

# The built-in form as an XLSForm workbook, written by sondeo itself, for designers to start from.
$(BIN)/partnership.xlsx: $(B)/sondeo
	@mkdir -p $(BIN)
	@home=$$(mktemp -d) && SONDEO_HOME=$$home/s $(B)/sondeo init >/dev/null && \
		SONDEO_HOME=$$home/s $(B)/sondeo form export partnership -o $@ >/dev/null; r=$$?; rm -rf $$home; exit $$r

$(B)/sondeo: $(CLIENT_OBJ) $(COMMON_OBJ)
	$(CC) $(LDOPT) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BIN)/sondeod: $(B)/sondeod
	@mkdir -p $(BIN)
	cp $< $@

$(B)/sondeod: $(SERVER_OBJ) $(COMMON_OBJ)
	$(CC) $(LDOPT) $(LDFLAGS) -o $@ $^ $(SERVER_LDLIBS)

# The flags a build directory was made with: when they change (CFLAGS, LDFLAGS, the sanitizers' options), every
# object is made again rather than linked with objects made the old way.
BUILD_FLAGS = $(CC) $(BASE_CFLAGS) $(OPT) $(CFLAGS) $(LDOPT) $(LDFLAGS)
$(B)/flags: FORCE
	@mkdir -p $(dir $@)
	@echo '$(BUILD_FLAGS)' | cmp -s - $@ || echo '$(BUILD_FLAGS)' >$@

$(B)/%.o: %.c $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(B)/gen/builtin_forms.c: $(FORMS) scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh $@ form_partnership_json=forms/partnership.json

$(B)/gen/builtin_forms.o: $(B)/gen/builtin_forms.c $(B)/flags
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

# The message catalogs (common/i18n.h): each po/LANG.po compiled by msgfmt and built into the programs. The test
# build also carries the pseudo-language qps, made from the messages themselves (scripts/pseudo.awk), which the
# tests read to find any text that reaches the screen without going through a catalog.
MO := $(patsubst po/%.po,$(B)/gen/%.mo,$(wildcard po/*.po))
ifeq ($(MODE),test)
  MO += $(B)/gen/qps.mo
endif

$(B)/gen/%.mo: po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

$(B)/gen/qps.mo: $(COMMON_SRC) $(CLIENT_SRC) $(SERVER_SRC) $(wildcard web/*.js web/field/*.js) scripts/po.sh scripts/pseudo.awk
	@mkdir -p $(dir $@)
	sh scripts/po.sh pot $(B)/gen/sondeo.pot
	sh scripts/po.sh pseudo $(B)/gen/sondeo.pot $(B)/gen/qps.po
	msgfmt --check -o $@ $(B)/gen/qps.po

$(B)/gen/catalogs.c: $(MO) scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh $@ --table i18n_catalogs $(foreach f,$(MO),mo_$(basename $(notdir $(f)))=$(f))

$(B)/gen/catalogs.o: $(B)/gen/catalogs.c $(B)/flags
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

# The review page (web/), embedded into sondeod only: web/index.html and the files it names (src= and href=),
# so that index.html is the one list of them; server/api-static.c serves each under its own path.
WEB_ASSETS := web/index.html $(addprefix web/,$(shell grep -o '\(src\|href\)="[A-Za-z0-9_.-]*"' web/index.html | sed 's/.*="\(.*\)"/\1/'))

$(B)/gen/web_assets.c: $(WEB_ASSETS) scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh $@ --table web_files $(foreach f,$(WEB_ASSETS),web_$(subst .,_,$(notdir $(f)))=$(f))

$(B)/gen/web_assets.o: $(B)/gen/web_assets.c $(B)/flags
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

# sondeo web's page (web/field/), embedded into sondeo only: web/field/index.html and the files it names, each from
# web/field/ or, when the review page has it already (i18n.js, favicon.svg), from web/. client/web-page.c serves them.
FIELD_NAMES := $(shell grep -o '\(src\|href\)="[A-Za-z0-9_.-]*"' web/field/index.html | sed 's/.*="\(.*\)"/\1/')
FIELD_ASSETS := web/field/index.html $(foreach n,$(FIELD_NAMES),$(if $(wildcard web/field/$(n)),web/field/$(n),web/$(n)))

$(B)/gen/field_assets.c: $(FIELD_ASSETS) scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh $@ --table field_files $(foreach f,$(FIELD_ASSETS),field_$(subst .,_,$(notdir $(f)))=$(f))

$(B)/gen/field_assets.o: $(B)/gen/field_assets.c $(B)/flags
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(COMMON_OBJ) $(B)/gen/builtin_forms.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit -o $@ $^ $(LDOPT) $(LDFLAGS) $(LDLIBS_ALL)

# The server store's tests link the store itself (server/sstore*.c); its headers live in server/.
SSTORE_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard server/sstore*.c))
SSTORE_TESTS := $(B)/tests/test_sstore $(B)/tests/test_ingest $(B)/tests/test_users $(B)/tests/test_review \
	$(B)/tests/test_relay $(B)/tests/test_tiers
$(SSTORE_TESTS): $(SSTORE_OBJ)
$(SSTORE_TESTS) $(B)/tests/test_search: CFLAGS_ALL += -Iserver
# The search's translation is a function of its own: its test needs no store.
$(B)/tests/test_search: $(B)/server/sstore-search.o

# The device store's tests link the store itself (client/store*.c).
$(B)/tests/test_store: $(patsubst %.c,$(B)/%.o,$(wildcard client/store*.c))

# The image tests make their sample JPEGs and PNGs, and read back what common/image.c wrote, with libjpeg and
# libpng linked; the module itself loads them (image.h), and sondeo and sondeod, which do not link them, show
# that it names none of their functions.
$(B)/tests/test_image: LDLIBS_ALL += -ljpeg $(shell pkg-config --libs libpng 2>/dev/null)

$(B)/tests/ptyrun: tests/ptyrun.c $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDOPT) $(LDFLAGS) -lutil

# The fuzz targets (tests/fuzz/fuzz_NAME.c), one per family of parsers, the first byte of an input choosing the
# parser within it: seven binaries rather than twenty, each linking only what its family needs (the laptop's code,
# or the server's) and each run for its time by make fuzz. Each is replayed over its seed corpus by a plain main()
# (tests/fuzz/replay.c) in make test, so that it builds and runs without libFuzzer (tests/cli/fuzz-replay.sh);
# under MODE=fuzz the same rule links libFuzzer's main instead (make fuzz).
FUZZ_TARGETS ?= changeset xlsform answer form client auth review
ifeq ($(MODE),fuzz)
  FUZZ_BIN = $(B)/tests/fuzz_$(1)
  FUZZ_MAIN :=
else
  FUZZ_BIN = $(B)/tests/fuzz_$(1)_replay
  FUZZ_MAIN := tests/fuzz/replay.c
endif
FUZZ_ALL := $(foreach t,$(FUZZ_TARGETS),$(call FUZZ_BIN,$(t)))
$(call FUZZ_BIN,%): tests/fuzz/fuzz_%.c tests/fuzz/fuzzkey.c $(FUZZ_MAIN) $(COMMON_OBJ) $(B)/gen/builtin_forms.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDOPT) $(LDFLAGS) $(LDLIBS_ALL)

# What the laptop parses from outside lives in client/; what sondeod parses, in server/: those targets link the
# program's own code (all but its main), so that they call exactly what the program calls.
$(call FUZZ_BIN,client): $(filter-out %/main.o,$(CLIENT_OBJ))
$(call FUZZ_BIN,auth) $(call FUZZ_BIN,review): $(filter-out %/main.o,$(SERVER_OBJ))
$(call FUZZ_BIN,auth) $(call FUZZ_BIN,review): CFLAGS_ALL += -Iserver
$(call FUZZ_BIN,auth) $(call FUZZ_BIN,review): LDLIBS_ALL = $(SERVER_LDLIBS)

# The pages' catalogs: each po/LANG.po cut down to the pages' messages (those found in web/ and web/field/, msggrep
# -N), compiled and built into sondeod and sondeo, which serve them to their pages (common/http-i18n.c). The test build adds the
# pseudo-language qps, whose .po the qps.mo rule writes. Linked into sondeod and into the fuzz targets that take
# the server's objects; here, after those targets are named.
PAGE_MO := $(patsubst po/%.po,$(B)/gen/page-%.mo,$(wildcard po/*.po))
ifeq ($(MODE),test)
  PAGE_MO += $(B)/gen/page-qps.mo
endif

$(B)/gen/page-%.mo: po/%.po
	@mkdir -p $(dir $@)
	msggrep --no-wrap --force-po -N 'web/*' -N 'web/field/*' -o $@.po $<
	msgfmt --check -o $@ $@.po

$(B)/gen/page-qps.mo: $(B)/gen/qps.mo
	msggrep --no-wrap --force-po -N 'web/*' -N 'web/field/*' -o $@.po $(B)/gen/qps.po
	msgfmt --check -o $@ $@.po

$(B)/gen/page_catalogs.c: $(PAGE_MO) scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh $@ --table page_catalogs $(foreach f,$(PAGE_MO),page_mo_$(subst page-,,$(basename $(notdir $(f))))=$(f))

$(B)/gen/page_catalogs.o: $(B)/gen/page_catalogs.c $(B)/flags
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/sondeod $(B)/sondeo $(call FUZZ_BIN,auth) $(call FUZZ_BIN,review) $(call FUZZ_BIN,client): $(B)/gen/page_catalogs.o

# A device's upload, exactly or with one thing wrong, for the end-to-end tests of POST /v1/changesets.
$(B)/tests/cspush: tests/cspush.c $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDOPT) $(LDFLAGS) $(LDLIBS_ALL) $(CURL_LDLIBS)

# A device's signed GET, as an older device sends it or with gzip asked for, shown as it came on the wire.
$(B)/tests/signedget: tests/signedget.c $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDOPT) $(LDFLAGS) $(LDLIBS_ALL) $(CURL_LDLIBS)

# A regional server's vouch for a device, exactly or altered, for the end-to-end tests of POST /v1/vouch.
$(B)/tests/vouch: tests/vouch.c $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDOPT) $(LDFLAGS) $(LDLIBS_ALL)

# What the workbook reader makes of an .xlsx, for the tests of XLSForm import.
$(B)/tests/xlsxdump: tests/xlsxdump.c $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDOPT) $(LDFLAGS) $(LDLIBS_ALL)

# A proxy that cuts connections after N bytes, for the tests of interrupted transfers.
$(B)/tests/cutproxy: tests/cutproxy.c $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDOPT) $(LDFLAGS)

# A load balancer in front of several sondeod on one database, for the tests of several servers (pg-multi.sh).
$(B)/tests/balancer: tests/balancer.c $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDOPT) $(LDFLAGS)

# A client that trickles header bytes, for the test of the connection timeout.
$(B)/tests/slowloris: tests/slowloris.c $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDOPT) $(LDFLAGS)

# Connections that send a change set's headers and hold its body, for the test of unauthenticated memory.
$(B)/tests/bodyhold: tests/bodyhold.c $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDOPT) $(LDFLAGS) $(LDLIBS_ALL)

check-build: $(B)/sondeo $(B)/sondeod $(UNIT_BIN) $(TOOL_BIN) $(FUZZ_ALL) $(B)/tests/cspush \
	$(B)/tests/vouch $(B)/tests/xlsxdump $(B)/tests/signedget \
	$(B)/tests/cutproxy $(B)/tests/balancer $(B)/tests/slowloris $(B)/tests/bodyhold

# The test build on every core, before any test runs. The programs `make install` copies are built by the first
# test of make install (install.sh; server-admin.sh, which checks that the installed sondeod hashes passwords at
# full cost, not the test build's minimum) under a lock the other waits on, into build/install-test: the
# release build's flags but with CFLAGS="-O0 -g0", which compiles in a third of the time (the rule and what it
# installs are what they test; `make` and `make demo` build at -O2).
NPROC := $(shell nproc 2>/dev/null || echo 2)
# What only the tests use, beyond scripts/deps.sh's list: GDAL's ogr2ogr and ogrinfo, which take the GeoJSON
# exports to a Shapefile and a GeoPackage (tests/cli/export-tiers.sh, export-media.sh); LibreOffice's Calc without
# a screen and Debian's pandas with openpyxl, which open the CSV and XLSX exports (tests/cli/export-office.sh);
# PostgreSQL for the stores on it (tests/cli/pg.inc); Chromium's headless shell, and Node.js with npm where the
# machine has none, for the pages (tests/cli/browser.inc); promtool (metrics.sh) and faketime (clocks.sh).
# Installed while the test build compiles (apt waits on the network and the disk, the compiler on the cores), in
# one apt-get: a test that installed its own would hold a job slot, and the one lock every install takes, while
# the others queued behind it. make test stops if either fails. The tests still install what they need when run
# alone (sh tests/run.sh).
TEST_PACKAGES := gdal-bin libreoffice-calc-nogui python3-pandas python3-openpyxl postgresql-15 \
		 chromium-headless-shell prometheus faketime $(if $(shell command -v node && command -v npm),,nodejs npm)
test: deps
	@sh scripts/deps.sh $(TEST_PACKAGES) & pid=$$!; \
		$(MAKE) --no-print-directory -j$(NPROC) MODE=test check-build; built=$$?; \
		wait $$pid && [ $$built = 0 ]
	@sh tests/run.sh build/test

# The browser tests (tests/cli/browser.sh, web-browser.sh) with a full-page screenshot of every page and screen
# they walk, into build/screenshots/; make test takes none, their PNGs costing more than the checks they show.
screenshots: deps
	@$(MAKE) --no-print-directory -j$(NPROC) MODE=test check-build
	@SONDEO_SCREENSHOTS=$(CURDIR)/build/screenshots sh tests/run.sh build/test browser.sh

# The convergence properties over many more seeds than make test runs: the merge rule alone (SEEDS), and the
# three tiers with the server store, a seed of which costs a few hundred times more (TIER_SEEDS).
soak: deps
	@$(MAKE) --no-print-directory MODE=test build/test/tests/test_merge build/test/tests/test_tiers
	SONDEO_SOAK_SEEDS=$${SEEDS:-20000} build/test/tests/test_merge
	SONDEO_SOAK_SEEDS=$${TIER_SEEDS:-5000} build/test/tests/test_tiers

# Fuzzing with clang's libFuzzer, ASan and UBSan, one target after the other (tests/fuzz/run.sh): the seeds are
# copied into build/fuzz/corpus/NAME, which keeps what the fuzzer finds between runs; crashes are written to
# build/fuzz/NAME-crash-*; each target's execs/s and the coverage it gained are printed at its end (copy a crash
# into the seed corpus once fixed, and tests/cli/fuzz-replay.sh replays it for ever).
FUZZ_SECONDS ?= 60
fuzz:
	@sh scripts/deps.sh clang-14 libclang-rt-14-dev
	@$(MAKE) --no-print-directory MODE=fuzz FUZZ_TARGETS="$(FUZZ_TARGETS)" \
		$(foreach t,$(FUZZ_TARGETS),build/fuzz/tests/fuzz_$(t))
	@sh tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The whole story on loopback; DEMO_EXIT=1 ends it instead of leaving the server running.
demo: all
	@DEMO_EXIT=$(DEMO_EXIT) sh scripts/demo.sh bin/sondeo bin/sondeod

bench: all
	@sh bench/run.sh bin/sondeo
	@sh bench/review.sh bin/sondeo bin/sondeod
	@sh bench/relay.sh bin/sondeo bin/sondeod
	@sh bench/sync.sh bin/sondeo bin/sondeod
	@sh bench/media.sh bin/sondeo bin/sondeod
	@sh bench/web.sh bin/sondeo bin/sondeod
	@sh bench/pg.sh bin/sondeo bin/sondeod

# Sondeo's sync beside PouchDB's on the same records, every byte through a counting proxy (bench/linkproxy.c);
# PouchDB and pouchdb-server are installed from the npm registry into build/peers on the first run.
bench-peers: all
	@sh bench/peers.sh bin/sondeo bin/sondeod

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BIN)/sondeo $(DESTDIR)$(PREFIX)/bin/sondeo
	install -m 0755 $(BIN)/sondeod $(DESTDIR)$(PREFIX)/bin/sondeod
	install -m 0644 docs/sondeo.1 $(DESTDIR)$(PREFIX)/share/man/man1/sondeo.1
	install -m 0644 docs/sondeod.8 $(DESTDIR)$(PREFIX)/share/man/man8/sondeod.8
	install -d $(DESTDIR)$(PREFIX)/share/sondeo
	install -m 0644 $(BIN)/partnership.xlsx $(DESTDIR)$(PREFIX)/share/sondeo/partnership.xlsx

po: deps
	@sh scripts/po.sh update

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
