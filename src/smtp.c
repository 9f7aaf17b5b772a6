/*
 * smtp.c - the SMTP client state machine; see smtp.h.
 *
 * Commands are queued in s->out and written with one transport call per
 * flush, so a command, or with PIPELINING a whole MAIL/RCPT/DATA group,
 * or a 64 KiB stretch of body leaves as one buffer (one TLS record), not
 * one record per line.  The transcript and the redaction of AUTH happen
 * in cmd_add(), the one function every command goes through.
 *
 * The steps are straight-line blocking code, one function per phase
 * (greeting, EHLO, STARTTLS, AUTH; MAIL, RCPT, DATA, body), not an event
 * loop: for a client that waits for each reply that reads best.  The
 * state names the step under way, for the transcript, for the redaction
 * of AUTH and for the caller's decisions (smtp_status.state).
 *
 * Deadlines (smtp.h) are computed here: every read and write is given
 * what is left of its step's deadline, never more than the session's
 * ceiling, so the transport needs no notion of a reply or a session.
 */

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "log.h"
#include "mono.h"
#include "smtp.h"

/* Body bytes gathered before one write. */
#define BODY_CHUNK (64 * 1024)

static const char *const state_names[] = {
	[SMTP_GREETING] = "GREETING",
	[SMTP_EHLO] = "EHLO",
	[SMTP_STARTTLS] = "STARTTLS",
	[SMTP_AUTH] = "AUTH",
	[SMTP_AUTH_USER] = "AUTH-USER",
	[SMTP_AUTH_PASS] = "AUTH-PASS",
	[SMTP_READY] = "READY",
	[SMTP_MAIL] = "MAIL",
	[SMTP_RCPT] = "RCPT",
	[SMTP_DATA] = "DATA",
	[SMTP_BODY] = "BODY",
	[SMTP_RSET] = "RSET",
	[SMTP_QUIT] = "QUIT",
	[SMTP_CLOSED] = "CLOSED",
};

const char *
smtp_state_name(enum smtp_state st)
{
	return state_names[st];
}

static void
set_state(struct smtp_session *s, enum smtp_state next)
{
	if (log_verbose() > 1)
		log_trace("%s -> %s", state_names[s->state], state_names[next]);
	s->state = next;
}

/* Monotonic milliseconds: the parameters' clock (a test's), else mono.h's. */
static long long
now_ms(const struct smtp_session *s)
{
	return s->p->clock != NULL ? s->p->clock() : mono_ms();
}

/* The session's ceiling starts now: 2 x timeout + data_timeout. */
static void
ceiling_start(struct smtp_session *s)
{
	s->ceiling = now_ms(s) + 2LL * s->p->timeout_ms + s->p->data_timeout_ms;
}

/* A step's deadline: timeout_ms from now, or the ceiling if sooner. */
static long long
deadline(const struct smtp_session *s, int timeout_ms)
{
	long long d = now_ms(s) + timeout_ms;

	return d < s->ceiling ? d : s->ceiling;
}

