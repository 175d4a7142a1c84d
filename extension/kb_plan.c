/*
 * kb_plan.c: the plan of a knowledge-base query.
 *
 * helpdesk.kb_plan(q text, prefix boolean) -> helpdesk.kb_query_plan
 *     (terms text[], idf real[], plan int[], pairs int[], max_score real, slots int)
 *
 * From the query's words (kb_terms.c: folded, stemmed, stop phrases marked) to what the ranking
 * aggregate needs (kb_rank.c):
 *   - slots: one per thing asked for. A run of 1..3 consecutive words (stop words may be inside:
 *     "log in") that is a member of synonym groups becomes one slot, whose alternatives are the
 *     run as typed (weight 1) and the groups' other members (0.8); longer runs first, then the
 *     leftmost. Every other word that is not a stop word is a slot of its own.
 *   - typos: a word of 5 letters or more, without digits, that the vocabulary does not know is
 *     replaced by its corrections (helpdesk.kb_corrections: at most two edits; weight 0.9 at one
 *     edit, 0.75 at two). A word with no correction stays: it matches nothing and lowers the
 *     confidence, as it should.
 *   - prefix (suggest): the last word, when the text does not end with a space, stands for the
 *     most common vocabulary terms it begins and those that begin it (at most 8).
 *   - pairs: two consecutive query words in different slots, rewarded when the article has them
 *     consecutive (kb_rank.c).
 *   - idf of each term: ln(1 + (N - df + 0.5) / (df + 0.5)), N articles, df from the vocabulary.
 * terms is NULL when the query has no word that is not a stop word (or, with prefix, nothing
 * begins with what is typed).
 *
 * This was a PL/pgSQL function first (bench/kb_plan_plpgsql.sql, kept to compare): the same
 * plans (bench/kb_c_vs_sql.sh checks it on the labelled queries), built with two prepared
 * statements on the common path (corpus size and synonyms' version; the words' frequencies)
 * instead of dozens of interpreted ones, and the synonyms kept in memory; bench/RESULTS.md has
 * the measured difference.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "kb.h"

PG_FUNCTION_INFO_V1(helpdesk_kb_plan);

#define MAX_RUN 3
#define MAX_TERMS 256
#define MAX_PREFIX_TERMS 8
#define W_TYPED 1000
#define W_SYNONYM 800
#define W_TYPO1 900
#define W_TYPO2 750

/* ---- prepared statements, kept for the backend's life ---- */

static SPIPlanPtr plan_stats;	/* N and the synonyms' version */
static SPIPlanPtr plan_synonyms;	/* every synonym member, when the version changed */
static SPIPlanPtr plan_vocab;	/* df of terms */
static SPIPlanPtr plan_corrections;
static SPIPlanPtr plan_prefix;

static SPIPlanPtr
prepare(SPIPlanPtr *slot, const char *sql, int nargs, Oid *types)
{
	if (*slot == NULL)
	{
		/* generic plans: planned once, not at every call (their inputs are always small) */
		SPIPlanPtr	p = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);

		if (p == NULL)
			elog(ERROR, "kb_plan: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "kb_plan: SPI_keepplan failed");
		*slot = p;
	}
	return *slot;
}

