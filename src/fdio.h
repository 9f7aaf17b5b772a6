/*
 * fdio.h - whole reads and writes on a pipe or file descriptor, through
 * short transfers and EINTR (the session processes' reports: parallel.c,
 * drain.c).
 */
#ifndef CFSENDMAIL_FDIO_H
#define CFSENDMAIL_FDIO_H

#include <stddef.h>

/* All len bytes of p to fd: 0, or -1 with errno set. */
int fdio_write_all(int fd, const void *p, size_t len);
/*
 * len bytes from fd into p: 1; the end of the input before the first
 * byte (the writer ended cleanly between records): 0; an error or an end
 * in the middle: -1.
 */
int fdio_read_all(int fd, void *p, size_t len);

#endif
