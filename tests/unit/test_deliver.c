/*
 * test_deliver.c - unit tests for the delivery engine (deliver.c):
 * batching into sessions, the 452 split, retries, per-recipient results
 * and the exit-code mapping.
 *
 * Each case reads like curl's test9xx files: the server's lines in (one
 * script across every connection the engine makes), the transcript, the
 * per-recipient results and the exit code out.  A script line "!REFUSED"
 * or "!NOHOST" makes the next connect fail, "!UNTRUSTED" the next
 * certificate check; "!ERR" drops the connection (fake_transport.h).
 * The transcript is brief, one line per connection: the greeting's code,
 * then each command with the code of its last reply line, e.g.
 *
 *   "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | DATA 354 |
 *    Hi. 250 | QUIT\n"
 *
 * where "Hi." is the body and its final dot.  [delivery] retry_delay is
 * 0, so retries do not sleep; deliver_retry_wait() is tested on its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "deliver.h"
#include "fake_transport.h"
#include "secret.h"
#include "tap.h"

#define MAXRCPTS 128

/* A session up to AUTH, and the replies of a transaction. */
#define OPEN "220 mx", "250-mx", "250 AUTH PLAIN", "235 ok"
#define OK   "250 ok"
#define GO   "354 go"
#define OK5  OK, OK, OK, OK, OK
#define OK10 OK5, OK5
#define OK50 OK10, OK10, OK10, OK10, OK10

/* The server: the fake transport, seen through a brief transcript. */
struct server {
	struct fake f;
	struct buf  brief;
	int	    bol; /* brief is at the start of a line */
};

/* The brief transcript, after sep unless a line begins there. */
static struct buf *
brief(struct server *sv, const char *sep)
{
	if (!sv->bol)
		buf_adds(&sv->brief, sep);
	sv->bol = 0;
	return &sv->brief;
}

static void
brief_end(struct server *sv)
{
	if (!sv->bol)
		buf_adds(&sv->brief, "\n");
	sv->bol = 1;
}

static int
sv_read_line(void *ctx, struct buf *line, int timeout_ms, char *err,
    size_t errlen)
{
	struct server *sv = ctx;

	if (tr.read_line(&sv->f, line, timeout_ms, err, errlen) == -1) {
		buf_addf(brief(sv, " "), "(%s)", err);
		return -1;
	}
	/* a multi-line reply shows as its last line's code */
	if (line->len < 4 || line->data[3] != '-')
		buf_addf(brief(sv, " "), "%.3s", line->data);
	return 0;
}

/* A command as its verb ("RCPT" with the local part); the body as sent. */
static int
sv_write(void *ctx, const void *p, size_t len, int timeout_ms, char *err,
    size_t errlen)
{
	struct server		*sv = ctx;
	static const char *const verbs[] = { "EHLO", "AUTH", "MAIL", "DATA",
		"RSET", "QUIT", NULL };
	const char		*s = p, *at;
	char			 body[64];
	size_t			 i, n = 0;

	for (i = 0; verbs[i] != NULL; i++)
		if (len >= 4 && strncmp(s, verbs[i], 4) == 0)
			break;
	if (len > 9 && strncmp(s, "RCPT TO:<", 9) == 0 &&
	    (at = memchr(s, '@', len)) != NULL)
		buf_addf(brief(sv, " | "), "RCPT %.*s", (int)(at - s - 9),
		    s + 9);
	else if (verbs[i] != NULL)
		buf_addf(brief(sv, " | "), "%.4s", s);
	else {
		for (i = 0; i < len && n < sizeof(body) - 1; i++)
			if (s[i] != '\r' && s[i] != '\n')
				body[n++] = s[i];
		buf_addf(brief(sv, " | "), "%.*s", (int)n, body);
	}
	return tr.write(&sv->f, p, len, timeout_ms, err, errlen);
}

static int
sv_pending(void *ctx)
{
	(void)ctx;
	return 0;
}

/* The connector: "!REFUSED" and "!NOHOST" in the script fail here. */
static int
sv_open(void *ctx, void **conn, enum tls_failure *why, char *err, size_t errlen)
{
	struct server *sv = ctx;
	const char    *l = sv->f.script[sv->f.next];

	brief_end(sv);
	if (l != NULL &&
	    (strcmp(l, "!REFUSED") == 0 || strcmp(l, "!NOHOST") == 0)) {
		sv->f.next++;
		*why = l[1] == 'R' ? TLS_FAIL_TEMP : TLS_FAIL_NOHOST;
		snprintf(err, errlen, "%s",
		    l[1] == 'R' ? "connection refused" :
				  "mx: name does not resolve");
		buf_addf(brief(sv, ""), "(%s)", err);
		brief_end(sv);
		return -1;
	}
	*conn = sv;
	return 0;
}

