/*
 * localnames.c - the names of this host; see localnames.h.
 */

#include <sys/utsname.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "localnames.h"
#include "readfile.h"

/* hostname and mailname are one line; hosts may be a long block list */
#define NAME_FILE_MAX  4096
#define HOSTS_FILE_MAX (16 * 1024 * 1024)

static int
same_name(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

int
localnames_has(const struct localnames *ln, const char *domain)
{
	size_t i, len = strlen(domain);

	if (len > 1 && domain[len - 1] == '.')
		len--;
	for (i = 0; i < ln->n; i++)
		if (same_name(domain, len, ln->v[i]))
			return 1;
	return 0;
}

int
localnames_add(struct localnames *ln, const char *name, size_t len)
{
	char **v, *s;
	size_t i;

	if (len > 1 && name[len - 1] == '.')
		len--;
	if ((s = strndup(name, len)) == NULL)
		return -1;
	for (i = 0; s[i] != '\0'; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	if (len == 0 || address_check_domain(s, NULL, 0) == -1 ||
	    localnames_has(ln, s)) {
		free(s);
		return 0;
	}
	if ((v = reallocarray(ln->v, ln->n + 1, sizeof(*v))) == NULL) {
		free(s);
		return -1;
	}
	ln->v = v;
	ln->v[ln->n++] = s;
	return 0;
}

/* The next blank-separated word of [*p, end), or 0 at the end. */
static size_t
next_word(const char **p, const char *end)
{
	const char *s = *p;
	size_t	    n = 0;

	while (s < end && strchr(" \t\r", *s) != NULL)
		s++;
	while (s + n < end && strchr(" \t\r", s[n]) == NULL)
		n++;
	*p = s;
	return n;
}

int
localnames_hosts_line(const char *line, size_t linelen,
    const struct localnames *hosts, const char **canon, size_t *len)
{
	const char *p = line, *end, *hash;
	size_t	    n, i;

	end = line + linelen;
	if ((hash = memchr(line, '#', linelen)) != NULL)
		end = hash;
	if (next_word(&p, end) == 0)
		return 0;	 /* blank or a comment */
	p += next_word(&p, end); /* the address */
	if ((n = next_word(&p, end)) == 0)
		return 0;
	*canon = p;
	*len = n;
	for (; n > 0; p += n, n = next_word(&p, end))
		for (i = 0; i < hosts->n; i++)
			if (same_name(p, n, hosts->v[i]))
				return 1;
	return 0;
}

/* The first line of a small file, and its first label if asked. */
static int
add_file(struct localnames *ln, const char *etc, const char *name,
    int first_label)
{
	struct buf  text = { 0 };
	struct stat st;
	char	    path[512], err[256];
	size_t	    line, label;
	int	    rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", etc, name) >=
	    sizeof(path))
		return 0;
	/* a missing or odd file only means one name fewer */
	if (readfile(path, NAME_FILE_MAX, &text, &st, err, sizeof(err)) == -1)
		goto done;
	line = strcspn(text.data, " \t\r\n");
	label = strcspn(text.data, ".");
	rc = localnames_add(ln, text.data, line);
	if (rc == 0 && first_label && label < line)
		rc = localnames_add(ln, text.data, label);
done:
	buf_free(&text);
	return rc;
}

/* Canonical names of the /etc/hosts lines that list a name of hosts. */
static int
add_hosts(struct localnames *ln, const char *etc,
    const struct localnames *hosts)
{
	struct buf  text = { 0 };
	struct stat st;
	const char *p, *nl, *canon;
	char	    path[512], err[256];
	size_t	    len;
	int	    rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/hosts", etc) >=
	    sizeof(path))
		return 0;
	if (readfile(path, HOSTS_FILE_MAX, &text, &st, err, sizeof(err)) == -1)
		goto done;
	for (p = text.data; rc == 0 && *p != '\0'; p = nl + (*nl != '\0')) {
		nl = p + strcspn(p, "\n");
		if (localnames_hosts_line(p, (size_t)(nl - p), hosts, &canon,
			&len))
			rc = localnames_add(ln, canon, len);
	}
done:
	buf_free(&text);
	return rc;
}

int
localnames_gather(struct localnames *ln, const char *etc)
{
	struct localnames hosts = { NULL, 0 };
	struct utsname	  u;
	size_t		  i;
	int		  rc = -1;

	if (uname(&u) == 0 &&
	    (localnames_add(&hosts, u.nodename, strlen(u.nodename)) == -1 ||
		localnames_add(&hosts, u.nodename, strcspn(u.nodename, ".")) ==
		    -1))
		goto done;
	if (add_file(&hosts, etc, "hostname", 1) == -1)
		goto done;
	for (i = 0; i < hosts.n; i++)
		if (localnames_add(ln, hosts.v[i], strlen(hosts.v[i])) == -1)
			goto done;
	if (add_file(ln, etc, "mailname", 0) == -1 ||
	    add_hosts(ln, etc, &hosts) == -1)
		goto done;
	rc = 0;
done:
	localnames_free(&hosts);
	return rc;
}

void
localnames_free(struct localnames *ln)
{
	size_t i;

	for (i = 0; i < ln->n; i++)
		free(ln->v[i]);
	free(ln->v);
	ln->v = NULL;
	ln->n = 0;
}
