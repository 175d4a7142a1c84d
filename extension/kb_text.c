/*
 * kb_text.c: words of the knowledge base (see kb_text.h), without PostgreSQL.
 */
#include "kb_text.h"

#include <string.h>
#include <wctype.h>

/*
 * Folded spelling of U+00C0..U+024F and U+1E00..U+1EFF (Latin-1, Latin Extended-A/B and the
 * Latin Extended Additional block that holds Vietnamese's stacked diacritics): the letter without
 * its diacritics, lower case, from Unicode's NFKD decomposition plus the letters that have none
 * (đ -> d, ø -> o, ß -> ss, æ -> ae, ...). "" means "not a folded letter": lower-cased as is.
 * Generated with Python's unicodedata (Unicode 14).
 */
static const char *const fold_latin[0x24F - 0xC0 + 1] = {
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",	/* U+00C0 */
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",	/* U+00D0 */
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",	/* U+00E0 */
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",	/* U+00F0 */
	"a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",	/* U+0100 */
	"d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",	/* U+0110 */
	"g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",	/* U+0120 */
	"i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",	/* U+0130 */
	"l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "", "", "o", "o", "o", "o",	/* U+0140 */
	"o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",	/* U+0150 */
	"s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",	/* U+0160 */
	"u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",	/* U+0170 */
	"b", "b", "", "", "", "", "", "c", "c", "", "", "", "", "", "", "",	/* U+0180 */
	"", "f", "f", "", "", "hv", "", "i", "k", "k", "l", "", "", "", "n", "",	/* U+0190 */
	"o", "o", "", "", "p", "p", "", "", "", "", "", "", "t", "t", "", "u",	/* U+01A0 */
	"u", "", "", "", "", "z", "z", "", "", "", "", "", "", "", "", "",	/* U+01B0 */
	"", "", "", "", "dz", "dz", "dz", "lj", "lj", "lj", "nj", "nj", "nj", "a", "a", "i",	/* U+01C0 */
	"i", "o", "o", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "", "a", "a",	/* U+01D0 */
	"a", "a", "", "", "", "", "g", "g", "k", "k", "o", "o", "o", "o", "", "",	/* U+01E0 */
	"j", "dz", "dz", "dz", "g", "g", "hv", "", "n", "n", "a", "a", "", "", "", "",	/* U+01F0 */
	"a", "a", "a", "a", "e", "e", "e", "e", "i", "i", "i", "i", "o", "o", "o", "o",	/* U+0200 */
	"r", "r", "r", "r", "u", "u", "u", "u", "s", "s", "t", "t", "", "", "h", "h",	/* U+0210 */
	"n", "", "", "", "z", "z", "a", "a", "e", "e", "o", "o", "o", "o", "o", "o",	/* U+0220 */
	"o", "o", "y", "y", "l", "n", "t", "j", "db", "qp", "", "", "", "l", "", "s",	/* U+0230 */
	"z", "", "", "", "", "", "e", "e", "j", "j", "", "", "r", "r", "y", "y",	/* U+0240 */
};

static const char *const fold_latin_additional[0x1EFF - 0x1E00 + 1] = {
	"a", "a", "b", "b", "b", "b", "b", "b", "c", "c", "d", "d", "d", "d", "d", "d",	/* U+1E00 */
	"d", "d", "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "f", "f",	/* U+1E10 */
	"g", "g", "h", "h", "h", "h", "h", "h", "h", "h", "h", "h", "i", "i", "i", "i",	/* U+1E20 */
	"k", "k", "k", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l", "l", "m", "m",	/* U+1E30 */
	"m", "m", "m", "m", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",	/* U+1E40 */
	"o", "o", "o", "o", "p", "p", "p", "p", "r", "r", "r", "r", "r", "r", "r", "r",	/* U+1E50 */
	"s", "s", "s", "s", "s", "s", "s", "s", "s", "s", "t", "t", "t", "t", "t", "t",	/* U+1E60 */
	"t", "t", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "v", "v", "v", "v",	/* U+1E70 */
	"w", "w", "w", "w", "w", "w", "w", "w", "w", "w", "x", "x", "x", "x", "y", "y",	/* U+1E80 */
	"z", "z", "z", "z", "z", "z", "h", "t", "w", "y", "", "s", "", "", "ss", "",	/* U+1E90 */
	"a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",	/* U+1EA0 */
	"a", "a", "a", "a", "a", "a", "a", "a", "e", "e", "e", "e", "e", "e", "e", "e",	/* U+1EB0 */
	"e", "e", "e", "e", "e", "e", "e", "e", "i", "i", "i", "i", "o", "o", "o", "o",	/* U+1EC0 */
	"o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o",	/* U+1ED0 */
	"o", "o", "o", "o", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u",	/* U+1EE0 */
	"u", "u", "y", "y", "y", "y", "y", "y", "y", "y", "", "", "", "", "", "",	/* U+1EF0 */
};