static int
sv_check(void *ctx, void *conn, struct transport *t, enum tls_failure *why,
    char *err, size_t errlen)
{
	struct server *sv = ctx;
	const char    *l = sv->f.script[sv->f.next];

	(void)conn;
	if (l != NULL && strcmp(l, "!UNTRUSTED") == 0) {
		sv->f.next++;
		*why = TLS_FAIL_TRUST;
		snprintf(err, errlen, "certificate not trusted");
		buf_addf(brief(sv, ""), "(%s)", err);
		brief_end(sv);
		return -1;
	}
	t->ctx = sv;
	t->read_line = sv_read_line;
	t->write = sv_write;
	t->pending = sv_pending;
	t->starttls = NULL;
	return 0;
}

static void
sv_close(void *ctx, void *conn)
{
	if (conn != NULL)
		brief_end(ctx);
}

static int
body_rewind(void *ctx)
{
	((struct membody *)ctx)->off = 0;
	return 0;
}

/* The recipients' classes in order, runs counted: "OK*2 PERM TEMP". */
static void
results(const struct deliver_job *job, struct buf *out)
{
	size_t i, run;

	for (i = 0; i < job->env.nrcpts; i += run) {
		for (run = 1; i + run < job->env.nrcpts &&
		     job->status[i + run].cls == job->status[i].cls;
		     run++)
			;
		buf_addf(out, "%s%s", i > 0 ? " " : "",
		    fake_cls_name(job->status[i].cls));
		if (run > 1)
			buf_addf(out, "*%zu", run);
	}
}

/* RCPTs per connection, from the brief transcript: "50 50 20". */
static void
per_session(const char *brief, struct buf *out)
{
	const char  *p = brief, *eol;
	unsigned int n;

	for (; p != NULL && *p != '\0'; p = eol + 1) {
		if ((eol = strchr(p, '\n')) == NULL)
			break;
		if (*p == '(')
			continue; /* no connection */
		for (n = 0; (p = strstr(p, "RCPT ")) != NULL && p < eol; p++)
			n++;
		buf_addf(out, "%s%u", out->len > 0 ? " " : "", n);
	}
}

static struct config cfg;

/* One message of nrcpts recipients r1@x... through the engine. */
struct dcase {
	const char	  *name;
	int		   max_rcpts; /* [delivery] max_recipients */
	int		   attempts;
	size_t		   nrcpts;
	const char *const *script;
	const char	  *brief;    /* NULL: not compared */
	const char	  *sessions; /* RCPTs per connection */
	const char	  *results;
	enum deliver_why   why;
	int		   exit;
	const char	  *failure; /* job.failure.text, or NULL */
};

