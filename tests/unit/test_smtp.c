/*
 * test_smtp.c - unit tests for the SMTP client state machine (smtp.c).
 *
 * The scripted fake transport of fake_transport.h plays the server, so
 * a test case reads like curl's test9xx files: what the server says in,
 * the transcript out.  Its clock (params.clock) moves only with "@N"
 * script lines: the deadline cases need no real waiting.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fake_transport.h"
#include "log.h"
#include "smtp.h"
#include "tap.h"

#define MAXSCRIPT 32 /* lines of a script in the tables below */
#define MAXRCPTS  8

/* base64("\0api_token\0test-token"), "api_token", "test-token" */
#define PLAIN_B64 "AGFwaV90b2tlbgB0ZXN0LXRva2Vu"
#define USER_B64  "YXBpX3Rva2Vu"
#define TOKEN_B64 "dGVzdC10b2tlbg=="

static const struct smtp_params params = {
	.helo = "h",
	.username = "api_token",
	.token = "test-token",
	.timeout_ms = 1000,
	.auth_timeout_ms = 1000,
	.data_timeout_ms = 1000,
	.starttls = 0,
	.clock = fake_clock,
};

/* "550 PERM" or "421 TEMP lost": what the caller decides from. */
static const char *
status_string(const struct smtp_status *st)
{
	static char s[8][64];
	static int  which;
	char	   *p = s[which++ % 8];

	snprintf(p, 64, "%d %s%s", st->code, fake_cls_name(st->cls),
	    st->session_lost ? " lost" : "");
	return p;
}

/* The per-recipient statuses joined by "|". */
static const char *
rcpt_statuses(const struct smtp_status *rs, size_t n)
{
	static char s[512];
	size_t	    i;

	s[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strlcat(s, "|", sizeof(s));
		strlcat(s, status_string(&rs[i]), sizeof(s));
	}
	return s;
}

/*
 * The script of a server that greets, answers EHLO with the keywords in
 * caps ('|'-separated, "" for none) and accepts AUTH PLAIN, followed by
 * the lines of rest.  The strings live until the next call.
 */
static const char *const *
server(const char *caps, const char *const *rest)
{
	static char	   ehlo[MAXSCRIPT][128];
	static const char *lines[MAXSCRIPT + 1];
	const char	  *p = caps, *bar;
	size_t		   n = 0, k = 0, i;

	lines[n++] = "220 mx.example.com ESMTP";
	snprintf(ehlo[k], sizeof(ehlo[k]), "250%smx.example.com greets h",
	    *caps != '\0' ? "-" : " ");
	lines[n++] = ehlo[k++];
	while (*caps != '\0' && p != NULL) {
		bar = strchr(p, '|');
		snprintf(ehlo[k], sizeof(ehlo[k]), "250%c%.*s",
		    bar != NULL ? '-' : ' ',
		    bar != NULL ? (int)(bar - p) : (int)strlen(p), p);
		lines[n++] = ehlo[k++];
		p = bar != NULL ? bar + 1 : NULL;
	}
	lines[n++] = "235 2.7.0 Authentication successful";
	for (i = 0; rest[i] != NULL && n < MAXSCRIPT; i++)
		lines[n++] = rest[i];
	lines[n] = NULL;
	return lines;
}

/* The Cloudflare exchange of reference/cloudflare-smtp.md, byte for byte. */
static void
test_cloudflare(void)
{
	static const char *const script[] = {
		"220 mx.cloudflare.net Cloudflare Email ESMTP Service ready",
		"250-mx.cloudflare.net greets h", "250-AUTH PLAIN LOGIN",
		"250-SIZE 5242880", "250-8BITMIME", "250 ENHANCEDSTATUSCODES",
		"235 2.7.0 Authentication successful", "250 2.1.0 Ok",
		"250 2.1.5 Ok",
		"354 Start mail input; end with <CR><LF>.<CR><LF>",
		"250 2.0.0 Ok <jZTWt0pQO4p2LG7ByfkeSYUvT62k85Q12nCA@yourdomain"
		".com>",
		NULL
	};
	static const char body[] = "From: welcome@yourdomain.com\n"
				   "To: recipient@example.com\n"
				   "Subject: Welcome\n"
				   "\n"
				   "Thanks for signing up.\n";
	static const char want[] =
	    "S: 220 mx.cloudflare.net Cloudflare Email ESMTP Service "
	    "ready\n"
	    "C: EHLO h\r\n"
	    "S: 250-mx.cloudflare.net greets h\n"
	    "S: 250-AUTH PLAIN LOGIN\n"
	    "S: 250-SIZE 5242880\n"
	    "S: 250-8BITMIME\n"
	    "S: 250 ENHANCEDSTATUSCODES\n"
	    "C: AUTH PLAIN " PLAIN_B64 "\r\n"
	    "S: 235 2.7.0 Authentication successful\n"
	    "C: MAIL FROM:<welcome@yourdomain.com> SIZE=107\r\n"
	    "S: 250 2.1.0 Ok\n"
	    "C: RCPT TO:<recipient@example.com>\r\n"
	    "S: 250 2.1.5 Ok\n"
	    "C: DATA\r\n"
	    "S: 354 Start mail input; end with <CR><LF>.<CR><LF>\n"
	    "C: From: welcome@yourdomain.com\r\n"
	    "To: recipient@example.com\r\n"
	    "Subject: Welcome\r\n"
	    "\r\n"
	    "Thanks for signing up.\r\n"
	    ".\r\n"
	    "S: 250 2.0.0 Ok <jZTWt0pQO4p2LG7ByfkeSYUvT62k85Q12nCA@"
	    "yourdomain.com>\n"
	    "C: QUIT\r\n";
	static const char *const rcpts[] = { "recipient@example.com" };
	struct fake		 f;
	struct smtp_session	 s;
	struct smtp_envelope	 e = { .from = "welcome@yourdomain.com",
		    .rcpts = rcpts,
		    .nrcpts = 1,
		    .size = 107 };
	struct membody		 mb = { body, sizeof(body) - 1, 0, 0, 0 };
	struct smtp_body	 b = { &mb, membody_read };
	struct smtp_status	 st, rs[1];

	fake_init(&f, script);
	smtp_session_init(&s, &tr, &params);
	is_int(smtp_open(&s, &st), 0, "cloudflare: open");
	is_int(s.state, SMTP_READY, "cloudflare: ready after AUTH");
	ok(s.caps.auth_plain && s.caps.auth_login && s.caps.size == 5242880 &&
		s.caps.eightbitmime && s.caps.enhancedstatuscodes &&
		!s.caps.pipelining && !s.caps.dsn,
	    "cloudflare: capabilities");
	is_int(smtp_send(&s, &e, &b, rs, &st), 0, "cloudflare: sent");
	is_str(status_string(&st), "250 OK", "cloudflare: final status");
	is_str(st.enhanced, "2.0.0", "cloudflare: enhanced code");
	is_str(st.text,
	    "250 2.0.0 Ok <jZTWt0pQO4p2LG7ByfkeSYUvT62k85Q12nCA@"
	    "yourdomain.com>",
	    "cloudflare: final text");
	is_str(status_string(&rs[0]), "250 OK", "cloudflare: recipient");
	is_str(s.queued_id,
	    "250 2.0.0 Ok <jZTWt0pQO4p2LG7ByfkeSYUvT62k85Q12n"
	    "CA@yourdomain.com>",
	    "cloudflare: relay's id kept");
	is_int((long)s.transactions, 1, "cloudflare: one transaction");
	is_int((long)s.rcpts_sent, 1, "cloudflare: one RCPT");
	is_int((long)s.rcpts_accepted, 1, "cloudflare: one RCPT accepted");
	smtp_quit(&s);
	is_str(f.events.data, want, "cloudflare: transcript");
	is_int(f.writes, 7,
	    "cloudflare: seven writes: EHLO, AUTH, MAIL, RCPT, "
	    "DATA, body with dot, QUIT (its reply not waited for)");
	is_int(s.state, SMTP_CLOSED, "cloudflare: closed after QUIT");
	smtp_session_free(&s);
	fake_free(&f);
}

