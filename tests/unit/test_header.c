/*
 * test_header.c - unit tests for src/header.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "buf.h"
#include "header.h"
#include "tap.h"

/* Debian cron's header section, as cron writes it. */
static const char cron_headers[] =
    "From: root (Cron Daemon)\n"
    "To: root\n"
    "Subject: Cron <root@host> /usr/local/bin/backup --nightly\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "X-Cron-Env: <SHELL=/bin/sh>\n"
    "X-Cron-Env: <HOME=/root>\n"
    "X-Cron-Env: <PATH=/usr/bin:/bin>\n"
    "X-Cron-Env: <LOGNAME=root>\n";

/* PHP mail() with the usual additional_headers, CRLF already made LF. */
static const char php_headers[] =
    "To: customer@example.org, \"Doe, John\" <john.doe@example.net>\n"
    "Subject: =?UTF-8?B?WW91ciBvcmRlciAjMTIzNA==?=\n"
    "From: Web Shop <shop@example.com>\n"
    "Reply-To: support@example.com\n"
    "X-Mailer: PHP/8.2.7\n"
    "MIME-Version: 1.0\n"
    "Content-type: text/html; charset=utf-8\n";

/* Map every local name to alerts@example.com (From) or qualify it (To). */
static char *
map_from(const char *addr, void *arg)
{
	(void)arg;
	return address_is_local(addr) ? strdup("alerts@example.com") : NULL;
}

static char *
map_rcpt(const char *addr, void *arg)
{
	char *s;

	if (!address_is_local(addr))
		return NULL;
	if (asprintf(&s, "%s@%s", addr, (const char *)arg) == -1)
		return NULL;
	return s;
}

static char *
map_evil(const char *addr, void *arg)
{
	(void)addr;
	(void)arg;
	return strdup("x@y\nBcc: z@w");
}

/* Recipients of -t for text, joined by " | "; or the error. */
static void
check_rcpts(const char *text, const char *want, const char *name)
{
	struct header_section hs;
	struct address_list   l = { 0 };
	char		      err[256] = "", got[1024] = "";
	size_t		      i;

	if (header_parse(&hs, text, strlen(text), err, sizeof(err)) == 0 &&
	    header_recipients(&hs, &l, err, sizeof(err)) == 0) {
		for (i = 0; i < l.n; i++) {
			if (i > 0)
				strlcat(got, " | ", sizeof(got));
			strlcat(got, l.v[i].addr, sizeof(got));
		}
	} else
		snprintf(got, sizeof(got), "error: %s", err);
	is_str(got, want, "recipients: %s", name);
	address_list_free(&l);
	header_free(&hs);
}

/* Rewrite text with the maps above and an optional added field. */
static void
check_rewrite(const char *text, const char *add, const char *want,
    const char *name)
{
	struct header_section hs;
	struct header_edit    e;
	struct buf	      out = { 0 };
	const char	     *addv[2] = { add, NULL };
	char		      err[256] = "";
	const char	     *got;

	memset(&e, 0, sizeof(e));
	e.map_from = map_from;
	e.map_rcpt = map_rcpt;
	e.arg = "example.com";
	e.add = addv;
	if (header_parse(&hs, text, strlen(text), err, sizeof(err)) == 0 &&
	    header_rewrite(&hs, &e, &out, err, sizeof(err)) == 0)
		got = out.data != NULL ? out.data : "";
	else
		got = err;
	is_str(got, want, "rewrite: %s", name);
	buf_free(&out);
	header_free(&hs);
}

/* Rewriting text must succeed and give a section that parses again. */
static void
check_rewrite_parses(const char *text)
{
	struct header_section hs, again;
	struct header_edit    e;
	struct buf	      out = { 0 };
	struct address_list   l = { 0 };
	char		      err[256] = "";
	int		      pass;

	memset(&e, 0, sizeof(e));
	memset(&again, 0, sizeof(again));
	pass = header_parse(&hs, text, strlen(text), err, sizeof(err)) == 0 &&
	    header_rewrite(&hs, &e, &out, err, sizeof(err)) == 0 &&
	    header_parse(&again, out.data, out.len, err, sizeof(err)) == 0 &&
	    header_recipients(&again, &l, err, sizeof(err)) == 0 && l.n == 1 &&
	    strcmp(l.v[0].addr, "a@x") == 0;
	ok(pass, "rewritten section still parses%s%s", err[0] ? ": " : "", err);
	address_list_free(&l);
	header_free(&again);
	header_free(&hs);
	buf_free(&out);
}

