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

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_statistic.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/snapmgr.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "fmgr.h"
#include "funcapi.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/syscache.h"

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
 * The generic plan of `query` that this connection keeps, prepared (with the cursor `options`
 * besides) and kept on first use while there is room (*kept: it outlives the call; else the
 * caller frees it). Inside SPI_connect. A statement's text is used with one set of options.
 */
static SPIPlanPtr
list_plan(const char *query, int nargs, Oid *types, int options, const char *caller, bool *kept)
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
	plan = SPI_prepare_cursor(query, nargs, types, CURSOR_OPT_GENERIC_PLAN | options);
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

/*
 * The statement's parameters $1..$10 from the function's arguments after the query text (p1 ..
 * p7, p9, p10; $8 is unused and NULL), typed by the function's declared argument types. `extra`
 * arguments of the function follow them (not parameters).
 */
static void
list_params(FunctionCallInfo fcinfo, const char *caller, int extra, Oid *types, Datum *values, char *nulls)
{
	Oid		   *argtypes;
	int			nargs;

	get_func_signature(fcinfo->flinfo->fn_oid, &argtypes, &nargs);
	if (nargs != NPARAMS + extra)
		elog(ERROR, "%s: %d arguments, expected %d", caller, nargs, NPARAMS + extra);
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
}

Datum
helpdesk_ticket_list_run(PG_FUNCTION_ARGS)
{
	char	   *query;
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

	list_params(fcinfo, "ticket_list_run", 0, types, values, nulls);

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
	plan = list_plan(query, NPARAMS, types, 0, "ticket_list_run", &kept);

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

/* The planner's rows of a statement without parameters, from its kept generic plan. In SPI. */
static double
kept_plan_rows(const char *query)
{
	SPIPlanPtr	plan;
	bool		kept;
	CachedPlan *cplan;
	PlannedStmt *stmt;
	double		rows;

	plan = list_plan(query, 0, NULL, 0, "ticket_list_estimate", &kept);
	cplan = SPI_plan_get_cached_plan(plan);
	if (cplan == NULL || list_length(cplan->stmt_list) != 1)
		elog(ERROR, "ticket_list_estimate: the statement must be one query");
	stmt = linitial_node(PlannedStmt, cplan->stmt_list);
	rows = stmt->planTree->plan_rows;
	/* SPI took it with the resource owner only for a kept (saved) plan */
	ReleaseCachedPlan(cplan, kept ? CurrentResourceOwner : NULL);
	if (!kept)
		SPI_freeplan(plan);
	return rows;
}

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
	double		rows;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("ticket_list_estimate needs a statement")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rows = kept_plan_rows(query);
	SPI_finish();
	PG_RETURN_INT64((int64) rint(rows));
}

PG_FUNCTION_INFO_V1(helpdesk_ticket_list_walk);

/* One "key": value member of the object being built. */
static void
push_member(JsonbParseState **state, const char *key, JsonbValue *value)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &k);
	pushJsonbValue(state, WJB_VALUE, value);
}

/*
 * helpdesk.ticket_list_walk(query, p1 .. p7, p9, skip, take, want, budget): walks a statement
 * returning (id int, matched boolean) in the list's order (the rows in scope of the other
 * filters, each tested against the search) through its kept plan, row by row, until `want` rows
 * matched, the statement ended, or `budget` rows were read (0: no budget). Returns {"ids": the
 * ids of matches skip+1 .. skip+take, "walked": rows read, "matches": matches among them, "end":
 * true when the statement ran out}. The plan is made for a cursor that reads few of its rows
 * (cursor_tuple_fraction 0.001 while it is planned): it walks the sort order's index rather than
 * sorting every row in scope; and without JIT (below). The rows walked and the matches among them are
 * what ticket_list estimates a common word's total from: a LIMIT/OFFSET over the matches alone
 * found the page but said nothing of how many rows it had passed.
 */
