/*
 * buf.h - growable byte buffer.
 *
 * A struct buf starts zeroed ({0}) and owns its storage; buf_free()
 * releases it.  The contents are always NUL-terminated (the NUL is not
 * counted in len) so that text can be handed to string functions.
 * Functions that grow the buffer return 0, or -1 with errno = ENOMEM
 * (or EOVERFLOW) and the buffer unchanged.  A buffer made with
 * BUF_SECRET keeps its contents in secret memory (secret.h): locked, not
 * dumped, and every old copy wiped when it grows.
 */
#ifndef CFSENDMAIL_BUF_H
#define CFSENDMAIL_BUF_H

#include <stddef.h>

struct buf {
	char  *data;
	size_t len;
	size_t cap;
	int    secret; /* storage from secret_alloc() */
};

/* An empty buffer for credentials: struct buf b = BUF_SECRET; */
#define BUF_SECRET \
	{ \
		.secret = 1 \
	}

/* Make room for at least "more" further bytes (plus the NUL). */
int buf_reserve(struct buf *, size_t more);
/* Append "len" bytes. */
int buf_add(struct buf *, const void *, size_t len);
/* Append a NUL-terminated string. */
int buf_adds(struct buf *, const char *);
/* Append formatted text. */
int buf_addf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
/* Forget the contents, keep the storage. */
void buf_reset(struct buf *);
/* Wipe the contents with explicit_bzero (used for secrets), keep storage. */
void buf_wipe(struct buf *);
/* Release the storage; the buffer is zeroed and reusable. */
void buf_free(struct buf *);

#endif