#define S(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct dcase deliveries[] = {
	{ "one session for 3 recipients", 50, 3, 3,
	    S(OPEN, OK, OK, OK, OK, GO, "250 queued"),
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | RCPT r2 250 "
	    "| "
	    "RCPT r3 250 | DATA 354 | Hi. 250 | QUIT\n",
	    "3", "OK*3", DELIVER_OK, EX_OK, NULL },
	{ "sessions of at most max_recipients", 2, 3, 5,
	    S(OPEN, OK, OK, OK, GO, OK, OPEN, OK, OK, OK, GO, OK, OPEN, OK, OK,
		GO, OK),
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | RCPT r2 250 "
	    "| "
	    "DATA 354 | Hi. 250 | QUIT\n"
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r3 250 | RCPT r4 250 "
	    "| "
	    "DATA 354 | Hi. 250 | QUIT\n"
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r5 250 | DATA 354 | "
	    "Hi. 250 | QUIT\n",
	    "2 2 1", "OK*5", DELIVER_OK, EX_OK, NULL },
	{ "the relay's 50: 120 recipients as 50, 50 and 20", 50, 3, 120,
	    S(OPEN, OK, OK50, GO, OK, OPEN, OK, OK50, GO, OK, OPEN, OK, OK10,
		OK10, GO, OK),
	    NULL, "50 50 20", "OK*120", DELIVER_OK, EX_OK, NULL },
	{ "a retry goes in the same session while it has room", 4, 3, 3,
	    S(OPEN, OK, OK, "450 4.2.1 busy", OK, GO, OK, OK, OK, GO, OK),
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | RCPT r2 450 "
	    "| "
	    "RCPT r3 250 | DATA 354 | Hi. 250 | MAIL 250 | RCPT r2 250 | "
	    "DATA 354 | Hi. 250 | QUIT\n",
	    "4", "OK*3", DELIVER_OK, EX_OK, NULL },
	{ "RCPTs count per session across transactions: a full session "
	  "makes the retry open another",
	    3, 3, 3,
	    S(OPEN, OK, OK, "450 4.2.1 busy", OK, GO, OK, OPEN, OK, OK, GO, OK),
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | RCPT r2 450 "
	    "| "
	    "RCPT r3 250 | DATA 354 | Hi. 250 | QUIT\n"
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r2 250 | DATA 354 | "
	    "Hi. 250 | QUIT\n",
	    "3 1", "OK*3", DELIVER_OK, EX_OK, NULL },
	{ "452: the message goes to those taken, the rest in new sessions of "
	  "that many",
	    50, 3, 5,
	    S(OPEN, OK, OK, OK, "452 4.5.3 Too many recipients", GO, OK, OPEN,
		OK, OK, OK, GO, OK, OPEN, OK, OK, GO, OK),
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | RCPT r2 250 "
	    "| "
	    "RCPT r3 452 | DATA 354 | Hi. 250 | QUIT\n"
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r3 250 | RCPT r4 250 "
	    "| "
	    "DATA 354 | Hi. 250 | QUIT\n"
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r5 250 | DATA 354 | "
	    "Hi. 250 | QUIT\n",
	    "3 2 1", "OK*5", DELIVER_OK, EX_OK, NULL },
	{ "452 to the first RCPT: a server that takes none is failing", 50, 2,
	    2,
	    S(OPEN, OK, "452 4.5.3 Too many recipients", OK, OPEN, OK,
		"452 4.5.3 Too many recipients", OK),
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 452 | RSET 250 | "
	    "QUIT\n"
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 452 | RSET 250 | "
	    "QUIT\n",
	    "1 1", "TEMP*2", DELIVER_TEMP, EX_TEMPFAIL,
	    "452 4.5.3 Too many recipients" },
	{ "per-recipient results: 250, 550, 450 with one attempt", 50, 1, 3,
	    S(OPEN, OK, OK, "550 5.1.1 no such user", "450 4.2.1 try later", GO,
		OK),
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | RCPT r2 550 "
	    "| "
	    "RCPT r3 450 | DATA 354 | Hi. 250 | QUIT\n",
	    "3", "OK PERM TEMP", DELIVER_TEMP, EX_TEMPFAIL,
	    "450 4.2.1 try later" },
	{ "per-recipient results: the 450 retried, the 550 not", 50, 2, 3,
	    S(OPEN, OK, OK, "550 5.1.1 no such user", "450 4.2.1 try later", GO,
		OK, OK, OK, GO, OK),
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | RCPT r2 550 "
	    "| "
	    "RCPT r3 450 | DATA 354 | Hi. 250 | MAIL 250 | RCPT r3 250 | "
	    "DATA 354 | Hi. 250 | QUIT\n",
	    "4", "OK PERM OK", DELIVER_OK, EX_NOUSER, NULL },
	{ "421 to MAIL closes the session; the retry opens another", 50, 3, 2,
	    S(OPEN, "421 4.3.2 closing", OPEN, OK, OK, OK, GO, OK),
	    "220 | EHLO 250 | AUTH 235 | MAIL 421\n"
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | RCPT r2 250 "
	    "| "
	    "DATA 354 | Hi. 250 | QUIT\n",
	    "0 2", "OK*2", DELIVER_OK, EX_OK, NULL },
	{ "421 every time: pending after the attempts", 50, 2, 1,
	    S(OPEN, "421 4.3.2 closing", "421 4.3.2 busy"),
	    "220 | EHLO 250 | AUTH 235 | MAIL 421\n"
	    "421\n",
	    "0 0", "TEMP", DELIVER_TEMP, EX_TEMPFAIL, "421 4.3.2 busy" },
	{ "connection dropped after the final dot: sent again", 50, 2, 1,
	    S(OPEN, OK, OK, GO, "!ERR", OPEN, OK, OK, GO, OK),
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | DATA 354 | "
	    "Hi. (connection reset by peer)\n"
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | DATA 354 | "
	    "Hi. 250 | QUIT\n",
	    "1 1", "OK", DELIVER_OK, EX_OK, NULL },
	{ "connection dropped at RCPT: nobody has the message yet", 50, 2, 2,
	    S(OPEN, OK, OK, "!ERR", OPEN, OK, OK, OK, GO, OK),
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | RCPT r2 "
	    "(connection reset by peer)\n"
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | RCPT r2 250 "
	    "| "
	    "DATA 354 | Hi. 250 | QUIT\n",
	    "2 2", "OK*2", DELIVER_OK, EX_OK, NULL },
	{ "MAIL FROM refused: every recipient, no retry", 50, 3, 2,
	    S(OPEN, "550 5.7.1 sender not allowed", OK),
	    "220 | EHLO 250 | AUTH 235 | MAIL 550 | RSET 250 | QUIT\n", "0",
	    "PERM*2", DELIVER_RELAY, EX_UNAVAILABLE,
	    "550 5.7.1 sender not allowed" },
	{ "451 to MAIL FROM every time: pending, the last reply kept", 50, 2, 1,
	    S(OPEN, "451 4.3.0 later", OK, "451 4.3.0 later again", OK),
	    "220 | EHLO 250 | AUTH 235 | MAIL 451 | RSET 250 | MAIL 451 | "
	    "RSET 250 | QUIT\n",
	    "0", "TEMP", DELIVER_TEMP, EX_TEMPFAIL, "451 4.3.0 later again" },
	{ "DATA refused: the message, no retry", 50, 3, 2,
	    S(OPEN, OK, OK, OK, "554 5.6.0 no", OK),
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | RCPT r2 250 "
	    "| "
	    "DATA 554 | RSET 250 | QUIT\n",
	    "2", "PERM*2", DELIVER_MESSAGE, EX_DATAERR, "554 5.6.0 no" },
	{ "552 after the body: the message, no retry", 50, 3, 1,
	    S(OPEN, OK, OK, GO, "552 5.3.4 too big", OK),
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | DATA 354 | "
	    "Hi. 552 | RSET 250 | QUIT\n",
	    "1", "PERM", DELIVER_MESSAGE, EX_DATAERR, "552 5.3.4 too big" },
	{ "451 after the body: retried", 50, 3, 1,
	    S(OPEN, OK, OK, GO, "451 4.3.0 later", OK, OK, OK, GO, OK),
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | DATA 354 | "
	    "Hi. 451 | RSET 250 | MAIL 250 | RCPT r1 250 | DATA 354 | Hi. 250 "
	    "| "
	    "QUIT\n",
	    "2", "OK", DELIVER_OK, EX_OK, NULL },
	{ "AUTH refused: no retry", 50, 3, 1,
	    S("220 mx", "250-mx", "250 AUTH PLAIN", "535 5.7.8 bad token"),
	    "220 | EHLO 250 | AUTH 535\n", "0", "PERM", DELIVER_AUTH, EX_NOPERM,
	    "535 5.7.8 bad token" },
	{ "greeting 421, then a session", 50, 3, 1,
	    S("421 4.3.2 busy", OPEN, OK, OK, GO, OK),
	    "421\n"
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | DATA 354 | "
	    "Hi. 250 | QUIT\n",
	    "0 1", "OK", DELIVER_OK, EX_OK, NULL },
	{ "connection refused, then a session", 50, 2, 1,
	    S("!REFUSED", OPEN, OK, OK, GO, OK),
	    "(connection refused)\n"
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | DATA 354 | "
	    "Hi. 250 | QUIT\n",
	    "1", "OK", DELIVER_OK, EX_OK, NULL },
	{ "connection refused every time: pending", 50, 3, 2,
	    S("!REFUSED", "!REFUSED", "!REFUSED"),
	    "(connection refused)\n(connection refused)\n(connection "
	    "refused)\n",
	    "", "TEMP*2", DELIVER_TEMP, EX_TEMPFAIL, "connection refused" },
	{ "certificate not trusted: no retry", 50, 3, 1, S("!UNTRUSTED"),
	    "(certificate not trusted)\n", "", "PERM", DELIVER_TLS,
	    EX_UNAVAILABLE, "certificate not trusted" },
	{ "relay name does not resolve: no retry", 50, 3, 1, S("!NOHOST"),
	    "(mx: name does not resolve)\n", "", "PERM", DELIVER_NOHOST,
	    EX_NOHOST, "mx: name does not resolve" },
};