Datum
helpdesk_ticket_list_walk(PG_FUNCTION_ARGS)
{
	char	   *query;
	Oid			types[NPARAMS];
	Datum		values[NPARAMS];
	char		nulls[NPARAMS];
	SPIPlanPtr	plan;
	bool		kept;
	Portal		portal;
	int64		skip = PG_ARGISNULL(9) ? 0 : PG_GETARG_INT64(9);
	int32		take = PG_ARGISNULL(10) ? 0 : PG_GETARG_INT32(10);
	int64		want = PG_ARGISNULL(11) ? 0 : PG_GETARG_INT64(11);
	int64		budget = PG_ARGISNULL(12) ? 0 : PG_GETARG_INT64(12);
	int			guc_level;
	int64		walked = 0;
	int64		matches = 0;
	bool		ended = false;
	long		batch = 64;		/* the first fetch: a page of a common word is near */
	JsonbParseState *state = NULL;
	JsonbValue	v;
	JsonbValue *res;
	MemoryContext caller_cxt = CurrentMemoryContext;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("ticket_list_walk needs a statement")));
	if (skip < 0 || take < 0 || want < 0 || budget < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ticket_list_walk: skip, take, want and budget must not be negative")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	list_params(fcinfo, "ticket_list_walk", 3, types, values, nulls);
	if (budget > 0 && batch > budget)
		batch = (long) budget;

	/* the answer is built in the caller's context: SPI_finish frees SPI's */
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	v.type = jbvString;
	v.val.string.val = "ids";
	v.val.string.len = 3;
	pushJsonbValue(&state, WJB_KEY, &v);
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/*
	 * For the call, planning included (a kept plan may be rebuilt when the cursor opens). No
	 * JIT: the plan's cost is that of every row in scope, past jit_above_cost at 1M tickets,
	 * and compiling its expressions took ~25 ms of a walk that reads ~800 rows in 1 ms.
	 */
	guc_level = NewGUCNestLevel();
	(void) set_config_option("cursor_tuple_fraction", "0.001", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	plan = list_plan(query, NPARAMS, types, CURSOR_OPT_FAST_PLAN, "ticket_list_walk", &kept);
	portal = SPI_cursor_open(NULL, plan, values, nulls, true);
	while (matches < want && (budget == 0 || walked < budget))
	{
		TupleDesc	desc;

		SPI_cursor_fetch(portal, true, batch);
		if (SPI_processed == 0)
		{
			ended = true;
			break;
		}
		desc = SPI_tuptable->tupdesc;
		if (desc->natts != 2 || SPI_gettypeid(desc, 1) != INT4OID || SPI_gettypeid(desc, 2) != BOOLOID)
			elog(ERROR, "ticket_list_walk: the statement must return (id int, matched boolean)");
		for (uint64 r = 0; r < SPI_processed && matches < want && (budget == 0 || walked < budget); r++)
		{
			bool		isnull;
			Datum		matched = SPI_getbinval(SPI_tuptable->vals[r], desc, 2, &isnull);

			walked++;
			if (isnull || !DatumGetBool(matched))
				continue;
			if (matches >= skip && matches < skip + take)
			{
				Datum		id = SPI_getbinval(SPI_tuptable->vals[r], desc, 1, &isnull);
				MemoryContext spi_cxt = MemoryContextSwitchTo(caller_cxt);

				v.type = jbvNumeric;
				v.val.numeric = DatumGetNumeric(DirectFunctionCall1(int4_numeric, id));
				pushJsonbValue(&state, WJB_ELEM, &v);
				MemoryContextSwitchTo(spi_cxt);
			}
			matches++;
		}
		SPI_freetuptable(SPI_tuptable);

		/*
		 * The next batch: the rows the matches so far say are still needed, and a little more
		 * (each row fetched is tested, wanted or not); doubling while nothing matched.
		 */
		if (matches > 0 && matches < want)
			batch = (long) Min((double) (want - matches) * walked / matches * 1.2 + 8, 4096.0);
		else
			batch = Min(batch * 2, 4096);
		if (budget > 0)
			batch = Max(Min(batch, budget - walked), 1);
	}
	SPI_cursor_close(portal);
	if (!kept)
		SPI_freeplan(plan);
	SPI_finish();
	AtEOXact_GUC(true, guc_level);

	pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(walked);
	push_member(&state, "walked", &v);
	v.val.numeric = int64_to_numeric(matches);
	push_member(&state, "matches", &v);
	v.type = jbvBool;
	v.val.boolean = ended;
	push_member(&state, "end", &v);
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}

PG_FUNCTION_INFO_V1(helpdesk_ticket_search_matches);

/*
 * What helpdesk.ticket_search_matches keeps between rows (fn_extra): the search's text, lowered,
 * for the pattern it was decoded from.
 */
typedef struct SearchNeedle
{
	text	   *pattern;		/* like_pattern(search), as given */
	char	   *lowered;		/* lower(search) */
	int			len;
	bool		ascii;			/* lowered has only ASCII bytes */
	bool		ascii_fold;		/* lower() of ASCII text is the ASCII fold under this collation */
} SearchNeedle;

static text *
lower_text(text *t, Oid collation)
{
	return DatumGetTextPP(DirectFunctionCall1Coll(lower, collation, PointerGetDatum(t)));
}

static bool
contains_bytes(const char *hay, int hay_len, const char *needle, int len)
{
	for (int i = 0; i + len <= hay_len; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, len) == 0)
			return true;
	return false;
}

