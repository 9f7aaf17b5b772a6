/*
 * readfile.c - read a whole small file; see readfile.h.
 *
 * O_NOFOLLOW is not used: /etc/cfsendmail.conf may well be a link kept
 * by configuration management; permission checks apply to what it points
 * to, through fstat() of the open file.  O_NONBLOCK makes open() return
 * at once for a FIFO without a writer (it would wait for one otherwise);
 * fstat() then refuses it.  O_NOCTTY: a terminal named by mistake must
 * not become our controlling terminal.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "readfile.h"

/* How the file is called in messages: its path, or not by name. */
#define CALLED(name) (name) != NULL ? (name) : "the file it names"

/* An open descriptor on a regular file, blocking reads again; or -1. */
static int
open_regular(const char *path, const char *name, struct stat *st, char *err,
    size_t errlen)
{
	int fd, flags;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1) {
		snprintf(err, errlen, "cannot open %s: %s", CALLED(name),
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode) ||
	    (flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		snprintf(err, errlen, "%s%s not a regular file", CALLED(name),
		    name != NULL ? ":" : " is");
		close(fd);
		return -1;
	}
	return fd;
}

static int
read_all(const char *path, const char *name, size_t max, struct buf *out,
    struct stat *st, char *err, size_t errlen)
{
	char	chunk[4096];
	ssize_t n;
	int	fd, rc = -1;

	if ((fd = open_regular(path, name, st, err, errlen)) == -1)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || out->len + (size_t)n > max ||
		    buf_add(out, chunk, (size_t)n) == -1) {
			snprintf(err, errlen, "cannot read %s: %s",
			    CALLED(name),
			    n == -1 ? strerror(errno) : "file too large");
			goto done;
		}
	}
	if (buf_add(out, "", 0) == -1) {
		snprintf(err, errlen, "cannot read %s: out of memory",
		    CALLED(name));
		goto done;
	}
	rc = 0;
done:
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	return rc;
}

int
readfile(const char *path, size_t max, struct buf *out, struct stat *st,
    char *err, size_t errlen)
{
	return read_all(path, path, max, out, st, err, errlen);
}

int
readfile_unnamed(const char *path, size_t max, struct buf *out, struct stat *st,
    char *err, size_t errlen)
{
	return read_all(path, NULL, max, out, st, err, errlen);
}

int
readfile_check(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int	    fd;

	if ((fd = open_regular(path, path, &st, err, errlen)) == -1)
		return -1;
	close(fd);
	return 0;
}
