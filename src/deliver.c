/*
 * deliver.c - batching, retries and per-recipient results; see deliver.h.
 */

#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "failure.h"
#include "log.h"

/* The relay's AUTH command timeout (reference: 30 seconds). */
#define AUTH_TIMEOUT_MS 30000

enum batch_result {
	BATCH_DONE,	    /* go on in this session */
	BATCH_SESSION_FULL, /* a new session for the rest, no retry */
	BATCH_TEMP,	    /* a temporary failure: back off, retry */
};

/* The trust anchors and TLS session cache, made once for the run. */
static int
load_trust(struct deliver *d, enum tls_failure *fail, char *err, size_t errlen)
{
	*fail = TLS_FAIL_CONFIG;
	if (d->tls == NULL)
		d->tls = tls_client_new(&d->tls_params, err, errlen);
	return d->tls == NULL ? -1 : 0;
}

/* The real connector: TCP and TLS, over the trust loaded once. */
static int
net_open(void *ctx, void **conn, enum tls_failure *why, char *err,
    size_t errlen)
{
	struct deliver	*d = ctx;
	struct tls_conn *c = NULL;

	if (load_trust(d, why, err, errlen) == -1 ||
	    tls_connect_unverified(d->tls, &c, why, err, errlen) == -1)
		return -1;
	*conn = c;
	return 0;
}

static int
net_check(void *ctx, void *conn, struct transport *t, enum tls_failure *why,
    char *err, size_t errlen)
{
	(void)ctx;
	return tls_verify(conn, t, why, err, errlen);
}

static void
net_close(void *ctx, void *conn)
{
	(void)ctx;
	tls_close(conn);
}

void
deliver_helo(char *out, size_t outlen)
{
	if (gethostname(out, outlen) == -1 || out[0] == '\0')
		strlcpy(out, "localhost", outlen);
	out[outlen - 1] = '\0';
}

void
deliver_init(struct deliver *d, const struct config *cfg, const char *helo)
{
	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->params.helo = helo;
	d->params.username = cfg->username;
	d->params.token = cfg->token;
	d->params.timeout_ms = cfg->timeout * 1000;
	d->params.auth_timeout_ms = cfg->timeout * 1000 < AUTH_TIMEOUT_MS ?
	    cfg->timeout * 1000 :
	    AUTH_TIMEOUT_MS;
	d->params.data_timeout_ms = cfg->data_timeout * 1000;
	d->params.starttls = cfg->tls == CONFIG_TLS_STARTTLS;
	d->tls_params.host = cfg->host;
	d->tls_params.port = cfg->port;
	d->tls_params.ca_file = cfg->ca_file;
	d->tls_params.fingerprint = cfg->tls_fingerprint;
	d->tls_params.timeout_ms = cfg->timeout * 1000;
	d->tls_params.implicit = cfg->tls == CONFIG_TLS_IMPLICIT;
	d->batch_max = (size_t)cfg->max_recipients;
	d->connector.ctx = d;
	d->connector.open = net_open;
	d->connector.check = net_check;
	d->connector.close = net_close;
}

static void
session_close(struct deliver *d, int quit)
{
	if (d->conn != NULL && quit)
		smtp_quit(&d->smtp); /* does nothing on a lost session */
	if (d->conn != NULL) {
		smtp_session_free(&d->smtp);
		d->connector.close(d->connector.ctx, d->conn);
	}
	d->conn = NULL;
	d->ready = 0;
}

void
deliver_close(struct deliver *d)
{
	session_close(d, 1);
	d->connector.close(d->connector.ctx, d->early.conn);
	d->early.conn = NULL;
	tls_client_free(d->tls);
	d->tls = NULL;
}

size_t
deliver_pending(const struct deliver_job *job)
{
	size_t i, n = 0;

	for (i = 0; i < job->env.nrcpts; i++)
		n += job->status[i].cls == REPLY_TEMP;
	return n;
}