static Datum
text_array(char **items, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * (n + 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = PointerGetDatum(cstring_to_text(items[i]));
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * ---- the synonyms, cached per backend ----
 *
 * Groups change rarely and are read by every search, so each backend keeps them in memory:
 * member ("mat khau") -> the groups it is in, group -> its members. helpdesk.kb_stats'
 * synonyms_version (bumped by a trigger on every change) says when to load them again; a
 * transaction sees its own uncommitted changes the same way.
 */
#define SYN_KEY 256

typedef struct SynMember
{
	char		key[SYN_KEY];
	List	   *groups;			/* int group numbers */
} SynMember;

typedef struct SynGroup
{
	int			nmembers;
	char	  **members;
} SynGroup;

static MemoryContext syn_cxt;
static int64 syn_version = -1;
static HTAB *syn_members;
static SynGroup *syn_groups;
static int	syn_ngroups;

static void
synonyms_load(int64 version)
{
	MemoryContext old;
	HASHCTL		ctl;
	uint64		r;
	int			last_id = -1;

	if (SPI_execute_plan(prepare(&plan_synonyms,
								 "SELECT t.synonym_id, t.seq FROM helpdesk.kb_synonym_terms t ORDER BY t.synonym_id, t.seq",
								 0, NULL),
						 NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "kb_plan: loading synonyms failed");
	if (syn_cxt == NULL)
		syn_cxt = AllocSetContextCreate(TopMemoryContext, "kb synonyms", ALLOCSET_SMALL_SIZES);
	MemoryContextReset(syn_cxt);
	syn_members = NULL;
	syn_version = -1;
	old = MemoryContextSwitchTo(syn_cxt);
	ctl.keysize = SYN_KEY;
	ctl.entrysize = sizeof(SynMember);
	ctl.hcxt = syn_cxt;
	syn_members = hash_create("kb synonym members", 256, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	syn_groups = palloc0(sizeof(SynGroup) * (SPI_processed + 1));
	syn_ngroups = 0;
	for (r = 0; r < SPI_processed; r++)
	{
		bool		isnull,
					found;
		int			id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));
		char	   *seq = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2);
		SynMember  *m;
		SynGroup   *g;

		if (seq == NULL || strlen(seq) >= SYN_KEY)
			continue;
		if (id != last_id)
		{
			syn_groups[syn_ngroups].members = palloc(sizeof(char *) * (SPI_processed + 1));
			syn_ngroups++;
			last_id = id;
		}
		g = &syn_groups[syn_ngroups - 1];
		g->members[g->nmembers++] = pstrdup(seq);
		m = hash_search(syn_members, seq, HASH_ENTER, &found);
		if (!found)
			m->groups = NIL;
		m->groups = lappend_int(m->groups, syn_ngroups - 1);
	}
	MemoryContextSwitchTo(old);
	syn_version = version;
}

/* ---- the plan under construction ---- */

/* Document frequencies looked up so far: -1 not looked up, 0 not in the vocabulary. */
typedef struct DfMap
{
	const char *term[MAX_TERMS * 2];
	int			df[MAX_TERMS * 2];
	int			n;
} DfMap;

static int
df_of(const DfMap *m, const char *term)
{
	int			i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->term[i], term) == 0)
			return m->df[i];
	return -1;
}

static void
df_set(DfMap *m, const char *term, int df)
{
	int			i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->term[i], term) == 0)
		{
			if (df > m->df[i])
				m->df[i] = df;
			return;
		}
	if (m->n < MAX_TERMS * 2)
	{
		m->term[m->n] = pstrdup(term);
		m->df[m->n++] = df;
	}
}

typedef struct Builder
{
	char	   *terms[MAX_TERMS];
	int			nterms;
	int		   *alts;
	int			nalts_ints;
	int			alts_cap;
	int		   *pairs;
	int			npairs_ints;
	int			pairs_cap;
} Builder;

static int
term_number(Builder *b, const char *term)
{
	int			i;

	for (i = 0; i < b->nterms; i++)
		if (strcmp(b->terms[i], term) == 0)
			return i + 1;
	if (b->nterms == MAX_TERMS)
		return 0;				/* a plan this big only comes from a pathological query */
	b->terms[b->nterms] = pstrdup(term);
	return ++b->nterms;
}

static void
push(int **arr, int *n, int *cap, int v)
{
	if (*n == *cap)
	{
		*cap = *cap * 2 + 16;
		*arr = *arr ? repalloc(*arr, sizeof(int) * *cap) : palloc(sizeof(int) * *cap);
	}
	(*arr)[(*n)++] = v;
}

/* Adds an alternative of n terms (a phrase) to slot; false when the plan is full. */
static bool
add_alternative(Builder *b, int slot, int weight, char **words, int n)
{
	int			numbers[KB_QUERY_MAX_WORDS];
	int			i;

	if (n < 1 || n > KB_QUERY_MAX_WORDS)
		return false;
	for (i = 0; i < n; i++)
		if ((numbers[i] = term_number(b, words[i])) == 0)
			return false;
	push(&b->alts, &b->nalts_ints, &b->alts_cap, slot);
	push(&b->alts, &b->nalts_ints, &b->alts_cap, weight);
	push(&b->alts, &b->nalts_ints, &b->alts_cap, n);
	for (i = 0; i < n; i++)
		push(&b->alts, &b->nalts_ints, &b->alts_cap, numbers[i]);
	return true;
}

/* Splits a normalised member ("mat khau") into words, in place. */
static int
split_words(char *s, char **out, int max)
{
	int			n = 0;
	char	   *save = NULL,
			   *tok;

	for (tok = strtok_r(s, " ", &save); tok != NULL && n < max; tok = strtok_r(NULL, " ", &save))
		out[n++] = tok;
	return n;
}

