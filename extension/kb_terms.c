/*
 * kb_terms.c: the terms of articles and queries.
 *
 * helpdesk.kb_terms(title, tags, body) -> (term, impact, hits)
 *     One row per distinct term of an article: its stem (kb.h), its BM25F impact, and its
 *     positions (at most KB_HITS_MAX), each a tsvector WordEntryPos: field weight << 14 | position.
 *     Positions run on from the title through each tag to the body, one position left empty
 *     between tags and between fields, so no phrase spans two of them.
 *
 *     impact = f / (k1 + f),  f = sum over fields of w_field * tf_field / (1 - b + b * len/avglen)
 *
 *     is the part of the BM25F score that belongs to the article; the query multiplies it by
 *     the term's idf, which changes as the corpus grows and so is not stored. Field weights:
 *     title 4, tags 2.5, body 1; b: 0.5, 0.5, 0.75; average lengths: 8, 5, 250 words (fixed,
 *     so an article's impacts never change unless it does); k1 = 1.2.
 *
 * helpdesk.kb_query_words(q) -> (pos, term, fold, nchars, accented, stop)
 *     The words of a query in order, with their stems and whether a stop phrase covers them.
 *
 * helpdesk.kb_edit_distance(a, b, max) -> the bounded edit distance of kb_text.c.
 *
 * Doing this in C rather than with a text search configuration (to_tsvector with unaccent and
 * english_stem) is what lets "Wi-Fi" and "wifi" be one word, keeps diacritics around for the
 * stop phrases, and gives snippets (kb_snippet.c) the same positions; the benchmark beside the
 * SQL version is bench/kb_c_vs_sql.sh.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "tsearch/ts_cache.h"
#include "tsearch/ts_locale.h"
#include "tsearch/ts_public.h"
#include "tsearch/ts_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/syscache.h"
#include "utils/memutils.h"

#include "kb.h"

PG_FUNCTION_INFO_V1(helpdesk_kb_terms);
PG_FUNCTION_INFO_V1(helpdesk_kb_query_words);
PG_FUNCTION_INFO_V1(helpdesk_kb_edit_distance);

const double kb_field_weight[4] = {0.0, 1.0, 2.5, 4.0};	/* by weight bits: -, body, tags, title */
static const double field_b[4] = {0.0, 0.75, 0.5, 0.5};
static const double field_avglen[4] = {1.0, 250.0, 5.0, 8.0};

/* ---- stems ---- */

typedef struct StemEntry
{
	char		key[KB_WORD_BUF];
	const char *stem;
	int			len;
} StemEntry;

struct KbStemmer
{
	TSDictionaryCacheEntry *dict;
	HTAB	   *memo;			/* fold -> stem, for the words of one call */
};

/* The dictionary's OID, looked up once per backend and forgotten when any dictionary changes. */
static Oid	stem_dict_id = InvalidOid;

static void
stem_dict_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	stem_dict_id = InvalidOid;
}

KbStemmer *
kb_stemmer_create(void)
{
	static bool callback_registered = false;
	KbStemmer  *st = palloc0(sizeof(KbStemmer));

	if (!OidIsValid(stem_dict_id))
	{
		if (GetDatabaseEncoding() != PG_UTF8)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("knowledge base search needs a UTF8 database")));
		if (!callback_registered)
		{
			CacheRegisterSyscacheCallback(TSDICTOID, stem_dict_changed, (Datum) 0);
			callback_registered = true;
		}
		stem_dict_id = get_ts_dict_oid(list_make2(makeString("helpdesk"), makeString("kb_stem")), false);
	}
	st->dict = lookup_ts_dictionary_cache(stem_dict_id);
	return st;
}

static bool
all_ascii_letters(const KbWord *w)
{
	int			i;

	if (w->has_digit)
		return false;
	for (i = 0; i < w->fold_len; i++)
		if ((unsigned char) w->fold[i] >= 0x80 || w->fold[i] == '.')
			return false;
	return true;
}

