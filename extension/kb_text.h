/*
 * kb_text.h: the knowledge base's words, independent of PostgreSQL.
 *
 * One tokenizer serves every side of search, so that what is indexed, what is asked, what is
 * highlighted and where a passage starts all agree on what a word is:
 *   - a word is a run of letters and digits (UTF-8; any non-ASCII code point outside the
 *     punctuation and symbol blocks counts as a letter);
 *   - a hyphen between two letters joins ("Wi-Fi" -> "wifi", "e-mail" -> "email"), an apostrophe
 *     between two letters is dropped ("can't" -> "cant"), a dot between two digits is kept
 *     ("10.0.0.1", "2.5"); anything else separates words;
 *   - each word comes in two spellings: `lower` (lower case, diacritics kept: "mật") and `fold`
 *     (lower case, diacritics removed, "đ" -> "d": "mat"), so "mat khau" and "mật khẩu" meet
 *     on `fold`, while a stop word written with its accents ("mà") can tell itself apart from
 *     a content word that folds the same way ("mã").
 * Stemming is not done here (it needs the server's Snowball dictionary, kb_terms.c).
 *
 * Also here: the stop-phrase matcher (question words and filler in English and Vietnamese,
 * several words long: "làm sao", "how do i") and a bounded edit distance for typo correction.
 */
#ifndef KB_TEXT_H
#define KB_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest word kept, in code points; longer runs (hashes, base64) are skipped whole. */
#define KB_WORD_MAX_CHARS 48
/* Room for one spelling: up to 4 bytes per code point (2 for folded Latin). */
#define KB_WORD_BUF (KB_WORD_MAX_CHARS * 4 + 1)

typedef struct KbWord
{
	size_t		start;			/* byte offset of the word in the text */
	size_t		end;			/* byte offset just past it */
	int			nchars;			/* code points of the word as written (joiners excluded) */
	bool		accented;		/* a diacritic or a letter like "đ" was folded away */
	bool		has_digit;
	bool		has_alpha;
	bool		sentence_start; /* a sentence ends between the previous word and this one */
	int			fold_len;
	int			lower_len;
	char		fold[KB_WORD_BUF];
	char		lower[KB_WORD_BUF];
} KbWord;

typedef struct KbTokenizer
{
	const char *text;
	size_t		len;
	size_t		at;
	bool		boundary;		/* a sentence boundary was seen since the last word */
} KbTokenizer;

extern void kb_tokenizer_init(KbTokenizer *tz, const char *text, size_t len);

/* The next word into *w; false at the end of the text. Invalid UTF-8 bytes separate words. */
extern bool kb_next_word(KbTokenizer *tz, KbWord *w);

/*
 * Stop phrases. A phrase is one or more words; a word of a phrase matches a word of the query
 * when their folded spellings are equal, except that a query word written with diacritics must
 * match the phrase word's own spelling (so "mã" is not the stop word "mà"), and a phrase word
 * marked `exact` (written "=mà" in the stop file) never matches a word typed without them.
 */
typedef struct KbStopWord
{
	const char *fold;
	const char *lower;
	bool		exact;
} KbStopWord;

typedef struct KbStopPhrase
{
	int			nwords;
	const KbStopWord *words;
} KbStopPhrase;

/*
 * Marks stop[i] for every query word covered by a stop phrase (longest phrase first at each
 * position). words[i] are the query's words in order.
 */
extern void kb_mark_stop_words(const KbWord *words, int nwords,
							   const KbStopPhrase *phrases, int nphrases, bool *stop);

/*
 * Optimal string alignment distance (insertions, deletions, substitutions and transpositions of
 * adjacent characters, byte-wise) of a and b, or max + 1 as soon as it must exceed max.
 */
extern int	kb_edit_distance(const char *a, int alen, const char *b, int blen, int max);

#endif
