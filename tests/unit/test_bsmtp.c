/*
 * test_bsmtp.c - unit tests for the -bs command parser, command order,
 * line framing, DATA unstuffing and reply formatting (bsmtp.c).
 *
 * Tables: a command line in, the verb, path, SIZE and BODY (or the error
 * reply) out; a state and a verb in, the sequence error out; input
 * bytes in, the framed lines or the unstuffed message out.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bsmtp.h"
#include "tap.h"

static void
test_parse(void)
{
	static const struct {
		const char	*line;
		enum bsmtp_error e;
		enum bsmtp_verb	 verb;
		const char	*path;
		long long	 size;
		enum bsmtp_body	 body;
	} cases[] = {
		/* each verb */
		{ "HELO client.example", BSMTP_OK, BSMTP_HELO, "", -1, 0 },
		{ "EHLO [127.0.0.1]", BSMTP_OK, BSMTP_EHLO, "", -1, 0 },
		{ "ehlo x", BSMTP_OK, BSMTP_EHLO, "", -1, 0 },
		{ "MAIL FROM:<a@example.com>", BSMTP_OK, BSMTP_MAIL,
		    "<a@example.com>", -1, 0 },
		{ "mail from:<a@example.com>", BSMTP_OK, BSMTP_MAIL,
		    "<a@example.com>", -1, 0 },
		{ "MAIL FROM:<>", BSMTP_OK, BSMTP_MAIL, "<>", -1, 0 },
		{ "MAIL FROM: <a@example.com>", BSMTP_OK, BSMTP_MAIL,
		    "<a@example.com>", -1, 0 },
		{ "MAIL FROM:<a@example.com> SIZE=1000", BSMTP_OK, BSMTP_MAIL,
		    "<a@example.com>", 1000, 0 },
		{ "MAIL FROM:<a@example.com> BODY=8BITMIME SIZE=0", BSMTP_OK,
		    BSMTP_MAIL, "<a@example.com>", 0, BSMTP_BODY_8BITMIME },
		{ "MAIL FROM:<a@example.com> body=7bit", BSMTP_OK, BSMTP_MAIL,
		    "<a@example.com>", -1, BSMTP_BODY_7BIT },
		{ "MAIL FROM:<a@example.com>  SIZE=5   ", BSMTP_OK, BSMTP_MAIL,
		    "<a@example.com>", 5, 0 },
		{ "MAIL FROM:<a@example.com> SIZE=99999999999999999999",
		    BSMTP_OK, BSMTP_MAIL, "<a@example.com>", LLONG_MAX, 0 },
		{ "MAIL FROM:<\"a> b\"@example.com>", BSMTP_OK, BSMTP_MAIL,
		    "<\"a> b\"@example.com>", -1, 0 },
		{ "MAIL FROM:<\"a\\\"> b\"@example.com>", BSMTP_OK, BSMTP_MAIL,
		    "<\"a\\\"> b\"@example.com>", -1, 0 },
		{ "RCPT TO:<b@example.org>", BSMTP_OK, BSMTP_RCPT,
		    "<b@example.org>", -1, 0 },
		{ "RCPT TO:<root>", BSMTP_OK, BSMTP_RCPT, "<root>", -1, 0 },
		{ "RCPT TO:<@a.example,@b.example:c@example.org>", BSMTP_OK,
		    BSMTP_RCPT, "<@a.example,@b.example:c@example.org>", -1,
		    0 },
		{ "RCPT TO:<j\xc3\xb6rg@example.org>", BSMTP_OK, BSMTP_RCPT,
		    "<j\xc3\xb6rg@example.org>", -1, 0 },
		{ "DATA", BSMTP_OK, BSMTP_DATA, "", -1, 0 },
		{ "data   ", BSMTP_OK, BSMTP_DATA, "", -1, 0 },
		{ "RSET", BSMTP_OK, BSMTP_RSET, "", -1, 0 },
		{ "NOOP", BSMTP_OK, BSMTP_NOOP, "", -1, 0 },
		{ "NOOP anything at all", BSMTP_OK, BSMTP_NOOP, "", -1, 0 },
		{ "QUIT", BSMTP_OK, BSMTP_QUIT, "", -1, 0 },
		{ "HELP", BSMTP_OK, BSMTP_HELP, "", -1, 0 },
		{ "HELP MAIL", BSMTP_OK, BSMTP_HELP, "", -1, 0 },
		{ "VRFY root", BSMTP_OK, BSMTP_VRFY, "", -1, 0 },
		/* each error */
		{ "", BSMTP_E_UNKNOWN, BSMTP_UNSUPPORTED, "", -1, 0 },
		{ "FOO bar", BSMTP_E_UNKNOWN, BSMTP_UNSUPPORTED, "", -1, 0 },
		{ "MAILFROM:<a@example.com>", BSMTP_E_UNKNOWN,
		    BSMTP_UNSUPPORTED, "", -1, 0 },
		{ "EXPN root", BSMTP_E_EXPN, BSMTP_EXPN, "", -1, 0 },
		{ "AUTH PLAIN AGEAYg==", BSMTP_E_UNSUPPORTED, BSMTP_UNSUPPORTED,
		    "", -1, 0 },
		{ "STARTTLS", BSMTP_E_UNSUPPORTED, BSMTP_UNSUPPORTED, "", -1,
		    0 },
		{ "BDAT 100 LAST", BSMTP_E_UNSUPPORTED, BSMTP_UNSUPPORTED, "",
		    -1, 0 },
		{ "HELO", BSMTP_E_HELO_SYNTAX, BSMTP_HELO, "", -1, 0 },
		{ "EHLO   ", BSMTP_E_HELO_SYNTAX, BSMTP_EHLO, "", -1, 0 },
		{ "VRFY", BSMTP_E_VRFY_SYNTAX, BSMTP_VRFY, "", -1, 0 },
		{ "DATA now", BSMTP_E_NO_ARGS, BSMTP_DATA, "", -1, 0 },
		{ "RSET x", BSMTP_E_NO_ARGS, BSMTP_RSET, "", -1, 0 },
		{ "QUIT x", BSMTP_E_NO_ARGS, BSMTP_QUIT, "", -1, 0 },
		{ "MAIL", BSMTP_E_MAIL_SYNTAX, BSMTP_MAIL, "", -1, 0 },
		{ "MAIL FROM:a@example.com", BSMTP_E_MAIL_SYNTAX, BSMTP_MAIL,
		    "", -1, 0 },
		{ "MAIL TO:<a@example.com>", BSMTP_E_MAIL_SYNTAX, BSMTP_MAIL,
		    "", -1, 0 },
		{ "MAIL FROM:<a@example.com", BSMTP_E_MAIL_SYNTAX, BSMTP_MAIL,
		    "", -1, 0 },
		{ "MAIL FROM:<\"a>@example.com>", BSMTP_E_MAIL_SYNTAX,
		    BSMTP_MAIL, "", -1, 0 },
		{ "MAIL FROM:<a@example.com>SIZE=1", BSMTP_E_MAIL_SYNTAX,
		    BSMTP_MAIL, "<a@example.com>", -1, 0 },
		{ "MAIL FROM:<a@example.com> =1", BSMTP_E_MAIL_SYNTAX,
		    BSMTP_MAIL, "<a@example.com>", -1, 0 },
		{ "MAIL FROM:<a@example.com> -X", BSMTP_E_MAIL_SYNTAX,
		    BSMTP_MAIL, "<a@example.com>", -1, 0 },
		{ "MAIL FROM:<a@example.com> SIZE=", BSMTP_E_MAIL_SYNTAX,
		    BSMTP_MAIL, "<a@example.com>", -1, 0 },
		{ "MAIL FROM:<a@example.com> SIZE", BSMTP_E_SIZE_SYNTAX,
		    BSMTP_MAIL, "<a@example.com>", -1, 0 },
		{ "MAIL FROM:<a@example.com> SIZE=12a", BSMTP_E_SIZE_SYNTAX,
		    BSMTP_MAIL, "<a@example.com>", -1, 0 },
		{ "MAIL FROM:<a@example.com> SIZE=-1", BSMTP_E_SIZE_SYNTAX,
		    BSMTP_MAIL, "<a@example.com>", -1, 0 },
		{ "MAIL FROM:<a@example.com> SIZE=123456789012345678901",
		    BSMTP_E_SIZE_SYNTAX, BSMTP_MAIL, "<a@example.com>", -1, 0 },
		{ "MAIL FROM:<a@example.com> SIZE=1 SIZE=2",
		    BSMTP_E_PARAM_TWICE, BSMTP_MAIL, "<a@example.com>", 1, 0 },
		{ "MAIL FROM:<a@example.com> BODY=7BIT BODY=7BIT",
		    BSMTP_E_PARAM_TWICE, BSMTP_MAIL, "<a@example.com>", -1,
		    BSMTP_BODY_7BIT },
		{ "MAIL FROM:<a@example.com> BODY=BINARYMIME",
		    BSMTP_E_BODY_SYNTAX, BSMTP_MAIL, "<a@example.com>", -1, 0 },
		{ "MAIL FROM:<a@example.com> BODY", BSMTP_E_BODY_SYNTAX,
		    BSMTP_MAIL, "<a@example.com>", -1, 0 },
		{ "MAIL FROM:<a@example.com> SMTPUTF8", BSMTP_E_PARAM_UNKNOWN,
		    BSMTP_MAIL, "<a@example.com>", -1, 0 },
		{ "MAIL FROM:<a@example.com> RET=FULL", BSMTP_E_PARAM_UNKNOWN,
		    BSMTP_MAIL, "<a@example.com>", -1, 0 },
		{ "MAIL FROM:<a@example.com> AUTH=<>", BSMTP_E_PARAM_UNKNOWN,
		    BSMTP_MAIL, "<a@example.com>", -1, 0 },
		{ "RCPT", BSMTP_E_RCPT_SYNTAX, BSMTP_RCPT, "", -1, 0 },
		{ "RCPT TO:b@example.org", BSMTP_E_RCPT_SYNTAX, BSMTP_RCPT, "",
		    -1, 0 },
		{ "RCPT FROM:<b@example.org>", BSMTP_E_RCPT_SYNTAX, BSMTP_RCPT,
		    "", -1, 0 },
		{ "RCPT TO:<b@example.org> NOTIFY=NEVER", BSMTP_E_PARAM_UNKNOWN,
		    BSMTP_RCPT, "<b@example.org>", -1, 0 },
		{ "RCPT TO:<b@example.org> SIZE=1", BSMTP_E_PARAM_UNKNOWN,
		    BSMTP_RCPT, "<b@example.org>", -1, 0 },
		{ "RCPT TO:<b@example.org> x=", BSMTP_E_RCPT_SYNTAX, BSMTP_RCPT,
		    "<b@example.org>", -1, 0 },
		/* control bytes, wherever they are */
		{ "NOOP\tx", BSMTP_E_CONTROL, BSMTP_UNSUPPORTED, "", -1, 0 },
		{ "NOOP\rRSET", BSMTP_E_CONTROL, BSMTP_UNSUPPORTED, "", -1, 0 },
		{ "NOOP\x7f", BSMTP_E_CONTROL, BSMTP_UNSUPPORTED, "", -1, 0 },
		{ "\x1b[2JQUIT", BSMTP_E_CONTROL, BSMTP_UNSUPPORTED, "", -1,
		    0 },
		{ "RCPT TO:<a\x01@example.org>", BSMTP_E_CONTROL,
		    BSMTP_UNSUPPORTED, "", -1, 0 },
	};
	struct bsmtp_cmd cmd;
	enum bsmtp_error e;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e = bsmtp_parse(cases[i].line, strlen(cases[i].line), &cmd);
		is_str(bsmtp_error_text(e), bsmtp_error_text(cases[i].e),
		    "parse \"%s\": reply", cases[i].line);
		is_int(cmd.verb, cases[i].verb, "parse \"%s\": verb",
		    cases[i].line);
		is_str(cmd.path, cases[i].path, "parse \"%s\": path",
		    cases[i].line);
		is_int(cmd.size, cases[i].size, "parse \"%s\": SIZE",
		    cases[i].line);
		is_int(cmd.body, cases[i].body, "parse \"%s\": BODY",
		    cases[i].line);
	}
}

