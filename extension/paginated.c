/*
 * paginated.c: helpdesk.paginated(key, items, total, page, page_size, total_is_estimate DEFAULT
 * NULL), the reference's list shape {<key>: items, total, page, totalPages [, totalIsEstimate]}
 * (totalIsEstimate left out when NULL).
 *
 * Written as jsonb's binary form directly, with the items' array copied in as it is: in SQL
 * (jsonb_build_object) every element of the page was taken apart and encoded again, each
 * object's keys sorted again, as much CPU as building the page (bench/RESULTS.md, listjson).
 * A jsonb container holds only offsets relative to itself and 4-byte padding, so it can be
 * copied to any 4-byte-aligned place of another jsonb.
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "helpdesk.h"

PG_FUNCTION_INFO_V1(helpdesk_paginated);

#define MAX_PAIRS 5

/* the container of [] */
static const uint32 empty_array = JB_FARRAY;

typedef struct Pair
{
	const char *key;
	int			keylen;
	JsonbValue	scalar;			/* unless items */
	JsonbContainer *items;		/* the items' container, or NULL */
	int			items_len;
} Pair;

static int
pad_to_int(StringInfo buf)
{
	int			pad = INTALIGN(buf->len) - buf->len;

	for (int i = 0; i < pad; i++)
		appendStringInfoCharMacro(buf, '\0');
	return pad;
}

/* jsonb's key order: shorter first, then bytewise (lengthCompareJsonbStringValue) */
static int
key_cmp(const Pair *a, const Pair *b)
{
	if (a->keylen != b->keylen)
		return a->keylen < b->keylen ? -1 : 1;
	return memcmp(a->key, b->key, a->keylen);
}

static void
set_int(JsonbValue *v, bool isnull, int64 n)
{
	if (isnull)
		v->type = jbvNull;
	else
	{
		v->type = jbvNumeric;
		v->val.numeric = int64_to_numeric(n);
	}
}

