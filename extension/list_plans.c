/*
 * list_plans.c: the ticket list's statements, planned once per shape and connection.
 *
 * helpdesk.ticket_list_run(query, p1 .. p7, p9, p10) runs one statement that
 * helpdesk.ticket_list built from fixed fragments (which filters are present, the sort column and
 * direction: its "shape"); the request's values are the statement's parameters $1..$10 ($8 is
 * unused and NULL). The statement is prepared with a generic plan (CURSOR_OPT_GENERIC_PLAN) and
 * kept (SPI_keepplan) in a per-connection table keyed by its text, so each shape is parsed and
 * planned once, and again only after DDL or ANALYZE that touches what it reads. Dynamic SQL in
 * PL/pgSQL (EXECUTE) parsed and planned the list's statements on every call (~1 ms each, more
 * than running them). Generic, because the plan cache's own choice kept custom plans: their
 * estimated cost with the offset known is always below the generic one's; the shapes carry
 * what the plan depends on (filters present, order, page size, the count's bound) in their
 * text, so the generic plan is the custom one (bench/RESULTS.md, "The ticket list").
 *
 * The number of shapes in use is small (a few dozen); the table keeps at most MAX_PLANS of them
 * and runs any further shape unkept, so a client cycling through every combination cannot grow
 * a connection's memory without bound. The statement returns one jsonb value (or none: NULL).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"

#include "helpdesk.h"

PG_FUNCTION_INFO_V1(helpdesk_ticket_list_run);

#define MAX_PLANS 256
#define MAX_QUERY_LEN 4096
#define NPARAMS 10

typedef struct ListPlan
{
	char		query[MAX_QUERY_LEN];	/* the hash key: the statement's text */
	SPIPlanPtr	plan;
} ListPlan;

static HTAB *list_plans = NULL;

static HTAB *
plans_table(void)
{
	if (list_plans == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = MAX_QUERY_LEN;
		ctl.entrysize = sizeof(ListPlan);
		list_plans = hash_create("helpdesk ticket list plans", 32, &ctl, HASH_ELEM | HASH_STRINGS);
	}
	return list_plans;
}

/*
 * The generic plan of `query` that this connection keeps, prepared and kept on first use while
 * there is room (*kept: it outlives the call; else the caller frees it). Inside SPI_connect.
 */
static SPIPlanPtr
list_plan(const char *query, int nargs, Oid *types, const char *caller, bool *kept)
{
	bool		keepable = strlen(query) < MAX_QUERY_LEN;
	ListPlan   *entry;
	SPIPlanPtr	plan;
	bool		found;

	*kept = false;
	if (keepable)
	{
		entry = (ListPlan *) hash_search(plans_table(), query, HASH_FIND, NULL);
		if (entry != NULL)
		{
			*kept = true;
			return entry->plan;
		}
	}
	plan = SPI_prepare_cursor(query, nargs, types, CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "%s: SPI_prepare failed: %s", caller, SPI_result_code_string(SPI_result));
	if (keepable && hash_get_num_entries(plans_table()) < MAX_PLANS)
	{
		SPI_keepplan(plan);
		entry = (ListPlan *) hash_search(plans_table(), query, HASH_ENTER, &found);
		entry->plan = plan;
		*kept = true;
	}
	return plan;
}

Datum
helpdesk_ticket_list_run(PG_FUNCTION_ARGS)
{
	char	   *query;
	Oid		   *argtypes;
	int			nargs;
	Oid			types[NPARAMS];
	Datum		values[NPARAMS];
	char		nulls[NPARAMS];
	SPIPlanPtr	plan;
	bool		kept;
	Datum		result = (Datum) 0;
	bool		isnull = true;
	int			ret;
	int			guc_level = 0;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("ticket_list_run needs a statement")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));

	/* The declared argument types (query text, then the 10 values) give the parameters' types. */
	get_func_signature(fcinfo->flinfo->fn_oid, &argtypes, &nargs);
	if (nargs != NPARAMS)
		elog(ERROR, "ticket_list_run: %d arguments, expected %d", nargs, NPARAMS);
	for (int i = 0; i < NPARAMS; i++)
	{
		int			arg;

		if (i == 7)
		{						/* $8: unused */
			types[i] = INT4OID;
			values[i] = (Datum) 0;
			nulls[i] = 'n';
			continue;
		}
		arg = i < 7 ? i + 1 : i;
		types[i] = argtypes[arg];
		nulls[i] = PG_ARGISNULL(arg) ? 'n' : ' ';
		values[i] = PG_ARGISNULL(arg) ? (Datum) 0 : PG_GETARG_DATUM(arg);
	}


	/*
	 * A search through the trigram index (the statement tests the indexed expression) is
	 * planned with sequential scans priced out. The generic plan does not know the pattern,
	 * and on a table of 10,000 tickets the planner chose a sequential scan, pricing each
	 * ILIKE like any operator: 5-7x slower than the bitmap of the trigram index for a word in
	 * 5% of the tickets. ticket_list only sends such a statement when the planner expects
	 * few matches (at most four times the count's bound). The setting holds for the call
	 * only, planning included: a kept plan may be rebuilt on execution after an invalidation.
	 */
	if (strstr(query, "helpdesk.ticket_search_text(") != NULL)
	{
		guc_level = NewGUCNestLevel();
		(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = list_plan(query, NPARAMS, types, "ticket_list_run", &kept);

	ret = SPI_execute_plan(plan, values, nulls, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "ticket_list_run: unexpected SPI result %d", ret);
	if (SPI_processed == 1 && SPI_tuptable->tupdesc->natts == 1
		&& SPI_gettypeid(SPI_tuptable->tupdesc, 1) == JSONBOID)
	{
		result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull)
			result = SPI_datumTransfer(result, false, -1);
	}
	else if (SPI_processed > 0)
		elog(ERROR, "ticket_list_run: the statement must return one jsonb value");
	if (!kept)
		SPI_freeplan(plan);
	SPI_finish();
	if (guc_level > 0)
		AtEOXact_GUC(true, guc_level);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

PG_FUNCTION_INFO_V1(helpdesk_ticket_list_estimate);

/*
 * helpdesk.ticket_list_estimate(query): the planner's estimate of the rows of a ticket_list
 * statement without parameters (the list with no filter), read from the generic plan this
 * connection keeps for it: no planning per call, where EXPLAIN planned it again every time
 * (a quarter of an unfiltered list's cost). With no parameter the generic plan is the plan;
 * its estimate follows the statistics, since ANALYZE invalidates the kept plan.
 */
Datum
helpdesk_ticket_list_estimate(PG_FUNCTION_ARGS)
{
	char	   *query;
	SPIPlanPtr	plan;
	bool		kept;
	CachedPlan *cplan;
	PlannedStmt *stmt;
	double		rows;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("ticket_list_estimate needs a statement")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = list_plan(query, 0, NULL, "ticket_list_estimate", &kept);

	cplan = SPI_plan_get_cached_plan(plan);
	if (cplan == NULL || list_length(cplan->stmt_list) != 1)
		elog(ERROR, "ticket_list_estimate: the statement must be one query");
	stmt = linitial_node(PlannedStmt, cplan->stmt_list);
	rows = stmt->planTree->plan_rows;
	/* SPI took it with the resource owner only for a kept (saved) plan */
	ReleaseCachedPlan(cplan, kept ? CurrentResourceOwner : NULL);
	if (!kept)
		SPI_freeplan(plan);
	SPI_finish();
	PG_RETURN_INT64((int64) rint(rows));
}