/* Lower case of the same two blocks (the C library's towlower depends on the locale). */
static const uint16_t lower_latin[0x24F - 0xC0 + 1] = {
	0x00E0, 0x00E1, 0x00E2, 0x00E3, 0x00E4, 0x00E5, 0x00E6, 0x00E7, 0x00E8, 0x00E9, 0x00EA, 0x00EB,
	0x00EC, 0x00ED, 0x00EE, 0x00EF, 0x00F0, 0x00F1, 0x00F2, 0x00F3, 0x00F4, 0x00F5, 0x00F6, 0x00D7,
	0x00F8, 0x00F9, 0x00FA, 0x00FB, 0x00FC, 0x00FD, 0x00FE, 0x00DF, 0x00E0, 0x00E1, 0x00E2, 0x00E3,
	0x00E4, 0x00E5, 0x00E6, 0x00E7, 0x00E8, 0x00E9, 0x00EA, 0x00EB, 0x00EC, 0x00ED, 0x00EE, 0x00EF,
	0x00F0, 0x00F1, 0x00F2, 0x00F3, 0x00F4, 0x00F5, 0x00F6, 0x00F7, 0x00F8, 0x00F9, 0x00FA, 0x00FB,
	0x00FC, 0x00FD, 0x00FE, 0x00FF, 0x0101, 0x0101, 0x0103, 0x0103, 0x0105, 0x0105, 0x0107, 0x0107,
	0x0109, 0x0109, 0x010B, 0x010B, 0x010D, 0x010D, 0x010F, 0x010F, 0x0111, 0x0111, 0x0113, 0x0113,
	0x0115, 0x0115, 0x0117, 0x0117, 0x0119, 0x0119, 0x011B, 0x011B, 0x011D, 0x011D, 0x011F, 0x011F,
	0x0121, 0x0121, 0x0123, 0x0123, 0x0125, 0x0125, 0x0127, 0x0127, 0x0129, 0x0129, 0x012B, 0x012B,
	0x012D, 0x012D, 0x012F, 0x012F, 0x0130, 0x0131, 0x0133, 0x0133, 0x0135, 0x0135, 0x0137, 0x0137,
	0x0138, 0x013A, 0x013A, 0x013C, 0x013C, 0x013E, 0x013E, 0x0140, 0x0140, 0x0142, 0x0142, 0x0144,
	0x0144, 0x0146, 0x0146, 0x0148, 0x0148, 0x0149, 0x014B, 0x014B, 0x014D, 0x014D, 0x014F, 0x014F,
	0x0151, 0x0151, 0x0153, 0x0153, 0x0155, 0x0155, 0x0157, 0x0157, 0x0159, 0x0159, 0x015B, 0x015B,
	0x015D, 0x015D, 0x015F, 0x015F, 0x0161, 0x0161, 0x0163, 0x0163, 0x0165, 0x0165, 0x0167, 0x0167,
	0x0169, 0x0169, 0x016B, 0x016B, 0x016D, 0x016D, 0x016F, 0x016F, 0x0171, 0x0171, 0x0173, 0x0173,
	0x0175, 0x0175, 0x0177, 0x0177, 0x00FF, 0x017A, 0x017A, 0x017C, 0x017C, 0x017E, 0x017E, 0x017F,
	0x0180, 0x0253, 0x0183, 0x0183, 0x0185, 0x0185, 0x0254, 0x0188, 0x0188, 0x0256, 0x0257, 0x018C,
	0x018C, 0x018D, 0x01DD, 0x0259, 0x025B, 0x0192, 0x0192, 0x0260, 0x0263, 0x0195, 0x0269, 0x0268,
	0x0199, 0x0199, 0x019A, 0x019B, 0x026F, 0x0272, 0x019E, 0x0275, 0x01A1, 0x01A1, 0x01A3, 0x01A3,
	0x01A5, 0x01A5, 0x0280, 0x01A8, 0x01A8, 0x0283, 0x01AA, 0x01AB, 0x01AD, 0x01AD, 0x0288, 0x01B0,
	0x01B0, 0x028A, 0x028B, 0x01B4, 0x01B4, 0x01B6, 0x01B6, 0x0292, 0x01B9, 0x01B9, 0x01BA, 0x01BB,
	0x01BD, 0x01BD, 0x01BE, 0x01BF, 0x01C0, 0x01C1, 0x01C2, 0x01C3, 0x01C6, 0x01C6, 0x01C6, 0x01C9,
	0x01C9, 0x01C9, 0x01CC, 0x01CC, 0x01CC, 0x01CE, 0x01CE, 0x01D0, 0x01D0, 0x01D2, 0x01D2, 0x01D4,
	0x01D4, 0x01D6, 0x01D6, 0x01D8, 0x01D8, 0x01DA, 0x01DA, 0x01DC, 0x01DC, 0x01DD, 0x01DF, 0x01DF,
	0x01E1, 0x01E1, 0x01E3, 0x01E3, 0x01E5, 0x01E5, 0x01E7, 0x01E7, 0x01E9, 0x01E9, 0x01EB, 0x01EB,
	0x01ED, 0x01ED, 0x01EF, 0x01EF, 0x01F0, 0x01F3, 0x01F3, 0x01F3, 0x01F5, 0x01F5, 0x0195, 0x01BF,
	0x01F9, 0x01F9, 0x01FB, 0x01FB, 0x01FD, 0x01FD, 0x01FF, 0x01FF, 0x0201, 0x0201, 0x0203, 0x0203,
	0x0205, 0x0205, 0x0207, 0x0207, 0x0209, 0x0209, 0x020B, 0x020B, 0x020D, 0x020D, 0x020F, 0x020F,
	0x0211, 0x0211, 0x0213, 0x0213, 0x0215, 0x0215, 0x0217, 0x0217, 0x0219, 0x0219, 0x021B, 0x021B,
	0x021D, 0x021D, 0x021F, 0x021F, 0x019E, 0x0221, 0x0223, 0x0223, 0x0225, 0x0225, 0x0227, 0x0227,
	0x0229, 0x0229, 0x022B, 0x022B, 0x022D, 0x022D, 0x022F, 0x022F, 0x0231, 0x0231, 0x0233, 0x0233,
	0x0234, 0x0235, 0x0236, 0x0237, 0x0238, 0x0239, 0x2C65, 0x023C, 0x023C, 0x019A, 0x2C66, 0x023F,
	0x0240, 0x0242, 0x0242, 0x0180, 0x0289, 0x028C, 0x0247, 0x0247, 0x0249, 0x0249, 0x024B, 0x024B,
	0x024D, 0x024D, 0x024F, 0x024F,
};

