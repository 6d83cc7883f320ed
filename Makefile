# Sondeo - offline-first field surveys.
#   make            build bin/sondeo
#   make test       build with -Werror and sanitizers, run every test, end with "N passed, N failed"
#   make demo       the offline story on the built-in form, in a temporary store
#   make bench      benchmarks, with this machine's own baseline beside them
#   make install    PREFIX=/usr/local DESTDIR= : binaries and man pages

PREFIX ?= /usr/local
DESTDIR ?=
MODE ?= release
B := build/$(MODE)

PKGS := sqlite3 libsodium jansson zlib
WARN := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow -Wformat=2
BASE_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -g $(WARN) -Icommon -Iproto -Iclient -I$(B)/gen

ifeq ($(MODE),test)
  OPT := -O1 -Werror -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDOPT := -fsanitize=address,undefined
else
  OPT := -O2
  LDOPT :=
endif

CFLAGS_ALL = $(BASE_CFLAGS) $(OPT) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lutil -lm $(LDLIBS)

COMMON_SRC := $(wildcard common/*.c) $(wildcard proto/*.c)
CLIENT_SRC := $(wildcard client/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FORMS := forms/partnership.json

COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(B)/%.o) $(B)/gen/builtin_forms.o
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TOOL_BIN := $(B)/tests/ptyrun

.PHONY: all deps test demo bench install clean check-build soak
.SUFFIXES:

all: deps
	@$(MAKE) --no-print-directory MODE=release bin/sondeo

deps:
	@sh scripts/deps.sh

bin/sondeo: $(B)/sondeo
	@mkdir -p bin
	cp $< $@

$(B)/sondeo: $(CLIENT_OBJ) $(COMMON_OBJ)
	$(CC) $(LDOPT) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(B)/gen/builtin_forms.c: $(FORMS) scripts/embed.sh
	@mkdir -p $(dir $@)
	sh scripts/embed.sh $@ form_partnership_json=forms/partnership.json

$(B)/gen/builtin_forms.o: $(B)/gen/builtin_forms.c
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(COMMON_OBJ) $(B)/gen/builtin_forms.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit -o $@ $^ $(LDOPT) $(LDFLAGS) $(LDLIBS_ALL)

$(B)/tests/ptyrun: tests/ptyrun.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDOPT) $(LDFLAGS) -lutil

check-build: $(B)/sondeo $(UNIT_BIN) $(TOOL_BIN)

test: deps
	@$(MAKE) --no-print-directory MODE=test check-build
	@sh tests/run.sh build/test

# The merge convergence property over many more seeds than make test runs.
soak: deps
	@$(MAKE) --no-print-directory MODE=test build/test/tests/test_merge
	SONDEO_SOAK_SEEDS=$${SEEDS:-20000} build/test/tests/test_merge

demo: all
	@sh scripts/demo.sh bin/sondeo

bench: all
	@sh bench/run.sh bin/sondeo

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 bin/sondeo $(DESTDIR)$(PREFIX)/bin/sondeo
	install -m 0644 docs/sondeo.1 $(DESTDIR)$(PREFIX)/share/man/man1/sondeo.1

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