Datum
helpdesk_paginated(PG_FUNCTION_ARGS)
{
	Pair		pairs[MAX_PAIRS];
	int			n = 0;
	Jsonb	   *items = NULL;
	StringInfoData buf;
	int			jentries;
	uint32		header;
	uint32		totallen = 0;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("paginated needs the items' key")));
	if (!PG_ARGISNULL(1))
	{
		items = PG_GETARG_JSONB_P(1);
		if (JB_ROOT_IS_SCALAR(items) || !JB_ROOT_IS_ARRAY(items))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("paginated: the items must be an array")));
	}

	{
		text	   *key = PG_GETARG_TEXT_PP(0);

		pairs[n].key = VARDATA_ANY(key);
		pairs[n].keylen = VARSIZE_ANY_EXHDR(key);
		/* NULL: an empty array (a page past the end) */
		pairs[n].items = items ? &items->root : (JsonbContainer *) &empty_array;
		pairs[n].items_len = items ? VARSIZE(items) - VARHDRSZ : sizeof(empty_array);
		n++;
	}
	pairs[n].key = "total";
	pairs[n].items = NULL;
	set_int(&pairs[n++].scalar, PG_ARGISNULL(2), PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2));
	pairs[n].key = "page";
	pairs[n].items = NULL;
	set_int(&pairs[n++].scalar, PG_ARGISNULL(3), PG_ARGISNULL(3) ? 0 : PG_GETARG_INT32(3));
	/* ceil(total::numeric / page_size)::int, as the SQL definition computed it */
	pairs[n].key = "totalPages";
	pairs[n].items = NULL;
	if (PG_ARGISNULL(2) || PG_ARGISNULL(4))
		set_int(&pairs[n++].scalar, true, 0);
	else
	{
		int64		total = PG_GETARG_INT64(2);
		int64		size = PG_GETARG_INT32(4);
		int64		pages;

		if (size == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DIVISION_BY_ZERO),
					 errmsg("division by zero")));
		pages = total / size;
		if (total % size != 0 && ((total > 0) == (size > 0)))
			pages++;
		if (pages > PG_INT32_MAX || pages < PG_INT32_MIN)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("integer out of range")));
		set_int(&pairs[n++].scalar, false, pages);
	}
	/* totalIsEstimate: left out when NULL (lists whose total is always exact) */
	if (PG_NARGS() > 5 && !PG_ARGISNULL(5))
	{
		pairs[n].key = "totalIsEstimate";
		pairs[n].items = NULL;
		pairs[n].scalar.type = jbvBool;
		pairs[n].scalar.val.boolean = PG_GETARG_BOOL(5);
		n++;
	}
	for (int i = 1; i < n; i++)
		pairs[i].keylen = strlen(pairs[i].key);

	/* sort the few keys (insertion); a key equal to a fixed one keeps the fixed one's value */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && key_cmp(&pairs[j - 1], &pairs[j]) > 0; j--)
		{
			Pair		t = pairs[j];

			pairs[j] = pairs[j - 1];
			pairs[j - 1] = t;
		}
	for (int i = 1; i < n; i++)
		if (key_cmp(&pairs[i - 1], &pairs[i]) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("paginated: the items' key \"%.*s\" is taken", pairs[i].keylen, pairs[i].key)));

	/* varlena header, object header, 2n JEntries, the keys, the values (jsonb.h) */
	initStringInfo(&buf);
	enlargeStringInfo(&buf, VARHDRSZ + sizeof(uint32) + 2 * n * sizeof(JEntry) + 128
					  + (items ? VARSIZE(items) : 0));
	buf.len = VARHDRSZ;
	header = n | JB_FOBJECT;
	appendBinaryStringInfo(&buf, (char *) &header, sizeof(uint32));
	jentries = buf.len;
	buf.len += 2 * n * sizeof(JEntry);
	for (int i = 0; i < n; i++)
	{
		JEntry		meta;

		appendBinaryStringInfo(&buf, pairs[i].key, pairs[i].keylen);
		totallen += pairs[i].keylen;
		meta = JENTRY_ISSTRING | pairs[i].keylen;
		if (i % JB_OFFSET_STRIDE == 0)
			meta = JENTRY_ISSTRING | totallen | JENTRY_HAS_OFF;
		memcpy(buf.data + jentries + i * sizeof(JEntry), &meta, sizeof(JEntry));
	}
	for (int i = 0; i < n; i++)
	{
		JEntry		meta;
		uint32		len = 0;
		JsonbValue *v = &pairs[i].scalar;

		if (pairs[i].items != NULL)
		{
			int			base = buf.len;

			pad_to_int(&buf);
			appendBinaryStringInfo(&buf, (char *) pairs[i].items, pairs[i].items_len);
			len = buf.len - base;
			meta = JENTRY_ISCONTAINER;
		}
		else
		{
			switch (v->type)
			{
				case jbvNumeric:
					{
						int			numlen = VARSIZE_ANY(v->val.numeric);

						len = pad_to_int(&buf);
						appendBinaryStringInfo(&buf, (char *) v->val.numeric, numlen);
						len += numlen;
						meta = JENTRY_ISNUMERIC;
						break;
					}
				case jbvBool:
					meta = v->val.boolean ? JENTRY_ISBOOL_TRUE : JENTRY_ISBOOL_FALSE;
					break;
				default:
					meta = JENTRY_ISNULL;
					break;
			}
		}
		totallen += len;
		if (totallen > JENTRY_OFFLENMASK)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("total size of jsonb object elements exceeds the maximum of %u bytes",
							JENTRY_OFFLENMASK)));
		if ((i + n) % JB_OFFSET_STRIDE == 0)
			meta |= totallen | JENTRY_HAS_OFF;
		else
			meta |= len;
		memcpy(buf.data + jentries + (n + i) * sizeof(JEntry), &meta, sizeof(JEntry));
	}
	SET_VARSIZE(buf.data, buf.len);
	PG_RETURN_JSONB_P((Jsonb *) buf.data);
}
