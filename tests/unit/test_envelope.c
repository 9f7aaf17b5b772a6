/*
 * test_envelope.c - unit tests for the envelope of a submitted message
 * (envelope.c).
 *
 * Each case is what the caller gives -- the configuration as INI text,
 * -f, the login, the recipient words, and with -t the header section --
 * and the envelope that comes out, or the first step's failure.  The
 * steps run as submit.c runs them: sender, words, header, check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "envelope.h"
#include "header.h"
#include "tap.h"

#define FROM   "[sender]\nfrom = alerts@example.com\ndomain = example.com\n"
#define DOMAIN "[sender]\ndomain = example.com\n"
#define ALIASES \
	"[sender]\ndomain = example.com\n[aliases]\n" \
	"root = ops@example.com\nadmins = alice, bob@other.org\n"
#define NODOMAIN "[aliases]\nroot = ops@example.com\n"

struct ecase {
	const char	    *name;
	const char	    *conf;
	const char	    *given; /* -f, or NULL */
	const char	    *login;
	const char	    *words[4];
	const char	    *header; /* -t: the section, or NULL */
	enum envelope_result want;
	const char	    *from;    /* when want is ENVELOPE_OK */
	const char	    *rcpts;   /* space-separated */
	size_t		     refused; /* recipients refused alone */
	const char	    *err;     /* its start, otherwise */
};

static const struct ecase cases[] = {
	{ "-f kept", FROM, "web@shop.org", "alice", { "a@x.org" }, NULL,
	    ENVELOPE_OK, "web@shop.org", "a@x.org", 0, NULL },
	{ "-f <a@x>: brackets dropped", FROM, "<web@shop.org>", "alice",
	    { "a@x.org" }, NULL, ENVELOPE_OK, "web@shop.org", "a@x.org", 0,
	    NULL },
	{ "-f<>: the null sender", FROM, "<>", "alice", { "a@x.org" }, NULL,
	    ENVELOPE_OK, "", "a@x.org", 0, NULL },
	{ "-f '': the null sender", FROM, "", "alice", { "a@x.org" }, NULL,
	    ENVELOPE_OK, "", "a@x.org", 0, NULL },
	{ "no -f: [sender] from", FROM, NULL, "alice", { "a@x.org" }, NULL,
	    ENVELOPE_OK, "alerts@example.com", "a@x.org", 0, NULL },
	{ "no -f, no from: the login at the domain", DOMAIN, NULL, "alice",
	    { "a@x.org" }, NULL, ENVELOPE_OK, "alice@example.com", "a@x.org", 0,
	    NULL },
	{ "-f root: a local sender is [sender] from", FROM, "root", "alice",
	    { "a@x.org" }, NULL, ENVELOPE_OK, "alerts@example.com", "a@x.org",
	    0, NULL },
	{ "no from, no domain: a configuration error", NODOMAIN, NULL, "alice",
	    { "a@x.org" }, NULL, ENVELOPE_CONFIG, NULL, NULL, 0,
	    "no sender address" },
	{ "-f with a space", FROM, "a b@x.org", "alice", { "a@x.org" }, NULL,
	    ENVELOPE_BAD, NULL, NULL, 0, "sender: " },
	{ "-f with CR LF: no command injection", FROM,
	    "a@x.org\r\nRCPT TO:<evil@x.org>", "alice", { "a@x.org" }, NULL,
	    ENVELOPE_BAD, NULL, NULL, 0, "sender: " },
	{ "cron's MAILTO list in one word", FROM, NULL, "alice",
	    { "a@x.org,b@y.org" }, NULL, ENVELOPE_OK, "alerts@example.com",
	    "a@x.org b@y.org", 0, NULL },
	{ "a display name in a word", FROM, NULL, "alice",
	    { "Ops Team <ops@x.org>" }, NULL, ENVELOPE_OK, "alerts@example.com",
	    "ops@x.org", 0, NULL },
	{ "local names through [aliases]", ALIASES, NULL, "alice",
	    { "root", "admins", "carol" }, NULL, ENVELOPE_OK,
	    "alice@example.com",
	    "ops@example.com alice@example.com bob@other.org carol@example.com",
	    0, NULL },
	{ "each recipient once", ALIASES, NULL, "alice",
	    { "root", "ops@EXAMPLE.com", "a@x.org, a@X.ORG" }, NULL,
	    ENVELOPE_OK, "alice@example.com", "ops@example.com a@x.org", 0,
	    NULL },
	{ "a local name with nowhere to go", NODOMAIN, "a@x.org", "alice",
	    { "alice" }, NULL, ENVELOPE_NOUSER, NULL, NULL, 0,
	    "local recipient \"alice\"" },
	{ "a word that does not parse", FROM, NULL, "alice",
	    { "a@x.org", "b@y.org, <c@z.org" }, NULL, ENVELOPE_BAD, NULL, NULL,
	    0, "recipient: " },
	{ "no recipients", FROM, NULL, "alice", { NULL }, NULL, ENVELOPE_EMPTY,
	    NULL, NULL, 0, "no recipients: " },
	{ "a recipient RCPT TO cannot take", FROM, NULL, "alice",
	    { "a@ex_ample.com" }, NULL, ENVELOPE_BAD, NULL, NULL, 0,
	    "recipient: " },
	{ "the only recipient with a local part not ASCII: none left", FROM,
	    NULL, "alice", { "b\xc3\xbc@x.org" }, NULL, ENVELOPE_NOUSER, NULL,
	    NULL, 1, "no recipient left" },
	{ "a local part not ASCII is refused alone; an IDN in A-labels", FROM,
	    NULL, "alice",
	    { "b\xc3\xbc@x.org, a@b\xc3\xbc"
	      "cher.example" },
	    NULL, ENVELOPE_OK, "alerts@example.com", "a@xn--bcher-kva.example",
	    1, NULL },
	{ "a sender whose local part is not ASCII", FROM, "b\xc3\xbc@x.org",
	    "alice", { "a@x.org" }, NULL, ENVELOPE_BAD, NULL, NULL, 0,
	    "sender: " },
	{ "-t: To, Cc and Bcc", FROM, NULL, "alice", { NULL },
	    "To: a@x.org\nCc: B <b@y.org>\nBcc: c@z.org\nSubject: hi\n",
	    ENVELOPE_OK, "alerts@example.com", "a@x.org b@y.org c@z.org", 0,
	    NULL },
	{ "-t with words: the words, then the header's", FROM, NULL, "alice",
	    { "d@w.org" }, "To: a@x.org, d@w.org\n", ENVELOPE_OK,
	    "alerts@example.com", "d@w.org a@x.org", 0, NULL },
	{ "-t: Resent- fields win", FROM, NULL, "alice", { NULL },
	    "To: a@x.org\nResent-To: r@x.org\n", ENVELOPE_OK,
	    "alerts@example.com", "r@x.org", 0, NULL },
	{ "-t: local names through [aliases]", ALIASES, NULL, "alice", { NULL },
	    "To: root, admins\n", ENVELOPE_OK, "alice@example.com",
	    "ops@example.com alice@example.com bob@other.org", 0, NULL },
	{ "-t: an undisclosed group and no word", FROM, NULL, "alice", { NULL },
	    "To: undisclosed-recipients:;\n", ENVELOPE_EMPTY, NULL, NULL, 0,
	    "no recipients: " },
	{ "-t: a To that does not parse", FROM, NULL, "alice", { NULL },
	    "To: <a@x.org\n", ENVELOPE_BAD, NULL, NULL, 0, "To: " },
};

