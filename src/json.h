/*
 * json.h - JSON text (RFC 8259) for the machine-readable queue listing.
 *
 * Pure: appends to a struct buf, no I/O.  Strings come from queue files
 * and relays' replies, so they may hold any byte: json_string() always
 * produces valid JSON in valid UTF-8.  '"' and '\' are escaped, control
 * bytes (0x00-0x1f) and DEL are written as \u00XX, valid UTF-8 is kept
 * as it is, and each byte that is not part of a valid UTF-8 sequence
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF)
 * becomes U+FFFD, the replacement character, written as \ufffd.
 * Functions return 0, or -1 when out of memory (the buffer may then hold
 * part of the text).
 */
#ifndef CFSENDMAIL_JSON_H
#define CFSENDMAIL_JSON_H

#include "buf.h"

/* s as a JSON string, or null when s is NULL. */
int json_string(struct buf *, const char *s);
/* "name": before a value, with a comma first unless first is set. */
int json_key(struct buf *, const char *name, int first);

#endif
