/*
 * calendar.c: the SQL face of the business-calendar arithmetic (calendar_math.c).
 *
 *   helpdesk.business_time_add(start timestamptz, duration interval, calendar int) -> timestamptz
 *   helpdesk.business_time_between(a timestamptz, b timestamptz, calendar int) -> interval
 *   helpdesk.is_working_day(d date, calendar int) -> boolean
 *   helpdesk.sla_add(start, duration), helpdesk.sla_between(a, b): the SLA's business time, through
 *   the default calendar, or elapsed time when the desk has none (a 24/7 service)
 *
 * A calendar (its time zone, weekly windows and holidays) is read through SPI (plans prepared once
 * per backend) and kept in backend memory. Triggers (sql/51_calendar.sql) rewrite a calendar's
 * row whenever its windows or holidays change, so one query of that row under the current
 * snapshot tells whether the kept copy is still the one this snapshot sees (same xmin and ctid);
 * within one statement of a transaction that has not written since, not even that query runs.
 * The time zone is PostgreSQL's own (pg_tzset), consulted through
 * pg_next_dst_boundary with a one-segment cache because walks go forward in time.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "storage/itemptr.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "calendar_math.h"
#include "helpdesk.h"

PG_FUNCTION_INFO_V1(helpdesk_business_time_add);
PG_FUNCTION_INFO_V1(helpdesk_business_time_between);
PG_FUNCTION_INFO_V1(helpdesk_is_working_day);
PG_FUNCTION_INFO_V1(helpdesk_sla_add);
PG_FUNCTION_INFO_V1(helpdesk_sla_between);

#define UNIX_TO_PG_SECS ((pg_time_t) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

/*
 * The time zone, with the last answer of pg_next_dst_boundary, reused for t in [from, boundary]:
 * no change lies in between, so it is a right answer for those t too (for t = boundary one that
 * reports the change at t, which the CalTzBoundaryFn contract allows).
 */
typedef struct TzState
{
	pg_tz	   *tz;
	bool		cached;
	int			res;
	pg_time_t	from;			/* seconds since 2000-01-01 */
	pg_time_t	boundary;
	long		before;
	long		after;
} TzState;

typedef struct LoadedCalendar
{
	bool		valid;
	int32		requested;		/* the id asked for, 0 for the default calendar */
	int32		id;
	/* the calendars row's version: triggers rewrite it on every change of windows or holidays */
	TransactionId row_xmin;
	ItemPointerData row_ctid;
	/* the statement it was last checked in: no check again within it */
	LocalTransactionId lxid;
	CommandId	cid;
	TimestampTz stmt_start;
	CalDef		def;
	TzState		tz;
} LoadedCalendar;

static LoadedCalendar loaded;
static MemoryContext calendar_cxt = NULL;

/* The three queries that read a calendar, planned once per backend. */
static SPIPlanPtr plan_calendar = NULL;
static SPIPlanPtr plan_default = NULL;
static SPIPlanPtr plan_hours = NULL;
static SPIPlanPtr plan_holidays = NULL;

static SPIPlanPtr
keep_plan(const char *sql)
{
	Oid			argtypes[1] = {INT4OID};
	SPIPlanPtr	plan = SPI_prepare(sql, 1, argtypes);

	if (plan == NULL || SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	return plan;
}

static void
run_plan(SPIPlanPtr plan, Datum *args, long count, const char *what)
{
	if (SPI_execute_plan(plan, args, NULL, true, count) != SPI_OK_SELECT)
		elog(ERROR, "reading %s failed", what);
}

static int
pg_tz_boundary(void *arg, int64_t t, int64_t *before_off, int64_t *boundary, int64_t *after_off)
{
	TzState    *st = arg;

	if (!(st->cached && t >= st->from && (st->res == 0 || t <= st->boundary)))
	{
		/* calendar_math counts from 2000-01-01, pg_time_t from 1970-01-01 */
		pg_time_t	pt = (pg_time_t) t + UNIX_TO_PG_SECS;
		int			isdst;

		st->res = pg_next_dst_boundary(&pt, &st->before, &isdst, &st->boundary, &st->after, &isdst, st->tz);
		st->boundary -= UNIX_TO_PG_SECS;
		if (st->res < 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("time zone lookup failed")));
		st->from = t;
		st->cached = true;
	}
	*before_off = st->before;
	if (st->res == 1)
	{
		*boundary = st->boundary;
		*after_off = st->after;
	}
	return st->res;
}

