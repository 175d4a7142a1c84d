/*
 * sla_clock.c: C support of the SLA clocks (sql/55_sla_clock.sql).
 *
 * helpdesk.sla_wake(deadline): called by the clocks when they plan a deadline. It
 * remembers the earliest deadline of the transaction and, at commit, sets the watcher's latch when
 * that deadline is before the watcher's planned wake-up. A rolled-back transaction wakes nobody.
 * (Known spurious wakes, harmless: a deadline planned in a subtransaction that rolled back while
 * its parent committed. Known late wake: a PREPARE TRANSACTION forgets its deadlines, so the
 * watcher learns of them at its next scan, within helpdesk.worker_idle_seconds.)
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "utils/timestamp.h"

#include "helpdesk.h"

PG_FUNCTION_INFO_V1(helpdesk_sla_wake);

static bool xact_callback_registered = false;
static bool wake_pending = false;
static TimestampTz wake_deadline = 0;

static void
sla_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (wake_pending)
			{
				wake_pending = false;
				helpdesk_sla_wake_worker(wake_deadline);
			}
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			wake_pending = false;
			break;
		default:
			break;
	}
}

Datum
helpdesk_sla_wake(PG_FUNCTION_ARGS)
{
	TimestampTz deadline = PG_GETARG_TIMESTAMPTZ(0);

	if (!xact_callback_registered)
	{
		RegisterXactCallback(sla_xact_callback, NULL);
		xact_callback_registered = true;
	}
	if (!wake_pending || deadline < wake_deadline)
	{
		wake_deadline = deadline;
		wake_pending = true;
	}
	PG_RETURN_VOID();
}
