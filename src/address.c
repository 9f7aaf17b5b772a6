/*
 * address.c - RFC 5322 address lists and RFC 5321 envelope address checks;
 * see address.h for the contract.
 *
 * The list parser is a small recursive-descent parser over the lexical
 * tokens of RFC 5322 section 3.2 (atoms, quoted strings, domain literals,
 * comments, specials).  Words and dots are read as one "phrase" first:
 * the token that follows decides whether it was a display name ('<'), a
 * group name (':'), a local part ('@') or a bare local name (',', ';' or
 * the end).  Obsolete forms (section 4.4) are taken where they cost
 * nothing: CFWS between the words of an addr-spec, routes, empty list
 * elements.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "buf.h"

struct parser {
	const char	    *s;
	size_t		     len;
	size_t		     pos;
	int		     in_group;
	struct address_list *out;
	char		    *err;
	size_t		     errlen;
};

/* A run of words and dots: a display name, a group name or a local part. */
struct phrase {
	size_t	   start; /* first byte of the first token */
	size_t	   end;	  /* one past the last token */
	size_t	   ntok;
	int	   spaced;  /* two words without a dot between */
	int	   baddots; /* a dot first, last or doubled */
	struct buf local;   /* the tokens without CFWS or folding */
};

static int parse_list(struct parser *);

