/*
 * version.c: helpdesk.version(), the version this module was built as.
 *
 * HELPDESK_VERSION is helpdesk.control's default_version, passed by the Makefile; helpdesk-http
 * is built with the same value (--version), so the two agree when built from one tree. The
 * installed SQL objects' version is pg_extension.extversion, which differs from this only
 * between a package upgrade and its ALTER EXTENSION helpdesk UPDATE.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#ifndef HELPDESK_VERSION
#error "HELPDESK_VERSION must be defined (the Makefile reads it from helpdesk.control)"
#endif

PG_FUNCTION_INFO_V1(helpdesk_version);

Datum
helpdesk_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(HELPDESK_VERSION));
}
