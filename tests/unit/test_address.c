/*
 * test_address.c - unit tests for src/address.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "tap.h"

/* text with line breaks and control bytes escaped, for a TAP test name. */
static const char *
shown(const char *text)
{
	static char out[2][512];
	static int  which;
	char	   *o = out[which ^= 1];
	size_t	    n = 0;

	for (; *text != '\0' && n < sizeof(out[0]) - 5; text++) {
		if ((unsigned char)*text < 0x20)
			n += snprintf(o + n, 5, "\\x%02x",
			    (unsigned char)*text);
		else
			o[n++] = *text;
	}
	o[n] = '\0';
	return o;
}

/*
 * Parse text and compare the result with want: the addr-specs joined by
 * " | ", each followed by "=display" when it has one.  want NULL means a
 * syntax error is expected.
 */
static void
check_list(const char *text, const char *want)
{
	struct address_list l = { 0 };
	char		    err[256] = "", got[1024] = "";
	size_t		    i;
	int		    rc;

	rc = address_list_parse(&l, text, strlen(text), err, sizeof(err));
	if (want == NULL) {
		ok(rc == -1 && err[0] != '\0' && l.n == 0, "refused: %s (%s)",
		    shown(text), err);
		address_list_free(&l);
		return;
	}
	for (i = 0; rc == 0 && i < l.n; i++) {
		if (i > 0)
			strlcat(got, " | ", sizeof(got));
		strlcat(got, l.v[i].addr, sizeof(got));
		if (l.v[i].display != NULL) {
			strlcat(got, "=", sizeof(got));
			strlcat(got, l.v[i].display, sizeof(got));
		}
	}
	if (rc == -1)
		strlcpy(got, err, sizeof(got));
	is_str(got, want, "parse: %s", shown(text));
	address_list_free(&l);
}

/* The span of the only mailbox in text must be want. */
static void
check_span(const char *text, const char *want)
{
	struct address_list l = { 0 };
	char		    err[256], got[256] = "(none)";
	int		    rc;

	rc = address_list_parse(&l, text, strlen(text), err, sizeof(err));
	if (rc == 0 && l.n == 1 && l.v[0].span_len < sizeof(got)) {
		memcpy(got, text + l.v[0].span_off, l.v[0].span_len);
		got[l.v[0].span_len] = '\0';
	}
	is_str(got, want, "span in: %s", shown(text));
	address_list_free(&l);
}

static void
test_cron_and_local(void)
{
	check_list("root", "root");
	check_list("root (Cron Daemon)", "root");
	check_list("root\n", "root");
	check_list("Root <root>", "root=Root");
	check_list("a@x,b@y", "a@x | b@y");
	check_list("a@x, b@y ,c@z", "a@x | b@y | c@z");
	check_list("first.last", "first.last");
	check_span("root (Cron Daemon)", "root");
	check_span("Root <root>", "root");
	check_span("  alice@example.com  ", "alice@example.com");
}

static void
test_forms(void)
{
	check_list("Alice <alice@example.com>", "alice@example.com=Alice");
	check_list("\"Doe, John\" <john@example.com>, jane@example.com",
	    "john@example.com=\"Doe, John\" | jane@example.com");
	check_list("<bob@example.com>", "bob@example.com");
	check_list("John Q. Public <jqp@example.com>",
	    "jqp@example.com=John Q. Public");
	check_list("=?UTF-8?B?SsO8cmdlbg==?= <j@example.de>",
	    "j@example.de==?UTF-8?B?SsO8cmdlbg==?=");
	check_list("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
	    "PIRARD@vm1.ulg.ac.be==?ISO-8859-1?Q?Andr=E9?= Pirard");
	check_list("J\xc3\xbcrgen <j@example.de>",
	    "j@example.de=J\xc3\xbcrgen");
	check_list("\"a,b\"@x.example", "\"a,b\"@x.example");
	check_list("\"a@b\"@x.example, c@y", "\"a@b\"@x.example | c@y");
	check_list("\"a\\\"b\"@x", "\"a\\\"b\"@x");
	check_list("user@[192.0.2.1]", "user@[192.0.2.1]");
	check_list("<>", "");
	check_list("", "");
	check_list(" , ,", "");
	check_span("\"a,b\"@x.example (c)", "\"a,b\"@x.example");
}

