/*
 * kb_rank.c: the ranking of knowledge-base search, as an aggregate over postings.
 *
 *   SELECT p.article_id, helpdesk.kb_rank(t.n, p.impact, p.hits, idf, plan, pairs, mode)
 *   FROM <the query's terms t, numbered 1..K> JOIN helpdesk.kb_postings p ON p.term = t.term
 *   GROUP BY p.article_id
 *
 * The query (helpdesk.kb_plan builds it) is a list of slots, one per thing the user asked for;
 * a slot has alternatives (the words as typed, a typo's corrections, synonyms), each a phrase
 * of one or more terms with a weight. An article scores
 *
 *   sum over slots of  max over alternatives of  weight * scale * (sum of idf(t) * u(t)
 *                                                                  + PAIR * sum of pair(t_i, t_i+1))
 *   + PAIR * sum over `pairs` (consecutive words of the query that are in different slots)
 *     of pair(a, b)
 *
 * scale makes every alternative worth at most what the slot's first alternative (the words as
 * typed) is worth, whatever its number of words (see parse_plan).
 * u(t) is the stored BM25F impact of the term in the article (title-only mode: the saturated
 * count of its title hits); pair(a, b) counts the places where b follows a directly within one
 * field, weighted and saturated as BM25F does, times max(idf(a), idf(b)). So "mật khẩu" ranks
 * the article where the two syllables make the word above the one that has "bảo mật" and
 * "nhập khẩu", an English phrase gets the same lift, and words of the query that the article
 * does not have add nothing (OR semantics, ranked by how much of the query matched how well).
 *
 * helpdesk.kb_rank_max(idf, plan, pairs) is the score of an article that matched everything
 * as well as can be: score / max is the search's confidence (0..1).
 *
 * helpdesk.kb_rank_top(terms, idf, plan, pairs, mode, per_term, include_drafts, n) is the same
 * ranking without the executor: it reads the best per_term postings of each term straight from
 * the index on (term, impact DESC) (an index-only scan, as the SQL form's plan does), adds them
 * up per article in a hash table and returns the n best articles (and those tied with the n-th:
 * the caller's tie-breakers choose among them; all with a score above 0 when n is NULL), best
 * first, ties by id, each with the body positions of the terms read for it (kb_snippet_at's
 * matches) and the terms it may have although they were not read for it (unread: their lists
 * were cut at per_term), which are the only ones the snippet still has to look up. Same scores as the aggregate (the same score()), without a
 * tuple per posting through a nested loop, a hash aggregate, a CTE and a sort
 * (bench/kb_c_vs_sql.sh measures the two). With n given, an article is scored only when a bound
 * of its score (TermBound: what its terms read can give at most) reaches the n-th best score
 * found so far, the articles of the n highest bounds first (at 100,000 articles ~160 of ~560
 * candidates are scored), and the n best are selected, not sorted with the rest.
 *
 * Why the lists are not cut earlier (MaxScore/WAND): a returned article must have the score the
 * full lists give it, and an article missing from a cut list can only be told apart from one
 * further down that list by reading on. At 100,000 articles, 697 of the 748 lists cut at 100
 * postings for the labelled queries miss one of the 30 returned articles (bench/RESULTS.md):
 * an exact cut-off could skip at most the rest, ~7% of the postings read.
 *
 * Arguments are checked once per query (the plan is parsed into the transition function's
 * fn_extra); a malformed plan is an error, never a crash.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/itup.h"
#include "access/relscan.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/visibilitymap.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/predicate.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"

#include "kb.h"

PG_FUNCTION_INFO_V1(helpdesk_kb_rank_step);
PG_FUNCTION_INFO_V1(helpdesk_kb_rank_final);
PG_FUNCTION_INFO_V1(helpdesk_kb_rank_max);
PG_FUNCTION_INFO_V1(helpdesk_kb_rank_top);

#define PAIR_WEIGHT 1.0
#define MODE_ALL 0
#define MODE_TITLE 1
#define MAX_TERMS 256

typedef struct Alternative
{
	int			slot;
	double		weight;
	int			nterms;
	const int  *terms;			/* 0-based term numbers */
	double		scale;			/* the slot's importance / this alternative's best raw score */
} Alternative;

typedef struct RankPlan
{
	int			nterms;
	float4	   *idf;
	int			nalts;
	Alternative *alts;
	int			npairs;
	int		   *pairs;			/* 2 * npairs, 0-based */
	int			mode;
	bool	   *needs_hits;		/* per term: in a phrase or a pair, or title mode */
	/* the arguments this plan was parsed from, to notice a different plan */
	ArrayType  *raw_idf;
	ArrayType  *raw_plan;
	ArrayType  *raw_pairs;
} RankPlan;