static void
test_cron(void)
{
	struct header_section hs;
	struct header_edit    e;
	struct buf	      out = { 0 };
	char		      err[128];
	const char	     *v;
	size_t		      len;

	is_int(header_parse(&hs, cron_headers, strlen(cron_headers), err,
		   sizeof(err)),
	    0, "cron headers parse");
	is_int(hs.n, 10, "ten fields");
	is_int(header_find(&hs, "subject", 0), 2, "find is case-blind");
	is_int(header_find(&hs, "X-Cron-Env", 7), 7, "find from a start");
	is_int(header_find(&hs, "Date", 0), -1, "no Date");
	is_int(header_find(&hs, "From", 1), -1, "no From after the first");
	ok(header_is(&hs, 3, "MIME-VERSION"), "header_is");
	v = header_value(&hs, 2, &len);
	ok(len == 49 &&
		strncmp(v,
		    " Cron <root@host> /usr/local/bin/backup "
		    "--nightly",
		    len) == 0,
	    "Subject value without its LF");

	/* With no map and nothing to add, the section comes out as is. */
	memset(&e, 0, sizeof(e));
	is_int(header_rewrite(&hs, &e, &out, err, sizeof(err)), 0,
	    "rewrite with no edit");
	is_str(out.data, cron_headers, "untouched fields kept byte for byte");
	buf_free(&out);
	header_free(&hs);

	check_rcpts(cron_headers, "root", "cron");
	check_rewrite(cron_headers, "Date: Sun, 29 Nov 2026 01:51:36 +0000",
	    "From: alerts@example.com (Cron Daemon)\n"
	    "To: root@example.com\n"
	    "Subject: Cron <root@host> /usr/local/bin/backup --nightly\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=UTF-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "X-Cron-Env: <SHELL=/bin/sh>\n"
	    "X-Cron-Env: <HOME=/root>\n"
	    "X-Cron-Env: <PATH=/usr/bin:/bin>\n"
	    "X-Cron-Env: <LOGNAME=root>\n"
	    "Date: Sun, 29 Nov 2026 01:51:36 +0000\n",
	    "cron");
}

static void
test_php(void)
{
	check_rcpts(php_headers, "customer@example.org | john.doe@example.net",
	    "PHP mail()");
	/* Nothing to map: every field is copied byte for byte. */
	check_rewrite(php_headers, NULL, php_headers, "PHP mail()");
}

static void
test_recipients(void)
{
	check_rcpts("To: a@x\nSubject: s\nTo: b@y\nCc: c@z\nBcc: d@w\n",
	    "a@x | b@y | c@z | d@w", "several To lines, Cc, Bcc");
	check_rcpts("To: a@x,\n b@y,\n\t\"Doe, J\" <c@z>\nCc: d@w\n",
	    "a@x | b@y | c@z | d@w", "folded To");
	check_rcpts("To: team: a@x, B <b@y>;, c@z\n", "a@x | b@y | c@z",
	    "group");
	check_rcpts("To: undisclosed-recipients:;\nBcc: hidden@x\n", "hidden@x",
	    "undisclosed-recipients");
	check_rcpts("To: \"a,b\"@x, \"c@d\"@y\n", "\"a,b\"@x | \"c@d\"@y",
	    "quoted local parts with ',' and '@'");
	check_rcpts("To: a@x (Alice (the boss) a@evil), b@y\n", "a@x | b@y",
	    "comments with nested parens and '@'");
	check_rcpts("To: =?UTF-8?B?SsO8cmdlbg==?= <j@x>\n", "j@x",
	    "encoded-word display name");
	check_rcpts("To: a@Example.COM\nCc: a@example.com, A@example.com\n",
	    "a@Example.COM | A@example.com", "duplicates, domain case");
	check_rcpts("From: x@y\nSubject: none\n", "", "no recipient field");
	check_rcpts("TO: a@x\ncc : b@y\n", "a@x | b@y",
	    "names without case, space before colon");
	check_rcpts("To: a@x\nCc: Alice <alice@x\n",
	    "error: Cc: missing '>' at end of address list",
	    "syntax error names the field");
	check_rcpts("To: a@x,\n (unbalanced\n",
	    "error: To: unbalanced '(' "
	    "at offset 7",
	    "unbalanced comment in folded To");
	/* a continuation line belongs to its field, whatever it says */
	check_rcpts("To: a@x\nBcc:\n b@y,\n\tc@z\n", "a@x | b@y | c@z",
	    "Bcc folded after its colon");
	check_rcpts("To: a@x\nSubject: s\n Bcc: v@y\n", "a@x",
	    "'Bcc:' on a Subject's continuation line");
	check_rcpts("To: a@x\nCc: c@z\n \nBcc: v@y\n", "a@x | c@z | v@y",
	    "a continuation line of white space alone");
}

