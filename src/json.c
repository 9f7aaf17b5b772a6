/*
 * json.c - JSON strings for the queue listing; see json.h.
 */

#include <stdio.h>
#include <string.h>

#include "json.h"

/*
 * Length of the valid UTF-8 sequence at s (n bytes available), or 0
 * when the byte at s does not start one (RFC 3629, section 4).
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t	      len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* the second byte's range rules out overlong forms, surrogates
	 * (U+D800-U+DFFF) and code points above U+10FFFF */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

int
json_string(struct buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t		     n, len;
	int		     rc = 0;

	if (str == NULL)
		return buf_adds(b, "null");
	n = strlen(str);
	rc |= buf_add(b, "\"", 1);
	while (n > 0 && rc == 0) {
		if (*s == '"' || *s == '\\') {
			rc |= buf_addf(b, "\\%c", *s);
			len = 1;
		} else if (*s < 0x20 || *s == 0x7f) {
			rc |= buf_addf(b, "\\u%04x", *s);
			len = 1;
		} else if ((len = utf8_len(s, n)) > 0)
			rc |= buf_add(b, s, len);
		else {
			rc |= buf_adds(b, "\\ufffd");
			len = 1;
		}
		s += len;
		n -= len;
	}
	rc |= buf_add(b, "\"", 1);
	return rc == 0 ? 0 : -1;
}

int
json_key(struct buf *b, const char *name, int first)
{
	if (!first && buf_add(b, ",", 1) == -1)
		return -1;
	if (json_string(b, name) == -1)
		return -1;
	return buf_add(b, ":", 1);
}
