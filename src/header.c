/*
 * header.c - line-based scanner and rewriter for a message header section;
 * see header.h for the contract.
 *
 * The section is read a line at a time: a line is a field line
 * ("Name:"), a continuation line (leading white space) or the end of the
 * section.  What happens to a field is decided by its name alone, through
 * the table field_rules[]; values that hold addresses are handed to
 * address_list_parse().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "address.h"
#include "base64.h"
#include "buf.h"
#include "header.h"

/* Longest field name quoted in an error message. */
#define NAME_SHOWN 40

enum field_action {
	FIELD_COPY,
	FIELD_DROP,	 /* Bcc: never sent (RFC 5322 3.6.3) */
	FIELD_MAP_FROM,	 /* originator: map_from */
	FIELD_MAP_RCPT,	 /* visible recipient: map_rcpt */
	FIELD_MAP_REPLY, /* where replies go: map_reply */
};

enum field_rcpt {
	RCPT_NONE,
	RCPT_PLAIN,  /* -t reads these without Resent- fields */
	RCPT_RESENT, /* ...and these when there are some */
};

static const struct field_rule {
	const char	 *name;
	enum field_action action;
	enum field_rcpt	  rcpt;
} field_rules[] = {
	{ "From", FIELD_MAP_FROM, RCPT_NONE },
	{ "Sender", FIELD_MAP_FROM, RCPT_NONE },
	{ "Reply-To", FIELD_MAP_REPLY, RCPT_NONE },
	{ "To", FIELD_MAP_RCPT, RCPT_PLAIN },
	{ "Cc", FIELD_MAP_RCPT, RCPT_PLAIN },
	{ "Bcc", FIELD_DROP, RCPT_PLAIN },
	{ "Resent-From", FIELD_MAP_FROM, RCPT_NONE },
	{ "Resent-Sender", FIELD_MAP_FROM, RCPT_NONE },
	{ "Resent-To", FIELD_MAP_RCPT, RCPT_RESENT },
	{ "Resent-Cc", FIELD_MAP_RCPT, RCPT_RESENT },
	{ "Resent-Bcc", FIELD_DROP, RCPT_RESENT },
};

#define RESENT_PREFIX "Resent-"

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Length of the line at text[pos], without its LF. */
static size_t
line_length(const char *text, size_t len, size_t pos)
{
	const char *lf;

	lf = memchr(text + pos, '\n', len - pos);
	return lf != NULL ? (size_t)(lf - (text + pos)) : len - pos;
}

/*
 * If line (n bytes, no LF) starts a field, return the offset of its
 * colon and set *name_len; else return 0 and set *why.  RFC 5322
 * section 3.6.8: a name is printable ASCII other than ':'; section 4.5.
 * allows white space before the colon.
 */
static size_t
field_line(const char *line, size_t n, size_t *name_len, const char **why)
{
	size_t i = 0;

	while (i < n && line[i] > ' ' && line[i] < 0x7f && line[i] != ':')
		i++;
	*name_len = i;
	while (i < n && is_wsp((unsigned char)line[i]))
		i++;
	if (i < n && line[i] == ':' && *name_len > 0)
		return i;
	if (memchr(line, ':', n) == NULL)
		*why = "no colon in header line";
	else
		*why = "invalid character in field name";
	return 0;
}

size_t
header_section_length(const char *text, size_t len, int *blank)
{
	const char *why;
	size_t	    pos = 0, n, name_len;

	*blank = 0;
	while (pos < len) {
		n = line_length(text, len, pos);
		if (n == 0) {
			*blank = 1;
			break;
		}
		if (!(pos > 0 && is_wsp((unsigned char)text[pos])) &&
		    field_line(text + pos, n, &name_len, &why) == 0)
			break;
		pos += n < len - pos ? n + 1 : n;
	}
	return pos;
}

static int
add_field(struct header_section *hs, const struct header_field *f)
{
	struct header_field *v;
	size_t		     cap;

	if (hs->n == hs->cap) {
		cap = hs->cap ? hs->cap * 2 : 16;
		if ((v = reallocarray(hs->v, cap, sizeof(*v))) == NULL)
			return -1;
		hs->v = v;
		hs->cap = cap;
	}
	hs->v[hs->n++] = *f;
	return 0;
}