static void
test_resent(void)
{
	static const char resent[] = "Resent-From: fwd@example.com\n"
				     "Resent-To: new@example.com\n"
				     "Resent-Cc: c@example.com\n"
				     "Resent-Bcc: hidden@example.com\n"
				     "From: orig@example.org\n"
				     "To: old@example.org\n"
				     "Cc: oldcc@example.org\n"
				     "Bcc: oldbcc@example.org\n";

	check_rcpts(resent,
	    "new@example.com | c@example.com | "
	    "hidden@example.com",
	    "Resent- block wins");
	check_rcpts("Resent-Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
		    "To: old@example.org\n",
	    "", "any Resent- field selects the block");
	check_rcpts("To: a@x\nX-Resent-To: b@y\n", "a@x",
	    "X-Resent-To is no Resent- field");
	check_rewrite(resent, NULL,
	    "Resent-From: fwd@example.com\n"
	    "Resent-To: new@example.com\n"
	    "Resent-Cc: c@example.com\n"
	    "From: orig@example.org\n"
	    "To: old@example.org\n"
	    "Cc: oldcc@example.org\n",
	    "Bcc and Resent-Bcc dropped");
}

/* Reply-To goes through map_reply, where it stands, like From. */
static void
test_rewrite_reply(void)
{
	static const char text[] =
	    "From: Web <www-data>\n"
	    "Reply-To: \"Desk\" <www-data>,\n help@other.org\n"
	    "To: root\nResent-Reply-To: root\n";
	struct header_section hs;
	struct header_edit    e;
	struct buf	      out = { 0 };
	char		      err[256] = "";

	memset(&e, 0, sizeof(e));
	e.map_from = map_from;
	e.map_rcpt = map_rcpt;
	e.map_reply = map_from;
	e.arg = "example.com";
	ok(header_parse(&hs, text, strlen(text), err, sizeof(err)) == 0 &&
		header_rewrite(&hs, &e, &out, err, sizeof(err)) == 0,
	    "rewrite with map_reply: %s", err);
	is_str(out.data,
	    "From: Web <alerts@example.com>\n"
	    "Reply-To: \"Desk\" <alerts@example.com>,\n help@other.org\n"
	    "To: root@example.com\nResent-Reply-To: root\n",
	    "rewrite: a local Reply-To mapped, the rest kept");
	buf_free(&out);
	header_free(&hs);
}