/* RFC 5322 section 3.2.3 atext; bytes above 0x7f are UTF-8 (RFC 6532). */
static int
is_atext(int c)
{
	if (c < 0)
		return 0;
	if (c >= 0x80 || isalnum(c))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
is_ctl(int c)
{
	return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static int
peek(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static int __attribute__((format(printf, 2, 3)))
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
fail_nomem(struct parser *p)
{
	errno = ENOMEM;
	return fail(p, "out of memory");
}

/* Explain why the byte at the current position cannot stand there. */
static int
fail_here(struct parser *p)
{
	int c = peek(p);

	if (c == -1)
		return fail(p, "unexpected end of address list");
	if (is_ctl(c) || c == '\n')
		return fail(p, "control character 0x%02x at offset %zu", c,
		    p->pos);
	if (c == ')')
		return fail(p, "unbalanced ')' at offset %zu", p->pos);
	return fail(p, "unexpected '%c' at offset %zu", c, p->pos);
}

/*
 * A LF is only a line break of a folded field when white space follows
 * (RFC 5322 section 3.2.2); a trailing LF ends the field.  Anything else
 * would let a value start a new header line or an SMTP command.
 */
static int
lex_newline(struct parser *p, int trailing_ok)
{
	size_t next = p->pos + 1;

	if ((next == p->len && trailing_ok) ||
	    (next < p->len && is_wsp((unsigned char)p->s[next]))) {
		p->pos++;
		return 0;
	}
	return fail(p, "line break not followed by white space at offset %zu",
	    p->pos);
}

/* Nested comment with quoted-pairs (RFC 5322 section 3.2.2). */
static int
lex_comment(struct parser *p)
{
	size_t start = p->pos, depth = 0;
	int    c;

	while ((c = peek(p)) != -1) {
		if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0) {
			p->pos++;
			return 0;
		} else if (c == '\\') {
			p->pos++;
			if (peek(p) == -1)
				break;
			if (is_ctl(peek(p)) || peek(p) == '\n')
				return fail_here(p);
		} else if (c == '\n') {
			if (lex_newline(p, 0) == -1)
				return -1;
			continue;
		} else if (is_ctl(c))
			return fail_here(p);
		p->pos++;
	}
	return fail(p, "unbalanced '(' at offset %zu", start);
}

/* Skip white space, folding and comments. */
static int
lex_cfws(struct parser *p)
{
	int c;

	for (;;) {
		c = peek(p);
		if (is_wsp(c))
			p->pos++;
		else if (c == '\n') {
			if (lex_newline(p, 1) == -1)
				return -1;
		} else if (c == '(') {
			if (lex_comment(p) == -1)
				return -1;
		} else
			return 0;
	}
}

/*
 * A quoted string or a domain literal, from its opening to its closing
 * delimiter, appended to b as written but unfolded: a LF of folding
 * white space is dropped, the white space after it is kept.
 */
static int
lex_delimited(struct parser *p, int close, struct buf *b)
{
	size_t start = p->pos;
	int    c;

	if (buf_add(b, p->s + p->pos++, 1) == -1)
		return fail_nomem(p);
	while ((c = peek(p)) != -1) {
		if (c == '\n') {
			if (lex_newline(p, 0) == -1)
				return -1;
			continue;
		}
		if (is_ctl(c) || (close == ']' && c == '['))
			return fail_here(p);
		if (c == '\\') {
			if (p->pos + 1 == p->len)
				break;
			if (is_ctl((unsigned char)p->s[p->pos + 1]) ||
			    p->s[p->pos + 1] == '\n') {
				p->pos++;
				return fail_here(p);
			}
			if (buf_add(b, p->s + p->pos++, 1) == -1)
				return fail_nomem(p);
		}
		if (buf_add(b, p->s + p->pos++, 1) == -1)
			return fail_nomem(p);
		if (c == close)
			return 0;
	}
	return fail(p, "unbalanced '%c' at offset %zu", p->s[start], start);
}

static void
phrase_init(struct phrase *ph)
{
	memset(ph, 0, sizeof(*ph));
}

/* A local part is word *("." word) (RFC 5322 sections 3.4.1 and 4.4). */
static int
phrase_is_local(const struct phrase *ph)
{
	return ph->ntok > 0 && !ph->spaced && !ph->baddots;
}

/*
 * Read words and dots, with CFWS between them, into ph.  Stops before the
 * first token that is neither; CFWS after the last token is consumed.
 */
static int
scan_phrase(struct parser *p, struct phrase *ph)
{
	size_t from;
	int    c, prev_word = 0;

	for (;;) {
		if (lex_cfws(p) == -1)
			return -1;
		c = peek(p);
		from = p->pos;
		if (c == '"' || is_atext(c)) {
			if (prev_word)
				ph->spaced = 1;
			if (c == '"') {
				if (lex_delimited(p, '"', &ph->local) == -1)
					return -1;
			} else {
				while (is_atext(peek(p)))
					p->pos++;
				if (buf_add(&ph->local, p->s + from,
					p->pos - from) == -1)
					return fail_nomem(p);
			}
			prev_word = 1;
		} else if (c == '.') {
			if (!prev_word)
				ph->baddots = 1;
			if (buf_add(&ph->local, ".", 1) == -1)
				return fail_nomem(p);
			p->pos++;
			prev_word = 0;
		} else
			break;
		if (ph->ntok++ == 0)
			ph->start = from;
		ph->end = p->pos;
	}
	if (ph->ntok > 0 && !prev_word)
		ph->baddots = 1;
	return 0;
}

/*
 * Read a domain after its '@' into b: a dot-atom (CFWS allowed around the
 * dots, RFC 5322 section 4.4) or a domain literal.  *end is set one past
 * its last byte.
 */
static int
parse_domain(struct parser *p, struct buf *b, size_t *end)
{
	size_t from;

	if (lex_cfws(p) == -1)
		return -1;
	if (peek(p) == '[') {
		if (lex_delimited(p, ']', b) == -1)
			return -1;
		*end = p->pos;
		return 0;
	}
	for (;;) {
		if (!is_atext(peek(p)))
			return peek(p) == -1 ?
			    fail(p, "missing domain at offset %zu", p->pos) :
			    fail_here(p);
		from = p->pos;
		while (is_atext(peek(p)))
			p->pos++;
		if (buf_add(b, p->s + from, p->pos - from) == -1)
			return fail_nomem(p);
		*end = p->pos;
		if (lex_cfws(p) == -1)
			return -1;
		if (peek(p) != '.')
			return 0;
		if (buf_add(b, ".", 1) == -1)
			return fail_nomem(p);
		p->pos++;
		if (lex_cfws(p) == -1)
			return -1;
	}
}

/* Make room for one more entry. */
static int
list_grow(struct address_list *l)
{
	struct address *v;
	size_t		cap;

	if (l->n < l->cap)
		return 0;
	cap = l->cap ? l->cap * 2 : 8;
	if ((v = reallocarray(l->v, cap, sizeof(*v))) == NULL)
		return -1;
	l->v = v;
	l->cap = cap;
	return 0;
}

/* Copy len bytes of s, dropping the LFs of folding white space. */
static char *
unfold_dup(const char *s, size_t len)
{
	char  *d;
	size_t i, n = 0;

	if ((d = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		if (s[i] != '\n')
			d[n++] = s[i];
	d[n] = '\0';
	return d;
}

/*
 * Append the mailbox whose addr-spec is "local" or "local@domain" (domain
 * NULL for a bare name) and spans [off, end) of the input; the display
 * name, if any, is the text ph spans.
 */
static int
push_mailbox(struct parser *p, const struct buf *local,
    const struct buf *domain, size_t off, size_t end,
    const struct phrase *display)
{
	struct address a;
	struct buf     b = { 0 };

	memset(&a, 0, sizeof(a));
	a.span_off = off;
	a.span_len = end - off;
	if (buf_add(&b, local->data, local->len) == -1 ||
	    (domain != NULL && buf_addf(&b, "@%s", domain->data) == -1))
		goto nomem;
	a.addr = b.data;
	b.data = NULL;
	if (display != NULL && display->ntok > 0 &&
	    (a.display = unfold_dup(p->s + display->start,
		 display->end - display->start)) == NULL)
		goto nomem;
	if (list_grow(p->out) == -1)
		goto nomem;
	p->out->v[p->out->n++] = a;
	return 0;

nomem:
	buf_free(&b);
	free(a.addr);
	free(a.display);
	return fail_nomem(p);
}

/* RFC 5322 section 4.4 obs-route: "@a,@b:" before the addr-spec. */
static int
skip_route(struct parser *p)
{
	struct buf ignored = { 0 };
	size_t	   end;
	int	   rc = -1;

	while (peek(p) == '@') {
		p->pos++;
		if (parse_domain(p, &ignored, &end) == -1)
			goto done;
		while (peek(p) == ',') {
			p->pos++;
			if (lex_cfws(p) == -1)
				goto done;
		}
	}
	if (peek(p) != ':') {
		fail_here(p);
		goto done;
	}
	p->pos++;
	rc = 0;
done:
	buf_free(&ignored);
	return rc;
}

/* angle-addr after the display name dn: "<" [route] addr-spec ">". */
static int
parse_angle(struct parser *p, const struct phrase *dn)
{
	struct phrase lp;
	struct buf    domain = { 0 };
	size_t	      end;
	int	      rc = -1;

	phrase_init(&lp);
	p->pos++;
	if (lex_cfws(p) == -1)
		goto done;
	if (peek(p) == '>') {
		/* "<>" names nobody. */
		p->pos++;
		rc = 0;
		goto done;
	}
	if (peek(p) == '@' && skip_route(p) == -1)
		goto done;
	if (scan_phrase(p, &lp) == -1)
		goto done;
	if (!phrase_is_local(&lp)) {
		if (lp.ntok > 0)
			fail(p, "invalid local part at offset %zu", lp.start);
		else
			fail_here(p);
		goto done;
	}
	end = lp.end;
	if (peek(p) == '@') {
		p->pos++;
		if (parse_domain(p, &domain, &end) == -1 || lex_cfws(p) == -1)
			goto done;
	}
	if (peek(p) != '>') {
		if (peek(p) == -1)
			fail(p, "missing '>' at end of address list");
		else
			fail_here(p);
		goto done;
	}
	p->pos++;
	rc = push_mailbox(p, &lp.local, domain.len ? &domain : NULL, lp.start,
	    end, dn);
done:
	buf_free(&lp.local);
	buf_free(&domain);
	return rc;
}

/* group = display-name ":" [group-list] ";" (RFC 5322 section 3.4). */
static int
parse_group(struct parser *p, const struct phrase *name)
{
	int rc;

	if (p->in_group)
		return fail(p, "group inside a group at offset %zu", p->pos);
	if (name->ntok == 0)
		return fail_here(p);
	p->pos++;
	p->in_group = 1;
	rc = parse_list(p);
	p->in_group = 0;
	return rc;
}

/* An addr-spec or a bare local name, whose local part is lp. */
static int
parse_addr_spec(struct parser *p, const struct phrase *lp)
{
	struct buf domain = { 0 };
	size_t	   end = lp->end;
	int	   rc = -1;

	if (lp->ntok == 0) {
		if (peek(p) == '@')
			return fail(p, "missing local part at offset %zu",
			    p->pos);
		return fail_here(p);
	}
	if (lp->spaced)
		return fail(p, "no address after words at offset %zu",
		    lp->start);
	if (lp->baddots)
		return fail(p, "invalid local part at offset %zu", lp->start);
	if (peek(p) == '@') {
		p->pos++;
		if (parse_domain(p, &domain, &end) == -1)
			goto done;
	}
	rc = push_mailbox(p, &lp->local, domain.len ? &domain : NULL, lp->start,
	    end, NULL);
done:
	buf_free(&domain);
	return rc;
}

/* One element of a list: a mailbox, a group, or (with "<>") nothing. */
static int
parse_element(struct parser *p)
{
	struct phrase ph;
	int	      rc;

	phrase_init(&ph);
	if ((rc = scan_phrase(p, &ph)) == 0) {
		switch (peek(p)) {
		case '<': rc = parse_angle(p, &ph); break;
		case ':': rc = parse_group(p, &ph); break;
		default: rc = parse_addr_spec(p, &ph); break;
		}
	}
	buf_free(&ph.local);
	return rc;
}

/*
 * address-list, or the mailbox-list of a group up to its ';'.  Empty
 * elements are skipped (RFC 5322 section 4.4 obs-addr-list); a group
 * that the end of the text cuts short is taken as closed.
 */
static int
parse_list(struct parser *p)
{
	int c;

	for (;;) {
		if (lex_cfws(p) == -1)
			return -1;
		c = peek(p);
		if (c == -1)
			return 0;
		if (c == ',') {
			p->pos++;
			continue;
		}
		if (c == ';' && p->in_group) {
			p->pos++;
			return 0;
		}
		if (parse_element(p) == -1 || lex_cfws(p) == -1)
			return -1;
		c = peek(p);
		if (c != ',' && c != -1 && !(c == ';' && p->in_group))
			return fail_here(p);
	}
}

static void
address_clear(struct address *a)
{
	free(a->addr);
	free(a->display);
	a->addr = a->display = NULL;
}

int
address_list_parse(struct address_list *out, const char *text, size_t len,
    char *err, size_t errlen)
{
	struct parser p;
	size_t	      n0 = out->n;

	memset(&p, 0, sizeof(p));
	p.s = text;
	p.len = len;
	p.out = out;
	p.err = err;
	p.errlen = errlen;
	if (parse_list(&p) == 0)
		return 0;
	while (out->n > n0)
		address_clear(&out->v[--out->n]);
	return -1;
}

const char *
address_at(const char *addr)
{
	int quoted = 0;

	for (; *addr != '\0'; addr++) {
		if (quoted && *addr == '\\' && addr[1] != '\0')
			addr++;
		else if (*addr == '"')
			quoted = !quoted;
		else if (!quoted && *addr == '@')
			return addr;
	}
	return NULL;
}

int
address_is_local(const char *addr)
{
	return address_at(addr) == NULL;
}

/* Local parts compare exactly, domains without case (RFC 5321 2.4). */
static int
address_equal(const char *a, const char *b)
{
	const char *at_a = address_at(a), *at_b = address_at(b);

	if (at_a == NULL || at_b == NULL)
		return at_a == at_b && strcmp(a, b) == 0;
	return at_a - a == at_b - b && memcmp(a, b, at_a - a) == 0 &&
	    strcasecmp(at_a, at_b) == 0;
}

/* FNV-1a, consistent with address_equal: the domain without case. */
static size_t
address_hash(const char *addr)
{
	const char *at = address_at(addr), *p;
	uint64_t    h = 14695981039346656037ULL;

	for (p = addr; *p != '\0'; p++) {
		h ^= at != NULL && p >= at ?
		    (unsigned char)tolower((unsigned char)*p) :
		    (unsigned char)*p;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* The slot that holds an address equal to addr, or the empty one. */
static size_t *
index_find(const struct address_list *l, const char *addr)
{
	size_t mask = l->nslots - 1, i = address_hash(addr) & mask;

	while (l->slots[i] != 0 &&
	    !address_equal(l->v[l->slots[i] - 1].addr, addr))
		i = (i + 1) & mask;
	return &l->slots[i];
}

/*
 * Bring the index up to date with v, room for one more entry included:
 * entries may have come from address_list_parse, which does not index.
 * Kept at most half full, so that probes stay short.
 */
static int
index_update(struct address_list *l)
{
	size_t *slots, n, i;

	if ((l->n + 1) * 2 > l->nslots) {
		for (n = l->nslots ? l->nslots : 16; (l->n + 1) * 2 > n; n *= 2)
			;
		if ((slots = calloc(n, sizeof(*slots))) == NULL)
			return -1;
		free(l->slots);
		l->slots = slots;
		l->nslots = n;
		l->indexed = 0;
	}
	for (i = l->indexed; i < l->n; i++) {
		size_t *slot = index_find(l, l->v[i].addr);

		if (*slot == 0)
			*slot = i + 1;
	}
	l->indexed = l->n;
	return 0;
}

int
address_list_add(struct address_list *l, const char *addr, const char *display)
{
	struct address a;
	size_t	      *slot;

	if (index_update(l) == -1) {
		errno = ENOMEM;
		return -1;
	}
	slot = index_find(l, addr);
	if (*slot != 0)
		return 0;
	memset(&a, 0, sizeof(a));
	if ((a.addr = strdup(addr)) == NULL ||
	    (display != NULL && (a.display = strdup(display)) == NULL) ||
	    list_grow(l) == -1) {
		address_clear(&a);
		errno = ENOMEM;
		return -1;
	}
	l->v[l->n++] = a;
	*slot = l->n;
	l->indexed = l->n;
	return 1;
}

void
address_list_free(struct address_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		address_clear(&l->v[i]);
	free(l->v);
	free(l->slots);
	memset(l, 0, sizeof(*l));
}

/*
 * Envelope checks.  Each returns NULL when the part is acceptable, else
 * a static reason.
 */

/* Well-formed UTF-8 (RFC 3629): no overlongs, surrogates or > U+10FFFF. */
static int
utf8_valid(const unsigned char *s)
{
	uint32_t cp;
	int	 n, i;

	while (*s != '\0') {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf)
			n = 1, cp = *s & 0x1f;
		else if (*s >= 0xe0 && *s <= 0xef)
			n = 2, cp = *s & 0x0f;
		else if (*s >= 0xf0 && *s <= 0xf4)
			n = 3, cp = *s & 0x07;
		else
			return 0;
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		s += n + 1;
	}
	return 1;
}

/* Bytes that may never reach an SMTP command line. */
static const char *
check_bytes(const char *addr, int *utf8)
{
	const unsigned char *s;

	for (s = (const unsigned char *)addr; *s != '\0'; s++) {
		if (*s == '\r' || *s == '\n')
			return "line break in address";
		if (is_ctl(*s) || *s == '\t')
			return "control character in address";
		if (*s >= 0x80)
			*utf8 = 1;
	}
	if (*utf8 && !utf8_valid((const unsigned char *)addr))
		return "invalid UTF-8 in address";
	return NULL;
}

/* RFC 5321 section 4.1.2: Local-part = Dot-string / Quoted-string. */
static const char *
check_local(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return "empty local part";
	if (n > ADDRESS_LOCAL_MAX)
		return "local part longer than 64 octets";
	if (s[0] == '"') {
		for (i = 1; i < n - 1; i++) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				break;
		}
		if (n < 2 || i != n - 1 || s[n - 1] != '"')
			return "invalid quoted local part";
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == ' ')
			return "unquoted space in address";
		if (s[i] == '<' || s[i] == '>')
			return "angle bracket in address";
		if (s[i] == '.' && (i == 0 || i == n - 1 || s[i - 1] == '.'))
			return "misplaced dot in local part";
		if (s[i] != '.' && !is_atext((unsigned char)s[i]))
			return "invalid character in local part";
	}
	return NULL;
}

/* RFC 5321 section 4.1.3 address literal: "[" printable "]". */
static const char *
check_literal(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 3 || s[n - 1] != ']')
		return "invalid address literal";
	for (i = 1; i < n - 1; i++)
		if (s[i] == '[' || s[i] == ']' || s[i] == '\\' || s[i] == ' ' ||
		    (unsigned char)s[i] >= 0x80)
			return "invalid address literal";
	return NULL;
}

/* Domain: LDH labels of 1 to 63 octets (RFC 1035, RFC 5321 4.1.2). */
static const char *
check_domain(const char *s)
{
	size_t i, label = 0;
	int    c;

	if (*s == '\0')
		return "empty domain";
	if (*s == '[')
		return check_literal(s);
	for (i = 0; s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-' || s[i + 1] == '\0')
				return "empty or invalid label in domain";
			label = 0;
			continue;
		}
		if (c == ' ')
			return "unquoted space in address";
		if (c == '<' || c == '>')
			return "angle bracket in address";
		if (c == '@')
			return "more than one '@' in address";
		if (!(isalnum(c) || c == '-' || c >= 0x80))
			return "invalid character in domain";
		if ((c == '-' && label == 0) || ++label > 63)
			return "empty or invalid label in domain";
	}
	if (s[i - 1] == '-')
		return "empty or invalid label in domain";
	return NULL;
}

void
address_quote(const char *s, char *out, size_t outlen)
{
	size_t i, o = 0;
	int    c, n;

	out[0] = '\0';
	for (i = 0; s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (i == 80) {
			n = snprintf(out + o, outlen - o, "...");
		} else if (c < 0x20 || c >= 0x7f)
			n = snprintf(out + o, outlen - o, "\\x%02x", c);
		else if (c == '"' || c == '\\')
			n = snprintf(out + o, outlen - o, "\\%c", c);
		else
			n = snprintf(out + o, outlen - o, "%c", c);
		if (n < 0 || (size_t)n >= outlen - o || i == 80)
			return;
		o += (size_t)n;
	}
}

/* The reason why addr is refused, with addr quoted safely, into err. */
static int
refuse(const char *addr, const char *why, char *err, size_t errlen)
{
	char shown[ADDRESS_QUOTED];

	if (errlen > 0) {
		address_quote(addr, shown, sizeof(shown));
		(void)snprintf(err, errlen, "%s: \"%s\"", why, shown);
	}
	return -1;
}

int
address_check_bytes(const char *addr, char *err, size_t errlen)
{
	const char *why;
	int	    u8 = 0;

	if ((why = check_bytes(addr, &u8)) == NULL)
		return 0;
	return refuse(addr, why, err, errlen);
}

int
address_check_domain(const char *domain, char *err, size_t errlen)
{
	const char *why;
	int	    u8 = 0;

	if ((why = check_bytes(domain, &u8)) != NULL)
		;
	else if (*domain == '[')
		why = "an address literal is not a domain name";
	else if (strchr(domain, '@') != NULL)
		why = "'@' in a domain name";
	else if (strlen(domain) > 253)
		why = "domain longer than 253 octets";
	else
		why = check_domain(domain);
	if (why == NULL)
		return 0;
	return refuse(domain, why, err, errlen);
}

int
address_check_envelope(const char *addr, int allow_empty, int *utf8, char *err,
    size_t errlen)
{
	const char *at, *why;
	size_t	    len = strlen(addr);
	int	    u8 = 0;

	if (len == 0)
		why = allow_empty ? NULL : "empty address";
	else if ((why = check_bytes(addr, &u8)) == NULL) {
		at = address_at(addr);
		if (len > ADDRESS_MAX)
			why = "address longer than 254 octets";
		else if ((why = check_local(addr,
			      at ? (size_t)(at - addr) : len)) == NULL &&
		    at != NULL)
			why = check_domain(at + 1);
	}
	if (utf8 != NULL)
		*utf8 = u8;
	if (why == NULL)
		return 0;
	return refuse(addr, why, err, errlen);
}
