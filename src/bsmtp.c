/*
 * bsmtp.c - the pure part of the -bs SMTP server; see bsmtp.h.
 */

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bsmtp.h"

static const struct {
	const char     *name;
	enum bsmtp_verb verb;
} verbs[] = {
	{ "HELO", BSMTP_HELO },
	{ "EHLO", BSMTP_EHLO },
	{ "MAIL", BSMTP_MAIL },
	{ "RCPT", BSMTP_RCPT },
	{ "DATA", BSMTP_DATA },
	{ "RSET", BSMTP_RSET },
	{ "NOOP", BSMTP_NOOP },
	{ "QUIT", BSMTP_QUIT },
	{ "HELP", BSMTP_HELP },
	{ "VRFY", BSMTP_VRFY },
	{ "EXPN", BSMTP_EXPN },
	/* extensions we do not offer: the pipe is local, so no AUTH or
	 * STARTTLS; no CHUNKING, no queue starts, no old forms of MAIL */
	{ "AUTH", BSMTP_UNSUPPORTED },
	{ "STARTTLS", BSMTP_UNSUPPORTED },
	{ "BDAT", BSMTP_UNSUPPORTED },
	{ "ETRN", BSMTP_UNSUPPORTED },
	{ "TURN", BSMTP_UNSUPPORTED },
	{ "ATRN", BSMTP_UNSUPPORTED },
	{ "SEND", BSMTP_UNSUPPORTED },
	{ "SOML", BSMTP_UNSUPPORTED },
	{ "SAML", BSMTP_UNSUPPORTED },
	{ "XCLIENT", BSMTP_UNSUPPORTED },
	{ "XFORWARD", BSMTP_UNSUPPORTED },
};

static const char *const error_texts[BSMTP_E_COUNT] = {
	[BSMTP_OK] = "250 2.0.0 Ok",
	[BSMTP_E_TOO_LONG] = "500 5.5.2 Line too long: 512 octets at most",
	[BSMTP_E_CONTROL] = "501 5.5.2 Syntax error: control character in "
			    "command",
	[BSMTP_E_UNKNOWN] = "500 5.5.1 Command unrecognized",
	[BSMTP_E_UNSUPPORTED] = "502 5.5.1 Command not implemented",
	[BSMTP_E_EXPN] = "502 5.5.1 EXPN not available: the aliases stay "
			 "private",
	[BSMTP_E_HELO_SYNTAX] = "501 5.5.4 Syntax: HELO hostname",
	[BSMTP_E_MAIL_SYNTAX] = "501 5.5.4 Syntax: MAIL FROM:<address> "
				"[SIZE=octets] [BODY=7BIT|8BITMIME]",
	[BSMTP_E_RCPT_SYNTAX] = "501 5.5.4 Syntax: RCPT TO:<address>",
	[BSMTP_E_VRFY_SYNTAX] = "501 5.5.4 Syntax: VRFY address",
	[BSMTP_E_NO_ARGS] = "501 5.5.4 Syntax: no parameters allowed",
	[BSMTP_E_PARAM_UNKNOWN] = "555 5.5.4 MAIL FROM/RCPT TO parameter not "
				  "recognized or not implemented",
	[BSMTP_E_PARAM_TWICE] = "501 5.5.4 Syntax: a parameter given twice",
	[BSMTP_E_SIZE_SYNTAX] = "501 5.5.4 Syntax: SIZE=octets",
	[BSMTP_E_BODY_SYNTAX] = "501 5.5.4 Syntax: BODY=7BIT or "
				"BODY=8BITMIME",
	[BSMTP_E_NESTED_MAIL] = "503 5.5.1 Error: nested MAIL command",
	[BSMTP_E_NEED_MAIL] = "503 5.5.1 Error: need MAIL command",
	[BSMTP_E_NEED_RCPT] = "503 5.5.1 Error: need RCPT command",
	[BSMTP_E_NO_VALID_RCPT] = "554 5.5.1 Error: no valid recipients",
};

