/*
 * ticket_json.c: the ticket object of the API, the one definition every route answering a ticket
 * uses (GET /tickets/:id, the lists, creation and every transition).
 *
 * helpdesk.ticket_json_of(t, submitter, assignee, category, sla_breached, detail) reads the four
 * rows' fields by position (names resolved once per row type and call site, types checked then)
 * and builds the jsonb tree directly, in jsonb's key order, so nothing is sorted, parsed or
 * categorised per call. In SQL (to_jsonb of a row type, jsonb_build_object for the includes)
 * each field's type was categorised and its output function looked up per row: ~25 us of a
 * list page's ~40 us per ticket (bench/RESULTS.md, "Issue 13 continued").
 *
 * helpdesk.ticket_json_agg(...) is the same object aggregated into an array (a list's page):
 * jsonb_agg took each element apart and sorted its keys again.
 *
 * "Breached" stays a rule of SQL (sla_clock_breached): the caller passes its value.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "helpdesk.h"

PG_FUNCTION_INFO_V1(helpdesk_ticket_json_of);
PG_FUNCTION_INFO_V1(helpdesk_ticket_json_agg_step);
PG_FUNCTION_INFO_V1(helpdesk_ticket_json_agg_final);

typedef enum FieldKind
{
	FIELD_INT,					/* int4 -> number */
	FIELD_TEXT,					/* text, varchar -> string */
	FIELD_ENUM,					/* an enum -> its label */
	FIELD_TIME,					/* timestamptz -> helpdesk.iso() text, infinite -> null */
} FieldKind;

typedef struct Column
{
	const char *name;
	FieldKind	kind;
} Column;

/* The columns read from each row, by name (index = position in these arrays). */
enum
{
	T_ID, T_NUMBER, T_TITLE, T_DESCRIPTION, T_CATEGORY_ID, T_PRIORITY, T_STATUS, T_SUBMITTER_ID,
	T_ASSIGNEE_ID, T_DUE_DATE, T_RESOLVED_AT, T_CLOSED_AT, T_RATING, T_SAT_COMMENT,
	T_RESOLUTION_NOTES, T_CREATED_AT, T_UPDATED_AT, T_NCOLUMNS
};
static const Column ticket_columns[T_NCOLUMNS] = {
	{"id", FIELD_INT}, {"ticket_number", FIELD_TEXT}, {"title", FIELD_TEXT},
	{"description", FIELD_TEXT}, {"category_id", FIELD_INT}, {"priority", FIELD_ENUM},
	{"status", FIELD_ENUM}, {"submitter_id", FIELD_INT}, {"assignee_id", FIELD_INT},
	{"due_date", FIELD_TIME}, {"resolved_at", FIELD_TIME}, {"closed_at", FIELD_TIME},
	{"satisfaction_rating", FIELD_INT}, {"satisfaction_comment", FIELD_TEXT},
	{"resolution_notes", FIELD_TEXT}, {"created_at", FIELD_TIME}, {"updated_at", FIELD_TIME},
};

enum
{
	U_ID, U_USERNAME, U_FULL_NAME, U_EMAIL, U_DEPARTMENT, U_NCOLUMNS
};
static const Column user_columns[U_NCOLUMNS] = {
	{"id", FIELD_INT}, {"username", FIELD_TEXT}, {"full_name", FIELD_TEXT},
	{"email", FIELD_TEXT}, {"department", FIELD_TEXT},
};

enum
{
	C_ID, C_NAME, C_DESCRIPTION, C_ICON, C_COLOR, C_NCOLUMNS
};
static const Column category_columns[C_NCOLUMNS] = {
	{"id", FIELD_INT}, {"name", FIELD_TEXT}, {"description", FIELD_TEXT},
	{"icon", FIELD_TEXT}, {"color", FIELD_TEXT},
};

#define MAX_COLUMNS T_NCOLUMNS

