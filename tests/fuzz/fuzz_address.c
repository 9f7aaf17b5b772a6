/*
 * fuzz_address.c - libFuzzer target for src/address.c.
 *
 * Parses the input as an address list and checks what the rest of the
 * program relies on: spans lie inside the input, no parsed address holds
 * a line break or NUL, an address that passes the envelope check holds no
 * control byte, and a failed parse leaves the list as it was.  An
 * address that passes converts (idn.c) to one that is ASCII and passes
 * again, or fails with a reason; a domain that passes its check holds no
 * control byte; an /etc/hosts line's canonical name lies inside it
 * (localnames.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "idn.h"
#include "localnames.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_mailbox(const struct address *a, size_t len)
{
	const char *s;
	char	    err[128];
	int	    utf8;

	if (a->addr == NULL || a->addr[0] == '\0')
		abort();
	if (a->span_len == 0 || a->span_off > len ||
	    a->span_len > len - a->span_off)
		abort();
	if (strpbrk(a->addr, "\r\n") != NULL)
		abort();
	if (address_check_envelope(a->addr, 0, &utf8, err, sizeof(err)) == 0) {
		for (s = a->addr; *s != '\0'; s++)
			if ((unsigned char)*s < 0x20 || *s == 0x7f ||
			    (!utf8 && (unsigned char)*s >= 0x80))
				abort();
	}
}

/* An envelope address in A-labels: ASCII, and still a good address. */
static void
check_ascii(const char *addr)
{
	char  *a, err[512];
	size_t i;

	if (*addr == '\0' || (a = strdup(addr)) == NULL)
		return;
	if (idn_address(&a, err, sizeof(err)) == 0) {
		for (i = 0; a[i] != '\0'; i++)
			if ((unsigned char)a[i] >= 0x80)
				abort();
		if (address_check_envelope(a, 0, NULL, err, sizeof(err)) == -1)
			abort();
	} else if (strlen(err) == 0 || strcmp(a, addr) != 0)
		abort();
	free(a);
}

static void
check_hosts_line(const char *line)
{
	struct localnames hosts = { NULL, 0 };
	const char	 *canon;
	size_t		  len, n = strlen(line);

	if (localnames_add(&hosts, "web1", 4) == -1)
		return;
	if (localnames_hosts_line(line, n, &hosts, &canon, &len) &&
	    (canon < line || len == 0 || canon + len > line + n))
		abort();
	localnames_free(&hosts);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct address_list l = { 0 }, d = { 0 };
	char		    err[128], *s;
	size_t		    i;

	if (address_list_parse(&l, (const char *)data, size, err,
		sizeof(err)) == 0) {
		for (i = 0; i < l.n; i++) {
			check_mailbox(&l.v[i], size);
			if (address_list_add(&d, l.v[i].addr, l.v[i].display) ==
				-1 ||
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
	if (address_check_envelope(s, 1, NULL, err, sizeof(err)) == 0) {
		if (strpbrk(s, "\r\n\t") != NULL || strlen(s) > ADDRESS_MAX)
			abort();
		check_ascii(s);
	}
	if (address_check_domain(s, err, sizeof(err)) == 0 &&
	    strpbrk(s, "\r\n\t@") != NULL)
		abort();
	check_hosts_line(s);
	free(s);
	return 0;
}
