/*
 * header.h - line-based scanner and rewriter for a message header section.
 *
 * Pure code: it works on a buffer that holds the header section of a
 * message with LF line endings (line endings are normalised before this
 * module sees them) and does no I/O.  The section does not include the
 * blank line that ends it; header_section_length() finds that boundary.
 *
 * Errors: functions return -1 and write a one-line reason into err/errlen
 * (always NUL-terminated, truncated to fit).  Allocation failure is -1
 * with errno = ENOMEM and the reason "out of memory".
 */
#ifndef CFSENDMAIL_HEADER_H
#define CFSENDMAIL_HEADER_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "address.h"
#include "buf.h"

/* RFC 5322 section 2.1.1: a line holds at most 998 octets before CRLF. */
#define HEADER_LINE_MAX 998
/* ...and should hold at most 78. */
#define HEADER_LINE_WANT 78

/* One field, as offsets into header_section.text. */
struct header_field {
	size_t off;	  /* first byte of the field name */
	size_t len;	  /* name, colon, value, continuation lines and
				   the final LF (absent only at the end of a
				   section that lacks one) */
	size_t name_len;  /* without white space before the colon */
	size_t value_off; /* first byte after the colon */
};

struct header_section {
	const char	    *text; /* borrowed: the caller's buffer */
	size_t		     len;
	struct header_field *v;
	size_t		     n;
	size_t		     cap;
};

/*
 * Find where the header section at the start of a message ends.  Lines
 * are read while they are header field lines ("Name:" with a valid name)
 * or continuation lines after one.  Returns the length of the header
 * section: the offset just past the LF of its last line (or len when the
 * text ends inside it without a LF).  *blank is set to 1 when a blank line
 * follows, at the returned offset, and the body starts after that blank
 * line; it is 0 when the text ends or when a line that is not a header line
 * ends the section, in which case that line is the first line of the
 * body.  A message whose first line is no header line has an empty header
 * section (returns 0).
 */
size_t header_section_length(const char *text, size_t len, int *blank);

/*
 * Scan the header section text (len bytes, no NUL needed, borrowed: it
 * must outlive hs) into fields.  A line that starts with a space or tab
 * continues the previous field.  Returns 0, or -1 with a reason naming
 * the line for: a first line that is a continuation, a line without a
 * colon, an invalid field name (RFC 5322 section 3.6.8: printable ASCII
 * other than ':'; white space before the colon is taken, section 4.5), a
 * NUL byte, a CR (line ends are LF here: message.c turns a CR without an
 * LF into a space, and one left here would reach the relay bare, so a
 * rewritten section never holds one).  On error hs is left empty.
 * header_free() releases the field array.
 */
int  header_parse(struct header_section *hs, const char *text, size_t len,
     char *err, size_t errlen);
void header_free(struct header_section *hs);

/* 1 if field i is named name (without regard to case), else 0. */
int header_is(const struct header_section *hs, size_t i, const char *name);

/* Index of the first field named name at index start or later, or -1. */
ssize_t header_find(const struct header_section *hs, const char *name,
    size_t start);

/*
 * The value of field i: a pointer into hs->text at the first byte after
 * the colon, and in *len its length without the final LF.  Folded values
 * keep their LFs; address_list_parse() takes them as they are.
 */
const char *header_value(const struct header_section *hs, size_t i,
    size_t *len);

/*
 * Collect the recipients for -t into out with address_list_add() (so
 * without duplicates, and with the display names): from every
 * Resent-To, Resent-Cc and Resent-Bcc field when the section has any
 * Resent- field (RFC 5322 section 3.6.6; sendmail and Postfix do the
 * same), otherwise from every To, Cc and Bcc field.  Returns 0, or -1
 * with a reason naming the field for a syntax error or ENOMEM; out may
 * then hold the recipients of the fields before it.
 */
int header_recipients(const struct header_section *hs, struct address_list *out,
    char *err, size_t errlen);

/*
 * How header_rewrite() edits a section.  A map function gets a mailbox's
 * addr-spec and returns NULL to keep it, or a malloc'd replacement that
 * header_rewrite() frees.  Either may be NULL.
 */
struct header_edit {
	/* for From, Sender, Resent-From, Resent-Sender */
	char *(*map_from)(const char *addr, void *arg);
	/* for To, Cc, Resent-To, Resent-Cc: e.g. qualify "root" */
	char *(*map_rcpt)(const char *addr, void *arg);
	/* for Reply-To: where replies go */
	char *(*map_reply)(const char *addr, void *arg);
	void *arg;
	/* NULL-terminated list of whole fields ("Date: ...", no final LF
	   needed) to append, or NULL */
	const char *const *add;
	/* NULL-terminated list of field names to leave out (replaced by
	   fields of add), or NULL */
	const char *const *drop;
};

/*
 * Append to out the header section rewritten by e (LF endings, no blank
 * line at the end):
 * - Bcc and Resent-Bcc fields are dropped (RFC 5322 section 3.6.3: the
 *   blind recipients must not see each other);
 * - in the fields listed in struct header_edit, each addr-spec that a map
 *   function replaces is replaced where it stands, display names, comments
 *   and everything else kept byte for byte ("From: root (Cron Daemon)"
 *   becomes "From: alerts@example.com (Cron Daemon)", "From: Root <root>"
 *   becomes "From: Root <alerts@example.com>"); comments or folding inside
 *   a replaced addr-spec are dropped with it;
 * - other fields, and fields where nothing was replaced, are copied byte
 *   for byte; a final LF is added where the section lacked one;
 * - a line longer than 998 octets (RFC 5322 section 2.1.1) is folded
 *   before a run of white space that has text on both sides and no
 *   backslash before it (a quoted-pair stays whole), at 78 octets where
 *   it can be;
 * - then the fields of e->add are appended, folded the same way.
 * A replacement that is empty or holds a control byte (CR, LF, NUL...) is
 * refused, and so is an added field that is no "Name: value" line or that
 * holds a CR or a LF that does not start a continuation line.
 *
 * Returns 0, or -1 with a reason (a syntax error in a field to map, a line
 * too long that has no place to fold at, ENOMEM); out may then hold part
 * of the section.
 */
int header_rewrite(const struct header_section *hs, const struct header_edit *e,
    struct buf *out, char *err, size_t errlen);

/*
 * Write t as an RFC 5322 date-time in the local time zone, with English
 * day and month names whatever the locale: "Sun, 29 Nov 2026 01:51:36
 * +0100".  Returns 0, or -1 when t cannot be converted or outlen is too
 * small (at least 32 bytes is enough).
 */
int header_format_date(time_t t, char *out, size_t outlen);

/*
 * Append a full name (sendmail -F) to out as the display name of a From
 * field: atoms and spaces as they are, other ASCII text as a quoted
 * string, and text with 8-bit bytes (taken as UTF-8) as RFC 2047 "B"
 * encoded words of about 30 input bytes each, never splitting a UTF-8
 * sequence (section 5: each word must be decodable alone).  Returns 0,
 * or -1 for a control character in name (a CR or LF would inject header
 * fields) or when out cannot grow.
 */
int header_display_name(const char *name, struct buf *out);

#endif