int
header_parse(struct header_section *hs, const char *text, size_t len, char *err,
    size_t errlen)
{
	struct header_field f;
	const char	   *why = NULL;
	size_t		    pos, n, next, colon, lineno;

	memset(hs, 0, sizeof(*hs));
	hs->text = text;
	hs->len = len;
	for (pos = 0, lineno = 1; pos < len; pos = next, lineno++) {
		n = line_length(text, len, pos);
		next = pos + n < len ? pos + n + 1 : len;
		if (memchr(text + pos, '\0', n) != NULL)
			why = "NUL byte in header line";
		else if (memchr(text + pos, '\r', n) != NULL)
			why = "CR in header line";
		else if (n == 0)
			why = "empty line inside the header section";
		else if (is_wsp((unsigned char)text[pos]) && hs->n == 0)
			why = "continuation line without a field before it";
		else if (is_wsp((unsigned char)text[pos]))
			hs->v[hs->n - 1].len += next - pos;
		else if ((colon = field_line(text + pos, n, &f.name_len,
			      &why)) != 0) {
			f.off = pos;
			f.len = next - pos;
			f.value_off = pos + colon + 1;
			if (add_field(hs, &f) == -1) {
				errno = ENOMEM;
				why = "out of memory";
			}
		}
		if (why != NULL)
			goto fail;
	}
	return 0;

fail:
	set_err(err, errlen, "header line %zu: %s", lineno, why);
	header_free(hs);
	return -1;
}

void
header_free(struct header_section *hs)
{
	free(hs->v);
	memset(hs, 0, sizeof(*hs));
}

int
header_is(const struct header_section *hs, size_t i, const char *name)
{
	const struct header_field *f = &hs->v[i];

	return strlen(name) == f->name_len &&
	    strncasecmp(hs->text + f->off, name, f->name_len) == 0;
}

ssize_t
header_find(const struct header_section *hs, const char *name, size_t start)
{
	size_t i;

	for (i = start; i < hs->n; i++)
		if (header_is(hs, i, name))
			return (ssize_t)i;
	return -1;
}

const char *
header_value(const struct header_section *hs, size_t i, size_t *len)
{
	const struct header_field *f = &hs->v[i];
	size_t			   end = f->off + f->len;

	if (end > f->value_off && hs->text[end - 1] == '\n')
		end--;
	*len = end - f->value_off;
	return hs->text + f->value_off;
}

static const struct field_rule *
rule_find(const struct header_section *hs, size_t i)
{
	size_t r;

	for (r = 0; r < sizeof(field_rules) / sizeof(field_rules[0]); r++)
		if (header_is(hs, i, field_rules[r].name))
			return &field_rules[r];
	return NULL;
}

/* Parse the addresses of field i into l; the reason names the field. */
static int
parse_field(const struct header_section *hs, size_t i, struct address_list *l,
    char *err, size_t errlen)
{
	const struct header_field *f = &hs->v[i];
	const char		  *value;
	size_t			   len;
	char			   why[128];

	value = header_value(hs, i, &len);
	if (address_list_parse(l, value, len, why, sizeof(why)) == 0)
		return 0;
	set_err(err, errlen, "%.*s: %s",
	    (int)(f->name_len < NAME_SHOWN ? f->name_len : NAME_SHOWN),
	    hs->text + f->off, why);
	return -1;
}

int
header_recipients(const struct header_section *hs, struct address_list *out,
    char *err, size_t errlen)
{
	const struct field_rule *r;
	struct address_list	 l = { 0 };
	enum field_rcpt		 want = RCPT_PLAIN;
	size_t			 i, j, plen = strlen(RESENT_PREFIX);
	int			 rc = -1;

	for (i = 0; i < hs->n; i++)
		if (hs->v[i].name_len > plen &&
		    strncasecmp(hs->text + hs->v[i].off, RESENT_PREFIX, plen) ==
			0)
			want = RCPT_RESENT;
	for (i = 0; i < hs->n; i++) {
		if ((r = rule_find(hs, i)) == NULL || r->rcpt != want)
			continue;
		if (parse_field(hs, i, &l, err, errlen) == -1)
			goto done;
		for (j = 0; j < l.n; j++)
			if (address_list_add(out, l.v[j].addr,
				l.v[j].display) == -1) {
				set_err(err, errlen, "out of memory");
				goto done;
			}
		address_list_free(&l);
	}
	rc = 0;
done:
	address_list_free(&l);
	return rc;
}