typedef struct RankState
{
	const RankPlan *plan;
	float4	   *impact;			/* per term; 0 when the article lacks it */
	int16	  **hits;
	int		   *nhits;
} RankState;

static void
bad_plan(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("malformed knowledge-base search plan: %s", why)));
}

static int
int_array(ArrayType *a, int32 **out)
{
	if (ARR_NDIM(a) > 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != INT4OID)
		bad_plan("integer arrays of one dimension without NULLs expected");
	*out = (int32 *) ARR_DATA_PTR(a);
	return ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
}

static bool
same_array(ArrayType *a, ArrayType *b)
{
	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

/* The best raw score of an alternative: every term and every inner pair at full strength. */
static double
alternative_max(const RankPlan *p, const Alternative *a)
{
	double		v = 0.0;
	int			j;

	for (j = 0; j < a->nterms; j++)
		v += p->idf[a->terms[j]];
	for (j = 0; j + 1 < a->nterms; j++)
		v += PAIR_WEIGHT * Max(p->idf[a->terms[j]], p->idf[a->terms[j + 1]]);
	return v;
}

/* Parses and checks the plan in memory context cxt. */
static RankPlan *
parse_plan(MemoryContext cxt, ArrayType *idf, ArrayType *plan, ArrayType *pairs, int mode)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	RankPlan	   *p = palloc0(sizeof(RankPlan));
	int32	   *v;
	int			n,
				i,
				j;

	p->raw_idf = (ArrayType *) PG_DETOAST_DATUM_COPY(PointerGetDatum(idf));
	p->raw_plan = (ArrayType *) PG_DETOAST_DATUM_COPY(PointerGetDatum(plan));
	p->raw_pairs = (ArrayType *) PG_DETOAST_DATUM_COPY(PointerGetDatum(pairs));
	p->mode = mode;
	if (mode != MODE_ALL && mode != MODE_TITLE)
		bad_plan("unknown mode");

	if (ARR_NDIM(p->raw_idf) > 1 || ARR_HASNULL(p->raw_idf) || ARR_ELEMTYPE(p->raw_idf) != FLOAT4OID)
		bad_plan("idf must be a real[] without NULLs");
	p->nterms = ArrayGetNItems(ARR_NDIM(p->raw_idf), ARR_DIMS(p->raw_idf));
	if (p->nterms < 1 || p->nterms > MAX_TERMS)
		bad_plan("between 1 and 256 terms expected");
	p->idf = (float4 *) ARR_DATA_PTR(p->raw_idf);
	for (i = 0; i < p->nterms; i++)
		if (!(p->idf[i] >= 0.0f && p->idf[i] < 1000.0f))
			bad_plan("idf out of range");

	/* alternatives: slot, weight in thousandths, n, then n term numbers (1-based) */
	n = int_array(p->raw_plan, &v);
	p->alts = palloc(sizeof(Alternative) * (n / 4 + 1));
	for (i = 0; i < n;)
	{
		Alternative *a = &p->alts[p->nalts];
		int32	   *terms;

		if (n - i < 4 || v[i] < 1 || v[i + 1] < 0 || v[i + 1] > 10000 || v[i + 2] < 1 || v[i + 2] > n - i - 3)
			bad_plan("alternative out of range");
		a->slot = v[i];
		a->weight = v[i + 1] / 1000.0;
		a->nterms = v[i + 2];
		terms = palloc(sizeof(int) * a->nterms);
		for (j = 0; j < a->nterms; j++)
		{
			if (v[i + 3 + j] < 1 || v[i + 3 + j] > p->nterms)
				bad_plan("term number out of range");
			terms[j] = v[i + 3 + j] - 1;
		}
		a->terms = terms;
		p->nalts++;
		i += 3 + a->nterms;
	}
	if (p->nalts == 0)
		bad_plan("no alternatives");
	/*
	 * An alternative stands for its slot whatever its length: "máy tính xách tay" for "laptop"
	 * must not outscore "laptop" itself because it has four words. Its raw score is scaled to
	 * the slot's importance, the best raw score of the slot's first alternative (the words as
	 * typed, or the best correction of a typo).
	 */
	{
		double		importance = 0.0;
		int			slot = -1;

		for (i = 0; i < p->nalts; i++)
		{
			double		m = alternative_max(p, &p->alts[i]);

			if (p->alts[i].slot != slot)
			{
				slot = p->alts[i].slot;
				importance = m;
			}
			p->alts[i].scale = m > 0.0 ? importance / m : 0.0;
		}
	}

	n = int_array(p->raw_pairs, &v);
	if (n % 2 != 0)
		bad_plan("pairs must come two by two");
	p->npairs = n / 2;
	p->pairs = palloc(sizeof(int) * (n + 1));
	for (i = 0; i < n; i++)
	{
		if (v[i] < 1 || v[i] > p->nterms)
			bad_plan("pair term number out of range");
		p->pairs[i] = v[i] - 1;
	}
	/* only terms of phrases and pairs (and every term in title mode) need their positions */
	p->needs_hits = palloc0(sizeof(bool) * p->nterms);
	for (i = 0; i < p->nalts; i++)
		for (j = 0; j < p->alts[i].nterms; j++)
			if (p->alts[i].nterms > 1 || mode == MODE_TITLE)
				p->needs_hits[p->alts[i].terms[j]] = true;
	for (i = 0; i < 2 * p->npairs; i++)
		p->needs_hits[p->pairs[i]] = true;
	MemoryContextSwitchTo(old);
	return p;
}