static void
test_comments(void)
{
	check_list("a@x (comment (nested) with @ and <>)", "a@x");
	check_list("(lead) a@x (trail), (c@d) b@y", "a@x | b@y");
	check_list("Pete(A nice \\) chap) <pete(his account)@silly.test"
		   "(his host)>",
	    "pete@silly.test=Pete");
	check_list("a . b @ x . example", "a.b@x.example");
	/* The span covers comments inside the addr-spec. */
	check_span("Pete <pete(his account)@silly.test(his host)>",
	    "pete(his account)@silly.test");
}

static void
test_groups(void)
{
	check_list("undisclosed-recipients:;", "");
	check_list("undisclosed-recipients: ;", "");
	check_list("undisclosed-recipients:", "");
	check_list("team: a@x, B <b@y>;, c@z", "a@x | b@y=B | c@z");
	check_list("A Group:Ed Jones <c@a.test>,joe@where.test,John "
		   "<jdoe@one.test>;",
	    "c@a.test=Ed Jones | joe@where.test | "
	    "jdoe@one.test=John");
	check_list("a: b: c@x;;", NULL);
	check_list(": a@x;", NULL);
	check_list("a@x;", NULL);
}

static void
test_folding(void)
{
	check_list("a@x,\n b@y,\n\tC <c@z>\n", "a@x | b@y | c@z=C");
	check_list("\"Folded\n Name\" <f@x>", "f@x=\"Folded Name\"");
	check_list("a@x\nBcc: evil@y", NULL);
	check_list("a@x,\n", "a@x");
}

static void
test_obsolete(void)
{
	check_list("<@relay1.test,@relay2.test:joe@final.test>",
	    "joe@final.test");
	check_list("a@x,,b@y", "a@x | b@y");
	check_span("Joe <@r.test:joe@final.test>", "joe@final.test");
}

static void
test_errors(void)
{
	check_list("Alice <alice@example.com", NULL);
	check_list("alice@example.com>", NULL);
	check_list("\"unterminated@x", NULL);
	check_list("a@x (unbalanced", NULL);
	check_list("a@x )", NULL);
	check_list("a@x\r", NULL);
	check_list("a\001b@x", NULL);
	check_list("John Smith", NULL);
	check_list("a@", NULL);
	check_list("@x", NULL);
	check_list("a@b@c", NULL);
	check_list("a@x <b@y>", NULL);
	check_list(".a@x", NULL);
	check_list("a..b@x", NULL);
	check_list("a@x..y", NULL);
	check_list("a@[x", NULL);
	check_list("<a@x> b", NULL);
	check_list("a@x\\", NULL);
}

/* A failed parse leaves what the list held before. */
static void
test_error_keeps_list(void)
{
	struct address_list l = { 0 };
	char		    err[128];
	const char	   *bad = "b@y, c@z, <d@w";

	address_list_parse(&l, "a@x", 3, err, sizeof(err));
	is_int(address_list_parse(&l, bad, strlen(bad), err, sizeof(err)), -1,
	    "error in second parse");
	is_int(l.n, 1, "list keeps its first entry");
	is_str(l.v[0].addr, "a@x", "first entry intact");
	is_str(err, "missing '>' at end of address list", "reason");
	address_list_free(&l);
	is_int(l.n, 0, "freed list is empty");
}

