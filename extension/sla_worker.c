/*
 * sla_worker.c: the SLA watcher background worker and its wake-up channel.
 *
 * One worker per cluster, in the database named by helpdesk.database_name. It does nothing on a
 * standby, nor in a database where the helpdesk extension is not installed (it checks again each
 * time it wakes up, so installing the extension later needs no restart).
 *
 * Each round: one transaction calls helpdesk.sla_scan(now()), which recomputes a batch of clocks
 * when the SLA rules or the calendar changed, fires every warning, breach and escalation due, and
 * reads the earliest pending deadline (helpdesk.sla_next_deadline(): clocks, escalation
 * thresholds, pending recomputation). The worker then sleeps on its latch until that deadline,
 * at most helpdesk.worker_idle_seconds, or starts the next round at once while a recomputation
 * makes progress. Errors are logged and retried after a pause, never crash-looped.
 *
 * Between rounds, every helpdesk.notification_fold_ms, a transaction of its own folds the
 * notifications written since into the readers' kept unread counts
 * (helpdesk.notification_counts_fold, sql/38_notifications.sql): a read then counts only what
 * came after the last fold. A fold does not start a scan round, nor a round a fold.
 *
 * Wake-up channel: a small shared-memory struct holds the worker's pgprocno, its database and
 * the instant it plans to wake up. A transaction that plans an earlier deadline sets the latch
 * at commit (helpdesk.sla_wake, sla_clock.c). While the worker scans, its planned wake-up is
 * "never", so any deadline written meanwhile wakes it again: a write that commits after the
 * scan's snapshot is never lost. An idle desk costs one short transaction per idle period.
 *
 * Heartbeat: the same struct records when the watcher started, when its last round ended and
 * how, and what its rounds fired since the cluster started. helpdesk.sla_watcher_status() reads
 * it for /health/ready and /metrics (sql/90_ops.sql); shared memory rather than a table row, so
 * a heartbeat costs no write and no WAL, and it says "not running" by itself after a restart.
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "commands/dbcommands.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "helpdesk.h"

PGDLLEXPORT void helpdesk_sla_worker_main(Datum main_arg);

/* Pause after a failed round before the next try. */
#define RETRY_AFTER_ERROR_MS 5000L
/* Pause when a deadline stays due after a scan (an item failed and is retried). */
#define RETRY_STUCK_MS 1000L

/* True while a round's transaction runs (see watcher_sigterm). */
static volatile sig_atomic_t in_round = false;

/*
 * SIGTERM (a fast shutdown, pg_terminate_backend): stop after the round, and cancel a round under
 * way like a query. A catch-up round over a large desk can take minutes, and a shutdown must not
 * wait for it; its transaction rolls back, and the next start does the same work again (a round
 * is idempotent: what it fires is recorded in the same transaction).
 */
static void
watcher_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	ShutdownRequestPending = true;
	if (in_round)
	{
		QueryCancelPending = true;
		InterruptPending = true;
	}
	SetLatch(MyLatch);
	errno = save_errno;
}

typedef struct HelpdeskSlaShared
{
	slock_t		mutex;
	int			worker_procno;	/* -1 when no watcher is sleeping */
	Oid			worker_dboid;
	TimestampTz planned_wake;	/* DT_NOEND while scanning: every deadline wakes it */
	/* heartbeat, since the cluster started */
	TimestampTz started_at;		/* the running watcher's start, 0 before the first */
	TimestampTz last_round_at;	/* end of its last round, 0 before the first */
	bool		last_round_ok;
	char		last_error[256];	/* the last failed round's message */
	uint64		rounds;
	uint64		failed_rounds;
	uint64		warnings;
	uint64		breaches;
	uint64		escalations;
} HelpdeskSlaShared;

static HelpdeskSlaShared *sla_shared = NULL;

char	   *helpdesk_database_name = NULL;
bool		helpdesk_worker_enabled = true;
int			helpdesk_worker_idle_seconds = 60;
int			helpdesk_notification_fold_ms = 1000;