static void
check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * Make `loaded` the calendar `requested` (0: the default calendar, the one marked is_default).
 * Returns false when no default calendar exists and `missing_ok` (else that is an error).
 */
static bool
load_calendar_ext(int32 requested, bool missing_ok)
{
	Datum		args[1] = {Int32GetDatum(requested)};
	int32		id;
	MemoryContext oldcxt;
	char	   *tzname;
	pg_tz	   *tz;
	uint64		n;
	CalWindow  *windows[7];
	int			counts[7] = {0};

	TransactionId row_xmin;
	ItemPointerData row_ctid;
	bool		isnull;

	if (loaded.valid && loaded.requested == requested && loaded.lxid == MyProc->lxid
		&& loaded.cid == GetCurrentCommandId(false)
		&& loaded.stmt_start == GetCurrentStatementStartTimestamp())
		return true;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (plan_calendar == NULL)
	{
		plan_calendar = keep_plan("SELECT id, time_zone, xmin, ctid FROM helpdesk.calendars WHERE id = $1");
		plan_default = keep_plan("SELECT id, time_zone, xmin, ctid FROM helpdesk.calendars "
								 "WHERE is_default AND $1 = 0");
		plan_hours = keep_plan("SELECT day_of_week, start_time, end_time FROM helpdesk.business_hours "
							   "WHERE calendar_id = $1");
		plan_holidays = keep_plan("SELECT date, is_recurring FROM helpdesk.holidays WHERE calendar_id = $1");
	}

	run_plan(requested == 0 ? plan_default : plan_calendar, args, 1, "helpdesk.calendars");
	if (SPI_processed == 0 && requested == 0 && missing_ok)
	{
		SPI_finish();
		return false;
	}
	if (SPI_processed == 0 && requested == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no business calendar given and no default calendar exists"),
				 errhint("Call helpdesk.calendar_ensure_default() or mark a calendar as default.")));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("business calendar %d does not exist", requested)));
	id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	args[0] = Int32GetDatum(id);
	row_xmin = DatumGetTransactionId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	row_ctid = *(ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
	if (loaded.valid && loaded.id == id && loaded.row_xmin == row_xmin
		&& ItemPointerEquals(&loaded.row_ctid, &row_ctid))
	{
		/* unchanged since it was loaded */
		SPI_finish();
		goto remember;
	}

	loaded.valid = false;
	if (calendar_cxt == NULL)
		calendar_cxt = AllocSetContextCreate(TopMemoryContext, "helpdesk calendar",
											 ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(calendar_cxt);

	tzname = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	tz = tzname ? pg_tzset(tzname) : NULL;
	if (tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("business calendar %d has an unknown time zone \"%s\"", id,
						tzname ? tzname : "")));

	memset(&loaded.def, 0, sizeof(loaded.def));

	run_plan(plan_hours, args, 0, "helpdesk.business_hours");
	n = SPI_processed;
	oldcxt = MemoryContextSwitchTo(calendar_cxt);
	for (int d = 0; d < 7; d++)
		windows[d] = palloc(sizeof(CalWindow) * (n > 0 ? n : 1));
	MemoryContextSwitchTo(oldcxt);
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		null1,
					null2,
					null3;
		int32		dow = DatumGetInt32(SPI_getbinval(tup, desc, 1, &null1));
		TimeADT		s = DatumGetTimeADT(SPI_getbinval(tup, desc, 2, &null2));
		TimeADT		e = DatumGetTimeADT(SPI_getbinval(tup, desc, 3, &null3));

		if (null1 || null2 || null3 || dow < 0 || dow > 6 || s < 0 || e > USECS_PER_DAY || s >= e)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("business calendar %d has an invalid working window", id)));
		windows[dow][counts[dow]].start = s;
		windows[dow][counts[dow]].end = e;
		counts[dow]++;
	}
	for (int d = 0; d < 7; d++)
	{
		loaded.def.windows[d] = windows[d];
		loaded.def.nwindows[d] = counts[d];
	}

	run_plan(plan_holidays, args, 0, "helpdesk.holidays");
	n = SPI_processed;
	loaded.def.holidays = MemoryContextAlloc(calendar_cxt, sizeof(int32) * (n > 0 ? n : 1));
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		null1,
					null2;
		DateADT		date = DatumGetDateADT(SPI_getbinval(tup, desc, 1, &null1));
		bool		recurring = DatumGetBool(SPI_getbinval(tup, desc, 2, &null2));

		if (null1 || DATE_NOT_FINITE(date))
			continue;
		if (!null2 && recurring)
		{
			int			y,
						m,
						d;

			cal_month_day(date, &y, &m, &d);
			loaded.def.recurring[m][d] = true;
		}
		else
			loaded.def.holidays[loaded.def.nholidays++] = date;
	}
	SPI_finish();

	loaded.def.tz_boundary = pg_tz_boundary;
	loaded.def.tz_arg = &loaded.tz;
	loaded.def.check_interrupts = check_interrupts;
	memset(&loaded.tz, 0, sizeof(loaded.tz));
	loaded.tz.tz = tz;
	if (cal_prepare(&loaded.def) != CAL_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("business calendar %d has an invalid working window", id)));

	loaded.id = id;
	loaded.row_xmin = row_xmin;
	loaded.row_ctid = row_ctid;