/* A NUL inside the line is a control byte too (the line has a length). */
static void
test_parse_nul(void)
{
	static const char line[] = "MAIL FROM:<a\0@example.com>";
	struct bsmtp_cmd  cmd;

	is_int(bsmtp_parse(line, sizeof(line) - 1, &cmd), BSMTP_E_CONTROL,
	    "NUL in a command: 501 5.5.2");
}

static void
test_sequence(void)
{
	static const struct {
		enum bsmtp_state st;
		int		 refused;
		enum bsmtp_verb	 verb;
		enum bsmtp_error e;
	} cases[] = {
		{ BSMTP_IDLE, 0, BSMTP_MAIL, BSMTP_OK },
		{ BSMTP_IDLE, 0, BSMTP_RCPT, BSMTP_E_NEED_MAIL },
		{ BSMTP_IDLE, 0, BSMTP_DATA, BSMTP_E_NEED_MAIL },
		{ BSMTP_MAILED, 0, BSMTP_MAIL, BSMTP_E_NESTED_MAIL },
		{ BSMTP_MAILED, 0, BSMTP_RCPT, BSMTP_OK },
		{ BSMTP_MAILED, 0, BSMTP_DATA, BSMTP_E_NEED_RCPT },
		{ BSMTP_MAILED, 1, BSMTP_DATA, BSMTP_E_NO_VALID_RCPT },
		{ BSMTP_RCPTED, 0, BSMTP_MAIL, BSMTP_E_NESTED_MAIL },
		{ BSMTP_RCPTED, 0, BSMTP_RCPT, BSMTP_OK },
		{ BSMTP_RCPTED, 1, BSMTP_DATA, BSMTP_OK },
		{ BSMTP_RCPTED, 0, BSMTP_RSET, BSMTP_OK },
		{ BSMTP_RCPTED, 0, BSMTP_EHLO, BSMTP_OK },
		{ BSMTP_IDLE, 0, BSMTP_QUIT, BSMTP_OK },
		{ BSMTP_MAILED, 0, BSMTP_NOOP, BSMTP_OK },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(bsmtp_error_text(bsmtp_sequence(cases[i].st,
			   cases[i].refused, cases[i].verb)),
		    bsmtp_error_text(cases[i].e), "sequence %zu", i);
}

/* Every error has its code: 500, 501, 502, 503, 554, 555 as RFC 5321. */
static void
test_error_texts(void)
{
	static const char *const codes[BSMTP_E_COUNT] = {
		[BSMTP_OK] = "250 2.0.0",
		[BSMTP_E_TOO_LONG] = "500 5.5.2",
		[BSMTP_E_CONTROL] = "501 5.5.2",
		[BSMTP_E_UNKNOWN] = "500 5.5.1",
		[BSMTP_E_UNSUPPORTED] = "502 5.5.1",
		[BSMTP_E_EXPN] = "502 5.5.1",
		[BSMTP_E_HELO_SYNTAX] = "501 5.5.4",
		[BSMTP_E_MAIL_SYNTAX] = "501 5.5.4",
		[BSMTP_E_RCPT_SYNTAX] = "501 5.5.4",
		[BSMTP_E_VRFY_SYNTAX] = "501 5.5.4",
		[BSMTP_E_NO_ARGS] = "501 5.5.4",
		[BSMTP_E_PARAM_UNKNOWN] = "555 5.5.4",
		[BSMTP_E_PARAM_TWICE] = "501 5.5.4",
		[BSMTP_E_SIZE_SYNTAX] = "501 5.5.4",
		[BSMTP_E_BODY_SYNTAX] = "501 5.5.4",
		[BSMTP_E_NESTED_MAIL] = "503 5.5.1",
		[BSMTP_E_NEED_MAIL] = "503 5.5.1",
		[BSMTP_E_NEED_RCPT] = "503 5.5.1",
		[BSMTP_E_NO_VALID_RCPT] = "554 5.5.1",
	};
	struct buf out = { 0 };
	int	   i;

	for (i = 0; i < BSMTP_E_COUNT; i++) {
		ok(strncmp(bsmtp_error_text(i), codes[i], 9) == 0 &&
			bsmtp_error_text(i)[9] == ' ',
		    "error %d: \"%s\"", i, bsmtp_error_text(i));
		buf_reset(&out);
		bsmtp_reply_error(&out, i);
		ok(out.len > 2 && strcmp(out.data + out.len - 2, "\r\n") == 0 &&
			strlen(out.data) < BSMTP_LINE_MAX,
		    "error %d as a line", i);
	}
	buf_free(&out);
}

static void
test_reply(void)
{
	struct buf out = { 0 };
	char	   big[2000];

	bsmtp_reply(&out, 250, 1, "%s", "host.example");
	bsmtp_reply(&out, 250, 0, "SIZE %d", 5242880);
	is_str(out.data, "250-host.example\r\n250 SIZE 5242880\r\n",
	    "reply lines");
	buf_reset(&out);
	bsmtp_reply(&out, 553, 0, "5.1.3 bad \"%s\"", "a\r\nRSET\x80\x01");
	is_str(out.data, "553 5.1.3 bad \"a??RSET??\"\r\n",
	    "control and 8-bit bytes in a reply's text become '?'");
	buf_reset(&out);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bsmtp_reply(&out, 554, 0, "5.6.0 %s", big);
	is_int((long)out.len, BSMTP_LINE_MAX,
	    "a long reply is cut to 512 "
	    "octets with its CRLF");
	ok(strcmp(out.data + out.len - 2, "\r\n") == 0, "...and ends in CRLF");
	buf_free(&out);
}

/* Frame all of input, in chunks of step bytes; lines joined by '|'. */
static void
frame_all(const char *input, size_t len, size_t step, char *got, size_t gotlen)
{
	struct bsmtp_framer f = { 0 };
	enum bsmtp_frame    r;
	char		    buf[4096];
	size_t		    have = 0, fed = 0, used, linelen;
	int		    crlf;

	got[0] = '\0';
	for (;;) {
		r = bsmtp_frame(&f, buf, have, &linelen, &crlf, &used);
		if (r == BSMTP_FRAME_LINE)
			snprintf(got + strlen(got), gotlen - strlen(got),
			    "%.*s%s|", (int)linelen, buf, crlf ? "(crlf)" : "");
		else if (r == BSMTP_FRAME_LONG)
			snprintf(got + strlen(got), gotlen - strlen(got),
			    "LONG|");
		memmove(buf, buf + used, have - used);
		have -= used;
		if (r != BSMTP_FRAME_NEED)
			continue;
		if (fed == len)
			break;
		if (have + step > sizeof(buf))
			break; /* the framer let too much pile up */
		memcpy(buf + have, input + fed,
		    len - fed < step ? len - fed : step);
		have += len - fed < step ? len - fed : step;
		fed += len - fed < step ? len - fed : step;
	}
	if (have > 0)
		snprintf(got + strlen(got), gotlen - strlen(got), "rest %zu",
		    have);
}

static void
test_frame(void)
{
	static char	    input[3000];
	static const size_t steps[] = { 1, 7, 512, 4000 };
	char		    got[4096];
	size_t		    i, n;

	n = (size_t)snprintf(input, sizeof(input), "HELO a\r\nNOOP\nQUIT");
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		frame_all(input, n, steps[i], got, sizeof(got));
		is_str(got, "HELO a(crlf)|NOOP|rest 4",
		    "frame CRLF, LF, "
		    "and an unfinished line, %zu bytes at a time",
		    steps[i]);
	}
	/* 510 octets and CRLF: the longest line; 511 and CRLF: too long */
	memset(input, 'a', 510);
	memcpy(input + 510, "\r\nX\r\n", 5);
	memset(input + 515, 'b', 511);
	memcpy(input + 1026, "\r\nY\r\n", 5);
	memset(input + 1031, 'c', 1500);
	memcpy(input + 2531, "\nZ\n", 3);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		frame_all(input, 2534, steps[i], got, sizeof(got));
		ok(strncmp(got, "aaaaaaaa", 8) == 0 &&
			strlen(got) ==
			    510 + strlen("(crlf)|X(crlf)|LONG|Y(crlf)|LONG|Z|"),
		    "frame the 512-octet limit, %zu bytes at a time", steps[i]);
		is_str(got + 510, "(crlf)|X(crlf)|LONG|Y(crlf)|LONG|Z|",
		    "...a longer line refused once, the next line kept");
	}
}

