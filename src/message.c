/*
 * message.c - a submitted message into the spool; see message.h.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "message.h"
#include "qp.h"

/* Bytes gathered before one write to the sink. */
#define WRITE_CHUNK (64 * 1024)

void
message_init(struct message *m, int ignore_dots)
{
	memset(m, 0, sizeof(*m));
	m->norm.ignore_dots = ignore_dots;
	m->norm.bol = 1;
	m->wire_bol = 1;
}

void
message_free(struct message *m)
{
	header_free(&m->hs);
	buf_free(&m->head);
}

/* A line ends; a line that was only "." ends the input (no -i). */
static char *
end_line(struct message_norm *n, char *o)
{
	if (n->dot) {
		n->dot = 0;
		n->ended = 1;
		return o;
	}
	*o++ = '\n';
	if (n->linelen > n->longest)
		n->longest = n->linelen;
	n->linelen = 0;
	n->bol = 1;
	return o;
}

/*
 * Where the next CR or LF is, from p on (end when none).  *cr remembers
 * the next CR (NULL: not searched yet), so that input without CRs costs
 * one memchr() for them per chunk, not one per line.
 */
static const char *
next_break(const char *p, const char *end, const char **cr)
{
	const char *nl;

	if (*cr == NULL || *cr < p) {
		*cr = memchr(p, '\r', (size_t)(end - p));
		if (*cr == NULL)
			*cr = end;
	}
	nl = memchr(p, '\n', (size_t)(*cr - p));
	return nl != NULL ? nl : *cr;
}

/* A dot held back at the start of the line turned out to be data. */
static char *
release_dot(struct message_norm *n, char *o)
{
	if (n->dot) {
		*o++ = '.';
		n->dot = 0;
		n->linelen = 1;
	}
	return o;
}

/*
 * A CR that no LF follows ends no line: it becomes a space within its
 * line, so that it can start no header field (no Bcc, no recipient for
 * -t), forge no MIME boundary and end no input as a lone dot, and the
 * relay gets no bare CR (RFC 5321 section 2.3.8).  Postfix does the same
 * against SMTP smuggling (cleanup_replace_stray_cr_lf).
 */
static char *
stray_cr(struct message_norm *n, char *o)
{
	o = release_dot(n, o);
	*o++ = ' ';
	n->linelen++;
	n->bol = 0;
	return o;
}

/*
 * Copy the bytes from p up to the next CR or LF onto o: they are data
 * whatever they are.  A dot held back at the start of the line was data
 * too.  Returns the new end of the output; *pp moves past the copy.
 */
static char *
copy_span(struct message_norm *n, const char **pp, const char *end,
    const char **cr, char *o)
{
	const char *p = *pp, *stop = next_break(p, end, cr);

	o = release_dot(n, o);
	memcpy(o, p, (size_t)(stop - p));
	n->linelen += (size_t)(stop - p);
	n->bol = 0;
	*pp = stop;
	return o + (stop - p);
}

/* Whether any of len bytes has its high bit set, a word at a time. */
static int
has_8bit(const char *p, size_t len)
{
	uint64_t      w, acc = 0;
	unsigned char tail = 0;
	size_t	      i;

	for (i = 0; i + sizeof(w) <= len; i += sizeof(w)) {
		memcpy(&w, p + i, sizeof(w));
		acc |= w;
	}
	for (; i < len; i++)
		tail |= (unsigned char)p[i];
	return (acc & UINT64_C(0x8080808080808080)) != 0 || (tail & 0x80);
}

/*
 * Normalise len input bytes onto out: CRLF and LF end a line with LF; a
 * CR without an LF right after it is a space (stray_cr()).  A "." at the
 * start of a line is held back until we know whether the line is that
 * dot alone.  Everything else goes over in spans between CRs and LFs,
 * not byte by byte: a 4.5 MiB message is mostly such spans.
 */