/* A-Z to a-z, inline: pg_ascii_tolower is a call per byte (5% of a walk's samples, perf) */
static inline unsigned char
fold_ascii(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/*
 * Whether the text contains the lowered ASCII needle, folding A-Z on the fly (no copy, no wide
 * characters), in one pass that also tells whether the text has a non-ASCII byte (*other). A
 * match found among ASCII bytes is a match of lower(text) whatever else the text holds (each
 * ASCII character lowers to itself folded, in place); no match in text with other bytes says
 * nothing (lower() of U+212A KELVIN SIGN is 'k').
 */
static bool
contains_ascii_folded(const unsigned char *hay, int hay_len, const unsigned char *needle, int len,
					  bool *other)
{
	unsigned char first = needle[0];
	unsigned char first_upper = (first >= 'a' && first <= 'z') ? first - ('a' - 'A') : first;
	int			last = hay_len - len;

	*other = false;
	for (int i = 0; i < hay_len; i++)
	{
		unsigned char c = hay[i];

		if (IS_HIGHBIT_SET(c))
			*other = true;
		else if ((c == first || c == first_upper) && i <= last)
		{
			int			j = 1;

			while (j < len && fold_ascii(hay[i + j]) == needle[j])
				j++;
			if (j == len)
				return true;
		}
	}
	return false;
}

static bool
field_matches(text *field, SearchNeedle *n, Oid collation)
{
	const char *s = VARDATA_ANY(field);
	int			len = VARSIZE_ANY_EXHDR(field);
	text	   *low;

	if (n->len == 0)
		return true;
	if (n->ascii_fold)
	{
		bool		other;

		if (n->ascii)
		{
			if (contains_ascii_folded((const unsigned char *) s, len, (const unsigned char *) n->lowered,
									  n->len, &other))
				return true;
		}
		else
		{
			other = false;
			for (int i = 0; i < len && !other; i++)
				other = IS_HIGHBIT_SET(s[i]);
		}
		/* ASCII text lowers to ASCII: it holds a non-ASCII needle nowhere */
		if (!other)
			return false;
	}
	low = lower_text(field, collation);
	return contains_bytes(VARDATA_ANY(low), VARSIZE_ANY_EXHDR(low), n->lowered, n->len);
}

/*
 * helpdesk.ticket_search_matches(title, description, ticket_number, pattern): whether
 * `title ILIKE pattern OR description ILIKE pattern OR ticket_number ILIKE pattern`, for a
 * pattern made by helpdesk.like_pattern (a search text, wildcards escaped, between two %).
 * The same answer as ILIKE, which lowers both sides with lower() of the collation and matches:
 * here the search is lowered once per statement, and a field of ASCII text is matched folding
 * A-Z in place when the collation lowers ASCII that way (checked once), where lower() converted
 * every field to wide characters and back (~20% of a search's backend CPU, bench/RESULTS.md).
 * Other text goes through lower() as ILIKE does. UTF-8 is self-synchronising, so a byte
 * substring of lowered text is a character substring. A NULL field does not match.
 */
/*
 * The needle of a like_pattern pattern, kept in flinfo->fn_extra between calls (rows) and made
 * again when the pattern changes.
 */
static SearchNeedle *
search_needle(FmgrInfo *flinfo, text *pattern, Oid collation, const char *caller)
{
	SearchNeedle *n = (SearchNeedle *) flinfo->fn_extra;

	if (n == NULL || VARSIZE_ANY_EXHDR(n->pattern) != VARSIZE_ANY_EXHDR(pattern)
		|| memcmp(VARDATA_ANY(n->pattern), VARDATA_ANY(pattern), VARSIZE_ANY_EXHDR(pattern)) != 0)
	{
		MemoryContext old = MemoryContextSwitchTo(flinfo->fn_mcxt);
		const char *p = VARDATA_ANY(pattern);
		int			plen = VARSIZE_ANY_EXHDR(pattern);
		StringInfoData search;
		text	   *low;
		char		ascii_all[128];
		text	   *ascii_low;

		if (plen < 2 || p[0] != '%' || p[plen - 1] != '%')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s needs a pattern made by helpdesk.like_pattern", caller)));
		/* the search's text: between the two %, each \x is x (like_pattern escapes \, % and _) */
		initStringInfo(&search);
		for (int i = 1; i < plen - 1; i++)
		{
			if (p[i] == '\\' && i + 1 < plen - 1)
				i++;
			else if (p[i] == '%' || p[i] == '_')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s needs a pattern made by helpdesk.like_pattern", caller)));
			appendStringInfoChar(&search, p[i]);
		}
		low = lower_text(cstring_to_text_with_len(search.data, search.len), collation);
		if (n == NULL)
			n = (SearchNeedle *) palloc0(sizeof(SearchNeedle));
		else
		{
			pfree(n->pattern);
			pfree(n->lowered);
		}
		n->pattern = (text *) palloc(VARSIZE_ANY(pattern));
		memcpy(n->pattern, pattern, VARSIZE_ANY(pattern));
		n->len = VARSIZE_ANY_EXHDR(low);
		n->lowered = pnstrdup(VARDATA_ANY(low), n->len);
		n->ascii = true;
		for (int i = 0; i < n->len; i++)
			n->ascii = n->ascii && !IS_HIGHBIT_SET(n->lowered[i]);
		/* does lower() of every ASCII character give its ASCII fold here? (not in a Turkish locale) */
		for (int c = 1; c < 128; c++)
			ascii_all[c - 1] = (char) c;
		ascii_low = lower_text(cstring_to_text_with_len(ascii_all, 127), collation);
		n->ascii_fold = VARSIZE_ANY_EXHDR(ascii_low) == 127;
		for (int c = 1; c < 128 && n->ascii_fold; c++)
			n->ascii_fold = VARDATA_ANY(ascii_low)[c - 1] == pg_ascii_tolower((unsigned char) c);
		flinfo->fn_extra = n;
		MemoryContextSwitchTo(old);
	}
	return n;
}

Datum
helpdesk_ticket_search_matches(PG_FUNCTION_ARGS)
{
	Oid			collation = OidIsValid(PG_GET_COLLATION()) ? PG_GET_COLLATION() : DEFAULT_COLLATION_OID;
	SearchNeedle *n;

	if (PG_ARGISNULL(3))
		PG_RETURN_NULL();
	n = search_needle(fcinfo->flinfo, PG_GETARG_TEXT_PP(3), collation, "ticket_search_matches");
	for (int arg = 0; arg < 3; arg++)
		if (!PG_ARGISNULL(arg) && field_matches(PG_GETARG_TEXT_PP(arg), n, collation))
			PG_RETURN_BOOL(true);
	PG_RETURN_BOOL(false);
}

PG_FUNCTION_INFO_V1(helpdesk_ticket_search_share);

/*
 * helpdesk.ticket_search_share(index, pattern): the planner's estimate of the share of rows whose
 * search text matches `pattern` (a like_pattern), from the statistics ANALYZE keeps for the
 * expression of `index` (its first column: helpdesk.ticket_search_text, trigram-indexed), as
 * PostgreSQL's ILIKE selectivity computes it for a pattern that is not a prefix (selfuncs.c,
 * patternsel_common): the matching share of the histogram's inner entries, clamped to
 * [0.0001, 0.9999], then the most common values merged in. NULL without statistics or with a
 * histogram of fewer than 100 entries (where PostgreSQL mixes in a heuristic: the caller asks
 * the planner instead). What EXPLAIN of the pattern's count answered, without planning a
 * statement on every search (~0.7 ms of a 4 ms search at 1M tickets, bench/RESULTS.md). Every
 * entry is tested with ticket_search_matches' test, ILIKE's answer.
 */
Datum
helpdesk_ticket_search_share(PG_FUNCTION_ARGS)
{
	Oid			collation = OidIsValid(PG_GET_COLLATION()) ? PG_GET_COLLATION() : DEFAULT_COLLATION_OID;
	Oid			index;
	SearchNeedle *n;
	HeapTuple	stats;
	AttStatsSlot hist;
	AttStatsSlot mcv;
	double		nullfrac;
	double		selec;
	double		mcv_selec = 0;
	double		sumcommon = 0;
	int			hits = 0;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	index = PG_GETARG_OID(0);
	n = search_needle(fcinfo->flinfo, PG_GETARG_TEXT_PP(1), collation, "ticket_search_share");

	stats = SearchSysCache3(STATRELATTINH, ObjectIdGetDatum(index), Int16GetDatum(1), BoolGetDatum(false));
	if (!HeapTupleIsValid(stats))
		PG_RETURN_NULL();
	nullfrac = ((Form_pg_statistic) GETSTRUCT(stats))->stanullfrac;
	if (!get_attstatsslot(&hist, stats, STATISTIC_KIND_HISTOGRAM, InvalidOid, ATTSTATSSLOT_VALUES))
	{
		ReleaseSysCache(stats);
		PG_RETURN_NULL();
	}
	if (hist.nvalues < 100 || hist.valuetype != TEXTOID)
	{
		free_attstatsslot(&hist);
		ReleaseSysCache(stats);
		PG_RETURN_NULL();
	}
	/* the first and last entries are the extremes of the sample: skipped, as the planner does */
	for (int i = 1; i < hist.nvalues - 1; i++)
		if (field_matches(DatumGetTextPP(hist.values[i]), n, collation))
			hits++;
	selec = (double) hits / (hist.nvalues - 2);
	free_attstatsslot(&hist);
	selec = Max(Min(selec, 0.9999), 0.0001);

	if (get_attstatsslot(&mcv, stats, STATISTIC_KIND_MCV, InvalidOid, ATTSTATSSLOT_VALUES | ATTSTATSSLOT_NUMBERS))
	{
		if (mcv.valuetype == TEXTOID)
			for (int i = 0; i < mcv.nvalues && i < mcv.nnumbers; i++)
			{
				sumcommon += mcv.numbers[i];
				if (field_matches(DatumGetTextPP(mcv.values[i]), n, collation))
					mcv_selec += mcv.numbers[i];
			}
		free_attstatsslot(&mcv);
	}
	ReleaseSysCache(stats);

	/* the histogram describes the rows that are neither NULL nor among the most common values */
	selec = selec * (1.0 - nullfrac - sumcommon) + mcv_selec;
	PG_RETURN_FLOAT8(Max(Min(selec, 1.0), 0.0));
}

/*
 * helpdesk.ticket_list(actor, status, priority, category_id, submitter_id, assignee_id,
 * unassigned, search, sla_breached, sla_at_risk, page, page_size, sort_by, sort_order, at,
 * explain): the ticket list (sql/30_tickets.sql, "The ticket list"). A search, or explain, is
 * helpdesk.ticket_list_search's (PL/pgSQL, the same arguments). Any other list is two statements
 * per call, through the generic plans this connection keeps for its shape:
 *
 *   the bound (setting ticket_list_exact_count) and the count of the rows in scope up to the
 *   bound + 1 (with no filter, counted by count_tickets); then the page (only when the count
 *   leaves rows for it), each ticket joined to its includes and its resolution clock
 *   ("breached": sla_clock_breached)
 *
 * and the page is written by ticket_json.c's writer straight from the statement's rows, inside
 * helpdesk.paginated's shape. Through PL/pgSQL the default list was two more PL/pgSQL frames
 * (and the pinned helpers), five statements and the per-call planning of SQL helpers
 * (bench/RESULTS.md, "The default list in C").
 *
 * The shape (the statement's text) is built once per connection and key: the actor's role,
 * which filters are given, the sort field and direction and the page size; the fragments come
 * from the SQL that defines them (ticket_filter_conds, ticket_where_sql, ticket_sort_column),
 * asked on a key's first use, and are dropped when any function changes (a syscache callback on
 * pg_proc: the definitions are SQL, replaced by an upgrade). Nothing of the data is kept: every
 * call reads the bound, the count, the page and the includes in its own snapshot.
 */
PG_FUNCTION_INFO_V1(helpdesk_ticket_list);

enum
{
	L_ACTOR, L_STATUS, L_PRIORITY, L_CATEGORY_ID, L_SUBMITTER_ID, L_ASSIGNEE_ID, L_UNASSIGNED,
	L_SEARCH, L_SLA_BREACHED, L_SLA_AT_RISK, L_PAGE, L_PAGE_SIZE, L_SORT_BY, L_SORT_ORDER, L_AT,
	L_EXPLAIN, L_NARGS
};

#define MAX_SHAPES 256
#define MAX_SORT_BY 64

typedef struct ListShapeKey
{
	Oid			role;			/* the actor's role (an enum value), InvalidOid: none */
	uint32		given;			/* bit per filter: given (or true, for the booleans) */
	int32		page_size;
	bool		ascending;
	bool		sort_by_null;
	char		sort_by[MAX_SORT_BY];	/* as given, zero-padded */
} ListShapeKey;

typedef struct ListShape
{
	ListShapeKey key;
	char	   *count;			/* the bound and the count up to it + 1 (TopMemoryContext) */
	char	   *page;			/* the page's rows with their includes */
	char	   *where_sql;		/* ' WHERE ...' of the filters, or '' */
} ListShape;

static HTAB *list_shapes = NULL;
static bool list_shapes_stale = false;
static bool list_shapes_callback = false;

static void
list_shapes_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	list_shapes_stale = true;
}

