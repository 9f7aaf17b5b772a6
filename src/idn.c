/*
 * idn.c - envelope addresses for a relay without SMTPUTF8; see idn.h.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "idn.h"

static int
is_ascii(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

char *
idn_domain(const char *domain, char *err, size_t errlen)
{
	char *out = NULL, *copy;
	int   rc;

	if (is_ascii(domain, strlen(domain))) {
		if ((copy = strdup(domain)) == NULL)
			snprintf(err, errlen, "out of memory");
		return copy;
	}
	rc = idn2_to_ascii_8z(domain, &out,
	    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		if (rc == IDN2_MALLOC)
			errno = ENOMEM;
		snprintf(err, errlen,
		    "not a valid internationalised domain "
		    "name (%s)",
		    idn2_strerror(rc));
		return NULL;
	}
	/* libidn2 allocates with malloc: free() releases it */
	return out;
}

int
idn_local_utf8(const char *addr)
{
	const char *at = address_at(addr);

	return !is_ascii(addr, at != NULL ? (size_t)(at - addr) : strlen(addr));
}

int
idn_address(char **addr, char *err, size_t errlen)
{
	const char *at = address_at(*addr);
	char	   *domain, *s;
	char	    why[ADDRESS_QUOTED + 64];
	int	    n;

	if (idn_local_utf8(*addr)) {
		snprintf(err, errlen,
		    "the local part is not ASCII and the "
		    "relay does not offer SMTPUTF8");
		return -1;
	}
	if (at == NULL || is_ascii(at + 1, strlen(at + 1)))
		return 0;
	if ((domain = idn_domain(at + 1, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "the domain is %s", why);
		return -1;
	}
	n = asprintf(&s, "%.*s@%s", (int)(at - *addr), *addr, domain);
	free(domain);
	if (n == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* A-labels are longer than what they encode: 254 octets still */
	if (address_check_envelope(s, 0, NULL, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "in A-labels, %s", why);
		free(s);
		return -1;
	}
	free(*addr);
	*addr = s;
	return 0;
}

int
idn_rcpts(struct address_list *rcpts, struct address_list *refused, char *err,
    size_t errlen)
{
	struct address_list out = { 0 };
	char		   *a = NULL, why[256], shown[ADDRESS_QUOTED];
	size_t		    i;

	for (i = 0; i < rcpts->n; i++) {
		if (idn_local_utf8(rcpts->v[i].addr)) {
			if (address_list_add(refused, rcpts->v[i].addr, NULL) ==
			    -1)
				goto nomem;
			continue;
		}
		if ((a = strdup(rcpts->v[i].addr)) == NULL)
			goto nomem;
		if (idn_address(&a, why, sizeof(why)) == -1) {
			address_quote(a, shown, sizeof(shown));
			snprintf(err, errlen, "%s: \"%s\"", why, shown);
			goto fail;
		}
		if (address_list_add(&out, a, rcpts->v[i].display) == -1)
			goto nomem;
		free(a);
		a = NULL;
	}
	address_list_free(rcpts);
	*rcpts = out;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	free(a);
	address_list_free(&out);
	return -1;
}