static double
saturate(double f)
{
	return f / (KB_K1 + f);
}

/* u(t): the stored impact, or in title mode the saturated weight of the title hits. */
static double
unigram(const RankPlan *p, const RankState *s, int t)
{
	int			i,
				tf = 0;

	if (p->mode == MODE_ALL)
		return s->impact[t];
	for (i = 0; i < s->nhits[t]; i++)
		if (((uint16) s->hits[t][i] >> 14) == KB_FIELD_TITLE)
			tf++;
	return tf > 0 ? saturate(kb_field_weight[KB_FIELD_TITLE] * tf) : 0.0;
}

/* pair(a, b): b directly after a in the same field, weighted, saturated, times the rarer idf. */
static double
pair_score(const RankPlan *p, const RankState *s, int a, int b)
{
	const int16 *ha = s->hits[a],
			   *hb = s->hits[b];
	int			na = s->nhits[a],
				nb = s->nhits[b],
				i,
				j = 0;
	double		f = 0.0;

	if (na == 0 || nb == 0)
		return 0.0;
	for (i = 0; i < na; i++)
	{
		uint16		x = (uint16) ha[i];
		int			want = (x & 0x3FFF) + 1;

		while (j < nb && ((uint16) hb[j] & 0x3FFF) < want)
			j++;
		if (j == nb)
			break;
		if (((uint16) hb[j] & 0x3FFF) == want && ((uint16) hb[j] >> 14) == (x >> 14) &&
			want <= KB_POS_MAX && (p->mode == MODE_ALL || (x >> 14) == KB_FIELD_TITLE))
			f += kb_field_weight[x >> 14];
	}
	if (f == 0.0)
		return 0.0;
	return Max(p->idf[a], p->idf[b]) * saturate(f);
}

static double
score(const RankPlan *p, const RankState *s)
{
	double		total = 0.0,
				best = 0.0;
	int			i,
				j,
				slot = -1;

	/* alternatives of one slot are consecutive in the plan (kb_plan writes them so) */
	for (i = 0; i < p->nalts; i++)
	{
		const Alternative *a = &p->alts[i];
		double		v = 0.0;

		if (a->slot != slot)
		{
			total += best;
			best = 0.0;
			slot = a->slot;
		}
		for (j = 0; j < a->nterms; j++)
			v += p->idf[a->terms[j]] * unigram(p, s, a->terms[j]);
		for (j = 0; j + 1 < a->nterms; j++)
			v += PAIR_WEIGHT * pair_score(p, s, a->terms[j], a->terms[j + 1]);
		v *= a->weight * a->scale;
		if (v > best)
			best = v;
	}
	total += best;
	for (i = 0; i < p->npairs; i++)
		total += PAIR_WEIGHT * pair_score(p, s, p->pairs[2 * i], p->pairs[2 * i + 1]);
	return total;
}

static double
max_score(const RankPlan *p)
{
	double		total = 0.0,
				best = 0.0;
	int			i,
				slot = -1;

	for (i = 0; i < p->nalts; i++)
	{
		const Alternative *a = &p->alts[i];
		double		v;

		if (a->slot != slot)
		{
			total += best;
			best = 0.0;
			slot = a->slot;
		}
		v = alternative_max(p, a) * a->weight * a->scale;
		if (v > best)
			best = v;
	}
	total += best;
	for (i = 0; i < p->npairs; i++)
		total += PAIR_WEIGHT * Max(p->idf[p->pairs[2 * i]], p->idf[p->pairs[2 * i + 1]]);
	return total;
}

