/*
 * test_trust.c - picking trust anchors out of a PEM bundle by subject.
 *
 * GnuTLS's own parser is the reference: for every certificate of the
 * system bundle, the subject found by walking DER headers must be the
 * raw DN GnuTLS reports, and trust_find() must return exactly the
 * certificates asked for.
 */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "readfile.h"
#include "tap.h"
#include "trust.h"

#define BUNDLE "/etc/ssl/certs/ca-certificates.crt"

static gnutls_x509_crt_t *certs;
static unsigned int	  ncerts;

static void
check_subjects(void)
{
	gnutls_datum_t der, dn;
	size_t	       off, len;
	unsigned int   i, same = 0;

	for (i = 0; i < ncerts; i++) {
		gnutls_x509_crt_export2(certs[i], GNUTLS_X509_FMT_DER, &der);
		gnutls_x509_crt_get_raw_dn(certs[i], &dn);
		if (trust_der_subject(der.data, der.size, &off, &len) == 0 &&
		    len == dn.size && memcmp(der.data + off, dn.data, len) == 0)
			same++;
		/* a prefix that ends inside the subject is no subject */
		if (trust_der_subject(der.data, off + len - 1, &off, &len) == 0)
			same = 0;
		gnutls_free(der.data);
		gnutls_free(dn.data);
	}
	is_int(same, ncerts, "the subject of each of %u certificates", ncerts);
}

static void
check_find(const struct buf *pem)
{
	struct trust_name  names[2];
	struct trust_cert *found = NULL;
	gnutls_datum_t	   dn[2], der;
	size_t		   n = 0;
	unsigned int	   pick[2] = { 0, ncerts - 1 }, i;

	for (i = 0; i < 2; i++) {
		gnutls_x509_crt_get_raw_dn(certs[pick[i]], &dn[i]);
		names[i].der = dn[i].data;
		names[i].len = dn[i].size;
	}
	ok(trust_find(pem->data, pem->len, names, 2, &found, &n) == 0,
	    "trust_find succeeds");
	is_int((long)n, 2, "finds the two certificates asked for");
	gnutls_x509_crt_export2(certs[ncerts - 1], GNUTLS_X509_FMT_DER, &der);
	ok(n == 2 && found[1].len == der.size &&
		memcmp(found[1].der, der.data, der.size) == 0,
	    "the last one byte for byte");
	gnutls_free(der.data);
	trust_certs_free(found, n);
	found = NULL;
	n = 0;
	ok(trust_find(pem->data, pem->len, names, 0, &found, &n) == 0 && n == 0,
	    "no names: nothing found");
	for (i = 0; i < 2; i++)
		gnutls_free(dn[i].data);
}

static void
check_malformed(void)
{
	static const char bad[] =
	    "-----BEGIN CERTIFICATE-----\n!!!!\n"
	    "-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIB\n";
	static const unsigned char shortder[] = { 0x30, 0x82, 0x01 };
	struct trust_name	   name = { shortder, sizeof(shortder) };
	struct trust_cert	  *found = NULL;
	size_t			   n = 0, off, len;

	ok(trust_find(bad, sizeof(bad) - 1, &name, 1, &found, &n) == 0 &&
		n == 0,
	    "undecodable and unterminated blocks are skipped");
	ok(trust_der_subject(shortder, sizeof(shortder), &off, &len) == -1,
	    "truncated DER is refused");
}

int
main(void)
{
	struct buf     pem = { 0 };
	struct stat    st;
	gnutls_datum_t data;
	char	       err[256];

	if (readfile(BUNDLE, 16 << 20, &pem, &st, err, sizeof(err)) == -1) {
		printf("1..0 # SKIP %s\n", err);
		return 0;
	}
	data.data = (unsigned char *)pem.data;
	data.size = (unsigned int)pem.len;
	if (gnutls_x509_crt_list_import2(&certs, &ncerts, &data,
		GNUTLS_X509_FMT_PEM, 0) < 0 ||
	    ncerts < 2) {
		printf("1..0 # SKIP cannot parse %s\n", BUNDLE);
		return 0;
	}
	check_subjects();
	check_find(&pem);
	check_malformed();
	for (unsigned int i = 0; i < ncerts; i++)
		gnutls_x509_crt_deinit(certs[i]);
	gnutls_free(certs);
	buf_free(&pem);
	return done_testing();
}
