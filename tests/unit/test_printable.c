/*
 * test_printable.c - unit tests for printable.c: what may reach a
 * terminal or a log.
 */
#include <string.h>

#include "printable.h"
#include "tap.h"

/* Each case: bytes in (with their length: NUL bytes), the text shown. */
static void
test_escapes(void)
{
	static const struct {
		const char *name;
		const char *in;
		size_t	    len;
		const char *out;
	} cases[] = {
		{ "plain ASCII", "250 2.0.0 Ok", 12, "250 2.0.0 Ok" },
		{ "ESC sequence", "a\x1b[2Jb", 6, "a\\x1b[2Jb" },
		{ "NUL", "a\0b", 3, "a\\x00b" },
		{ "LF and CR: no second line", "a\nb\rc", 5, "a\\x0ab\\x0dc" },
		{ "TAB and DEL", "\t\x7f", 2, "\\x09\\x7f" },
		{ "C1 CSI, U+009B",
		    "a\xc2\x9b"
		    "2J",
		    5, "a\\u009b2J" },
		{ "C1 NEL, U+0085", "\xc2\x85", 2, "\\u0085" },
		{ "bidi override U+202E",
		    "abc\xe2\x80\xae"
		    "def",
		    9, "abc\\u202edef" },
		{ "bidi embedding U+202A", "\xe2\x80\xaa", 3, "\\u202a" },
		{ "bidi isolates U+2066, U+2069", "\xe2\x81\xa6x\xe2\x81\xa9",
		    7, "\\u2066x\\u2069" },
		{ "line separator U+2028", "\xe2\x80\xa8", 3, "\\u2028" },
		{ "zero width space, BOM", "\xe2\x80\x8b\xef\xbb\xbf", 6,
		    "\\u200b\\ufeff" },
		{ "valid UTF-8 kept",
		    "b\xc3\xa4r \xe2\x82\xac \xf0\x9f\x93\xa7", 13,
		    "b\xc3\xa4r \xe2\x82\xac \xf0\x9f\x93\xa7" },
		{ "Latin-1 byte", "caf\xe9", 4, "caf\\xe9" },
		{ "raw C1 byte (not UTF-8)", "\x9b", 1, "\\x9b" },
		{ "over-long form of '/'", "\xc0\xaf", 2, "\\xc0\\xaf" },
		{ "UTF-16 surrogate", "\xed\xa0\x80", 3, "\\xed\\xa0\\x80" },
		{ "past U+10FFFF", "\xf4\x90\x80\x80", 4,
		    "\\xf4\\x90\\x80\\x80" },
		{ "cut sequence at the end", "x\xe2\x80", 3, "x\\xe2\\x80" },
		{ "backslash doubled", "a\\x1b", 5, "a\\\\x1b" },
		{ "empty", "", 0, "" },
	};
	char   out[PRINTABLE_SIZE(64)];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = printable(out, sizeof(out), cases[i].in, cases[i].len);
		is_str(out, cases[i].out, "%s", cases[i].name);
		is_int((long)n, (long)strlen(cases[i].out), "%s: length",
		    cases[i].name);
	}
}

/* Too little room: the text stops before an escape, never inside. */
static void
test_truncation(void)
{
	char   out[PRINTABLE_SIZE(8)];
	size_t n;

	n = printable(out, 6,
	    "ab\x1b"
	    "cd",
	    5);
	is_str(out, "ab", "cut before an escape that does not fit");
	is_int((long)n, 2, "cut: length");
	printable(out, 5, "ab\xc3\xa4x", 5);
	is_str(out, "ab\xc3\xa4", "a character that fits is kept whole");
	printable(out, 4, "ab\xc3\xa4x", 5);
	is_str(out, "ab", "one that does not is left out whole");
	printable(out, 1, "abc", 3);
	is_str(out, "", "room for the NUL only");
	/* the worst case fits PRINTABLE_SIZE */
	n = printable(out, sizeof(out), "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	is_int((long)n, 32, "eight control bytes: 32 characters");
}

int
main(void)
{
	test_escapes();
	test_truncation();
	return done_testing();
}