/* What is left until the deadline, in ms; 0 when it has passed. */
static int
left_ms(const struct smtp_session *s, long long until)
{
	long long left = until - now_ms(s);

	return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

void
smtp_session_init(struct smtp_session *s, const struct transport *t,
    const struct smtp_params *p)
{
	memset(s, 0, sizeof(*s));
	s->t = t;
	s->p = p;
	s->state = SMTP_GREETING;
	ceiling_start(s);
}

void
smtp_session_free(struct smtp_session *s)
{
	reply_free(&s->reply);
	buf_free(&s->line);
	buf_free(&s->out);
}

/* A failure of our own or of the connection: always temporary, the
 * session is gone. */
static void __attribute__((format(printf, 4, 5)))
status_local(struct smtp_session *s, struct smtp_status *st,
    enum smtp_cause cause, const char *fmt, ...)
{
	va_list ap;

	memset(st, 0, sizeof(*st));
	st->cls = REPLY_TEMP;
	st->state = s->state;
	st->cause = cause;
	st->session_lost = 1;
	va_start(ap, fmt);
	vsnprintf(st->text, sizeof(st->text), fmt, ap);
	va_end(ap);
	set_state(s, SMTP_CLOSED);
}

/*
 * A read or write that failed: late (the step's timeout_ms, or the
 * session's ceiling if that came first), or the transport's reason err.
 */
static void
status_io(struct smtp_session *s, struct smtp_status *st, long long until,
    int timeout_ms, const char *what, const char *err)
{
	const char *in = state_names[s->state];

	if (left_ms(s, until) > 0)
		status_local(s, st, SMTP_CAUSE_CONNECTION, "%s (in %s)", err,
		    in);
	else if (until == s->ceiling)
		status_local(s, st, SMTP_CAUSE_TIMEOUT,
		    "session time limit "
		    "of %g s reached (in %s)",
		    (2.0 * s->p->timeout_ms + s->p->data_timeout_ms) / 1000,
		    in);
	else
		status_local(s, st, SMTP_CAUSE_TIMEOUT,
		    "%s within %g s (in "
		    "%s)",
		    what, timeout_ms / 1000.0, in);
}

/* A refusal decided here without asking the server: permanent. */
static void
status_refuse(const struct smtp_session *s, struct smtp_status *st,
    const char *text)
{
	memset(st, 0, sizeof(*st));
	st->cls = REPLY_PERM;
	st->state = s->state;
	st->cause = SMTP_CAUSE_LOCAL;
	strlcpy(st->text, text, sizeof(st->text));
}

static void
status_reply(struct smtp_session *s, struct smtp_status *st)
{
	memset(st, 0, sizeof(*st));
	st->state = s->state;
	st->cause = SMTP_CAUSE_REPLY;
	st->code = s->reply.code;
	st->cls = reply_classify(st->code);
	strlcpy(st->enhanced, s->reply.enhanced, sizeof(st->enhanced));
	reply_oneline(&s->reply, st->text, sizeof(st->text));
	/* RFC 5321 §3.8: 421 means the server is closing the channel */
	if (st->code == 421) {
		st->session_lost = 1;
		set_state(s, SMTP_CLOSED);
	}
}

/* The states whose commands may carry a credential. */
static int
in_auth(const struct smtp_session *s)
{
	return s->state == SMTP_AUTH || s->state == SMTP_AUTH_USER ||
	    s->state == SMTP_AUTH_PASS;
}

/*
 * How much of a command the transcript may show: in the AUTH states the
 * command word and mechanism, never a credential.
 */
static size_t
shown_length(const struct smtp_session *s, const char *cmd, size_t len)
{
	const char *sp;

	if (!in_auth(s))
		return len;
	if (s->state != SMTP_AUTH)
		return 0; /* AUTH LOGIN's user name or password */
	sp = len > 5 ? memchr(cmd + 5, ' ', len - 5) : NULL;
	return sp != NULL ? (size_t)(sp - cmd) : len;
}

static void
log_command(const struct smtp_session *s, const char *cmd, size_t len)
{
	char   shown[64];
	size_t n = shown_length(s, cmd, len);

	if (n == len) {
		log_transcript("C", cmd, len);
		return;
	}
	snprintf(shown, sizeof(shown), "%.*s%s<redacted>", (int)n, cmd,
	    n > 0 ? " " : "");
	log_transcript("C", shown, strlen(shown));
}

/*
 * Queue one command line (CRLF added) and show it in the transcript.  Out
 * of memory is remembered and reported by the next cmd_flush(), so that
 * callers need one check, not two.
 */
static void __attribute__((format(printf, 2, 3)))
cmd_add(struct smtp_session *s, const char *fmt, ...)
{
	va_list ap;
	size_t	start = s->out.len;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(&s->out, (size_t)n + 2) == -1) {
		s->nomem = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(s->out.data + start, (size_t)n + 1, fmt, ap);
	va_end(ap);
	s->out.len += (size_t)n;
	log_command(s, s->out.data + start, (size_t)n);
	buf_add(&s->out, "\r\n", 2); /* reserved above: cannot fail */
}

/*
 * Empty s->out once written.  Only in the AUTH states can it hold a
 * credential: wiping its whole capacity after every 64 KiB of body too
 * was wasted work.
 */
static void
out_clear(struct smtp_session *s)
{
	if (in_auth(s))
		buf_wipe(&s->out);
	else
		buf_reset(&s->out);
}

/* Write what is queued in s->out, within the step's deadline. */
static int
out_write(struct smtp_session *s, struct smtp_status *st)
{
	long long until = deadline(s, s->p->timeout_ms);
	char	  err[256] = "";
	int	  rc = -1, left;

	if (s->nomem) {
		s->nomem = 0;
		out_clear(s);
		status_local(s, st, SMTP_CAUSE_LOCAL, "out of memory");
		return -1;
	}
	if ((left = left_ms(s, until)) > 0)
		rc = s->t->write(s->t->ctx, s->out.data, s->out.len, left, err,
		    sizeof(err));
	out_clear(s);
	if (rc == -1)
		status_io(s, st, until, s->p->timeout_ms,
		    "could not send to "
		    "the server",
		    err);
	return rc;
}

/*
 * Read one whole reply within one deadline, however its lines arrive:
 * each line gets what is left of it.
 */
static int
read_reply(struct smtp_session *s, int timeout_ms, struct smtp_status *st)
{
	long long until = deadline(s, timeout_ms);
	char	  err[256] = "";
	int	  rc, left;

	reply_reset(&s->reply);
	do {
		if ((left = left_ms(s, until)) == 0 ||
		    s->t->read_line(s->t->ctx, &s->line, left, err,
			sizeof(err)) == -1) {
			status_io(s, st, until, timeout_ms, "no complete reply",
			    err);
			return -1;
		}
		log_transcript("S", s->line.data, s->line.len);
		rc = reply_feed(&s->reply, s->line.data, s->line.len, err,
		    sizeof(err));
		if (rc == -1) {
			status_local(s, st, SMTP_CAUSE_PROTOCOL, "%s (in %s)",
			    err, state_names[s->state]);
			return -1;
		}
	} while (rc == 0);
	status_reply(s, st);
	return 0;
}

/*
 * Before a command goes out nothing may be waiting: a reply there
 * answers nothing we sent, and taken for the next command's it would put
 * the session out of step (an early 250 would pass for the relay's
 * acceptance of a message it has not seen).  Only 421 may come unasked
 * (RFC 5321 §3.8); it ends the session as usual.
 */
static int
refuse_unsolicited(struct smtp_session *s, struct smtp_status *st)
{
	char text[SMTP_STATUS_TEXT];

	if (s->t->pending == NULL || !s->t->pending(s->t->ctx))
		return 0;
	if (read_reply(s, s->p->timeout_ms, st) == -1 || st->code == 421)
		return -1;
	strlcpy(text, st->text, sizeof(text));
	status_local(s, st, SMTP_CAUSE_PROTOCOL,
	    "unsolicited reply from "
	    "server (before %s): %s",
	    state_names[s->state], text);
	return -1;
}

/* Send the queued commands, once nothing unasked is waiting. */
static int
cmd_flush(struct smtp_session *s, struct smtp_status *st)
{
	if (refuse_unsolicited(s, st) == -1) {
		out_clear(s);
		return -1;
	}
	return out_write(s, st);
}

/* Send what is queued and read one reply; 0 when it is 2xx/3xx. */
static int
exchange(struct smtp_session *s, int timeout_ms, struct smtp_status *st)
{
	if (cmd_flush(s, st) == -1 || read_reply(s, timeout_ms, st) == -1)
		return -1;
	return st->cls == REPLY_OK ? 0 : -1;
}

static int
do_greeting(struct smtp_session *s, struct smtp_status *st)
{
	if (read_reply(s, s->p->timeout_ms, st) == -1)
		return -1;
	if (st->code != 220) {
		/* RFC 5321 §3.1: 554 (or 421) instead of 220 = go away */
		st->session_lost = 1;
		if (st->cls == REPLY_OK)
			st->cls = REPLY_TEMP;
		return -1;
	}
	return 0;
}

static int
do_ehlo(struct smtp_session *s, struct smtp_status *st)
{
	set_state(s, SMTP_EHLO);
	cmd_add(s, "EHLO %s", s->p->helo);
	if (exchange(s, s->p->timeout_ms, st) == -1)
		return -1;
	reply_parse_ehlo(&s->reply, &s->caps);
	return 0;
}

/* RFC 3207: never a word in plaintext past EHLO if STARTTLS fails. */
static int
do_starttls(struct smtp_session *s, struct smtp_status *st)
{
	char err[256];
	int  rc;

	if (!s->caps.starttls || s->t->starttls == NULL) {
		status_refuse(s, st,
		    "server does not offer STARTTLS; refusing "
		    "to continue without TLS");
		st->session_lost = 1;
		return -1;
	}
	set_state(s, SMTP_STARTTLS);
	cmd_add(s, "STARTTLS");
	if (exchange(s, s->p->timeout_ms, st) == -1 || st->code != 220) {
		st->session_lost = 1;
		return -1;
	}
	if ((rc = s->t->starttls(s->t->ctx, err, sizeof(err))) < 0) {
		status_local(s, st, SMTP_CAUSE_TLS, "%s", err);
		/* a certificate we do not trust will not become trusted by
		 * retrying: no queueing for it, as with implicit TLS */
		if (rc == TRANSPORT_PERMANENT)
			st->cls = REPLY_PERM;
		return -1;
	}
	return do_ehlo(s, st);
}

/* RFC 4616: authzid NUL authcid NUL passwd, with an empty authzid. */
static int
auth_plain(struct smtp_session *s, struct smtp_status *st)
{
	struct buf raw = BUF_SECRET, b64 = BUF_SECRET;
	int	   made;

	made = buf_add(&raw, "", 1) == 0 &&
	    buf_adds(&raw, s->p->username) == 0 && buf_add(&raw, "", 1) == 0 &&
	    buf_adds(&raw, s->p->token) == 0 &&
	    base64_encode(&b64, raw.data, raw.len) == 0;
	buf_free(&raw); /* wipes: no copy waits for the reply */
	if (!made) {
		buf_free(&b64);
		status_local(s, st, SMTP_CAUSE_LOCAL, "out of memory");
		return -1;
	}
	set_state(s, SMTP_AUTH);
	cmd_add(s, "AUTH PLAIN %s", b64.data);
	buf_free(&b64); /* wipes */
	return exchange(s, s->p->auth_timeout_ms, st);
}

/* One step of AUTH LOGIN: send base64(secret) in state next. */
static int
auth_login_step(struct smtp_session *s, enum smtp_state next,
    const char *secret, struct smtp_status *st)
{
	struct buf b64 = BUF_SECRET;

	if (base64_encode(&b64, secret, strlen(secret)) == -1) {
		buf_free(&b64);
		status_local(s, st, SMTP_CAUSE_LOCAL, "out of memory");
		return -1;
	}
	set_state(s, next);
	cmd_add(s, "%s", b64.data);
	buf_free(&b64); /* wipes */
	return exchange(s, s->p->auth_timeout_ms, st);
}

static int
auth_login(struct smtp_session *s, struct smtp_status *st)
{
	set_state(s, SMTP_AUTH);
	cmd_add(s, "AUTH LOGIN");
	if (exchange(s, s->p->auth_timeout_ms, st) == -1 || st->code != 334)
		return -1;
	if (auth_login_step(s, SMTP_AUTH_USER, s->p->username, st) == -1 ||
	    st->code != 334)
		return -1;
	return auth_login_step(s, SMTP_AUTH_PASS, s->p->token, st);
}

static int
do_auth(struct smtp_session *s, struct smtp_status *st)
{
	int rc;

	set_state(s, SMTP_AUTH);
	if (s->caps.auth_plain)
		rc = auth_plain(s, st);
	else if (s->caps.auth_login)
		rc = auth_login(s, st);
	else {
		status_refuse(s, st,
		    "server offers neither AUTH PLAIN nor AUTH "
		    "LOGIN");
		st->session_lost = 1;
		return -1;
	}
	/* anything but 235 (a stray 334 included) is a failed AUTH */
	if (rc == 0 && st->code != 235) {
		if (st->cls == REPLY_OK)
			st->cls = REPLY_PERM;
		rc = -1;
	}
	if (rc == -1)
		st->session_lost = 1;
	return rc;
}

int
smtp_open(struct smtp_session *s, struct smtp_status *st)
{
	ceiling_start(s);
	s->fresh = 1;
	if (do_greeting(s, st) == -1 || do_ehlo(s, st) == -1)
		return -1;
	if (s->p->starttls && do_starttls(s, st) == -1)
		return -1;
	if (do_auth(s, st) == -1)
		return -1;
	set_state(s, SMTP_READY);
	return 0;
}

/* Refuse locally what the server said it cannot take (RFC 1870/6152/6531). */
static int
check_envelope(const struct smtp_session *s, const struct smtp_envelope *e,
    struct smtp_status *st)
{
	char text[SMTP_STATUS_TEXT];

	if (e->eightbit && !s->caps.eightbitmime) {
		status_refuse(s, st,
		    "the message has 8-bit characters but the "
		    "server does not offer 8BITMIME");
		return -1;
	}
	if (e->smtputf8 && !s->caps.smtputf8) {
		status_refuse(s, st,
		    "an address is not ASCII but the server "
		    "does not offer SMTPUTF8");
		return -1;
	}
	if (s->caps.size > 0 && e->size > s->caps.size) {
		snprintf(text, sizeof(text),
		    "message of %lld bytes exceeds "
		    "the server's limit of %lld bytes",
		    e->size, s->caps.size);
		status_refuse(s, st, text);
		return -1;
	}
	return 0;
}

/* RFC 3461 §4: xtext, "+" and "=" and what is not printable as +XX. */
static void
add_xtext(struct buf *b, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 33 || *p > 126 || *p == '+' || *p == '=')
			buf_addf(b, "+%02X", *p);
		else
			buf_add(b, p, 1);
	}
}

