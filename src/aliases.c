/*
 * aliases.c - local recipient and sender mapping; see aliases.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aliases.h"

static const char *
alias_of(const struct config *cfg, const char *name)
{
	const char *any = NULL;
	size_t	    i;

	/* local names are matched without case, as sendmail's aliases(5) */
	for (i = 0; i < cfg->naliases; i++) {
		if (strcasecmp(cfg->aliases[i].name, name) == 0)
			return cfg->aliases[i].value;
		if (strcmp(cfg->aliases[i].name, "*") == 0)
			any = cfg->aliases[i].value;
	}
	return any;
}

/* The domain of addr, or "" for a local name. */
static const char *
domain_of(const char *addr)
{
	const char *at = address_at(addr);

	return at != NULL ? at + 1 : "";
}

/* The names every host answers to (RFC 6761 section 6.3), any case, a
 * trailing dot allowed. */
static int
is_localhost(const char *d)
{
	static const char *const names[] = { "localhost",
		"localhost.localdomain" };
	size_t			 i, len = strlen(d);

	if (len > 1 && d[len - 1] == '.')
		len--;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len &&
		    strncasecmp(d, names[i], len) == 0)
			return 1;
	return 0;
}

int
aliases_is_local(const struct config *cfg, const char *addr)
{
	const char *d = domain_of(addr);

	if (address_is_local(addr) || is_localhost(d) ||
	    localnames_has(&cfg->local_domains, d))
		return 1;
	/* the sending domain is where real mailboxes are, whatever the
	 * host is called */
	if ((cfg->domain != NULL && strcasecmp(d, cfg->domain) == 0) ||
	    (cfg->from != NULL && strcasecmp(d, domain_of(cfg->from)) == 0))
		return 0;
	return localnames_has(&cfg->host_names, d);
}

/* The local part of addr (all of a local name), malloc'd. */
static char *
local_part(const char *addr)
{
	const char *at = address_at(addr);

	return at != NULL ? strndup(addr, (size_t)(at - addr)) : strdup(addr);
}

/* name@domain, malloc'd; NULL when there is no domain. */
static char *
qualify(const struct config *cfg, const char *name)
{
	char *s;

	if (cfg->domain == NULL ||
	    asprintf(&s, "%s@%s", name, cfg->domain) == -1)
		return NULL;
	return s;
}

/* A local address qualified (malloc'd); NULL when there is no domain. */
static char *
qualify_local(const struct config *cfg, const char *addr)
{
	char *name, *s;

	if ((name = local_part(addr)) == NULL)
		return NULL;
	s = qualify(cfg, name);
	free(name);
	return s;
}

/* An alias's address: a local one qualified, not looked up again. */
static int
add_target(const struct config *cfg, const char *alias, const char *addr,
    struct address_list *out, char *err, size_t errlen)
{
	char *q = NULL;
	int   rc;

	if (aliases_is_local(cfg, addr) &&
	    (q = qualify_local(cfg, addr)) == NULL) {
		snprintf(err, errlen,
		    "alias %s: \"%s\" has no domain and no "
		    "[sender] domain is set to qualify it",
		    alias, addr);
		return -1;
	}
	rc = address_list_add(out, q != NULL ? q : addr, NULL);
	free(q);
	if (rc == -1)
		snprintf(err, errlen, "out of memory");
	return rc == -1 ? -1 : 0;
}

int
aliases_expand(const struct config *cfg, const char *addr,
    struct address_list *out, char *err, size_t errlen)
{
	struct address_list targets = { 0 };
	const char	   *value = NULL;
	char		   *name = NULL, *q = NULL, why[256];
	size_t		    i;
	int		    rc = -1;

