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
# Knowledge-base search's stop phrases, read from PostgreSQL's tsearch_data (extension/kb_terms.c).
DATA_TSEARCH = sql/helpdesk_kb.stop
PG_CFLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
EXTRA_CLEAN = http/helpdesk-http http/tests/*_test

# `make installcheck` against a running server (the DBA's way); `make test` uses a private
# relocated PostgreSQL root instead, see tests/run.sh.
REGRESS      = $(basename $(notdir $(sort $(wildcard tests/regress/sql/*.sql))))
REGRESS_OPTS = --inputdir=tests/regress --load-extension=pgcrypto --load-extension=pg_trgm \
               --load-extension=unaccent --load-extension=helpdesk
ISOLATION      = $(basename $(notdir $(sort $(wildcard tests/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=tests/isolation --load-extension=pgcrypto --load-extension=pg_trgm \
                 --load-extension=unaccent --load-extension=helpdesk

HTTP_SOURCES = $(sort $(wildcard http/*.c))
HTTP_HEADERS = $(wildcard http/*.h)

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

# helpdesk-http: libh2o (evloop), libpq, jansson, libjwt.
HTTP_CFLAGS ?= -std=gnu11 -O2 -g
HTTP_CFLAGS += -Wall -Wextra -Werror -DH2O_USE_LIBUV=0 -I$(shell $(PG_CONFIG) --includedir 2>/dev/null)
HTTP_LIBS    = -lh2o-evloop -ljansson -ljwt -lpq -lssl -lcrypto -lz -lpthread

http/helpdesk-http: $(HTTP_SOURCES) $(HTTP_HEADERS)
	$(CC) $(HTTP_CFLAGS) -o $@ $(HTTP_SOURCES) $(HTTP_LIBS)

.PHONY: deps demo test bench
deps:
	@bash scripts/deps.sh

demo: deps
	@$(MAKE) -s --no-print-directory all install >/dev/null
	@bash scripts/demo.sh

test: deps
	@$(MAKE) --no-print-directory all
	@bash tests/run.sh

bench: deps
	@$(MAKE) -s --no-print-directory all install >/dev/null
	@bash bench/run.sh