/* Keys that are not a column of the row */
#define K_SLA_BREACHED (-1)
#define K_SUBMITTER (-2)
#define K_ASSIGNEE (-3)
#define K_CATEGORY (-4)

typedef struct Key
{
	const char *key;
	int			source;			/* a column index, or one of K_* */
} Key;

/* The objects, keys in the API's order (the reference's); jsonb's order is computed once. */
static const Key ticket_keys[] = {
	{"id", T_ID}, {"ticketNumber", T_NUMBER}, {"title", T_TITLE},
	{"description", T_DESCRIPTION}, {"categoryId", T_CATEGORY_ID}, {"priority", T_PRIORITY},
	{"status", T_STATUS}, {"submitterId", T_SUBMITTER_ID}, {"assigneeId", T_ASSIGNEE_ID},
	{"dueDate", T_DUE_DATE}, {"resolvedAt", T_RESOLVED_AT}, {"closedAt", T_CLOSED_AT},
	{"satisfactionRating", T_RATING}, {"satisfactionComment", T_SAT_COMMENT},
	/* the contract's second name of the same field (API.md) */
	{"satisfactionFeedback", T_SAT_COMMENT},
	{"resolutionNotes", T_RESOLUTION_NOTES}, {"createdAt", T_CREATED_AT},
	{"updatedAt", T_UPDATED_AT}, {"slaBreached", K_SLA_BREACHED},
	{"submitter", K_SUBMITTER}, {"assignee", K_ASSIGNEE}, {"category", K_CATEGORY},
};
#define N_TICKET_KEYS lengthof(ticket_keys)

/* The includes: the list's shape, and the detail shape's one more key */
static const Key user_keys[] = {
	{"id", U_ID}, {"username", U_USERNAME}, {"fullName", U_FULL_NAME}, {"email", U_EMAIL},
	{"department", U_DEPARTMENT},
};
static const Key category_keys[] = {
	{"id", C_ID}, {"name", C_NAME}, {"icon", C_ICON}, {"color", C_COLOR},
	{"description", C_DESCRIPTION},
};
#define N_USER_KEYS_LIST 4
#define N_CATEGORY_KEYS_LIST 4
#define MAX_KEYS N_TICKET_KEYS

/*
 * An object's keys in jsonb's order (shorter first, then bytewise: what jsonb stores and
 * prints; lengthCompareJsonbStringValue): position[i] is where ticket_keys[i] goes.
 */
typedef struct KeyOrder
{
	bool		done;
	int			position[MAX_KEYS];
} KeyOrder;

static KeyOrder ticket_order, user_order[2], category_order[2];

static void
key_order(KeyOrder *order, const Key *keys, int n)
{
	if (order->done)
		return;
	for (int i = 0; i < n; i++)
	{
		int			before = 0;
		size_t		li = strlen(keys[i].key);

		for (int j = 0; j < n; j++)
		{
			size_t		lj = strlen(keys[j].key);

			if (lj < li || (lj == li && memcmp(keys[j].key, keys[i].key, li) < 0))
				before++;
		}
		order->position[i] = before;
	}
	order->done = true;
}

/*
 * Where each column sits in a row type, resolved by name and type-checked once per call site
 * (fn_extra) and row type version; a changed table gets a new tupDesc_identifier.
 */
typedef struct RowMap
{
	Oid			typid;
	uint64		tupdesc_id;
	int			natts;
	int			attnum[MAX_COLUMNS];	/* 0-based */
} RowMap;

typedef struct TicketJsonCache
{
	RowMap		ticket;
	RowMap		user;
	RowMap		category;
} TicketJsonCache;

/* A row's fields, deformed */
typedef struct Row
{
	bool		present;
	const RowMap *map;
	Datum	   *values;
	bool	   *nulls;
} Row;

static bool
kind_accepts(FieldKind kind, Oid type)
{
	switch (kind)
	{
		case FIELD_INT:
			return type == INT4OID;
		case FIELD_TEXT:
			return type == TEXTOID || type == VARCHAROID;
		case FIELD_ENUM:
			return type_is_enum(type);
		case FIELD_TIME:
			return type == TIMESTAMPTZOID;
	}
	return false;
}

