/*
 * trust.h - trust anchors picked out of a PEM bundle by subject.
 *
 * Parsing every certificate of the system trust store (some 150) costs a
 * short-lived client most of its CPU time.  Only the anchors whose
 * subject is the issuer of a certificate the server sent can matter, so
 * the bundle is scanned cheaply instead: each PEM block is decoded and
 * its subject found by walking a few DER headers, and only the matching
 * certificates are handed to GnuTLS.  Pure: works on buffers.
 * Functions return 0, or -1 on malformed input or ENOMEM.
 */
#ifndef CFSENDMAIL_TRUST_H
#define CFSENDMAIL_TRUST_H

#include <stddef.h>

/*
 * Find the subject Name of a DER X.509 certificate (RFC 5280 §4.1):
 * *off and *len locate the whole Name (tag and length included) in der.
 */
int trust_der_subject(const unsigned char *der, size_t derlen, size_t *off,
    size_t *len);

/* A DER certificate, malloc'd. */
struct trust_cert {
	unsigned char *der;
	size_t	       len;
};

/*
 * For each "-----BEGIN CERTIFICATE-----" block of the PEM text whose
 * subject is byte for byte one of the names[] (DER, as GnuTLS returns
 * raw issuer DNs), append the certificate to *out (reallocated; *nout
 * counts).  Blocks that do not decode are skipped: one bad entry in a
 * bundle must not make every other anchor unusable.
 */
struct trust_name {
	const unsigned char *der;
	size_t		     len;
};
int  trust_find(const char *pem, size_t pemlen, const struct trust_name *names,
     size_t nnames, struct trust_cert **out, size_t *nout);
void trust_certs_free(struct trust_cert *, size_t);

#endif
