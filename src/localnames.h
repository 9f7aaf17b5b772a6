/*
 * localnames.h - the names of this host: the domains that make
 * "user@NAME" a local address, like a bare "user".
 *
 * Programs build addresses from the host's names: GNU mailutils' mail
 * sends from LOGIN@FQDN, fail2ban from root@<fq-hostname> to
 * root@localhost, scripts mail www-data@$(hostname).  A null client has
 * no mailbox of its own, so such addresses go through [aliases] like bare
 * names (aliases.c decides; "localhost" and "localhost.localdomain" are
 * always local there).  localnames_gather() finds:
 *   - the kernel's host name (uname(2), what hostname(1) prints) and,
 *     when it has dots, its first label;
 *   - the first line of ETC/hostname, and its first label;
 *   - the first line of ETC/mailname (Debian's mail name);
 *   - the canonical (first) name of each ETC/hosts line that lists one of
 *     the host names above: what "hostname -f" prints when /etc/hosts
 *     answers.
 * It reads those regular files and asks the kernel, nothing else: no
 * resolver, no DNS, so that a name server that does not answer cannot
 * hold up cron's mail (getaddrinfo() with AI_CANONNAME, which "hostname
 * -f" and mailutils use, may ask DNS).
 *
 * A set is a list of host names, lower case, without a trailing dot, each
 * once.  Functions return 0, or -1 with errno = ENOMEM.
 */
#ifndef CFSENDMAIL_LOCALNAMES_H
#define CFSENDMAIL_LOCALNAMES_H

#include <stddef.h>

struct localnames {
	char **v;
	size_t n;
};

/*
 * Add the len bytes of name (a trailing dot dropped, lower-cased).  A
 * name already there, an empty one or one that is not a host name (a
 * garbled /etc/hostname) is not added; that is not an error.
 */
int localnames_add(struct localnames *, const char *name, size_t len);

/* 1 when domain (any case, a trailing dot ignored) is in the set. */
int localnames_has(const struct localnames *, const char *domain);

/*
 * Pure: when the /etc/hosts line lists a name of hosts (in any place),
 * set *canon and *len to the line's canonical name (its first name) and
 * return 1; else 0.  Comments and blank lines give 0.
 */
int localnames_hosts_line(const char *line, size_t linelen,
    const struct localnames *hosts, const char **canon, size_t *len);

/* Add this host's names, reading etc/hostname, etc/mailname, etc/hosts. */
int localnames_gather(struct localnames *, const char *etc);

void localnames_free(struct localnames *);

#endif