/*
 * Where each of `columns` sits in `desc`, by name (prefix + column name: the page statement of
 * list_plans.c names an include's columns "submitter.id", ...).
 */
static void
row_map_resolve(RowMap *map, TupleDesc desc, Oid typid, uint64 tupdesc_id,
				const Column *columns, int ncolumns, const char *prefix)
{
	size_t		plen = strlen(prefix);

	for (int i = 0; i < ncolumns; i++)
	{
		int			found = -1;

		for (int a = 0; a < desc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, a);
			const char *name = NameStr(att->attname);

			if (!att->attisdropped && strncmp(name, prefix, plen) == 0
				&& strcmp(name + plen, columns[i].name) == 0)
			{
				found = a;
				if (!kind_accepts(columns[i].kind, att->atttypid))
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("ticket_json_of: column \"%s\" of type %s has an unexpected type",
									columns[i].name, format_type_be(typid))));
				break;
			}
		}
		if (found < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("ticket_json_of: type %s has no column \"%s%s\"",
							format_type_be(typid), prefix, columns[i].name)));
		map->attnum[i] = found;
	}
	map->typid = typid;
	map->tupdesc_id = tupdesc_id;
	map->natts = desc->natts;
}

/* Deforms the composite `d` into `row` (its arrays in the current context). */
static void
row_read(Row *row, Datum d, RowMap *map, const Column *columns, int ncolumns)
{
	HeapTupleHeader th = DatumGetHeapTupleHeader(d);
	Oid			typid = HeapTupleHeaderGetTypeId(th);
	int32		typmod = HeapTupleHeaderGetTypMod(th);
	TypeCacheEntry *tce = lookup_type_cache(typid, TYPECACHE_TUPDESC);
	TupleDesc	desc = lookup_rowtype_tupdesc(typid, typmod);
	HeapTupleData tuple;

	if (map->typid != typid || map->tupdesc_id != tce->tupDesc_identifier || map->natts != desc->natts)
		row_map_resolve(map, desc, typid, tce->tupDesc_identifier, columns, ncolumns, "");
	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&(tuple.t_self));
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	row->values = palloc(desc->natts * sizeof(Datum));
	row->nulls = palloc(desc->natts * sizeof(bool));
	heap_deform_tuple(&tuple, desc, row->values, row->nulls);
	ReleaseTupleDesc(desc);
	row->map = map;
	/* a missing include: no row (outer join), or a row of NULLs */
	row->present = !row->nulls[map->attnum[0]];
}

static void
set_field(JsonbValue *v, const Row *row, int column, FieldKind kind)
{
	int			a = row->map->attnum[column];
	Datum		d = row->values[a];

	if (row->nulls[a])
	{
		v->type = jbvNull;
		return;
	}
	switch (kind)
	{
		case FIELD_INT:
			v->type = jbvNumeric;
			v->val.numeric = int64_to_numeric(DatumGetInt32(d));
			break;
		case FIELD_TEXT:
			{
				struct varlena *t = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(d));

				v->type = jbvString;
				v->val.string.val = VARDATA_ANY(t);
				v->val.string.len = VARSIZE_ANY_EXHDR(t);
				break;
			}
		case FIELD_ENUM:
			{
				HeapTuple	tup = SearchSysCache1(ENUMOID, d);
				char	   *label;

				if (!HeapTupleIsValid(tup))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
							 errmsg("invalid internal value for enum: %u", DatumGetObjectId(d))));
				label = pstrdup(NameStr(((Form_pg_enum) GETSTRUCT(tup))->enumlabel));
				ReleaseSysCache(tup);
				v->type = jbvString;
				v->val.string.val = label;
				v->val.string.len = strlen(label);
				break;
			}
		case FIELD_TIME:
			{
				char	   *buf = palloc(HELPDESK_ISO_LEN);
				int			len = helpdesk_iso_format(DatumGetTimestampTz(d), buf);

				if (len < 0)
				{
					v->type = jbvNull;
					break;
				}
				v->type = jbvString;
				v->val.string.val = buf;
				v->val.string.len = len;
				break;
			}
	}
}

