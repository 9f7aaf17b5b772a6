/*
 * test_idn.c - unit tests for envelope addresses without SMTPUTF8
 * (idn.c): domains to A-labels, local parts that are not ASCII.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "idn.h"
#include "tap.h"

static void
test_domain(void)
{
	static const struct {
		const char *in;
		const char *want; /* or "error" */
	} cases[] = {
		{ "example.com", "example.com" },
		{ "Example.COM", "Example.COM" }, /* ASCII: as it is */
		{ "b\xc3\xbc"
		  "cher.example",
		    "xn--bcher-kva.example" },
		{ "B\xc3\x9c"
		  "CHER.Example",
		    "xn--bcher-kva.example" },
		{ "\xe4\xbe\x8b\xe3\x81\x88."
		  "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88",
		    "xn--r8jz45g.xn--zckzah" },
		{ "stra\xc3\x9f"
		  "e.example",
		    "xn--strae-oqa.example" },
		{ "\xe2\x98\x83.example", "error" },
		{ "a\xcc\x88"
		  "b.example",
		    "xn--b-zfa.example" }, /* NFC */
	};
	char   err[256], *d;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d = idn_domain(cases[i].in, err, sizeof(err));
		is_str(d != NULL ? d : "error", cases[i].want, "domain %s",
		    cases[i].want);
		free(d);
	}
}

static void
test_address(void)
{
	static const struct {
		const char *in;
		const char *want; /* or the error */
	} cases[] = {
		{ "u@example.com", "u@example.com" },
		{ "root", "root" },
		{ "u@b\xc3\xbc"
		  "cher.example",
		    "u@xn--bcher-kva.example" },
		{ "\"a@b\"@b\xc3\xbc"
		  "cher.example",
		    "\"a@b\"@xn--bcher-kva.example" },
		{ "b\xc3\xa4r@example.com",
		    "the local part is not ASCII and the "
		    "relay does not offer SMTPUTF8" },
		{ "b\xc3\xa4r",
		    "the local part is not ASCII and the relay does "
		    "not offer SMTPUTF8" },
		{ "u@\xe2\x98\x83.example",
		    "the domain is not a valid "
		    "internationalised domain name (string contains a "
		    "disallowed character)" },
	};
	char   err[256], *a;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = strdup(cases[i].in);
		if (idn_address(&a, err, sizeof(err)) == 0)
			is_str(a, cases[i].want, "address -> %s",
			    cases[i].want);
		else {
			is_str(err, cases[i].want, "address: %s",
			    cases[i].want);
			is_str(a, cases[i].in, "address unchanged on error");
		}
		free(a);
	}
}

static const char *
list(const struct address_list *l)
{
	static char s[1024];
	size_t	    i;

	s[0] = '\0';
	for (i = 0; i < l->n; i++)
		snprintf(s + strlen(s), sizeof(s) - strlen(s), "%s%s",
		    i ? ", " : "", l->v[i].addr);
	return s;
}

static void
test_rcpts(void)
{
	static const char *const in[] = { "a@example.org",
		"u@b\xc3\xbc"
		"cher.example",
		"b\xc3\xa4r@example.com", "u@xn--bcher-kva.example",
		"U@B\xc3\x9c"
		"CHER.example",
		"c@example.org" };
	struct address_list	 rcpts = { 0 }, refused = { 0 };
	char			 err[256];
	size_t			 i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		address_list_add(&rcpts, in[i], NULL);
	is_int(idn_rcpts(&rcpts, &refused, err, sizeof(err)), 0, "rcpts");
	is_str(list(&rcpts),
	    "a@example.org, u@xn--bcher-kva.example, "
	    "U@xn--bcher-kva.example, c@example.org",
	    "rcpts: A-labels, "
	    "the duplicate dropped, local parts kept as they are");
	is_str(list(&refused), "b\xc3\xa4r@example.com",
	    "rcpts: the "
	    "non-ASCII local part refused alone");
	address_list_free(&rcpts);
	address_list_free(&refused);

	address_list_add(&rcpts, "a@example.org", NULL);
	address_list_add(&rcpts, "u@\xe2\x98\x83.example", NULL);
	is_int(idn_rcpts(&rcpts, &refused, err, sizeof(err)), -1,
	    "rcpts: "
	    "a domain that is no IDN");
	is_str(err,
	    "the domain is not a valid internationalised domain name "
	    "(string contains a disallowed character): "
	    "\"u@\\xe2\\x98\\x83.example\"",
	    "rcpts: the reason quotes it "
	    "safely");
	is_str(list(&rcpts), "a@example.org, u@\xe2\x98\x83.example",
	    "rcpts: unchanged on error");
	address_list_free(&rcpts);
	address_list_free(&refused);
}

/* 31 labels "ü" after 9 a's: 102 octets in UTF-8, 257 in A-labels. */
static void
test_too_long(void)
{
	char   addr[512], *a;
	char   err[512];
	size_t i, n;

	n = (size_t)snprintf(addr, sizeof(addr), "aaaaaaaaa@");
	for (i = 0; i < 31; i++)
		n += (size_t)snprintf(addr + n, sizeof(addr) - n, "%s\xc3\xbc",
		    i ? "." : "");
	ok(address_check_envelope(addr, 0, NULL, err, sizeof(err)) == 0,
	    "too long: fits the envelope in UTF-8");
	a = strdup(addr);
	is_int(idn_address(&a, err, sizeof(err)), -1,
	    "too long: refused in "
	    "A-labels");
	is_str(err,
	    "in A-labels, address longer than 254 octets: "
	    "\"aaaaaaaaa@xn--tda.xn--tda.xn--tda.xn--tda.xn--tda.xn--tda."
	    "xn--tda.xn--tda.xn--td...\"",
	    "too long: the reason");
	is_str(a, addr, "too long: unchanged");
	free(a);
}

int
main(void)
{
	test_domain();
	test_address();
	test_too_long();
	test_rcpts();
	return done_testing();
}
