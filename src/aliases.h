/*
 * aliases.h - local recipient and sender mapping (pure policy).
 *
 * System mail names bare local users ("root", "www-data") that the relay
 * would refuse.  Recipients go through [aliases] (the name itself, then
 * the "*" catch-all), else get "@[sender] domain"; the envelope sender
 * of a local user becomes [sender] from; the From header follows
 * [sender] rewrite_from.  Functions return 0, or -1 with a one-line
 * reason in err (a local name with nowhere to go is a configuration
 * problem the caller reports as EX_CONFIG... or EX_NOUSER: see each).
 */
#ifndef CFSENDMAIL_ALIASES_H
#define CFSENDMAIL_ALIASES_H

#include <stddef.h>

#include "address.h"
#include "config.h"

/*
 * Append the envelope recipients of one recipient address to out: a
 * local name is looked up in the aliases (one level: local names in an
 * alias's value are qualified with the domain, not looked up again, so
 * that aliases cannot loop); a qualified address is appended as it is.
 * -1 when a local name has no alias and no [sender] domain is set.
 */
int	aliases_expand(const struct config *, const char *addr,
	    struct address_list *out, char *err, size_t errlen);

/*
 * The envelope sender (malloc'd): given is -f/-r or NULL, login the
 * caller's user name.  "" (the null sender) stays ""; a qualified given
 * address is kept; a local one, or none, becomes [sender] from, else
 * login@domain.  -1 when neither [sender] from nor domain is set.
 */
char	*aliases_sender(const struct config *, const char *given,
	    const char *login, char *err, size_t errlen);

/*
 * header_edit map functions; arg is the struct config.  map_from applies
 * rewrite_from (local: only local names; always: every address) and
 * returns [sender] from (or name@domain); map_rcpt qualifies a local
 * name with the domain.  NULL: keep the address.
 */
char	*aliases_map_from(const char *addr, void *cfg);
char	*aliases_map_rcpt(const char *addr, void *cfg);

#endif