/* Queue MAIL FROM (sent with the RCPTs and DATA when pipelining). */
static void
queue_mail(struct smtp_session *s, const struct smtp_envelope *e)
{
	struct buf params = { 0 };

	if (s->caps.size_known && e->size > 0)
		buf_addf(&params, " SIZE=%lld", e->size);
	if (e->eightbit)
		buf_adds(&params, " BODY=8BITMIME");
	if (e->smtputf8)
		buf_adds(&params, " SMTPUTF8");
	/* RFC 3461 parameters only where the server announced DSN */
	if (s->caps.dsn && e->dsn_ret != NULL)
		buf_addf(&params, " RET=%s", e->dsn_ret);
	if (s->caps.dsn && e->envid != NULL) {
		buf_adds(&params, " ENVID=");
		add_xtext(&params, e->envid);
	}
	cmd_add(s, "MAIL FROM:<%s>%s", e->from,
	    params.data != NULL ? params.data : "");
	buf_free(&params);
}

static void
queue_rcpt(struct smtp_session *s, const struct smtp_envelope *e, size_t i)
{
	if (s->caps.dsn && e->dsn_notify != NULL)
		cmd_add(s, "RCPT TO:<%s> NOTIFY=%s", e->rcpts[i],
		    e->dsn_notify);
	else
		cmd_add(s, "RCPT TO:<%s>", e->rcpts[i]);
	s->rcpts_sent++;
}

