/*
 * numbering.c: ticket numbers TKT-YYYY-NNNN.
 *
 * helpdesk.next_ticket_number(at timestamptz, time_zone text) returns the next number of the
 * year `at` falls in. The year is taken in `time_zone` when given (helpdesk.ticket_create passes
 * the setting 'ticket_number_time_zone'), else in the session's TimeZone.
 *
 * Each year has its own sequence, helpdesk.ticket_numbers_<year>, and a number is its nextval.
 * The contract is numbers that never collide and increase within a year; gap-free is not part
 * of it (a rolled-back creation leaves a gap). A sequence is not transactional, so creators
 * never wait for each other: the per-year counter row of release 1.0, row-locked by each
 * creator until its commit, serialised every ticket creation (bench/RESULTS.md, "Ticket
 * numbers": about 10x more creations per second at 32 clients with the sequence).
 *
 * The first number of a year creates that year's sequence, under a transaction-level advisory
 * lock on the year: a second session making the year's first number at the same moment waits
 * for the first one's commit and then uses its sequence (tests/isolation/specs/ticket_numbers.spec).
 * The new sequence starts after the greatest of the year's counter row
 * (helpdesk.ticket_number_counters, where 1.0 counted: an upgraded desk carries on after its
 * numbers) and the greatest number of that year among the tickets, so it never hands out a
 * number that exists. The sequences are ordinary objects of the database, not members of the
 * extension, so pg_dump keeps them with their values and a restore continues after them.
 * Counting never looks at the tickets after that, so deleting tickets never brings a number back.
 * The sequence part has at least four digits and simply grows past 9999.
 *
 * The library serves every installed version: release 1.0's SQL binds the symbol
 * helpdesk_next_ticket_number, which keeps 1.0's counting (the upsert of the year's counter row,
 * held until commit) until ALTER EXTENSION helpdesk UPDATE binds helpdesk_next_ticket_number_seq.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "helpdesk.h"

PG_FUNCTION_INFO_V1(helpdesk_next_ticket_number);
PG_FUNCTION_INFO_V1(helpdesk_next_ticket_number_seq);

/* First key of the advisory lock that serialises the creation of a year's sequence. */
#define TICKET_NUMBERS_LOCK_KEY 0x484b4e4f	/* "HKNO" */

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

/* The year of the call's (at, time_zone) arguments, checked. */
static int
requested_year(FunctionCallInfo fcinfo)
{
	TimestampTz at;
	text	   *zone;
	int			year;

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
	return year;
}

/*
 * The oid of the year's sequence, created (starting after every number the year already has)
 * when it does not exist yet.
 */
static Oid
year_sequence(int year)
{
	char		name[NAMEDATALEN];
	char		sql[256];
	Oid			schema = get_namespace_oid("helpdesk", false);
	Oid			relid;
	Oid			argtypes[1] = {INT4OID};
	Datum		values[1];
	bool		isnull;
	int64		last;
	int			ret;

	snprintf(name, sizeof(name), "ticket_numbers_%d", year);
	relid = get_relname_relid(name, schema);
	if (OidIsValid(relid))
		return relid;

	/* Whoever holds the lock creates it; the others wait for that commit and see it. */
	DirectFunctionCall2(pg_advisory_xact_lock_int4,
						Int32GetDatum(TICKET_NUMBERS_LOCK_KEY), Int32GetDatum(year));
	AcceptInvalidationMessages();
	relid = get_relname_relid(name, schema);
	if (OidIsValid(relid))
		return relid;

	values[0] = Int32GetDatum(year);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * The range on ticket_number lets its unique index find the year's numbers: the regex alone
	 * read every ticket (over a second at 1M tickets, and a new year, the usual case, has none).
	 * Both bounds hold in any collation, whether it ignores punctuation or compares digits as
	 * numbers: a year's number extends the lower bound 'TKT-<year>-', and its 1 to 18 digits sort
	 * below nineteen nines. ('TKT-<year + 1>' would not do: 'TKT-10000' sorts before 'TKT-9999-1'.)
	 * The regex still decides which rows are numbers. Same statement in
	 * tests/regress/sql/30_ticket_numbers.sql, which checks its plan.
	 */
	ret = SPI_execute_with_args(
		"SELECT greatest("
		"  (SELECT c.last_value::bigint FROM helpdesk.ticket_number_counters c WHERE c.year = $1),"
		"  (SELECT max(substring(t.ticket_number FROM '[0-9]+$')::bigint) FROM helpdesk.tickets t"
		"    WHERE t.ticket_number >= ('TKT-' || $1 || '-')"
		"      AND t.ticket_number < ('TKT-' || $1 || '-' || repeat('9', 19))"
		"      AND t.ticket_number ~ ('^TKT-' || $1 || '-[0-9]{1,18}$')),"
		"  0)",
		1, argtypes, values, NULL, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "ticket numbers: unexpected SPI result %d", ret);
	last = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	/* Only an integer year and an integer start are formatted into the statement. */
	snprintf(sql, sizeof(sql),
			 "CREATE SEQUENCE helpdesk.%s AS bigint MINVALUE 1 START WITH " INT64_FORMAT, name, last + 1);
	ret = SPI_execute(sql, false, 0);
	if (ret != SPI_OK_UTILITY)
		elog(ERROR, "ticket numbers: CREATE SEQUENCE gave SPI result %d", ret);
	snprintf(sql, sizeof(sql),
			 "COMMENT ON SEQUENCE helpdesk.%s IS 'ticket numbers of %d (helpdesk.next_ticket_number)'",
			 name, year);
	ret = SPI_execute(sql, false, 0);
	if (ret != SPI_OK_UTILITY)
		elog(ERROR, "ticket numbers: COMMENT gave SPI result %d", ret);
	SPI_finish();

	relid = get_relname_relid(name, schema);
	if (!OidIsValid(relid))
		elog(ERROR, "ticket numbers: sequence %s not found after creating it", name);
	return relid;
}

Datum
helpdesk_next_ticket_number_seq(PG_FUNCTION_ARGS)
{
	int			year;
	int64		value;
	char		buf[64];

	year = requested_year(fcinfo);

	/* The function is the gate (its callers decide who may create a ticket): no ACL check. */
	value = nextval_internal(year_sequence(year), false);

	snprintf(buf, sizeof(buf), "TKT-%04d-%04lld", year, (long long) value);
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}

/* Release 1.0's numbering: the year's counter row, row-locked until the transaction ends. */
Datum
helpdesk_next_ticket_number(PG_FUNCTION_ARGS)
{
	int			year;
	int64		value;
	Oid			argtypes[1] = {INT4OID};
	Datum		values[1];
	bool		isnull;
	int			ret;
	char		buf[64];

	year = requested_year(fcinfo);

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