static HTAB *
shapes_table(void)
{
	if (!list_shapes_callback)
	{
		CacheRegisterSyscacheCallback(PROCOID, list_shapes_invalidate, (Datum) 0);
		list_shapes_callback = true;
	}
	if (list_shapes != NULL && list_shapes_stale)
	{
		HASH_SEQ_STATUS seq;
		ListShape  *shape;

		hash_seq_init(&seq, list_shapes);
		while ((shape = (ListShape *) hash_seq_search(&seq)) != NULL)
		{
			pfree(shape->count);
			pfree(shape->page);
			pfree(shape->where_sql);
		}
		hash_destroy(list_shapes);
		list_shapes = NULL;
	}
	list_shapes_stale = false;
	if (list_shapes == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(ListShapeKey);
		ctl.entrysize = sizeof(ListShape);
		list_shapes = hash_create("helpdesk ticket list shapes", 32, &ctl, HASH_ELEM | HASH_BLOBS);
	}
	return list_shapes;
}

/* The bound of the exact count (the count statement's first column). */
#define LIST_BOUND "SELECT greatest(helpdesk.setting('ticket_list_exact_count', '1000')::bigint, 0)"

/*
 * The tickets this statement sees (its snapshot, as SPI's statements), counted up to `limit`:
 * the count of a list with no filter, whose scope is every ticket. A sequential scan read here,
 * ~150 instructions a row, where the same count through the executor (a LIMIT under count(*))
 * took ~800: 0.8 million of the default list's ~3.7 million a call (callgrind,
 * bench/RESULTS.md). Decided by the count, not by the statistics: those can be stale.
 */