	if (!aliases_is_local(cfg, addr)) {
		if (address_list_add(out, addr, NULL) == -1)
			goto nomem;
		return 0;
	}
	if ((name = local_part(addr)) == NULL)
		goto nomem;
	if ((value = alias_of(cfg, name)) == NULL) {
		if ((q = qualify(cfg, name)) == NULL)
			snprintf(err, errlen,
			    "local recipient \"%s\" has no "
			    "alias and no [sender] domain is set",
			    addr);
		else if (address_list_add(out, q, NULL) == -1)
			snprintf(err, errlen, "out of memory");
		else
			rc = 0;
		goto done;
	}
	if (address_list_parse(&targets, value, strlen(value), why,
		sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: alias %s: %s",
		    cfg->path ? cfg->path : "config", name, why);
		goto done;
	}
	for (i = 0; i < targets.n; i++)
		if (add_target(cfg, name, targets.v[i].addr, out, err,
			errlen) == -1)
			goto done;
	rc = 0;
done:
	address_list_free(&targets);
	free(name);
	free(q);
	return rc;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

char *
aliases_sender(const struct config *cfg, const char *given, const char *login,
    char *err, size_t errlen)
{
	const char *name = given != NULL ? given : login;
	char	   *s = NULL;

	if (given != NULL && (*given == '\0' || !aliases_is_local(cfg, given)))
		s = strdup(given);
	else if (cfg->from != NULL)
		s = strdup(cfg->from);
	else if (name != NULL && cfg->domain != NULL)
		s = qualify_local(cfg, name);
	else {
		snprintf(err, errlen,
		    "no sender address: set [sender] from "
		    "(or domain) in %s",
		    cfg->path ? cfg->path : "the config");
		return NULL;
	}
	if (s == NULL)
		snprintf(err, errlen, "out of memory");
	return s;
}

char *
aliases_map_from(const char *addr, void *arg)
{
	const struct config *cfg = arg;

	switch (cfg->rewrite_from) {
	case CONFIG_REWRITE_NEVER: return NULL;
	case CONFIG_REWRITE_LOCAL:
		if (!aliases_is_local(cfg, addr))
			return NULL;
		break;
	case CONFIG_REWRITE_ALWAYS: break;
	}
	if (cfg->from != NULL)
		return strcmp(addr, cfg->from) == 0 ? NULL : strdup(cfg->from);
	return aliases_is_local(cfg, addr) ? qualify_local(cfg, addr) : NULL;
}

char *
aliases_map_reply(const char *addr, void *arg)
{
	const struct config *cfg = arg;

	if (cfg->rewrite_from == CONFIG_REWRITE_NEVER ||
	    !aliases_is_local(cfg, addr))
		return NULL;
	return aliases_map_from(addr, arg);
}

char *
aliases_map_rcpt(const char *addr, void *arg)
{
	const struct config *cfg = arg;

	return aliases_is_local(cfg, addr) ? qualify_local(cfg, addr) : NULL;
}

/* Every address of alias a has somewhere to go. */
static int
check_alias(const struct config *cfg, const struct config_alias *a, char *err,
    size_t errlen)
{
	struct address_list out = { 0 };
	char		    why[512];
	int		    rc;

	rc = aliases_expand(cfg, a->name, &out, why, sizeof(why));
	address_list_free(&out);
	if (rc == -1)
		snprintf(err, errlen, "%s:%d: %s",
		    cfg->path ? cfg->path : "config", a->line, why);
	return rc;
}

int
aliases_check(const struct config *cfg, char *err, size_t errlen)
{
	struct address_list out = { 0 };
	const char	   *name = cfg->path ? cfg->path : "config";
	char		    why[512];
	size_t		    i;
	int		    rc;

	for (i = 0; i < cfg->naliases; i++)
		if (check_alias(cfg, &cfg->aliases[i], err, errlen) == -1)
			return -1;
	if (cfg->from != NULL && aliases_is_local(cfg, cfg->from)) {
		snprintf(err, errlen,
		    "%s:%d: from: %s is an address of this "
		    "host, which the relay refuses: use one on the domain "
		    "onboarded for sending",
		    name, cfg->from_line, cfg->from);
		return -1;
	}
	if (cfg->bounce_to == NULL)
		return 0;
	rc = aliases_expand(cfg, cfg->bounce_to, &out, why, sizeof(why));
	address_list_free(&out);
	if (rc == -1)
		snprintf(err, errlen, "%s:%d: bounce_to: %s", name,
		    cfg->bounce_to_line, why);
	return rc;
}
