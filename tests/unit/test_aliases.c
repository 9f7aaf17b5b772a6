/*
 * test_aliases.c - unit tests for local recipient and sender mapping
 * (aliases.c).
 *
 * A few configurations, written as the INI text an administrator would
 * write, and tables of addresses in and envelope addresses (or the
 * error) out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "aliases.h"
#include "config.h"
#include "tap.h"

enum {
	CFG_ALIASES,
	CFG_CATCHALL,
	CFG_NODOMAIN,
	CFG_FROM,
	CFG_DOMAIN,
	CFG_NONE,
	CFG_HOST,
	CFG_HOST_NODOMAIN,
	CFG_COUNT
};

static const char *const cfg_text[CFG_COUNT] = {
	[CFG_ALIASES] =
	    "[sender]\ndomain = example.com\n"
	    "[aliases]\n"
	    "root = ops@example.com\n"
	    "admins = alice, bob@other.org, \"Carol C.\" <carol>\n"
	    "twice = ops@example.com, ops@EXAMPLE.COM, OPS@example.com\n"
	    "chain = root\n",
	[CFG_CATCHALL] = "[sender]\ndomain = example.com\n"
			 "[aliases]\n"
			 "* = postmaster, catch@example.com\n"
			 "root = ops@example.com\n",
	[CFG_NODOMAIN] = "[aliases]\n"
			 "root = ops@example.com\n"
			 "team = alice\n",
	[CFG_FROM] =
	    "[sender]\nfrom = alerts@example.com\ndomain = example.com\n",
	[CFG_DOMAIN] = "[sender]\ndomain = example.com\n",
	[CFG_NONE] = "",
	/* with the host names of set_host_names() */
	[CFG_HOST] =
	    "[sender]\nfrom = alerts@example.com\ndomain = example.com\n"
	    "local_domains = lan.example, B\xc3\xbc"
	    "ro.example\n"
	    "[aliases]\n"
	    "root = ops@example.com\n"
	    "team = alice@localhost, bob@web1\n",
	[CFG_HOST_NODOMAIN] = "[aliases]\nroot = ops@example.com\n",
};

/*
 * The names localnames_gather() would find on a host called web1 in
 * example.org, with the mail name example.com (the sending domain: never
 * local) and its FQDN in /etc/hosts.
 */
static int
set_host_names(struct config *cfg)
{
	static const char *const names[] = { "web1", "web1.example.org",
		"example.com" };
	size_t			 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (localnames_add(&cfg->host_names, names[i],
			strlen(names[i])) == -1)
			return -1;
	return 0;
}

static struct config cfgs[CFG_COUNT];

static int
load_configs(void)
{
	char   err[256];
	size_t i;

	for (i = 0; i < CFG_COUNT; i++)
		if (config_init(&cfgs[i], "/q") == -1 ||
		    config_parse(&cfgs[i], cfg_text[i], "t", err,
			sizeof(err)) == -1 ||
		    ((i == CFG_HOST || i == CFG_HOST_NODOMAIN) &&
			set_host_names(&cfgs[i]) == -1)) {
			ok(0, "config %zu parses: %s", i, err);
			return -1;
		}
	return 0;
}