static void
run_case(const struct dcase *c)
{
	static char	   names[MAXRCPTS][16];
	const char	  *rcpts[MAXRCPTS];
	struct smtp_status status[MAXRCPTS];
	struct server	   sv;
	struct membody	   mb = { "Hi\n", 3, 0, 0, 0 };
	struct deliver	   d;
	struct deliver_job job;
	struct buf	   got = { 0 };
	size_t		   i;

	memset(&sv, 0, sizeof(sv));
	fake_init(&sv.f, c->script);
	sv.bol = 1;
	for (i = 0; i < c->nrcpts && i < MAXRCPTS; i++) {
		snprintf(names[i], sizeof(names[i]), "r%zu@x", i + 1);
		rcpts[i] = names[i];
	}
	memset(&job, 0, sizeof(job));
	job.id = "test";
	job.env.from = "f@x";
	job.env.rcpts = rcpts;
	job.env.nrcpts = i;
	job.status = status;
	job.body.ctx = &mb;
	job.body.read = membody_read;
	job.rewind = body_rewind;
	job.attempts = c->attempts;
	cfg.max_recipients = c->max_rcpts;
	deliver_init(&d, &cfg, "h");
	d.connector.ctx = &sv;
	d.connector.open = sv_open;
	d.connector.check = sv_check;
	d.connector.close = sv_close;

	deliver_reset(&job);
	deliver_batches(&d, &job);
	deliver_close(&d);

	if (c->brief != NULL)
		is_str(sv.brief.data, c->brief, "%s: transcript", c->name);
	per_session(sv.brief.data, &got);
	is_str(got.data ? got.data : "", c->sessions, "%s: RCPTs per session",
	    c->name);
	buf_reset(&got);
	results(&job, &got);
	is_str(got.data, c->results, "%s: per-recipient results", c->name);
	is_int(job.why, c->why, "%s: whole-message failure", c->name);
	is_int(failure_exit_code(deliver_failure(&job)), c->exit,
	    "%s: exit code", c->name);
	if (c->failure != NULL)
		is_str(job.failure.text, c->failure, "%s: failure", c->name);
	ok(sv.f.script[sv.f.next] == NULL,
	    "%s: the whole script was read "
	    "(%zu lines)",
	    c->name, sv.f.next);
	buf_free(&got);
	buf_free(&sv.brief);
	fake_free(&sv.f);
}