/* Every recipient still pending shares the fate of the whole message. */
static void
fail_pending(struct deliver_job *job, enum deliver_why why,
    const struct smtp_status *st)
{
	size_t i;

	job->why = why;
	job->failure = *st;
	for (i = 0; i < job->env.nrcpts; i++)
		if (job->status[i].cls == REPLY_TEMP)
			job->status[i] = *st;
}

static void
local_failure(struct smtp_status *st, enum reply_class cls, const char *err)
{
	memset(st, 0, sizeof(*st));
	st->cls = cls;
	st->session_lost = 1;
	strlcpy(st->text, err, sizeof(st->text));
}

void
deliver_reset(struct deliver_job *job)
{
	size_t i;

	job->why = DELIVER_OK;
	memset(&job->failure, 0, sizeof(job->failure));
	for (i = 0; i < job->env.nrcpts; i++)
		local_failure(&job->status[i], REPLY_TEMP, "not tried yet");
}

/* Which whole-message failure a refused session step was. */
static enum deliver_why
open_failure(const struct smtp_status *st)
{
	switch (st->state) {
	case SMTP_AUTH:
	case SMTP_AUTH_USER:
	case SMTP_AUTH_PASS: return DELIVER_AUTH;
	case SMTP_STARTTLS: return DELIVER_TLS;
	default: return DELIVER_RELAY;
	}
}

static const enum deliver_why tls_whys[] = {
	[TLS_FAIL_TEMP] = DELIVER_TEMP,
	[TLS_FAIL_NOHOST] = DELIVER_NOHOST,
	[TLS_FAIL_TRUST] = DELIVER_TLS,
	[TLS_FAIL_CONFIG] = DELIVER_CONFIG,
	[TLS_FAIL_HANDSHAKE] = DELIVER_TEMP,
};

void
deliver_start(struct deliver *d)
{
	struct deliver_early *e = &d->early;

	e->failed = d->connector.open(d->connector.ctx, &e->conn, &e->why,
			e->err, sizeof(e->err)) == -1;
}

/* A new session's connection: the one made ahead, or a new one. */
static int
connect_relay(struct deliver *d, enum tls_failure *fail, char *err,
    size_t errlen)
{
	struct deliver_connector *k = &d->connector;
	struct deliver_early	 *e = &d->early;
	void			 *c = e->conn;

	e->conn = NULL;
	if (e->failed) {
		e->failed = 0;
		*fail = e->why;
		strlcpy(err, e->err, errlen);
		return -1;
	}
	if ((c == NULL && k->open(k->ctx, &c, fail, err, errlen) == -1) ||
	    k->check(k->ctx, c, &d->t, fail, err, errlen) == -1)
		return -1;
	d->conn = c;
	return 0;
}

int
deliver_open(struct deliver *d, struct deliver_job *job)
{
	struct smtp_status st;
	enum tls_failure   fail;
	char		   err[SMTP_STATUS_TEXT];

	if (connect_relay(d, &fail, err, sizeof(err)) == -1)
		goto tls_fail;
	smtp_session_init(&d->smtp, &d->t, &d->params);
	if (smtp_open(&d->smtp, &st) == -1) {
		job->failure = st;
		job->why = st.cls == REPLY_TEMP ? DELIVER_TEMP :
						  open_failure(&st);
		d->open_failed = 1;
		session_close(d, !st.session_lost);
		return -1;
	}
	d->ready = 1;
	d->open_failed = 0;
	d->sessions++;
	return 0;
tls_fail:
	d->open_failed = 1;
	local_failure(&job->failure,
	    tls_whys[fail] == DELIVER_TEMP ? REPLY_TEMP : REPLY_PERM, err);
	job->failure.cause = fail == TLS_FAIL_HANDSHAKE ? SMTP_CAUSE_TLS :
	    fail == TLS_FAIL_TEMP ? SMTP_CAUSE_CONNECTION :
				    SMTP_CAUSE_LOCAL;
	job->why = tls_whys[fail];
	return -1;
}