static void
mark_rest(struct smtp_status *rs, size_t from, size_t n,
    const struct smtp_status *st)
{
	for (; from < n; from++)
		rs[from] = *st;
}

/*
 * The recipients the server accepted share the fate of the transaction:
 * the reply to the message, or why it never came.
 */
static void
settle(struct smtp_status *rs, size_t n, const struct smtp_status *st)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rs[i].cls == REPLY_OK)
			rs[i] = *st;
}

/* The replies that leave the transaction without a message. */
static int
abandon(struct smtp_session *s, struct smtp_status *st)
{
	struct smtp_status ignored;

	if (!st->session_lost && smtp_rset(s, &ignored) == -1)
		st->session_lost = ignored.session_lost;
	return -1;
}

/* When no recipient was accepted: a temporary refusal wins, so that the
 * caller retries rather than gives up. */
static void
summarise(const struct smtp_status *rs, size_t n, struct smtp_status *st)
{
	size_t i;

	*st = rs[0];
	for (i = 0; i < n; i++)
		if (rs[i].cls == REPLY_TEMP) {
			*st = rs[i];
			break;
		}
}

/* Replies still due for pipelined commands after MAIL failed. */
static int
drain(struct smtp_session *s, size_t n, struct smtp_status *st)
{
	struct smtp_status ignored;

	for (; n > 0; n--)
		if (read_reply(s, s->p->timeout_ms, &ignored) == -1) {
			*st = ignored;
			return -1;
		}
	return 0;
}