const char *
bsmtp_error_text(enum bsmtp_error e)
{
	if ((int)e < 0 || e >= BSMTP_E_COUNT)
		e = BSMTP_E_UNKNOWN;
	return error_texts[e];
}

int
bsmtp_reply_error(struct buf *out, enum bsmtp_error e)
{
	return buf_addf(out, "%s\r\n", bsmtp_error_text(e));
}

int
bsmtp_reply(struct buf *out, int code, int more, const char *fmt, ...)
{
	/* the line is "CODE" SP-or-"-" text CRLF */
	char	text[BSMTP_LINE_MAX - 6 + 1];
	va_list ap;
	size_t	i;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* replies are ASCII text on one line: the text may quote an address
	 * or a reason built from the client's input */
	for (i = 0; text[i] != '\0'; i++)
		if ((unsigned char)text[i] < 0x20 ||
		    (unsigned char)text[i] >= 0x7f)
			text[i] = '?';
	return buf_addf(out, "%03d%c%s\r\n", code, more ? '-' : ' ', text);
}

enum bsmtp_frame
bsmtp_frame(struct bsmtp_framer *f, const char *p, size_t len, size_t *linelen,
    int *crlf, size_t *used)
{
	const char *nl = memchr(p, '\n', len);
	size_t	    n;

	*linelen = 0;
	*crlf = 0;
	if (f->skipping) {
		/* the rest of a refused line, up to and with its end */
		f->skipping = nl == NULL;
		*used = nl != NULL ? (size_t)(nl - p) + 1 : len;
		return *used > 0 ? BSMTP_FRAME_SKIP : BSMTP_FRAME_NEED;
	}
	if (nl != NULL && (n = (size_t)(nl - p) + 1) <= BSMTP_LINE_MAX) {
		*crlf = n >= 2 && nl[-1] == '\r';
		*linelen = n - 1 - (size_t)*crlf;
		*used = n;
		return BSMTP_FRAME_LINE;
	}
	if (nl == NULL && len < BSMTP_LINE_MAX) {
		*used = 0;
		return BSMTP_FRAME_NEED;
	}
	/* too long: drop what we have of it, and the rest as it comes */
	f->skipping = nl == NULL;
	*used = nl != NULL ? (size_t)(nl - p) + 1 : len;
	return BSMTP_FRAME_LONG;
}

/* A keyword of RFC 5321 section 4.1.2: ALPHA / DIGIT, then also "-". */
static int
is_keyword(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || p[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') ||
			(p[i] >= 'a' && p[i] <= 'z') ||
			(p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
			return 0;
	return 1;
}

/* An esmtp-value: printable ASCII but "=" (no space: it ends it). */
static int
is_value(const char *p, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] < 33 || p[i] > 126 || p[i] == '=')
			return 0;
	return 1;
}

/* RFC 1870: SIZE=1*20DIGIT; a value too big for us is just big. */
static enum bsmtp_error
parse_size(const char *v, size_t len, long long *size)
{
	long long n = 0;
	size_t	  i;

	if (len == 0 || len > 20)
		return BSMTP_E_SIZE_SYNTAX;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return BSMTP_E_SIZE_SYNTAX;
		n = n > (LLONG_MAX - 9) / 10 ? LLONG_MAX :
					       n * 10 + (v[i] - '0');
	}
	*size = n;
	return BSMTP_OK;
}

static int
word_is(const char *p, size_t len, const char *word)
{
	return len == strlen(word) && strncasecmp(p, word, len) == 0;
}

/* One MAIL parameter: SIZE or BODY, each at most once. */
static enum bsmtp_error
mail_param(const char *k, size_t klen, const char *v, size_t vlen,
    struct bsmtp_cmd *cmd)
{
	if (word_is(k, klen, "SIZE")) {
		if (cmd->size != -1)
			return BSMTP_E_PARAM_TWICE;
		return v == NULL ? BSMTP_E_SIZE_SYNTAX :
				   parse_size(v, vlen, &cmd->size);
	}
	if (word_is(k, klen, "BODY")) {
		if (cmd->body != BSMTP_BODY_NONE)
			return BSMTP_E_PARAM_TWICE;
		if (v != NULL && word_is(v, vlen, "7BIT"))
			cmd->body = BSMTP_BODY_7BIT;
		else if (v != NULL && word_is(v, vlen, "8BITMIME"))
			cmd->body = BSMTP_BODY_8BITMIME;
		else
			return BSMTP_E_BODY_SYNTAX;
		return BSMTP_OK;
	}
	return BSMTP_E_PARAM_UNKNOWN;
}