/* Opening: greeting, EHLO, STARTTLS, AUTH, as server lines in. */
static void
test_open(void)
{
	static const struct {
		const char     *name;
		const char     *script[MAXSCRIPT];
		int		starttls; /* params.starttls, fake can */
		int		rc;
		const char     *st;	/* status_string */
		enum smtp_state state;	/* st.state */
		const char     *text;	/* st.text */
		const char     *events; /* from the first write on,
						   smtp_quit() included */
	} cases[] = {
		{ "AUTH LOGIN when only LOGIN is offered",
		    { "220 hi", "250-h", "250 AUTH LOGIN", "334 VXNlcm5hbWU6",
			"334 UGFzc3dvcmQ6", "235 2.7.0 ok", NULL },
		    0, 0, "235 OK", SMTP_AUTH_PASS, "235 2.7.0 ok",
		    "C: EHLO h\r\nS: 250-h\nS: 250 AUTH LOGIN\n"
		    "C: AUTH LOGIN\r\nS: 334 VXNlcm5hbWU6\n"
		    "C: " USER_B64 "\r\nS: 334 UGFzc3dvcmQ6\n"
		    "C: " TOKEN_B64 "\r\nS: 235 2.7.0 ok\n"
		    "C: QUIT\r\n" },
		{ "AUTH=LOGIN, the old form",
		    { "220 hi", "250-h", "250 AUTH=LOGIN", "334 VXNlcm5hbWU6",
			"334 UGFzc3dvcmQ6", "235 ok", NULL },
		    0, 0, "235 OK", SMTP_AUTH_PASS, "235 ok",
		    "C: EHLO h\r\nS: 250-h\nS: 250 AUTH=LOGIN\n"
		    "C: AUTH LOGIN\r\nS: 334 VXNlcm5hbWU6\n"
		    "C: " USER_B64 "\r\nS: 334 UGFzc3dvcmQ6\n"
		    "C: " TOKEN_B64 "\r\nS: 235 ok\n"
		    "C: QUIT\r\n" },
		{ "PLAIN preferred over LOGIN",
		    { "220 hi", "250-h", "250 AUTH LOGIN PLAIN", "235 ok",
			NULL },
		    0, 0, "235 OK", SMTP_AUTH, "235 ok",
		    "C: EHLO h\r\nS: 250-h\nS: 250 AUTH LOGIN PLAIN\n"
		    "C: AUTH PLAIN " PLAIN_B64 "\r\nS: 235 ok\n"
		    "C: QUIT\r\n" },
		{ "535 to AUTH PLAIN",
		    { "220 hi", "250-h", "250 AUTH PLAIN",
			"535 5.7.8 Authentication failed", NULL },
		    0, -1, "535 PERM lost", SMTP_AUTH,
		    "535 5.7.8 Authentication failed",
		    "C: EHLO h\r\nS: 250-h\nS: 250 AUTH PLAIN\n"
		    "C: AUTH PLAIN " PLAIN_B64 "\r\n"
		    "S: 535 5.7.8 Authentication failed\n"
		    "C: QUIT\r\n" },
		{ "535 to the LOGIN password",
		    { "220 hi", "250-h", "250 AUTH LOGIN", "334 VXNlcm5hbWU6",
			"334 UGFzc3dvcmQ6", "535 5.7.8 Authentication failed",
			NULL },
		    0, -1, "535 PERM lost", SMTP_AUTH_PASS,
		    "535 5.7.8 Authentication failed",
		    "C: EHLO h\r\nS: 250-h\nS: 250 AUTH LOGIN\n"
		    "C: AUTH LOGIN\r\nS: 334 VXNlcm5hbWU6\n"
		    "C: " USER_B64 "\r\nS: 334 UGFzc3dvcmQ6\n"
		    "C: " TOKEN_B64 "\r\nS: 535 5.7.8 Authentication failed\n"
		    "C: QUIT\r\n" },
		{ "AUTH LOGIN refused at once",
		    { "220 hi", "250-h", "250 AUTH LOGIN", "504 5.5.4 no",
			NULL },
		    0, -1, "504 PERM lost", SMTP_AUTH, "504 5.5.4 no",
		    "C: EHLO h\r\nS: 250-h\nS: 250 AUTH LOGIN\n"
		    "C: AUTH LOGIN\r\nS: 504 5.5.4 no\n"
		    "C: QUIT\r\n" },
		{ "454 to AUTH: temporary",
		    { "220 hi", "250-h", "250 AUTH PLAIN",
			"454 4.7.0 try later", NULL },
		    0, -1, "454 TEMP lost", SMTP_AUTH, "454 4.7.0 try later",
		    "C: EHLO h\r\nS: 250-h\nS: 250 AUTH PLAIN\n"
		    "C: AUTH PLAIN " PLAIN_B64 "\r\nS: 454 4.7.0 try later\n"
		    "C: QUIT\r\n" },
		{ "stray 334 to AUTH PLAIN",
		    { "220 hi", "250-h", "250 AUTH PLAIN", "334 ", NULL }, 0,
		    -1, "334 PERM lost", SMTP_AUTH, "334 ",
		    "C: EHLO h\r\nS: 250-h\nS: 250 AUTH PLAIN\n"
		    "C: AUTH PLAIN " PLAIN_B64 "\r\nS: 334 \n"
		    "C: QUIT\r\n" },
		{ "no AUTH offered",
		    { "220 hi", "250-h", "250 AUTH CRAM-MD5", NULL }, 0, -1,
		    "0 PERM lost", SMTP_AUTH,
		    "server offers neither AUTH PLAIN nor AUTH LOGIN",
		    "C: EHLO h\r\nS: 250-h\nS: 250 AUTH CRAM-MD5\n"
		    "C: QUIT\r\n" },
		{ "554 greeting", { "554 5.7.1 go away", NULL }, 0, -1,
		    "554 PERM lost", SMTP_GREETING, "554 5.7.1 go away",
		    "C: QUIT\r\n" },
		{ "421 greeting", { "421 4.3.2 busy", NULL }, 0, -1,
		    "421 TEMP lost", SMTP_GREETING, "421 4.3.2 busy", "" },
		{ "250 instead of 220", { "250 hi", NULL }, 0, -1,
		    "250 TEMP lost", SMTP_GREETING, "250 hi", "C: QUIT\r\n" },
		{ "garbage greeting", { "SSH-2.0-OpenSSH_9.2", NULL }, 0, -1,
		    "0 TEMP lost", SMTP_GREETING,
		    "malformed reply line from server (in GREETING)", "" },
		{ "EHLO refused", { "220 hi", "550 5.7.1 no", NULL }, 0, -1,
		    "550 PERM", SMTP_EHLO, "550 5.7.1 no",
		    "C: EHLO h\r\nS: 550 5.7.1 no\n"
		    "C: QUIT\r\n" },
		{ "421 to EHLO", { "220 hi", "421 4.3.2 bye", NULL }, 0, -1,
		    "421 TEMP lost", SMTP_EHLO, "421 4.3.2 bye",
		    "C: EHLO h\r\nS: 421 4.3.2 bye\n" },
		{ "connection reset in EHLO", { "220 hi", "!ERR", NULL }, 0, -1,
		    "0 TEMP lost", SMTP_EHLO,
		    "connection reset by peer (in EHLO)",
		    "C: EHLO h\r\nS: <reset>\n" },
		{ "STARTTLS",
		    { "220 hi", "250-h", "250 STARTTLS", "220 go ahead",
			"250-h", "250 AUTH PLAIN", "235 ok", NULL },
		    1, 0, "235 OK", SMTP_AUTH, "235 ok",
		    "C: EHLO h\r\nS: 250-h\nS: 250 STARTTLS\n"
		    "C: STARTTLS\r\nS: 220 go ahead\n-- TLS --\n"
		    "C: EHLO h\r\nS: 250-h\nS: 250 AUTH PLAIN\n"
		    "C: AUTH PLAIN " PLAIN_B64 "\r\nS: 235 ok\n"
		    "C: QUIT\r\n" },
		{ "STARTTLS not offered",
		    { "220 hi", "250-h", "250 AUTH PLAIN", NULL }, 1, -1,
		    "0 PERM lost", SMTP_EHLO,
		    "server does not offer STARTTLS; refusing to continue "
		    "without TLS",
		    "C: EHLO h\r\nS: 250-h\nS: 250 AUTH PLAIN\n"
		    "C: QUIT\r\n" },
		{ "STARTTLS refused",
		    { "220 hi", "250-h", "250 STARTTLS",
			"454 4.7.0 TLS not available", NULL },
		    1, -1, "454 TEMP lost", SMTP_STARTTLS,
		    "454 4.7.0 TLS not available",
		    "C: EHLO h\r\nS: 250-h\nS: 250 STARTTLS\n"
		    "C: STARTTLS\r\nS: 454 4.7.0 TLS not available\n"
		    "C: QUIT\r\n" },
	};
	struct smtp_params  p = params;
	struct fake	    f;
	struct smtp_session s;
	struct smtp_status  st;
	const char	   *ev;
	size_t		    i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake_init(&f, cases[i].script);
		p.starttls = cases[i].starttls;
		if (cases[i].starttls)
			tr.starttls = fake_starttls;
		smtp_session_init(&s, &tr, &p);
		is_int(smtp_open(&s, &st), cases[i].rc, "open %s: result",
		    cases[i].name);
		is_str(status_string(&st), cases[i].st, "open %s: status",
		    cases[i].name);
		is_str(smtp_state_name(st.state),
		    smtp_state_name(cases[i].state), "open %s: state",
		    cases[i].name);
		is_str(st.text, cases[i].text, "open %s: text", cases[i].name);
		is_int(s.state == SMTP_READY, cases[i].rc == 0,
		    "open %s: ready only when open", cases[i].name);
		/* QUIT goes out unless the connection is gone */
		smtp_quit(&s);
		/* skip the greeting line */
		ev = f.events.data != NULL ? f.events.data : "";
		ev = strstr(ev, "C: ") != NULL ? strstr(ev, "C: ") : "";
		is_str(ev, cases[i].events, "open %s: transcript",
		    cases[i].name);
		smtp_session_free(&s);
		fake_free(&f);
	}
}

