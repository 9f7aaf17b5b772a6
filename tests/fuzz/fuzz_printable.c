/*
 * fuzz_printable.c - libFuzzer target for src/printable.c.
 *
 * The input is any text from outside (a relay's reply, a syslog tag).
 * Its escaped form, into buffers of several sizes, must be what log.c
 * relies on: NUL-terminated inside the buffer, the length returned, valid
 * UTF-8 with no C0 or C1 control, DEL, bidi or invisible format
 * character left, every backslash the start of a whole escape, and with
 * room enough (PRINTABLE_SIZE) nothing of the input left out.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "printable.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The length of the escape at p (after its backslash), or 0. */
static size_t
escape_length(const unsigned char *p, size_t left)
{
	if (left >= 1 && p[0] == '\\')
		return 1;
	if (left >= 3 && p[0] == 'x')
		return 3;
	if (left >= 5 && p[0] == 'u')
		return 5;
	return 0;
}

/* A code point that must never reach the output as itself. */
static int
acts(unsigned long c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c ||
	    (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2060 && c <= 0x206f) || c == 0xfeff;
}

/* Walk the output: UTF-8, nothing that acts, whole escapes only. */
static void
check_shown(const unsigned char *s, size_t len)
{
	size_t	      i = 0, n, k;
	unsigned long c;

	while (i < len) {
		if (s[i] == '\\') {
			if ((n = escape_length(s + i + 1, len - i - 1)) == 0)
				abort();
			i += 1 + n;
			continue;
		}
		if (s[i] < 0x80)
			n = 1, c = s[i];
		else if ((s[i] & 0xe0) == 0xc0)
			n = 2, c = s[i] & 0x1f;
		else if ((s[i] & 0xf0) == 0xe0)
			n = 3, c = s[i] & 0x0f;
		else if ((s[i] & 0xf8) == 0xf0)
			n = 4, c = s[i] & 0x07;
		else
			abort();
		if (i + n > len)
			abort();
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				abort();
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if (acts(c))
			abort();
		i += n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 1, 2, 5, 7, 64 };
	size_t		    i, n, room = PRINTABLE_SIZE(size);
	char		   *out;

	if ((out = malloc(room + 1)) == NULL)
		return 0;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]) + 1; i++) {
		size_t outlen = i < sizeof(sizes) / sizeof(sizes[0]) ?
		    sizes[i] :
		    room;

		if (outlen > room)
			continue;
		memset(out, 'Z', room + 1);
		n = printable(out, outlen, (const char *)data, size);
		if (n >= outlen || out[n] != '\0' || strlen(out) != n ||
		    out[outlen] != 'Z')
			abort();
		check_shown((const unsigned char *)out, n);
	}
	/* with PRINTABLE_SIZE, the whole input is shown: its last byte
	 * made something (an escape or a character) */
	if (size > 0 && n == 0)
		abort();
	free(out);
	return 0;
}