/*
 * The parameters after a path: SP-separated "keyword[=value]".  RCPT
 * takes none (no DSN offered); MAIL takes SIZE and BODY.
 */
static enum bsmtp_error
parse_params(const char *p, const char *end, struct bsmtp_cmd *cmd,
    enum bsmtp_error syntax)
{
	const char	*w, *eq, *v;
	enum bsmtp_error e;

	while (p < end) {
		if (*p++ != ' ')
			return syntax;
		while (p < end && *p == ' ')
			p++;
		for (w = p; p < end && *p != ' '; p++)
			;
		if ((eq = memchr(w, '=', (size_t)(p - w))) == NULL)
			eq = p;
		v = eq < p ? eq + 1 : NULL;
		if (!is_keyword(w, (size_t)(eq - w)) ||
		    (v != NULL && !is_value(v, (size_t)(p - v))))
			return syntax;
		if (cmd->verb != BSMTP_MAIL)
			return BSMTP_E_PARAM_UNKNOWN;
		if ((e = mail_param(w, (size_t)(eq - w), v,
			 v != NULL ? (size_t)(p - v) : 0, cmd)) != BSMTP_OK)
			return e;
	}
	return BSMTP_OK;
}

/*
 * "FROM:<path> params" or "TO:<path>": the path up to the '>' that
 * closes it (a quoted local part may hold '>' or a space), then the
 * parameters.  A space after the colon is tolerated, as Postfix does.
 */
static enum bsmtp_error
parse_path(const char *p, const char *end, const char *prefix,
    struct bsmtp_cmd *cmd, enum bsmtp_error syntax)
{
	const char *start;
	size_t	    plen = strlen(prefix);
	int	    quoted = 0;

	if ((size_t)(end - p) < plen || strncasecmp(p, prefix, plen) != 0)
		return syntax;
	for (p += plen; p < end && *p == ' '; p++)
		;
	if (p == end || *p != '<')
		return syntax;
	for (start = p++; p < end; p++) {
		if (*p == '\\' && quoted && p + 1 < end)
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == '>' && !quoted)
			break;
	}
	if (p == end || (size_t)(p + 1 - start) >= sizeof(cmd->path))
		return syntax;
	memcpy(cmd->path, start, (size_t)(p + 1 - start));
	cmd->path[p + 1 - start] = '\0';
	return parse_params(p + 1, end, cmd, syntax);
}

/* What the verb's arguments must be. */
static enum bsmtp_error
parse_args(const char *p, const char *end, struct bsmtp_cmd *cmd)
{
	switch (cmd->verb) {
	case BSMTP_HELO:
	case BSMTP_EHLO: return p < end ? BSMTP_OK : BSMTP_E_HELO_SYNTAX;
	case BSMTP_MAIL:
		return parse_path(p, end, "FROM:", cmd, BSMTP_E_MAIL_SYNTAX);
	case BSMTP_RCPT:
		return parse_path(p, end, "TO:", cmd, BSMTP_E_RCPT_SYNTAX);
	case BSMTP_DATA:
	case BSMTP_RSET:
	case BSMTP_QUIT: return p < end ? BSMTP_E_NO_ARGS : BSMTP_OK;
	case BSMTP_VRFY: return p < end ? BSMTP_OK : BSMTP_E_VRFY_SYNTAX;
	case BSMTP_EXPN: return BSMTP_E_EXPN;
	case BSMTP_UNSUPPORTED: return BSMTP_E_UNSUPPORTED;
	case BSMTP_NOOP:
	case BSMTP_HELP: break;
	}
	return BSMTP_OK;
}