static const char *
stem_uncached(KbStemmer *st, const KbWord *w, int *len)
{
	DictSubState dstate = {false, false, NULL};
	TSLexeme   *res;

	if (w->fold_len < 3 || !all_ascii_letters(w))
	{
		*len = w->fold_len;
		return pstrdup(w->fold);
	}
	res = (TSLexeme *) DatumGetPointer(FunctionCall4(&st->dict->lexize,
													 PointerGetDatum(st->dict->dictData),
													 PointerGetDatum(w->fold),
													 Int32GetDatum(w->fold_len),
													 PointerGetDatum(&dstate)));
	if (res == NULL || res[0].lexeme == NULL || res[0].lexeme[0] == '\0')
	{
		*len = w->fold_len;
		return pstrdup(w->fold);
	}
	*len = (int) strlen(res[0].lexeme);
	return res[0].lexeme;
}

const char *
kb_stem(KbStemmer *st, const KbWord *w, int *len)
{
	StemEntry  *e;
	bool		found;

	if (st->memo == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = KB_WORD_BUF;
		ctl.entrysize = sizeof(StemEntry);
		ctl.hcxt = CurrentMemoryContext;
		st->memo = hash_create("kb stems", 256, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	e = hash_search(st->memo, w->fold, HASH_ENTER, &found);
	if (!found)
		e->stem = stem_uncached(st, w, &e->len);
	*len = e->len;
	return e->stem;
}

/* ---- stop phrases ---- */

static KbStopPhrase *stop_phrases;
static int	n_stop_phrases = -1;

void
kb_stop_phrases(const KbStopPhrase **phrases, int *n)
{
	if (n_stop_phrases < 0)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		char	   *path = get_tsearch_config_filename("helpdesk_kb", "stop");
		tsearch_readline_state trs;
		char	   *line;
		int			cap = 64,
					n = 0;
		KbStopPhrase *list = palloc(cap * sizeof(KbStopPhrase));

		if (!tsearch_readline_begin(&trs, path))
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("could not open the knowledge base's stop phrases \"%s\": %m", path)));
		while ((line = tsearch_readline(&trs)) != NULL)
		{
			char	   *hash = strchr(line, '#');
			KbTokenizer tz;
			KbWord		w;
			KbStopWord	words[8];
			int			nw = 0;

			if (hash != NULL)
				*hash = '\0';
			kb_tokenizer_init(&tz, line, strlen(line));
			while (nw < 8 && kb_next_word(&tz, &w))
			{
				words[nw].fold = pstrdup(w.fold);
				words[nw].lower = pstrdup(w.lower);
				words[nw].exact = w.start > 0 && line[w.start - 1] == '=';
				nw++;
			}
			if (nw > 0)
			{
				if (n == cap)
				{
					cap *= 2;
					list = repalloc(list, cap * sizeof(KbStopPhrase));
				}
				list[n].nwords = nw;
				list[n].words = memcpy(palloc(nw * sizeof(KbStopWord)), words, nw * sizeof(KbStopWord));
				n++;
			}
			pfree(line);
		}
		tsearch_readline_end(&trs);
		MemoryContextSwitchTo(old);
		stop_phrases = list;
		n_stop_phrases = n;
	}
	*phrases = stop_phrases;
	*n = n_stop_phrases;
}

/* ---- articles ---- */

typedef struct Occurrence
{
	const char *term;
	int			len;
	uint16		wep;			/* weight << 14 | position */
} Occurrence;

typedef struct Document
{
	Occurrence *occ;
	int			n;
	int			cap;
	int			pos;			/* last position given */
	int			field_len[4];	/* words per field */
} Document;

