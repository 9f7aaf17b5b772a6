/*
 * test_reply.c - unit tests for SMTP reply parsing (reply.c).
 *
 * Replies are tables of server lines in, and the parsed reply (result,
 * code, enhanced code, joined text, or the error) out.  EHLO replies are
 * lines in and the capabilities, printed as one canonical string, out:
 * Cloudflare's own EHLO, copied from reference/cloudflare-smtp.md, first.
 */
#include <stdio.h>
#include <string.h>

#include "reply.h"
#include "tap.h"

#define MAXLINES 12

/* Feed lines (up to a NULL) until one is complete or an error. */
static int
feed(struct reply *r, const char *const *lines, char *err, size_t errlen)
{
	int    rc = 0;
	size_t i;

	err[0] = '\0';
	for (i = 0; lines[i] != NULL; i++) {
		rc = reply_feed(r, lines[i], strlen(lines[i]), err, errlen);
		if (rc != 0)
			break;
	}
	return rc;
}

static void
test_feed(void)
{
	static const struct {
		const char *name;
		const char *lines[MAXLINES];
		int	    rc; /* of the last line fed */
		int	    code;
		const char *enhanced;
		const char *text; /* or the error when rc is -1 */
		size_t	    nlines;
	} cases[] = {
		{ "single line", { "250 OK", NULL }, 1, 250, "", "OK", 1 },
		{ "bare code", { "250", NULL }, 1, 250, "", "", 1 },
		{ "code and space", { "250 ", NULL }, 1, 250, "", "", 1 },
		{ "greeting",
		    { "220 mx.cloudflare.net Cloudflare Email ESMTP "
		      "Service ready",
			NULL },
		    1, 220, "",
		    "mx.cloudflare.net Cloudflare Email ESMTP Service ready",
		    1 },
		{ "multi-line",
		    { "250-first", "250-second", "250 third", NULL }, 1, 250,
		    "", "first\nsecond\nthird", 3 },
		{ "multi-line, empty continuation", { "250-", "250 end", NULL },
		    1, 250, "", "\nend", 2 },
		{ "multi-line, bare last line", { "250-a", "250", NULL }, 1,
		    250, "", "a\n", 2 },
		{ "incomplete", { "250-more to come", NULL }, 0, 250, "",
		    "more to come", 1 },
		{ "enhanced code", { "550 5.7.1 Sender denied", NULL }, 1, 550,
		    "5.7.1", "5.7.1 Sender denied", 1 },
		{ "enhanced code alone", { "250 2.0.0", NULL }, 1, 250, "2.0.0",
		    "2.0.0", 1 },
		{ "enhanced, 452", { "452 4.5.3 Too many recipients", NULL }, 1,
		    452, "4.5.3", "4.5.3 Too many recipients", 1 },
		{ "enhanced, three-digit parts", { "250 2.100.999 x", NULL }, 1,
		    250, "2.100.999", "2.100.999 x", 1 },
		{ "enhanced, class differs from code", { "550 4.7.1 x", NULL },
		    1, 550, "", "4.7.1 x", 1 },
		{ "enhanced, two parts", { "250 2.0 ok", NULL }, 1, 250, "",
		    "2.0 ok", 1 },
		{ "enhanced, four-digit part", { "250 2.1000.0 ok", NULL }, 1,
		    250, "", "2.1000.0 ok", 1 },
		{ "enhanced, empty part", { "250 2..0 ok", NULL }, 1, 250, "",
		    "2..0 ok", 1 },
		{ "enhanced, glued text", { "250 2.0.0x ok", NULL }, 1, 250, "",
		    "2.0.0x ok", 1 },
		{ "enhanced, two-digit class", { "250 20.0.0 ok", NULL }, 1,
		    250, "", "20.0.0 ok", 1 },
		{ "enhanced, first line only",
		    { "250-hello", "250 2.0.0 ok", NULL }, 1, 250, "",
		    "hello\n2.0.0 ok", 2 },
		{ "enhanced, multi-line",
		    { "550-5.7.1 first", "550 5.7.1 second", NULL }, 1, 550,
		    "5.7.1", "5.7.1 first\n5.7.1 second", 2 },
		{ "code changes mid-reply", { "250-a", "251 b", NULL }, -1, 250,
		    "", "reply code changed from 250 to 251 within one reply",
		    1 },
		{ "code changes, 4xx to 5xx", { "451-a", "550 b", NULL }, -1,
		    451, "",
		    "reply code changed from 451 to 550 within one reply", 1 },
		{ "garbage", { "hello world", NULL }, -1, 0, "",
		    "malformed reply line from server", 0 },
		{ "empty line", { "", NULL }, -1, 0, "",
		    "malformed reply line from server", 0 },
		{ "two digits", { "25", NULL }, -1, 0, "",
		    "malformed reply line from server", 0 },
		{ "four digits", { "2500 ok", NULL }, -1, 0, "",
		    "malformed reply line from server", 0 },
		{ "no separator", { "250ok", NULL }, -1, 0, "",
		    "malformed reply line from server", 0 },
		{ "tab separator", { "250\tok", NULL }, -1, 0, "",
		    "malformed reply line from server", 0 },
		{ "code below 200", { "199 x", NULL }, -1, 0, "",
		    "malformed reply line from server", 0 },
		{ "code 600", { "600 x", NULL }, -1, 0, "",
		    "malformed reply line from server", 0 },
		{ "letter in code", { "2a0 x", NULL }, -1, 0, "",
		    "malformed reply line from server", 0 },
		{ "garbage after a first line", { "250-ok", "ok", NULL }, -1,
		    250, "", "malformed reply line from server", 1 },
	};
	struct reply r = { 0 };
	char	     err[256];
	size_t	     i;
	int	     rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reply_reset(&r);
		rc = feed(&r, cases[i].lines, err, sizeof(err));
		is_int(rc, cases[i].rc, "feed %s: result", cases[i].name);
		is_int(r.code, cases[i].code, "feed %s: code", cases[i].name);
		is_str(r.enhanced, cases[i].enhanced, "feed %s: enhanced",
		    cases[i].name);
		if (rc == -1)
			is_str(err, cases[i].text, "feed %s: error",
			    cases[i].name);
		else
			is_str(r.text.data ? r.text.data : "", cases[i].text,
			    "feed %s: text", cases[i].name);
		is_int((long)r.lines, (long)cases[i].nlines, "feed %s: lines",
		    cases[i].name);
		is_int(r.complete, rc == 1, "feed %s: complete flag",
		    cases[i].name);
	}
	reply_free(&r);
	ok(r.text.data == NULL && r.code == 0,
	    "reply_free releases and "
	    "resets");
}