static void
test_expand(void)
{
	static const struct {
		const char *name;
		int	    cfg;
		const char *in[4];
		const char *want; /* ", "-joined, or the error */
	} cases[] = {
		{ "exact alias", CFG_ALIASES, { "root" }, "ops@example.com" },
		{ "alias names match without case", CFG_ALIASES, { "Root" },
		    "ops@example.com" },
		{ "several addresses, local ones qualified", CFG_ALIASES,
		    { "admins" },
		    "alice@example.com, bob@other.org, carol@example.com" },
		{ "one level only", CFG_ALIASES, { "chain" },
		    "root@example.com" },
		{ "no alias: name@domain", CFG_ALIASES, { "www-data" },
		    "www-data@example.com" },
		{ "qualified address untouched", CFG_ALIASES,
		    { "User@Other.Org" }, "User@Other.Org" },
		{ "qualified address that looks like an alias", CFG_ALIASES,
		    { "root@elsewhere.org" }, "root@elsewhere.org" },
		{ "duplicates within an alias", CFG_ALIASES, { "twice" },
		    "ops@example.com, OPS@example.com" },
		{ "duplicates across recipients", CFG_ALIASES,
		    { "root", "ops@example.com", "ops@Example.Com" },
		    "ops@example.com" },
		{ "alias and a member given", CFG_ALIASES,
		    { "alice", "admins" },
		    "alice@example.com, bob@other.org, carol@example.com" },

		{ "catch-all", CFG_CATCHALL, { "nobody" },
		    "postmaster@example.com, catch@example.com" },
		{ "exact alias before catch-all", CFG_CATCHALL, { "root" },
		    "ops@example.com" },
		{ "catch-all is for local names only", CFG_CATCHALL,
		    { "user@example.org" }, "user@example.org" },
		{ "no domain: alias still works", CFG_NODOMAIN, { "root" },
		    "ops@example.com" },
		{ "no alias, no domain", CFG_NODOMAIN, { "www-data" },
		    "local recipient \"www-data\" has no alias and no [sender] "
		    "domain is set" },
		{ "local name in an alias, no domain", CFG_NODOMAIN, { "team" },
		    "alias team: \"alice\" has no domain and no [sender] "
		    "domain "
		    "is set to qualify it" },
		/* host-local addresses are local names (issue 14) */
		{ "root@localhost: the alias", CFG_HOST, { "root@localhost" },
		    "ops@example.com" },
		{ "ROOT@LocalHost.: the alias", CFG_HOST, { "ROOT@LocalHost." },
		    "ops@example.com" },
		{ "root@localhost.localdomain", CFG_HOST,
		    { "root@localhost.localdomain" }, "ops@example.com" },
		{ "root@short host name", CFG_HOST, { "root@web1" },
		    "ops@example.com" },
		{ "root@FQDN", CFG_HOST, { "root@Web1.Example.Org" },
		    "ops@example.com" },
		{ "root@local_domains", CFG_HOST, { "root@lan.example" },
		    "ops@example.com" },
		{ "root@local_domains, IDN as A-labels", CFG_HOST,
		    { "root@xn--bro-hoa.example" }, "ops@example.com" },
		{ "no alias: local part @ domain", CFG_HOST,
		    { "www-data@web1.example.org" }, "www-data@example.com" },
		{ "the sending domain is never local", CFG_HOST,
		    { "root@example.com" }, "root@example.com" },
		{ "another host of the domain is not local", CFG_HOST,
		    { "root@web2.example.org" }, "root@web2.example.org" },
		{ "a name that only ends like one", CFG_HOST, { "root@xweb1" },
		    "root@xweb1" },
		{ "host-local addresses in an alias: qualified", CFG_HOST,
		    { "team" }, "alice@example.com, bob@example.com" },
		{ "root@localhost, no alias, no domain", CFG_HOST_NODOMAIN,
		    { "www-data@localhost" },
		    "local recipient "
		    "\"www-data@localhost\" has no alias and no [sender] "
		    "domain "
		    "is set" },
		{ "no config at all: qualified still fine", CFG_NONE,
		    { "a@b.example" }, "a@b.example" },
	};
	struct address_list out;
	char		    err[512], got[1024];
	size_t		    i, k;
	int		    rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&out, 0, sizeof(out));
		rc = 0;
		for (k = 0; cases[i].in[k] != NULL && rc == 0; k++)
			rc = aliases_expand(&cfgs[cases[i].cfg], cases[i].in[k],
			    &out, err, sizeof(err));
		got[0] = '\0';
		if (rc == 0)
			for (k = 0; k < out.n; k++)
				snprintf(got + strlen(got),
				    sizeof(got) - strlen(got), "%s%s",
				    k ? ", " : "", out.v[k].addr);
		else
			snprintf(got, sizeof(got), "%s", err);
		is_str(got, cases[i].want, "expand: %s", cases[i].name);
		address_list_free(&out);
	}
}