/* A replacement address must keep the field one well-formed line. */
static int
replacement_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/*
 * Write field i into fb with every addr-spec that map replaces replaced
 * in place.  Sets *changed when something was replaced.
 */
static int
map_field(const struct header_section *hs, size_t i,
    char *(*map)(const char *, void *), void *arg, struct buf *fb, int *changed,
    char *err, size_t errlen)
{
	const struct header_field *f = &hs->v[i];
	struct address_list	   l = { 0 };
	const char		  *value = hs->text + f->value_off;
	char			  *repl = NULL;
	size_t			   j, done = 0;
	int			   rc = -1;

	*changed = 0;
	if (parse_field(hs, i, &l, err, errlen) == -1)
		goto done;
	if (buf_add(fb, hs->text + f->off, f->value_off - f->off) == -1)
		goto nomem;
	for (j = 0; j < l.n; j++) {
		if ((repl = map(l.v[j].addr, arg)) == NULL)
			continue;
		if (!replacement_ok(repl)) {
			set_err(err, errlen,
			    "%.*s: invalid replacement "
			    "address",
			    (int)(f->name_len < NAME_SHOWN ? f->name_len :
							     NAME_SHOWN),
			    hs->text + f->off);
			goto done;
		}
		if (buf_add(fb, value + done, l.v[j].span_off - done) == -1 ||
		    buf_adds(fb, repl) == -1)
			goto nomem;
		done = l.v[j].span_off + l.v[j].span_len;
		*changed = 1;
		free(repl);
		repl = NULL;
	}
	if (buf_add(fb, value + done, f->off + f->len - f->value_off - done) ==
	    -1)
		goto nomem;
	rc = 0;
	goto done;
nomem:
	set_err(err, errlen, "out of memory");
done:
	free(repl);
	address_list_free(&l);
	return rc;
}

/*
 * Where to fold the line f[ls..le): before a run of white space that has
 * text on both sides, at most limit octets into the line and after
 * offset min.  Not after a backslash: a quoted-pair "\<TAB>" must not
 * become "\<LF>".  Returns 0 when there is no such place.
 */
static size_t
fold_point(const char *f, size_t ls, size_t le, size_t min, size_t limit)
{
	size_t b, r;

	for (b = ls + limit; b > min; b--) {
		if (!is_wsp((unsigned char)f[b]) ||
		    is_wsp((unsigned char)f[b - 1]) || f[b - 1] == '\\')
			continue;
		for (r = b; r < le && is_wsp((unsigned char)f[r]); r++)
			continue;
		if (r < le)
			return b;
	}
	return 0;
}

/*
 * Append the field f (flen bytes, final LF optional, colon at offset
 * colon) to out with a final LF.  A line longer than 998 octets (RFC 5322
 * section 2.1.1) is folded into lines of 78 where possible; other lines
 * are left alone.
 */
static int
emit_field(struct buf *out, const char *f, size_t flen, size_t colon, char *err,
    size_t errlen)
{
	size_t ls, le, b, min;
	int    fold;

	for (ls = 0; ls < flen; ls = le + 1) {
		le = ls + line_length(f, flen, ls);
		min = ls == 0 ? colon + 1 : ls;
		fold = le - ls > HEADER_LINE_MAX;
		while (fold && le - ls > HEADER_LINE_WANT) {
			if ((b = fold_point(f, ls, le, min,
				 HEADER_LINE_WANT)) == 0 &&
			    le - ls > HEADER_LINE_MAX)
				b = fold_point(f, ls, le, min, HEADER_LINE_MAX);
			if (b == 0 && le - ls > HEADER_LINE_MAX) {
				set_err(err, errlen,
				    "%.*s: header line too "
				    "long and cannot be folded",
				    (int)(colon < NAME_SHOWN ? colon :
							       NAME_SHOWN),
				    f);
				return -1;
			}
			if (b == 0)
				break;
			if (buf_add(out, f + ls, b - ls) == -1 ||
			    buf_add(out, "\n", 1) == -1)
				goto nomem;
			ls = min = b;
		}
		if (buf_add(out, f + ls, le - ls) == -1 ||
		    buf_add(out, "\n", 1) == -1)
			goto nomem;
	}
	return 0;
nomem:
	set_err(err, errlen, "out of memory");
	return -1;
}

