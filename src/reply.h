/*
 * reply.h - SMTP reply parsing (RFC 5321 §4.2, RFC 3463 enhanced codes,
 * RFC 5321 §4.1.1.1 EHLO keywords).  Pure: fed line by line.
 *
 * A reply is fed one line at a time (without CRLF) until reply_feed()
 * says it is complete.  Every line of a multi-line reply must carry the
 * same code; anything else is a protocol error.  The reply owns its text
 * buffer: reply_free() releases it.
 */
#ifndef CFSENDMAIL_REPLY_H
#define CFSENDMAIL_REPLY_H

#include <stddef.h>

#include "buf.h"

/*
 * Longest reply we accept, in lines and bytes of text: a hostile server
 * cannot make us grow without bound.  A real one sends a dozen lines (an
 * EHLO reply); its time is bounded by one deadline per reply (smtp.h).
 */
#define REPLY_MAX_LINES 256
#define REPLY_MAX_BYTES (64 * 1024)

/* The only classification retry, queue and exit codes are decided from. */
enum reply_class {
	REPLY_OK,   /* 2xx, 3xx */
	REPLY_TEMP, /* 4xx, timeouts, dropped connections */
	REPLY_PERM, /* 5xx */
};

struct reply {
	int	   code;	 /* 0 until the first line */
	char	   enhanced[16]; /* "4.5.3", or "" when none */
	struct buf text;	 /* lines after "NNN-", joined by '\n' */
	size_t	   lines;
	int	   complete;
};

/* Forget the previous reply, keep the storage. */
void reply_reset(struct reply *);
void reply_free(struct reply *);
/*
 * Add one line.  Returns 1 when the reply is complete, 0 when more lines
 * follow, -1 on a malformed line or an over-long reply (err says which).
 */
int reply_feed(struct reply *, const char *line, size_t len, char *err,
    size_t errlen);
enum reply_class reply_classify(int code);
/*
 * Write "CODE text" on one line into out (multi-line text joined with
 * "; ", control bytes replaced), for messages and logs.  Always
 * NUL-terminates; truncates to outlen.
 */
void reply_oneline(const struct reply *, char *out, size_t outlen);

/* What the server said it can do in its EHLO reply. */
struct smtp_caps {
	int	  auth_plain;
	int	  auth_login;
	int	  size_known;
	long long size; /* SIZE limit, 0 = no limit stated */
	int	  eightbitmime;
	int	  pipelining;
	int	  enhancedstatuscodes;
	int	  dsn;
	int	  smtputf8;
	int	  starttls;
};

/* Fill caps from a complete EHLO reply (the first line is the greeting). */
void reply_parse_ehlo(const struct reply *, struct smtp_caps *);

#endif
