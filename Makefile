# Sondeo - offline-first field surveys.
#   make            build bin/sondeo and bin/sondeod
#   make test       build with -Werror and sanitizers, run every test, end with "N passed, N failed"
#   make demo       the offline story on the built-in form, in a temporary store
#   make bench      benchmarks, with this machine's own baseline beside them
#   make fuzz       the fuzz targets (change sets, XLSForm workbooks, answers) under clang's libFuzzer, FUZZ_SECONDS each
#   make install    PREFIX=/usr/local DESTDIR= : binaries and man pages

PREFIX ?= /usr/local
DESTDIR ?=
MODE ?= release
DEMO_EXIT ?= 0
# BUILD_DIR lets several builds (one per person or tool working in the tree) live side by side.
BUILD_DIR ?= build/$(MODE)
B := $(BUILD_DIR)

PKGS := sqlite3 libsodium jansson zlib libzip expat
WARN := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow -Wformat=2
BASE_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -g $(WARN) -Icommon -Iproto -Iclient -I$(B)/gen

ifeq ($(MODE),test)
  OPT := -O1 -Werror -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  # The runtimes linked in, not as libasan.so and libubsan.so: each shared runtime carries its own copy of the
  # sanitizers' tables, which LeakSanitizer scans at every exit. Static, they are one copy, and each of the
  # suite's thousands of processes ends about a third faster.
  LDOPT := -fsanitize=address,undefined -static-libasan -static-libubsan
else
  OPT := -O2
  LDOPT :=
endif

CFLAGS_ALL = $(BASE_CFLAGS) $(OPT) $(shell pkg-config --cflags $(PKGS) libmicrohttpd libcurl 2>/dev/null) $(CFLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) libcurl 2>/dev/null) $(XLSX_LIBS) -lutil -lm $(LDLIBS)
# sondeod needs no terminal (-lutil) but serves HTTP with worker threads, and talks to headquarters (libcurl).
# libxlsxwriter writes the XLSX exports of both tiers (common/export.c).
XLSX_LIBS = $(shell pkg-config --libs xlsxwriter 2>/dev/null || echo -lxlsxwriter -lz)
SERVER_LDLIBS = $(shell pkg-config --libs $(PKGS) libmicrohttpd libcurl 2>/dev/null) $(XLSX_LIBS) -lpthread -lm $(LDLIBS)