Datum
helpdesk_kb_rank_step(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	RankState  *s;
	RankPlan	   *p;
	int			t;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "helpdesk_kb_rank_step called in a non-aggregate context");
	if (PG_ARGISNULL(1) || PG_ARGISNULL(4) || PG_ARGISNULL(5) || PG_ARGISNULL(6) || PG_ARGISNULL(7))
		bad_plan("NULL argument");

	p = (RankPlan *) fcinfo->flinfo->fn_extra;
	{
		ArrayType  *idf = PG_GETARG_ARRAYTYPE_P(4);
		ArrayType  *plan = PG_GETARG_ARRAYTYPE_P(5);
		ArrayType  *pairs = PG_GETARG_ARRAYTYPE_P(6);

		if (p == NULL || p->mode != PG_GETARG_INT32(7) || !same_array(p->raw_idf, idf) ||
			!same_array(p->raw_plan, plan) || !same_array(p->raw_pairs, pairs))
		{
			p = parse_plan(fcinfo->flinfo->fn_mcxt, idf, plan, pairs, PG_GETARG_INT32(7));
			fcinfo->flinfo->fn_extra = p;
		}
	}

	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		s = palloc(sizeof(RankState));
		s->plan = p;
		s->impact = palloc0(sizeof(float4) * p->nterms);
		s->hits = palloc0(sizeof(int16 *) * p->nterms);
		s->nhits = palloc0(sizeof(int) * p->nterms);
		MemoryContextSwitchTo(old);
	}
	else
	{
		s = (RankState *) PG_GETARG_POINTER(0);
		if (s->plan != p)
			bad_plan("the plan changed within a group");
	}

	t = PG_GETARG_INT32(1) - 1;
	if (t < 0 || t >= p->nterms)
		bad_plan("term number out of range");
	s->impact[t] = PG_ARGISNULL(2) ? 0.0f : PG_GETARG_FLOAT4(2);
	if (!PG_ARGISNULL(3) && p->needs_hits[t])
	{
		ArrayType  *hits = PG_GETARG_ARRAYTYPE_P(3);
		int			n;

		if (ARR_NDIM(hits) > 1 || ARR_HASNULL(hits) || ARR_ELEMTYPE(hits) != INT2OID)
			bad_plan("hits must be a smallint[] without NULLs");
		n = ArrayGetNItems(ARR_NDIM(hits), ARR_DIMS(hits));
		s->hits[t] = MemoryContextAlloc(aggcxt, sizeof(int16) * (n + 1));
		memcpy(s->hits[t], ARR_DATA_PTR(hits), sizeof(int16) * n);
		s->nhits[t] = n;
	}
	PG_RETURN_POINTER(s);
}

Datum
helpdesk_kb_rank_final(PG_FUNCTION_ARGS)
{
	RankState  *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (RankState *) PG_GETARG_POINTER(0);
	PG_RETURN_FLOAT4((float4) score(s->plan, s));
}

double
kb_plan_max_score(ArrayType *idf, ArrayType *plan, ArrayType *pairs)
{
	return max_score(parse_plan(CurrentMemoryContext, idf, plan, pairs, MODE_ALL));
}

Datum
helpdesk_kb_rank_max(PG_FUNCTION_ARGS)
{
	RankPlan	   *p;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	p = parse_plan(CurrentMemoryContext, PG_GETARG_ARRAYTYPE_P(0), PG_GETARG_ARRAYTYPE_P(1),
				   PG_GETARG_ARRAYTYPE_P(2), MODE_ALL);
	PG_RETURN_FLOAT4((float4) max_score(p));
}

/* One article among the candidates of kb_rank_top. */
typedef struct Candidate
{
	int32		article_id;		/* hash key */
	RankState	state;
	double		bound;			/* at least its score: the sum of its terms' TermBound */
	float4		score;
} Candidate;

/*
 * What a term read for an article can add to its score at most: coef * u + fixed, u being the
 * term's unigram (its impact; in title mode at most 1). Per slot, the most any alternative with
 * the term gives its occurrences and the pairs it starts (a pair is worth at most PAIR_WEIGHT
 * times the rarer idf, and nothing without both terms), summed over slots, plus the query's
 * pairs between slots it starts. The best alternative of a slot is worth at most the sum of its
 * read terms' shares, so the sum over an article's read terms bounds its score.
 */
typedef struct TermBound
{
	double		coef;
	double		fixed;
} TermBound;