struct scenario {
	const char *name;
	const char *caps;   /* EHLO keywords besides AUTH PLAIN */
	size_t	    nrcpts; /* a@x, b@x, c@x... */
	struct {
		int	    eightbit, smtputf8;
		long long   size;
		const char *notify, *ret, *envid;
	} env;
	const char  *replies[MAXSCRIPT]; /* after AUTH */
	int	     rc;
	const char  *rs;       /* rcpt_statuses */
	const char  *st;       /* status_string */
	const char  *text;     /* st.text */
	const char  *events;   /* after AUTH */
	unsigned int accepted; /* RCPTs the server took */
};

/* One transaction after AUTH: envelope, replies and transcript. */
static const struct scenario transactions[] = {
	{ "one recipient", "AUTH PLAIN", 1, { 0 },
	    { "250 2.1.0 Ok", "250 2.1.5 Ok", "354 go", "250 2.0.0 Ok id",
		NULL },
	    0, "250 OK", "250 OK", "250 2.0.0 Ok id",
	    "C: MAIL FROM:<f@x>\r\nS: 250 2.1.0 Ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 2.1.5 Ok\n"
	    "C: DATA\r\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: 250 2.0.0 Ok id\n",
	    1 },
	{ "452 at the 3rd RCPT", "AUTH PLAIN", 5, { 0 },
	    { "250 ok", "250 ok", "250 ok", "452 4.5.3 Too many recipients",
		"354 go", "250 2.0.0 queued", NULL },
	    0, "250 OK|250 OK|452 TEMP|452 TEMP|452 TEMP", "250 OK",
	    "250 2.0.0 queued",
	    "C: MAIL FROM:<f@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<b@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<c@x>\r\nS: 452 4.5.3 Too many recipients\n"
	    "C: DATA\r\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: 250 2.0.0 queued\n",
	    2 },
	{ "452 at the 3rd RCPT, pipelined", "AUTH PLAIN|PIPELINING", 5, { 0 },
	    { "250 ok", "250 ok", "250 ok", "452 4.5.3 Too many recipients",
		"452 4.5.3 Too many recipients",
		"452 4.5.3 Too many recipients", "354 go", "250 2.0.0 queued",
		NULL },
	    0, "250 OK|250 OK|452 TEMP|452 TEMP|452 TEMP", "250 OK",
	    "250 2.0.0 queued",
	    "C: MAIL FROM:<f@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\n"
	    "RCPT TO:<c@x>\r\nRCPT TO:<d@x>\r\nRCPT TO:<e@x>\r\nDATA\r\n"
	    "S: 250 ok\nS: 250 ok\nS: 250 ok\n"
	    "S: 452 4.5.3 Too many recipients\n"
	    "S: 452 4.5.3 Too many recipients\n"
	    "S: 452 4.5.3 Too many recipients\n"
	    "S: 354 go\n"
	    "C: Hi\r\n.\r\nS: 250 2.0.0 queued\n",
	    2 },
	/*
     * 452 is also "mailbox full" (4.2.2), for one recipient: one the
     * server accepted after it got the message and must not be sent
     * again in a new session.
     */
	{ "pipelined 452 then 250", "AUTH PLAIN|PIPELINING", 3, { 0 },
	    { "250 ok", "250 ok", "452 4.2.2 Mailbox full", "250 ok", "354 go",
		"250 2.0.0 queued", NULL },
	    0, "250 OK|452 TEMP|250 OK", "250 OK", "250 2.0.0 queued",
	    "C: MAIL FROM:<f@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\n"
	    "RCPT TO:<c@x>\r\nDATA\r\n"
	    "S: 250 ok\nS: 250 ok\nS: 452 4.2.2 Mailbox full\nS: 250 ok\n"
	    "S: 354 go\n"
	    "C: Hi\r\n.\r\nS: 250 2.0.0 queued\n",
	    2 },
	{ "550 for one recipient", "AUTH PLAIN", 2, { 0 },
	    { "250 ok", "250 ok", "550 5.1.1 No such user", "354 go",
		"250 2.0.0 queued", NULL },
	    0, "250 OK|550 PERM", "250 OK", "250 2.0.0 queued",
	    "C: MAIL FROM:<f@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<b@x>\r\nS: 550 5.1.1 No such user\n"
	    "C: DATA\r\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: 250 2.0.0 queued\n",
	    1 },
	{ "pipelined, replies matched in order", "AUTH PLAIN|PIPELINING", 3,
	    { 0 },
	    { "250 ok", "250 a ok", "550 5.1.1 b unknown", "250 c ok", "354 go",
		"250 2.0.0 queued", NULL },
	    0, "250 OK|550 PERM|250 OK", "250 OK", "250 2.0.0 queued",
	    "C: MAIL FROM:<f@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\n"
	    "RCPT TO:<c@x>\r\nDATA\r\n"
	    "S: 250 ok\nS: 250 a ok\nS: 550 5.1.1 b unknown\nS: 250 c ok\n"
	    "S: 354 go\n"
	    "C: Hi\r\n.\r\nS: 250 2.0.0 queued\n",
	    2 },
	{ "all recipients refused: RSET", "AUTH PLAIN", 2, { 0 },
	    { "250 ok", "550 5.1.1 a unknown", "550 5.1.1 b unknown",
		"250 reset", NULL },
	    -1, "550 PERM|550 PERM", "550 PERM", "550 5.1.1 a unknown",
	    "C: MAIL FROM:<f@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 550 5.1.1 a unknown\n"
	    "C: RCPT TO:<b@x>\r\nS: 550 5.1.1 b unknown\n"
	    "C: RSET\r\nS: 250 reset\n",
	    0 },
	{ "all refused, one of them for now", "AUTH PLAIN", 2, { 0 },
	    { "250 ok", "550 5.1.1 a unknown", "451 4.3.0 b later", "250 reset",
		NULL },
	    -1, "550 PERM|451 TEMP", "451 TEMP", "451 4.3.0 b later",
	    "C: MAIL FROM:<f@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 550 5.1.1 a unknown\n"
	    "C: RCPT TO:<b@x>\r\nS: 451 4.3.0 b later\n"
	    "C: RSET\r\nS: 250 reset\n",
	    0 },
	{ "pipelined, all refused, DATA 554", "AUTH PLAIN|PIPELINING", 2, { 0 },
	    { "250 ok", "550 5.1.1 a unknown", "550 5.1.1 b unknown",
		"554 5.5.1 No valid recipients", "250 reset", NULL },
	    -1, "550 PERM|550 PERM", "550 PERM", "550 5.1.1 a unknown",
	    "C: MAIL FROM:<f@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n"
	    "S: 250 ok\nS: 550 5.1.1 a unknown\nS: 550 5.1.1 b unknown\n"
	    "S: 554 5.5.1 No valid recipients\n"
	    "C: RSET\r\nS: 250 reset\n",
	    0 },
	{ "pipelined, all refused, DATA 354: lone dot", "AUTH PLAIN|PIPELINING",
	    1, { 0 },
	    { "250 ok", "550 5.1.1 a unknown", "354 go",
		"554 5.5.1 No valid recipients", NULL },
	    -1, "550 PERM", "550 PERM", "550 5.1.1 a unknown",
	    "C: MAIL FROM:<f@x>\r\nRCPT TO:<a@x>\r\nDATA\r\n"
	    "S: 250 ok\nS: 550 5.1.1 a unknown\nS: 354 go\n"
	    "C: .\r\nS: 554 5.5.1 No valid recipients\n",
	    0 },
	{ "MAIL refused", "AUTH PLAIN", 2, { 0 },
	    { "550 5.7.1 Sender denied", "250 reset", NULL }, -1,
	    "550 PERM|550 PERM", "550 PERM", "550 5.7.1 Sender denied",
	    "C: MAIL FROM:<f@x>\r\nS: 550 5.7.1 Sender denied\n"
	    "C: RSET\r\nS: 250 reset\n",
	    0 },
	{ "MAIL refused, pipelined", "AUTH PLAIN|PIPELINING", 2, { 0 },
	    { "550 5.7.1 Sender denied", "503 5.5.1 no MAIL",
		"503 5.5.1 no MAIL", "503 5.5.1 no valid recipients",
		"250 reset", NULL },
	    -1, "550 PERM|550 PERM", "550 PERM", "550 5.7.1 Sender denied",
	    "C: MAIL FROM:<f@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n"
	    "S: 550 5.7.1 Sender denied\nS: 503 5.5.1 no MAIL\n"
	    "S: 503 5.5.1 no MAIL\nS: 503 5.5.1 no valid recipients\n"
	    "C: RSET\r\nS: 250 reset\n",
	    0 },
	{ "421 at MAIL", "AUTH PLAIN", 2, { 0 },
	    { "421 4.3.2 shutting down", NULL }, -1,
	    "421 TEMP lost|421 TEMP lost", "421 TEMP lost",
	    "421 4.3.2 shutting down",
	    "C: MAIL FROM:<f@x>\r\nS: 421 4.3.2 shutting down\n", 0 },
	{ "421 at RCPT", "AUTH PLAIN", 3, { 0 },
	    { "250 ok", "250 ok", "421 4.3.2 shutting down", NULL }, -1,
	    "250 OK|421 TEMP lost|421 TEMP lost", "421 TEMP lost",
	    "421 4.3.2 shutting down",
	    "C: MAIL FROM:<f@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<b@x>\r\nS: 421 4.3.2 shutting down\n",
	    1 },
	{ "421 at RCPT, pipelined", "AUTH PLAIN|PIPELINING", 2, { 0 },
	    { "250 ok", "421 4.3.2 shutting down", NULL }, -1,
	    "421 TEMP lost|421 TEMP lost", "421 TEMP lost",
	    "421 4.3.2 shutting down",
	    "C: MAIL FROM:<f@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n"
	    "S: 250 ok\nS: 421 4.3.2 shutting down\n",
	    0 },
	{ "421 at DATA", "AUTH PLAIN", 1, { 0 },
	    { "250 ok", "250 ok", "421 4.3.2 shutting down", NULL }, -1,
	    "421 TEMP lost", "421 TEMP lost", "421 4.3.2 shutting down",
	    "C: MAIL FROM:<f@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
	    "C: DATA\r\nS: 421 4.3.2 shutting down\n",
	    1 },
	{ "421 after the dot", "AUTH PLAIN", 1, { 0 },
	    { "250 ok", "250 ok", "354 go", "421 4.3.2 shutting down", NULL },
	    -1, "421 TEMP lost", "421 TEMP lost", "421 4.3.2 shutting down",
	    "C: MAIL FROM:<f@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
	    "C: DATA\r\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: 421 4.3.2 shutting down\n",
	    1 },
	{ "451 after the dot", "AUTH PLAIN", 1, { 0 },
	    { "250 ok", "250 ok", "354 go", "451 4.3.0 deferred", "250 reset",
		NULL },
	    -1, "451 TEMP", "451 TEMP", "451 4.3.0 deferred",
	    "C: MAIL FROM:<f@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
	    "C: DATA\r\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: 451 4.3.0 deferred\n"
	    "C: RSET\r\nS: 250 reset\n",
	    1 },
	{ "554 after the dot", "AUTH PLAIN", 1, { 0 },
	    { "250 ok", "250 ok", "354 go", "554 5.7.1 content rejected",
		"250 reset", NULL },
	    -1, "554 PERM", "554 PERM", "554 5.7.1 content rejected",
	    "C: MAIL FROM:<f@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
	    "C: DATA\r\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: 554 5.7.1 content rejected\n"
	    "C: RSET\r\nS: 250 reset\n",
	    1 },
	{ "read error at RCPT", "AUTH PLAIN", 2, { 0 },
	    { "250 ok", "!ERR", NULL }, -1, "0 TEMP lost|0 TEMP lost",
	    "0 TEMP lost", "connection reset by peer (in RCPT)",
	    "C: MAIL FROM:<f@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: <reset>\n",
	    0 },
	{ "read error after the dot", "AUTH PLAIN", 1, { 0 },
	    { "250 ok", "250 ok", "354 go", "!ERR", NULL }, -1, "0 TEMP lost",
	    "0 TEMP lost", "connection reset by peer (in BODY)",
	    "C: MAIL FROM:<f@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
	    "C: DATA\r\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: <reset>\n",
	    1 },
	{ "8-bit without 8BITMIME: refused here", "AUTH PLAIN", 1,
	    { .eightbit = 1 }, { NULL }, -1, "0 PERM", "0 PERM",
	    "the message has 8-bit characters but the "
	    "server does not offer 8BITMIME",
	    "", 0 },
	{ "8-bit with 8BITMIME", "AUTH PLAIN|8BITMIME", 1, { .eightbit = 1 },
	    { "250 ok", "250 ok", "354 go", "250 queued", NULL }, 0, "250 OK",
	    "250 OK", "250 queued",
	    "C: MAIL FROM:<f@x> BODY=8BITMIME\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
	    "C: DATA\r\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: 250 queued\n",
	    1 },
	{ "UTF-8 address without SMTPUTF8: refused here", "AUTH PLAIN|8BITMIME",
	    1, { .smtputf8 = 1 }, { NULL }, -1, "0 PERM", "0 PERM",
	    "an address is not ASCII but the server "
	    "does not offer SMTPUTF8",
	    "", 0 },
	{ "UTF-8 address with SMTPUTF8", "AUTH PLAIN|SMTPUTF8", 1,
	    { .smtputf8 = 1 },
	    { "250 ok", "250 ok", "354 go", "250 queued", NULL }, 0, "250 OK",
	    "250 OK", "250 queued",
	    "C: MAIL FROM:<f@x> SMTPUTF8\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
	    "C: DATA\r\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: 250 queued\n",
	    1 },
	{ "SIZE advertised", "AUTH PLAIN|SIZE 1000", 1, { .size = 999 },
	    { "250 ok", "250 ok", "354 go", "250 queued", NULL }, 0, "250 OK",
	    "250 OK", "250 queued",
	    "C: MAIL FROM:<f@x> SIZE=999\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
	    "C: DATA\r\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: 250 queued\n",
	    1 },
	{ "SIZE at the limit", "AUTH PLAIN|SIZE 1000", 1, { .size = 1000 },
	    { "250 ok", "250 ok", "354 go", "250 queued", NULL }, 0, "250 OK",
	    "250 OK", "250 queued",
	    "C: MAIL FROM:<f@x> SIZE=1000\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
	    "C: DATA\r\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: 250 queued\n",
	    1 },
	{ "SIZE advertised without a limit", "AUTH PLAIN|SIZE", 1,
	    { .size = 123456789 },
	    { "250 ok", "250 ok", "354 go", "250 queued", NULL }, 0, "250 OK",
	    "250 OK", "250 queued",
	    "C: MAIL FROM:<f@x> SIZE=123456789\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
	    "C: DATA\r\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: 250 queued\n",
	    1 },
	{ "SIZE not advertised", "AUTH PLAIN", 1, { .size = 999 },
	    { "250 ok", "250 ok", "354 go", "250 queued", NULL }, 0, "250 OK",
	    "250 OK", "250 queued",
	    "C: MAIL FROM:<f@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
	    "C: DATA\r\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: 250 queued\n",
	    1 },
	{ "over SIZE: refused here", "AUTH PLAIN|SIZE 1000", 2,
	    { .size = 1001 }, { NULL }, -1, "0 PERM|0 PERM", "0 PERM",
	    "message of 1001 bytes exceeds the "
	    "server's limit of 1000 bytes",
	    "", 0 },
	{ "DSN advertised", "AUTH PLAIN|DSN", 2,
	    { .notify = "SUCCESS,FAILURE", .ret = "HDRS", .envid = "id+1=x y" },
	    { "250 ok", "250 ok", "250 ok", "354 go", "250 queued", NULL }, 0,
	    "250 OK|250 OK", "250 OK", "250 queued",
	    "C: MAIL FROM:<f@x> RET=HDRS ENVID=id+2B1+3Dx+20y\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x> NOTIFY=SUCCESS,FAILURE\r\nS: 250 ok\n"
	    "C: RCPT TO:<b@x> NOTIFY=SUCCESS,FAILURE\r\nS: 250 ok\n"
	    "C: DATA\r\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: 250 queued\n",
	    2 },
	{ "DSN not advertised", "AUTH PLAIN", 1,
	    { .notify = "NEVER", .ret = "FULL", .envid = "abc" },
	    { "250 ok", "250 ok", "354 go", "250 queued", NULL }, 0, "250 OK",
	    "250 OK", "250 queued",
	    "C: MAIL FROM:<f@x>\r\nS: 250 ok\n"
	    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
	    "C: DATA\r\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: 250 queued\n",
	    1 },
	{ "everything, pipelined",
	    "AUTH PLAIN|PIPELINING|SIZE 5242880|"
	    "8BITMIME|DSN",
	    1, { .eightbit = 1, .size = 4, .notify = "NEVER" },
	    { "250 ok", "250 ok", "354 go", "250 queued", NULL }, 0, "250 OK",
	    "250 OK", "250 queued",
	    "C: MAIL FROM:<f@x> SIZE=4 BODY=8BITMIME\r\n"
	    "RCPT TO:<a@x> NOTIFY=NEVER\r\nDATA\r\n"
	    "S: 250 ok\nS: 250 ok\nS: 354 go\n"
	    "C: Hi\r\n.\r\nS: 250 queued\n",
	    1 },
};

