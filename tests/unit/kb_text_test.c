/*
 * kb_text_test.c: unit test of extension/kb_text.c (words, folding, stop phrases, edit
 * distance) without PostgreSQL. Known cases, then random bytes through the tokenizer (every word
 * lies inside the text, in order, and its spellings fit their buffers). Prints
 * "kb_text unit: N passed, M failed"; exits 1 on any failure.
 */
#include "kb_text.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	passed,
			failed;

static void
check(int ok, const char *what)
{
	if (ok)
		passed++;
	else
	{
		failed++;
		printf("not ok - %s\n", what);
	}
}

/* The words of text as "fold/lower[*]" joined by spaces ('*' = accented, '^' = sentence start). */
static void
words_of(const char *text, char *out, size_t outlen)
{
	KbTokenizer tz;
	KbWord		w;

	out[0] = '\0';
	kb_tokenizer_init(&tz, text, strlen(text));
	while (kb_next_word(&tz, &w))
	{
		char		one[2 * KB_WORD_BUF + 8];

		snprintf(one, sizeof(one), "%s%s%s/%s%s", out[0] ? " " : "", w.sentence_start ? "^" : "", w.fold, w.lower,
				 w.accented ? "*" : "");
		strncat(out, one, outlen - strlen(out) - 1);
	}
}

static void
check_words(const char *text, const char *expected)
{
	char		got[4096],
				what[8192];

	words_of(text, got, sizeof(got));
	snprintf(what, sizeof(what), "words of \"%s\": got \"%s\", expected \"%s\"", text, got, expected);
	check(strcmp(got, expected) == 0, what);
}

/* Stop-marks the words of text with the test's phrase list; "1" per stop word, "0" otherwise. */
static void
check_stops(const char *text, const char *expected)
{
	static const KbStopWord lam_sao[] = {{"lam", "làm", false}, {"sao", "sao", false}};
	static const KbStopWord how_do_i[] = {{"how", "how", false}, {"do", "do", false}, {"i", "i", false}};
	static const KbStopWord cua[] = {{"cua", "của", false}};
	static const KbStopWord ma[] = {{"ma", "mà", true}};
	static const KbStopWord the[] = {{"the", "the", false}};
	static const KbStopPhrase phrases[] = {{2, lam_sao}, {3, how_do_i}, {1, cua}, {1, ma}, {1, the}};
	KbTokenizer tz;
	KbWord		words[32];
	bool		stop[32] = {false};
	char		got[64] = "",
				what[512];
	int			n = 0,
				i;

	kb_tokenizer_init(&tz, text, strlen(text));
	while (n < 32 && kb_next_word(&tz, &words[n]))
		n++;
	kb_mark_stop_words(words, n, phrases, 5, stop);
	for (i = 0; i < n; i++)
		got[i] = stop[i] ? '1' : '0';
	got[n] = '\0';
	snprintf(what, sizeof(what), "stops of \"%s\": got %s, expected %s", text, got, expected);
	check(strcmp(got, expected) == 0, what);
}

static void
check_distance(const char *a, const char *b, int max, int expected)
{
	char		what[256];
	int			d = kb_edit_distance(a, (int) strlen(a), b, (int) strlen(b), max);

	snprintf(what, sizeof(what), "distance(%s, %s, max %d) = %d, expected %d", a, b, max, d, expected);
	check(d == expected, what);
}

