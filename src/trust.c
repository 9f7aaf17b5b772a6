/*
 * trust.c - trust anchors picked out of a PEM bundle; see trust.h.
 */

#include <stdlib.h>
#include <string.h>

#include "trust.h"

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END	  "-----END CERTIFICATE-----"

/*
 * Read one DER tag-length header at der[*pos]: the tag must be want;
 * *pos moves past the header and *len is the content length.  Definite
 * lengths only (DER, X.690 §10.1).  An outer container may end past
 * derlen: the subject is found in a prefix of the certificate.
 */
static int
der_container(const unsigned char *der, size_t derlen, size_t *pos,
    unsigned char want, size_t *len)
{
	size_t p = *pos, n, i, l = 0;

	if (p + 2 > derlen || der[p] != want)
		return -1;
	p++;
	if (der[p] < 0x80)
		l = der[p++];
	else {
		n = der[p++] & 0x7f;
		if (n == 0 || n > sizeof(size_t) - 1 || p + n > derlen)
			return -1;
		for (i = 0; i < n; i++)
			l = l << 8 | der[p++];
	}
	*pos = p;
	*len = l;
	return 0;
}

/* As der_container(), for an element that must lie within der. */
static int
der_header(const unsigned char *der, size_t derlen, size_t *pos,
    unsigned char want, size_t *len)
{
	if (der_container(der, derlen, pos, want, len) == -1 ||
	    *len > derlen - *pos)
		return -1;
	return 0;
}

/* Skip one whole element whose tag is want. */
static int
der_skip(const unsigned char *der, size_t derlen, size_t *pos,
    unsigned char want)
{
	size_t len;

	if (der_header(der, derlen, pos, want, &len) == -1)
		return -1;
	*pos += len;
	return 0;
}

int
trust_der_subject(const unsigned char *der, size_t derlen, size_t *off,
    size_t *len)
{
	size_t pos = 0, l, start;

	/* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { ... */
	if (der_container(der, derlen, &pos, 0x30, &l) == -1 ||
	    der_container(der, derlen, &pos, 0x30, &l) == -1)
		return -1;
	/* [0] EXPLICIT version is optional */
	if (pos < derlen && der[pos] == 0xa0 &&
	    der_skip(der, derlen, &pos, 0xa0) == -1)
		return -1;
	if (der_skip(der, derlen, &pos, 0x02) == -1 || /* serialNumber */
	    der_skip(der, derlen, &pos, 0x30) == -1 || /* signature */
	    der_skip(der, derlen, &pos, 0x30) == -1 || /* issuer */
	    der_skip(der, derlen, &pos, 0x30) == -1)   /* validity */
		return -1;
	start = pos;
	if (der_header(der, derlen, &pos, 0x30, &l) == -1) /* subject */
		return -1;
	*off = start;
	*len = pos - start + l;
	return 0;
}

/* Base64 characters needed for the start of a certificate up to the end
 * of its subject: 384 bytes of DER.  A longer start is decoded whole. */
#define SUBJECT_PREFIX 512

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* byte -> 6-bit value, 64 for the line breaks and blanks to skip, -1 */
static void
b64_table(signed char map[256])
{
	int i;

	memset(map, -1, 256);
	for (i = 0; i < 64; i++)
		map[(unsigned char)b64_alphabet[i]] = (signed char)i;
	map['\n'] = map['\r'] = map[' '] = map['\t'] = 64;
}

/* Decode the base64 of a PEM block into out; stops at '='. */
static int
b64_decode(const signed char map[256], const char *s, size_t len,
    unsigned char *out, size_t *outlen)
{
	unsigned int acc = 0;
	size_t	     i, o = 0;
	int	     bits = 0, v;

	for (i = 0; i < len && s[i] != '='; i++) {
		if ((v = map[(unsigned char)s[i]]) == 64)
			continue;
		if (v < 0)
			return -1;
		acc = (acc << 6 | (unsigned int)v) & 0xffffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	*outlen = o;
	return 0;
}

/* -1: no subject found in der (a prefix may be too short). */
static int
name_matches(const unsigned char *der, size_t len,
    const struct trust_name *names, size_t nnames)
{
	size_t off, sublen, i;

	if (trust_der_subject(der, len, &off, &sublen) == -1)
		return -1;
	for (i = 0; i < nnames; i++)
		if (names[i].len == sublen &&
		    memcmp(names[i].der, der + off, sublen) == 0)
			return 1;
	return 0;
}

static int
append(struct trust_cert **out, size_t *nout, const unsigned char *der,
    size_t len)
{
	struct trust_cert *v;

	if ((v = reallocarray(*out, *nout + 1, sizeof(*v))) == NULL)
		return -1;
	*out = v;
	if ((v[*nout].der = malloc(len)) == NULL)
		return -1;
	memcpy(v[*nout].der, der, len);
	v[*nout].len = len;
	(*nout)++;
	return 0;
}

int
trust_find(const char *pem, size_t pemlen, const struct trust_name *names,
    size_t nnames, struct trust_cert **out, size_t *nout)
{
	const char    *p = pem, *end = pem + pemlen, *b, *e;
	unsigned char *der = NULL;
	signed char    map[256];
	size_t	       len;
	int	       rc = -1, m;

	b64_table(map);
	/* base64 is 4/3 of the data: a block never decodes larger */
	if ((der = malloc(pemlen / 4 * 3 + 3)) == NULL)
		return -1;
	while ((b = memmem(p, (size_t)(end - p), PEM_BEGIN,
		    strlen(PEM_BEGIN))) != NULL) {
		b += strlen(PEM_BEGIN);
		if ((e = memmem(b, (size_t)(end - b), PEM_END,
			 strlen(PEM_END))) == NULL)
			break;
		p = e + strlen(PEM_END);
		/* most blocks are ruled out by their first bytes alone */
		len = (size_t)(e - b) < SUBJECT_PREFIX ? (size_t)(e - b) :
							 SUBJECT_PREFIX;
		if (b64_decode(map, b, len, der, &len) == -1 ||
		    (m = name_matches(der, len, names, nnames)) == 0)
			continue;
		if (b64_decode(map, b, (size_t)(e - b), der, &len) == -1 ||
		    (m == -1 && name_matches(der, len, names, nnames) != 1))
			continue;
		if (append(out, nout, der, len) == -1)
			goto done;
	}
	rc = 0;
done:
	free(der);
	return rc;
}

void
trust_certs_free(struct trust_cert *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].der);
	free(v);
}
