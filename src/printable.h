/*
 * printable.h - text from outside made safe for a terminal or a log.
 *
 * A relay's reply, a certificate's name, an address or a syslog tag may
 * carry bytes that a terminal obeys (ESC sequences, C1 controls such as
 * U+009B CSI), that reorder what a reader sees (bidi overrides and
 * isolates, U+202A-202E, U+2066-2069), that start a new line in a log
 * (LF, CR, U+2028) or that are not text at all (NUL, invalid UTF-8).
 * printable() copies text and writes each of those as an escape:
 * "\xHH" for a byte (control bytes, DEL, bytes of invalid UTF-8), "\uHHHH"
 * for a character (C1 controls, bidi and invisible format characters),
 * "\\" for a backslash, so that what is shown cannot be confused with an
 * escape.  Printable ASCII and valid UTF-8 of other characters pass
 * unchanged.  Pure: no allocation, no locale.
 */
#ifndef CFSENDMAIL_PRINTABLE_H
#define CFSENDMAIL_PRINTABLE_H

#include <stddef.h>

/* Room that the escaping of n bytes can need, its NUL included. */
#define PRINTABLE_SIZE(n) (4 * (n) + 1)

/*
 * Escape in[0..len) into out, at most outlen bytes with the NUL (outlen
 * > 0).  When out is too small the text ends before the first escape or
 * character that does not fit, never inside one.  Returns the length of
 * out.
 */
size_t printable(char *out, size_t outlen, const char *in, size_t len);

#endif
