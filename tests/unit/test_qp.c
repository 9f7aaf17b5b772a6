/*
 * test_qp.c - quoted-printable encoding of over-long lines (RFC 2045).
 */
#include <string.h>

#include "buf.h"
#include "qp.h"
#include "tap.h"

static const struct {
	const char *in;
	const char *want;
	const char *name;
} cases[] = {
	{ "plain text", "plain text\n", "printable ASCII stays" },
	{ "a=b", "a=3Db\n", "'=' is encoded" },
	{ "tail ", "tail=20\n", "a space at the end is encoded" },
	{ "tab\t", "tab=09\n", "a tab at the end is encoded" },
	{ "in side", "in side\n", "a space inside stays" },
	{ "caf\xc3\xa9", "caf=C3=A9\n", "8-bit bytes are encoded" },
	{ "", "\n", "an empty line" },
};

/* Undo the encoding, to check that nothing was lost. */
static size_t
decode(const char *s, char *out)
{
	size_t o = 0;
	int    hi, lo;

	while (*s != '\0') {
		if (s[0] == '=' && s[1] == '\n')
			s += 2;
		else if (s[0] == '=') {
			hi = s[1] <= '9' ? s[1] - '0' : s[1] - 'A' + 10;
			lo = s[2] <= '9' ? s[2] - '0' : s[2] - 'A' + 10;
			out[o++] = (char)(hi << 4 | lo);
			s += 3;
		} else
			out[o++] = *s++;
	}
	return o;
}

static void
check_long_line(void)
{
	char	    line[3000], back[4000];
	struct buf  out = { 0 };
	const char *p, *nl;
	size_t	    i, longest = 0, n;

	for (i = 0; i < sizeof(line); i++)
		line[i] = (char)(i % 7 == 0 ? '=' : 'a' + i % 26);
	ok(qp_encode_line(line, sizeof(line), &out) == 0, "encodes 3000 bytes");
	for (p = out.data; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		if ((size_t)(nl - p) > longest)
			longest = (size_t)(nl - p);
	ok(longest <= 76, "no output line over 76 characters (%zu)", longest);
	n = decode(out.data, back);
	ok(n == sizeof(line) + 1 && memcmp(back, line, sizeof(line)) == 0,
	    "decoding gives every byte back");
	buf_free(&out);
}

int
main(void)
{
	struct buf out = { 0 };
	size_t	   i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&out);
		qp_encode_line(cases[i].in, strlen(cases[i].in), &out);
		is_str(out.data, cases[i].want, "%s", cases[i].name);
	}
	buf_free(&out);
	check_long_line();
	return done_testing();
}
