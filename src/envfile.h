/*
 * envfile.h - the text of a queue entry's envelope file (ID.env).
 *
 * Pure: buffers in, buffers out, no I/O.  queue.c reads and writes the
 * files.  An envelope is text, one "key value" line each, in this order:
 *
 *   version 2            the format; version 1 (before the checksums)
 *                        is still read
 *   from ADDR            envelope sender, empty for the null sender
 *   created T | next T | attempts N | eightbit 0/1 | smtputf8 0/1
 *   size N | bounce 0/1  (N: the message's size on the wire, for SIZE=)
 *   seen T | waited N    when it was last looked at (queued, or taken
 *                        up by a queue run), and the seconds it has
 *                        waited (qclock.h); an older envelope has
 *                        neither: read as 0
 *   notify X | ret X | envid X | last TEXT     when set
 *   msgid X | about ID   when set: the message's Message-ID field (for
 *                        the log); a notice's: the id of the message it
 *                        is about
 *   damaged 1            moved to failed/ because the entry was damaged
 *   msglen N | msgcrc H  length and CRC-32 (8 hex digits) of ID.msg
 *   rcpt ADDR            one line per recipient still to deliver
 *   end H                CRC-32 of every byte before this line
 *
 * The end line makes the envelope self-checking: a torn, truncated or
 * garbled envelope, or one with a line removed, does not parse.  msglen
 * and msgcrc let a queue run check the message before sending it.
 * No line holds a control byte.  Unknown keys are skipped (a later
 * version may add some, as seen, waited, msgid and about were added);
 * the checksum still covers them.  A version 1 envelope has neither end
 * line nor checksums, and is read as before.
 */
#ifndef CFSENDMAIL_ENVFILE_H
#define CFSENDMAIL_ENVFILE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

#define ENVFILE_VERSION 2

struct queue_envelope {
	int	  version; /* as read; always written as 2 */
	char	 *from;	   /* "" for the null sender; NULL only
					 * in a damaged entry: not known */
	char	**rcpts;   /* recipients still to deliver */
	size_t	  nrcpts;
	time_t	  created;	/* 0: not known (damaged) */
	time_t	  next_attempt; /* 0: now */
	int	  attempts;
	time_t	  seen;	  /* the last look; 0: not recorded */
	long long waited; /* seconds counted (qclock.h) */
	int	  eightbit;
	int	  smtputf8;
	long long size;
	char	 *dsn_notify;
	char	 *dsn_ret;
	char	 *envid;
	char	 *last_reply; /* why the last attempt failed; in
					 * failed/, why it is there */
	char	 *msgid;      /* "<...>", or NULL: not known */
	int	  is_bounce;  /* a notice we made: never bounced */
	char	 *about;      /* a notice: the id it is about */
	int	  damaged;    /* in failed/ as a damaged entry */
	int	  has_sum;    /* msglen and msgcrc are known */
	long long msglen;
	uint32_t  msgcrc;
};

/*
 * Append the envelope's text to b.  A control byte inside a value (none
 * should get there) is written as a space: every value stays on its line
 * and reads back.  Returns 0, or -1 when out of memory.
 */
int envfile_format(const struct queue_envelope *, struct buf *b);
/*
 * Parse len bytes of text into *v (zeroed first).  Returns 0, or -1 with
 * errno EINVAL when the text is not a whole, intact envelope, and a
 * reason in why that follows "the envelope" ("is torn: it has no end
 * line"), or with errno ENOMEM.
 * On failure *v keeps what was read before the problem (a damaged
 * entry's sender and recipients can still be shown); free it either way.
 */
int envfile_parse(struct queue_envelope *v, const char *text, size_t len,
    char *why, size_t whylen);
/* Release the strings and recipients; *v is zeroed. */
void queue_envelope_free(struct queue_envelope *v);
/*
 * Restart the expiry clock, as if the entry had been queued at now but
 * never tried: attempts 0, no next attempt (due now), seen now, waited
 * 0.  Its creation time (the arrival time -bp shows), last reply,
 * recipients and everything else are kept.
 */
void queue_envelope_restart(struct queue_envelope *v, time_t now);

#endif