static void
test_rewrite(void)
{
	check_rewrite("From: Root <root>\n", NULL,
	    "From: Root <alerts@example.com>\n", "angle local name");
	check_rewrite("Bcc: a@x,\n b@y,\n c@z\nSubject: s\nbcc: d@w\n", NULL,
	    "Subject: s\n", "folded Bcc stripped");
	check_rewrite("To: root, \"Ops\" <ops>, x@y (root)\n", NULL,
	    "To: root@example.com, \"Ops\" <ops@example.com>, x@y (root)\n",
	    "several local names qualified");
	check_rewrite("To: =?UTF-8?B?SsO8cmdlbg==?= <juergen>,\n"
		      "  (ignored root) root\n",
	    NULL,
	    "To: =?UTF-8?B?SsO8cmdlbg==?= <juergen@example.com>,\n"
	    "  (ignored root) root@example.com\n",
	    "encoded word and folding kept");
	check_rewrite("Sender: daemon (a . b)\nReply-To: root\n", NULL,
	    "Sender: alerts@example.com (a . b)\nReply-To: root\n",
	    "Sender mapped, Reply-To left alone without map_reply");
	check_rewrite("From: r (x) . o@ot\n", NULL, "From: r (x) . o@ot\n",
	    "unmapped obs addr-spec copied");
	check_rewrite("From: r (x) . o\n", NULL, "From: alerts@example.com\n",
	    "comment inside a replaced addr-spec dropped");
	check_rewrite("Resent-From: root\nResent-To: ops\n", NULL,
	    "Resent-From: alerts@example.com\nResent-To: ops@example.com\n",
	    "Resent- fields mapped");
	check_rewrite("To: team: root, a@x;\n", NULL,
	    "To: team: root@example.com, a@x;\n", "group member mapped");
	check_rewrite("Subject: no final LF", NULL, "Subject: no final LF\n",
	    "final LF added");
	check_rewrite("To: a@x\n", "Message-ID: <1@example.com>\n",
	    "To: a@x\nMessage-ID: <1@example.com>\n",
	    "added field with its own LF");
	check_rewrite("To: Alice <a@x\n", NULL,
	    "To: missing '>' at end of "
	    "address list",
	    "syntax error in a mapped field");
	check_rewrite("To: a@x\n", "X-Bad: a\nBcc: b@y",
	    "invalid added header field: line break in added field",
	    "header injection through an added field");
	check_rewrite("To: a@x\n", "not a field",
	    "invalid added header field: no colon in header line",
	    "added field without a name");
	check_rewrite("Bcc:\n b@y,\n c@z\nSubject: s\n Bcc: v@y\n", NULL,
	    "Subject: s\n Bcc: v@y\n",
	    "Bcc folded after its colon stripped, "
	    "a Subject's continuation kept");
	/* a rewritten field never carries a control byte from the input */
	check_rewrite("From: Ev\001il <root>\n", NULL,
	    "From: control "
	    "character 0x01 at offset 3",
	    "control byte in a display name");
	check_rewrite("Sender: root (a\033[2J)\n", NULL,
	    "Sender: control "
	    "character 0x1b at offset 8",
	    "control byte in a comment");
	check_rewrite("To: \"x\177\" <root>\n", NULL,
	    "To: control "
	    "character 0x7f at offset 3",
	    "DEL in a quoted string");
}

static void
test_rewrite_evil_map(void)
{
	struct header_section hs;
	struct header_edit    e;
	struct buf	      out = { 0 };
	char		      err[128] = "";
	const char	     *text = "From: root\n";

	memset(&e, 0, sizeof(e));
	e.map_from = map_evil;
	header_parse(&hs, text, strlen(text), err, sizeof(err));
	is_int(header_rewrite(&hs, &e, &out, err, sizeof(err)), -1,
	    "replacement with a line break refused");
	is_str(err, "From: invalid replacement address", "reason");
	buf_free(&out);
	header_free(&hs);
}

/* Each line of s is at most max octets long. */
static int
lines_within(const char *s, size_t max)
{
	const char *lf;

	for (; *s != '\0'; s = lf + 1) {
		if ((lf = strchr(s, '\n')) == NULL)
			return strlen(s) <= max;
		if ((size_t)(lf - s) > max)
			return 0;
	}
	return 1;
}

