/*
 * base64.c - base64 encoding; see base64.h.
 */

#include <errno.h>
#include <stdint.h>

#include "base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
base64_encode(struct buf *out, const void *p, size_t len)
{
	const unsigned char *in = p;
	char		    *o;
	size_t		     n;
	uint32_t	     v;

	if (len > SIZE_MAX / 4 * 3 - 3) {
		errno = EOVERFLOW;
		return -1;
	}
	n = (len + 2) / 3 * 4;
	if (buf_reserve(out, n) == -1)
		return -1;
	o = out->data + out->len;
	for (; len >= 3; in += 3, len -= 3) {
		v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = alphabet[v >> 6 & 63];
		*o++ = alphabet[v & 63];
	}
	if (len > 0) {
		/* §4: the last group padded to 4 characters with '=' */
		v = (uint32_t)in[0] << 16;
		if (len == 2)
			v |= (uint32_t)in[1] << 8;
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = len == 2 ? alphabet[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	out->len += n;
	out->data[out->len] = '\0';
	return 0;
}