/* After reply_reset() a reply parses as if new. */
static void
test_reset(void)
{
	static const char *const first[] = { "550 5.7.1 no", NULL };
	static const char *const second[] = { "250 ok", NULL };
	struct reply		 r = { 0 };
	char			 err[256];

	feed(&r, first, err, sizeof(err));
	reply_reset(&r);
	is_int(feed(&r, second, err, sizeof(err)), 1,
	    "reset: next reply "
	    "complete");
	is_int(r.code, 250, "reset: new code");
	is_str(r.enhanced, "", "reset: old enhanced code forgotten");
	is_str(r.text.data, "ok", "reset: old text forgotten");
	is_int((long)r.lines, 1, "reset: line count restarts");
	reply_free(&r);
}

/* A hostile server must not make the reply grow without bound. */
static void
test_limits(void)
{
	struct reply r = { 0 };
	char	     err[256], line[4001];
	size_t	     i;
	int	     rc = 0;

	/* REPLY_MAX_LINES lines are fine, one more is not */
	for (i = 1; i < REPLY_MAX_LINES; i++)
		rc = reply_feed(&r, "250-x", 5, err, sizeof(err));
	is_int(rc, 0, "lines: %d continuation lines taken",
	    REPLY_MAX_LINES - 1);
	is_int(reply_feed(&r, "250 x", 5, err, sizeof(err)), 1,
	    "lines: reply of exactly %d lines complete", REPLY_MAX_LINES);

	reply_reset(&r);
	for (i = 1; i <= REPLY_MAX_LINES; i++)
		reply_feed(&r, "250-x", 5, err, sizeof(err));
	err[0] = '\0';
	is_int(reply_feed(&r, "250-x", 5, err, sizeof(err)), -1,
	    "lines: line %d refused", REPLY_MAX_LINES + 1);
	is_str(err, "reply from server has more than 256 lines",
	    "lines: reason");

	/*
	 * Bytes: lines of 4000 bytes add 3996 bytes of text and a '\n'
	 * each; the 17th would take the text over REPLY_MAX_BYTES.
	 */
	reply_reset(&r);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "250-", 4);
	for (i = 1, rc = 0; i <= 100 && rc == 0; i++)
		rc = reply_feed(&r, line, strlen(line), err, sizeof(err));
	is_int(rc, -1, "bytes: over-long reply refused");
	is_int((long)(i - 1), 17, "bytes: refused at line 17");
	is_str(err, "reply from server longer than 65536 bytes",
	    "bytes: reason");
	ok(r.text.len <= REPLY_MAX_BYTES, "bytes: text stayed within %d",
	    REPLY_MAX_BYTES);
	reply_free(&r);
}