static void
test_sender(void)
{
	static const struct {
		const char *name;
		int	    cfg;
		const char *given, *login;
		const char *want; /* the sender, or "error: ..." */
	} cases[] = {
		{ "none given: from", CFG_FROM, NULL, "www-data",
		    "alerts@example.com" },
		{ "none given: login@domain", CFG_DOMAIN, NULL, "www-data",
		    "www-data@example.com" },
		{ "none given, no login: from", CFG_FROM, NULL, NULL,
		    "alerts@example.com" },
		{ "none given, no login, domain only", CFG_DOMAIN, NULL, NULL,
		    "error: no sender address: set [sender] from (or domain) "
		    "in "
		    "t" },
		{ "none given, nothing set", CFG_NONE, NULL, "www-data",
		    "error: no sender address: set [sender] from (or domain) "
		    "in "
		    "t" },
		{ "local given: from", CFG_FROM, "root", "www-data",
		    "alerts@example.com" },
		{ "local given: given@domain", CFG_DOMAIN, "root", "www-data",
		    "root@example.com" },
		{ "local given, nothing set", CFG_NONE, "root", "www-data",
		    "error: no sender address: set [sender] from (or domain) "
		    "in "
		    "t" },
		{ "null sender", CFG_FROM, "", "www-data", "" },
		{ "null sender, nothing set", CFG_NONE, "", "www-data", "" },
		{ "qualified given", CFG_FROM, "me@other.org", "www-data",
		    "me@other.org" },
		{ "qualified given, nothing set", CFG_NONE, "me@other.org",
		    NULL, "me@other.org" },
		/* mailutils: -f LOGIN@FQDN; fail2ban: -f root@<fq-hostname> */
		{ "LOGIN@FQDN given: from", CFG_HOST, "jo@web1.example.org",
		    "jo", "alerts@example.com" },
		{ "root@localhost given: from", CFG_HOST, "root@localhost",
		    "root", "alerts@example.com" },
		{ "host-local given, no from: name@domain", CFG_DOMAIN,
		    "jo@localhost", "jo", "jo@example.com" },
		{ "the sending domain given: kept", CFG_HOST, "jo@example.com",
		    "jo", "jo@example.com" },
	};
	char   err[256], got[512];
	char  *s;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		s = aliases_sender(&cfgs[cases[i].cfg], cases[i].given,
		    cases[i].login, err, sizeof(err));
		if (s != NULL)
			snprintf(got, sizeof(got), "%s", s);
		else
			snprintf(got, sizeof(got), "error: %s", err);
		is_str(got, cases[i].want, "sender: %s", cases[i].name);
		free(s);
	}
}

/* A map function's answer: the replacement, or "(keep)" for NULL. */
static const char *
mapped(char *(*fn)(const char *, void *), struct config *cfg, const char *addr)
{
	static char s[256];
	char	   *r = fn(addr, cfg);

	snprintf(s, sizeof(s), "%s", r != NULL ? r : "(keep)");
	free(r);
	return s;
}

static void
test_map_from(void)
{
	static const struct {
		int		    cfg;
		enum config_rewrite rewrite;
		const char	   *addr;
		const char	   *want;
	} cases[] = {
		{ CFG_FROM, CONFIG_REWRITE_NEVER, "root", "(keep)" },
		{ CFG_FROM, CONFIG_REWRITE_NEVER, "a@other.org", "(keep)" },
		{ CFG_FROM, CONFIG_REWRITE_LOCAL, "root",
		    "alerts@example.com" },
		{ CFG_FROM, CONFIG_REWRITE_LOCAL, "a@other.org", "(keep)" },
		{ CFG_FROM, CONFIG_REWRITE_LOCAL, "alerts@example.com",
		    "(keep)" },
		{ CFG_FROM, CONFIG_REWRITE_ALWAYS, "root",
		    "alerts@example.com" },
		{ CFG_FROM, CONFIG_REWRITE_ALWAYS, "a@other.org",
		    "alerts@example.com" },
		{ CFG_FROM, CONFIG_REWRITE_ALWAYS, "alerts@example.com",
		    "(keep)" },
		{ CFG_DOMAIN, CONFIG_REWRITE_NEVER, "root", "(keep)" },
		{ CFG_DOMAIN, CONFIG_REWRITE_LOCAL, "root",
		    "root@example.com" },
		{ CFG_DOMAIN, CONFIG_REWRITE_LOCAL, "a@other.org", "(keep)" },
		{ CFG_DOMAIN, CONFIG_REWRITE_ALWAYS, "root",
		    "root@example.com" },
		{ CFG_DOMAIN, CONFIG_REWRITE_ALWAYS, "a@other.org", "(keep)" },
		{ CFG_NONE, CONFIG_REWRITE_LOCAL, "root", "(keep)" },
		{ CFG_NONE, CONFIG_REWRITE_ALWAYS, "a@other.org", "(keep)" },
		{ CFG_HOST, CONFIG_REWRITE_LOCAL, "root@web1.example.org",
		    "alerts@example.com" },
		{ CFG_HOST, CONFIG_REWRITE_LOCAL, "root@localhost",
		    "alerts@example.com" },
		{ CFG_HOST, CONFIG_REWRITE_LOCAL, "jo@example.com", "(keep)" },
		{ CFG_HOST, CONFIG_REWRITE_NEVER, "root@localhost", "(keep)" },
		{ CFG_DOMAIN, CONFIG_REWRITE_LOCAL, "jo@localhost",
		    "jo@example.com" },
	};
	static const char *const names[] = { "never", "local", "always" };
	struct config		*cfg;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg = &cfgs[cases[i].cfg];
		cfg->rewrite_from = cases[i].rewrite;
		is_str(mapped(aliases_map_from, cfg, cases[i].addr),
		    cases[i].want, "map_from %s, %s, %s: %s",
		    cfg->from ? "from" : "no from",
		    cfg->domain ? "domain" : "no domain",
		    names[cases[i].rewrite], cases[i].addr);
		cfg->rewrite_from = CONFIG_REWRITE_LOCAL;
	}
}