static void
test_add(void)
{
	struct address_list l = { 0 };

	is_int(address_list_add(&l, "a@example.com", NULL), 1, "add");
	is_int(address_list_add(&l, "a@EXAMPLE.com", "A"), 0,
	    "domain case ignored");
	is_int(address_list_add(&l, "A@example.com", NULL), 1,
	    "local part case kept");
	is_int(address_list_add(&l, "root", NULL), 1, "local name");
	is_int(address_list_add(&l, "root", NULL), 0, "local name twice");
	is_int(address_list_add(&l, "\"x@y\"", NULL), 1, "quoted local");
	is_int(address_list_add(&l, "\"x@y\"@Y", NULL), 1,
	    "quoted differs from its domain form");
	is_int(address_list_add(&l, "\"x@y\"@y", NULL), 0,
	    "quoted local with domain case ignored");
	is_int(l.n, 5, "five entries");
	ok(l.v[0].span_len == 0 && l.v[0].display == NULL,
	    "added entry has no span and no display");
	address_list_free(&l);
}

/*
 * The duplicate index must see entries that address_list_parse appended
 * without it, and keep working across its growth (thousands of entries).
 */
static void
test_add_many(void)
{
	struct address_list l = { 0 };
	char		    err[256], addr[32];
	const char	   *hdr = "x@Example.com, y@example.com";
	int		    i, fresh = 0, dups = 0;

	is_int(address_list_parse(&l, hdr, strlen(hdr), err, sizeof(err)), 0,
	    "parse two");
	is_int(address_list_add(&l, "x@example.COM", NULL), 0,
	    "parsed entry seen by the index");
	for (i = 0; i < 5000; i++) {
		snprintf(addr, sizeof(addr), "r%d@x.io", i);
		fresh += address_list_add(&l, addr, NULL) == 1;
	}
	for (i = 4999; i >= 0; i--) {
		snprintf(addr, sizeof(addr), "r%d@X.IO", i);
		dups += address_list_add(&l, addr, NULL) == 0;
	}
	is_int(fresh, 5000, "5000 new addresses added");
	is_int(dups, 5000, "all 5000 found again after the index grew");
	is_int(l.n, 5002, "first-seen order kept, nothing twice");
	is_str(l.v[2].addr, "r0@x.io", "order of first sight");
	is_str(l.v[5001].addr, "r4999@x.io", "last one last");
	address_list_free(&l);
}

static void
test_at(void)
{
	ok(address_is_local("root"), "root is local");
	ok(!address_is_local("root@x"), "root@x is not local");
	ok(address_is_local("\"a@b\""), "quoted @ does not count");
	is_str(address_at("\"a@b\"@c"), "@c", "address_at skips quotes");
	is_str(address_at("\"a\\\"@b\"@c"), "@c",
	    "address_at honours quoted-pairs");
}

/* The envelope check must accept "addr" (want 0) or refuse it (-1). */
static void
check_env(const char *addr, int allow_empty, int want, int want_utf8)
{
	char err[256] = "";
	int  rc, utf8 = -1;

	rc = address_check_envelope(addr, allow_empty, &utf8, err, sizeof(err));
	ok(rc == want && (rc == -1 || utf8 == want_utf8) &&
		(rc == 0 || err[0] != '\0'),
	    "envelope %s: %.60s%s%s", want == 0 ? "accepts" : "refuses",
	    shown(addr), err[0] ? " - " : "", err);
}