static int
dropped(const struct header_section *hs, size_t i, const struct header_edit *e)
{
	size_t k;

	for (k = 0; e->drop != NULL && e->drop[k] != NULL; k++)
		if (header_is(hs, i, e->drop[k]))
			return 1;
	return 0;
}

/* Copy or map field i, then emit it. */
static int
rewrite_field(const struct header_section *hs, size_t i,
    const struct header_edit *e, struct buf *out, char *err, size_t errlen)
{
	const struct header_field *f = &hs->v[i];
	const struct field_rule	  *r = rule_find(hs, i);
	char *(*map)(const char *, void *) = NULL;
	struct buf fb = { 0 };
	size_t	   colon = f->value_off - 1 - f->off;
	int	   changed = 0, rc = -1;

	if ((r != NULL && r->action == FIELD_DROP) || dropped(hs, i, e))
		return 0;
	if (r != NULL && r->action == FIELD_MAP_FROM)
		map = e->map_from;
	else if (r != NULL && r->action == FIELD_MAP_RCPT)
		map = e->map_rcpt;
	else if (r != NULL && r->action == FIELD_MAP_REPLY)
		map = e->map_reply;
	if (map != NULL &&
	    map_field(hs, i, map, e->arg, &fb, &changed, err, errlen) == -1)
		goto done;
	if (changed)
		rc = emit_field(out, fb.data, fb.len, colon, err, errlen);
	else
		rc = emit_field(out, hs->text + f->off, f->len, colon, err,
		    errlen);
done:
	buf_free(&fb);
	return rc;
}

/* Check and emit a caller's "Name: value" field. */
static int
add_extra(struct buf *out, const char *s, char *err, size_t errlen)
{
	const char *why = NULL;
	size_t	    len = strlen(s), i, colon, name_len;

	if (len > 0 && s[len - 1] == '\n')
		len--;
	colon = field_line(s, line_length(s, len, 0), &name_len, &why);
	for (i = 0; colon != 0 && i < len && why == NULL; i++)
		if (s[i] == '\r' ||
		    (s[i] == '\n' && !is_wsp((unsigned char)s[i + 1])))
			why = "line break in added field";
	if (colon == 0 || why != NULL) {
		set_err(err, errlen, "invalid added header field: %s", why);
		return -1;
	}
	return emit_field(out, s, len, colon, err, errlen);
}

int
header_rewrite(const struct header_section *hs, const struct header_edit *e,
    struct buf *out, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < hs->n; i++)
		if (rewrite_field(hs, i, e, out, err, errlen) == -1)
			return -1;
	for (i = 0; e->add != NULL && e->add[i] != NULL; i++)
		if (add_extra(out, e->add[i], err, errlen) == -1)
			return -1;
	return 0;
}

int
header_format_date(time_t t, char *out, size_t outlen)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm		 tm;
	long			 off;
	int			 n;
	char			 sign = '+';

	/* RFC 5322 section 3.3 wants a four-digit year. */
	if (localtime_r(&t, &tm) == NULL || tm.tm_year < 0 ||
	    tm.tm_year > 9999 - 1900)
		return -1;
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	n = snprintf(out, outlen, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 60, off % 60);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static int
is_atext_or_space(unsigned char c)
{
	return c == ' ' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* RFC 2047 encoded words of at most ~30 input bytes each, never
 * splitting a UTF-8 sequence (§5: each word must be decodable alone). */
static int
encode_words(const unsigned char *s, size_t len, struct buf *out)
{
	size_t n, start = out->len;

	while (len > 0) {
		n = len < 30 ? len : 30;
		while (n < len && (s[n] & 0xc0) == 0x80)
			n++;
		if (buf_addf(out, "%s=?UTF-8?B?",
			out->len > start ? " " : "") == -1 ||
		    base64_encode(out, s, n) == -1 || buf_adds(out, "?=") == -1)
			return -1;
		s += n;
		len -= n;
	}
	return 0;
}

int
header_display_name(const char *name, struct buf *out)
{
	const unsigned char *p;
	int		     atoms = 1, ascii = 1;

	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return -1;
		ascii &= *p < 0x80;
		atoms &= is_atext_or_space(*p);
	}
	if (atoms)
		return buf_adds(out, name);
	if (!ascii)
		return encode_words((const unsigned char *)name, strlen(name),
		    out);
	buf_add(out, "\"", 1);
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_add(out, "\\", 1);
		buf_add(out, p, 1);
	}
	return buf_add(out, "\"", 1);
}
