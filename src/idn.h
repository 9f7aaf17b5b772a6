/*
 * idn.h - envelope addresses for a relay without SMTPUTF8 (RFC 6531).
 *
 * Cloudflare's relay does not offer SMTPUTF8, so every address in MAIL
 * FROM and RCPT TO must be ASCII.  A domain written in Unicode (an IDN,
 * "bücher.example") is sent in A-labels ("xn--bcher-kva.example"):
 * IDNA2008 as libidn2 implements it, with the UTS #46 non-transitional
 * mapping that browsers use (so "Bücher" and "bücher" are one name).  A
 * local part that is not ASCII has no such encoding: without SMTPUTF8
 * such an address cannot be sent at all.  Header fields are not touched
 * here: they may carry UTF-8 (the message goes as 8BITMIME).
 *
 * Pure code, no I/O.  Errors come with a one-line reason in err that
 * quotes no byte of the address unescaped.
 */
#ifndef CFSENDMAIL_IDN_H
#define CFSENDMAIL_IDN_H

#include <stddef.h>

#include "address.h"

/*
 * The domain in A-labels, malloc'd: an ASCII domain is copied as it is
 * (case kept), one with non-ASCII labels is converted.  NULL with a
 * reason when it is not a valid internationalised domain name, or out
 * of memory.
 */
char *idn_domain(const char *domain, char *err, size_t errlen);

/* 1 when the local part of addr (all of a local name) is not ASCII. */
int idn_local_utf8(const char *addr);

/*
 * Replace *addr (malloc'd, an address that passed
 * address_check_envelope()) with its ASCII form: the domain in A-labels.
 * -1 with a reason when the local part is not ASCII, the domain is no
 * valid IDN, or the address in A-labels is too long for the envelope;
 * *addr is unchanged then.
 */
int idn_address(char **addr, char *err, size_t errlen);

/*
 * The envelope recipients in ASCII: every domain in A-labels (a
 * recipient that then equals an earlier one is dropped, as
 * address_list_add() drops duplicates), and each recipient whose local
 * part is not ASCII moved to refused.  Returns 0, or -1 with a reason
 * (a domain that is no valid IDN, or out of memory); rcpts is unchanged
 * then.
 */
int idn_rcpts(struct address_list *rcpts, struct address_list *refused,
    char *err, size_t errlen);

#endif
