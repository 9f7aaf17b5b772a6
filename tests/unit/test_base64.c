/*
 * test_base64.c - unit tests for the base64 encoder (base64.c).
 *
 * RFC 4648 §10's vectors, the AUTH strings of the relay's exchange, and
 * every length from 0 to 300 of varied bytes decoded back by the small
 * decoder below.
 */
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "tap.h"

/* RFC 4648 §4, strictly: the alphabet, padding only at the end. */
static int
decode(const char *s, size_t len, unsigned char *out, size_t *outlen)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char	 *c;
	unsigned long	  v = 0;
	size_t		  i, n = 0, pad = 0;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] == '=' && i >= len - 2) {
			pad++;
			v <<= 6;
		} else if (pad > 0 || s[i] == '\0' ||
		    (c = strchr(a, s[i])) == NULL)
			return -1;
		else
			v = v << 6 | (unsigned long)(c - a);
		if (i % 4 == 3) {
			out[n++] = (unsigned char)(v >> 16);
			out[n++] = (unsigned char)(v >> 8);
			out[n++] = (unsigned char)v;
			v = 0;
		}
	}
	*outlen = n - pad;
	return 0;
}

static void
test_vectors(void)
{
	static const struct {
		const char *in;
		size_t	    len;
		const char *want;
	} cases[] = {
		{ "", 0, "" }, { "f", 1, "Zg==" }, { "fo", 2, "Zm8=" },
		{ "foo", 3, "Zm9v" }, { "foob", 4, "Zm9vYg==" },
		{ "fooba", 5, "Zm9vYmE=" }, { "foobar", 6, "Zm9vYmFy" },
		/* AUTH PLAIN and LOGIN as in tests/unit/test_smtp.c */
		{ "\0api_token\0test-token", 21,
		    "AGFwaV90b2tlbgB0ZXN0LXRva2Vu" },
		{ "api_token", 9, "YXBpX3Rva2Vu" },
		{ "test-token", 10, "dGVzdC10b2tlbg==" },
		/* the last two characters of the alphabet, and 0xff */
		{ "\xfb\xff\xbf", 3, "+/+/" }, { "\xff", 1, "/w==" },
		{ "\xc3\xa9t\xc3\xa9", 5, "w6l0w6k=" }, /* "été" */
	};
	struct buf b = { 0 };
	size_t	   i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		is_int(base64_encode(&b, cases[i].in, cases[i].len), 0,
		    "vector %zu: encoded", i);
		is_str(b.data, cases[i].want, "vector %zu: \"%s\"", i,
		    cases[i].want);
		is_int((long)b.len, (long)strlen(cases[i].want),
		    "vector %zu: length", i);
	}
	buf_free(&b);
}

static void
test_append(void)
{
	struct buf b = { 0 };

	buf_adds(&b, "AUTH PLAIN ");
	base64_encode(&b, "foob", 4);
	is_str(b.data, "AUTH PLAIN Zm9vYg==", "appends to what out holds");
	base64_encode(&b, "", 0);
	is_str(b.data, "AUTH PLAIN Zm9vYg==", "nothing to encode: unchanged");
	buf_free(&b);
}

/* Every length 0..300 of varied bytes: decodes back to the input. */
static void
test_round_trip(void)
{
	unsigned char in[300], back[300];
	struct buf    b = { 0 };
	size_t	      len, i, n;
	unsigned int  x = 12345;
	int	      bad = 0;

	for (i = 0; i < sizeof(in); i++) {
		x = x * 1103515245 + 12345;
		in[i] = (unsigned char)(x >> 16);
	}
	for (len = 0; len <= sizeof(in); len++) {
		buf_reset(&b);
		if (base64_encode(&b, in, len) == -1 ||
		    b.len != (len + 2) / 3 * 4 ||
		    decode(b.data, b.len, back, &n) == -1 || n != len ||
		    memcmp(back, in, len) != 0) {
			if (bad++ == 0)
				printf("# length %zu: \"%s\"\n", len, b.data);
		}
	}
	is_int(bad, 0, "lengths 0 to 300 decode back to their bytes");
	buf_free(&b);
}

int
main(void)
{
	test_vectors();
	test_append();
	test_round_trip();
	return done_testing();
}
