/*
 * printable.c - text from outside made safe to show; see printable.h.
 */

#include <stdio.h>
#include <string.h>

#include "printable.h"

/*
 * The valid UTF-8 sequence at p (at most left bytes): its length, 1 to
 * 4, with its code point in *cp; 0 when p starts none (a stray
 * continuation byte, an over-long form, a surrogate, a cut sequence).
 */
static size_t
utf8_decode(const unsigned char *p, size_t left, unsigned long *cp)
{
	unsigned long c, min;
	size_t	      n, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	c = p[0] & (0x7f >> n);
	min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/*
 * Characters that act instead of showing: C1 controls (U+009B is a CSI
 * that terminals obey), and format characters that hide text, reorder
 * it (bidi embeddings, overrides, isolates, marks) or end a line.
 */
static int
hidden(unsigned long c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x061c ||
	    (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2060 && c <= 0x206f) || c == 0xfeff;
}

/*
 * How the text at p (left bytes) is shown: into unit (NUL-terminated),
 * with the number of input bytes it stands for in *used.
 */
static size_t
show(const unsigned char *p, size_t left, char unit[8], size_t *used)
{
	unsigned long c;

	if ((*used = utf8_decode(p, left, &c)) == 0) {
		*used = 1;
		return (size_t)snprintf(unit, 8, "\\x%02x", p[0]);
	}
	if (c == '\\')
		return (size_t)snprintf(unit, 8, "\\\\");
	if (c < 0x20 || c == 0x7f)
		return (size_t)snprintf(unit, 8, "\\x%02lx", c);
	if (hidden(c))
		return (size_t)snprintf(unit, 8, "\\u%04lx", c);
	memcpy(unit, p, *used);
	unit[*used] = '\0';
	return *used;
}

size_t
printable(char *out, size_t outlen, const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	const unsigned char *end = p + len;
	char		     unit[8];
	size_t		     o = 0, n, used;

	while (p < end) {
		n = show(p, (size_t)(end - p), unit, &used);
		if (o + n >= outlen)
			break;
		memcpy(out + o, unit, n);
		o += n;
		p += used;
	}
	out[o] = '\0';
	return o;
}