/*
 * MAIL FROM and its reply; with PIPELINING the RCPTs and DATA go in the
 * same write (RFC 2920), their replies read by the next phases.  0 when
 * the sender was accepted.
 */
static int
mail_phase(struct smtp_session *s, const struct smtp_envelope *e,
    struct smtp_status *rs, struct smtp_status *st)
{
	int    pipelined = s->caps.pipelining;
	size_t i;

	set_state(s, SMTP_MAIL);
	queue_mail(s, e);
	for (i = 0; pipelined && i < e->nrcpts; i++)
		queue_rcpt(s, e, i);
	if (pipelined)
		cmd_add(s, "DATA");
	if (cmd_flush(s, st) == 0 && read_reply(s, s->p->timeout_ms, st) == 0 &&
	    st->cls == REPLY_OK)
		return 0;
	mark_rest(rs, 0, e->nrcpts, st);
	if (st->session_lost)
		return -1;
	if (pipelined && drain(s, e->nrcpts + 1, st) == -1) {
		mark_rest(rs, 0, e->nrcpts, st);
		return -1;
	}
	return abandon(s, st);
}

/*
 * Send the RCPTs (already sent when pipelining) and read their replies.
 * Returns how many were accepted, or -1 when the session was lost.
 */
static long
rcpt_phase(struct smtp_session *s, const struct smtp_envelope *e,
    struct smtp_status *rs, struct smtp_status *st)
{
	int    pipelined = s->caps.pipelining, too_many = 0;
	size_t i;
	long   accepted = 0;