static char *
join_stems(const KbQuery *kq, int start, int len)
{
	StringInfoData s;
	int			i;

	initStringInfo(&s);
	for (i = 0; i < len; i++)
	{
		if (i > 0)
			appendStringInfoChar(&s, ' ');
		appendStringInfoString(&s, kq->stems[start + i]);
	}
	return s.data;
}

static bool
has_string(List *list, const char *s)
{
	ListCell   *lc;

	foreach(lc, list)
		if (strcmp((const char *) lfirst(lc), s) == 0)
			return true;
	return false;
}

/* A run of words that is a synonym member: where it starts, its length, the other members. */
typedef struct Run
{
	int			start;
	int			len;
	char	   *seq;
	List	   *members;		/* char * of the groups' members other than seq */
} Run;

Datum
helpdesk_kb_plan(PG_FUNCTION_ARGS)
{
	text	   *qt;
	bool		prefix = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);
	KbQuery    *kq;
	TupleDesc	tupdesc;
	Datum		values[6];
	bool		nulls[6] = {true, true, true, true, true, true};
	Builder		b = {0};
	DfMap		dfs = {0};
	MemoryContext caller = CurrentMemoryContext;
	Run		   *runs;
	int			nruns = 0;
	int			covered[KB_QUERY_MAX_WORDS];	/* 0 free, -1 in a chosen run, else the slot */
	int			run_at[KB_QUERY_MAX_WORDS];	/* chosen run starting at this word, or -1 */
	const char *primary[KB_QUERY_MAX_WORDS];	/* the term standing for this word in pairs */
	bool		any_content = false;
	int			slot = 0,
				i,
				j;
	double		n_docs = 1.0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "kb_plan must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	if (PG_ARGISNULL(0))
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	qt = PG_GETARG_TEXT_PP(0);
	kq = kb_query_analyze(VARDATA_ANY(qt), VARSIZE_ANY_EXHDR(qt));
	for (i = 0; i < kq->n; i++)
		if (!kq->stop[i])
			any_content = true;
	if (!any_content)
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "kb_plan: SPI_connect failed");

	/* ---- N, and the synonyms if they changed ---- */
	{
		bool		isnull;
		int64		version;

		if (SPI_execute_plan(prepare(&plan_stats,
									 "SELECT s.n_articles, s.synonyms_version FROM helpdesk.kb_stats s", 0, NULL),
							 NULL, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "kb_plan: helpdesk.kb_stats must have one row");
		n_docs = Max(1.0, (double) DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)));
		version = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		if (version != syn_version || syn_members == NULL)
			synonyms_load(version);
	}

	/* ---- synonym runs: longest first, then leftmost ---- */
	runs = palloc(sizeof(Run) * kq->n * MAX_RUN);
	{
		int			len;

		for (len = MAX_RUN; len >= 1; len--)
			for (i = 0; i + len <= kq->n; i++)
			{
				bool		content = false;
				SynMember  *m;
				ListCell   *lc;

				for (j = i; j < i + len; j++)
					content |= !kq->stop[j];
				if (!content)
					continue;
				runs[nruns].start = i;
				runs[nruns].len = len;
				runs[nruns].seq = join_stems(kq, i, len);
				runs[nruns].members = NIL;
				if (strlen(runs[nruns].seq) >= SYN_KEY ||
					(m = hash_search(syn_members, runs[nruns].seq, HASH_FIND, NULL)) == NULL)
					continue;
				foreach(lc, m->groups)
				{
					SynGroup   *g = &syn_groups[lfirst_int(lc)];
					int			k;

					for (k = 0; k < g->nmembers; k++)
						if (strcmp(g->members[k], runs[nruns].seq) != 0 &&
							!has_string(runs[nruns].members, g->members[k]))
							runs[nruns].members = lappend(runs[nruns].members, g->members[k]);
				}
				nruns++;
			}
	}
	for (i = 0; i < kq->n; i++)
	{
		covered[i] = 0;
		run_at[i] = -1;
		primary[i] = NULL;
	}
	/* runs are ordered longest first, then leftmost */
	for (i = 0; i < nruns; i++)
	{
		bool		available = runs[i].members != NIL;

		for (j = runs[i].start; available && j < runs[i].start + runs[i].len; j++)
			available = covered[j] == 0;
		if (!available)
			continue;
		for (j = runs[i].start; j < runs[i].start + runs[i].len; j++)
			covered[j] = -1;
		run_at[runs[i].start] = i;
	}

	/* ---- document frequencies of the words and of the members chosen, and N ---- */
	{
		char	   *lookup[MAX_TERMS];
		int			nlookup = 0;
		Oid			types[1] = {TEXTARRAYOID};
		Datum		args[1];
		uint64		r;
		bool		isnull;

		for (i = 0; i < kq->n && nlookup < MAX_TERMS; i++)
			if (!kq->stop[i] || covered[i] != 0)
				lookup[nlookup++] = (char *) kq->stems[i];
		for (i = 0; i < kq->n; i++)
			if (run_at[i] >= 0)
			{
				ListCell   *lc;

				foreach(lc, runs[run_at[i]].members)
				{
					char	   *words[8];
					int			k,
								nw = split_words(pstrdup(lfirst(lc)), words, 8);

					for (k = 0; k < nw && nlookup < MAX_TERMS; k++)
						lookup[nlookup++] = words[k];
				}
			}
		args[0] = text_array(lookup, nlookup);
		if (SPI_execute_plan(prepare(&plan_vocab,
									 /* a subplan per term: an index probe each, whatever the table's size */
									 "SELECT u.term, (SELECT v.df FROM helpdesk.kb_vocab v WHERE v.term = u.term)"
									 " FROM unnest($1) AS u(term)",
									 1, types),
							 args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "kb_plan: vocabulary lookup failed");
		for (i = 0; i < nlookup; i++)
			df_set(&dfs, lookup[i], 0);
		for (r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			char	   *term = SPI_getvalue(tup, SPI_tuptable->tupdesc, 1);

			if (term != NULL)
			{
				Datum		df = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);

				if (!isnull)
					df_set(&dfs, term, DatumGetInt32(df));
			}
		}
	}

	/* ---- slots ---- */
	for (i = 0; i < kq->n; i++)
	{
		if (run_at[i] >= 0)
		{
			Run		   *run = &runs[run_at[i]];
			ListCell   *lc;

			slot++;
			add_alternative(&b, slot, W_TYPED, (char **) &kq->stems[i], run->len);
			foreach(lc, run->members)
			{
				char	   *words[8];
				int			nw = split_words(pstrdup(lfirst(lc)), words, 8);

				add_alternative(&b, slot, W_SYNONYM, words, nw);
			}
			for (j = i; j < i + run->len; j++)
			{
				covered[j] = slot;
				primary[j] = kq->stems[j];
			}
		}
		else if (covered[i] == 0 && !kq->stop[i])
		{
			const KbWord *w = &kq->words[i];
			char	   *stem = (char *) kq->stems[i];

			slot++;
			covered[i] = slot;
			if (prefix && i == kq->n - 1 && !kq->trailing_space)
			{
				/* the word being typed: the terms it begins, and those that begin it */
				char	   *starts[KB_WORD_BUF];
				int			nstarts = 0,
							k;
				StringInfoData upper;
				Oid			types[3] = {TEXTOID, TEXTOID, TEXTARRAYOID};
				Datum		args[3];
				uint64		r;

				initStringInfo(&upper);
				appendStringInfoString(&upper, w->fold);
				appendStringInfoString(&upper, "\xf4\x8f\xbf\xbf");
				for (k = 3; k <= w->fold_len; k++)
					starts[nstarts++] = pnstrdup(w->fold, k);
				starts[nstarts++] = stem;
				args[0] = PointerGetDatum(cstring_to_text(w->fold));
				args[1] = PointerGetDatum(cstring_to_text(upper.data));
				args[2] = text_array(starts, nstarts);
				if (SPI_execute_plan(prepare(&plan_prefix,
											 "SELECT t.term, t.df FROM ("
											 "  SELECT v.term, v.df FROM helpdesk.kb_vocab v"
											 "  WHERE v.term OPERATOR(pg_catalog.~>=~) $1 AND v.term OPERATOR(pg_catalog.~<~) $2"
											 "  UNION SELECT u.term, (SELECT v.df FROM helpdesk.kb_vocab v WHERE v.term = u.term)"
											 "  FROM unnest($3) AS u(term)) t"
											 " WHERE t.df IS NOT NULL"
											 " ORDER BY t.df DESC, t.term LIMIT " CppAsString2(MAX_PREFIX_TERMS),
											 3, types),
									 args, NULL, true, 0) != SPI_OK_SELECT)
					elog(ERROR, "kb_plan: prefix lookup failed");
				for (r = 0; r < SPI_processed; r++)
				{
					bool		isnull;
					char	   *term = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
					int			df = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull));

					df_set(&dfs, term, df);
					if (add_alternative(&b, slot, W_TYPED, &term, 1) && primary[i] == NULL)
						primary[i] = term;
				}
				if (primary[i] == NULL)
				{
					/* nothing begins so: the word asks for nothing */
					slot--;
					covered[i] = 0;
					continue;
				}
			}
			else if (w->nchars >= 5 && !w->has_digit && df_of(&dfs, stem) == 0)
			{
				Oid			types[1] = {TEXTOID};
				Datum		args[1] = {PointerGetDatum(cstring_to_text(stem))};
				uint64		r;

				if (SPI_execute_plan(prepare(&plan_corrections,
											 "SELECT c.term, c.distance, v.df FROM helpdesk.kb_corrections($1) c"
											 " JOIN helpdesk.kb_vocab v ON v.term = c.term ORDER BY c.distance, v.df DESC, c.term",
											 1, types),
									 args, NULL, true, 0) != SPI_OK_SELECT)
					elog(ERROR, "kb_plan: typo correction failed");
				for (r = 0; r < SPI_processed; r++)
				{
					bool		isnull;
					HeapTuple	tup = SPI_tuptable->vals[r];
					char	   *term = SPI_getvalue(tup, SPI_tuptable->tupdesc, 1);
					int			distance = DatumGetInt32(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));
					int			df = DatumGetInt32(SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull));

					df_set(&dfs, term, df);
					if (add_alternative(&b, slot, distance <= 1 ? W_TYPO1 : W_TYPO2, &term, 1) && primary[i] == NULL)
						primary[i] = term;
				}
				if (primary[i] == NULL)
				{
					add_alternative(&b, slot, W_TYPED, &stem, 1);
					primary[i] = stem;
				}
			}
			else
			{
				add_alternative(&b, slot, W_TYPED, &stem, 1);
				primary[i] = stem;
			}
		}
		/* consecutive words of different slots */
		if (i > 0 && covered[i] > 0 && covered[i - 1] > 0 && covered[i - 1] != covered[i] &&
			primary[i - 1] != NULL && primary[i] != NULL)
		{
			int			a = term_number(&b, primary[i - 1]),
						c = term_number(&b, primary[i]);

			if (a > 0 && c > 0)
			{
				push(&b.pairs, &b.npairs_ints, &b.pairs_cap, a);
				push(&b.pairs, &b.npairs_ints, &b.pairs_cap, c);
			}
		}
	}

	/* ---- the result, in the caller's memory ---- */
	if (slot > 0 && b.nterms > 0)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);
		Datum	   *terms = palloc(sizeof(Datum) * b.nterms),
				   *idf = palloc(sizeof(Datum) * b.nterms),
				   *alts = palloc(sizeof(Datum) * b.nalts_ints),
				   *pairs = palloc(sizeof(Datum) * (b.npairs_ints + 1));
		ArrayType  *idf_arr,
				   *alts_arr,
				   *pairs_arr;

		for (i = 0; i < b.nterms; i++)
		{
			double		df = Max(df_of(&dfs, b.terms[i]), 0);

			terms[i] = PointerGetDatum(cstring_to_text(b.terms[i]));
			idf[i] = Float4GetDatum((float4) log(1.0 + (n_docs - df + 0.5) / (df + 0.5)));
		}
		for (i = 0; i < b.nalts_ints; i++)
			alts[i] = Int32GetDatum(b.alts[i]);
		for (i = 0; i < b.npairs_ints; i++)
			pairs[i] = Int32GetDatum(b.pairs[i]);
		idf_arr = construct_array(idf, b.nterms, FLOAT4OID, 4, true, TYPALIGN_INT);
		alts_arr = construct_array(alts, b.nalts_ints, INT4OID, 4, true, TYPALIGN_INT);
		pairs_arr = construct_array(pairs, b.npairs_ints, INT4OID, 4, true, TYPALIGN_INT);
		values[0] = PointerGetDatum(construct_array(terms, b.nterms, TEXTOID, -1, false, TYPALIGN_INT));
		values[1] = PointerGetDatum(idf_arr);
		values[2] = PointerGetDatum(alts_arr);
		values[3] = PointerGetDatum(pairs_arr);
		values[4] = Float4GetDatum((float4) kb_plan_max_score(idf_arr, alts_arr, pairs_arr));
		values[5] = Int32GetDatum(slot);
		memset(nulls, false, sizeof(nulls));
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
