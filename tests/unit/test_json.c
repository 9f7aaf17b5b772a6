/*
 * test_json.c - unit tests for json.c: every byte string becomes a valid
 * JSON string in valid UTF-8 (the queue listing's strings come from
 * queue files and relays).
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "tap.h"

static void
test_strings(void)
{
	static const struct {
		const char *name;
		const char *in;
		const char *want;
	} cases[] = {
		{ "plain", "ops@example.com", "\"ops@example.com\"" },
		{ "empty", "", "\"\"" },
		{ "quote and backslash", "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "control bytes", "\001\t\n\r\037",
		    "\"\\u0001\\u0009"
		    "\\u000a\\u000d\\u001f\"" },
		{ "DEL", "\177", "\"\\u007f\"" },
		{ "slash kept", "a/b", "\"a/b\"" },
		{ "UTF-8 kept",
		    "d\xc3\xa9j\xc3\xa0 \xe2\x82\xac \xf0\x9f\x93\xa7",
		    "\"d\xc3\xa9j\xc3\xa0 \xe2\x82\xac \xf0\x9f\x93\xa7\"" },
		{ "U+10FFFF kept", "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"" },
		{ "lone byte",
		    "a\xff"
		    "b",
		    "\"a\\ufffdb\"" },
		{ "latin-1", "caf\xe9", "\"caf\\ufffd\"" },
		{ "cut sequence", "\xe2\x82", "\"\\ufffd\\ufffd\"" },
		{ "cut at the end", "x\xf0\x9f", "\"x\\ufffd\\ufffd\"" },
		{ "lone continuation", "\x80", "\"\\ufffd\"" },
		{ "overlong /", "\xc0\xaf", "\"\\ufffd\\ufffd\"" },
		{ "overlong 3 bytes", "\xe0\x80\xaf",
		    "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "overlong 4 bytes", "\xf0\x80\x80\xaf",
		    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "surrogate", "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "above U+10FFFF", "\xf4\x90\x80\x80",
		    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "F5", "\xf5\x80\x80\x80",
		    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "invalid then quote", "\xff\"", "\"\\ufffd\\\"\"" },
	};
	struct buf b = { 0 };
	size_t	   i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		is_int(json_string(&b, cases[i].in), 0, "%s: returns 0",
		    cases[i].name);
		is_str(b.data, cases[i].want, "%s", cases[i].name);
	}
	buf_reset(&b);
	json_string(&b, NULL);
	is_str(b.data, "null", "NULL is null");
	buf_free(&b);
}

static void
test_keys(void)
{
	struct buf b = { 0 };

	buf_adds(&b, "{");
	json_key(&b, "id", 1);
	json_string(&b, "1");
	json_key(&b, "a\"b", 0);
	json_string(&b, NULL);
	buf_adds(&b, "}");
	is_str(b.data, "{\"id\":\"1\",\"a\\\"b\":null}",
	    "keys: comma "
	    "between, escaped");
	buf_free(&b);
}

/* Every one- and two-byte string: no raw control byte or quote leaks. */
static void
test_all_pairs(void)
{
	struct buf b = { 0 };
	char	   in[3];
	int	   x, y, bad = 0;
	size_t	   i;

	for (x = 1; x < 256; x++)
		for (y = 0; y < 256; y++) {
			in[0] = (char)x;
			in[1] = (char)y;
			in[2] = '\0';
			buf_reset(&b);
			json_string(&b, in);
			if (b.len < 2 || b.data[0] != '"' ||
			    b.data[b.len - 1] != '"')
				bad++;
			for (i = 1; i + 1 < b.len; i++)
				if ((unsigned char)b.data[i] < 0x20 ||
				    (b.data[i] == '"' && b.data[i - 1] != '\\'))
					bad++;
		}
	is_int(bad, 0,
	    "all byte pairs: quoted, no raw control byte or "
	    "quote");
	buf_free(&b);
}

int
main(void)
{
	test_strings();
	test_keys();
	test_all_pairs();
	return done_testing();
}
