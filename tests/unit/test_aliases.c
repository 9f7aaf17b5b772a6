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

enum { CFG_ALIASES, CFG_CATCHALL, CFG_NODOMAIN, CFG_FROM, CFG_DOMAIN,
    CFG_NONE, CFG_COUNT };

static const char *const cfg_text[CFG_COUNT] = {
	[CFG_ALIASES] =
	    "[sender]\ndomain = example.com\n"
	    "[aliases]\n"
	    "root = ops@example.com\n"
	    "admins = alice, bob@other.org, \"Carol C.\" <carol>\n"
	    "twice = ops@example.com, ops@EXAMPLE.COM, OPS@example.com\n"
	    "chain = root\n"
	    "bad = <unclosed@example.com\n",
	[CFG_CATCHALL] =
	    "[sender]\ndomain = example.com\n"
	    "[aliases]\n"
	    "* = postmaster, catch@example.com\n"
	    "root = ops@example.com\n",
	[CFG_NODOMAIN] =
	    "[aliases]\n"
	    "root = ops@example.com\n"
	    "team = alice\n",
	[CFG_FROM] =
	    "[sender]\nfrom = alerts@example.com\ndomain = example.com\n",
	[CFG_DOMAIN] =
	    "[sender]\ndomain = example.com\n",
	[CFG_NONE] = "",
};

static struct config	 cfgs[CFG_COUNT];

static int
load_configs(void)
{
	char	 err[256];
	size_t	 i;

	for (i = 0; i < CFG_COUNT; i++)
		if (config_init(&cfgs[i], "/q") == -1 ||
		    config_parse(&cfgs[i], cfg_text[i], "t", err,
		    sizeof(err)) == -1) {
			ok(0, "config %zu parses: %s", i, err);
			return -1;
		}
	return 0;
}

static void
test_expand(void)
{
	static const struct {
		const char	*name;
		int		 cfg;
		const char	*in[4];
		const char	*want;	/* ", "-joined, or the error */
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
	    { "alias and a member given", CFG_ALIASES, { "alice", "admins" },
		"alice@example.com, bob@other.org, carol@example.com" },
	    { "bad alias value", CFG_ALIASES, { "bad" },
		"t: alias bad: " },
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
		"local recipient \"alice\" has no alias and no [sender] "
		"domain is set" },
	    { "no config at all: qualified still fine", CFG_NONE,
		{ "a@b.example" }, "a@b.example" },
	};
	struct address_list	 out;
	char			 err[512], got[1024];
	size_t			 i, k;
	int			 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&out, 0, sizeof(out));
		rc = 0;
		for (k = 0; cases[i].in[k] != NULL && rc == 0; k++)
			rc = aliases_expand(&cfgs[cases[i].cfg], cases[i].in[k],
			    &out, err, sizeof(err));
		got[0] = '\0';
		if (rc == 0)
			for (k = 0; k < out.n; k++)
				snprintf(got + strlen(got), sizeof(got) -
				    strlen(got), "%s%s", k ? ", " : "",
				    out.v[k].addr);
		else if (strncmp(cases[i].want, "t: alias", 8) == 0)
			/* the reason after it is the address parser's */
			snprintf(got, sizeof(got), "%.*s", (int)strlen(
			    cases[i].want), err);
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
		const char	*name;
		int		 cfg;
		const char	*given, *login;
		const char	*want;	/* the sender, or "error: ..." */
	} cases[] = {
	    { "none given: from", CFG_FROM, NULL, "www-data",
		"alerts@example.com" },
	    { "none given: login@domain", CFG_DOMAIN, NULL, "www-data",
		"www-data@example.com" },
	    { "none given, no login: from", CFG_FROM, NULL, NULL,
		"alerts@example.com" },
	    { "none given, no login, domain only", CFG_DOMAIN, NULL, NULL,
		"error: no sender address: set [sender] from (or domain) in "
		"t" },
	    { "none given, nothing set", CFG_NONE, NULL, "www-data",
		"error: no sender address: set [sender] from (or domain) in "
		"t" },
	    { "local given: from", CFG_FROM, "root", "www-data",
		"alerts@example.com" },
	    { "local given: given@domain", CFG_DOMAIN, "root", "www-data",
		"root@example.com" },
	    { "local given, nothing set", CFG_NONE, "root", "www-data",
		"error: no sender address: set [sender] from (or domain) in "
		"t" },
	    { "null sender", CFG_FROM, "", "www-data", "" },
	    { "null sender, nothing set", CFG_NONE, "", "www-data", "" },
	    { "qualified given", CFG_FROM, "me@other.org", "www-data",
		"me@other.org" },
	    { "qualified given, nothing set", CFG_NONE, "me@other.org", NULL,
		"me@other.org" },
	};
	char	 err[256], got[512];
	char	*s;
	size_t	 i;

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
mapped(char *(*fn)(const char *, void *), struct config *cfg,
    const char *addr)
{
	static char	 s[256];
	char		*r = fn(addr, cfg);

	snprintf(s, sizeof(s), "%s", r != NULL ? r : "(keep)");
	free(r);
	return s;
}