/* The next recipients for this session: pending, within both limits. */
static size_t
pick_batch(const struct deliver *d, const struct deliver_job *job, size_t *idx)
{
	size_t cap, room, i, n = 0;

	/* both limits count per session, across transactions */
	cap = (size_t)d->cfg->max_recipients;
	if (cap > d->batch_max)
		cap = d->batch_max;
	room = cap > d->smtp.rcpts_sent ? cap - d->smtp.rcpts_sent : 0;
	for (i = 0; i < job->env.nrcpts && n < room; i++)
		if (job->status[i].cls == REPLY_TEMP)
			idx[n++] = i;
	return n;
}

static void
log_transaction(const struct deliver *d, const struct deliver_job *job,
    size_t sent, const struct smtp_status *st, int rc)
{
	if (rc == 0)
		log_info("%s: sent to %zu recipient%s via %s port %d "
			 "(session %u): %s%s%s",
		    job->id, sent, sent == 1 ? "" : "s", d->cfg->host,
		    d->cfg->port, d->sessions, st->text,
		    job->msgid != NULL ? "; Message-ID " : "",
		    job->msgid != NULL ? job->msgid : "");
	else
		log_info("%s: not sent via %s port %d: %s", job->id,
		    d->cfg->host, d->cfg->port, st->text);
}

/*
 * Copy the batch's outcomes into the job.  Returns the number of 452s
 * (too many recipients), and in *temp whether any other temporary
 * refusal happened.
 */
static size_t
record_batch(struct deliver_job *job, const size_t *idx, size_t n,
    const struct smtp_status *rs, int *temp)
{
	size_t i, too_many = 0;

	*temp = 0;
	for (i = 0; i < n; i++) {
		job->status[idx[i]] = rs[i];
		if (rs[i].cls != REPLY_TEMP)
			continue;
		if (rs[i].code == 452)
			too_many++;
		else
			*temp = 1;
	}
	return too_many;
}

/*
 * smtp_send() returned -1: the message reached nobody (smtp.h).  A
 * recipient whose RCPT was taken before the session was lost has no
 * message either: it shares the transaction's failure, else it would
 * count as sent and never be tried again.
 */
static void
settle_unsent(struct smtp_status *rs, size_t n, const struct smtp_status *st)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rs[i].cls == REPLY_OK)
			rs[i] = *st;
}

/* After a 452: that many was what the server takes in one session. */
static void
adapt_batch(struct deliver *d, size_t took)
{
	if (took > 0 && took < d->batch_max)
		d->batch_max = took;
}

/*
 * What a permanent refusal of MAIL FROM, DATA or the message was about.
 * 530 to MAIL FROM (RFC 4954 §6: authentication required) says the
 * session is not authenticated: our setup's failure, like a refused AUTH,
 * and every next message on this relay would get the same.
 */
static enum deliver_why
refusal_why(struct deliver *d, const struct smtp_status *st)
{
	if (st->state != SMTP_MAIL)
		return DELIVER_MESSAGE;
	if (st->code != 530)
		return DELIVER_RELAY;
	d->open_failed = 1;
	return DELIVER_AUTH;
}