static void
set_key(JsonbPair *pair, const char *key)
{
	pair->key.type = jbvString;
	pair->key.val.string.val = (char *) key;
	pair->key.val.string.len = strlen(key);
}

/* An include (user, category): nkeys of keys, from `row`, into `v`. */
static void
set_include(JsonbValue *v, const Row *row, const Key *keys, int nkeys, KeyOrder *order,
			const Column *columns)
{
	JsonbPair  *pairs;

	if (!row->present)
	{
		v->type = jbvNull;
		return;
	}
	key_order(order, keys, nkeys);
	pairs = palloc(nkeys * sizeof(JsonbPair));
	for (int i = 0; i < nkeys; i++)
	{
		JsonbPair  *p = &pairs[order->position[i]];

		set_key(p, keys[i].key);
		set_field(&p->value, row, keys[i].source, columns[keys[i].source].kind);
		p->order = order->position[i];
	}
	v->type = jbvObject;
	v->val.object.nPairs = nkeys;
	v->val.object.pairs = pairs;
}

static TicketJsonCache *
cache_of(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
	{
		TicketJsonCache *cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(TicketJsonCache));

		cache->ticket.typid = cache->user.typid = cache->category.typid = InvalidOid;
		fcinfo->flinfo->fn_extra = cache;
	}
	return (TicketJsonCache *) fcinfo->flinfo->fn_extra;
}

/*
 * The ticket object of the rows `ticket` and its includes into `v`. Everything it points to is
 * allocated in the current memory context or lives in the rows.
 */
static void
ticket_object(const Row *ticket, const Row *submitter, const Row *assignee, const Row *category,
			  bool sla_breached, bool detail, JsonbValue *v)
{
	JsonbPair  *pairs;

	key_order(&ticket_order, ticket_keys, N_TICKET_KEYS);
	pairs = palloc(N_TICKET_KEYS * sizeof(JsonbPair));
	for (int i = 0; i < (int) N_TICKET_KEYS; i++)
	{
		int			pos = ticket_order.position[i];
		JsonbPair  *p = &pairs[pos];
		int			source = ticket_keys[i].source;

		set_key(p, ticket_keys[i].key);
		p->order = pos;
		switch (source)
		{
			case K_SLA_BREACHED:
				p->value.type = jbvBool;
				p->value.val.boolean = sla_breached;
				break;
			case K_SUBMITTER:
				set_include(&p->value, submitter, user_keys,
							detail ? lengthof(user_keys) : N_USER_KEYS_LIST, &user_order[detail],
							user_columns);
				break;
			case K_ASSIGNEE:
				set_include(&p->value, assignee, user_keys,
							detail ? lengthof(user_keys) : N_USER_KEYS_LIST, &user_order[detail],
							user_columns);
				break;
			case K_CATEGORY:
				set_include(&p->value, category, category_keys,
							detail ? lengthof(category_keys) : N_CATEGORY_KEYS_LIST,
							&category_order[detail], category_columns);
				break;
			default:
				set_field(&p->value, ticket, source, ticket_columns[source].kind);
				break;
		}
	}
	v->type = jbvObject;
	v->val.object.nPairs = N_TICKET_KEYS;
	v->val.object.pairs = pairs;
}

/*
 * The ticket object of arguments first .. first + 5 (t, submitter, assignee, category,
 * sla_breached, detail) into `v`; false when t is NULL.
 */