	for (i = 0; i < e->nrcpts; i++) {
		if (!pipelined && too_many) {
			/* 452: the rest go in a new session, untried */
			mark_rest(rs, i, e->nrcpts, &rs[i - 1]);
			break;
		}
		set_state(s, SMTP_RCPT);
		if (!pipelined) {
			queue_rcpt(s, e, i);
			if (cmd_flush(s, st) == -1)
				goto lost;
		}
		if (read_reply(s, s->p->timeout_ms, &rs[i]) == -1) {
			*st = rs[i];
			goto lost;
		}
		/* pipelined, each recipient has its own reply: one the
		 * server took after a 452 (4.2.2 is one full mailbox) gets
		 * the message and must not be sent again */
		if (rs[i].code == 452)
			too_many = 1;
		else if (rs[i].cls == REPLY_OK) {
			accepted++;
			s->rcpts_accepted++;
		}
		if (rs[i].session_lost) {
			*st = rs[i];
			goto lost;
		}
	}
	return accepted;
lost:
	mark_rest(rs, i, e->nrcpts, st);
	return -1;
}

/*
 * DATA (already sent when pipelining) and its reply: 0 when the body
 * may follow, after a 354 with recipients accepted.
 */
static int
data_phase(struct smtp_session *s, const struct smtp_envelope *e, long accepted,
    struct smtp_status *rs, struct smtp_status *st)
{
	int lost;

	set_state(s, SMTP_DATA);
	if (!s->caps.pipelining) {
		if (accepted == 0) {
			summarise(rs, e->nrcpts, st);
			return abandon(s, st);
		}
		cmd_add(s, "DATA");
		if (cmd_flush(s, st) == -1)
			goto fail;
	}
	if (read_reply(s, s->p->timeout_ms, st) == -1)
		goto fail;
	if (st->code == 354 && accepted > 0)
		return 0;
	if (accepted > 0) {
		settle(rs, e->nrcpts, st);
		return abandon(s, st);
	}
	if (st->code != 354) {
		summarise(rs, e->nrcpts, st);
		return abandon(s, st);
	}
	/* RFC 2920 §3.1: 354 with no recipient: end with a lone dot */
	cmd_add(s, ".");
	lost = cmd_flush(s, st) == -1 ||
	    read_reply(s, s->p->timeout_ms, st) == -1 || st->session_lost;
	summarise(rs, e->nrcpts, st);
	st->session_lost |= lost;
	return -1;
fail:
	settle(rs, e->nrcpts, st);
	return -1;
}

