/*
 * smtp.h - the SMTP client state machine (RFC 5321, 4954, 2920, 3207).
 *
 * One struct smtp_session speaks to one server over a struct transport
 * and does no I/O of its own.  Outcomes are typed (REPLY_OK, _TEMP,
 * _PERM) in a struct smtp_status, overall and per recipient, so that the
 * caller decides retries, queueing and exit codes from the type alone.
 * Functions return 0 when the step succeeded, -1 when it did not; the
 * status then says why (the server's reply, or a local reason such as a
 * timeout).  After a TEMP failure with session_lost set the session
 * cannot be used again.  Secrets: the AUTH exchange is shown as
 * "<redacted>" in the -v transcript; the token is never copied except
 * into the buffers that make and send the AUTH command, each wiped as
 * soon as it has served.
 *
 * Time: each reply must be complete within one deadline (timeout_ms, the
 * AUTH reply auth_timeout_ms, the reply to the final dot data_timeout_ms),
 * however its lines and bytes arrive; each write within timeout_ms.  On
 * top of that, a session has a ceiling of 2 x timeout_ms +
 * data_timeout_ms, from smtp_open() to the reply to its first message,
 * and the same again for each further message from smtp_send() on: a
 * server that answers every step just in time (or a thousand RCPTs) still
 * cannot hold the caller longer.  Running out of time is a TEMP failure
 * with session_lost set, as is a malformed, over-long (REPLY_MAX_LINES,
 * REPLY_MAX_BYTES, TRANSPORT_MAX_LINE) or unsolicited reply.  Time is
 * monotonic (smtp_params.clock).
 */
#ifndef CFSENDMAIL_SMTP_H
#define CFSENDMAIL_SMTP_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "reply.h"
#include "transport.h"

#define SMTP_STATUS_TEXT 512

struct smtp_params {
	const char *helo; /* our host name for EHLO */
	const char *username;
	const char *token;	     /* secret */
	int	    timeout_ms;	     /* each command */
	int	    auth_timeout_ms; /* the AUTH reply (the relay: 30 s) */
	int	    data_timeout_ms; /* the reply to the final dot */
	int	    starttls;	     /* plaintext start, STARTTLS required */
	/* monotonic milliseconds for the deadlines; NULL: CLOCK_MONOTONIC
	 * (a test's scripted server keeps time of its own) */
	long long (*clock)(void);
};

enum smtp_state {
	SMTP_GREETING,
	SMTP_EHLO,
	SMTP_STARTTLS,
	SMTP_AUTH,	/* AUTH PLAIN <response> or AUTH LOGIN */
	SMTP_AUTH_USER, /* LOGIN: the user name */
	SMTP_AUTH_PASS, /* LOGIN: the password */
	SMTP_READY,	/* between transactions */
	SMTP_MAIL,
	SMTP_RCPT,
	SMTP_DATA,
	SMTP_BODY, /* the final dot's reply */
	SMTP_RSET,
	SMTP_QUIT,
	SMTP_CLOSED,
};

/* What a status came from, so that hints need not read its text. */
enum smtp_cause {
	SMTP_CAUSE_LOCAL,      /* decided here: refused before asking, a
				   certificate refused, our own settings, out
				   of memory, not tried yet */
	SMTP_CAUSE_REPLY,      /* the server's reply: code, enhanced, text */
	SMTP_CAUSE_CONNECTION, /* no connection, or it failed or closed */
	SMTP_CAUSE_TIMEOUT,    /* a reply or write late, or the session's
				   ceiling reached */
	SMTP_CAUSE_PROTOCOL,   /* the server broke SMTP: a malformed,
				   over-long or unsolicited reply */
	SMTP_CAUSE_TLS,	       /* the TLS handshake failed */
};

struct smtp_status {
	enum reply_class cls;
	enum smtp_state	 state; /* the step it happened in */
	enum smtp_cause	 cause;
	int		 code; /* the server's code; 0: local reason */
	char		 enhanced[16];
	int		 session_lost; /* the connection cannot be reused */
	char		 text[SMTP_STATUS_TEXT]; /* one line, for people */
};

struct smtp_envelope {
	const char	  *from; /* "" for the null sender <> */
	const char *const *rcpts;
	size_t		   nrcpts;
	int		   eightbit;   /* the message has 8-bit bytes */
	int		   smtputf8;   /* an address is not ASCII */
	long long	   size;       /* bytes, for SIZE=; 0 if unknown */
	const char	  *dsn_notify; /* -N, or NULL */
	const char	  *dsn_ret;    /* -R, or NULL */
	const char	  *envid;      /* -V, or NULL */
};

/* The message body source: the spool file, with LF line ends. */
struct smtp_body {
	void *ctx;
	/* Returns bytes read, 0 at the end, -1 on error. */
	ssize_t (*read)(void *ctx, char *p, size_t len);
};

struct smtp_session {
	const struct transport	 *t;
	const struct smtp_params *p;
	enum smtp_state		  state;
	struct smtp_caps	  caps;
	struct reply		  reply;
	struct buf		  line; /* last line read */
	struct buf		  out;	/* commands waiting to be sent */
	char	     queued_id[128];	/* relay's id of the last message */
	int	     nomem;		/* a command could not be queued */
	unsigned int transactions;
	unsigned int rcpts_sent;     /* in this session */
	unsigned int rcpts_accepted; /* 2xx, in this session */
	long long    ceiling;	     /* ms, on p->clock */
	int	     fresh;	     /* opened, no message sent yet */
};

/*
 * Set up a session; nothing is sent, the ceiling's clock starts.  Free
 * with smtp_session_free().
 */
void smtp_session_init(struct smtp_session *, const struct transport *,
    const struct smtp_params *);
void smtp_session_free(struct smtp_session *);
/* Greeting, EHLO, STARTTLS when asked for, AUTH. */
int smtp_open(struct smtp_session *, struct smtp_status *);
/*
 * One transaction: MAIL, RCPT for each recipient, DATA, the body.
 * rcpt_status[i] tells each recipient's outcome.  A recipient refused
 * with 452 (too many recipients) and every one after it is left with
 * code 452 and class REPLY_TEMP, not tried: the caller sends them in a
 * new session.  Returns 0 when the message was accepted for at least one
 * recipient (st: the final reply), -1 when not.
 */
int smtp_send(struct smtp_session *, const struct smtp_envelope *,
    const struct smtp_body *, struct smtp_status *rcpt_status,
    struct smtp_status *st);
/* RSET between transactions on one connection. */
int smtp_rset(struct smtp_session *, struct smtp_status *);
/* Send QUIT, if the ceiling leaves time; its reply is not worth a round
 * trip. */
void smtp_quit(struct smtp_session *);
/* The state's name, for traces and messages ("RCPT"). */
const char *smtp_state_name(enum smtp_state);
/*
 * Copy body to the server: LF line ends become CRLF and a leading dot
 * is doubled (RFC 5321 §4.5.2); whole buffers, not lines, are written.
 * The caller sends the final dot.  Exposed for unit tests.
 */
int smtp_write_body(struct smtp_session *, const struct smtp_body *,
    struct smtp_status *);

#endif
