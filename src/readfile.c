/*
 * readfile.c - read a whole small file; see readfile.h.
 *
 * O_NOFOLLOW is not used: /etc/cfsendmail.conf may well be a link kept
 * by configuration management; permission checks apply to what it points
 * to, through fstat() of the open file.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "readfile.h"

int
readfile(const char *path, size_t max, struct buf *out, struct stat *st,
    char *err, size_t errlen)
{
	char	 chunk[4096];
	ssize_t	 n;
	int	 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto done;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || out->len + (size_t)n > max ||
		    buf_add(out, chunk, (size_t)n) == -1) {
			snprintf(err, errlen, "cannot read %s: %s", path,
			    n == -1 ? strerror(errno) : "file too large");
			goto done;
		}
	}
	if (buf_add(out, "", 0) == -1) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto done;
	}
	rc = 0;
done:
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	return rc;
}
