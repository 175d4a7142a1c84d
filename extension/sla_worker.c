/*
 * sla_worker.c: the SLA watcher background worker.
 *
 * One worker per cluster, in the database named by helpdesk.database_name. It sleeps on its
 * latch, reloads settings on SIGHUP and exits cleanly on SIGTERM. It does nothing on a standby,
 * nor in a database where the helpdesk extension is not installed (it checks again each time it
 * wakes up, so installing the extension later needs no restart).
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "helpdesk.h"

PGDLLEXPORT void helpdesk_sla_worker_main(Datum main_arg);

void
helpdesk_register_worker(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 10;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "helpdesk");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "helpdesk_sla_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "helpdesk sla watcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "helpdesk sla watcher");
	RegisterBackgroundWorker(&worker);
}

/* Is the extension installed in this database?  Runs in its own transaction. */
static bool
extension_present(void)
{
	bool		present;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	present = OidIsValid(get_extension_oid("helpdesk", true));
	PopActiveSnapshot();
	CommitTransactionCommand();
	return present;
}

void
helpdesk_sla_worker_main(Datum main_arg)
{
	bool		announced_absent = false;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(helpdesk_database_name, NULL, 0);
	pgstat_report_appname("helpdesk sla watcher");
	elog(LOG, "helpdesk sla watcher started in database \"%s\"", helpdesk_database_name);

	while (!ShutdownRequestPending)
	{
		long		timeout_ms = helpdesk_worker_idle_seconds * 1000L;

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		if (helpdesk_worker_enabled && !RecoveryInProgress())
		{
			if (extension_present())
				announced_absent = false;
			else if (!announced_absent)
			{
				elog(LOG, "helpdesk sla watcher: extension \"helpdesk\" is not installed in database \"%s\"; waiting",
					 helpdesk_database_name);
				announced_absent = true;
			}
		}
		pgstat_report_activity(STATE_IDLE, NULL);

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}

	elog(LOG, "helpdesk sla watcher stopping");
	proc_exit(0);
}
