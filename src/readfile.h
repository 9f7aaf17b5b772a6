/*
 * readfile.h - read a whole small file (config, token, CA bundle) into a
 * buffer.
 *
 * Only a regular file is read.  The file is opened without blocking, so
 * that a FIFO or a device named by mistake is refused at once instead of
 * hanging the caller (cron, a PHP request) until something writes to it.
 *
 * Both functions return 0 with the contents in out (NUL-terminated, also
 * when empty) and the file's status in *st, or -1 with a one-line reason
 * in err: cannot open, not a regular file, cannot read, larger than max
 * bytes.  readfile()'s reason names the file; readfile_unnamed()'s does
 * not, for a path that may be a secret pasted in the wrong place (a
 * token as token_file): its caller names the setting instead.  Secrets
 * may pass through: the read chunks are wiped, and out is wiped by
 * buf_free(); give a BUF_SECRET buffer for a file that may hold the token.
 */
#ifndef CFSENDMAIL_READFILE_H
#define CFSENDMAIL_READFILE_H

#include <sys/stat.h>

#include <stddef.h>

#include "buf.h"

int readfile(const char *path, size_t max, struct buf *out, struct stat *st,
    char *err, size_t errlen);
int readfile_unnamed(const char *path, size_t max, struct buf *out,
    struct stat *st, char *err, size_t errlen);
/*
 * Check, without reading it, that path is a regular file that can be
 * opened for reading; 0, or -1 with a reason that names the file.
 */
int readfile_check(const char *path, char *err, size_t errlen);

#endif