static const uint16_t lower_latin_additional[0x1EFF - 0x1E00 + 1] = {
	0x1E01, 0x1E01, 0x1E03, 0x1E03, 0x1E05, 0x1E05, 0x1E07, 0x1E07, 0x1E09, 0x1E09, 0x1E0B, 0x1E0B,
	0x1E0D, 0x1E0D, 0x1E0F, 0x1E0F, 0x1E11, 0x1E11, 0x1E13, 0x1E13, 0x1E15, 0x1E15, 0x1E17, 0x1E17,
	0x1E19, 0x1E19, 0x1E1B, 0x1E1B, 0x1E1D, 0x1E1D, 0x1E1F, 0x1E1F, 0x1E21, 0x1E21, 0x1E23, 0x1E23,
	0x1E25, 0x1E25, 0x1E27, 0x1E27, 0x1E29, 0x1E29, 0x1E2B, 0x1E2B, 0x1E2D, 0x1E2D, 0x1E2F, 0x1E2F,
	0x1E31, 0x1E31, 0x1E33, 0x1E33, 0x1E35, 0x1E35, 0x1E37, 0x1E37, 0x1E39, 0x1E39, 0x1E3B, 0x1E3B,
	0x1E3D, 0x1E3D, 0x1E3F, 0x1E3F, 0x1E41, 0x1E41, 0x1E43, 0x1E43, 0x1E45, 0x1E45, 0x1E47, 0x1E47,
	0x1E49, 0x1E49, 0x1E4B, 0x1E4B, 0x1E4D, 0x1E4D, 0x1E4F, 0x1E4F, 0x1E51, 0x1E51, 0x1E53, 0x1E53,
	0x1E55, 0x1E55, 0x1E57, 0x1E57, 0x1E59, 0x1E59, 0x1E5B, 0x1E5B, 0x1E5D, 0x1E5D, 0x1E5F, 0x1E5F,
	0x1E61, 0x1E61, 0x1E63, 0x1E63, 0x1E65, 0x1E65, 0x1E67, 0x1E67, 0x1E69, 0x1E69, 0x1E6B, 0x1E6B,
	0x1E6D, 0x1E6D, 0x1E6F, 0x1E6F, 0x1E71, 0x1E71, 0x1E73, 0x1E73, 0x1E75, 0x1E75, 0x1E77, 0x1E77,
	0x1E79, 0x1E79, 0x1E7B, 0x1E7B, 0x1E7D, 0x1E7D, 0x1E7F, 0x1E7F, 0x1E81, 0x1E81, 0x1E83, 0x1E83,
	0x1E85, 0x1E85, 0x1E87, 0x1E87, 0x1E89, 0x1E89, 0x1E8B, 0x1E8B, 0x1E8D, 0x1E8D, 0x1E8F, 0x1E8F,
	0x1E91, 0x1E91, 0x1E93, 0x1E93, 0x1E95, 0x1E95, 0x1E96, 0x1E97, 0x1E98, 0x1E99, 0x1E9A, 0x1E9B,
	0x1E9C, 0x1E9D, 0x00DF, 0x1E9F, 0x1EA1, 0x1EA1, 0x1EA3, 0x1EA3, 0x1EA5, 0x1EA5, 0x1EA7, 0x1EA7,
	0x1EA9, 0x1EA9, 0x1EAB, 0x1EAB, 0x1EAD, 0x1EAD, 0x1EAF, 0x1EAF, 0x1EB1, 0x1EB1, 0x1EB3, 0x1EB3,
	0x1EB5, 0x1EB5, 0x1EB7, 0x1EB7, 0x1EB9, 0x1EB9, 0x1EBB, 0x1EBB, 0x1EBD, 0x1EBD, 0x1EBF, 0x1EBF,
	0x1EC1, 0x1EC1, 0x1EC3, 0x1EC3, 0x1EC5, 0x1EC5, 0x1EC7, 0x1EC7, 0x1EC9, 0x1EC9, 0x1ECB, 0x1ECB,
	0x1ECD, 0x1ECD, 0x1ECF, 0x1ECF, 0x1ED1, 0x1ED1, 0x1ED3, 0x1ED3, 0x1ED5, 0x1ED5, 0x1ED7, 0x1ED7,
	0x1ED9, 0x1ED9, 0x1EDB, 0x1EDB, 0x1EDD, 0x1EDD, 0x1EDF, 0x1EDF, 0x1EE1, 0x1EE1, 0x1EE3, 0x1EE3,
	0x1EE5, 0x1EE5, 0x1EE7, 0x1EE7, 0x1EE9, 0x1EE9, 0x1EEB, 0x1EEB, 0x1EED, 0x1EED, 0x1EEF, 0x1EEF,
	0x1EF1, 0x1EF1, 0x1EF3, 0x1EF3, 0x1EF5, 0x1EF5, 0x1EF7, 0x1EF7, 0x1EF9, 0x1EF9, 0x1EFB, 0x1EFB,
	0x1EFD, 0x1EFD, 0x1EFF, 0x1EFF,
};

