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
	const char	*any = NULL;
	size_t		 i;

	/* local names are matched without case, as sendmail's aliases(5) */
	for (i = 0; i < cfg->naliases; i++) {
		if (strcasecmp(cfg->aliases[i].name, name) == 0)
			return cfg->aliases[i].value;
		if (strcmp(cfg->aliases[i].name, "*") == 0)
			any = cfg->aliases[i].value;
	}
	return any;
}

/* name@domain, malloc'd; NULL when there is no domain. */
static char *
qualify(const struct config *cfg, const char *name)
{
	char	*s;

	if (cfg->domain == NULL || asprintf(&s, "%s@%s", name,
	    cfg->domain) == -1)
		return NULL;
	return s;
}

static int
add_qualified(const struct config *cfg, const char *addr,
    struct address_list *out, char *err, size_t errlen)
{
	char	*q = NULL;
	int	 rc;

	if (address_is_local(addr) && (q = qualify(cfg, addr)) == NULL) {
		snprintf(err, errlen, "local recipient \"%s\" has no alias and "
		    "no [sender] domain is set", addr);
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
	struct address_list	 targets = { 0 };
	const char		*value;
	char			 why[256];
	size_t			 i;
	int			 rc = -1;

	if (!address_is_local(addr) || (value = alias_of(cfg, addr)) == NULL)
		return add_qualified(cfg, addr, out, err, errlen);
	if (address_list_parse(&targets, value, strlen(value), why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: alias %s: %s", cfg->path ?
		    cfg->path : "config", addr, why);
		goto done;
	}
	for (i = 0; i < targets.n; i++)
		if (add_qualified(cfg, targets.v[i].addr, out, err,
		    errlen) == -1)
			goto done;
	rc = 0;
done:
	address_list_free(&targets);
	return rc;
}

char *
aliases_sender(const struct config *cfg, const char *given,
    const char *login, char *err, size_t errlen)
{
	const char	*name = given != NULL ? given : login;
	char		*s = NULL;

	if (given != NULL && (*given == '\0' || !address_is_local(given)))
		s = strdup(given);
	else if (cfg->from != NULL)
		s = strdup(cfg->from);
	else if (name != NULL && cfg->domain != NULL)
		s = qualify(cfg, name);
	else {
		snprintf(err, errlen, "no sender address: set [sender] from "
		    "(or domain) in %s", cfg->path ? cfg->path : "the config");
		return NULL;
	}
	if (s == NULL)
		snprintf(err, errlen, "out of memory");
	return s;
}

char *
aliases_map_from(const char *addr, void *arg)
{
	const struct config	*cfg = arg;

	switch (cfg->rewrite_from) {
	case CONFIG_REWRITE_NEVER:
		return NULL;
	case CONFIG_REWRITE_LOCAL:
		if (!address_is_local(addr))
			return NULL;
		break;
	case CONFIG_REWRITE_ALWAYS:
		break;
	}
	if (cfg->from != NULL)
		return strcmp(addr, cfg->from) == 0 ? NULL : strdup(cfg->from);
	return address_is_local(addr) ? qualify(cfg, addr) : NULL;
}

char *
aliases_map_rcpt(const char *addr, void *arg)
{
	const struct config	*cfg = arg;

	return address_is_local(addr) ? qualify(cfg, addr) : NULL;
}