static int64
count_tickets(int64 limit)
{
	Oid			relid = get_relname_relid("tickets", get_namespace_oid("helpdesk", false));
	Relation	rel;
	TableScanDesc scan;
	TupleTableSlot *slot;
	AclResult	acl;
	int64		n = 0;

	if (!OidIsValid(relid))
		elog(ERROR, "ticket_list: no table helpdesk.tickets");
	acl = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_TABLE, "tickets");
	rel = table_open(relid, AccessShareLock);
	/* no synchronized scan: it would start where another scan is and move the shared position */
	scan = table_beginscan_strat(rel, ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot(),
								 0, NULL, true, false);
	slot = table_slot_create(rel, NULL);
	while (n < limit && table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		n++;
		CHECK_FOR_INTERRUPTS();
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return n;
}

/* What one call site keeps (fn_extra): the function's argument types. */
typedef struct ListCall
{
	Oid			argtypes[L_NARGS];
} ListCall;

static bool
arg_true(FunctionCallInfo fcinfo, int arg)
{
	return !PG_ARGISNULL(arg) && PG_GETARG_BOOL(arg);
}

/* helpdesk.ticket_list_search(the same arguments) */
static Datum
list_search(FunctionCallInfo fcinfo, ListCall *call)
{
	LOCAL_FCINFO(search, L_NARGS);
	FmgrInfo	flinfo;
	Oid			fn;
	Datum		result;

	fn = LookupFuncName(list_make2(makeString("helpdesk"), makeString("ticket_list_search")),
						L_NARGS, call->argtypes, false);
	fmgr_info(fn, &flinfo);
	InitFunctionCallInfoData(*search, &flinfo, L_NARGS, PG_GET_COLLATION(), NULL, NULL);
	for (int i = 0; i < L_NARGS; i++)
		search->args[i] = fcinfo->args[i];
	result = FunctionCallInvoke(search);
	if (search->isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

/*
 * The shape of this call: its key's statement, made on the key's first use from the SQL
 * definitions of the fragments (which also refuse an unknown sort field). In SPI.
 */
static ListShape *
list_shape(FunctionCallInfo fcinfo, ListCall *call, Datum actor_role, bool role_null)
{
	ListShapeKey key;
	ListShape  *shape;
	bool		found;
	const char *sort_by = NULL;
	bool		cacheable = true;
	static const int filters[] = {L_STATUS, L_PRIORITY, L_CATEGORY_ID, L_SUBMITTER_ID, L_ASSIGNEE_ID};
	static const int flags[] = {L_UNASSIGNED, L_SLA_BREACHED, L_SLA_AT_RISK};

	memset(&key, 0, sizeof(key));
	key.role = role_null ? InvalidOid : DatumGetObjectId(actor_role);
	for (int i = 0; i < (int) lengthof(filters); i++)
		if (!PG_ARGISNULL(filters[i]))
			key.given |= 1 << i;
	for (int i = 0; i < (int) lengthof(flags); i++)
		if (arg_true(fcinfo, flags[i]))
			key.given |= 1 << (lengthof(filters) + i);
	key.page_size = PG_GETARG_INT32(L_PAGE_SIZE);
	key.ascending = !PG_ARGISNULL(L_SORT_ORDER)
		&& pg_strcasecmp(TextDatumGetCString(PG_GETARG_DATUM(L_SORT_ORDER)), "ASC") == 0;
	key.sort_by_null = PG_ARGISNULL(L_SORT_BY);
	if (!key.sort_by_null)
	{
		sort_by = TextDatumGetCString(PG_GETARG_DATUM(L_SORT_BY));
		if (strlen(sort_by) < MAX_SORT_BY)
			strcpy(key.sort_by, sort_by);
		else
			cacheable = false;	/* no sort field is that long: ticket_sort_column refuses it */
	}

	shape = cacheable ? (ListShape *) hash_search(shapes_table(), &key, HASH_FIND, NULL) : NULL;
	if (shape == NULL)
	{
		/* the fragments, from their SQL definitions, with this call's values */
		Oid			types[10];
		Datum		values[10];
		char		nulls[10];
		static const int args[] = {L_ACTOR, L_STATUS, L_PRIORITY, L_CATEGORY_ID, L_SUBMITTER_ID,
		L_ASSIGNEE_ID, L_UNASSIGNED, L_SLA_BREACHED, L_SLA_AT_RISK, L_SORT_BY};
		char	   *where_sql;
		char	   *column;
		const char *dir = key.ascending ? "ASC" : "DESC";
		bool		isnull;
		StringInfoData count;
		StringInfoData q;
		MemoryContext old;

		for (int i = 0; i < (int) lengthof(args); i++)
		{
			types[i] = call->argtypes[args[i]];
			values[i] = PG_ARGISNULL(args[i]) ? (Datum) 0 : PG_GETARG_DATUM(args[i]);
			nulls[i] = PG_ARGISNULL(args[i]) ? 'n' : ' ';
		}
		if (SPI_execute_with_args("SELECT helpdesk.ticket_where_sql(helpdesk.ticket_filter_conds("
								  "$1, $2, $3, $4, $5, $6, $7, $8, $9)), "
								  "helpdesk.ticket_sort_column($10)",
								  10, types, values, nulls, true, 1) != SPI_OK_SELECT
			|| SPI_processed != 1)
			elog(ERROR, "ticket_list: the list's fragments");
		where_sql = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		column = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));

		/*
		 * Two statements, each a small plan (executor start-up was a third of the call when the
		 * count, the page and its includes were one statement of subqueries and a window):
		 * the bound and the count of the rows in scope up to it + 1 (exact up to the bound);
		 * the page (its rows chosen first: joined before the OFFSET, a deep page joined every
		 * skipped row, 30/s at page 1,000 of 10,000 tickets), each ticket joined to its includes
		 * and its resolution clock. Users and
		 * categories are joined to the page's rows, so the plan reads each user once per page
		 * (Memoize) and the categories once (a hash of the small table).
		 */
		initStringInfo(&count);
		appendStringInfo(&count,
						 "SELECT s.cap, (SELECT count(*) FROM (SELECT FROM helpdesk.tickets t%s LIMIT s.cap + 1) x)"
						 " FROM (SELECT greatest(helpdesk.setting('ticket_list_exact_count', '1000')::bigint, 0) AS cap) s",
						 where_sql);
		initStringInfo(&q);
		appendStringInfoString(&q, "SELECT ");
		helpdesk_ticket_select_list(&q, "t", "su", "au", "k");
		appendStringInfo(&q,
						 ", helpdesk.sla_clock_breached(r, $9) AS sla_breached"
						 " FROM (SELECT t.* FROM helpdesk.tickets t%s ORDER BY t.%s %s, t.id %s LIMIT %d OFFSET $10) t"
						 " LEFT JOIN helpdesk.users su ON su.id = t.submitter_id"
						 " LEFT JOIN helpdesk.users au ON au.id = t.assignee_id"
						 " LEFT JOIN helpdesk.categories k ON k.id = t.category_id"
						 " LEFT JOIN helpdesk.sla_clocks r ON r.ticket_id = t.id AND r.kind = 'resolution'"
						 " ORDER BY t.%s %s, t.id %s",
						 where_sql, quote_identifier(column), dir, dir, key.page_size,
						 quote_identifier(column), dir, dir);
		if (!cacheable || hash_get_num_entries(shapes_table()) >= MAX_SHAPES)
		{
			shape = (ListShape *) palloc0(sizeof(ListShape));
			shape->count = count.data;
			shape->page = q.data;
			shape->where_sql = where_sql;
			return shape;
		}
		old = MemoryContextSwitchTo(TopMemoryContext);
		shape = (ListShape *) hash_search(shapes_table(), &key, HASH_ENTER, &found);
		shape->count = pstrdup(count.data);
		shape->page = pstrdup(q.data);
		shape->where_sql = pstrdup(where_sql);
		MemoryContextSwitchTo(old);
	}
	return shape;
}