static TermBound *
term_bounds(const RankPlan *p)
{
	TermBound  *bounds = palloc0(sizeof(TermBound) * p->nterms);
	double	   *coef = palloc(sizeof(double) * p->nterms);
	double	   *fixed = palloc(sizeof(double) * p->nterms);
	int			i,
				k,
				a,
				j,
				m,
				t;

	for (i = 0; i < p->nalts; i = k)
	{
		/* the alternatives of one slot are consecutive (see score) */
		for (k = i; k < p->nalts && p->alts[k].slot == p->alts[i].slot; k++)
			;
		memset(coef, 0, sizeof(double) * p->nterms);
		memset(fixed, 0, sizeof(double) * p->nterms);
		for (a = i; a < k; a++)
		{
			const Alternative *alt = &p->alts[a];
			double		ws = alt->weight * alt->scale;

			for (j = 0; j < alt->nterms; j++)
			{
				double		occurrences = 0.0,
							pairs = 0.0;

				t = alt->terms[j];
				for (m = 0; m < j && alt->terms[m] != t; m++)
					;
				if (m < j)
					continue;	/* counted at its first occurrence */
				for (m = j; m < alt->nterms; m++)
					if (alt->terms[m] == t)
					{
						occurrences += 1.0;
						if (m + 1 < alt->nterms)
							pairs += PAIR_WEIGHT * Max(p->idf[t], p->idf[alt->terms[m + 1]]);
					}
				coef[t] = Max(coef[t], ws * occurrences * p->idf[t]);
				fixed[t] = Max(fixed[t], ws * pairs);
			}
		}
		for (t = 0; t < p->nterms; t++)
		{
			bounds[t].coef += coef[t];
			bounds[t].fixed += fixed[t];
		}
	}
	for (i = 0; i < p->npairs; i++)
		bounds[p->pairs[2 * i]].fixed += PAIR_WEIGHT * Max(p->idf[p->pairs[2 * i]], p->idf[p->pairs[2 * i + 1]]);
	pfree(coef);
	pfree(fixed);
	return bounds;
}

static int
candidate_cmp(const void *a, const void *b)
{
	const Candidate *x = *(Candidate *const *) a;
	const Candidate *y = *(Candidate *const *) b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->article_id < y->article_id ? -1 : x->article_id > y->article_id;
}

/*
 * Offers v to a min-heap of the n best scores so far (*filled of them): its root is then the
 * n-th best once it is full.
 */
static void
heap_offer(float4 *heap, int *filled, int n, float4 v)
{
	int			at;

	if (*filled < n)
	{
		/* sift up */
		at = (*filled)++;
		while (at > 0 && heap[(at - 1) / 2] > v)
		{
			heap[at] = heap[(at - 1) / 2];
			at = (at - 1) / 2;
		}
		heap[at] = v;
		return;
	}
	if (v <= heap[0])
		return;
	/* replace the root, sift down */
	at = 0;
	for (;;)
	{
		int			child = 2 * at + 1;

		if (child >= n)
			break;
		if (child + 1 < n && heap[child + 1] < heap[child])
			child++;
		if (heap[child] >= v)
			break;
		heap[at] = heap[child];
		at = child;
	}
	heap[at] = v;
}

/* Heap blocks per page of the visibility map (visibilitymap.c: two bits per block). */
#define VM_HEAP_BLOCKS_PER_PAGE ((BLCKSZ - MAXALIGN(SizeOfPageHeaderData)) * 4)
#define VM_PAGES_KEPT 64		/* 2 million heap blocks; beyond, the last one is swapped */

/* The columns of kb_postings_term_idx: (term, impact DESC) INCLUDE (article_id, published, hits). */
#define POSTINGS_IDX_NATTS 5
#define POSTINGS_IDX_IMPACT 1
#define POSTINGS_IDX_ARTICLE 2
#define POSTINGS_IDX_PUBLISHED 3
#define POSTINGS_IDX_HITS 4