/* The message, the final dot, and the reply to it (data_timeout). */
static int
body_phase(struct smtp_session *s, const struct smtp_envelope *e,
    const struct smtp_body *body, struct smtp_status *rs,
    struct smtp_status *st)
{
	int rc = -1;

	set_state(s, SMTP_BODY);
	if (smtp_write_body(s, body, st) == 0) {
		/* the final dot goes out in the same write as the body's
		 * end */
		if (buf_add(&s->out, ".\r\n", 3) == -1)
			s->nomem = 1;
		log_transcript("C", ".", 1);
		if (cmd_flush(s, st) == 0)
			rc = read_reply(s, s->p->data_timeout_ms, st);
	}
	settle(rs, e->nrcpts, st);
	if (rc == -1)
		return -1;
	if (st->cls != REPLY_OK)
		return abandon(s, st);
	strlcpy(s->queued_id, st->text, sizeof(s->queued_id));
	s->transactions++;
	set_state(s, SMTP_READY);
	return 0;
}

int
smtp_send(struct smtp_session *s, const struct smtp_envelope *e,
    const struct smtp_body *body, struct smtp_status *rs,
    struct smtp_status *st)
{
	long accepted;

	/* the first message shares the ceiling of smtp_open(), each
	 * further one on this connection has one of its own */
	if (!s->fresh)
		ceiling_start(s);
	s->fresh = 0;
	if (check_envelope(s, e, st) == -1) {
		mark_rest(rs, 0, e->nrcpts, st);
		return -1;
	}
	if (mail_phase(s, e, rs, st) == -1 ||
	    (accepted = rcpt_phase(s, e, rs, st)) == -1 ||
	    data_phase(s, e, accepted, rs, st) == -1)
		return -1;
	return body_phase(s, e, body, rs, st);
}

/* Append body bytes to s->out, LF → CRLF, doubling a leading dot. */
static int
stuff(struct smtp_session *s, const char *p, size_t len, int *bol)
{
	const char *end = p + len, *nl;
	size_t	    run;

	while (p < end) {
		if (*bol && *p == '.' && buf_add(&s->out, ".", 1) == -1)
			return -1;
		nl = memchr(p, '\n', (size_t)(end - p));
		run = (size_t)((nl != NULL ? nl : end) - p);
		if (buf_add(&s->out, p, run) == -1)
			return -1;
		p += run;
		*bol = 0;
		if (nl != NULL) {
			if (buf_add(&s->out, "\r\n", 2) == -1)
				return -1;
			p++;
			*bol = 1;
		}
	}
	return 0;
}

int
smtp_write_body(struct smtp_session *s, const struct smtp_body *body,
    struct smtp_status *st)
{
	char	chunk[16384];
	ssize_t n;
	int	bol = 1;
	size_t	total = 0;

	while ((n = body->read(body->ctx, chunk, sizeof(chunk))) > 0) {
		total += (size_t)n;
		if (stuff(s, chunk, (size_t)n, &bol) == -1)
			s->nomem = 1;
		/* a reply arriving now is caught before the final dot */
		if (s->out.len >= BODY_CHUNK && out_write(s, st) == -1)
			return -1;
	}
	if (n == -1) {
		status_local(s, st, SMTP_CAUSE_LOCAL,
		    "cannot read the message "
		    "from the queue");
		return -1;
	}
	/* a message must end with CRLF before the dot (RFC 5321 §4.1.1.4) */
	if (!bol && buf_add(&s->out, "\r\n", 2) == -1)
		s->nomem = 1;
	if (log_verbose())
		log_trace("(%zu bytes of message)", total);
	return 0;
}

int
smtp_rset(struct smtp_session *s, struct smtp_status *st)
{
	set_state(s, SMTP_RSET);
	cmd_add(s, "RSET");
	if (exchange(s, s->p->timeout_ms, st) == -1)
		return -1;
	set_state(s, SMTP_READY);
	return 0;
}

void
smtp_quit(struct smtp_session *s)
{
	struct smtp_status ignored;

	if (s->state == SMTP_CLOSED)
		return;
	set_state(s, SMTP_QUIT);
	cmd_add(s, "QUIT");
	/* no unsolicited check: the reply is not read anyway */
	out_write(s, &ignored);
	set_state(s, SMTP_CLOSED);
}