Datum
helpdesk_ticket_list(PG_FUNCTION_ARGS)
{
	ListCall   *call = (ListCall *) fcinfo->flinfo->fn_extra;
	MemoryContext caller_cxt = CurrentMemoryContext;
	Datum		actor_id = (Datum) 0,
				actor_role = (Datum) 0;
	bool		id_null = true,
				role_null = true;
	int32		page,
				page_size;
	int64		page_offset;
	ListShape  *shape;
	Oid			types[NPARAMS];
	Datum		values[NPARAMS];
	char		nulls[NPARAMS];
	SPIPlanPtr	plan;
	bool		kept;
	bool		isnull;
	int64		cap,
				counted,
				total;
	bool		estimated = false;
	HeapTuple  *rows;
	int			nrows;
	HelpdeskTicketRows *writer;
	int			guc_level;
	JsonbValue	array;
	Jsonb	   *items;
	Datum		result;

	if (call == NULL)
	{
		Oid		   *argtypes;
		int			nargs;

		get_func_signature(fcinfo->flinfo->fn_oid, &argtypes, &nargs);
		if (nargs != L_NARGS)
			elog(ERROR, "ticket_list: %d arguments, expected %d", nargs, L_NARGS);
		call = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(ListCall));
		memcpy(call->argtypes, argtypes, sizeof(call->argtypes));
		fcinfo->flinfo->fn_extra = call;
	}
	if (!PG_ARGISNULL(L_SEARCH) || arg_true(fcinfo, L_EXPLAIN))
		return list_search(fcinfo, call);
	if (PG_ARGISNULL(L_PAGE) || PG_ARGISNULL(L_PAGE_SIZE))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("ticket_list needs a page and a page size")));
	page = PG_GETARG_INT32(L_PAGE);
	page_size = PG_GETARG_INT32(L_PAGE_SIZE);
	if (page_size < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ticket_list: the page size must be at least 1")));
	page_offset = ((int64) page - 1) * page_size;
	if (!PG_ARGISNULL(L_ACTOR))
	{
		HeapTupleHeader actor = PG_GETARG_HEAPTUPLEHEADER(L_ACTOR);

		actor_id = GetAttributeByName(actor, "id", &id_null);
		actor_role = GetAttributeByName(actor, "role", &role_null);
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	shape = list_shape(fcinfo, call, actor_role, role_null);

	/* $1 actor id, $2 submitterId, $3 status, $4 priority, $5 categoryId, $6 assigneeId, $9 at, $10 offset */
	{
		static const int args[] = {-1, L_SUBMITTER_ID, L_STATUS, L_PRIORITY, L_CATEGORY_ID,
		L_ASSIGNEE_ID, L_SEARCH, -1, L_AT, -1};

		for (int i = 0; i < NPARAMS; i++)
		{
			int			arg = args[i];

			types[i] = arg >= 0 ? call->argtypes[arg] : INT4OID;
			values[i] = arg >= 0 && !PG_ARGISNULL(arg) ? PG_GETARG_DATUM(arg) : (Datum) 0;
			nulls[i] = arg >= 0 && !PG_ARGISNULL(arg) ? ' ' : 'n';
		}
		values[0] = actor_id;
		nulls[0] = id_null ? 'n' : ' ';
		types[9] = INT8OID;
		values[9] = Int64GetDatum(page_offset);
		nulls[9] = ' ';
	}
	/* the bound, and the count up to it + 1 (no filter: every ticket, counted here) */
	plan = list_plan(shape->where_sql[0] == '\0' ? LIST_BOUND : shape->count, NPARAMS, types, 0,
					 "ticket_list", &kept);
	if (SPI_execute_plan(plan, values, nulls, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "ticket_list: the count returned nothing");
	cap = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (shape->where_sql[0] == '\0')
		counted = count_tickets(cap + 1);
	else
		counted = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (!kept)
		SPI_freeplan(plan);
	if (counted <= cap)
		total = counted;
	else
	{
		/* past the bound: the planner's estimate of the rows in scope, at least the bound + 1 */
		double		est;

		estimated = true;
		if (shape->where_sql[0] == '\0')
			est = kept_plan_rows("SELECT FROM helpdesk.tickets t");
		else
		{
			Oid			etypes[9];
			Datum		evalues[9];
			char		enulls[9];

			etypes[0] = TEXTOID;
			evalues[0] = CStringGetTextDatum(psprintf("SELECT FROM helpdesk.tickets t%s", shape->where_sql));
			enulls[0] = ' ';
			/* p1 .. p7, p9 */
			for (int i = 0; i < 8; i++)
			{
				int			p = i < 7 ? i : 8;

				etypes[i + 1] = types[p];
				evalues[i + 1] = values[p];
				enulls[i + 1] = nulls[p];
			}
			if (SPI_execute_with_args("SELECT helpdesk.estimate_rows($1, $2, $3, $4, $5, $6, $7, $8, $9)",
									  9, etypes, evalues, enulls, false, 1) != SPI_OK_SELECT
				|| SPI_processed != 1)
				elog(ERROR, "ticket_list: the estimate");
			est = (double) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			if (isnull)
				est = 0;
		}
		total = Max(cap + 1, (int64) rint(est));
	}

	/* the page, unless it is past an exact end */
	nrows = 0;
	rows = NULL;
	writer = NULL;
	if (estimated || total > page_offset)
	{
		/*
		 * Planned (and run: a kept plan may be rebuilt on execution) without Memoize: sized
		 * for the thousands of users the generic plan expects, its three caches' set-up cost
		 * more than the 60 lookups of a page they save (~600,000 instructions a call, most in
		 * memset; callgrind, bench/RESULTS.md).
		 */
		guc_level = NewGUCNestLevel();
		(void) set_config_option("enable_memoize", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		plan = list_plan(shape->page, NPARAMS, types, 0, "ticket_list", &kept);
		if (SPI_execute_plan(plan, values, nulls, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "ticket_list: the page's statement failed");
		AtEOXact_GUC(true, guc_level);
		nrows = (int) SPI_processed;
		rows = SPI_tuptable->vals;
		writer = helpdesk_ticket_rows_begin(SPI_tuptable->tupdesc);
		if (!kept)
			SPI_freeplan(plan);
		/* a walk that ended before filling its page reached the end: the total is exact */
		if (estimated && nrows < page_size)
		{
			if (nrows > 0 || page_offset == 0)
			{
				estimated = false;
				total = page_offset + nrows;
			}
			else
				total = Min(total, page_offset);
		}
	}

	/* the page's objects (pointing into the rows), written once in the caller's context */
	array.type = jbvArray;
	array.val.array.rawScalar = false;
	array.val.array.nElems = nrows;
	array.val.array.elems = palloc(Max(nrows, 1) * sizeof(JsonbValue));
	for (int i = 0; i < nrows; i++)
		helpdesk_ticket_rows_value(writer, rows[i], false, &array.val.array.elems[i]);
	MemoryContextSwitchTo(caller_cxt);
	items = JsonbValueToJsonb(&array);
	result = DirectFunctionCall6(helpdesk_paginated, CStringGetTextDatum("tickets"), JsonbPGetDatum(items),
								 Int64GetDatum(total), Int32GetDatum(page), Int32GetDatum(page_size),
								 BoolGetDatum(estimated));
	SPI_finish();
	PG_RETURN_DATUM(result);
}