remember:
	loaded.requested = requested;
	loaded.lxid = MyProc->lxid;
	loaded.cid = GetCurrentCommandId(false);
	loaded.stmt_start = GetCurrentStatementStartTimestamp();
	loaded.valid = true;
	return true;
}

static void
load_calendar(int32 requested)
{
	load_calendar_ext(requested, false);
}

/* The calendar argument (NULL: the default calendar) and its definition. */
static const CalDef *
calendar_arg(FunctionCallInfo fcinfo, int argno)
{
	int32		id = PG_ARGISNULL(argno) ? 0 : PG_GETARG_INT32(argno);

	if (!PG_ARGISNULL(argno) && id <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("business calendar %d does not exist", id)));
	load_calendar(id);
	return &loaded.def;
}

static void
check_status(CalStatus st)
{
	switch (st)
	{
		case CAL_OK:
			return;
		case CAL_NO_WORKING_TIME:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("business calendar %d has no working time", loaded.id),
					 errdetail("It has no working window, or every working day for ten years is a holiday.")));
			break;
		case CAL_OUT_OF_RANGE:
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("timestamp out of range")));
			break;
		case CAL_BAD_INPUT:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid business-time input")));
			break;
	}
}

static void
check_finite(TimestampTz t)
{
	if (TIMESTAMP_NOT_FINITE(t))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("business time needs finite timestamps")));
}

/*
 * The instant `dur` of business time after `start` in the calendar of argument 2 of `fcinfo`
 * (business_time_add), or in the default calendar, already loaded, when `loaded_default`.
 */
static TimestampTz
business_add(FunctionCallInfo fcinfo, TimestampTz start, Interval *dur, bool loaded_default)
{
	int64		usecs;
	int64		result;
	const CalDef *def;

	check_finite(start);
	if (dur->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a business duration cannot contain months"),
				 errhint("Give the duration in hours (a day counts as 24 hours).")));
	if (pg_mul_s64_overflow((int64) dur->day, USECS_PER_DAY, &usecs)
		|| pg_add_s64_overflow(usecs, dur->time, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("interval out of range")));
	if (usecs < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a business duration cannot be negative")));

	def = loaded_default ? &loaded.def : calendar_arg(fcinfo, 2);
	check_status(cal_add(def, start, usecs, &result));
	if (!IS_VALID_TIMESTAMP(result))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return result;
}