/* Reply-To: only a local address follows rewrite_from, as From would. */
static void
test_map_reply(void)
{
	static const struct {
		int		    cfg;
		enum config_rewrite rewrite;
		const char	   *addr;
		const char	   *want;
	} cases[] = {
		{ CFG_FROM, CONFIG_REWRITE_NEVER, "root", "(keep)" },
		{ CFG_FROM, CONFIG_REWRITE_LOCAL, "root",
		    "alerts@example.com" },
		{ CFG_FROM, CONFIG_REWRITE_LOCAL, "help@other.org", "(keep)" },
		{ CFG_FROM, CONFIG_REWRITE_ALWAYS, "root",
		    "alerts@example.com" },
		{ CFG_FROM, CONFIG_REWRITE_ALWAYS, "help@other.org", "(keep)" },
		{ CFG_DOMAIN, CONFIG_REWRITE_LOCAL, "www-data",
		    "www-data@example.com" },
		{ CFG_DOMAIN, CONFIG_REWRITE_ALWAYS, "help@other.org",
		    "(keep)" },
		{ CFG_NONE, CONFIG_REWRITE_LOCAL, "root", "(keep)" },
		{ CFG_HOST, CONFIG_REWRITE_LOCAL, "www-data@web1.example.org",
		    "alerts@example.com" },
		{ CFG_HOST, CONFIG_REWRITE_LOCAL, "root@localhost",
		    "alerts@example.com" },
		{ CFG_HOST, CONFIG_REWRITE_ALWAYS, "jo@example.com", "(keep)" },
		{ CFG_HOST, CONFIG_REWRITE_NEVER, "root@localhost", "(keep)" },
	};
	static const char *const names[] = { "never", "local", "always" };
	struct config		*cfg;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg = &cfgs[cases[i].cfg];
		cfg->rewrite_from = cases[i].rewrite;
		is_str(mapped(aliases_map_reply, cfg, cases[i].addr),
		    cases[i].want, "map_reply %s, %s: %s",
		    cfg->from ? "from" : "no from", names[cases[i].rewrite],
		    cases[i].addr);
		cfg->rewrite_from = CONFIG_REWRITE_LOCAL;
	}
}