static void
add_field(Document *doc, KbStemmer *st, const char *text, int len, int weight)
{
	KbTokenizer tz;
	KbWord		w;

	kb_tokenizer_init(&tz, text, len);
	while (kb_next_word(&tz, &w))
	{
		Occurrence *o;

		if (doc->n == doc->cap)
		{
			doc->cap *= 2;
			doc->occ = repalloc_huge(doc->occ, doc->cap * sizeof(Occurrence));
		}
		o = &doc->occ[doc->n++];
		o->term = kb_stem(st, &w, &o->len);
		doc->pos++;
		o->wep = (uint16) ((weight << 14) | Min(doc->pos, KB_POS_MAX));
		doc->field_len[weight]++;
	}
	doc->pos++;					/* nothing spans two fields or two tags */
}

static int
occurrence_cmp(const void *a, const void *b)
{
	const Occurrence *x = a,
			   *y = b;
	int			c = strcmp(x->term, y->term);

	if (c != 0)
		return c;
	return (int) (x->wep & 0x3FFF) - (int) (y->wep & 0x3FFF);
}

static double
bm25f_impact(const int tf[4], const int field_len[4])
{
	double		f = 0.0;
	int			k;

	for (k = KB_FIELD_BODY; k <= KB_FIELD_TITLE; k++)
		if (tf[k] > 0)
			f += kb_field_weight[k] * tf[k] /
				(1.0 - field_b[k] + field_b[k] * field_len[k] / field_avglen[k]);
	return f / (KB_K1 + f);
}

Datum
helpdesk_kb_terms(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	KbStemmer  *st;
	Document	doc = {0};
	int			i,
				start;

	InitMaterializedSRF(fcinfo, 0);
	st = kb_stemmer_create();
	doc.cap = 256;
	doc.occ = palloc(doc.cap * sizeof(Occurrence));

	if (!PG_ARGISNULL(0))
	{
		text	   *t = PG_GETARG_TEXT_PP(0);

		add_field(&doc, st, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), KB_FIELD_TITLE);
	}
	if (!PG_ARGISNULL(1))
	{
		ArrayType  *tags = PG_GETARG_ARRAYTYPE_P(1);
		Datum	   *elems;
		bool	   *nulls;
		int			ntags;

		deconstruct_array(tags, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &ntags);
		for (i = 0; i < ntags; i++)
			if (!nulls[i])
			{
				text	   *t = DatumGetTextPP(elems[i]);

				add_field(&doc, st, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), KB_FIELD_TAGS);
			}
	}
	if (!PG_ARGISNULL(2))
	{
		text	   *t = PG_GETARG_TEXT_PP(2);

		add_field(&doc, st, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), KB_FIELD_BODY);
	}

	qsort(doc.occ, doc.n, sizeof(Occurrence), occurrence_cmp);
	for (start = 0; start < doc.n;)
	{
		int			end = start,
					tf[4] = {0, 0, 0, 0},
					nhits = 0;
		Datum		hits[KB_HITS_MAX];
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		while (end < doc.n && strcmp(doc.occ[end].term, doc.occ[start].term) == 0)
		{
			uint16		wep = doc.occ[end].wep;

			tf[wep >> 14]++;
			/* the same clamped position twice is one hit */
			if (nhits < KB_HITS_MAX && (nhits == 0 || DatumGetInt16(hits[nhits - 1]) != (int16) wep))
				hits[nhits++] = Int16GetDatum((int16) wep);
			end++;
		}
		values[0] = PointerGetDatum(cstring_to_text_with_len(doc.occ[start].term, doc.occ[start].len));
		values[1] = Float4GetDatum((float4) bm25f_impact(tf, doc.field_len));
		values[2] = PointerGetDatum(construct_array(hits, nhits, INT2OID, 2, true, TYPALIGN_SHORT));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		start = end;
	}
	PG_RETURN_NULL();
}

/* ---- queries ---- */