/*
 * business_time_add(start, duration, calendar): the instant at which `duration` of business
 * time has elapsed since `start`. Durations are whole business time: months are refused, a day
 * is 24 hours, negative durations are refused; a zero duration returns `start` unchanged, for
 * any calendar (even one without working time).
 */
Datum
helpdesk_business_time_add(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(business_add(fcinfo, PG_GETARG_TIMESTAMPTZ(0), PG_GETARG_INTERVAL_P(1), false));
}

/*
 * Business time in [a, b) in the calendar of argument 2 of `fcinfo` (business_time_between), or
 * in the default calendar, already loaded, when `loaded_default`.
 */
static Interval *
business_between(FunctionCallInfo fcinfo, TimestampTz a, TimestampTz b, bool loaded_default)
{
	int64		result;
	Interval   *iv;
	const CalDef *def;

	check_finite(a);
	check_finite(b);
	def = loaded_default ? &loaded.def : calendar_arg(fcinfo, 2);
	check_status(cal_between(def, a, b, &result));
	iv = palloc0(sizeof(Interval));
	iv->time = result;
	return iv;
}

/*
 * business_time_between(a, b, calendar): business time in [a, b), as an interval of hours,
 * minutes and seconds (no days). 0 when a = b, for any calendar (even one without working
 * time); negative when b < a: between(a, b) = -between(b, a).
 */
Datum
helpdesk_business_time_between(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	PG_RETURN_INTERVAL_P(business_between(fcinfo, PG_GETARG_TIMESTAMPTZ(0), PG_GETARG_TIMESTAMPTZ(1), false));
}

/*
 * sla_add(start, duration) (STRICT): business_time_add through the default calendar, or
 * start + duration when there is none. One read of the calendars where the PL/pgSQL version
 * made two (an EXISTS, then business_time_add's own), and no PL/pgSQL call: four of these per
 * ticket creation.
 */
Datum
helpdesk_sla_add(PG_FUNCTION_ARGS)
{
	if (!load_calendar_ext(0, true))
		return DirectFunctionCall2(timestamptz_pl_interval, PG_GETARG_DATUM(0), PG_GETARG_DATUM(1));
	PG_RETURN_TIMESTAMPTZ(business_add(fcinfo, PG_GETARG_TIMESTAMPTZ(0), PG_GETARG_INTERVAL_P(1), true));
}

/*
 * sla_between(a, b) (STRICT): 0 when b <= a; else business_time_between through the default
 * calendar, or b - a when there is none.
 */
Datum
helpdesk_sla_between(PG_FUNCTION_ARGS)
{
	TimestampTz a = PG_GETARG_TIMESTAMPTZ(0);
	TimestampTz b = PG_GETARG_TIMESTAMPTZ(1);

	if (b <= a)
		PG_RETURN_INTERVAL_P((Interval *) palloc0(sizeof(Interval)));
	if (!load_calendar_ext(0, true))
		return DirectFunctionCall2(timestamp_mi, PG_GETARG_DATUM(1), PG_GETARG_DATUM(0));
	PG_RETURN_INTERVAL_P(business_between(fcinfo, a, b, true));
}

/* is_working_day(d, calendar): d has a working window and is not a holiday. */
Datum
helpdesk_is_working_day(PG_FUNCTION_ARGS)
{
	DateADT		d;
	const CalDef *def;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	d = PG_GETARG_DATEADT(0);
	if (DATE_NOT_FINITE(d))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("date out of range")));
	def = calendar_arg(fcinfo, 1);
	PG_RETURN_BOOL(cal_is_working_day(def, d));
}
