/*
 * helpdesk.c: module entry point.
 *
 * Defines the settings and, when loaded through shared_preload_libraries, registers the SLA
 * watcher background worker.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/guc.h"

#include "helpdesk.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
helpdesk_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	helpdesk_sla_shmem_request();
	helpdesk_kb_cache_shmem_request();
}

static void
helpdesk_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	helpdesk_sla_shmem_startup();
	helpdesk_kb_cache_shmem_startup();
}

void
_PG_init(void)
{
	helpdesk_define_gucs();
	helpdesk_sla_worker_define_gucs();
	helpdesk_kb_cache_define_gucs();
	MarkGUCPrefixReserved("helpdesk");

	if (process_shared_preload_libraries_in_progress)
	{
		helpdesk_register_worker();
		/* the watcher's wake-up channel and the search answers' cache (shared memory exists
		 * only when preloaded) */
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = helpdesk_shmem_request;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = helpdesk_shmem_startup;
	}
}
