/*
 * kb_snippet.c: the passage of an article that shows the query's words.
 *
 * helpdesk.kb_snippet(body text, terms text[], max_words int, html boolean) -> text
 *
 * The body (its first 4,000 words) goes through the same tokenizer and stems as the index (kb_terms.c), so a word is
 * highlighted exactly when it is one the search matched ("Wi-Fi" for "wifi", "mật khẩu" for
 * "mat khau"). The passage is the window of max_words words with the most distinct query terms
 * (then the most hits, then the earliest), moved to start at the beginning of its sentence
 * when that is near and to stop at a sentence end when one is near; "…" marks a cut.
 *
 * The text between the passage's words is copied with runs of white space made one space and
 * Markdown's markup dropped (emphasis, code ticks, heading and quote marks, table bars, link
 * targets). With html, the source text's HTML is escaped (&, <, >, ", ') and the query's words
 * are wrapped in <mark>...</mark>; without (the chatbot quotes a passage as plain text) neither.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "kb.h"

PG_FUNCTION_INFO_V1(helpdesk_kb_snippet);
PG_FUNCTION_INFO_V1(helpdesk_kb_snippet_at);

#define MAX_TERMS 256
#define GAP_MAX 16				/* bytes of text kept between two words of a passage */
#define SCAN_MAX_WORDS 4000		/* a passage is looked for in the first 4,000 words */

typedef struct SnipWord
{
	size_t		start;
	size_t		end;
	bool		sentence_start;
	int16		term;			/* index into the query's terms, -1: none */
} SnipWord;

/*
 * The end of the Markdown link target that starts at src[at] ("](target)"), or `at` when there is
 * none there. Words inside a link target are never shown.
 */
static size_t
link_target_end(const char *src, size_t len, size_t at)
{
	const char *close;

	if (at + 1 >= len || src[at] != ']' || src[at + 1] != '(')
		return at;
	close = memchr(src + at + 2, ')', len - at - 2);
	if (close == NULL || close - src - at > 2048)
		return at;
	return (size_t) (close - src) + 1;
}

/* Appends c, escaped for HTML when html. */
static void
put_char(StringInfo out, char c, bool html)
{
	if (html)
		switch (c)
		{
			case '&':
				appendStringInfoString(out, "&amp;");
				return;
			case '<':
				appendStringInfoString(out, "&lt;");
				return;
			case '>':
				appendStringInfoString(out, "&gt;");
				return;
			case '"':
				appendStringInfoString(out, "&quot;");
				return;
			case '\'':
				appendStringInfoString(out, "&#39;");
				return;
		}
	appendStringInfoChar(out, c);
}

/*
 * Copies text[from, to) between two words (or after the last one) with the cleanup described
 * above. *line_start tells whether only white space has been seen since the last newline.
 */