static void
run_scenario(const struct scenario *sc)
{
	static const char *const names[MAXRCPTS] = { "a@x", "b@x", "c@x", "d@x",
		"e@x", "f@x", "g@x", "h@x" };
	struct fake		 f;
	struct smtp_session	 s;
	struct smtp_envelope	 e = { .from = "f@x",
		    .rcpts = names,
		    .nrcpts = sc->nrcpts,
		    .eightbit = sc->env.eightbit,
		    .smtputf8 = sc->env.smtputf8,
		    .size = sc->env.size,
		    .dsn_notify = sc->env.notify,
		    .dsn_ret = sc->env.ret,
		    .envid = sc->env.envid };
	struct membody		 mb = { "Hi\n", 3, 0, 0, 0 };
	struct smtp_body	 b = { &mb, membody_read };
	struct smtp_status	 st, rs[MAXRCPTS];
	size_t			 opened;

	fake_init(&f, server(sc->caps, sc->replies));
	smtp_session_init(&s, &tr, &params);
	if (smtp_open(&s, &st) == -1) {
		ok(0, "%s: open (%s)", sc->name, st.text);
		goto done;
	}
	opened = f.events.len;
	memset(rs, 0, sizeof(rs));
	is_int(smtp_send(&s, &e, &b, rs, &st), sc->rc, "%s: result", sc->name);
	is_str(rcpt_statuses(rs, sc->nrcpts), sc->rs, "%s: recipients",
	    sc->name);
	is_str(status_string(&st), sc->st, "%s: status", sc->name);
	is_str(st.text, sc->text, "%s: text", sc->name);
	is_str(f.events.data + opened, sc->events, "%s: transcript", sc->name);
	is_int((long)f.next,
	    (long)(f.script[f.next] == NULL ? f.next : MAXSCRIPT + 1),
	    "%s: every scripted reply read", sc->name);
	if (st.session_lost)
		is_int(s.state, SMTP_CLOSED, "%s: session closed", sc->name);
	is_int((long)s.rcpts_accepted, (long)sc->accepted, "%s: RCPTs accepted",
	    sc->name);
done:
	smtp_session_free(&s);
	fake_free(&f);
}