void
helpdesk_sla_worker_define_gucs(void)
{
	DefineCustomStringVariable("helpdesk.database_name",
							   "Database in which the SLA watcher runs.",
							   "The watcher does nothing unless the helpdesk extension is installed there.",
							   &helpdesk_database_name, "postgres",
							   PGC_POSTMASTER, 0,
							   NULL, NULL, NULL);
	DefineCustomBoolVariable("helpdesk.worker_enabled",
							 "Whether the SLA watcher does its work.",
							 "When off the worker stays idle until the setting is turned on and reloaded.",
							 &helpdesk_worker_enabled, true,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("helpdesk.worker_idle_seconds",
							"Longest time the SLA watcher sleeps without being woken.",
							NULL,
							&helpdesk_worker_idle_seconds, 60, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("helpdesk.notification_fold_ms",
							"How often the SLA watcher folds new notifications into the kept unread counts.",
							"A read of an unread count counts the notifications written since the last fold; 0: never (reads count more).",
							&helpdesk_notification_fold_ms, 1000, 0, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
}

void
helpdesk_sla_shmem_request(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(HelpdeskSlaShared)));
}

void
helpdesk_sla_shmem_startup(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	sla_shared = ShmemInitStruct("helpdesk sla watcher", sizeof(HelpdeskSlaShared), &found);
	if (!found)
	{
		SpinLockInit(&sla_shared->mutex);
		sla_shared->worker_procno = -1;
		sla_shared->worker_dboid = InvalidOid;
		sla_shared->planned_wake = DT_NOEND;
		sla_shared->started_at = 0;
		sla_shared->last_round_at = 0;
		sla_shared->last_round_ok = false;
		sla_shared->last_error[0] = '\0';
		sla_shared->rounds = sla_shared->failed_rounds = 0;
		sla_shared->warnings = sla_shared->breaches = sla_shared->escalations = 0;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
helpdesk_sla_wake_worker(int64 deadline)
{
	int			procno = -1;

	if (sla_shared == NULL)
		return;
	SpinLockAcquire(&sla_shared->mutex);
	if (sla_shared->worker_procno >= 0 && sla_shared->worker_dboid == MyDatabaseId &&
		deadline < sla_shared->planned_wake)
	{
		procno = sla_shared->worker_procno;
		/* later writers with later deadlines need not wake it again */
		sla_shared->planned_wake = deadline;
	}
	SpinLockRelease(&sla_shared->mutex);
	if (procno >= 0)
		SetLatch(&ProcGlobal->allProcs[procno].procLatch);
}

static void
publish(int procno, TimestampTz planned)
{
	if (sla_shared == NULL)
		return;
	SpinLockAcquire(&sla_shared->mutex);
	sla_shared->worker_procno = procno;
	sla_shared->worker_dboid = MyDatabaseId;
	sla_shared->planned_wake = planned;
	SpinLockRelease(&sla_shared->mutex);
}

static void
unpublish(int code, Datum arg)
{
	publish(-1, DT_NOEND);
}

/* The heartbeat: a round ended, with what it fired, or with an error (message not NULL). */
static void
record_round(int warnings, int breaches, int escalations, const char *error)
{
	if (sla_shared == NULL)
		return;
	SpinLockAcquire(&sla_shared->mutex);
	sla_shared->last_round_at = GetCurrentTimestamp();
	sla_shared->rounds++;
	sla_shared->warnings += warnings;
	sla_shared->breaches += breaches;
	sla_shared->escalations += escalations;
	sla_shared->last_round_ok = (error == NULL);
	if (error != NULL)
	{
		sla_shared->failed_rounds++;
		strlcpy(sla_shared->last_error, error, sizeof(sla_shared->last_error));
	}
	SpinLockRelease(&sla_shared->mutex);
}

static void
record_start(void)
{
	if (sla_shared == NULL)
		return;
	SpinLockAcquire(&sla_shared->mutex);
	sla_shared->started_at = GetCurrentTimestamp();
	SpinLockRelease(&sla_shared->mutex);
}

/*
 * helpdesk.sla_watcher_status(): the watcher's heartbeat as one row. `preloaded` is false when
 * helpdesk is not in shared_preload_libraries (then there is no watcher and every other column
 * is NULL); `running` says whether a watcher process is attached now. Timestamps are NULL
 * before the first start or round. Counters count since the cluster started.
 */
PG_FUNCTION_INFO_V1(helpdesk_sla_watcher_status);

Datum
helpdesk_sla_watcher_status(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[13];
	bool		nulls[13];
	HelpdeskSlaShared copy;
	char	   *dbname = NULL;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("helpdesk.sla_watcher_status() must be declared to return a row")));
	desc = BlessTupleDesc(desc);
	if (desc->natts != lengthof(values))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("helpdesk.sla_watcher_status() is declared with %d columns, the module returns %d",
						desc->natts, (int) lengthof(values))));
	memset(nulls, true, sizeof(nulls));
	values[0] = BoolGetDatum(sla_shared != NULL);
	nulls[0] = false;
	if (sla_shared != NULL)
	{
		SpinLockAcquire(&sla_shared->mutex);
		memcpy(&copy, sla_shared, sizeof(copy));
		SpinLockRelease(&sla_shared->mutex);
		if (OidIsValid(copy.worker_dboid))
			dbname = get_database_name(copy.worker_dboid);

		values[1] = BoolGetDatum(copy.worker_procno >= 0);
		values[2] = dbname != NULL ? CStringGetTextDatum(dbname) : CStringGetTextDatum(helpdesk_database_name);
		values[3] = TimestampTzGetDatum(copy.started_at);
		values[4] = TimestampTzGetDatum(copy.last_round_at);
		values[5] = BoolGetDatum(copy.last_round_ok);
		values[6] = CStringGetTextDatum(copy.last_error);
		values[7] = TimestampTzGetDatum(copy.planned_wake);
		values[8] = Int64GetDatum((int64) copy.rounds);
		values[9] = Int64GetDatum((int64) copy.failed_rounds);
		values[10] = Int64GetDatum((int64) copy.warnings);
		values[11] = Int64GetDatum((int64) copy.breaches);
		values[12] = Int64GetDatum((int64) copy.escalations);
		for (int i = 1; i < (int) lengthof(nulls); i++)
			nulls[i] = false;
		nulls[3] = copy.started_at == 0;
		nulls[4] = nulls[5] = copy.last_round_at == 0;
		nulls[6] = copy.last_error[0] == '\0';
		nulls[7] = copy.worker_procno < 0 || copy.planned_wake == DT_NOEND;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

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

/* The outcome of one round. */
typedef struct ScanResult
{
	bool		present;		/* the extension is installed */
	TimestampTz scan_at;		/* the clock the scan used */
	TimestampTz next;			/* earliest pending deadline, 0 when none */
	int			warnings;
	int			breaches;
	int			escalations;
	int			recomputed;		/* tickets recomputed (0 with release 1.0's sla_scan) */
} ScanResult;

static int
int_column(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? 0 : DatumGetInt32(d);
}

/*
 * `call` (a SELECT of one helpdesk function) in a transaction of its own, when the database has
 * the extension and its version has that function (`signature`, for to_regprocedure): the
 * watcher runs against databases installed from older scripts. Errors propagate to the caller.
 */
static void
call_in_own_transaction(const char *signature, const char *call)
{
	Datum		arg = CStringGetTextDatum(signature);
	Oid			argtype = TEXTOID;
	bool		isnull;
	Datum		d;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (OidIsValid(get_extension_oid("helpdesk", true)))
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "helpdesk sla watcher: SPI_connect failed");
		if (SPI_execute_with_args("SELECT pg_catalog.to_regprocedure($1) IS NOT NULL", 1, &argtype, &arg, NULL,
								  true, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "helpdesk sla watcher: to_regprocedure() returned no row");
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull && DatumGetBool(d))
		{
			pgstat_report_activity(STATE_RUNNING, call);
			if (SPI_execute(call, false, 1) != SPI_OK_SELECT)
				elog(ERROR, "helpdesk sla watcher: %s failed", call);
		}
		SPI_finish();
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/*
 * The reports' watermark of past deadlines (sql/80_reports.sql, reports_advance_due: a no-op
 * unless it is an hour behind). A transaction of its own before the round's: it locks the report
 * facts, which ticket writers hold while they may wait for a clock the round has locked.
 */
static void
advance_reports(void)
{
	call_in_own_transaction("helpdesk.reports_advance_due(timestamptz)", "SELECT helpdesk.reports_advance_due(now())");
}

/*
 * The notifications written since the last fold into the kept unread counts
 * (sql/38_notifications.sql, notification_counts_fold).
 */
static void
fold_notification_counts(void)
{
	call_in_own_transaction("helpdesk.notification_counts_fold()", "SELECT helpdesk.notification_counts_fold()");
	pgstat_report_stat(false);
}

/* One round in one transaction. Errors propagate to the caller. */
static void
scan_round(ScanResult *r)
{
	advance_reports();
	memset(r, 0, sizeof(*r));
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	r->present = OidIsValid(get_extension_oid("helpdesk", true));
	if (r->present)
	{
		bool		isnull;
		Datum		d;
		HeapTuple	tup;
		TupleDesc	desc;

		pgstat_report_activity(STATE_RUNNING, "SELECT helpdesk.sla_scan(now())");
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "helpdesk sla watcher: SPI_connect failed");
		/*
		 * s.*: the library serves every installed version of the extension, and a database not
		 * yet updated from 1.0 has no `recomputed` column.
		 */
		if (SPI_execute("SELECT now(), s.* FROM helpdesk.sla_scan(now()) AS s", false, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "helpdesk sla watcher: helpdesk.sla_scan() returned no row");
		tup = SPI_tuptable->vals[0];
		desc = SPI_tuptable->tupdesc;
		r->scan_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 1, &isnull));
		r->warnings = int_column(tup, desc, 2);
		r->breaches = int_column(tup, desc, 3);
		r->escalations = int_column(tup, desc, 4);
		r->recomputed = desc->natts >= 5 ? int_column(tup, desc, 5) : 0;

		/* a new snapshot: sees what committed during the scan */
		PopActiveSnapshot();
		PushActiveSnapshot(GetTransactionSnapshot());
		if (SPI_execute("SELECT helpdesk.sla_next_deadline()", true, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "helpdesk sla watcher: helpdesk.sla_next_deadline() returned no row");
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		r->next = isnull ? 0 : DatumGetTimestampTz(d);
		SPI_finish();
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
}

/* Milliseconds from now until `t`, rounded up, at least 0. */
static long
ms_until(TimestampTz t)
{
	TimestampTz now = GetCurrentTimestamp();

	if (t <= now)
		return 0;
	return (long) ((t - now + 999) / 1000);
}

void
helpdesk_sla_worker_main(Datum main_arg)
{
	volatile bool announced_absent = false;
	MemoryContext round_cxt;
	volatile TimestampTz scan_planned = 0;	/* the next round: at once */
	volatile TimestampTz fold_planned = 0;	/* the next fold of notification counts */

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, watcher_sigterm);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(helpdesk_database_name, NULL, 0);
	/*
	 * No JIT: a round runs many small per-ticket statements whose plans can pass jit_above_cost
	 * on a large desk, and compiling each one costs more than running it.
	 */
	SetConfigOption("jit", "off", PGC_SUSET, PGC_S_SESSION);
	pgstat_report_appname("helpdesk sla watcher");
	before_shmem_exit(unpublish, (Datum) 0);
	record_start();
	elog(LOG, "helpdesk sla watcher started in database \"%s\"", helpdesk_database_name);

	round_cxt = AllocSetContextCreate(TopMemoryContext, "helpdesk sla watcher round",
									  ALLOCSET_DEFAULT_SIZES);

	while (!ShutdownRequestPending)
	{
		volatile long timeout_ms = helpdesk_worker_idle_seconds * 1000L;
		long		wait_ms;
		int			rc;

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		/* a wake-up for the fold alone, before the round's planned time: no round */
		if (GetCurrentTimestamp() < scan_planned)
			timeout_ms = ms_until(scan_planned);
		else if (helpdesk_worker_enabled && !RecoveryInProgress())
		{
			ScanResult	r;
			MemoryContext oldcxt = MemoryContextSwitchTo(round_cxt);

			/* scanning: a deadline written from now on wakes us again */
			publish(MyProc->pgprocno, DT_NOEND);
			PG_TRY();
			{
				in_round = true;	/* first: a SIGTERM from here on cancels */
				if (ShutdownRequestPending)
					ereport(ERROR,
							(errcode(ERRCODE_ADMIN_SHUTDOWN),
							 errmsg("shutting down")));
				scan_round(&r);
				MemoryContextSwitchTo(round_cxt);
				if (!r.present)
				{
					if (!announced_absent)
						elog(LOG, "helpdesk sla watcher: extension \"helpdesk\" is not installed in database \"%s\"; waiting",
							 helpdesk_database_name);
					announced_absent = true;
				}
				else
				{
					announced_absent = false;
					record_round(r.warnings, r.breaches, r.escalations, NULL);
					if (r.warnings > 0 || r.breaches > 0 || r.escalations > 0 || r.recomputed > 0)
						elog(LOG, "helpdesk sla watcher: %d warnings, %d breaches, %d escalations, %d tickets recomputed",
							 r.warnings, r.breaches, r.escalations, r.recomputed);
					if (r.recomputed > 0)
						/* a recomputation is under way: its next batch at once */
						timeout_ms = 0;
					else if (r.next != 0 && r.next <= r.scan_at)
						/* still due after the scan: an item failed; retry soon, not in a loop */
						timeout_ms = Min(timeout_ms, RETRY_STUCK_MS);
					else if (r.next != 0)
						timeout_ms = Min(timeout_ms, ms_until(r.next));
				}
			}
			PG_CATCH();
			{
				ErrorData  *edata;

				MemoryContextSwitchTo(round_cxt);
				edata = CopyErrorData();
				FlushErrorState();
				AbortCurrentTransaction();
				if (ShutdownRequestPending)
					ereport(LOG,
							(errmsg("helpdesk sla watcher: round cancelled by shutdown, rolled back")));
				else
				{
					ereport(LOG,
							(errmsg("helpdesk sla watcher: scan failed, retrying: %s", edata->message)));
					record_round(0, 0, 0, edata->message);
				}
				FreeErrorData(edata);
				timeout_ms = Min(timeout_ms, RETRY_AFTER_ERROR_MS);
			}
			PG_END_TRY();
			/* a SIGTERM that came as the round ended cancels nothing more (the flag stays) */
			in_round = false;
			QueryCancelPending = false;
			MemoryContextSwitchTo(oldcxt);
			MemoryContextReset(round_cxt);
		}
		if (GetCurrentTimestamp() >= scan_planned)
			scan_planned = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);
		publish(MyProc->pgprocno, scan_planned);

		/* the notifications' fold, when due: errors are logged, and it is tried at the next one */
		if (helpdesk_notification_fold_ms > 0 && helpdesk_worker_enabled && !RecoveryInProgress() &&
			!ShutdownRequestPending && GetCurrentTimestamp() >= fold_planned)
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(round_cxt);

			PG_TRY();
			{
				in_round = true;
				fold_notification_counts();
			}
			PG_CATCH();
			{
				ErrorData  *edata;

				MemoryContextSwitchTo(round_cxt);
				edata = CopyErrorData();
				FlushErrorState();
				AbortCurrentTransaction();
				if (!ShutdownRequestPending)
					ereport(LOG,
							(errmsg("helpdesk sla watcher: notification count fold failed: %s", edata->message)));
				FreeErrorData(edata);
			}
			PG_END_TRY();
			in_round = false;
			QueryCancelPending = false;
			MemoryContextSwitchTo(oldcxt);
			MemoryContextReset(round_cxt);
			fold_planned = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), helpdesk_notification_fold_ms);
		}
		pgstat_report_activity(STATE_IDLE, NULL);

		wait_ms = ms_until(scan_planned);
		if (helpdesk_notification_fold_ms > 0)
			wait_ms = Min(wait_ms, ms_until(fold_planned));
		/* (a lock wait in the round may have reset the latch that SIGTERM set) */
		rc = 0;
		if (!ShutdownRequestPending)
			rc = WaitLatch(MyLatch,
						   WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						   wait_ms, PG_WAIT_EXTENSION);
		/* woken (an earlier deadline, a reload, a signal): the round at once */
		if (rc & WL_LATCH_SET)
			scan_planned = 0;
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}

	elog(LOG, "helpdesk sla watcher stopping");
	proc_exit(0);
}