/* Decide what a finished transaction means for the job. */
static enum batch_result
batch_outcome(struct deliver *d, struct deliver_job *job, int rc,
    const struct smtp_status *st, size_t too_many, int temp)
{
	/* not rcpts_sent - too_many: without PIPELINING the RCPTs after
	 * the first 452 are never sent, yet they count in too_many */
	size_t took = d->smtp.rcpts_accepted;
	size_t i;

	if (rc == -1 && st->state != SMTP_RCPT) {
		/* MAIL FROM, DATA or the message itself was refused */
		if (st->cls == REPLY_PERM)
			fail_pending(job, refusal_why(d, st), st);
		else
			job->failure = *st;
		return st->cls == REPLY_PERM ? BATCH_DONE : BATCH_TEMP;
	}
	if (too_many > 0) {
		session_close(d, 1);
		/* a server that takes no recipient at all is failing */
		if (took == 0) {
			job->failure = *st;
			return BATCH_TEMP;
		}
		adapt_batch(d, took);
		return BATCH_SESSION_FULL;
	}
	if (temp) {
		for (i = 0; i < job->env.nrcpts; i++)
			if (job->status[i].cls == REPLY_TEMP)
				job->failure = job->status[i];
		return BATCH_TEMP;
	}
	return BATCH_DONE;
}

static enum batch_result
send_batch(struct deliver *d, struct deliver_job *job)
{
	struct smtp_envelope env;
	struct smtp_status  *rs = NULL, st;
	const char	   **addrs = NULL;
	size_t		    *idx = NULL, n, i, too_many;
	enum batch_result    r = BATCH_TEMP;
	int		     rc, temp;

	idx = reallocarray(NULL, job->env.nrcpts, sizeof(*idx));
	addrs = reallocarray(NULL, job->env.nrcpts, sizeof(*addrs));
	rs = reallocarray(NULL, job->env.nrcpts, sizeof(*rs));
	if (idx == NULL || addrs == NULL || rs == NULL) {
		local_failure(&job->failure, REPLY_TEMP, "out of memory");
		goto done;
	}
	if ((n = pick_batch(d, job, idx)) == 0) {
		r = BATCH_SESSION_FULL;
		goto done;
	}
	for (i = 0; i < n; i++)
		addrs[i] = job->env.rcpts[idx[i]];
	env = job->env;
	env.rcpts = addrs;
	env.nrcpts = n;
	if (job->rewind(job->body.ctx) == -1) {
		local_failure(&job->failure, REPLY_TEMP,
		    "cannot read the message from the queue");
		goto done;
	}
	if ((rc = smtp_send(&d->smtp, &env, &job->body, rs, &st)) == -1)
		settle_unsent(rs, n, &st);
	too_many = record_batch(job, idx, n, rs, &temp);
	log_transaction(d, job, n - too_many, &st, rc);
	r = batch_outcome(d, job, rc, &st, too_many, temp);
	if (st.session_lost)
		session_close(d, 0);
done:
	free(idx);
	free(addrs);
	free(rs);
	return r;
}

/* retry_delay, doubled for each failure, within ±25% so that many
 * queued senders do not come back at the same instant. */
double
deliver_retry_wait(int retry_delay, int failures, unsigned int random)
{
	int    shift = failures > 11 ? 10 : failures - 1;
	double delay;

	if (shift < 0)
		shift = 0;
	delay = (double)retry_delay * (double)(1 << shift);
	return delay * (0.75 + 0.5 * ((double)(random % 1000) / 1000.0));
}

static void
backoff(const struct deliver *d, int failures)
{
	struct timespec ts;
	unsigned int	r = 0;
	double		delay;

	if (d->cfg->retry_delay == 0)
		return;
	getrandom(&r, sizeof(r), 0);
	delay = deliver_retry_wait(d->cfg->retry_delay, failures, r);
	ts.tv_sec = (time_t)delay;
	ts.tv_nsec = (long)((delay - (double)ts.tv_sec) * 1e9);
	log_trace("retrying in %.1f s", delay);
	while (nanosleep(&ts, &ts) == -1)
		;
}