static void
test_transactions(void)
{
	size_t i;

	for (i = 0; i < sizeof(transactions) / sizeof(transactions[0]); i++)
		run_scenario(&transactions[i]);
}

/* Two messages over one session, with RSET between them. */
static void
test_two_transactions(void)
{
	static const char *const rest[] = { "250 ok", "250 ok", "354 go",
		"250 first", "250 reset", "250 ok", "250 ok", "354 go",
		"250 second", NULL };
	static const char *const r1[] = { "a@x" };
	struct fake		 f;
	struct smtp_session	 s;
	struct smtp_envelope e = { .from = "f@x", .rcpts = r1, .nrcpts = 1 };
	struct membody	     mb = { "Hi\n", 3, 0, 0, 0 };
	struct smtp_body     b = { &mb, membody_read };
	struct smtp_status   st, rs[1];

	fake_init(&f, server("AUTH PLAIN", rest));
	smtp_session_init(&s, &tr, &params);
	smtp_open(&s, &st);
	is_int(smtp_send(&s, &e, &b, rs, &st), 0, "two: first sent");
	is_int(smtp_rset(&s, &st), 0, "two: RSET");
	mb.off = 0;
	is_int(smtp_send(&s, &e, &b, rs, &st), 0, "two: second sent");
	is_str(s.queued_id, "250 second", "two: id of the last message");
	is_int((long)s.transactions, 2, "two: two transactions");
	is_int((long)s.rcpts_sent, 2, "two: RCPTs counted per session");
	is_int((long)s.rcpts_accepted, 2,
	    "two: accepted RCPTs counted per "
	    "session");
	smtp_session_free(&s);
	fake_free(&f);
}