/* Unstuff input fed step bytes at a time into out room bytes at a time. */
static size_t
unstuff(const char *input, size_t len, int strict, size_t step, size_t room,
    char *out, size_t outlen, size_t *rest, long long *wire)
{
	struct bsmtp_data d;
	size_t		  off = 0, o = 0, used, n, chunk;

	bsmtp_data_init(&d, strict);
	while (off < len && !d.ended && o + room <= outlen) {
		chunk = len - off < step ? len - off : step;
		n = bsmtp_data_feed(&d, input + off, chunk, &used, out + o,
		    room);
		off += used;
		o += n;
		if (n == 0 && used == 0)
			break; /* no progress: a bug */
	}
	*rest = len - off;
	*wire = d.wire;
	out[o] = '\0';
	return d.ended ? o : (size_t)-1;
}

static void
test_data(void)
{
	static const struct {
		const char *name;
		int	    strict;
		const char *in;
		const char *out;  /* NULL: not ended */
		size_t	    rest; /* bytes after the final dot line */
		long long   wire;
		size_t	    inlen, outlen; /* 0: strlen */
	} cases[] = {
		{ "CRLF", 1, "a\r\nb\r\n.\r\n", "a\r\nb\r\n", 0, 6, 0, 0 },
		{ "empty message", 1, ".\r\n", "", 0, 0, 0, 0 },
		{ "stuffed dots", 1, "..a\r\n...\r\n.\r\n", ".a\r\n..\r\n", 0,
		    10, 0, 0 },
		{ "a dot and more: the dot goes (RFC 5321 4.5.2)", 1,
		    ".a\r\n.\r\n", "a\r\n", 0, 4, 0, 0 },
		{ "what follows the end stays", 1, "x\r\n.\r\nQUIT\r\n",
		    "x\r\n", 6, 3, 0, 0 },
		{ "CRLF client: LF.LF is data", 1,
		    "a\n.\nMAIL FROM:<e@x>\r\n.\r\n",
		    "a\n.\nMAIL FROM:<e@x>\r\n", 0, 23, 0, 0 },
		{ "CRLF client: CRLF.LF is data", 1, "a\r\n.\nb\r\n.\r\n",
		    "a\r\n\nb\r\n", 0, 9, 0, 0 },
		{ "CRLF client: LF.CRLF is data", 1, "a\n.\r\nb\r\n.\r\n",
		    "a\n.\r\nb\r\n", 0, 9, 0, 0 },
		{ "CRLF client: bare LF lines keep their dots", 1,
		    "a\n..b\r\n.\r\n", "a\n..b\r\n", 0, 8, 0, 0 },
		{ "CRLF client: CR.CR is data", 1, "a\r.\rb\r\n.\r\n",
		    "a\r.\rb\r\n", 0, 7, 0, 0 },
		{ "bare LF client: LF.LF ends", 0, "a\n..b\n.\nQUIT\n",
		    "a\n.b\n", 5, 8, 0, 0 },
		{ "bare LF client: CRLF.CRLF ends too", 0, "a\r\n.\r\n",
		    "a\r\n", 0, 3, 0, 0 },
		{ "a dot and a bare CR: data", 1, ".\rx\r\n.\r\n", "\rx\r\n", 0,
		    5, 0, 0 },
		{ "no end yet", 1, "a\r\n.", NULL, 0, 3, 0, 0 },
		{ "no end yet: CR held", 1, "a\r\n.\r", NULL, 0, 3, 0, 0 },
		{ "NUL bytes pass (message.c refuses them)", 1, "a\0b\r\n.\r\n",
		    "a\0b\r\n", 0, 5, 8, 5 },
	};
	static const size_t steps[] = { 1, 2, 3, 4096 };
	static const size_t rooms[] = { 2, 3, 4096 };
	char		    out[8192];
	size_t		    i, s, r, n = 0, rest = 0, inlen, outlen;
	long long	    wire = 0;
	int		    good;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		inlen = cases[i].inlen ? cases[i].inlen : strlen(cases[i].in);
		outlen = cases[i].outlen ? cases[i].outlen :
		    cases[i].out	 ? strlen(cases[i].out) :
					   0;
		good = 1;
		for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++)
			for (r = 0; r < sizeof(rooms) / sizeof(rooms[0]); r++) {
				n = unstuff(cases[i].in, inlen, cases[i].strict,
				    steps[s], rooms[r], out, sizeof(out) - 1,
				    &rest, &wire);
				if (cases[i].out == NULL)
					good &= n == (size_t)-1;
				else
					good &= n == outlen &&
					    memcmp(out, cases[i].out, n) == 0 &&
					    rest == cases[i].rest &&
					    wire == cases[i].wire;
			}
		ok(good, "unstuff: %s", cases[i].name);
		if (!good)
			printf("#   last: %zu bytes \"%s\", rest %zu, wire "
			       "%lld\n",
			    n, out, rest, wire);
	}
}

int
main(void)
{
	test_parse();
	test_parse_nul();
	test_sequence();
	test_error_texts();
	test_reply();
	test_frame();
	test_data();
	return done_testing();
}