enum bsmtp_error
bsmtp_parse(const char *line, size_t len, struct bsmtp_cmd *cmd)
{
	const char *end, *sp;
	size_t	    i;

	memset(cmd, 0, sizeof(*cmd));
	cmd->verb = BSMTP_UNSUPPORTED;
	cmd->size = -1;
	while (len > 0 && line[len - 1] == ' ')
		len--;
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return BSMTP_E_CONTROL;
	end = line + len;
	if ((sp = memchr(line, ' ', len)) == NULL)
		sp = end;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (word_is(line, (size_t)(sp - line), verbs[i].name))
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return BSMTP_E_UNKNOWN;
	cmd->verb = verbs[i].verb;
	while (sp < end && *sp == ' ')
		sp++;
	return parse_args(sp, end, cmd);
}

enum bsmtp_error
bsmtp_sequence(enum bsmtp_state st, int rcpt_refused, enum bsmtp_verb verb)
{
	switch (verb) {
	case BSMTP_MAIL:
		return st == BSMTP_IDLE ? BSMTP_OK : BSMTP_E_NESTED_MAIL;
	case BSMTP_RCPT: return st == BSMTP_IDLE ? BSMTP_E_NEED_MAIL : BSMTP_OK;
	case BSMTP_DATA:
		if (st == BSMTP_IDLE)
			return BSMTP_E_NEED_MAIL;
		if (st == BSMTP_MAILED)
			return rcpt_refused ? BSMTP_E_NO_VALID_RCPT :
					      BSMTP_E_NEED_RCPT;
		return BSMTP_OK;
	default: return BSMTP_OK;
	}
}

void
bsmtp_data_init(struct bsmtp_data *d, int strict)
{
	memset(d, 0, sizeof(*d));
	d->strict = strict;
	d->bol = 1;
}

/*
 * Copy from in up to and with the next LF (or as much as fits) onto out;
 * returns the count.  A LF starts a line unless the framing is strict and
 * no CR came before it.
 */
static size_t
copy_span(struct bsmtp_data *d, const char *in, size_t len, char *out,
    size_t room)
{
	size_t	    n = len < room ? len : room, k;
	const char *nl = memchr(in, '\n', n);
	int	    cr_before;

	k = nl != NULL ? (size_t)(nl - in) + 1 : n;
	memcpy(out, in, k);
	d->wire += (long long)k;
	if (nl != NULL) {
		cr_before = k >= 2 ? in[k - 2] == '\r' : d->cr;
		/* a bare LF goes out as CRLF */
		d->wire += cr_before ? 0 : 1;
		d->bol = !d->strict || cr_before;
		d->cr = 0;
	} else {
		d->bol = 0;
		d->cr = in[k - 1] == '\r';
	}
	return k;
}

size_t
bsmtp_data_feed(struct bsmtp_data *d, const char *in, size_t len, size_t *used,
    char *out, size_t outlen)
{
	size_t i = 0, o = 0, k;
	char   c;

	while (i < len && o + 2 <= outlen && !d->ended) {
		c = in[i];
		if (d->held == 1 && (c == '\r' || (c == '\n' && !d->strict))) {
			/* ".\r" so far, or ".\n" that ends it (not strict) */
			d->held = c == '\r' ? 2 : 0;
			d->ended = c == '\n';
			i++;
			continue;
		}
		if (d->held == 2 && c == '\n') {
			d->held = 0;
			d->ended = 1;
			i++;
			continue;
		}
		if (d->held != 0) {
			/* a line that starts with a dot and holds more: the
			 * dot goes (RFC 5321 section 4.5.2); a held CR is
			 * data */
			d->wire += d->held;
			if (d->held == 2)
				out[o++] = '\r';
			d->cr = d->held == 2;
			d->held = 0;
			d->bol = 0;
		}
		if (d->bol && c == '.') {
			d->held = 1;
			d->bol = 0;
			i++;
			continue;
		}
		k = copy_span(d, in + i, len - i, out + o, outlen - o);
		i += k;
		o += k;
	}
	*used = i;
	return o;
}