static void
test_classify(void)
{
	static const struct {
		int		 code;
		enum reply_class cls;
	} cases[] = {
		{ 200, REPLY_OK },
		{ 220, REPLY_OK },
		{ 235, REPLY_OK },
		{ 250, REPLY_OK },
		{ 334, REPLY_OK },
		{ 354, REPLY_OK },
		{ 399, REPLY_OK },
		{ 400, REPLY_TEMP },
		{ 421, REPLY_TEMP },
		{ 451, REPLY_TEMP },
		{ 452, REPLY_TEMP },
		{ 499, REPLY_TEMP },
		{ 500, REPLY_PERM },
		{ 530, REPLY_PERM },
		{ 535, REPLY_PERM },
		{ 550, REPLY_PERM },
		{ 552, REPLY_PERM },
		{ 554, REPLY_PERM },
		{ 599, REPLY_PERM },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(reply_classify(cases[i].code), cases[i].cls,
		    "classify %d", cases[i].code);
}

static void
test_oneline(void)
{
	static const struct {
		const char *name;
		const char *lines[MAXLINES];
		size_t	    outlen;
		const char *want;
	} cases[] = {
		{ "Cloudflare's queued reply",
		    { "250 2.0.0 Ok "
		      "<jZTWt0pQO4p2LG7ByfkeSYUvT62k85Q12nCA@yourdomain.com>",
			NULL },
		    512,
		    "250 2.0.0 Ok "
		    "<jZTWt0pQO4p2LG7ByfkeSYUvT62k85Q12nCA@yourdomain.com>" },
		{ "multi-line joined",
		    { "550-5.7.1 Sender denied",
			"550-see "
			"https://example.com",
			"550 5.7.1 bye", NULL },
		    512,
		    "550 5.7.1 Sender denied; see https://example.com; "
		    "5.7.1 bye" },
		{ "control bytes replaced", { "554 bad\tx\x7fy\x1bz\rw", NULL },
		    512, "554 bad?x?y?z?w" },
		/* the line goes to syslog, the queue envelope and the 7-bit
	     * notice of a failure: ASCII only */
		{ "8-bit bytes replaced", { "550 caf\xc3\xa9", NULL }, 512,
		    "550 caf??" },
		{ "bare code", { "250", NULL }, 512, "250 " },
		{ "truncated", { "550 5.7.1 Sender denied", NULL }, 10,
		    "550 5.7." },
		{ "truncated at a line break", { "550-ab", "550 cd", NULL }, 9,
		    "550 ab; " },
		{ "room for the code only", { "550 x", NULL }, 4, "550" },
		{ "one byte", { "550 x", NULL }, 1, "" },
	};
	struct reply r = { 0 };
	char	     err[256], out[600];
	size_t	     i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reply_reset(&r);
		feed(&r, cases[i].lines, err, sizeof(err));
		memset(out, 'Z', sizeof(out));
		reply_oneline(&r, out, cases[i].outlen);
		is_str(out, cases[i].want, "oneline: %s", cases[i].name);
		ok(out[cases[i].outlen] == 'Z',
		    "oneline: %s: nothing "
		    "written past %zu bytes",
		    cases[i].name, cases[i].outlen);
	}
	memset(out, 'Z', sizeof(out));
	reply_oneline(&r, out, 0);
	ok(out[0] == 'Z', "oneline: outlen 0 writes nothing");
	reply_free(&r);
}

/* The capabilities as one string, in a fixed order. */
static const char *
caps_string(const struct smtp_caps *c)
{
	static char s[256];

	s[0] = '\0';
	if (c->auth_plain)
		strlcat(s, " PLAIN", sizeof(s));
	if (c->auth_login)
		strlcat(s, " LOGIN", sizeof(s));
	if (c->size_known)
		snprintf(s + strlen(s), sizeof(s) - strlen(s), " SIZE=%lld",
		    c->size);
	else if (c->size != 0)
		strlcat(s, " size-without-SIZE", sizeof(s));
	if (c->eightbitmime)
		strlcat(s, " 8BITMIME", sizeof(s));
	if (c->pipelining)
		strlcat(s, " PIPELINING", sizeof(s));
	if (c->enhancedstatuscodes)
		strlcat(s, " ENHANCEDSTATUSCODES", sizeof(s));
	if (c->dsn)
		strlcat(s, " DSN", sizeof(s));
	if (c->smtputf8)
		strlcat(s, " SMTPUTF8", sizeof(s));
	if (c->starttls)
		strlcat(s, " STARTTLS", sizeof(s));
	return s[0] == ' ' ? s + 1 : s;
}