KbQuery *
kb_query_analyze(const char *q, int len)
{
	KbQuery    *kq = palloc0(sizeof(KbQuery));
	KbTokenizer tz;
	const KbStopPhrase *phrases;
	int			nphrases,
				i;
	KbStemmer  *st;

	kq->words = palloc(KB_QUERY_MAX_WORDS * sizeof(KbWord));
	kb_tokenizer_init(&tz, q, len);
	/* a query longer than this is cut: its first words decide */
	while (kq->n < KB_QUERY_MAX_WORDS && kb_next_word(&tz, &kq->words[kq->n]))
		kq->n++;
	kb_stop_phrases(&phrases, &nphrases);
	kb_mark_stop_words(kq->words, kq->n, phrases, nphrases, kq->stop);
	st = kb_stemmer_create();
	kq->stems = palloc(sizeof(char *) * (kq->n + 1));
	kq->trailing_space = len > 0 && (q[len - 1] == ' ' || q[len - 1] == '\t' || q[len - 1] == '\n' || q[len - 1] == '\r');
	for (i = 0; i < kq->n; i++)
	{
		int			slen;

		kq->stems[i] = kb_stem(st, &kq->words[i], &slen);
	}
	return kq;
}

Datum
helpdesk_kb_query_words(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *q = PG_GETARG_TEXT_PP(0);
	KbQuery    *kq;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	kq = kb_query_analyze(VARDATA_ANY(q), VARSIZE_ANY_EXHDR(q));
	for (i = 0; i < kq->n; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		values[0] = Int32GetDatum(i + 1);
		values[1] = PointerGetDatum(cstring_to_text(kq->stems[i]));
		values[2] = PointerGetDatum(cstring_to_text_with_len(kq->words[i].fold, kq->words[i].fold_len));
		values[3] = Int32GetDatum(kq->words[i].nchars);
		values[4] = BoolGetDatum(kq->words[i].accented);
		values[5] = BoolGetDatum(kq->stop[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_NULL();
}

Datum
helpdesk_kb_edit_distance(PG_FUNCTION_ARGS)
{
	text	   *a = PG_GETARG_TEXT_PP(0);
	text	   *b = PG_GETARG_TEXT_PP(1);
	int32		max = PG_GETARG_INT32(2);

	if (max < 0 || max > 8)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("edit distance bound must be between 0 and 8")));
	PG_RETURN_INT32(kb_edit_distance(VARDATA_ANY(a), VARSIZE_ANY_EXHDR(a),
									 VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), max));
}

/*
 * helpdesk.kb_language(t) -> 'vi', 'en' or NULL: 'vi' when a fifth of the words have
 * diacritics, 'en' when none has and an English function word is among them, else NULL. The
 * words are kb_query_words' (the first 64 of the first 2,000 characters). In C: every search
 * calls it, and as PL/pgSQL over kb_query_words it cost 20-24 us a call against 0.9 here
 * (~2% of a search at 100,000 articles, bench/RESULTS.md).
 */
PG_FUNCTION_INFO_V1(helpdesk_kb_language);

Datum
helpdesk_kb_language(PG_FUNCTION_ARGS)
{
	static const char *const function_words[] = {
		"the", "a", "an", "is", "are", "my", "your", "how", "what", "why", "when", "where", "to",
		"of", "and", "do", "does", "can", "i", "it", "with", "for", "on", "in"
	};
	text	   *t = PG_GETARG_TEXT_PP(0);
	const char *s = VARDATA_ANY(t);
	KbTokenizer tz;
	KbWord		w;
	int			n = 0,
				accented = 0,
				i;
	bool		function_word = false;

	kb_tokenizer_init(&tz, s, pg_mbcharcliplen(s, VARSIZE_ANY_EXHDR(t), 2000));
	while (n < KB_QUERY_MAX_WORDS && kb_next_word(&tz, &w))
	{
		n++;
		if (w.accented)
			accented++;
		for (i = 0; i < lengthof(function_words) && !function_word; i++)
			if (strcmp(w.fold, function_words[i]) == 0)
				function_word = true;
	}
	if (n == 0)
		PG_RETURN_NULL();
	if (accented * 5 >= n)		/* accented >= 0.2 * n, exactly */
		PG_RETURN_TEXT_P(cstring_to_text("vi"));
	if (accented == 0 && function_word)
		PG_RETURN_TEXT_P(cstring_to_text("en"));
	PG_RETURN_NULL();
}