static void
test_map_rcpt(void)
{
	static const struct {
		int	    cfg;
		const char *addr;
		const char *want;
	} cases[] = {
		{ CFG_DOMAIN, "root", "root@example.com" },
		{ CFG_DOMAIN, "a@other.org", "(keep)" },
		{ CFG_DOMAIN, "\"odd name\"", "\"odd name\"@example.com" },
		{ CFG_NONE, "root", "(keep)" },
		{ CFG_NONE, "a@other.org", "(keep)" },
		/* aliases are for the envelope; headers are only qualified */
		{ CFG_ALIASES, "root", "root@example.com" },
		{ CFG_HOST, "root@localhost", "root@example.com" },
		{ CFG_HOST, "www-data@WEB1", "www-data@example.com" },
		{ CFG_HOST, "jo@lan.example", "jo@example.com" },
		{ CFG_HOST, "jo@web2.example.org", "(keep)" },
		{ CFG_HOST_NODOMAIN, "root@localhost", "(keep)" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(mapped(aliases_map_rcpt, &cfgs[cases[i].cfg],
			   cases[i].addr),
		    cases[i].want, "map_rcpt %s: %s",
		    cfgs[cases[i].cfg].domain ? "domain" : "no domain",
		    cases[i].addr);
}

/* The pure decision: which addresses are local, given the names. */
static void
test_is_local(void)
{
	static const struct {
		int	    cfg;
		const char *addr;
		int	    want;
	} cases[] = {
		{ CFG_HOST, "root", 1 },
		{ CFG_HOST, "\"odd name\"", 1 },
		{ CFG_HOST, "root@localhost", 1 },
		{ CFG_HOST, "root@LOCALHOST", 1 },
		{ CFG_HOST, "root@localhost.", 1 },
		{ CFG_HOST, "root@localhost.localdomain", 1 },
		{ CFG_HOST, "root@localdomain", 0 },
		{ CFG_HOST, "root@localhost.example.org", 0 },
		{ CFG_HOST, "root@web1", 1 },
		{ CFG_HOST, "root@web1.example.org", 1 },
		{ CFG_HOST, "root@web1.example.org.", 1 },
		{ CFG_HOST, "root@example.org", 0 },
		{ CFG_HOST, "root@example.com", 0 }, /* [sender] domain */
		{ CFG_HOST, "root@lan.example", 1 },
		{ CFG_HOST, "root@sub.lan.example", 0 },
		{ CFG_HOST, "root@[127.0.0.1]", 0 },
		{ CFG_HOST, "\"a@web1\"@other.org", 0 },
		{ CFG_HOST_NODOMAIN, "root@example.com", 1 }, /* no domain */
		{ CFG_NONE, "root@web1", 0 }, /* no host names */
		{ CFG_NONE, "root@localhost", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(aliases_is_local(&cfgs[cases[i].cfg], cases[i].addr),
		    cases[i].want, "is_local %s: %s",
		    cases[i].cfg == CFG_HOST ? "host" : "other", cases[i].addr);
}

/* aliases_check(): what config_load() refuses after the parse. */
static void
test_check(void)
{
	static const struct {
		const char *name;
		const char *text;
		const char *want;
	} cases[] = {
		{ "fine",
		    "[sender]\ndomain = example.com\n[aliases]\n"
		    "root = ops, ops@web1\n",
		    "" },
		{ "local target, no domain",
		    "[aliases]\nroot = ops@x.example\n"
		    "team = ops@x.example,\n  carol\n",
		    "t:3: alias team: "
		    "\"carol\" has no domain and no [sender] domain is set to "
		    "qualify it" },
		{ "host-local target, no domain",
		    "[aliases]\n"
		    "root = ops@web1.example.org\n",
		    "t:2: alias root: "
		    "\"ops@web1.example.org\" has no domain and no [sender] "
		    "domain is set to qualify it" },
		{ "catch-all with a local target, no domain",
		    "[aliases]\n"
		    "* = admin\n",
		    "t:2: alias *: \"admin\" has no domain and no "
		    "[sender] domain is set to qualify it" },
		{ "bounce_to a local name, no alias, no domain",
		    "[queue]\nbounce_to = root\n",
		    "t:2: bounce_to: local "
		    "recipient \"root\" has no alias and no [sender] domain is "
		    "set" },
		{ "bounce_to on this host, with an alias",
		    "[queue]\nbounce_to = root@localhost\n[aliases]\n"
		    "root = ops@other.example\n",
		    "" },
		{ "from on localhost",
		    "[sender]\n"
		    "from = alerts@localhost.localdomain\n",
		    "t:2: from: "
		    "alerts@localhost.localdomain is an address of this host, "
		    "which the relay refuses: use one on the domain onboarded "
		    "for "
		    "sending" },
		/* a host may well be named after the domain it sends from */
		{ "from on a host name", "[sender]\nfrom = alerts@web1\n", "" },
	};
	struct config cfg;
	char	      err[512];
	size_t	      i;
	int	      rc = -1;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (config_init(&cfg, "/q") == 0 &&
		    config_parse(&cfg, cases[i].text, "t", err, sizeof(err)) ==
			0 &&
		    set_host_names(&cfg) == 0)
			rc = aliases_check(&cfg, err, sizeof(err));
		is_str(rc == 0 ? "" : err, cases[i].want, "check: %s",
		    cases[i].name);
		config_free(&cfg);
	}
}

int
main(void)
{
	size_t i;

	if (load_configs() == -1)
		return done_testing();
	test_is_local();
	test_check();
	test_expand();
	test_sender();
	test_map_from();
	test_map_reply();
	test_map_rcpt();
	for (i = 0; i < CFG_COUNT; i++)
		config_free(&cfgs[i]);
	return done_testing();
}