static int
norm_feed(struct message *m, const char *in, size_t len, struct buf *out)
{
	struct message_norm *n = &m->norm;
	const char	    *p = in, *end = in + len, *cr = NULL;
	char		    *o, *start;

	/* at most the held dot and the space of a CR that ended the last
	 * chunk more than the input */
	if (buf_reserve(out, len + 4) == -1)
		return -1;
	o = start = out->data + out->len;
	while (p < end && !n->ended) {
		if (n->cr) {
			/* the CR before (perhaps at the end of the last
			 * chunk) is a line end only with this LF */
			n->cr = 0;
			if (*p == '\n') {
				o = end_line(n, o);
				p++;
			} else
				o = stray_cr(n, o);
		} else if (*p == '\r') {
			n->cr = 1;
			p++;
		} else if (*p == '\n') {
			o = end_line(n, o);
			p++;
		} else if (n->bol && *p == '.' && !n->ignore_dots) {
			n->dot = 1;
			n->bol = 0;
			p++;
		} else
			o = copy_span(n, &p, end, &cr, o);
	}
	/* what was written is the input's data bytes: judge them once */
	n->nul = n->nul || memchr(start, '\0', (size_t)(o - start)) != NULL;
	n->eightbit = n->eightbit || has_8bit(start, (size_t)(o - start));
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return 0;
}

/* End of input: a last line without its line end gets one. */
static int
norm_finish(struct message *m, struct buf *out)
{
	struct message_norm *n = &m->norm;
	char		    *o;

	n->eof = 1;
	if (buf_reserve(out, 4) == -1)
		return -1;
	o = out->data + out->len;
	if (n->cr) {
		n->cr = 0;
		o = stray_cr(n, o);
	}
	if (n->dot || !n->bol)
		o = end_line(n, o);
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return 0;
}

/* Read one chunk of input through the normaliser onto out. */
static enum message_result
read_more(struct message *m, const struct message_source *src, struct buf *out,
    char *err, size_t errlen)
{
	char	chunk[16384];
	ssize_t n;

	do
		n = src->read(src->ctx, chunk, sizeof(chunk));
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		snprintf(err, errlen, "cannot read the message: %s",
		    strerror(errno));
		return MESSAGE_READ_ERROR;
	}
	if ((n == 0 ? norm_finish(m, out) :
		      norm_feed(m, chunk, (size_t)n, out)) == -1) {
		snprintf(err, errlen, "out of memory");
		return MESSAGE_WRITE_ERROR;
	}
	return MESSAGE_OK;
}

/*
 * Is the end of the header section known?  Only a complete line after it
 * can tell: "foo" may yet become "foo: bar".
 */
static int
header_complete(struct message *m)
{
	const char *p = m->head.data;
	size_t	    len = m->head.len;
	int	    blank;

	if (m->norm.eof || m->norm.ended)
		return 1;
	m->header_len = header_section_length(p, len, &blank);
	return m->header_len < len &&
	    memchr(p + m->header_len, '\n', len - m->header_len) != NULL;
}

/* Longest line of the body bytes already read, for the 998 rule. */
static size_t
longest_line(const char *p, size_t len)
{
	const char *nl;
	size_t	    longest = 0;

	while ((nl = memchr(p, '\n', len)) != NULL) {
		if ((size_t)(nl - p) > longest)
			longest = (size_t)(nl - p);
		len -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	return longest;
}

enum message_result
message_read_header(struct message *m, const struct message_source *src,
    char *err, size_t errlen)
{
	enum message_result r;
	int		    blank = 0;

	while (!header_complete(m)) {
		if (m->head.len > MESSAGE_MAX_HEADER) {
			snprintf(err, errlen,
			    "header section larger than %d "
			    "bytes (no blank line before the body?)",
			    MESSAGE_MAX_HEADER);
			return MESSAGE_BAD;
		}
		if ((r = read_more(m, src, &m->head, err, errlen)) !=
		    MESSAGE_OK)
			return r;
	}
	if (m->head.data == NULL || m->head.len == 0) {
		snprintf(err, errlen, "empty message");
		return MESSAGE_BAD;
	}
	m->header_len = header_section_length(m->head.data, m->head.len,
	    &blank);
	m->body_off = m->header_len + (blank ? 1 : 0);
	if (header_parse(&m->hs, m->head.data, m->header_len, err, errlen) ==
	    -1)
		return MESSAGE_BAD;
	/* from here on the normaliser measures body lines only */
	m->norm.longest = longest_line(m->head.data + m->body_off,
	    m->head.len - m->body_off);
	return MESSAGE_OK;
}

/*
 * Count what len bytes on their way to the spool add on the wire: a CR
 * before each LF, and a second dot for each line that starts with one
 * (smtp.c's dot-stuffing).
 */
static void
count_wire(struct message *m, const char *p, size_t len)
{
	const char *end = p + len, *nl;

	while (p < end) {
		if (m->wire_bol && *p == '.')
			m->dots++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			m->wire_bol = 0;
			return;
		}
		m->lines++;
		m->wire_bol = 1;
		p = nl + 1;
	}
}

