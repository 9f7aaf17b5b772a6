/*
 * fuzz_address.c - libFuzzer target for src/address.c.
 *
 * Parses the input as an address list and checks what the rest of the
 * program relies on: spans lie inside the input, no parsed address holds
 * a line break or NUL, an address that passes the envelope check holds no
 * control byte, and a failed parse leaves the list as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_mailbox(const struct address *a, size_t len)
{
	const char	*s;
	char		 err[128];
	int		 utf8;

	if (a->addr == NULL || a->addr[0] == '\0')
		abort();
	if (a->span_len == 0 || a->span_off > len ||
	    a->span_len > len - a->span_off)
		abort();
	if (strpbrk(a->addr, "\r\n") != NULL)
		abort();
	if (address_check_envelope(a->addr, 0, &utf8, err,
	    sizeof(err)) == 0) {
		for (s = a->addr; *s != '\0'; s++)
			if ((unsigned char)*s < 0x20 || *s == 0x7f ||
			    (!utf8 && (unsigned char)*s >= 0x80))
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct address_list	 l = { 0 }, d = { 0 };
	char			 err[128], *s;
	size_t			 i;

	if (address_list_parse(&l, (const char *)data, size, err,
	    sizeof(err)) == 0) {
		for (i = 0; i < l.n; i++) {
			check_mailbox(&l.v[i], size);
			if (address_list_add(&d, l.v[i].addr,
			    l.v[i].display) == -1 ||
			    address_list_add(&d, l.v[i].addr, NULL) != 0)
				abort();
		}
	} else if (l.n != 0 || strlen(err) == 0)
		abort();
	address_list_free(&l);
	address_list_free(&d);

	/* The same bytes as one envelope address (argv, -f). */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (address_check_envelope(s, 1, NULL, err, sizeof(err)) == 0 &&
	    (strpbrk(s, "\r\n\t") != NULL || strlen(s) > ADDRESS_MAX))
		abort();
	free(s);
	return 0;
}
