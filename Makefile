# closeloop — plain Makefile, every dependency through pkg-config.
#   make            build ./closeloop (one line per file; V=1 full command lines)
#   make check      install missing packages (test peers too), build, run every test
#   make demo       install missing build/runtime packages, build, run the main job
#   make bench      import and report benchmarks on synthetic corpora
#   make asan       the test suite under AddressSanitizer + UBSan
#   make valgrind   the Check suites under valgrind memcheck
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
SHAREDIR ?= $(PREFIX)/share/closeloop
VERSION := 0.1.0

CC      ?= cc
PKG_CONFIG ?= pkg-config
PKGS    = sqlite3 libcurl libical libesmtp-1.0 jansson md4c inih gmime-3.0 libxml-2.0
TESTPKGS = check
# the allocator of ./closeloop alone (tests and sanitizer builds keep libc's:
# valgrind and ASan watch that one): gperftools' tcmalloc takes a sixth off
# an import's CPU time, which is mostly small strings made and freed on
# two threads (issue 11, docs/architecture.md "Memory")
ALLOC_PKG = libtcmalloc_minimal

CFLAGS  ?= -O2 -g
WARN    = -std=c11 -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
          -Wmissing-prototypes -Wno-unused-parameter
ifeq ($(CI),true)
WARN   += -Werror
endif
# lazily evaluated: `make deps` can install pkg-config modules first
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lcrypto -lssl
ALLOC_LIBS = $(shell $(PKG_CONFIG) --libs $(ALLOC_PKG))
# ./closeloop's first libraries: the allocator, libc, libstdc++ and
# libcrypto, whose symbols the other 55 libraries look up most. The loader
# searches the libraries in that order for each of its ~17,600 symbol
# look-ups at start-up: 35.7 M -> 30.8 M instructions for `closeloop
# --version` (callgrind); every symbol binds where it did (LD_DEBUG=bindings
# LD_BIND_NOW=1, compared). None with ALLOC_LIBS empty (make asan).
comma := ,
LINK_FIRST = $(if $(strip $(ALLOC_LIBS)),-Wl$(comma)--push-state$(comma)--no-as-needed \
             $(ALLOC_LIBS) -lc -lstdc++ -lcrypto -Wl$(comma)--pop-state)
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TESTPKGS))
CHECK_LIBS   = $(shell $(PKG_CONFIG) --libs $(TESTPKGS))

# quiet: one line per file; V=1 prints the full command lines
ifeq ($(V),1)
Q :=
say := @true
else
Q := @
say := @printf '  %-6s %s\n'
endif

ALL_CFLAGS = $(WARN) -D_GNU_SOURCE -DCL_VERSION=\"$(VERSION)\" -Ilib -Ibuild \
             $(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)