static bool
ticket_value(FunctionCallInfo fcinfo, int first, JsonbValue *v)
{
	TicketJsonCache *cache = cache_of(fcinfo);
	Row			ticket,
				submitter,
				assignee,
				category;

	if (PG_ARGISNULL(first))
		return false;
	row_read(&ticket, PG_GETARG_DATUM(first), &cache->ticket, ticket_columns, T_NCOLUMNS);
	submitter.present = assignee.present = category.present = false;
	if (!PG_ARGISNULL(first + 1))
		row_read(&submitter, PG_GETARG_DATUM(first + 1), &cache->user, user_columns, U_NCOLUMNS);
	if (!PG_ARGISNULL(first + 2))
		row_read(&assignee, PG_GETARG_DATUM(first + 2), &cache->user, user_columns, U_NCOLUMNS);
	if (!PG_ARGISNULL(first + 3))
		row_read(&category, PG_GETARG_DATUM(first + 3), &cache->category, category_columns, C_NCOLUMNS);
	/* NULL (no clock) is not breached, as sla_clock_breached says */
	ticket_object(&ticket, &submitter, &assignee, &category,
				  !PG_ARGISNULL(first + 4) && PG_GETARG_BOOL(first + 4),
				  !PG_ARGISNULL(first + 5) && PG_GETARG_BOOL(first + 5), v);
	return true;
}

/*
 * The same objects from the flat rows of one statement (list_plans.c's page): the ticket's
 * columns under their names, an include's as "submitter.<column>", "assignee.<column>",
 * "category.<column>" (helpdesk_ticket_select_list writes that select list), and
 * "sla_breached". The columns are resolved once per statement result.
 */
struct HelpdeskTicketRows
{
	TupleDesc	desc;
	RowMap		ticket;
	RowMap		submitter;
	RowMap		assignee;
	RowMap		category;
	int			sla_breached;	/* 0-based */
};

static void
append_columns(StringInfo buf, const char *alias, const char *prefix, const Column *columns, int n)
{
	for (int i = 0; i < n; i++)
	{
		if (buf->len > 0 && buf->data[buf->len - 1] != ' ')
			appendStringInfoString(buf, ", ");
		if (prefix == NULL)
			appendStringInfo(buf, "%s.%s", alias, columns[i].name);
		else
			appendStringInfo(buf, "%s.%s AS \"%s%s\"", alias, columns[i].name, prefix, columns[i].name);
	}
}

void
helpdesk_ticket_select_list(StringInfo buf, const char *ticket, const char *submitter,
							const char *assignee, const char *category)
{
	append_columns(buf, ticket, NULL, ticket_columns, T_NCOLUMNS);
	append_columns(buf, submitter, "submitter.", user_columns, U_NCOLUMNS);
	append_columns(buf, assignee, "assignee.", user_columns, U_NCOLUMNS);
	append_columns(buf, category, "category.", category_columns, C_NCOLUMNS);
}

HelpdeskTicketRows *
helpdesk_ticket_rows_begin(TupleDesc desc)
{
	HelpdeskTicketRows *rows = palloc0(sizeof(HelpdeskTicketRows));

	rows->desc = desc;
	row_map_resolve(&rows->ticket, desc, RECORDOID, 0, ticket_columns, T_NCOLUMNS, "");
	row_map_resolve(&rows->submitter, desc, RECORDOID, 0, user_columns, U_NCOLUMNS, "submitter.");
	row_map_resolve(&rows->assignee, desc, RECORDOID, 0, user_columns, U_NCOLUMNS, "assignee.");
	row_map_resolve(&rows->category, desc, RECORDOID, 0, category_columns, C_NCOLUMNS, "category.");
	rows->sla_breached = SPI_fnumber(desc, "sla_breached") - 1;
	if (rows->sla_breached < 0 || TupleDescAttr(desc, rows->sla_breached)->atttypid != BOOLOID)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("ticket rows: no boolean column \"sla_breached\"")));
	return rows;
}

