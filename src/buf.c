/*
 * buf.c - growable byte buffer; see buf.h for the contract.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "secret.h"

/* A secret buffer moves to new pages; the old ones are wiped. */
static char *
grow(struct buf *b, size_t cap)
{
	char *p;

	if (!b->secret)
		return realloc(b->data, cap);
	if ((p = secret_alloc(cap)) != NULL && b->data != NULL) {
		memcpy(p, b->data, b->len + 1);
		secret_free(b->data);
	}
	return p;
}

int
buf_reserve(struct buf *b, size_t more)
{
	size_t want, cap;
	char  *p;

	if (more > SIZE_MAX - b->len - 1) {
		errno = EOVERFLOW;
		return -1;
	}
	want = b->len + more + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	if ((p = grow(b, cap)) == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t len)
{
	if (buf_reserve(b, len) == -1)
		return -1;
	if (len > 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_wipe(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	b->len = 0;
}

void
buf_free(struct buf *b)
{
	buf_wipe(b);
	if (b->secret)
		secret_free(b->data);
	else
		free(b->data);
	b->data = NULL;
	b->cap = 0;
}
