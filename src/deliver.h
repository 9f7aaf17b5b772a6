/*
 * deliver.h - the delivery engine: a message's recipients over sessions
 * with the relay, one session after another, with batching, retries and
 * per-recipient results.
 *
 * It sits under the layers that choose how many sessions a message gets
 * (send.h) and run several at once (parallel.h), and over the SMTP
 * engine (smtp.h) and the connection (tls.h); it calls neither of the
 * first two.
 *
 * Recipients go in sessions of at most [delivery] max_recipients RCPTs,
 * counted per session across transactions (the relay allows 50).  A 452
 * at RCPT sends the message to those already accepted and the rest
 * continue in a new session, with the batch size lowered to what the
 * server took.  A temporary failure (421, 4xx, a dropped or timed-out
 * connection) is retried up to job->attempts times with exponential
 * backoff from retry_delay, with jitter; only recipients not yet
 * delivered are tried again.  A permanent failure is not retried.  One
 * struct deliver keeps its connection between messages (a queue run sends
 * many over one session) and its TLS session for resumption.
 */
#ifndef CFSENDMAIL_DELIVER_H
#define CFSENDMAIL_DELIVER_H

#include <stddef.h>

#include "config.h"
#include "failure.h"
#include "smtp.h"
#include "tls.h"

/* What a permanent failure of the whole message was about. */
enum deliver_why {
	DELIVER_OK,	 /* nothing concerned the whole message */
	DELIVER_TEMP,	 /* a temporary failure ended the attempts */
	DELIVER_CONFIG,	 /* our settings: CA file and the like */
	DELIVER_NOHOST,	 /* the relay's name does not resolve */
	DELIVER_TLS,	 /* certificate refused, no STARTTLS */
	DELIVER_AUTH,	 /* AUTH refused (535) */
	DELIVER_RELAY,	 /* greeting, EHLO or MAIL FROM refused */
	DELIVER_MESSAGE, /* the message refused (552, 554, 8-bit) */
};

struct deliver_job {
	const char *id;	   /* queue id, for logs */
	const char *msgid; /* Message-ID, for logs; NULL */
	/* the whole message: env.rcpts are all its recipients */
	struct smtp_envelope env;
	/* per recipient: REPLY_OK sent, _PERM refused, _TEMP not yet */
	struct smtp_status *status;
	struct smtp_body    body;
	int (*rewind)(void *ctx); /* body from the start */
	int attempts;		  /* tries before giving up */
	/* results */
	enum deliver_why   why;
	struct smtp_status failure; /* the last whole-message failure */
};

/*
 * How the engine reaches the relay: deliver_init() sets the real one,
 * TCP and TLS (tls.h) over the [relay] settings; unit tests set one that
 * scripts the server.  Each function returns 0, or -1 with *why and a
 * one-line reason in err.
 */
struct deliver_connector {
	void *ctx;
	/*
	 * Connect (and handshake), without trusting the peer yet: nothing is
	 * read or written before check().  *conn: the new connection.
	 */
	int (*open)(void *ctx, void **conn, enum tls_failure *why, char *err,
	    size_t errlen);
	/* Check the peer, then fill t; a failure closes conn. */
	int (*check)(void *ctx, void *conn, struct transport *t,
	    enum tls_failure *why, char *err, size_t errlen);
	/* Close without waiting for the peer; NULL is fine. */
	void (*close)(void *ctx, void *conn);
};

/* A connection deliver_start() made ahead, or why it could not. */
struct deliver_early {
	void		*conn;	 /* opened, not yet checked */
	int		 failed; /* why and err say why */
	enum tls_failure why;
	char		 err[SMTP_STATUS_TEXT];
};

struct deliver {
	const struct config	*cfg;
	struct smtp_params	 params;
	struct deliver_connector connector;
	struct tls_params	 tls_params;
	struct tls_client	*tls;  /* loaded at the first connect */
	void			*conn; /* the connector's; tls_conn */
	struct transport	 t;
	struct smtp_session	 smtp;
	int			 ready; /* authenticated session */
	/* the last session could not be opened, or the relay said it is
	 * not authenticated (530): the next message would fare no better */
	int		     open_failed;
	unsigned int	     sessions;	/* opened so far */
	size_t		     batch_max; /* RCPTs a session takes */
	struct deliver_early early;
	/* the failure of the last message that had one, kept for the
	 * caller (the queue runner's throttle, drain.h); cleared by it */
	struct smtp_status last_failure;
};

/* Our host name for EHLO (never empty). */
void deliver_helo(char *out, size_t outlen);
/* helo: our name for EHLO, kept (not copied) while d is used. */
void deliver_init(struct deliver *, const struct config *, const char *helo);
/*
 * Connect and handshake now, for a message that is not ready to go yet
 * (its spool file still to be made durable): the relay greets only
 * after the handshake, so the caller's work overlaps that round trip.
 * The first deliver_open() checks the certificate and reads the
 * greeting; a failure here becomes that open's failure.
 */
void deliver_start(struct deliver *);
/* Before the first try: every recipient pending, no failure. */
void deliver_reset(struct deliver_job *);
/*
 * Deliver the recipients whose status is REPLY_TEMP over this struct's
 * sessions, in batches, with retries; the results are in job->status[]
 * and job->why.
 */
void deliver_batches(struct deliver *, struct deliver_job *);
/*
 * Connect, TLS, greeting, EHLO, AUTH (done by deliver_batches as needed;
 * exposed for --serverinfo).  -1: job->failure and job->why say why.
 */
int deliver_open(struct deliver *, struct deliver_job *);
/* QUIT and close the connection, keep nothing. */
void deliver_close(struct deliver *);
/*
 * Seconds to wait after the n-th failed try (n >= 1) before the next, in
 * this process: retry_delay doubled each time (at most 1024 times), then
 * within ±25% by random (pure).
 */
double deliver_retry_wait(int retry_delay, int failures, unsigned int random);
/* Recipients still to be delivered (REPLY_TEMP). */
size_t deliver_pending(const struct deliver_job *);
/*
 * The outcome as a failure (failure.h): FAIL_NONE; FAIL_TEMPORARY while
 * recipients are pending; else the whole-message failure's (FAIL_CONFIG,
 * FAIL_RELAY_NAME, FAIL_RELAY_REFUSED, FAIL_AUTH, FAIL_DATA) or
 * FAIL_RECIPIENT when some recipients were refused.
 */
enum failure deliver_failure(const struct deliver_job *);
/*
 * Whether the whole-message failure is our own setup's and not the
 * relay's verdict on this message (1) or not (0): the relay's name does
 * not resolve, its certificate or pin is refused, a setting is wrong, the
 * greeting, EHLO, STARTTLS or AUTH is refused, or MAIL gets 530 (the
 * session is not authenticated).  Only MAIL (but for 530), RCPT and the
 * end of DATA speak about the message.  Temporary failures (DELIVER_TEMP)
 * are not counted here: they wait in any case.
 */
int deliver_setup_failure(const struct deliver_job *);
/*
 * What to do about a failure, from the relay's troubleshooting guide, or
 * NULL: e.g. 535 → check the user name and the token's permission.
 */
const char *deliver_hint(const struct smtp_status *);
/*
 * The same for a failure of job (a recipient's, or job->failure): the
 * null sender refused at MAIL FROM gets its own hint, not the onboarding
 * one; the failures no reply describes get the setting to check: the
 * relay's name does not resolve, no connection could be made.
 */
const char *deliver_job_hint(const struct deliver_job *,
    const struct smtp_status *);

#endif
