/*
 * kb.h: what the knowledge base's C files share inside the server.
 *
 *   kb_terms.c    terms of articles and queries: stems, stop phrases, the BM25F impact
 *   kb_plan.c     a query's plan: slots, alternatives (synonyms, typos, prefixes), idf
 *   kb_snippet.c  the passage of an article that shows the query's words
 *   kb_rank.c     the ranking aggregate over postings
 */
#ifndef KB_H
#define KB_H

#include "postgres.h"

#include "utils/array.h"

#include "kb_text.h"

/*
 * Fields of an article, as tsvector weights: the weight bits of a position say which field it
 * is in (title A, tags B, body C), as in PostgreSQL's WordEntryPos.
 */
#define KB_FIELD_TITLE 3
#define KB_FIELD_TAGS 2
#define KB_FIELD_BODY 1
#define KB_POS_MAX 16383		/* positions beyond this one are counted, not told apart */
#define KB_HITS_MAX 256			/* positions kept per term and article */

/* BM25F: field weights (by weight bits), saturation k1. */
extern const double kb_field_weight[4];
#define KB_K1 1.2

/*
 * The stem of a word: the folded spelling through the English Snowball stemmer of the text
 * search dictionary helpdesk.kb_stem for words of ASCII letters, the folded spelling itself
 * otherwise (numbers, versions, other scripts). Returns a NUL-terminated string that lives
 * until the current memory context is reset; its length in *len.
 */
typedef struct KbStemmer KbStemmer;
extern KbStemmer *kb_stemmer_create(void);
extern const char *kb_stem(KbStemmer *st, const KbWord *w, int *len);

/* A query's words (at most KB_QUERY_MAX_WORDS, the rest is cut), their stems and stop marks. */
#define KB_QUERY_MAX_WORDS 64
typedef struct KbQuery
{
	int			n;
	KbWord	   *words;
	const char **stems;
	bool		stop[KB_QUERY_MAX_WORDS];
	bool		trailing_space; /* the text ends with white space: its last word is finished */
} KbQuery;
extern KbQuery *kb_query_analyze(const char *q, int len);

/* The best score an article can reach for a plan (kb_rank.c). */
extern double kb_plan_max_score(ArrayType *idf, ArrayType *plan, ArrayType *pairs);

/* The stop phrases of tsearch_data/helpdesk_kb.stop, read once per backend. */
extern void kb_stop_phrases(const KbStopPhrase **phrases, int *n);

#endif