void
deliver_batches(struct deliver *d, struct deliver_job *job)
{
	enum batch_result r;
	int		  failures = 0;

	while (deliver_pending(job) > 0) {
		if (!d->ready && deliver_open(d, job) == -1) {
			if (job->failure.cls == REPLY_PERM) {
				fail_pending(job, job->why, &job->failure);
				break;
			}
		} else if ((r = send_batch(d, job)) == BATCH_DONE)
			continue;
		else if (r == BATCH_SESSION_FULL) {
			session_close(d, 1);
			continue;
		}
		if (++failures >= job->attempts)
			break;
		backoff(d, failures);
	}
	if (deliver_pending(job) > 0)
		job->why = DELIVER_TEMP;
	else if (job->why == DELIVER_TEMP)
		job->why = DELIVER_OK; /* a later try made up for it */
	if (job->why != DELIVER_OK)
		d->last_failure = job->failure;
}

enum failure
deliver_failure(const struct deliver_job *job)
{
	static const enum failure codes[] = {
		[DELIVER_OK] = FAIL_NONE,
		[DELIVER_TEMP] = FAIL_TEMPORARY,
		[DELIVER_CONFIG] = FAIL_CONFIG,
		[DELIVER_NOHOST] = FAIL_RELAY_NAME,
		[DELIVER_TLS] = FAIL_RELAY_REFUSED,
		[DELIVER_AUTH] = FAIL_AUTH,
		[DELIVER_RELAY] = FAIL_RELAY_REFUSED,
		[DELIVER_MESSAGE] = FAIL_DATA,
	};
	size_t i;

	if (job->why != DELIVER_OK)
		return codes[job->why];
	for (i = 0; i < job->env.nrcpts; i++)
		if (job->status[i].cls == REPLY_PERM)
			return FAIL_RECIPIENT;
	return FAIL_NONE;
}

int
deliver_setup_failure(const struct deliver_job *job)
{
	switch (job->why) {
	case DELIVER_CONFIG:
	case DELIVER_NOHOST:
	case DELIVER_TLS:
	case DELIVER_AUTH: return 1;
	case DELIVER_RELAY:
		/* the greeting or EHLO refused: no session, unlike MAIL FROM */
		return job->failure.state < SMTP_MAIL;
	default: return 0;
	}
}

const char *
deliver_hint(const struct smtp_status *st)
{
	if (st->code == 535)
		return "check that [relay] username is api_token and that the "
		       "token is valid and has the Email Sending: Edit "
		       "permission";
	if (st->code == 530)
		return "the relay wants AUTH first: check [relay] settings";
	if (st->code == 550 && strcmp(st->enhanced, "5.7.1") == 0)
		return "the sender's domain is not onboarded for Email Sending "
		       "on the token's account: onboard it in the dashboard or "
		       "change [sender] from";
	if (st->code == 552)
		return "the message is larger than the relay's 5 MiB limit: "
		       "make attachments smaller";
	if (st->state == SMTP_STARTTLS || st->cause == SMTP_CAUSE_TLS)
		return "the relay needs implicit TLS on port 465 ([relay] tls "
		       "= "
		       "implicit, port = 465)";
	return NULL;
}

const char *
deliver_job_hint(const struct deliver_job *job, const struct smtp_status *st)
{
	/* the onboarding hint would send the administrator the wrong way:
	 * <> has no domain to onboard */
	if (job->env.from != NULL && job->env.from[0] == '\0' &&
	    st->state == SMTP_MAIL && (st->code == 550 || st->code == 553))
		return "the relay does not accept the null sender <>: "
		       "Cloudflare's relay takes only senders on a domain "
		       "onboarded for Email Sending; give the message a sender "
		       "with -f (see cfsendmail(8), the null sender)";
	/* no reply to tell what is wrong: the relay's name, the connection */
	if (job->why == DELIVER_NOHOST && st->code == 0)
		return "check [relay] host (and the resolver, "
		       "/etc/resolv.conf)";
	/* no connection, or it ended before the greeting: refused,
	 * unreachable, or something else listens there */
	if (st->cause == SMTP_CAUSE_CONNECTION && st->state == SMTP_GREETING)
		return "check [relay] host and port, and that this host may "
		       "reach the relay (firewall, proxy)";
	return deliver_hint(st);
}
