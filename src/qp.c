/*
 * qp.c - quoted-printable encoding; see qp.h.
 */

#include <stdio.h>

#include "qp.h"

/* Leaves room on each output line for the "=" of a soft line break. */
#define QP_LINE 75

int
qp_encode_line(const char *line, size_t len, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char	  c;
	char		  tok[3];
	size_t		  i, col = 0, n;
	int		  rc = 0;

	for (i = 0; i < len; i++) {
		c = (unsigned char)line[i];
		if ((c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && i + 1 < len)) {
			tok[0] = (char)c;
			n = 1;
		} else {
			tok[0] = '=';
			tok[1] = hex[c >> 4];
			tok[2] = hex[c & 15];
			n = 3;
		}
		if (col + n > QP_LINE) {
			rc |= buf_add(out, "=\n", 2);
			col = 0;
		}
		rc |= buf_add(out, tok, n);
		col += n;
	}
	rc |= buf_add(out, "\n", 1);
	return rc == 0 ? 0 : -1;
}