/*
 * Write out to the sink, unless the message is now over max_size on the
 * wire: refused before it is written, so before it can be acknowledged.
 * last: out ends the message (the size is known, not a lower bound).
 */
static enum message_result
flush(struct message *m, const struct message_sink *sink, struct buf *out,
    long long max_size, int last, char *err, size_t errlen)
{
	m->size += (long long)out->len;
	count_wire(m, out->data, out->len);
	if (message_wire_size(m) > max_size) {
		snprintf(err, errlen,
		    "message is %s%lld bytes on the wire, "
		    "over the limit of %lld bytes ([delivery] max_size)",
		    last ? "" : "at least ", message_wire_size(m), max_size);
		return MESSAGE_BAD;
	}
	if (out->len > 0 &&
	    sink->write(sink->ctx, out->data, out->len, err, errlen) == -1)
		return MESSAGE_WRITE_ERROR;
	buf_reset(out);
	return MESSAGE_OK;
}

/* What can only be judged once the whole input was read. */
static enum message_result
check_body(const struct message *m, char *err, size_t errlen)
{
	if (m->norm.nul) {
		snprintf(err, errlen, "the message holds NUL bytes");
		return MESSAGE_BAD;
	}
	if (m->norm.longest > HEADER_LINE_MAX) {
		snprintf(err, errlen,
		    "a body line is %zu bytes long, over "
		    "the limit of %d (RFC 5322 2.1.1), and the body is not "
		    "one text part that could be re-encoded: encode it "
		    "(quoted-printable or base64)",
		    m->norm.longest, HEADER_LINE_MAX);
		return MESSAGE_LONG_LINES;
	}
	return MESSAGE_OK;
}

enum message_result
message_write(struct message *m, const struct header_edit *edit,
    const struct message_source *src, const struct message_sink *sink,
    long long max_size, char *err, size_t errlen)
{
	struct buf	    out = { 0 };
	enum message_result r = MESSAGE_BAD, r2;

	if (header_rewrite(&m->hs, edit, &out, err, errlen) == -1)
		goto done;
	m->header_bytes = (long long)out.len + 1;
	if (buf_add(&out, "\n", 1) == -1 ||
	    buf_add(&out, m->head.data + m->body_off,
		m->head.len - m->body_off) == -1) {
		snprintf(err, errlen, "out of memory");
		r = MESSAGE_WRITE_ERROR;
		goto done;
	}
	while (!m->norm.eof && !m->norm.ended) {
		if (out.len >= WRITE_CHUNK &&
		    (r = flush(m, sink, &out, max_size, 0, err, errlen)) !=
			MESSAGE_OK)
			goto done;
		if ((r = read_more(m, src, &out, err, errlen)) != MESSAGE_OK)
			goto done;
	}
	if ((r = check_body(m, err, errlen)) == MESSAGE_BAD)
		goto done;
	if ((r2 = flush(m, sink, &out, max_size, 1, err, errlen)) != MESSAGE_OK)
		r = r2;
	m->eightbit = m->norm.eightbit;
done:
	buf_free(&out);
	return r;
}