static void
test_ehlo(void)
{
	static const struct {
		const char *name;
		const char *lines[MAXLINES];
		const char *want;
	} cases[] = {
		{ "Cloudflare",
		    { "250-mx.cloudflare.net greets client.example.com",
			"250-AUTH PLAIN LOGIN", "250-SIZE 5242880",
			"250-8BITMIME", "250 ENHANCEDSTATUSCODES", NULL },
		    "PLAIN LOGIN SIZE=5242880 8BITMIME ENHANCEDSTATUSCODES" },
		{ "Postfix with everything",
		    { "250-mail.example.com", "250-PIPELINING",
			"250-SIZE 10240000", "250-VRFY", "250-ETRN",
			"250-STARTTLS", "250-ENHANCEDSTATUSCODES",
			"250-8BITMIME", "250-DSN", "250 SMTPUTF8", NULL },
		    "SIZE=10240000 8BITMIME PIPELINING ENHANCEDSTATUSCODES DSN "
		    "SMTPUTF8 STARTTLS" },
		{ "greeting only", { "250 mx.example.com", NULL }, "" },
		{ "greeting is no keyword",
		    { "250-PIPELINING", "250 DSN", NULL }, "DSN" },
		{ "AUTH=, the old form",
		    { "250-h", "250 AUTH=PLAIN LOGIN", NULL }, "PLAIN LOGIN" },
		{ "AUTH= and AUTH",
		    { "250-h", "250-AUTH=LOGIN", "250 AUTH LOGIN PLAIN", NULL },
		    "PLAIN LOGIN" },
		{ "AUTH LOGIN only", { "250-h", "250 AUTH LOGIN", NULL },
		    "LOGIN" },
		{ "AUTH other mechanisms",
		    { "250-h", "250 AUTH CRAM-MD5 GSSAPI PLAINTEXT XLOGIN",
			NULL },
		    "" },
		{ "AUTH among others",
		    { "250-h", "250 AUTH GSSAPI plain  CRAM-MD5", NULL },
		    "PLAIN" },
		{ "AUTH without mechanisms", { "250-h", "250 AUTH", NULL },
		    "" },
		{ "SIZE without number", { "250-h", "250 SIZE", NULL },
		    "SIZE=0" },
		{ "SIZE 0", { "250-h", "250 SIZE 0", NULL }, "SIZE=0" },
		{ "SIZE garbage", { "250-h", "250 SIZE 12abc", NULL },
		    "SIZE=0" },
		{ "SIZE negative", { "250-h", "250 SIZE -5", NULL }, "SIZE=0" },
		{ "SIZE too large",
		    { "250-h", "250 SIZE 99999999999999999999", NULL },
		    "SIZE=0" },
		{ "SIZE far too long",
		    { "250-h", "250 SIZE 1234567890123456789012345678", NULL },
		    "SIZE=0" },
		{ "SIZE largest",
		    { "250-h", "250 SIZE 9223372036854775807", NULL },
		    "SIZE=9223372036854775807" },
		{ "lower case",
		    { "250-h", "250-pipelining", "250-dsn", "250-smtputf8",
			"250-8bitmime", "250 starttls", NULL },
		    "8BITMIME PIPELINING DSN SMTPUTF8 STARTTLS" },
		{ "keyword prefixes and suffixes",
		    { "250-h", "250-X-PIPELINING", "250-PIPELININGX",
			"250-DSNX", "250-8BITMIMES", "250-SIZEX 5",
			"250 XSTARTTLS", NULL },
		    "" },
		{ "keyword with parameters",
		    { "250-h", "250-DSN extra", "250 8BITMIME x", NULL },
		    "8BITMIME DSN" },
	};
	struct reply	 r = { 0 };
	struct smtp_caps caps;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reply_reset(&r);
		if (feed(&r, cases[i].lines, err, sizeof(err)) != 1) {
			ok(0, "ehlo %s: reply parses (%s)", cases[i].name, err);
			continue;
		}
		memset(&caps, 0xff, sizeof(caps));
		reply_parse_ehlo(&r, &caps);
		is_str(caps_string(&caps), cases[i].want, "ehlo %s",
		    cases[i].name);
	}
	reply_free(&r);

	/* a reply that was never fed: no text at all */
	memset(&caps, 0xff, sizeof(caps));
	reply_parse_ehlo(&r, &caps);
	is_str(caps_string(&caps), "", "ehlo: empty reply clears caps");
}

int
main(void)
{
	test_feed();
	test_reset();
	test_limits();
	test_classify();
	test_oneline();
	test_ehlo();
	return done_testing();
}