LIB_SRC  = $(sort $(wildcard lib/*.c lib/tracker/*.c lib/source/*.c))
LIB_OBJ  = $(patsubst %.c,build/%.o,$(LIB_SRC)) build/migrations.o
CMD_SRC  = $(sort $(wildcard cmd/*.c))
CMD_OBJ  = $(patsubst %.c,build/%.o,$(CMD_SRC)) build/starter_config.o
SQL      = $(sort $(wildcard sql/*.sql))
TEST_SRC = $(sort $(wildcard tests/check_*.c))
TEST_BIN = $(patsubst tests/%.c,build/tests/%,$(TEST_SRC))
HDRS     = $(wildcard lib/*.h lib/tracker/*.h lib/source/*.h cmd/*.h)

.PHONY: all deps deps-build check check-run demo bench asan valgrind install uninstall clean fuzz

all: closeloop

closeloop: $(CMD_OBJ) build/libcloseloop.a
	$(say) LINK $@
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(LINK_FIRST) $(CMD_OBJ) build/libcloseloop.a $(PKG_LIBS) \
	    $(ALLOC_LIBS) $(EXTRA_LDFLAGS)

build/libcloseloop.a: $(LIB_OBJ)
	@rm -f $@
	$(say) AR $@
	$(Q)ar rcs $@ $^

build/%.o: %.c $(HDRS) | build/migrations.c
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/migrations.c: $(SQL) tools/embed-sql.sh
	@mkdir -p build
	$(say) GEN $@
	$(Q)sh tools/embed-sql.sh $(SQL) > $@.tmp && mv $@.tmp $@

build/migrations.o: build/migrations.c
	$(say) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# `closeloop init --config` writes the example config, compiled in
build/starter_config.c: contrib/closeloop.conf.example tools/embed-text.sh
	@mkdir -p build
	$(say) GEN $@
	$(Q)sh tools/embed-text.sh cl_starter_config contrib/closeloop.conf.example > $@.tmp && mv $@.tmp $@

build/starter_config.o: build/starter_config.c
	$(say) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-missing-variable-declarations -c -o $@ $<

build/tests/%: tests/%.c tests/testutil.h build/libcloseloop.a
	@mkdir -p build/tests
	$(say) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests -o $@ $< build/libcloseloop.a \
	    $(CHECK_LIBS) $(PKG_LIBS) $(EXTRA_LDFLAGS)

# Installs the Debian/Ubuntu packages when pkg-config cannot find one:
# deps-build what building and running needs (make demo), deps the test
# peers too (make check).
deps-build:
	@$(PKG_CONFIG) --exists $(PKGS) $(ALLOC_PKG) 2>/dev/null && command -v $(CC) >/dev/null || \
	  sh contrib/install-deps.sh

deps:
	@$(PKG_CONFIG) --exists $(PKGS) $(ALLOC_PKG) $(TESTPKGS) 2>/dev/null && \
	  command -v clang >/dev/null && command -v valgrind >/dev/null && command -v zsh >/dev/null && \
	  command -v fish >/dev/null && command -v systemd-analyze >/dev/null && \
	  [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import aiosmtpd, icalendar' 2>/dev/null && \
	  [ -x /usr/share/redmine/bin/rails ] && [ -x "$${HOME:-/tmp}/.cache/closeloop/prism/node_modules/.bin/prism" ] || \
	  sh contrib/install-deps.sh --test

check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory check-run

check-run: closeloop $(TEST_BIN)
	sh tests/run.sh

# the demo's build says one line (V=1: every compiler command line)
demo:
	@$(MAKE) --no-print-directory deps-build
	@$(if $(filter 1,$(V)),:,echo "  building ./closeloop (make V=1 prints the compiler lines)")
	@$(MAKE) --no-print-directory closeloop $(if $(filter 1,$(V)),,say=@true)
	@sh contrib/demo.sh

bench:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory closeloop
	sh bench/run.sh; rc=$$?; sh bench/report.sh || rc=1; exit $$rc

asan:
	@$(MAKE) --no-print-directory deps
	$(MAKE) --no-print-directory clean
	@mkdir -p build && touch build/.sanitized
	$(MAKE) --no-print-directory check-run CC=clang \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	    EXTRA_LDFLAGS="-fsanitize=address,undefined" ALLOC_LIBS=

# memcheck on the unit suites (a sanitizer build cannot run under valgrind:
# rebuild when the last build was `make asan`)
valgrind:
	@$(MAKE) --no-print-directory deps
	@if [ -e build/.sanitized ]; then $(MAKE) --no-print-directory clean; fi
	@$(MAKE) --no-print-directory $(TEST_BIN)
	sh tests/valgrind.sh $(TEST_BIN)

# libFuzzer harnesses (clang): each runs FUZZ_SECONDS on a copy of its seed
# corpus; crashes land in build/fuzz/ and fail the target.
FUZZ_SECONDS ?= 60
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN = $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))

build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(HDRS) build/migrations.c
	@mkdir -p build/fuzz
	clang -std=c11 -D_GNU_SOURCE -DCL_VERSION=\"$(VERSION)\" -g -O1 -Ilib -Ibuild $(PKG_CFLAGS) \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -o $@ $< $(LIB_SRC) build/migrations.c $(PKG_LIBS)

fuzz:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

install: closeloop
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(SHAREDIR)/examples
	install -m 755 closeloop $(DESTDIR)$(BINDIR)/closeloop
	install -m 644 docs/closeloop.1 $(DESTDIR)$(MANDIR)/man1/closeloop.1
	install -m 644 docs/closeloop.conf.5 $(DESTDIR)$(MANDIR)/man5/closeloop.conf.5
	cp -R contrib/. $(DESTDIR)$(SHAREDIR)/
	chmod -R u+rwX,go+rX $(DESTDIR)$(SHAREDIR)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/closeloop $(DESTDIR)$(MANDIR)/man1/closeloop.1 \
	    $(DESTDIR)$(MANDIR)/man5/closeloop.conf.5
	rm -rf $(DESTDIR)$(SHAREDIR)

clean:
	rm -rf build closeloop