COMMON_SRC := $(wildcard common/*.c) $(wildcard proto/*.c)
CLIENT_SRC := $(wildcard client/*.c)
SERVER_SRC := $(wildcard server/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FORMS := forms/partnership.json

COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(B)/%.o) $(B)/gen/builtin_forms.o
SERVER_OBJ := $(SERVER_SRC:%.c=$(B)/%.o) $(B)/gen/builtin_forms.o $(B)/gen/web_assets.o
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TOOL_BIN := $(B)/tests/ptyrun

.PHONY: all deps test demo bench install clean check-build soak fuzz FORCE
.SUFFIXES:

all: deps
	@$(MAKE) --no-print-directory MODE=release bin/sondeo bin/sondeod bin/partnership.xlsx

deps:
	@sh scripts/deps.sh

bin/sondeo: $(B)/sondeo
	@mkdir -p bin
	cp $< $@

# The built-in form as an XLSForm workbook, written by sondeo itself, for designers to start from.
bin/partnership.xlsx: $(B)/sondeo
	@mkdir -p bin
	@home=$$(mktemp -d) && SONDEO_HOME=$$home/s $(B)/sondeo init >/dev/null && \
		SONDEO_HOME=$$home/s $(B)/sondeo form export partnership -o $@ >/dev/null; r=$$?; rm -rf $$home; exit $$r

$(B)/sondeo: $(CLIENT_OBJ) $(COMMON_OBJ)
	$(CC) $(LDOPT) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

bin/sondeod: $(B)/sondeod
	@mkdir -p bin
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

# The review page (web/), embedded into sondeod only: web/index.html and the files it names (src= and href=),
# so that index.html is the one list of them; server/api-static.c serves each under its own path.
WEB_ASSETS := web/index.html $(addprefix web/,$(shell grep -o '\(src\|href\)="[A-Za-z0-9_.-]*"' web/index.html | sed 's/.*="\(.*\)"/\1/'))

$(B)/gen/web_assets.c: $(WEB_ASSETS) scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh $@ --table web_files $(foreach f,$(WEB_ASSETS),web_$(subst .,_,$(notdir $(f)))=$(f))

$(B)/gen/web_assets.o: $(B)/gen/web_assets.c $(B)/flags
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(COMMON_OBJ) $(B)/gen/builtin_forms.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit -o $@ $^ $(LDOPT) $(LDFLAGS) $(LDLIBS_ALL)

# The server store's tests link the store itself (server/sstore*.c); its headers live in server/.
SSTORE_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard server/sstore*.c))
$(B)/tests/test_sstore $(B)/tests/test_ingest $(B)/tests/test_users $(B)/tests/test_review $(B)/tests/test_relay $(B)/tests/test_tiers: $(SSTORE_OBJ)
$(B)/tests/test_sstore $(B)/tests/test_ingest $(B)/tests/test_users $(B)/tests/test_review $(B)/tests/test_relay $(B)/tests/test_tiers: CFLAGS_ALL += -Iserver

# The device store's tests link the store itself (client/store*.c).
$(B)/tests/test_store: $(patsubst %.c,$(B)/%.o,$(wildcard client/store*.c))

$(B)/tests/ptyrun: tests/ptyrun.c $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDOPT) $(LDFLAGS) -lutil

# The fuzz target replayed over its corpus by a plain main(), so that it builds and runs without libFuzzer
# (tests/cli/fuzz-replay.sh).
$(B)/tests/fuzz_changeset_replay: tests/fuzz/fuzz_changeset.c tests/fuzz/replay.c $(COMMON_OBJ) \
		$(B)/gen/builtin_forms.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDOPT) $(LDFLAGS) $(LDLIBS_ALL)

# The same for the workbook reader and XLSForm conversion.
$(B)/tests/fuzz_xlsform_replay: tests/fuzz/fuzz_xlsform.c tests/fuzz/replay.c $(COMMON_OBJ) \
		$(B)/gen/builtin_forms.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDOPT) $(LDFLAGS) $(LDLIBS_ALL)

# The same for reading answers.
$(B)/tests/fuzz_answer_replay: tests/fuzz/fuzz_answer.c tests/fuzz/replay.c $(COMMON_OBJ) \
		$(B)/gen/builtin_forms.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDOPT) $(LDFLAGS) $(LDLIBS_ALL)

# A device's upload, exactly or with one thing wrong, for the end-to-end tests of POST /v1/changesets.
$(B)/tests/cspush: tests/cspush.c $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDOPT) $(LDFLAGS) $(LDLIBS_ALL)

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

# A client that trickles header bytes, for the test of the connection timeout.
$(B)/tests/slowloris: tests/slowloris.c $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDOPT) $(LDFLAGS)

# Connections that send a change set's headers and hold its body, for the test of unauthenticated memory.
$(B)/tests/bodyhold: tests/bodyhold.c $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDOPT) $(LDFLAGS) $(LDLIBS_ALL)

check-build: $(B)/sondeo $(B)/sondeod $(UNIT_BIN) $(TOOL_BIN) $(B)/tests/fuzz_changeset_replay \
	$(B)/tests/fuzz_xlsform_replay $(B)/tests/fuzz_answer_replay $(B)/tests/cspush \
	$(B)/tests/vouch $(B)/tests/xlsxdump \
	$(B)/tests/cutproxy $(B)/tests/slowloris $(B)/tests/bodyhold

test: deps
	@$(MAKE) --no-print-directory MODE=test check-build
	@sh tests/run.sh build/test

# The convergence properties over many more seeds than make test runs: the merge rule alone (SEEDS), and the
# three tiers with the server store, a seed of which costs a few hundred times more (TIER_SEEDS).
soak: deps
	@$(MAKE) --no-print-directory MODE=test build/test/tests/test_merge build/test/tests/test_tiers
	SONDEO_SOAK_SEEDS=$${SEEDS:-20000} build/test/tests/test_merge
	SONDEO_SOAK_SEEDS=$${TIER_SEEDS:-5000} build/test/tests/test_tiers

# Fuzzing with clang's libFuzzer, ASan and UBSan. The seeds are copied into build/fuzz/corpus/changeset, which
# keeps what the fuzzer finds between runs; crashes are written to build/fuzz/ (copy the small ones into the
# seed corpus once fixed, and tests/cli/fuzz-replay.sh replays them for ever).
FUZZ_SECONDS ?= 60
FUZZ_CC ?= /usr/bin/clang
FUZZ_FLAGS := -std=c11 -D_DEFAULT_SOURCE -g -O1 $(WARN) -Icommon -Iproto \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

build/fuzz/fuzz_changeset: tests/fuzz/fuzz_changeset.c $(COMMON_SRC) $(wildcard common/*.h proto/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -o $@ tests/fuzz/fuzz_changeset.c \
		$(COMMON_SRC) $(LDLIBS_ALL)

build/fuzz/fuzz_xlsform: tests/fuzz/fuzz_xlsform.c $(COMMON_SRC) $(wildcard common/*.h proto/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -o $@ tests/fuzz/fuzz_xlsform.c \
		$(COMMON_SRC) $(LDLIBS_ALL)

build/fuzz/fuzz_answer: tests/fuzz/fuzz_answer.c $(COMMON_SRC) $(wildcard common/*.h proto/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -o $@ tests/fuzz/fuzz_answer.c \
		$(COMMON_SRC) $(LDLIBS_ALL)

fuzz: build/fuzz/fuzz_changeset build/fuzz/fuzz_xlsform build/fuzz/fuzz_answer
	@mkdir -p build/fuzz/corpus/changeset build/fuzz/corpus/xlsform build/fuzz/corpus/answer
	cp tests/fuzz/corpus/changeset/* build/fuzz/corpus/changeset/
	cp tests/fuzz/corpus/xlsform/* build/fuzz/corpus/xlsform/
	cp tests/fuzz/corpus/answer/* build/fuzz/corpus/answer/
	build/fuzz/fuzz_changeset -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-dict=tests/fuzz/changeset.dict -artifact_prefix=build/fuzz/ build/fuzz/corpus/changeset
	build/fuzz/fuzz_xlsform -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-dict=tests/fuzz/xlsform.dict -artifact_prefix=build/fuzz/xlsform- build/fuzz/corpus/xlsform
	build/fuzz/fuzz_answer -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=build/fuzz/answer- build/fuzz/corpus/answer

# The whole story on loopback; DEMO_EXIT=1 ends it instead of leaving the server running.
demo: all
	@DEMO_EXIT=$(DEMO_EXIT) sh scripts/demo.sh bin/sondeo bin/sondeod

bench: all
	@sh bench/run.sh bin/sondeo
	@sh bench/review.sh bin/sondeo bin/sondeod
	@sh bench/relay.sh bin/sondeo bin/sondeod

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 bin/sondeo $(DESTDIR)$(PREFIX)/bin/sondeo
	install -m 0755 bin/sondeod $(DESTDIR)$(PREFIX)/bin/sondeod
	install -m 0644 docs/sondeo.1 $(DESTDIR)$(PREFIX)/share/man/man1/sondeo.1
	install -m 0644 docs/sondeod.8 $(DESTDIR)$(PREFIX)/share/man/man8/sondeod.8
	install -d $(DESTDIR)$(PREFIX)/share/sondeo
	install -m 0644 bin/partnership.xlsx $(DESTDIR)$(PREFIX)/share/sondeo/partnership.xlsx

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