int
main(void)
{
	unsigned	seed = 12345;
	int			round,
				all_ok = 1;

	/* letters outside the Latin tables are lower-cased by the C library, as in the server */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		printf("(no C.UTF-8 locale: Cyrillic case test may fail)\n");
	/* folding: Vietnamese (precomposed and decomposed), đ, Latin letters without decomposition */
	check_words("Mật khẩu ĐĂNG NHẬP", "^mat/mật* khau/khẩu* dang/đăng* nhap/nhập*");
	check_words("Me\xcc\x82\xcc\xa3t", "^met/me\xcc\x82\xcc\xa3t*");
	check_words("Straße Æther Øre łódź", "^strasse/straße* aether/æther* ore/øre* lodz/łódź*");
	check_words("Привет МИР", "^привет/привет мир/мир");
	/* joiners: hyphen and apostrophe between letters, dot between digits */
	check_words("Wi-Fi e-mail can't it’s", "^wifi/wifi email/email cant/cant its/its");
	check_words("COVID-19 10.0.0.1 v2.5 end.", "^covid/covid 19/19 10.0.0.1/10.0.0.1 v2.5/v2.5 end/end");
	check_words("a - b -c d- e--f x'", "^a/a b/b c/c d/d e/e f/f x/x");
	/* sentences: . ! ? ; : newline */
	check_words("One two. Three\nfour: five", "^one/one two/two ^three/three ^four/four ^five/five");
	/* punctuation inside a word-like run (a URL, a host name) ends no sentence */
	check_words("see x.vn/a?b=1 now. End", "^see/see x/x vn/vn a/a b/b 1/1 now/now ^end/end");
	/* separators: punctuation, symbols, emoji, invalid UTF-8 */
	check_words("a,b(c)d\xe2\x80\x94" "e\xf0\x9f\x98\x80" "f\xff" "g", "^a/a b/b c/c d/d e/e f/f g/g");
	check_words("", "");
	check_words("   ...   ", "");
	/* a run longer than KB_WORD_MAX_CHARS is skipped whole; one at the limit is kept */
	{
		char		text[256],
					expected[600];

		memset(text, 'x', 60);
		strcpy(text + 60, " ok");
		check_words(text, "^ok/ok");
		memset(text, 'y', KB_WORD_MAX_CHARS);
		text[KB_WORD_MAX_CHARS] = '\0';
		snprintf(expected, sizeof(expected), "^%s/%s", text, text);
		check_words(text, expected);
	}
	/* combining marks never overflow the lower spelling */
	{
		char		text[4096];
		int			i;

		text[0] = 'a';
		for (i = 0; i < 1000; i++)
			memcpy(text + 1 + 2 * i, "\xcc\x81", 2);
		strcpy(text + 2001, " b");
		check_words(text, "^b/b");
	}

	/* stop phrases: longest first, accents decide when typed, exact words need them */
	check_stops("làm sao để đổi mật khẩu", "110000");
	check_stops("lam sao doi mat khau", "11000");
	check_stops("sao lưu dữ liệu", "0000");
	check_stops("How do I reset the password", "111010");
	check_stops("how do you", "000");
	check_stops("mã của tôi", "010");
	check_stops("ma xac thuc mà", "0001");
	check_stops("thế giới the end", "0010");

	/* edit distance: OSA, bounded */
	check_distance("password", "pasword", 2, 1);
	check_distance("email", "emial", 2, 1);
	check_distance("printer", "pritner", 2, 1);
	check_distance("printer", "pirnter", 2, 1);
	check_distance("printer", "prnitre", 2, 2);
	check_distance("kitten", "sitting", 2, 3);
	check_distance("kitten", "sitting", 5, 3);
	check_distance("abc", "abc", 0, 0);
	check_distance("", "ab", 2, 2);
	check_distance("a", "abcd", 2, 3);
	check_distance("connect", "conect", 1, 1);

	/* random bytes: words are in order, inside the text, NUL-terminated within their buffers */
	for (round = 0; round < 20000 && all_ok; round++)
	{
		unsigned char text[300];
		size_t		len = (size_t) (rand_r(&seed) % sizeof(text)),
					i,
					last_end = 0;
		KbTokenizer tz;
		KbWord		w;
		int			ok = 1;

		for (i = 0; i < len; i++)
		{
			int			r = rand_r(&seed) % 10;

			text[i] = r < 4 ? (unsigned char) ('a' + rand_r(&seed) % 26)
				: r < 5 ? (unsigned char) "-'. \n"[rand_r(&seed) % 5]
				: (unsigned char) (rand_r(&seed) % 256);
		}
		kb_tokenizer_init(&tz, (const char *) text, len);
		while (kb_next_word(&tz, &w))
		{
			if (w.start < last_end || w.end > len || w.start >= w.end ||
				(size_t) w.fold_len >= KB_WORD_BUF || (size_t) w.lower_len >= KB_WORD_BUF ||
				strlen(w.fold) != (size_t) w.fold_len || w.nchars > KB_WORD_MAX_CHARS)
				ok = 0;
			last_end = w.end;
		}
		all_ok = ok;
	}
	check(all_ok, "20,000 random texts: words in order and within bounds");

	printf("kb_text unit: %d passed, %d failed\n", passed, failed);
	if (getenv("HD_RESULT_FILE") != NULL)
	{
		/* for tests/run.sh, which reads this rather than the text */
		FILE	   *f = fopen(getenv("HD_RESULT_FILE"), "w");

		if (f != NULL)
		{
			fprintf(f, "%d %d\n", passed, failed);
			fclose(f);
		}
	}
	return failed ? 1 : 0;
}