static void
test_map_from(void)
{
	static const struct {
		int			 cfg;
		enum config_rewrite	 rewrite;
		const char		*addr;
		const char		*want;
	} cases[] = {
	    { CFG_FROM, CONFIG_REWRITE_NEVER, "root", "(keep)" },
	    { CFG_FROM, CONFIG_REWRITE_NEVER, "a@other.org", "(keep)" },
	    { CFG_FROM, CONFIG_REWRITE_LOCAL, "root", "alerts@example.com" },
	    { CFG_FROM, CONFIG_REWRITE_LOCAL, "a@other.org", "(keep)" },
	    { CFG_FROM, CONFIG_REWRITE_LOCAL, "alerts@example.com", "(keep)" },
	    { CFG_FROM, CONFIG_REWRITE_ALWAYS, "root", "alerts@example.com" },
	    { CFG_FROM, CONFIG_REWRITE_ALWAYS, "a@other.org",
		"alerts@example.com" },
	    { CFG_FROM, CONFIG_REWRITE_ALWAYS, "alerts@example.com",
		"(keep)" },
	    { CFG_DOMAIN, CONFIG_REWRITE_NEVER, "root", "(keep)" },
	    { CFG_DOMAIN, CONFIG_REWRITE_LOCAL, "root", "root@example.com" },
	    { CFG_DOMAIN, CONFIG_REWRITE_LOCAL, "a@other.org", "(keep)" },
	    { CFG_DOMAIN, CONFIG_REWRITE_ALWAYS, "root", "root@example.com" },
	    { CFG_DOMAIN, CONFIG_REWRITE_ALWAYS, "a@other.org", "(keep)" },
	    { CFG_NONE, CONFIG_REWRITE_LOCAL, "root", "(keep)" },
	    { CFG_NONE, CONFIG_REWRITE_ALWAYS, "a@other.org", "(keep)" },
	};
	static const char *const names[] = { "never", "local", "always" };
	struct config	*cfg;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg = &cfgs[cases[i].cfg];
		cfg->rewrite_from = cases[i].rewrite;
		is_str(mapped(aliases_map_from, cfg, cases[i].addr),
		    cases[i].want, "map_from %s, %s, %s: %s",
		    cfg->from ? "from" : "no from", cfg->domain ? "domain" :
		    "no domain", names[cases[i].rewrite], cases[i].addr);
		cfg->rewrite_from = CONFIG_REWRITE_LOCAL;
	}
}

static void
test_map_rcpt(void)
{
	static const struct {
		int		 cfg;
		const char	*addr;
		const char	*want;
	} cases[] = {
	    { CFG_DOMAIN, "root", "root@example.com" },
	    { CFG_DOMAIN, "a@other.org", "(keep)" },
	    { CFG_DOMAIN, "\"odd name\"", "\"odd name\"@example.com" },
	    { CFG_NONE, "root", "(keep)" },
	    { CFG_NONE, "a@other.org", "(keep)" },
	    /* aliases are for the envelope; headers are only qualified */
	    { CFG_ALIASES, "root", "root@example.com" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(mapped(aliases_map_rcpt, &cfgs[cases[i].cfg],
		    cases[i].addr), cases[i].want, "map_rcpt %s: %s",
		    cfgs[cases[i].cfg].domain ? "domain" : "no domain",
		    cases[i].addr);
}

int
main(void)
{
	size_t	 i;

	if (load_configs() == -1)
		return done_testing();
	test_expand();
	test_sender();
	test_map_from();
	test_map_rcpt();
	for (i = 0; i < CFG_COUNT; i++)
		config_free(&cfgs[i]);
	return done_testing();
}
