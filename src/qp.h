/*
 * qp.h - quoted-printable encoding (RFC 2045 §6.7), for the rare body
 * with lines longer than SMTP allows (998 octets, RFC 5321 §4.5.3.1.6):
 * re-encoding keeps every byte where cutting the line would lose them.
 * Pure.  Returns 0, or -1 when out cannot grow.
 */
#ifndef CFSENDMAIL_QP_H
#define CFSENDMAIL_QP_H

#include <stddef.h>

#include "buf.h"

/*
 * Append one line (without its LF) encoded to out, with soft line
 * breaks ("=" LF) so that no output line exceeds 76 characters, and a
 * final LF.  '=', controls and 8-bit bytes become =XX, as does white
 * space at the end of the line.
 */
int qp_encode_line(const char *line, size_t len, struct buf *out);

#endif
