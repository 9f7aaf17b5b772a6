/*
 * readfile.h - read a whole small file (config, token, CA bundle) into a
 * buffer.
 *
 * Returns 0 with the contents in out (NUL-terminated, also when empty) and
 * the file's status in *st, or -1 with a one-line reason naming the file:
 * cannot open, not a regular file, larger than max bytes.  Secrets may
 * pass through: the read chunks are wiped, and out is wiped by buf_free();
 * give a BUF_SECRET buffer for a file that may hold the token.
 */
#ifndef CFSENDMAIL_READFILE_H
#define CFSENDMAIL_READFILE_H

#include <sys/stat.h>

#include <stddef.h>

#include "buf.h"

int	readfile(const char *path, size_t max, struct buf *out, struct stat *st,
	    char *err, size_t errlen);

#endif