/*
 * A queue run sends many messages over one struct deliver: the RCPT
 * limit counts per session, across the messages.
 */
static void
test_two_messages(void)
{
	static const char *const script[] = { OPEN, OK, OK, OK, GO,
		OK,		      /* message 1: r1, r2 */
		OK, OK, GO, OK,	      /* message 2: r1 */
		OPEN, OK, OK, GO, OK, /* message 2: r2 */
		NULL };
	static const char *const rcpts[] = { "r1@x", "r2@x" };
	struct smtp_status	 status[2];
	struct server		 sv;
	struct membody		 mb = { "Hi\n", 3, 0, 0, 0 };
	struct deliver		 d;
	struct deliver_job	 job;
	int			 m;

	memset(&sv, 0, sizeof(sv));
	fake_init(&sv.f, script);
	sv.bol = 1;
	cfg.max_recipients = 3;
	deliver_init(&d, &cfg, "h");
	d.connector.ctx = &sv;
	d.connector.open = sv_open;
	d.connector.check = sv_check;
	d.connector.close = sv_close;
	for (m = 1; m <= 2; m++) {
		memset(&job, 0, sizeof(job));
		job.id = m == 1 ? "one" : "two";
		job.env.from = "f@x";
		job.env.rcpts = rcpts;
		job.env.nrcpts = 2;
		job.status = status;
		job.body.ctx = &mb;
		job.body.read = membody_read;
		job.rewind = body_rewind;
		job.attempts = 1;
		deliver_reset(&job);
		deliver_batches(&d, &job);
		is_int(failure_exit_code(deliver_failure(&job)), EX_OK,
		    "two messages: "
		    "message %d sent",
		    m);
	}
	deliver_close(&d);
	is_str(sv.brief.data,
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r1 250 | "
	    "RCPT r2 250 | DATA 354 | Hi. 250 | MAIL 250 | RCPT r1 250 | "
	    "DATA 354 | Hi. 250 | QUIT\n"
	    "220 | EHLO 250 | AUTH 235 | MAIL 250 | RCPT r2 250 | DATA 354 | "
	    "Hi. 250 | QUIT\n",
	    "two messages: the second fills the session, "
	    "then opens another");
	is_int(d.sessions, 2, "two messages: two sessions");
	buf_free(&sv.brief);
	fake_free(&sv.f);
}