/* The -v transcript never shows a credential. */
static void
test_redaction(void)
{
	static const char *const plain[] = { "220 hi", "250-h",
		"250 AUTH PLAIN", "235 ok", NULL };
	static const char *const login[] = { "220 hi", "250-h",
		"250 AUTH LOGIN", "334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6",
		"235 ok", NULL };
	static const struct {
		const char	  *name;
		const char *const *script;
		const char	  *shown[3];
	} cases[] = {
		{ "PLAIN", plain, { "C: AUTH PLAIN <redacted>\n", NULL } },
		{ "LOGIN", login,
		    { "C: AUTH LOGIN\n",
			"C: <redacted>\n"
			"S: 334 UGFzc3dvcmQ6\nC: <redacted>\n",
			NULL } },
	};
	static const char *const secrets[] = { PLAIN_B64, USER_B64, TOKEN_B64,
		"test-token", "dGVzdC10b2tl", NULL };
	char			 path[] = "/tmp/test_smtp.XXXXXX";
	char			 text[4096];
	struct fake		 f;
	struct smtp_session	 s;
	struct smtp_status	 st;
	FILE			*fp;
	size_t			 i, k, n;
	int			 fd, saved;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if ((fd = mkstemp(path)) == -1) {
			ok(0, "redaction: mkstemp");
			return;
		}
		close(fd);
		fflush(stderr);
		saved = dup(2);
		if (freopen(path, "w", stderr) == NULL) {
			ok(0, "redaction: freopen");
			return;
		}
		log_set_verbose(1);
		fake_init(&f, cases[i].script);
		smtp_session_init(&s, &tr, &params);
		is_int(smtp_open(&s, &st), 0, "redaction %s: open",
		    cases[i].name);
		smtp_session_free(&s);
		fake_free(&f);
		log_set_verbose(0);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);

		n = 0;
		if ((fp = fopen(path, "r")) != NULL) {
			n = fread(text, 1, sizeof(text) - 1, fp);
			fclose(fp);
		}
		text[n] = '\0';
		unlink(path);
		memcpy(path + strlen(path) - 6, "XXXXXX", 6);
		ok(strstr(text, "C: EHLO h\n") != NULL,
		    "redaction %s: the "
		    "transcript was captured",
		    cases[i].name);
		for (k = 0; cases[i].shown[k] != NULL; k++)
			ok(strstr(text, cases[i].shown[k]) != NULL,
			    "redaction %s: shows the AUTH exchange, part %zu",
			    cases[i].name, k + 1);
		for (k = 0; secrets[k] != NULL; k++)
			ok(strstr(text, secrets[k]) == NULL,
			    "redaction %s: "
			    "never shows %s",
			    cases[i].name, secrets[k]);
	}
}

/* Dot-stuffing and CRLF, with the body read in odd-sized chunks. */
static void
test_body(void)
{
	static const struct {
		const char *name;
		const char *in;
		const char *out;
	} cases[] = {
		{ "LF to CRLF", "a\nb\n", "a\r\nb\r\n" },
		{ "leading dot doubled", ".a\n", "..a\r\n" },
		{ "two dots", "..\n", "...\r\n" },
		{ "lone dot", ".\n", "..\r\n" },
		{ "dot after a line", "a\n.\nb\n", "a\r\n..\r\nb\r\n" },
		{ "dots inside a line kept", "a.b.\n", "a.b.\r\n" },
		{ "dot on the last line without LF", "a\n.", "a\r\n..\r\n" },
		{ "no final newline", "no final newline",
		    "no final newline\r\n" },
		{ "empty body", "", "" },
		{ "empty lines", "\n\n", "\r\n\r\n" },
		{ "dot after an empty line", "\n.x\n", "\r\n..x\r\n" },
		{ "8-bit bytes", "caf\xc3\xa9\n", "caf\xc3\xa9\r\n" },
	};
	static const size_t	 chunks[] = { 0, 1, 2, 3, 7 };
	struct fake		 f;
	struct smtp_session	 s;
	struct smtp_status	 st;
	struct membody		 mb;
	struct smtp_body	 b = { &mb, membody_read };
	static const char *const none[] = { NULL };
	size_t			 i, c;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			fake_init(&f, none);
			smtp_session_init(&s, &tr, &params);
			memset(&mb, 0, sizeof(mb));
			mb.p = cases[i].in;
			mb.len = strlen(cases[i].in);
			mb.chunk = chunks[c];
			is_int(smtp_write_body(&s, &b, &st), 0,
			    "body %s, chunks of %zu: result", cases[i].name,
			    chunks[c]);
			is_str(s.out.data ? s.out.data : "", cases[i].out,
			    "body %s, chunks of %zu: bytes", cases[i].name,
			    chunks[c]);
			is_int(f.writes, 0,
			    "body %s, chunks of %zu: left for "
			    "the final dot's write",
			    cases[i].name, chunks[c]);
			smtp_session_free(&s);
			fake_free(&f);
		}

	/* a read error of the spool is a local, temporary failure */
	fake_init(&f, none);
	smtp_session_init(&s, &tr, &params);
	memset(&mb, 0, sizeof(mb));
	mb.fail = 1;
	is_int(smtp_write_body(&s, &b, &st), -1, "body: read error");
	is_str(status_string(&st), "0 TEMP lost", "body: read error status");
	is_str(st.text, "cannot read the message from the queue",
	    "body: read error text");
	smtp_session_free(&s);
	fake_free(&f);
}

/*
 * A 100,000-byte body goes in two writes: 64 KiB gathered, then the rest
 * with the final dot; not one write per line.
 */
static void
test_body_writes(void)
{
	static const char *const rest[] = { "250 ok", "250 ok", "354 go",
		"250 queued", NULL };
	static const char *const r1[] = { "a@x" };
	struct fake		 f;
	struct smtp_session	 s;
	struct smtp_envelope e = { .from = "f@x", .rcpts = r1, .nrcpts = 1 };
	struct membody	     mb;
	struct smtp_body     b = { &mb, membody_read };
	struct smtp_status   st, rs[1];
	struct buf	     body = { 0 }, want = { 0 };
	size_t		     i, got_len;

	for (i = 0; i < 1000; i++) {
		buf_addf(&body, "%s%097zu\n", i % 10 == 0 ? "." : "x", i);
		buf_addf(&want, "%s%097zu\r\n", i % 10 == 0 ? ".." : "x", i);
	}
	buf_adds(&want, ".\r\n");
	memset(&mb, 0, sizeof(mb));
	mb.p = body.data;
	mb.len = body.len;
	fake_init(&f, server("AUTH PLAIN", rest));
	smtp_session_init(&s, &tr, &params);
	smtp_open(&s, &st);
	is_int(smtp_send(&s, &e, &b, rs, &st), 0, "big body: sent");
	/* EHLO, AUTH, MAIL, RCPT, DATA, then the body */
	is_int(f.writes, 7, "big body: body and final dot in two writes");
	got_len = f.writes == 7 ? f.wend[6] - f.wend[4] : 0;
	ok(got_len == want.len &&
		memcmp(f.sent.data + f.wend[4], want.data, want.len) == 0,
	    "big body: dot-stuffed, CRLF, final dot "
	    "(%zu bytes, want %zu)",
	    got_len, want.len);
	ok(f.wend[5] - f.wend[4] >= 64 * 1024,
	    "big body: first write holds "
	    "at least 64 KiB (%zu)",
	    f.wend[5] - f.wend[4]);
	smtp_session_free(&s);
	fake_free(&f);
	buf_free(&body);
	buf_free(&want);
}

