/*
 * aliases.h - local recipient and sender mapping (pure policy).
 *
 * System mail names bare local users ("root", "www-data") that the relay
 * would refuse, or this host's addresses ("root@localhost",
 * "www-data@web1.example.org"): both are local names.  Recipients go
 * through [aliases] (the name itself, then the "*" catch-all), else get
 * "@[sender] domain"; the envelope sender of a local user becomes
 * [sender] from; the From header follows [sender] rewrite_from, and so
 * does a local address in Reply-To.
 * Functions return 0, or -1 with a one-line reason in err (a local name
 * with nowhere to go is a configuration problem the caller reports as
 * FAIL_CONFIG... or FAIL_RECIPIENT: see each).
 */
#ifndef CFSENDMAIL_ALIASES_H
#define CFSENDMAIL_ALIASES_H

#include <stddef.h>

#include "address.h"
#include "config.h"

/*
 * Pure: 1 when addr is local: a bare name ("root"), or an address whose
 * domain is "localhost", "localhost.localdomain", one of [sender]
 * local_domains, or one of the host's names (cfg->host_names) that is
 * neither the [sender] domain nor the domain of [sender] from.  Domains
 * compare without case; a trailing dot is ignored.
 */
int aliases_is_local(const struct config *, const char *addr);

/*
 * Append the envelope recipients of one recipient address to out: the
 * local part of a local address is looked up in the aliases (one level:
 * local addresses in an alias's value are qualified with the domain, not
 * looked up again, so that aliases cannot loop); any other address is
 * appended as it is.  -1 when a local name has no alias and no [sender]
 * domain is set, or an alias names a local address and there is no
 * domain to qualify it.
 */
int aliases_expand(const struct config *, const char *addr,
    struct address_list *out, char *err, size_t errlen);

/*
 * The envelope sender (malloc'd): given is -f/-r or NULL, login the
 * caller's user name.  "" (the null sender) stays ""; a qualified given
 * address is kept; a local one, or none, becomes [sender] from, else
 * login@domain.  -1 when neither [sender] from nor domain is set.
 */
char *aliases_sender(const struct config *, const char *given,
    const char *login, char *err, size_t errlen);

/*
 * Check, after the parse and with the host's names known, that every
 * alias, [queue] bounce_to and [sender] from lead somewhere the relay
 * takes: local addresses in an alias need [sender] domain; a local
 * bounce_to needs an alias or the domain; from must not be local.  0, or
 * -1 with "file:line: ..." in err.
 */
int aliases_check(const struct config *, char *err, size_t errlen);

/*
 * header_edit map functions; arg is the struct config.  map_from applies
 * rewrite_from (local: only local addresses; always: every address) and
 * returns [sender] from (or name@domain); map_rcpt qualifies a local
 * address with the domain (local part @ domain).  NULL: keep the address.
 */
char *aliases_map_from(const char *addr, void *cfg);
char *aliases_map_rcpt(const char *addr, void *cfg);
/*
 * map_reply, for Reply-To: a local address there cannot be replied to
 * from outside, so it becomes what map_from makes of it when
 * rewrite_from is local or always; any other address is kept, always
 * included (replies may rightly go elsewhere than From).
 */
char *aliases_map_reply(const char *addr, void *cfg);

#endif