/* DESIGN's exit codes, from the whole-message failure, then recipients. */
static void
test_exit_codes(void)
{
	static const struct {
		enum deliver_why why;
		enum reply_class r1, r2;
		int		 code;
	} cases[] = {
		{ DELIVER_OK, REPLY_OK, REPLY_OK, EX_OK },
		{ DELIVER_OK, REPLY_OK, REPLY_PERM, EX_NOUSER },
		{ DELIVER_OK, REPLY_PERM, REPLY_PERM, EX_NOUSER },
		{ DELIVER_TEMP, REPLY_OK, REPLY_TEMP, EX_TEMPFAIL },
		{ DELIVER_TEMP, REPLY_PERM, REPLY_TEMP, EX_TEMPFAIL },
		{ DELIVER_CONFIG, REPLY_PERM, REPLY_PERM, EX_CONFIG },
		{ DELIVER_NOHOST, REPLY_PERM, REPLY_PERM, EX_NOHOST },
		{ DELIVER_TLS, REPLY_PERM, REPLY_PERM, EX_UNAVAILABLE },
		{ DELIVER_AUTH, REPLY_PERM, REPLY_PERM, EX_NOPERM },
		{ DELIVER_RELAY, REPLY_PERM, REPLY_PERM, EX_UNAVAILABLE },
		{ DELIVER_MESSAGE, REPLY_OK, REPLY_PERM, EX_DATAERR },
	};
	static const char *const rcpts[] = { "a@x", "b@x" };
	struct smtp_status	 status[2];
	struct deliver_job	 job;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&job, 0, sizeof(job));
		memset(status, 0, sizeof(status));
		job.env.rcpts = rcpts;
		job.env.nrcpts = 2;
		job.status = status;
		job.why = cases[i].why;
		status[0].cls = cases[i].r1;
		status[1].cls = cases[i].r2;
		is_int(failure_exit_code(deliver_failure(&job)), cases[i].code,
		    "exit code for why %d, recipients %s/%s", cases[i].why,
		    fake_cls_name(cases[i].r1), fake_cls_name(cases[i].r2));
	}
}

static void
test_retry_wait(void)
{
	static const struct {
		int	     delay, failures;
		unsigned int random;
		double	     want;
	} cases[] = {
		{ 1, 1, 500, 1.0 },    /* the middle of ±25% */
		{ 1, 1, 0, 0.75 },     /* the bottom */
		{ 1, 1, 999, 1.2495 }, /* the top */
		{ 1, 1, 1500, 1.0 },   /* random taken modulo 1000 */
		{ 1, 2, 500, 2.0 },    /* doubled per failure */
		{ 3, 3, 500, 12.0 },
		{ 1, 11, 500, 1024.0 }, /* doubled at most ten times */
		{ 1, 40, 500, 1024.0 },
		{ 2, 0, 500, 2.0 }, /* no failure yet: as after one */
		{ 0, 5, 999, 0.0 }, /* retry_delay 0: no wait */
	};
	size_t i;
	double got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = deliver_retry_wait(cases[i].delay, cases[i].failures,
		    cases[i].random);
		ok(got > cases[i].want - 1e-9 && got < cases[i].want + 1e-9,
		    "retry wait: delay %d, failure %d, random %u: %g s (want "
		    "%g)",
		    cases[i].delay, cases[i].failures, cases[i].random, got,
		    cases[i].want);
	}
}

int
main(void)
{
	size_t i;

	if (config_init(&cfg, "/nonexistent") == -1)
		return 1;
	secret_free(cfg.token);
	cfg.token = secret_strdup("test-token");
	cfg.retry_delay = 0;
	/* for send_message(): parallel.c's children connect for real */
	cfg.parallel = 1;
	for (i = 0; i < sizeof(deliveries) / sizeof(deliveries[0]); i++)
		run_case(&deliveries[i]);
	test_two_messages();
	test_exit_codes();
	test_retry_wait();
	config_free(&cfg);
	return done_testing();
}