/* Without PIPELINING each command waits for its reply. */
static void
test_no_pipelining(void)
{
	static const char *const rest[] = { "250 ok", "250 ok", "250 ok",
		"250 ok", "354 go", "250 queued", NULL };
	static const char *const r3[] = { "a@x", "b@x", "c@x" };
	struct fake		 f;
	struct smtp_session	 s;
	struct smtp_envelope e = { .from = "f@x", .rcpts = r3, .nrcpts = 3 };
	struct membody	     mb = { "Hi\n", 3, 0, 0, 0 };
	struct smtp_body     b = { &mb, membody_read };
	struct smtp_status   st, rs[3];
	int		     writes;

	fake_init(&f, server("AUTH PLAIN", rest));
	smtp_session_init(&s, &tr, &params);
	smtp_open(&s, &st);
	writes = f.writes;
	smtp_send(&s, &e, &b, rs, &st);
	is_int(f.writes - writes, 6,
	    "no pipelining: MAIL, 3 RCPT, DATA, "
	    "body: one write each");
	smtp_session_free(&s);
	fake_free(&f);

	fake_init(&f, server("AUTH PLAIN|PIPELINING", rest));
	mb.off = 0;
	smtp_session_init(&s, &tr, &params);
	smtp_open(&s, &st);
	writes = f.writes;
	smtp_send(&s, &e, &b, rs, &st);
	is_int(f.writes - writes, 2,
	    "pipelining: MAIL+RCPTs+DATA, body: "
	    "two writes");
	smtp_session_free(&s);
	fake_free(&f);
}

/* A write that fails is a lost connection, a temporary failure. */
static void
test_write_error(void)
{
	static const char *const rest[] = { "250 ok", NULL };
	static const char *const r1[] = { "a@x" };
	struct fake		 f;
	struct smtp_session	 s;
	struct smtp_envelope e = { .from = "f@x", .rcpts = r1, .nrcpts = 1 };
	struct membody	     mb = { "Hi\n", 3, 0, 0, 0 };
	struct smtp_body     b = { &mb, membody_read };
	struct smtp_status   st, rs[1];

	fake_init(&f, server("AUTH PLAIN", rest));
	f.fail_write = 4; /* EHLO, AUTH, MAIL, RCPT */
	smtp_session_init(&s, &tr, &params);
	smtp_open(&s, &st);
	is_int(smtp_send(&s, &e, &b, rs, &st), -1, "write error: fails");
	is_str(status_string(&st), "0 TEMP lost", "write error: status");
	is_str(st.text, "broken pipe (in RCPT)", "write error: text");
	is_str(status_string(&rs[0]), "0 TEMP lost",
	    "write error: "
	    "recipient");
	smtp_session_free(&s);
	fake_free(&f);
}

/* One message to a@x, "Hi", through a session on script with params p;
 * returns smtp_send's result, or -2 when smtp_open failed. */
static int
open_and_send(struct fake *f, const char *const *script,
    const struct smtp_params *p, struct smtp_status *st)
{
	static const char *const r1[] = { "a@x" };
	struct smtp_session	 s;
	struct smtp_envelope e = { .from = "f@x", .rcpts = r1, .nrcpts = 1 };
	struct membody	     mb = { "Hi\n", 3, 0, 0, 0 };
	struct smtp_body     b = { &mb, membody_read };
	struct smtp_status   rs[1];
	int		     rc = -2;

	fake_init(f, script);
	smtp_session_init(&s, &tr, p);
	if (smtp_open(&s, st) == 0)
		rc = smtp_send(&s, &e, &b, rs, st);
	smtp_session_free(&s);
	return rc;
}

/* Deadlines: one per reply however its lines come, and a ceiling. */
static void
test_deadlines(void)
{
	static const struct {
		const char     *name;
		int		timeout, auth, data; /* ms; 0: 1000 */
		const char     *script[MAXSCRIPT];
		int		rc; /* open_and_send() */
		const char     *st;
		enum smtp_cause cause;
		const char     *text;
		long long	took; /* ms on the fake clock */
	} cases[] = {
		{ "EHLO lines each in time, the reply late", 0, 0, 0,
		    { "220 hi", "@400 250-h", "@400 250-AUTH PLAIN",
			"@400 250 8BITMIME", NULL },
		    -2, "0 TEMP lost", SMTP_CAUSE_TIMEOUT,
		    "no complete reply within 1 s (in EHLO)", 1000 },
		{ "EHLO lines adding up to less than the timeout", 0, 0, 0,
		    { "220 hi", "@300 250-h", "@300 250-AUTH PLAIN",
			"@300 250 8BITMIME", "235 ok", "250 ok", "250 ok",
			"354 go", "250 queued", NULL },
		    0, "250 OK", SMTP_CAUSE_REPLY, "250 queued", 900 },
		{ "no greeting at all", 0, 0, 0, { "@5000 220 hi", NULL }, -2,
		    "0 TEMP lost", SMTP_CAUSE_TIMEOUT,
		    "no complete reply within 1 s (in GREETING)", 1000 },
		{ "AUTH has its own deadline", 0, 500, 0,
		    { "220 hi", "250-h", "250 AUTH PLAIN", "@600 235 ok",
			NULL },
		    -2, "0 TEMP lost", SMTP_CAUSE_TIMEOUT,
		    "no complete reply within 0.5 s (in AUTH)", 500 },
		{ "the final dot's reply within data_timeout", 0, 0, 3000,
		    { "220 hi", "250-h", "250 AUTH PLAIN", "235 ok", "250 ok",
			"250 ok", "354 go", "@2500 250 queued", NULL },
		    0, "250 OK", SMTP_CAUSE_REPLY, "250 queued", 2500 },
		{ "the final dot's reply dripped past data_timeout", 0, 0, 3000,
		    { "220 hi", "250-h", "250 AUTH PLAIN", "235 ok", "250 ok",
			"250 ok", "354 go", "@2000 250-a", "@2000 250 queued",
			NULL },
		    -1, "0 TEMP lost", SMTP_CAUSE_TIMEOUT,
		    "no complete reply within 3 s (in BODY)", 3000 },
		{ "every reply just in time: the session's ceiling", 0, 0, 0,
		    { "@900 220 hi", "250-h", "@900 250 AUTH PLAIN",
			"@900 235 ok", "@900 250 ok", "@900 250 ok", NULL },
		    -1, "0 TEMP lost", SMTP_CAUSE_TIMEOUT,
		    "session time limit of 3 s reached (in "
		    "MAIL)",
		    3000 },
	};
	struct smtp_params p;
	struct smtp_status st;
	struct fake	   f;
	size_t		   i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = params;
		p.timeout_ms = cases[i].timeout ? cases[i].timeout : 1000;
		p.auth_timeout_ms = cases[i].auth ? cases[i].auth : 1000;
		p.data_timeout_ms = cases[i].data ? cases[i].data : 1000;
		is_int(open_and_send(&f, cases[i].script, &p, &st), cases[i].rc,
		    "deadline %s: result", cases[i].name);
		is_str(status_string(&st), cases[i].st, "deadline %s: status",
		    cases[i].name);
		is_int(st.cause, cases[i].cause, "deadline %s: cause",
		    cases[i].name);
		is_str(st.text, cases[i].text, "deadline %s: text",
		    cases[i].name);
		is_int(fake_clock(), cases[i].took,
		    "deadline %s: gave up at %lld "
		    "ms",
		    cases[i].name, cases[i].took);
		fake_free(&f);
	}
}

