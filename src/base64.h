/*
 * base64.h - base64 encoding (RFC 4648 §4: the standard alphabet, '='
 * padding, no line breaks), for SMTP AUTH (RFC 4954) and RFC 2047
 * encoded words.
 *
 * Pure code over a struct buf.  The room is reserved before anything is
 * written, so a secret being encoded is never left behind in memory a
 * growing buffer gave back; the caller wipes out (buf_free()).
 */
#ifndef CFSENDMAIL_BASE64_H
#define CFSENDMAIL_BASE64_H

#include <stddef.h>

#include "buf.h"

/*
 * Append the encoding of the len bytes at p to out (NUL-terminated as
 * ever).  Returns 0, or -1 with errno = ENOMEM or EOVERFLOW and out
 * unchanged.
 */
int base64_encode(struct buf *out, const void *p, size_t len);

#endif