/* The steps of submit.c; the first one that fails ends the case. */
static enum envelope_result
build(const struct ecase *c, const struct config *cfg, struct envelope *env,
    struct header_section *hs, char *err, size_t errlen)
{
	enum envelope_result r;
	size_t		     i;

	r = envelope_sender(env, cfg, c->given, c->login, err, errlen);
	for (i = 0; c->words[i] != NULL && r == ENVELOPE_OK; i++)
		r = envelope_add_word(env, cfg, c->words[i], err, errlen);
	if (r == ENVELOPE_OK && c->header != NULL) {
		if (header_parse(hs, c->header, strlen(c->header), err,
			errlen) == -1) {
			ok(0, "%s: header_parse: %s", c->name, err);
			return ENVELOPE_BAD;
		}
		r = envelope_add_header(env, cfg, hs, err, errlen);
	}
	if (r == ENVELOPE_OK)
		r = envelope_check(env, err, errlen);
	return r;
}

static void
run_case(const struct ecase *c)
{
	struct config	      cfg;
	struct envelope	      env;
	struct header_section hs;
	struct buf	      rcpts = { 0 };
	enum envelope_result  r;
	char		      err[512] = "";
	size_t		      i;

	memset(&env, 0, sizeof(env));
	memset(&hs, 0, sizeof(hs));
	if (config_init(&cfg, "/q") == -1 ||
	    config_parse(&cfg, c->conf, "t", err, sizeof(err)) == -1) {
		ok(0, "%s: config: %s", c->name, err);
		return;
	}
	r = build(c, &cfg, &env, &hs, err, sizeof(err));
	is_int(r, c->want, "%s: result", c->name);
	if (c->want != ENVELOPE_OK) {
		ok(strncmp(err, c->err, strlen(c->err)) == 0,
		    "%s: reason \"%s\"", c->name, err);
	} else {
		for (i = 0; i < env.rcpts.n; i++)
			buf_addf(&rcpts, "%s%s", i > 0 ? " " : "",
			    env.rcpts.v[i].addr);
		is_str(env.from, c->from, "%s: sender", c->name);
		is_str(rcpts.data, c->rcpts, "%s: recipients", c->name);
	}
	is_int((int)env.refused.n, (int)c->refused, "%s: refused alone",
	    c->name);
	buf_free(&rcpts);
	header_free(&hs);
	envelope_free(&env);
	config_free(&cfg);
}

/* The sender can be set again (-bs: a new MAIL FROM after RSET). */
static void
test_sender_again(void)
{
	struct config	cfg;
	struct envelope env;
	char		err[512];

	memset(&env, 0, sizeof(env));
	if (config_init(&cfg, "/q") == -1 ||
	    config_parse(&cfg, FROM, "t", err, sizeof(err)) == -1) {
		ok(0, "sender again: config: %s", err);
		return;
	}
	envelope_sender(&env, &cfg, "a@x.org", NULL, err, sizeof(err));
	is_int(envelope_sender(&env, &cfg, "b@y.org", NULL, err, sizeof(err)),
	    ENVELOPE_OK, "sender again: accepted");
	is_str(env.from, "b@y.org", "sender again: the second one");
	envelope_free(&env);
	ok(env.from == NULL && env.rcpts.n == 0, "envelope_free: empty again");
	envelope_free(&env); /* twice is fine */
	config_free(&cfg);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_sender_again();
	return done_testing();
}