static void
test_long_lines(void)
{
	struct buf in = { 0 };
	int	   i;

	buf_adds(&in, "X-Long: ");
	for (i = 0; i < 1200; i++)
		buf_adds(&in, "y");
	check_rewrite(in.data, NULL,
	    "X-Long: header line too long and "
	    "cannot be folded",
	    "unfoldable line refused");

	/* A run of white space longer than a line cannot be split. */
	buf_reset(&in);
	buf_adds(&in, "X-Run: a");
	for (i = 0; i < 1200; i++)
		buf_adds(&in, " ");
	buf_adds(&in, "b\n");
	check_rewrite(in.data, NULL,
	    "X-Run: header line too long and "
	    "cannot be folded",
	    "white space run of 1200 octets refused");

	/* Folding never splits a quoted-pair "\<TAB>" (found by fuzzing). */
	buf_reset(&in);
	buf_adds(&in, "To: (");
	for (i = 0; i < 100; i++)
		buf_adds(&in, "cccc\\\tcccc ");
	buf_adds(&in, ") a@x\n");
	check_rewrite_parses(in.data);

	/* A line of exactly 998 octets stays as it is. */
	buf_reset(&in);
	buf_adds(&in, "X-Edge: a");
	while (in.len < HEADER_LINE_MAX)
		buf_adds(&in, in.len % 10 ? "b" : " ");
	buf_adds(&in, "\n");
	check_rewrite(in.data, NULL, in.data, "998-octet line kept");
	buf_free(&in);
}

static void
test_long_fold(void)
{
	struct header_section hs;
	struct header_edit    e;
	struct buf	      in = { 0 }, out = { 0 };
	char		      err[128];
	size_t		      i, j, n;

	/* 200 recipients: about 2,800 octets on one line. */
	buf_adds(&in, "To: ");
	for (i = 0; i < 200; i++)
		buf_addf(&in, "%su%03zu@x.test", i ? ", " : "", i);
	/* Runs of white space are kept whole at the start of a line. */
	buf_adds(&in, "\nX-Spaces: a");
	for (i = 0; i < 1120; i++)
		buf_adds(&in, i % 40 == 39 ? "b" : " ");
	buf_adds(&in, "\n");
	memset(&e, 0, sizeof(e));
	header_parse(&hs, in.data, in.len, err, sizeof(err));
	is_int(header_rewrite(&hs, &e, &out, err, sizeof(err)), 0,
	    "long lines folded");
	ok(lines_within(out.data, HEADER_LINE_WANT), "lines within 78");
	ok(strstr(out.data, " \n") == NULL, "no line ends in white space");
	/* Unfolding (removing each LF before white space) restores it. */
	for (i = j = n = 0; i < out.len; i++)
		if (!(out.data[i] == '\n' && i + 1 < out.len &&
			(out.data[i + 1] == ' ' || out.data[i + 1] == '\t')))
			out.data[j++] = out.data[i];
		else
			n++;
	out.data[j] = '\0';
	is_str(out.data, in.data, "folding only inserted line breaks");
	ok(n >= 50, "folded %zu times", n);
	buf_free(&in);
	buf_free(&out);
	header_free(&hs);
}

static void
check_parse_error(const char *text, size_t len, const char *want)
{
	struct header_section hs;
	char		      err[128] = "";

	is_int(header_parse(&hs, text, len, err, sizeof(err)), -1,
	    "refused: %s", want);
	is_str(err, want, "reason: %s", want);
	ok(hs.n == 0 && hs.v == NULL, "section left empty");
}

static void
test_parse_errors(void)
{
	check_parse_error(" folded first\n", 14,
	    "header line 1: "
	    "continuation line without a field before it");
	check_parse_error("To: a\nno colon here\n", 20,
	    "header line 2: no colon in header line");
	check_parse_error("To: a\nBad Name: x\n", 18,
	    "header line 2: invalid character in field name");
	check_parse_error("To: a\n: x\n", 10,
	    "header line 2: invalid character in field name");
	check_parse_error("To: a\0b\n", 8,
	    "header line 1: NUL byte in "
	    "header line");
	check_parse_error("To: a\nSubject: a\rBcc: b\n", 24,
	    "header line 2: "
	    "CR in header line");
	check_parse_error("To: a\r\n", 7, "header line 1: CR in header line");
	check_parse_error("To: a\n\nbody\n", 12,
	    "header line 2: empty line inside the header section");
}

static void
check_length(const char *text, size_t want, int want_blank, const char *name)
{
	int blank = -1;

	is_int(header_section_length(text, strlen(text), &blank), want,
	    "section length: %s", name);
	is_int(blank, want_blank, "blank line: %s", name);
}

