# helpdesk: PGXS build of the extension, the helpdesk-http binary, and the two commands.
#
#   make demo   install what is missing, build, run the service desk with demo data
#   make test   install what is missing, build, run every test suite
#
# The build needs PostgreSQL 15's server headers; `make deps` installs them (Debian 12).

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

EXTENSION  = helpdesk
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" helpdesk.control)

MODULE_big = helpdesk
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard extension/*.c)))
# The install script is assembled from one SQL file per module, in file-name order.
SQL_SOURCES = $(sort $(wildcard sql/[0-9]*.sql))
DATA_built  = helpdesk--$(EXTVERSION).sql
DATA        = $(sort $(wildcard sql/upgrade/helpdesk--*--*.sql))
PG_CFLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
EXTRA_CLEAN = http/helpdesk-http http/helpdesk-http-asan http/tests/*_test

# `make installcheck` against a running server (the DBA's way); `make test` uses a private
# relocated PostgreSQL root instead, see tests/run.sh.
REGRESS      = $(basename $(notdir $(sort $(wildcard tests/regress/sql/*.sql))))
REGRESS_OPTS = --inputdir=tests/regress --load-extension=pgcrypto --load-extension=pg_trgm \
               --load-extension=unaccent --load-extension=helpdesk
ISOLATION      = $(basename $(notdir $(sort $(wildcard tests/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=tests/isolation --load-extension=pgcrypto --load-extension=pg_trgm \
                 --load-extension=unaccent --load-extension=helpdesk

HTTP_SOURCES = $(sort $(wildcard http/*.c))
HTTP_HEADERS = $(wildcard http/*.h) extension/request_context.h

ifneq ($(PGXS),)
include $(PGXS)
all: $(if $(HTTP_SOURCES),http/helpdesk-http)
else
all:
	@echo "PostgreSQL 15 server headers are missing: run 'make deps' (or 'make demo' / 'make test')." >&2; exit 1
endif

helpdesk--$(EXTVERSION).sql: $(SQL_SOURCES) helpdesk.control
	@{ echo "-- helpdesk $(EXTVERSION): generated from sql/*.sql by make; edit those files."; \
	   printf '%s\n' '\echo Use "CREATE EXTENSION helpdesk CASCADE" to load this file. \quit'; \
	   for f in $(SQL_SOURCES); do echo; echo "-- ==== $$f ===="; cat $$f; done; } > $@

# helpdesk-http: libh2o (evloop), libpq, jansson, libjwt, libmagic (the type of uploaded files).
HTTP_CFLAGS ?= -std=gnu11 -O2 -g
HTTP_CFLAGS += -Wall -Wextra -Werror -DH2O_USE_LIBUV=0 -Iextension -I$(shell $(PG_CONFIG) --includedir 2>/dev/null)
HTTP_LIBS    = -lh2o-evloop -ljansson -ljwt -lpq -lmagic -lssl -lcrypto -lz -lpthread

http/helpdesk-http: $(HTTP_SOURCES) $(HTTP_HEADERS)
	$(CC) $(HTTP_CFLAGS) -o $@ $(HTTP_SOURCES) $(HTTP_LIBS)

# The same server built with AddressSanitizer and UndefinedBehaviorSanitizer, beside the
# ordinary binary: `make test-asan` runs the unit and HTTP suites against it. Leak checking
# at exit is off unless asked for (ASAN_OPTIONS=detect_leaks=1 make test-asan).
HTTP_SANITIZE ?= -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
http/helpdesk-http-asan: $(HTTP_SOURCES) $(HTTP_HEADERS)
	$(CC) $(HTTP_CFLAGS) $(HTTP_SANITIZE) -o $@ $(HTTP_SOURCES) $(HTTP_LIBS)

# libFuzzer targets of the server's parsers (tests/fuzz/README.md): each runs FUZZ_SECONDS;
# the corpus grows in FUZZ_DIR, never in the checked-in tests/fuzz/corpus.
FUZZ_SECONDS ?= 60
FUZZ_DIR ?= build/fuzz

.PHONY: deps demo test bench fuzz test-asan
deps:
	@bash scripts/deps.sh

demo: deps
	@$(MAKE) -s --no-print-directory all install >/dev/null
	@bash scripts/demo.sh

test: deps
	@$(MAKE) --no-print-directory all
	@bash tests/run.sh

fuzz: deps
	@bash tests/fuzz/run.sh --seconds $(FUZZ_SECONDS) --dir $(FUZZ_DIR)

test-asan: deps
	@$(MAKE) --no-print-directory all http/helpdesk-http-asan
	@sh http/tests/build-and-run.sh -fsanitize=address,undefined -fno-sanitize-recover=undefined
	@ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=0} UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1} \
	    HD_HTTP_BIN=$(CURDIR)/http/helpdesk-http-asan bash tests/run.sh http

bench: deps
	@$(MAKE) -s --no-print-directory all install >/dev/null
	@bash bench/run.sh
