/*
 * fake_transport.h - a scripted fake of the transport (transport.h) for
 * the unit tests: it plays the server.
 *
 * It hands out the lines of a script and records every write, so a test
 * case reads like curl's test9xx files: what the server says in, the
 * transcript out.  The transcript interleaves both sides, one event per
 * transport call:
 *
 *   "S: 250 ok\n"               a line the client read
 *   "C: MAIL FROM:<f@x>\r\n"    one write, bytes as sent
 *
 * so that one write holding several commands (pipelining, or body and
 * final dot together) shows as one "C: " event.  A script line "!ERR"
 * makes read_line fail like a reset connection.
 *
 * The fake keeps time of its own (fake_clock, for smtp_params.clock): a
 * line "@N text" arrives N ms after the previous one, or read_line times
 * out ("S: <timed out>") when N is more than it was given; a line "^text"
 * came with the previous one and is already waiting (pending()) before
 * the client sends its next command.
 */
#ifndef CFSENDMAIL_FAKE_TRANSPORT_H
#define CFSENDMAIL_FAKE_TRANSPORT_H

#include <sys/types.h>

#include "buf.h"
#include "reply.h"
#include "transport.h"

struct fake {
	const char *const *script; /* the caller's, NULL-terminated */
	size_t		   next;
	struct buf	   events;
	struct buf	   sent;     /* every byte written, no marks */
	size_t		   wend[64]; /* where each write ended in sent */
	int		   writes;
	int		   fail_write; /* fail the n-th write (1-based) */
	int		   starttls_calls;
};

/* The transport over the fake of the last fake_init(). */
extern struct transport tr;

/*
 * Start a fake with the script lines (NULL-terminated, kept by the
 * caller until fake_free()); tr.starttls NULL.
 */
void fake_init(struct fake *, const char *const *lines);
void fake_free(struct fake *);
/* The fake server's clock, in ms: moved only by "@N" lines. */
long long fake_clock(void);
/* For tr.starttls: notes "-- TLS --" in the events and succeeds. */
int fake_starttls(void *ctx, char *err, size_t errlen);

/* The message body: served from memory chunk bytes at a time. */
struct membody {
	const char *p;
	size_t	    len, off, chunk;
	int	    fail;
};

/* A struct smtp_body read function over a struct membody. */
ssize_t membody_read(void *ctx, char *p, size_t len);

/* A reply class as the test tables write it: "OK", "TEMP", "PERM". */
const char *fake_cls_name(enum reply_class);

#endif
