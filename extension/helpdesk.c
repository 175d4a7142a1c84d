/*
 * helpdesk.c: module entry point.
 *
 * Defines the settings and, when loaded through shared_preload_libraries, registers the SLA
 * watcher background worker.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "helpdesk.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	helpdesk_define_gucs();

	if (process_shared_preload_libraries_in_progress)
		helpdesk_register_worker();
}
