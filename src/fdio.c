/*
 * fdio.c - see fdio.h.
 */

#include <errno.h>
#include <unistd.h>

#include "fdio.h"

int
fdio_write_all(int fd, const void *p, size_t len)
{
	const char *b = p;
	ssize_t	    n;

	while (len > 0) {
		if ((n = write(fd, b, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fdio_read_all(int fd, void *p, size_t len)
{
	char   *b = p;
	size_t	got = 0;
	ssize_t n;

	while (got < len) {
		if ((n = read(fd, b + got, len - got)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 && got == 0 ? 0 : -1;
		got += (size_t)n;
	}
	return 1;
}