/* A further message on the same connection gets a ceiling of its own. */
static void
test_ceiling_per_message(void)
{
	static const char *const script[] = { "220 hi", "250-h",
		"250 AUTH PLAIN", "235 ok", "@900 250 ok", "@900 250 ok",
		"@900 354 go", "@900 250 first", "@900 250 ok", "@900 250 ok",
		"@900 354 go", "@900 250 second", NULL };
	static const char *const r1[] = { "a@x" };
	struct smtp_session	 s;
	struct smtp_envelope e = { .from = "f@x", .rcpts = r1, .nrcpts = 1 };
	struct membody	     mb = { "Hi\n", 3, 0, 0, 0 };
	struct smtp_body     b = { &mb, membody_read };
	struct smtp_status   st, rs[1];
	struct fake	     f;
	struct smtp_params   p = params;

	p.data_timeout_ms = 2000; /* ceiling: 4 s; each message 3.6 s */
	fake_init(&f, script);
	smtp_session_init(&s, &tr, &p);
	is_int(smtp_open(&s, &st), 0, "ceiling per message: open");
	is_int(smtp_send(&s, &e, &b, rs, &st), 0,
	    "ceiling per message: "
	    "first sent");
	mb.off = 0;
	is_int(smtp_send(&s, &e, &b, rs, &st), 0,
	    "ceiling per message: "
	    "second sent (%s)",
	    st.text);
	is_int(fake_clock(), 7200, "ceiling per message: 7.2 s for both");
	smtp_session_free(&s);
	fake_free(&f);
}

/* A reply waiting before a command was sent answers nothing we sent. */
static void
test_unsolicited(void)
{
	static const struct {
		const char     *name;
		const char     *script[MAXSCRIPT];
		int		rc;
		const char     *st;
		enum smtp_cause cause;
		const char     *text;
		const char     *events; /* all of them */
	} cases[] = {
		{ "after the greeting", { "220 hi", "^250 unasked", NULL }, -2,
		    "0 TEMP lost", SMTP_CAUSE_PROTOCOL,
		    "unsolicited reply from server (before EHLO): 250 unasked",
		    "S: 220 hi\nS: 250 unasked\n" },
		{ "421 may come unasked", { "220 hi", "^421 4.3.2 bye", NULL },
		    -2, "421 TEMP lost", SMTP_CAUSE_REPLY, "421 4.3.2 bye",
		    "S: 220 hi\nS: 421 4.3.2 bye\n" },
		{ "a 250 with the 354: no body sent",
		    { "220 hi", "250-h", "250 AUTH PLAIN", "235 ok", "250 ok",
			"250 ok", "354 go", "^250 early", "451 4.3.0 not taken",
			NULL },
		    -1, "0 TEMP lost", SMTP_CAUSE_PROTOCOL,
		    "unsolicited reply from server (before BODY): 250 early",
		    "S: 220 hi\nC: EHLO h\r\nS: 250-h\nS: 250 AUTH PLAIN\n"
		    "C: AUTH PLAIN " PLAIN_B64 "\r\nS: 235 ok\n"
		    "C: MAIL FROM:<f@x>\r\nS: 250 ok\n"
		    "C: RCPT TO:<a@x>\r\nS: 250 ok\n"
		    "C: DATA\r\nS: 354 go\nS: 250 early\n" },
	};
	struct smtp_status st;
	struct fake	   f;
	size_t		   i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(open_and_send(&f, cases[i].script, &params, &st),
		    cases[i].rc, "unsolicited %s: result", cases[i].name);
		is_str(status_string(&st), cases[i].st,
		    "unsolicited %s: "
		    "status",
		    cases[i].name);
		is_int(st.cause, cases[i].cause, "unsolicited %s: cause",
		    cases[i].name);
		is_str(st.text, cases[i].text, "unsolicited %s: text",
		    cases[i].name);
		is_str(f.events.data, cases[i].events,
		    "unsolicited %s: "
		    "transcript",
		    cases[i].name);
		fake_free(&f);
	}
}

/* The state and cause a caller decides from, for each kind of failure. */
static void
test_causes(void)
{
	static const struct {
		const char     *name;
		const char     *caps;
		const char     *rest[MAXSCRIPT];
		const char     *st;
		enum smtp_state state;
		enum smtp_cause cause;
	} cases[] = {
		{ "a reply", "AUTH PLAIN",
		    { "550 5.7.1 no", "250 reset", NULL }, "550 PERM",
		    SMTP_MAIL, SMTP_CAUSE_REPLY },
		{ "a reset", "AUTH PLAIN", { "250 ok", "!ERR", NULL },
		    "0 TEMP lost", SMTP_RCPT, SMTP_CAUSE_CONNECTION },
		{ "a malformed reply", "AUTH PLAIN",
		    { "250 ok", "250 ok", "35 go", NULL }, "0 TEMP lost",
		    SMTP_DATA, SMTP_CAUSE_PROTOCOL },
		{ "refused here", "AUTH PLAIN|SIZE 1", { NULL }, "0 PERM",
		    SMTP_READY, SMTP_CAUSE_LOCAL },
		/* pipelined, the refusal of MAIL is MAIL's, not RCPT's */
		{ "MAIL refused, pipelined", "AUTH PLAIN|PIPELINING",
		    { "550 5.7.1 no", "503 5.5.1 no", "554 5.5.1 no", "250 ok",
			NULL },
		    "550 PERM", SMTP_MAIL, SMTP_CAUSE_REPLY },
	};
	static const char *const r1[] = { "a@x" };
	struct smtp_session	 s;
	struct smtp_envelope	 e = { .from = "f@x",
		    .rcpts = r1,
		    .nrcpts = 1,
		    .size = 10 };
	struct membody		 mb = { "Hi\n", 3, 0, 0, 0 };
	struct smtp_body	 b = { &mb, membody_read };
	struct smtp_status	 st, rs[1];
	struct fake		 f;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake_init(&f, server(cases[i].caps, cases[i].rest));
		smtp_session_init(&s, &tr, &params);
		smtp_open(&s, &st);
		mb.off = 0;
		is_int(smtp_send(&s, &e, &b, rs, &st), -1, "cause %s: fails",
		    cases[i].name);
		is_str(status_string(&st), cases[i].st, "cause %s: status",
		    cases[i].name);
		is_str(smtp_state_name(st.state),
		    smtp_state_name(cases[i].state), "cause %s: state",
		    cases[i].name);
		is_int(st.cause, cases[i].cause, "cause %s: cause",
		    cases[i].name);
		is_str(smtp_state_name(rs[0].state),
		    smtp_state_name(cases[i].state),
		    "cause %s: recipient's "
		    "state",
		    cases[i].name);
		smtp_session_free(&s);
		fake_free(&f);
	}
}

int
main(void)
{
	test_cloudflare();
	test_open();
	test_transactions();
	test_two_transactions();
	test_redaction();
	test_body();
	test_body_writes();
	test_no_pipelining();
	test_write_error();
	test_deadlines();
	test_ceiling_per_message();
	test_unsolicited();
	test_causes();
	return done_testing();
}