/* Is the field absent, or does its value start with one of prefixes? */
static int
absent_or(const struct message *m, const char *name,
    const char *const *prefixes)
{
	const char *v;
	ssize_t	    i;
	size_t	    len, k;

	if ((i = header_find(&m->hs, name, 0)) < 0)
		return 1;
	v = header_value(&m->hs, (size_t)i, &len);
	while (len > 0 && (*v == ' ' || *v == '\t' || *v == '\n')) {
		v++;
		len--;
	}
	for (k = 0; prefixes[k] != NULL; k++)
		if (len >= strlen(prefixes[k]) &&
		    strncasecmp(v, prefixes[k], strlen(prefixes[k])) == 0)
			return 1;
	return 0;
}

int
message_can_reencode(const struct message *m)
{
	static const char *const text[] = { "text/", NULL };
	static const char *const raw[] = { "7bit", "8bit", "binary", NULL };

	return absent_or(m, "Content-Type", text) &&
	    absent_or(m, "Content-Transfer-Encoding", raw);
}

/* The header fields a quoted-printable body needs, after edit's own. */
static void
reencode_fields(const struct message *m, const struct header_edit *edit,
    const char *add[8])
{
	size_t n = 0, i;

	for (i = 0; edit->add != NULL && edit->add[i] != NULL && n < 4; i++)
		add[n++] = edit->add[i];
	if (header_find(&m->hs, "MIME-Version", 0) < 0)
		add[n++] = "MIME-Version: 1.0";
	if (header_find(&m->hs, "Content-Type", 0) < 0 && m->eightbit)
		add[n++] = "Content-Type: text/plain; charset=UTF-8";
	add[n++] = "Content-Transfer-Encoding: quoted-printable";
	add[n] = NULL;
}

/* Encode the complete lines of chunk onto out; the rest waits in line. */
static int
encode_lines(const char *p, size_t len, struct buf *line, struct buf *out)
{
	const char *nl;

	while ((nl = memchr(p, '\n', len)) != NULL) {
		if (buf_add(line, p, (size_t)(nl - p)) == -1 ||
		    qp_encode_line(line->data, line->len, out) == -1)
			return -1;
		buf_reset(line);
		len -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	return buf_add(line, p, len);
}

enum message_result
message_reencode(struct message *m, const struct header_edit *edit,
    const struct message_source *body, const struct message_sink *sink,
    long long max_size, char *err, size_t errlen)
{
	static const char *const drop[] = { "Content-Transfer-Encoding", NULL };
	struct header_edit	 e2 = *edit;
	struct buf		 out = { 0 }, line = { 0 };
	enum message_result	 r = MESSAGE_BAD;
	const char		*add[8];
	char			 chunk[16384];
	ssize_t			 n;

	reencode_fields(m, edit, add);
	e2.add = add;
	e2.drop = drop;
	m->size = m->lines = m->dots = 0;
	m->wire_bol = 1;
	if (header_rewrite(&m->hs, &e2, &out, err, errlen) == -1)
		goto done;
	m->header_bytes = (long long)out.len + 1;
	r = MESSAGE_WRITE_ERROR;
	if (buf_add(&out, "\n", 1) == -1)
		goto nomem;
	while ((n = body->read(body->ctx, chunk, sizeof(chunk))) > 0) {
		if (encode_lines(chunk, (size_t)n, &line, &out) == -1)
			goto nomem;
		if (out.len >= WRITE_CHUNK &&
		    (r = flush(m, sink, &out, max_size, 0, err, errlen)) !=
			MESSAGE_OK)
			goto done;
	}
	if (n == -1) {
		snprintf(err, errlen, "cannot read the spooled message back");
		goto done;
	}
	if (line.len > 0 && qp_encode_line(line.data, line.len, &out) == -1)
		goto nomem;
	r = flush(m, sink, &out, max_size, 1, err, errlen);
	/* the body is 7-bit now; only the header may still be 8-bit */
	m->eightbit = has_8bit(m->head.data, m->header_len);
	goto done;
nomem:
	snprintf(err, errlen, "out of memory");
done:
	buf_free(&line);
	buf_free(&out);
	return r;
}

/*
 * RFC 1870 section 3 counts the CRLFs but not the doubled dots.  They are
 * counted here all the same: refusing a message a few bytes under the
 * relay's limit is better than accepting one that the relay then refuses
 * when it is too late to tell the caller.
 */
long long
message_wire_size(const struct message *m)
{
	return m->size + m->lines + m->dots;
}