/* Decodes one UTF-8 sequence at s (len bytes left): its length, or 0 if it is not valid. */
static int
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t	c;
	int			n,
				i;

	if (s[0] < 0x80)
	{
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, c = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, c = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	if ((size_t) n > len)
		return 0;
	for (i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

static int
utf8_encode(uint32_t c, char *out)
{
	if (c < 0x80)
	{
		out[0] = (char) c;
		return 1;
	}
	if (c < 0x800)
	{
		out[0] = (char) (0xC0 | (c >> 6));
		out[1] = (char) (0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000)
	{
		out[0] = (char) (0xE0 | (c >> 12));
		out[1] = (char) (0x80 | ((c >> 6) & 0x3F));
		out[2] = (char) (0x80 | (c & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (c >> 18));
	out[1] = (char) (0x80 | ((c >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((c >> 6) & 0x3F));
	out[3] = (char) (0x80 | (c & 0x3F));
	return 4;
}

/* ASCII bytes: letters and digits, punctuation that may end a sentence, the rest. */
#define ASCII_OTHER 0
#define ASCII_WORD 1
#define ASCII_STOP 2
static const unsigned char ascii_class[128] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
	['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
	['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
	['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
	['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
	['.'] = 2, ['!'] = 2, ['?'] = 2, [';'] = 2, [':'] = 2,
};

static bool
is_ascii_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

static bool
is_combining(uint32_t c)
{
	return c >= 0x300 && c <= 0x36F;
}

/* Letters and digits of any script; punctuation, symbols, spaces and emoji are not. */
static bool
is_word_char(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_ascii_digit(c);
	if (c < 0xC0 || c == 0xD7 || c == 0xF7)
		return false;			/* C1 controls, Latin-1 punctuation and signs */
	if ((c >= 0x2000 && c <= 0x2BFF) ||	/* general punctuation .. misc symbols and arrows */
		(c >= 0x2E00 && c <= 0x2E7F) ||	/* supplemental punctuation */
		(c >= 0x3000 && c <= 0x303F) ||	/* CJK symbols and punctuation */
		(c >= 0xE000 && c <= 0xF8FF) ||	/* private use */
		(c >= 0xFE10 && c <= 0xFE6F) ||	/* vertical forms, small forms */
		c == 0xFEFF ||
		(c >= 0xFF00 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20) ||
		(c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65) ||
		(c >= 0xFFF0 && c <= 0xFFFF) ||
		(c >= 0x1F000 && c <= 0x1FAFF))	/* emoji and pictographs */
		return false;
	return true;
}

static bool
is_letter(uint32_t c)
{
	return is_word_char(c) && !is_ascii_digit(c);
}

static uint32_t
lower_cp(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'A' && c <= 'Z') ? c + 32 : c;
	if (c >= 0xC0 && c <= 0x24F)
		return lower_latin[c - 0xC0];
	if (c >= 0x1E00 && c <= 0x1EFF)
		return lower_latin_additional[c - 0x1E00];
	return (uint32_t) towlower((wint_t) c);
}

/* The folded spelling of c from the tables, or NULL when c has none. */
static const char *
fold_cp(uint32_t c)
{
	const char *f = NULL;

	if (c >= 0xC0 && c <= 0x24F)
		f = fold_latin[c - 0xC0];
	else if (c >= 0x1E00 && c <= 0x1EFF)
		f = fold_latin_additional[c - 0x1E00];
	return (f != NULL && f[0] != '\0') ? f : NULL;
}

void
kb_tokenizer_init(KbTokenizer *tz, const char *text, size_t len)
{
	tz->text = text;
	tz->len = len;
	tz->at = 0;
	tz->boundary = true;		/* the text's first word starts a sentence */
}

/* The code point at offset `at`, or 0 (not a word character) when there is none or it is invalid. */
static uint32_t
peek(const KbTokenizer *tz, size_t at, int *n)
{
	uint32_t	c = 0;

	if (at < tz->len && (unsigned char) tz->text[at] < 0x80)
	{
		/* ASCII, most of most texts: no decoding */
		*n = 1;
		return (unsigned char) tz->text[at];
	}
	*n = at < tz->len ? utf8_decode((const unsigned char *) tz->text + at, tz->len - at, &c) : 0;
	if (*n == 0)
	{
		*n = 1;
		return 0;
	}
	return c;
}

/*
 * Whether punctuation just before offset `at` ends a sentence: it is followed by white space or
 * the end of the text ("Done. Next" does, "a?b=1" and "28h.vn" do not).
 */
static bool
ends_sentence(const KbTokenizer *tz, size_t at)
{
	unsigned char c;

	if (at >= tz->len)
		return true;
	c = (unsigned char) tz->text[at];
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == ')' || c == '*';
}

static void
append(KbWord *w, uint32_t c)
{
	const char *f;
	char		buf[4];
	int			n;

	if (c < 0x80)
	{
		/* ASCII letter or digit: both spellings are its lower case */
		char		l = (c >= 'A' && c <= 'Z') ? (char) (c + 32) : (char) c;

		w->nchars++;
		if (c >= '0' && c <= '9')
			w->has_digit = true;
		else
			w->has_alpha = true;
		w->lower[w->lower_len++] = l;
		w->fold[w->fold_len++] = l;
		return;
	}

	if (is_combining(c))
	{
		/* a decomposed diacritic: part of the lower spelling only */
		w->accented = true;
		w->lower_len += utf8_encode(c, w->lower + w->lower_len);
		return;
	}
	w->nchars++;
	if (is_ascii_digit(c))
		w->has_digit = true;
	else
		w->has_alpha = true;
	w->lower_len += utf8_encode(lower_cp(c), w->lower + w->lower_len);
	f = fold_cp(c);
	if (f != NULL)
	{
		w->accented = true;
		n = (int) strlen(f);
		memcpy(w->fold + w->fold_len, f, n);
		w->fold_len += n;
	}
	else
	{
		n = utf8_encode(lower_cp(c), buf);
		memcpy(w->fold + w->fold_len, buf, n);
		w->fold_len += n;
	}
}

bool
kb_next_word(KbTokenizer *tz, KbWord *w)
{
	for (;;)
	{
		uint32_t	c,
					prev = 0;
		int			n;
		bool		too_long = false;

		/* skip to the next word character, noting sentence ends on the way */
		for (;;)
		{
			unsigned char b;

			if (tz->at >= tz->len)
				return false;
			b = (unsigned char) tz->text[tz->at];
			if (b < 0x80 && ascii_class[b] != ASCII_WORD)
			{
				/* ASCII space or punctuation: the common case, without decoding */
				if (b == '\n' || (ascii_class[b] == ASCII_STOP && ends_sentence(tz, tz->at + 1)))
					tz->boundary = true;
				tz->at++;
				continue;
			}
			c = peek(tz, tz->at, &n);
			if (is_word_char(c))
				break;
			if (c == '\n' || c == 0x3002 ||
				((c == '.' || c == '!' || c == '?' || c == ';' || c == ':' || c == 0x2026) && ends_sentence(tz, tz->at + n)))
				tz->boundary = true;
			tz->at += n;
		}

		memset(w, 0, offsetof(KbWord, fold));
		w->start = tz->at;
		w->sentence_start = tz->boundary;
		while (tz->at < tz->len)
		{
			int			n2;
			uint32_t	next;
			unsigned char b = (unsigned char) tz->text[tz->at];

			if (b < 0x80 && ascii_class[b] == ASCII_WORD && !too_long &&
				w->nchars < KB_WORD_MAX_CHARS && w->fold_len < KB_WORD_BUF - 5 && w->lower_len < KB_WORD_BUF - 5)
			{
				/* an ASCII letter or digit: both spellings are its lower case */
				char		l = (b >= 'A' && b <= 'Z') ? (char) (b + 32) : (char) b;

				w->lower[w->lower_len++] = l;
				w->fold[w->fold_len++] = l;
				w->nchars++;
				if (b <= '9')
					w->has_digit = true;
				else
					w->has_alpha = true;
				prev = b;
				tz->at++;
				continue;
			}
			c = peek(tz, tz->at, &n);
			if (!is_word_char(c) && !is_combining(c))
			{
				next = peek(tz, tz->at + n, &n2);
				if ((c == '-' || c == 0x2010 || c == 0x2011 || c == '\'' || c == 0x2019) &&
					is_letter(prev) && is_letter(next))
				{
					tz->at += n;	/* joiner: "Wi-Fi", "can't" */
					continue;
				}
				if (c == '.' && is_ascii_digit(prev) && is_ascii_digit(next))
				{
					/* "10.0.0.1", "2.5": the dot stays in both spellings */
					if (!too_long && w->nchars < KB_WORD_MAX_CHARS &&
						w->lower_len < KB_WORD_BUF - 5 && w->fold_len < KB_WORD_BUF - 5)
					{
						w->fold[w->fold_len++] = '.';
						w->lower[w->lower_len++] = '.';
						w->nchars++;
					}
					tz->at += n;
					continue;
				}
				break;
			}
			if ((w->nchars >= KB_WORD_MAX_CHARS && !is_combining(c)) ||
				w->lower_len > KB_WORD_BUF - 5 || w->fold_len > KB_WORD_BUF - 5)
				too_long = true;
			if (!too_long)
				append(w, c);
			if (!is_combining(c))
				prev = c;
			tz->at += n;
		}
		if (too_long || w->fold_len == 0)
			continue;			/* a run too long to be a word: skipped whole */
		w->end = tz->at;
		w->fold[w->fold_len] = '\0';
		w->lower[w->lower_len] = '\0';
		tz->boundary = false;
		return true;
	}
}

static bool
stop_word_matches(const KbWord *w, const KbStopWord *sw)
{
	if (w->accented)
		return strcmp(w->lower, sw->lower) == 0;
	if (sw->exact)
		return false;
	return strcmp(w->fold, sw->fold) == 0;
}

void
kb_mark_stop_words(const KbWord *words, int nwords, const KbStopPhrase *phrases, int nphrases, bool *stop)
{
	int			i,
				p,
				k;

	for (i = 0; i < nwords; i++)
	{
		int			best = 0;

		for (p = 0; p < nphrases; p++)
		{
			const KbStopPhrase *ph = &phrases[p];

			if (ph->nwords <= best || ph->nwords > nwords - i)
				continue;
			for (k = 0; k < ph->nwords; k++)
				if (!stop_word_matches(&words[i + k], &ph->words[k]))
					break;
			if (k == ph->nwords)
				best = ph->nwords;
		}
		for (k = 0; k < best; k++)
			stop[i + k] = true;
	}
}

int
kb_edit_distance(const char *a, int alen, const char *b, int blen, int max)
{
	/* three rows of the optimal-string-alignment table, over b */
	int			rows[3][KB_WORD_BUF + 1];
	int		   *prev2 = rows[0],
			   *prev = rows[1],
			   *cur = rows[2];
	int			i,
				j;

	if (alen - blen > max || blen - alen > max)
		return max + 1;
	if (alen > KB_WORD_BUF || blen > KB_WORD_BUF)
		return max + 1;
	for (j = 0; j <= blen; j++)
		prev[j] = j;
	for (i = 1; i <= alen; i++)
	{
		int			row_min;
		int		   *t;

		cur[0] = i;
		row_min = i;
		for (j = 1; j <= blen; j++)
		{
			int			cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int			d = prev[j] + 1;

			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (prev[j - 1] + cost < d)
				d = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
			if (d < row_min)
				row_min = d;
		}
		if (row_min > max)
			return max + 1;
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[blen] > max ? max + 1 : prev[blen];
}