/* The ticket object of one row into `v` (pointing into the tuple: keep it while `v` is used). */
void
helpdesk_ticket_rows_value(HelpdeskTicketRows *rows, HeapTuple tuple, bool detail, JsonbValue *v)
{
	Row			ticket,
				submitter,
				assignee,
				category;
	Datum	   *values = palloc(rows->desc->natts * sizeof(Datum));
	bool	   *nulls = palloc(rows->desc->natts * sizeof(bool));

	/* each row its own arrays: the objects point into them until the page is written */
	heap_deform_tuple(tuple, rows->desc, values, nulls);
	ticket.values = submitter.values = assignee.values = category.values = values;
	ticket.nulls = submitter.nulls = assignee.nulls = category.nulls = nulls;
	ticket.map = &rows->ticket;
	submitter.map = &rows->submitter;
	assignee.map = &rows->assignee;
	category.map = &rows->category;
	ticket.present = true;
	/* a missing include: no row (outer join) */
	submitter.present = !nulls[rows->submitter.attnum[U_ID]];
	assignee.present = !nulls[rows->assignee.attnum[U_ID]];
	category.present = !nulls[rows->category.attnum[C_ID]];
	ticket_object(&ticket, &submitter, &assignee, &category,
				  !nulls[rows->sla_breached] && DatumGetBool(values[rows->sla_breached]),
				  detail, v);
}

/*
 * helpdesk.ticket_json_of(t tickets, submitter users, assignee users, c categories,
 * sla_breached boolean, detail boolean) RETURNS jsonb
 */
Datum
helpdesk_ticket_json_of(PG_FUNCTION_ARGS)
{
	JsonbValue	v;

	if (!ticket_value(fcinfo, 0, &v))
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(JsonbValueToJsonb(&v));
}

/*
 * The aggregate helpdesk.ticket_json_agg(t, submitter, assignee, c, sla_breached, detail):
 * the tickets' objects as one array, in the aggregate's input order. The state keeps the
 * objects' trees (in the aggregate's context) and the final function writes the array once.
 */
typedef struct TicketArray
{
	int			n;
	int			size;
	JsonbValue *elems;
} TicketArray;

Datum
helpdesk_ticket_json_agg_step(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext,
				old;
	TicketArray *state;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("ticket_json_agg_step called in non-aggregate context")));
	old = MemoryContextSwitchTo(aggcontext);
	if (PG_ARGISNULL(0))
	{
		state = palloc(sizeof(TicketArray));
		state->n = 0;
		state->size = 32;
		state->elems = palloc(state->size * sizeof(JsonbValue));
	}
	else
		state = (TicketArray *) PG_GETARG_POINTER(0);
	if (state->n == state->size)
	{
		state->size *= 2;
		state->elems = repalloc(state->elems, state->size * sizeof(JsonbValue));
	}
	/*
	 * The tree points into the arguments' rows for its strings: copy the rows first, in the
	 * aggregate's context, so that they outlive this call.
	 */
	{
		LOCAL_FCINFO(copy, 6);

		InitFunctionCallInfoData(*copy, fcinfo->flinfo, 6, InvalidOid, NULL, NULL);
		for (int i = 0; i < 6; i++)
		{
			copy->args[i].isnull = PG_ARGISNULL(i + 1);
			copy->args[i].value = copy->args[i].isnull ? (Datum) 0
				: (i < 4 ? PointerGetDatum(PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(i + 1)))
				   : PG_GETARG_DATUM(i + 1));
		}
		if (ticket_value(copy, 0, &state->elems[state->n]))
			state->n++;
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(state);
}

Datum
helpdesk_ticket_json_agg_final(PG_FUNCTION_ARGS)
{
	TicketArray *state;
	JsonbValue	array;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (TicketArray *) PG_GETARG_POINTER(0);
	array.type = jbvArray;
	array.val.array.nElems = state->n;
	array.val.array.elems = state->elems;
	array.val.array.rawScalar = false;
	PG_RETURN_JSONB_P(JsonbValueToJsonb(&array));
}