static void
put_gap(StringInfo out, const char *src, size_t from, size_t to, bool html, bool *line_start)
{
	size_t		i;
	int			kept = 0;
	bool		space = false;

	for (i = from; i < to && kept < GAP_MAX; i++)
	{
		char		c = src[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
		{
			space = true;
			if (c == '\n')
				*line_start = true;
			continue;
		}
		if (c == '*' || c == '`' || c == '|' || c == '[' || c == '~')
			continue;
		if ((c == '#' || c == '>') && *line_start)
			continue;
		if (c == ']')
		{
			/* [text](target): keep the text, drop the target */
			if (i + 1 < to && src[i + 1] == '(')
			{
				const char *close = memchr(src + i + 1, ')', to - i - 1);

				if (close != NULL)
					i = close - src;
			}
			continue;
		}
		if (space && out->len > 0 && out->data[out->len - 1] != ' ')
			appendStringInfoChar(out, ' ');
		space = false;
		*line_start = false;
		put_char(out, c, html);
		kept++;
	}
	if (space && out->len > 0 && out->data[out->len - 1] != ' ')
		appendStringInfoChar(out, ' ');
}

/*
 * Where the query's words are, in the positions of kb_terms (kb_snippet_at): match i is body word
 * match_k[i] (0-based, ascending) and query term match_term[i].
 */
typedef struct Matches
{
	int			n;
	const int32 *k;
	const int16 *term;
} Matches;

/*
 * The passage of src: with `terms` (kb_snippet) every word is stemmed and compared; with
 * `matches` (kb_snippet_at) the words are known from the index, so nothing is stemmed and the
 * body is read only as far as the best window needs.
 */
static text *
make_snippet(const char *src, size_t len, int max_words, bool html, char **terms, int nterms,
			 const Matches *matches)
{
	KbStemmer  *st = NULL;
	KbTokenizer tz;
	KbWord		w;
	SnipWord   *words;
	int			n = 0,
				cap = 256,
				i,
				k = -1,				/* index of the body word, link targets included */
				m = 0,				/* next match */
				scan_limit = SCAN_MAX_WORDS;
	int			counts[MAX_TERMS] = {0};
	int			distinct = 0,
				hits = 0,
				best_score = -1,
				best_start = 0,
				start,
				end,
				first_match;
	StringInfoData out;
	bool		line_start = true;
	size_t	   *hidden_start,
			   *hidden_end;
	int			nhidden = 0,
				hidden = 0,
				hidden_cap = 8;

	max_words = Max(5, Min(max_words, 200));

	if (matches != NULL && matches->n > 0)
	{
		/* the best window in the index's positions: read the body only that far */
		int			lo = 0,
					best_k = 0;

		best_score = -1;
		for (i = 0; i < matches->n; i++)
		{
			int			t = matches->term[i];

			if (t < 0 || t >= MAX_TERMS)
				continue;
			if (counts[t]++ == 0)
				distinct++;
			hits++;
			while (matches->k[i] - matches->k[lo] >= max_words)
			{
				int			u = matches->term[lo++];

				if (u >= 0 && u < MAX_TERMS)
				{
					if (--counts[u] == 0)
						distinct--;
					hits--;
				}
			}
			if (distinct * 1000 + hits > best_score)
			{
				best_score = distinct * 1000 + hits;
				best_k = matches->k[lo];
			}
		}
		scan_limit = Min(SCAN_MAX_WORDS, best_k + max_words + max_words / 2);
		memset(counts, 0, sizeof(counts));
		distinct = hits = 0;
		best_score = -1;
	}
	else if (matches != NULL)
		scan_limit = max_words + max_words / 2;	/* no hit in the body: its beginning */

	/* the link targets of the body */
	hidden_start = palloc(sizeof(size_t) * hidden_cap);
	hidden_end = palloc(sizeof(size_t) * hidden_cap);
	{
		const char *p = src;

		while (len > 0 && (p = memchr(p, ']', len - (p - src))) != NULL)
		{
			size_t		at = p - src,
						lend = link_target_end(src, len, at);

			if (lend > at)
			{
				if (nhidden == hidden_cap)
				{
					hidden_cap *= 2;
					hidden_start = repalloc(hidden_start, sizeof(size_t) * hidden_cap);
					hidden_end = repalloc(hidden_end, sizeof(size_t) * hidden_cap);
				}
				hidden_start[nhidden] = at;
				hidden_end[nhidden++] = lend;
				p = src + lend;
			}
			else
				p++;
			if ((size_t) (p - src) >= len)
				break;
		}
	}

	/* the body's words and which query term each one is */
	if (matches == NULL)
		st = kb_stemmer_create();
	words = palloc(sizeof(SnipWord) * cap);
	kb_tokenizer_init(&tz, src, len);
	while (n < SCAN_MAX_WORDS && k + 1 < scan_limit && kb_next_word(&tz, &w))
	{
		SnipWord   *s;

		k++;
		/* the words of a Markdown link's target are not shown: "[text](https://...)" is "text" */
		while (hidden < nhidden && hidden_end[hidden] <= w.start)
			hidden++;
		if (hidden < nhidden && hidden_start[hidden] <= w.start)
			continue;
		if (n == cap)
		{
			cap *= 2;
			words = repalloc(words, sizeof(SnipWord) * cap);
		}
		s = &words[n++];
		s->start = w.start;
		s->end = w.end;
		s->sentence_start = w.sentence_start;
		s->term = -1;
		if (matches != NULL)
		{
			while (m < matches->n && matches->k[m] < k)
				m++;
			if (m < matches->n && matches->k[m] == k)
				s->term = matches->term[m];
			continue;
		}
		for (i = 0; i < nterms; i++)
		{
			/* a stem starts as its word does: stem only the words that may match */
			if (terms[i][0] == w.fold[0] && (terms[i][0] == '\0' || terms[i][1] == w.fold[1] || w.fold[1] == '\0'))
			{
				int			slen,
							t;
				const char *stem = kb_stem(st, &w, &slen);

				for (t = 0; t < nterms; t++)
					if (strcmp(stem, terms[t]) == 0)
					{
						s->term = (int16) t;
						break;
					}
				break;
			}
		}
	}
	if (n == 0)
		return cstring_to_text("");

	/* the window with the most distinct terms, then the most hits, then the earliest */
	for (i = 0; i < n; i++)
	{
		if (words[i].term >= 0)
		{
			if (counts[words[i].term]++ == 0)
				distinct++;
			hits++;
		}
		if (i >= max_words && words[i - max_words].term >= 0)
		{
			if (--counts[words[i - max_words].term] == 0)
				distinct--;
			hits--;
		}
		if (i >= max_words - 1 || i == n - 1)
		{
			int			sc = distinct * 1000 + hits;

			if (sc > best_score)
			{
				best_score = sc;
				best_start = Max(0, i - max_words + 1);
			}
		}
	}

	/* start at its sentence's beginning when near, else a little before the first hit */
	first_match = -1;
	for (i = best_start; i < Min(n, best_start + max_words); i++)
		if (words[i].term >= 0)
		{
			first_match = i;
			break;
		}
	start = best_start;
	if (first_match >= 0)
	{
		start = Max(0, first_match - max_words / 5);
		for (i = first_match; i >= 0 && i >= first_match - max_words / 3; i--)
			if (words[i].sentence_start)
			{
				start = i;
				break;
			}
	}
	end = Min(n, start + max_words);
	for (i = end - 1; i > start && i >= end - max_words / 4; i--)
		if (words[i].sentence_start)
		{
			/* stop before the next sentence, unless that cuts off a hit */
			int			k;
			bool		loses_hit = false;

			for (k = i; k < end; k++)
				if (words[k].term >= 0)
					loses_hit = true;
			if (!loses_hit)
				end = i;
			break;
		}

	initStringInfo(&out);
	if (start > 0 && !words[start].sentence_start)
		appendStringInfoString(&out, "… ");
	for (i = start; i < end; i++)
	{
		size_t		k;

		if (i > start)
			put_gap(&out, src, words[i - 1].end, words[i].start, html, &line_start);
		line_start = false;
		if (html && words[i].term >= 0)
			appendStringInfoString(&out, "<mark>");
		for (k = words[i].start; k < words[i].end; k++)
			put_char(&out, src[k], html);
		if (html && words[i].term >= 0)
			appendStringInfoString(&out, "</mark>");
	}
	/* the sentence's closing punctuation */
	{
		size_t		k = words[end - 1].end;

		while (k < len && (src[k] == '.' || src[k] == '!' || src[k] == '?' || src[k] == ')'))
			put_char(&out, src[k++], html);
	}
	if ((end < n && !words[end].sentence_start) || (end == n && k + 1 >= scan_limit && tz.at < len))
		appendStringInfoString(&out, " …");
	return cstring_to_text_with_len(out.data, out.len);
}


Datum
helpdesk_kb_snippet(PG_FUNCTION_ARGS)
{
	text	   *body;
	char	  **terms = NULL;
	int			nterms = 0,
				i;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	body = PG_GETARG_TEXT_PP(0);
	if (!PG_ARGISNULL(1))
	{
		ArrayType  *terms_arr = PG_GETARG_ARRAYTYPE_P(1);
		Datum	   *elems;
		bool	   *enulls;

		deconstruct_array(terms_arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &nterms);
		nterms = Min(nterms, MAX_TERMS);
		terms = palloc(sizeof(char *) * (nterms + 1));
		for (i = 0; i < nterms; i++)
			terms[i] = enulls[i] ? pstrdup("") : text_to_cstring(DatumGetTextPP(elems[i]));
	}
	PG_RETURN_TEXT_P(make_snippet(VARDATA_ANY(body), VARSIZE_ANY_EXHDR(body), PG_GETARG_INT32(2),
								  PG_GETARG_BOOL(3), terms, nterms, NULL));
}

/* Words of a text, counted as kb_terms counts them. */
static int
count_words(const char *s, int len)
{
	KbTokenizer tz;
	KbWord		w;
	int			n = 0;

	kb_tokenizer_init(&tz, s, len);
	while (kb_next_word(&tz, &w))
		n++;
	return n;
}

static int
match_cmp(const void *a, const void *b)
{
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;
	int32		px = x & 0xFFFF,
				py = y & 0xFFFF;

	return px != py ? (px < py ? -1 : 1) : (x < y ? -1 : x > y);
}

/*
 * helpdesk.kb_snippet_at(title, tags, body, matches int[], max_words, html): kb_snippet's passage,
 * from where the index says the query's terms are. matches: term number (0-based) << 16 | the
 * document position of a body hit (as in kb_postings.hits, title and tags first).
 */
Datum
helpdesk_kb_snippet_at(PG_FUNCTION_ARGS)
{
	text	   *body;
	ArrayType  *arr;
	int32	   *raw;
	int			nraw,
				base,
				i;
	Matches		matches = {0};
	int32	   *ks;
	int16	   *ts;

	if (PG_ARGISNULL(2))
		PG_RETURN_NULL();
	body = PG_GETARG_TEXT_PP(2);
	/* the body's first word comes after the title's and the tags' (one empty position after each) */
	base = 0;
	if (!PG_ARGISNULL(0))
	{
		text	   *title = PG_GETARG_TEXT_PP(0);

		base += count_words(VARDATA_ANY(title), VARSIZE_ANY_EXHDR(title));
	}
	base++;
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

				base += count_words(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)) + 1;
			}
	}
	base++;

	if (!PG_ARGISNULL(3))
	{
		arr = PG_GETARG_ARRAYTYPE_P(3);
		if (ARR_NDIM(arr) > 1 || ARR_HASNULL(arr) || ARR_ELEMTYPE(arr) != INT4OID)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("snippet matches must be an int[] without NULLs")));
		nraw = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
		raw = palloc(sizeof(int32) * (nraw + 1));
		memcpy(raw, ARR_DATA_PTR(arr), sizeof(int32) * nraw);
		qsort(raw, nraw, sizeof(int32), match_cmp);
		ks = palloc(sizeof(int32) * (nraw + 1));
		ts = palloc(sizeof(int16) * (nraw + 1));
		for (i = 0; i < nraw; i++)
		{
			int			pos = raw[i] & 0xFFFF,
						term = (raw[i] >> 16) & 0x7FFF;

			/* positions clamped at the last one cannot be told apart: left out */
			if (pos < base || pos >= KB_POS_MAX || term >= MAX_TERMS)
				continue;
			ks[matches.n] = pos - base;
			ts[matches.n] = (int16) term;
			matches.n++;
		}
		matches.k = ks;
		matches.term = ts;
	}
	PG_RETURN_TEXT_P(make_snippet(VARDATA_ANY(body), VARSIZE_ANY_EXHDR(body), PG_GETARG_INT32(4),
								  PG_GETARG_BOOL(5), NULL, 0, &matches));
}
