/*
 * numbering.c: ticket numbers TKT-YYYY-NNNN.
 *
 * helpdesk.next_ticket_number(at timestamptz, time_zone text) returns the next number of the
 * year `at` falls in. The year is taken in `time_zone` when given (helpdesk.ticket_create passes
 * the setting 'ticket_number_time_zone'), else in the session's TimeZone.
 *
 * The counter is one row per year in helpdesk.ticket_number_counters, bumped with
 *
 *     INSERT ... ON CONFLICT (year) DO UPDATE SET last_value = last_value + 1 RETURNING last_value
 *
 * The upsert row-locks the year's counter until the calling transaction ends, so concurrent
 * creators take numbers one after the other: unique and increasing within a year, and a creator
 * that rolls back gives its number back before anyone else can take it. Counting never looks at
 * the tickets, so deleting tickets never makes a number come back. A new year starts a new row
 * at 1. The sequence part has at least four digits and simply grows past 9999.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "helpdesk.h"

PG_FUNCTION_INFO_V1(helpdesk_next_ticket_number);

/* The calendar year of `at`, in `zone` (NULL: the session's TimeZone). */
static int
year_of(TimestampTz at, text *zone)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;

	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("a ticket number needs a finite timestamp")));

	if (zone != NULL)
	{
		/* timezone(zone, timestamptz) gives the wall-clock time there, as a timestamp. */
		Timestamp	local = DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone,
																  PointerGetDatum(zone),
																  TimestampTzGetDatum(at)));

		if (timestamp2tm(local, NULL, &tm, &fsec, NULL, NULL) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("timestamp out of range")));
	}
	else if (timestamp2tm(at, &tz, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));

	return tm.tm_year;
}

Datum
helpdesk_next_ticket_number(PG_FUNCTION_ARGS)
{
	TimestampTz at;
	text	   *zone;
	int			year;
	int64		value;
	Oid			argtypes[1] = {INT4OID};
	Datum		values[1];
	bool		isnull;
	int			ret;
	char		buf[64];

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a ticket number needs a timestamp")));
	at = PG_GETARG_TIMESTAMPTZ(0);
	zone = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);
	year = year_of(at, zone);
	if (year < 1970 || year > 9999)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("ticket numbers exist for the years 1970 to 9999, not %d", year)));

	values[0] = Int32GetDatum(year);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args(
		"INSERT INTO helpdesk.ticket_number_counters AS c (year, last_value) VALUES ($1, 1) "
		"ON CONFLICT (year) DO UPDATE SET last_value = c.last_value + 1 "
		"RETURNING c.last_value",
		1, argtypes, values, NULL, false, 1);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "ticket number counter: unexpected SPI result %d", ret);
	value = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (isnull)
		elog(ERROR, "ticket number counter returned NULL");
	SPI_finish();

	snprintf(buf, sizeof(buf), "TKT-%04d-%04lld", year, (long long) value);
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}