static void
test_section_length(void)
{
	check_length("To: a\nSubject: b\n\nbody\n", 17, 1, "blank line");
	check_length("To: a\n b\n\nbody\n", 9, 1, "folded field");
	check_length("To: a\nSubject: b\n", 17, 0, "headers only");
	check_length("To: a\nSubject: b", 16, 0, "no final LF");
	check_length("Hello world\n", 0, 0, "no header at all");
	check_length("\nbody\n", 0, 1, "empty section");
	check_length(" x: y\n\n", 0, 0, "continuation first");
	check_length("From user Mon Jan 1\nTo: a\n\n", 0, 0, "mbox From_");
	check_length("To: a\nthis is body text\n", 6, 0,
	    "body without a blank line");
	check_length("", 0, 0, "empty message");
}

static void
check_date(const char *tz, time_t t, const char *want)
{
	char out[64] = "";

	setenv("TZ", tz, 1);
	tzset();
	is_int(header_format_date(t, out, sizeof(out)), 0, "date in %s", tz);
	is_str(out, want, "date text in %s", tz);
}

static void
test_date(void)
{
	char small[20];

	check_date("UTC0", 1795917096, "Sun, 29 Nov 2026 01:51:36 +0000");
	check_date("CET-1", 1795917096, "Sun, 29 Nov 2026 02:51:36 +0100");
	check_date("<-0330>3:30", 1709247909,
	    "Thu, 29 Feb 2024 19:35:09 -0330");
	check_date("UTC0", 0, "Thu, 1 Jan 1970 00:00:00 +0000");
	is_int(header_format_date(0, small, sizeof(small)), -1,
	    "short buffer refused");
}

/* -F: atoms as they are, a quoted string, or RFC 2047 encoded words. */
static void
test_display_name(void)
{
	static const struct {
		const char *name;
		int	    rc;
		const char *want;
	} cases[] = {
		{ "Cron Daemon", 0, "Cron Daemon" },
		{ "O'Brien & Co {ops}", 0, "O'Brien & Co {ops}" },
		{ "Smith, John", 0, "\"Smith, John\"" },
		{ "a.b", 0, "\"a.b\"" }, /* '.' is no atext */
		{ "say \"hi\" \\o/", 0, "\"say \\\"hi\\\" \\\\o/\"" },
		{ "Jos\xc3\xa9 M\xc3\xbcller", 0,
		    "=?UTF-8?B?Sm9zw6kgTcO8bGxlcg==?=" },
		/* 8-bit text with quotes: encoded, no quoting needed */
		{ "\xc3\x9cn\xc3\xaf"
		  "c\xc3\xb6"
		  "d\xc3\xa9 \"quoted\"",
		    0, "=?UTF-8?B?w5xuw69jw7Zkw6kgInF1b3RlZCI=?=" },
		/* 41 bytes: the first word takes 31, not to split an "é" */
		{ "a\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
		    0,
		    "=?UTF-8?B?YcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqQ==?= "
		    "=?UTF-8?B?w6nDqcOpw6nDqQ==?=" },
		{ "Evil\r\nBcc: victim@example.com", -1, NULL },
		{ "tab\there", -1, NULL },
		{ "del\x7f", -1, NULL },
		{ "8-bit \xc3\xa9 and LF\n", -1, NULL },
	};
	struct buf b = { 0 };
	size_t	   i;
	int	   rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		rc = header_display_name(cases[i].name, &b);
		is_int(rc, cases[i].rc, "display name %zu: result", i);
		if (cases[i].want != NULL)
			is_str(b.data, cases[i].want, "display name %zu", i);
	}
	/* appended: the encoded words' spacing is their own */
	buf_reset(&b);
	buf_adds(&b, "From: ");
	header_display_name("Jos\xc3\xa9", &b);
	is_str(b.data, "From: =?UTF-8?B?Sm9zw6k=?=", "display name appended");
	buf_free(&b);
}

int
main(void)
{
	test_cron();
	test_php();
	test_recipients();
	test_resent();
	test_rewrite();
	test_rewrite_reply();
	test_rewrite_evil_map();
	test_long_lines();
	test_long_fold();
	test_parse_errors();
	test_section_length();
	test_date();
	test_display_name();
	return done_testing();
}