static Oid
relation_oid(Oid nsp, const char *name)
{
	Oid			oid = get_relname_relid(name, nsp);

	if (!OidIsValid(oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation helpdesk.%s does not exist", name)));
	return oid;
}

Datum
helpdesk_kb_rank_top(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext work,
				row,
				old;
	RankPlan	   *p;
	Datum	   *terms;
	bool	   *term_nulls;
	int			nterms,
				per_term,
				limit,
				ncand = 0,
				t,
				i;
	bool		include_drafts;
	Oid			nsp;
	Relation	heap,
				index;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	Buffer		vmbufs[VM_PAGES_KEPT] = {InvalidBuffer};
	Snapshot	snapshot = GetActiveSnapshot();
	HASHCTL		hctl;
	HTAB	   *candidates;
	HASH_SEQ_STATUS seq;
	Candidate  *c,
			  **ranked;
	bool	   *truncated;
	TermBound  *bounds;
	float4	   *best = NULL,
				first_bound = 0.0f;
	int			nbest = 0,
				scored = 0,
				pass;
	Candidate **all;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4) ||
		PG_ARGISNULL(5) || PG_ARGISNULL(6))
		bad_plan("NULL argument");
	InitMaterializedSRF(fcinfo, 0);

	work = AllocSetContextCreate(CurrentMemoryContext, "kb_rank_top", ALLOCSET_DEFAULT_SIZES);
	row = AllocSetContextCreate(work, "kb_rank_top posting", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(work);

	p = parse_plan(work, PG_GETARG_ARRAYTYPE_P(1), PG_GETARG_ARRAYTYPE_P(2), PG_GETARG_ARRAYTYPE_P(3),
				   PG_GETARG_INT32(4));
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(0), TEXTOID, -1, false, TYPALIGN_INT,
					  &terms, &term_nulls, &nterms);
	if (nterms != p->nterms)
		bad_plan("as many terms as idf values expected");
	truncated = palloc0(sizeof(bool) * (nterms + 1));
	bounds = term_bounds(p);
	per_term = Max(PG_GETARG_INT32(5), 1);
	include_drafts = PG_GETARG_BOOL(6);
	limit = PG_ARGISNULL(7) ? -1 : Max(PG_GETARG_INT32(7), 0);

	memset(&hctl, 0, sizeof(hctl));
	hctl.keysize = sizeof(int32);
	hctl.entrysize = sizeof(Candidate);
	hctl.hcxt = work;
	candidates = hash_create("kb_rank_top candidates", Min(nterms * per_term, 65536), &hctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	nsp = get_namespace_oid("helpdesk", false);
	heap = table_open(relation_oid(nsp, "kb_postings"), AccessShareLock);
	index = index_open(relation_oid(nsp, "kb_postings_term_idx"), AccessShareLock);
	if (RelationGetDescr(index)->natts != POSTINGS_IDX_NATTS)
		elog(ERROR, "helpdesk.kb_postings_term_idx has an unexpected shape");
	slot = table_slot_create(heap, NULL);
	scan = index_beginscan(heap, index, snapshot, 1, 0);
	scan->xs_want_itup = true;	/* an index-only scan: the columns come from the index */

	for (t = 0; t < nterms; t++)
	{
		ScanKeyData key;
		ItemPointer tid;
		int			taken = 0;

		if (term_nulls[t])
			bad_plan("NULL term");
		ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid,
							   index->rd_indcollation[0], F_TEXTEQ, terms[t]);
		index_rescan(scan, &key, 1, NULL, 0);
		truncated[t] = false;
		while (taken < per_term && (tid = index_getnext_tid(scan, ForwardScanDirection)) != NULL)
		{
			Datum		values[POSTINGS_IDX_NATTS];
			bool		nulls[POSTINGS_IDX_NATTS];
			bool		found;

			CHECK_FOR_INTERRUPTS();
			/*
			 * as nodeIndexonlyscan.c: the heap only when the page is not all-visible. The
			 * postings of a term are spread over the table: one pinned buffer per page of the
			 * visibility map, not one swapped at every posting.
			 */
			if (!VM_ALL_VISIBLE(heap, ItemPointerGetBlockNumber(tid),
								&vmbufs[Min(ItemPointerGetBlockNumber(tid) / VM_HEAP_BLOCKS_PER_PAGE,
											VM_PAGES_KEPT - 1)]))
			{
				if (!index_fetch_heap(scan, slot))
					continue;
				ExecClearTuple(slot);
			}
			else
				PredicateLockPage(heap, ItemPointerGetBlockNumber(tid), snapshot);
			if (scan->xs_itup == NULL)
				elog(ERROR, "helpdesk.kb_postings_term_idx returned no index tuple");
			index_deform_tuple(scan->xs_itup, scan->xs_itupdesc, values, nulls);
			if (nulls[POSTINGS_IDX_ARTICLE] || nulls[POSTINGS_IDX_IMPACT] || nulls[POSTINGS_IDX_PUBLISHED])
				elog(ERROR, "helpdesk.kb_postings_term_idx returned NULL columns");
			if (!DatumGetBool(values[POSTINGS_IDX_PUBLISHED]) && !include_drafts)
				continue;
			if (++taken == per_term)
				truncated[t] = true;	/* there may be more: articles left unread */

			{
				int32		article_id = DatumGetInt32(values[POSTINGS_IDX_ARTICLE]);

				c = hash_search(candidates, &article_id, HASH_ENTER, &found);
			}
			if (!found)
			{
				/* one allocation for the three arrays */
				char	   *mem = palloc0((sizeof(int16 *) + sizeof(float4) + sizeof(int)) * nterms);

				c->state.plan = p;
				c->state.hits = (int16 **) mem;
				c->state.impact = (float4 *) (mem + sizeof(int16 *) * nterms);
				c->state.nhits = (int *) (mem + (sizeof(int16 *) + sizeof(float4)) * nterms);
				c->bound = 0.0;
				ncand++;
			}
			c->state.impact[t] = DatumGetFloat4(values[POSTINGS_IDX_IMPACT]);
			c->bound += bounds[t].coef * (p->mode == MODE_ALL ? c->state.impact[t] : 1.0) + bounds[t].fixed;
			/* every term's positions: the ranking's phrases and pairs, and the snippet's marks */
			if (!nulls[POSTINGS_IDX_HITS])
			{
				Pointer		raw = DatumGetPointer(values[POSTINGS_IDX_HITS]);
				ArrayType  *hits;
				int			n;
				union
				{
					double		align;
					char		bytes[VARHDRSZ + 128];
				}			short_copy;

				if (VARATT_IS_SHORT(raw) && !VARATT_IS_EXTERNAL(raw))
				{
					/*
					 * a short array stored inline (most of them): its bytes under a 4-byte
					 * header on the stack, as pg_detoast_datum makes them in a palloc'd copy
					 * (that copy and the context reset after it were ~3% of a search)
					 */
					Size		len = VARSIZE_SHORT(raw) - VARHDRSZ_SHORT;

					SET_VARSIZE(short_copy.bytes, len + VARHDRSZ);
					memcpy(short_copy.bytes + VARHDRSZ, VARDATA_SHORT(raw), len);
					hits = (ArrayType *) short_copy.bytes;
				}
				else
				{
					MemoryContextSwitchTo(row);
					hits = DatumGetArrayTypeP(values[POSTINGS_IDX_HITS]);	/* may decompress */
					MemoryContextSwitchTo(work);
				}
				if (ARR_NDIM(hits) > 1 || ARR_HASNULL(hits) || ARR_ELEMTYPE(hits) != INT2OID)
					bad_plan("hits must be a smallint[] without NULLs");
				n = ArrayGetNItems(ARR_NDIM(hits), ARR_DIMS(hits));
				c->state.hits[t] = palloc(sizeof(int16) * (n + 1));
				memcpy(c->state.hits[t], ARR_DATA_PTR(hits), sizeof(int16) * n);
				c->state.nhits[t] = n;
				if ((Pointer) hits != short_copy.bytes)
					MemoryContextReset(row);
			}
		}
	}
	index_endscan(scan);
	for (i = 0; i < VM_PAGES_KEPT; i++)
		if (BufferIsValid(vmbufs[i]))
			ReleaseBuffer(vmbufs[i]);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, AccessShareLock);
	table_close(heap, AccessShareLock);

	/* scores, best first; the first `limit` of those above 0 */
	ranked = palloc(sizeof(Candidate *) * (ncand + 1));
	all = palloc(sizeof(Candidate *) * (ncand + 1));
	t = 0;
	hash_seq_init(&seq, candidates);
	while ((c = hash_seq_search(&seq)) != NULL)
		all[t++] = c;
	if (limit > 0)
	{
		/* the n highest bounds: those articles are scored first, to start the n best high */
		int			nb = 0;

		best = palloc(sizeof(float4) * limit);
		for (t = 0; t < ncand; t++)
			heap_offer(best, &nb, limit, (float4) all[t]->bound);
		first_bound = nb == limit ? best[0] : 0.0f;
	}
	i = 0;
	for (pass = 0; pass < 2; pass++)
		for (t = 0; t < ncand; t++)
		{
			c = all[t];
			if ((pass == 0) != ((float4) c->bound >= first_bound))
				continue;
			/*
			 * With n best to find, an article whose bound is below the n-th best score so far
			 * cannot be among them nor tie with the n-th: not scored (the bound rounded up a
			 * little, so that a float rounding never drops a tie).
			 */
			if (limit > 0 && nbest == limit && (float4) (c->bound * (1.0 + 1e-6)) < best[0])
				continue;
			c->score = (float4) score(p, &c->state);
			scored++;
			if (c->score > 0.0f)
			{
				ranked[i++] = c;
				if (limit > 0)
					heap_offer(best, &nbest, limit, c->score);
			}
		}
	elog(DEBUG1, "kb_rank_top: %d candidates, %d scored", ncand, scored);
	if (limit == 0)
		i = 0;
	else if (limit > 0 && i > limit)
	{
		/*
		 * The n best and those tied with the n-th (the caller's tie-breakers choose among
		 * them): the n-th best score from the selection above, then a sort of those kept
		 * only, not of every candidate (~600 at 100,000 articles for 30 kept). Same rows and
		 * order as a sort of all of them cut after the last tie.
		 */
		int			kept = 0;

		for (t = 0; t < i; t++)
			if (ranked[t]->score >= best[0])
				ranked[kept++] = ranked[t];
		i = kept;
	}
	qsort(ranked, i, sizeof(Candidate *), candidate_cmp);

	MemoryContextSwitchTo(old);
	for (c = NULL, t = 0; t < i; t++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		const RankState *st = &ranked[t]->state;
		int			n = 0,
					u,
					k;
		Datum	   *matches,
				   *unread;

		for (u = 0; u < nterms; u++)
			n += st->nhits[u];
		matches = palloc(sizeof(Datum) * (n + 1));
		n = 0;
		for (u = 0; u < nterms; u++)
			for (k = 0; k < st->nhits[u]; k++)
				if (((uint16) st->hits[u][k] >> 14) == KB_FIELD_BODY)
					matches[n++] = Int32GetDatum((u << 16) | ((uint16) st->hits[u][k] & 0x3FFF));
		values[0] = Int32GetDatum(ranked[t]->article_id);
		values[1] = Float4GetDatum(ranked[t]->score);
		values[2] = PointerGetDatum(construct_array(matches, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
		unread = palloc(sizeof(Datum) * (nterms + 1));
		n = 0;
		for (u = 0; u < nterms; u++)
			if (truncated[u] && st->impact[u] == 0.0f)
				unread[n++] = Int32GetDatum(u + 1);
		values[3] = PointerGetDatum(construct_array(unread, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(matches);
		pfree(unread);
	}
	MemoryContextDelete(work);
	return (Datum) 0;
}

/*
 * helpdesk.kb_unread_positions(article_id, unread, terms) -> int[]: the body positions of the
 * terms kb_rank_top did not read for an article (unread: term numbers, 1-based, into terms), as
 * kb_snippet_at takes them ((term number - 1) << 16 | position): one probe of the postings'
 * primary key (article_id, term) per term, straight from C. The same array as the SQL it
 * replaces (a nested loop of unnest, an index scan and unnest(hits) per shown article), with
 * 0.41 against ~0.60 M instructions per search at 100,000 articles (bench/RESULTS.md).
 */
PG_FUNCTION_INFO_V1(helpdesk_kb_unread_positions);

Datum
helpdesk_kb_unread_positions(PG_FUNCTION_ARGS)
{
	int32		article_id = PG_GETARG_INT32(0);
	ArrayType  *unread = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *terms;
	bool	   *term_nulls;
	int			nterms,
				nunread,
				n = 0,
				cap = 64,
				i;
	int32	   *numbers;
	Datum	   *out;
	Oid			nsp;
	Relation	heap,
				index;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	AttrNumber	hits_attnum;

	nunread = int_array(unread, &numbers);
	out = palloc(sizeof(Datum) * cap);
	if (nunread == 0)
		PG_RETURN_ARRAYTYPE_P(construct_array(out, 0, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(2), TEXTOID, -1, false, TYPALIGN_INT,
					  &terms, &term_nulls, &nterms);

	nsp = get_namespace_oid("helpdesk", false);
	heap = table_open(relation_oid(nsp, "kb_postings"), AccessShareLock);
	index = index_open(relation_oid(nsp, "kb_postings_pkey"), AccessShareLock);
	hits_attnum = get_attnum(RelationGetRelid(heap), "hits");
	if (RelationGetDescr(index)->natts != 2 || hits_attnum == InvalidAttrNumber)
		elog(ERROR, "helpdesk.kb_postings or its primary key has an unexpected shape");
	slot = table_slot_create(heap, NULL);
	scan = index_beginscan(heap, index, GetActiveSnapshot(), 2, 0);
	for (i = 0; i < nunread; i++)
	{
		ScanKeyData keys[2];
		int			t = numbers[i];
		bool		isnull;
		Datum		hits_datum;

		if (t < 1 || t > nterms)
			bad_plan("term number out of range");
		if (term_nulls[t - 1])
			continue;
		ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
							   index->rd_indcollation[0], F_INT4EQ, Int32GetDatum(article_id));
		ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
							   index->rd_indcollation[1], F_TEXTEQ, terms[t - 1]);
		index_rescan(scan, keys, 2, NULL, 0);
		if (!index_getnext_slot(scan, ForwardScanDirection, slot))
			continue;
		hits_datum = slot_getattr(slot, hits_attnum, &isnull);
		if (!isnull)
		{
			ArrayType  *hits = DatumGetArrayTypeP(hits_datum);
			int16	   *h;
			int			nh,
						k;

			if (ARR_NDIM(hits) > 1 || ARR_HASNULL(hits) || ARR_ELEMTYPE(hits) != INT2OID)
				bad_plan("hits must be a smallint[] without NULLs");
			nh = ArrayGetNItems(ARR_NDIM(hits), ARR_DIMS(hits));
			h = (int16 *) ARR_DATA_PTR(hits);
			for (k = 0; k < nh; k++)
				if ((((uint16) h[k] >> 14) & 3) == KB_FIELD_BODY)
				{
					if (n == cap)
					{
						cap *= 2;
						out = repalloc(out, sizeof(Datum) * cap);
					}
					out[n++] = Int32GetDatum(((t - 1) << 16) | ((uint16) h[k] & 0x3FFF));
				}
		}
		ExecClearTuple(slot);
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, AccessShareLock);
	table_close(heap, AccessShareLock);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
}
