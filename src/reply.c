/*
 * reply.c - SMTP reply parsing; see reply.h.
 */

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reply.h"

void
reply_reset(struct reply *r)
{
	r->code = 0;
	r->enhanced[0] = '\0';
	r->lines = 0;
	r->complete = 0;
	buf_reset(&r->text);
}

void
reply_free(struct reply *r)
{
	buf_free(&r->text);
	reply_reset(r);
}

/*
 * RFC 3463: class "." subject "." detail, class matching the reply's
 * first digit, subject and detail 1 to 3 digits.  Returns its length.
 */
static size_t
enhanced_length(const char *s, size_t len, int code)
{
	size_t i = 0, part, digits;

	if (len < 5 || s[0] != '0' + code / 100 || s[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (digits = 0; i < len && isdigit((unsigned char)s[i]); i++)
			digits++;
		if (digits == 0 || digits > 3)
			return 0;
		if (part == 0) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < len && s[i] != ' ')
		return 0;
	return i;
}

static int
parse_code(const char *line, size_t len)
{
	if (len < 3 || !isdigit((unsigned char)line[0]) ||
	    !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]))
		return -1;
	if (line[0] < '2' || line[0] > '5')
		return -1;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + line[2] - '0';
}

int
reply_feed(struct reply *r, const char *line, size_t len, char *err,
    size_t errlen)
{
	int    code;
	size_t elen;

	if ((code = parse_code(line, len)) == -1) {
		snprintf(err, errlen, "malformed reply line from server");
		return -1;
	}
	if (r->lines > 0 && code != r->code) {
		snprintf(err, errlen,
		    "reply code changed from %d to %d "
		    "within one reply",
		    r->code, code);
		return -1;
	}
	if (r->lines >= REPLY_MAX_LINES) {
		snprintf(err, errlen,
		    "reply from server has more than %d "
		    "lines",
		    REPLY_MAX_LINES);
		return -1;
	}
	if (r->text.len + len > REPLY_MAX_BYTES) {
		snprintf(err, errlen, "reply from server longer than %d bytes",
		    REPLY_MAX_BYTES);
		return -1;
	}
	r->lines++;
	r->code = code;
	if (r->lines > 1 && buf_add(&r->text, "\n", 1) == -1)
		goto nomem;
	if (len > 4 && buf_add(&r->text, line + 4, len - 4) == -1)
		goto nomem;
	if (r->lines == 1 && len > 4 &&
	    (elen = enhanced_length(line + 4, len - 4, code)) > 0 &&
	    elen < sizeof(r->enhanced)) {
		memcpy(r->enhanced, line + 4, elen);
		r->enhanced[elen] = '\0';
	}
	r->complete = len <= 3 || line[3] == ' ';
	return r->complete;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

enum reply_class
reply_classify(int code)
{
	if (code >= 200 && code < 400)
		return REPLY_OK;
	if (code >= 400 && code < 500)
		return REPLY_TEMP;
	return REPLY_PERM;
}

void
reply_oneline(const struct reply *r, char *out, size_t outlen)
{
	size_t	      i, o;
	int	      n;
	unsigned char c;

	if (outlen == 0)
		return;
	n = snprintf(out, outlen, "%03d ", r->code);
	if (n < 0 || (size_t)n >= outlen)
		return;
	for (i = 0, o = (size_t)n; i < r->text.len && o + 2 < outlen; i++) {
		c = (unsigned char)r->text.data[i];
		if (c == '\n') {
			out[o++] = ';';
			out[o++] = ' ';
		} else
			/* ASCII only: syslog, the envelope, 7-bit notices */
			out[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	out[o < outlen ? o : outlen - 1] = '\0';
}

/* Is the keyword at s (length len) the EHLO keyword kw? */
static int
keyword_is(const char *s, size_t len, const char *kw)
{
	size_t kwlen = strlen(kw);

	return len == kwlen && strncasecmp(s, kw, kwlen) == 0;
}

static void
parse_auth(const char *p, const char *end, struct smtp_caps *caps)
{
	const char *w;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '='))
			p++;
		for (w = p; p < end && *p != ' '; p++)
			;
		if (keyword_is(w, (size_t)(p - w), "PLAIN"))
			caps->auth_plain = 1;
		else if (keyword_is(w, (size_t)(p - w), "LOGIN"))
			caps->auth_login = 1;
	}
}

static void
parse_ehlo_line(const char *p, const char *end, struct smtp_caps *caps)
{
	const char *kw = p;
	size_t	    kwlen;
	char	    num[24];
	const char *errstr;

	/* "AUTH=PLAIN LOGIN" is the pre-RFC 4954 form some servers send */
	while (p < end && *p != ' ' && *p != '=')
		p++;
	kwlen = (size_t)(p - kw);
	if (keyword_is(kw, kwlen, "AUTH"))
		parse_auth(p, end, caps);
	else if (keyword_is(kw, kwlen, "SIZE")) {
		caps->size_known = 1;
		while (p < end && *p == ' ')
			p++;
		if (p < end && (size_t)(end - p) < sizeof(num)) {
			memcpy(num, p, (size_t)(end - p));
			num[end - p] = '\0';
			caps->size = strtonum(num, 0, LLONG_MAX, &errstr);
		}
	} else if (keyword_is(kw, kwlen, "8BITMIME"))
		caps->eightbitmime = 1;
	else if (keyword_is(kw, kwlen, "PIPELINING"))
		caps->pipelining = 1;
	else if (keyword_is(kw, kwlen, "ENHANCEDSTATUSCODES"))
		caps->enhancedstatuscodes = 1;
	else if (keyword_is(kw, kwlen, "DSN"))
		caps->dsn = 1;
	else if (keyword_is(kw, kwlen, "SMTPUTF8"))
		caps->smtputf8 = 1;
	else if (keyword_is(kw, kwlen, "STARTTLS"))
		caps->starttls = 1;
}

void
reply_parse_ehlo(const struct reply *r, struct smtp_caps *caps)
{
	const char *p, *end, *nl;

	memset(caps, 0, sizeof(*caps));
	if (r->text.data == NULL)
		return;
	p = r->text.data;
	end = p + r->text.len;
	/* the first line is the server's greeting, not a keyword */
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return;
	for (p = nl + 1; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		parse_ehlo_line(p, nl, caps);
	}
}
