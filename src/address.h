/*
 * address.h - RFC 5322 address lists and RFC 5321 envelope address checks.
 *
 * Pure code: it takes buffers and fills structs, and does no I/O.
 * address_list_parse() reads the mailboxes of a header value (To:, From:)
 * or of a command-line recipient word; address_check_envelope() decides
 * whether one address may be sent in MAIL FROM or RCPT TO.
 *
 * Errors: functions return -1 and, when they take err/errlen, write a
 * one-line reason there (always NUL-terminated, truncated to fit, never
 * holding control characters).  Allocation failure is reported as -1 with
 * errno = ENOMEM and the reason "out of memory".
 */
#ifndef CFSENDMAIL_ADDRESS_H
#define CFSENDMAIL_ADDRESS_H

#include <stddef.h>

/* RFC 5321 section 4.5.3.1.1 and 4.5.3.1.3: a path holds at most 256
 * octets with its angle brackets. */
#define ADDRESS_LOCAL_MAX 64
#define ADDRESS_MAX	  254
/* Room for what address_quote() writes. */
#define ADDRESS_QUOTED (80 * 4 + 8)

struct address {
	/*
	 * The addr-spec as the envelope needs it: "local@domain", or a
	 * bare local name such as "root".  Comments and folding white
	 * space are removed; a quoted local part keeps its quotes.
	 */
	char *addr;
	/* The display name as written but unfolded (encoded-words, quotes
	 * and comments inside it kept), or NULL. */
	char *display;
	/*
	 * Where the addr-spec stands in the parsed text, from its first
	 * to its last byte, so that a caller can replace just it and keep
	 * everything around it byte for byte.  When the addr-spec was
	 * written with comments or folding inside it ("a (x) @ b"), the
	 * span covers those too and a replacement drops them.  Both are
	 * 0 for an address that was not parsed (address_list_add()).
	 */
	size_t span_off;
	size_t span_len;
};

struct address_list {
	struct address *v;
	size_t		n;
	size_t		cap;
	/* address_list_add's duplicate index: open addressing, slot = i + 1
	 * of v[i], 0 empty; covers v[0 .. indexed) */
	size_t *slots;
	size_t	nslots;
	size_t	indexed;
};

/*
 * Parse the RFC 5322 address-list (or mailbox-list) in the len bytes of
 * text and append every mailbox to out, duplicates included, in order.
 * The text is a header field value, folded or not (LF line breaks; a
 * trailing LF is allowed), or one command-line recipient word, where
 * cron's MAILTO="a@x,b@y" and "Name <a@x>" both arrive.
 *
 * Accepted: display names, quoted strings, nested comments, angle
 * addresses, groups ("team: a@x, b@y;", "undisclosed-recipients:;", the
 * ';' may be missing at the end), bare local names ("root") which
 * system mail uses, and the cheap obsolete forms of RFC 5322 section 4.4:
 * routes ("<@a,@b:x@y>" gives "x@y"), empty list elements (",,"), CFWS
 * between the words of an addr-spec.  "<>" yields no mailbox.
 * Non-ASCII bytes are taken as UTF-8 text (RFC 6532).
 *
 * Returns 0, or -1 with a reason in err: unbalanced quotes, comments,
 * brackets or angle brackets, control characters (CR, NUL, a LF that is
 * not followed by white space), words without an address, a group inside
 * a group.  On error out holds what it held before the call.
 */
int address_list_parse(struct address_list *out, const char *text, size_t len,
    char *err, size_t errlen);

/*
 * Append a copy of addr (and of display, which may be NULL) unless an
 * equal address is in the list already: local parts are compared
 * exactly, domains without regard to case.  The new entry has no span.
 * Returns 1 when added, 0 for a duplicate, -1 with errno = ENOMEM.
 */
int address_list_add(struct address_list *, const char *addr,
    const char *display);

/* Free every entry and the array; the list is zeroed and reusable. */
void address_list_free(struct address_list *);

/*
 * Check that addr may be sent in MAIL FROM or RCPT TO: no control bytes
 * (CR, LF, NUL...), no unquoted space, '<' or '>', at most one unquoted
 * '@', a local part that is a dot-string or one quoted string of at most
 * 64 octets, at most 254 octets in all, and after an '@' a domain of
 * letters, digits, hyphens and dots (labels of 1 to 63 octets) or an
 * address literal "[...]".  A bare local name is accepted.  "" (the
 * null sender) is accepted only when allow_empty is set.
 *
 * Bytes above 0x7f are accepted as UTF-8 and set *utf8 to 1 (the message
 * then needs SMTPUTF8); otherwise *utf8 is set to 0.  utf8 may be NULL.
 *
 * Returns 0, or -1 with a reason in err that quotes the address safely:
 * control and non-ASCII bytes shown as \xNN, cut after 80 characters.
 */
int address_check_envelope(const char *addr, int allow_empty, int *utf8,
    char *err, size_t errlen);

/*
 * The byte checks of address_check_envelope() alone: no CR, LF, TAB or
 * other control byte, and valid UTF-8.  For an address that is checked
 * before it may be replaced (-f root becomes [sender] from): a line break
 * in it is refused all the same.  Returns 0, or -1 with a reason in err
 * as address_check_envelope() writes it.
 */
int address_check_bytes(const char *addr, char *err, size_t errlen);

/*
 * Check that domain is a host name as address_check_envelope() wants one
 * after the '@' (UTF-8 labels accepted), not an address literal, at most
 * 253 octets.  0, or -1 with a reason that quotes it safely.
 */
int address_check_domain(const char *domain, char *err, size_t errlen);

/*
 * Copy at most 80 bytes of s to out (ADDRESS_QUOTED bytes hold it all),
 * with control and non-ASCII bytes shown as \xNN and '"' and '\\'
 * escaped, "..." after a cut: safe to show inside double quotes on a
 * terminal or in a log.
 */
void address_quote(const char *s, char *out, size_t outlen);

/* Return 1 if addr has no '@' outside quotes (a local name like "root"),
 * else 0. */
int address_is_local(const char *addr);

/*
 * Return a pointer into addr at the '@' that separates its local part from
 * its domain, or NULL for a local name.  That is the first '@' outside
 * quotes: a local part holds an '@' only quoted, and a domain literal may
 * hold one.
 */
const char *address_at(const char *addr);

#endif