static void
test_envelope(void)
{
	char big[5001], err[256];
	char local[80];

	check_env("alice@example.com", 0, 0, 0);
	check_env("root", 0, 0, 0);
	check_env("", 1, 0, 0);
	check_env("", 0, -1, 0);
	check_env("\"a b\"@example.com", 0, 0, 0);
	check_env("\"a,b\"@example.com", 0, 0, 0);
	check_env("user@[192.0.2.1]", 0, 0, 0);
	check_env("user@[IPv6:2001:db8::1]", 0, 0, 0);
	check_env("j\xc3\xbcrgen@example.de", 0, 0, 1);
	check_env("user@b\xc3\xbc\x63her.example", 0, 0, 1);
	check_env("user@example.com\r\nRCPT TO:<evil@x>", 0, -1, 0);
	check_env("user@example.com\nDATA", 0, -1, 0);
	check_env("us\ter@example.com", 0, -1, 0);
	check_env("a b@example.com", 0, -1, 0);
	check_env("<a@example.com>", 0, -1, 0);
	check_env("a@b@example.com", 0, -1, 0);
	check_env("a@", 0, -1, 0);
	check_env("@example.com", 0, -1, 0);
	check_env("a@-x.example", 0, -1, 0);
	check_env("a@x-.example", 0, -1, 0);
	check_env("a@x..example", 0, -1, 0);
	check_env("a@x.example.", 0, -1, 0);
	check_env("a@under_score.example", 0, -1, 0);
	check_env("a@[1.2.3.4", 0, -1, 0);
	check_env(".a@example.com", 0, -1, 0);
	check_env("\"unterminated@example.com", 0, -1, 0);
	check_env("\"a\"b@example.com", 0, -1, 0);
	check_env("bad\xc3(@example.com", 0, -1, 0);
	check_env("\xed\xa0\x80@example.com", 0, -1, 0);

	memset(local, 'l', 64);
	strlcpy(local + 64, "@example.com", sizeof(local) - 64);
	check_env(local, 0, 0, 0);
	memmove(local + 1, local, strlen(local) + 1);
	check_env(local, 0, -1, 0);

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[40] = '@';
	ok(address_check_envelope(big, 0, NULL, err, sizeof(err)) == -1,
	    "5000-character address refused");
	ok(strstr(err, "longer than 254") != NULL && strlen(err) < 140,
	    "reason is short: %s", err);

	address_check_envelope("a@x\r\nMAIL FROM:<\"e\\\">", 0, NULL, err,
	    sizeof(err));
	is_str(err,
	    "line break in address: "
	    "\"a@x\\x0d\\x0aMAIL FROM:<\\\"e\\\\\\\">\"",
	    "control bytes and quotes are escaped in the reason");
	is_int(address_check_envelope("a b", 0, NULL, err, 8), -1,
	    "small error buffer");
	is_int((long)strlen(err), 7, "reason truncated to fit");
}

/* The byte checks alone: a local name with a line break is refused. */
static void
test_bytes(void)
{
	char err[128];

	is_int(address_check_bytes("root", err, sizeof(err)), 0,
	    "bytes: a local name");
	is_int(address_check_bytes("j\xc3\xbc"
				   "rgen@b\xc3\xbc"
				   "cher.example",
		   err, sizeof(err)),
	    0, "bytes: UTF-8");
	is_int(address_check_bytes("root x", err, sizeof(err)), 0,
	    "bytes: a space is syntax, not a byte check");
	is_int(address_check_bytes("root\n", err, sizeof(err)), -1,
	    "bytes: LF refused");
	is_str(err, "line break in address: \"root\\x0a\"", "bytes: reason");
	is_int(address_check_bytes("ro\rot", err, sizeof(err)), -1,
	    "bytes: CR refused");
	is_int(address_check_bytes("ro\tot", err, sizeof(err)), -1,
	    "bytes: TAB refused");
	is_int(address_check_bytes("ro\001ot", err, sizeof(err)), -1,
	    "bytes: SOH refused");
	is_str(err, "control character in address: \"ro\\x01ot\"",
	    "bytes: reason for SOH");
	is_int(address_check_bytes("root\x7f", err, sizeof(err)), -1,
	    "bytes: DEL refused");
	is_int(address_check_bytes("r\xc3", err, sizeof(err)), -1,
	    "bytes: invalid UTF-8 refused");
}

/* Argument words as cron's MAILTO and scripts pass them. */
static void
test_words(void)
{
	check_list("ops@example.com,dev@example.com",
	    "ops@example.com | dev@example.com");
	check_list("Ops Team <ops@example.com>", "ops@example.com=Ops Team");
	check_list("ops@example.com\nRCPT TO:<x@y>", NULL);
}

int
main(void)
{
	test_cron_and_local();
	test_forms();
	test_comments();
	test_groups();
	test_folding();
	test_obsolete();
	test_errors();
	test_error_keeps_list();
	test_add();
	test_add_many();
	test_at();
	test_envelope();
	test_bytes();
	test_words();
	return done_testing();
}
