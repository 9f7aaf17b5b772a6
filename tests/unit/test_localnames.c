/*
 * test_localnames.c - unit tests for this host's names (localnames.c):
 * the set, the /etc/hosts line parser, and localnames_gather() on a made
 * up etc directory.
 */
#include <sys/stat.h>
#include <sys/utsname.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "localnames.h"
#include "tap.h"

/* The set joined with spaces. */
static const char *
joined(const struct localnames *ln)
{
	static char s[1024];
	size_t	    i;

	s[0] = '\0';
	for (i = 0; i < ln->n; i++)
		snprintf(s + strlen(s), sizeof(s) - strlen(s), "%s%s",
		    i ? " " : "", ln->v[i]);
	return s;
}

static void
test_set(void)
{
	static const char *const in[] = { "Web1.Example.ORG.", "web1",
		"web1.example.org", "", "bad_name", "-x.example", "two words",
		"xn--bcher-kva.example" };
	struct localnames	 ln = { NULL, 0 };
	size_t			 i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		is_int(localnames_add(&ln, in[i], strlen(in[i])), 0, "add %s",
		    in[i]);
	is_str(joined(&ln), "web1.example.org web1 xn--bcher-kva.example",
	    "set: lower case, no trailing dot, each once, host names only");
	ok(localnames_has(&ln, "WEB1"), "has: any case");
	ok(localnames_has(&ln, "web1.example.org."), "has: trailing dot");
	ok(!localnames_has(&ln, "web1.example"), "has: not a prefix");
	ok(!localnames_has(&ln, "eb1"), "has: not a suffix");
	ok(!localnames_has(&ln, ""), "has: not empty");
	localnames_free(&ln);
	ok(ln.n == 0 && ln.v == NULL, "free empties the set");
}

static void
test_hosts_line(void)
{
	static const struct {
		const char *line;
		const char *want; /* the canonical name, or NULL */
	} cases[] = {
		{ "127.0.1.1\tweb1.example.org web1", "web1.example.org" },
		{ "127.0.1.1 web1", "web1" },
		{ "10.0.0.5   WEB1.Example.Org   WEB1  # the LAN",
		    "WEB1.Example.Org" },
		{ "  192.0.2.7 other.example web1\r", "other.example" },
		{ "127.0.0.1 localhost", NULL },
		{ "127.0.0.1 web10 web10.example.org", NULL },
		{ "# 127.0.1.1 web1.example.org web1", NULL },
		{ "127.0.1.1 a.example #web1", NULL },
		{ "127.0.1.1", NULL },
		{ "", NULL },
		{ "web1", NULL },
	};
	struct localnames hosts = { NULL, 0 };
	const char	 *canon;
	char		  got[256];
	size_t		  i, len;

	localnames_add(&hosts, "web1", 4);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (localnames_hosts_line(cases[i].line, strlen(cases[i].line),
			&hosts, &canon, &len))
			snprintf(got, sizeof(got), "%.*s", (int)len, canon);
		else
			snprintf(got, sizeof(got), "(none)");
		is_str(got, cases[i].want ? cases[i].want : "(none)",
		    "hosts line \"%s\"", cases[i].line);
	}
	localnames_free(&hosts);
}

static void
put(const char *dir, const char *name, const char *text)
{
	char  path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

/* The kernel's name is the machine's own: only its presence is known. */
static void
test_gather(const char *dir)
{
	struct localnames ln = { NULL, 0 };
	struct utsname	  u;
	char		  fifo[512], want[1024];

	uname(&u);
	put(dir, "hostname", "web1.example.org\n");
	put(dir, "mailname", "Mail.Example.COM\n");
	snprintf(want, sizeof(want),
	    "127.0.0.1 localhost\n"
	    "127.0.1.1 web1.lan.example web1 # the FQDN\n"
	    "192.0.2.1 %s.kernel.example %s\n"
	    "192.0.2.2 other.example\n",
	    u.nodename, u.nodename);
	put(dir, "hosts", want);
	is_int(localnames_gather(&ln, dir), 0, "gather");
	ok(localnames_has(&ln, u.nodename), "gather: the kernel's host name");
	ok(localnames_has(&ln, "web1.example.org"), "gather: /etc/hostname");
	ok(localnames_has(&ln, "web1"), "gather: its first label");
	ok(localnames_has(&ln, "mail.example.com"), "gather: /etc/mailname");
	ok(!localnames_has(&ln, "mail"), "gather: not the mail name's label");
	ok(localnames_has(&ln, "web1.lan.example"),
	    "gather: /etc/hosts, "
	    "the FQDN of /etc/hostname's name");
	snprintf(want, sizeof(want), "%s.kernel.example", u.nodename);
	ok(localnames_has(&ln, want),
	    "gather: /etc/hosts, the FQDN of the "
	    "kernel's name");
	ok(!localnames_has(&ln, "other.example"), "gather: not other lines");
	ok(!localnames_has(&ln, "localhost"),
	    "gather: localhost is no "
	    "host name here (aliases.c knows it)");
	localnames_free(&ln);

	/* missing files: the kernel's name alone; a FIFO is not waited on */
	unlink(want);
	snprintf(fifo, sizeof(fifo), "%s/hosts", dir);
	unlink(fifo);
	mkfifo(fifo, 0600);
	snprintf(want, sizeof(want), "%s/mailname", dir);
	unlink(want);
	snprintf(want, sizeof(want), "%s/hostname", dir);
	unlink(want);
	alarm(10);
	is_int(localnames_gather(&ln, dir), 0, "gather: without the files");
	alarm(0);
	ok(localnames_has(&ln, u.nodename),
	    "gather: without the files, the "
	    "kernel's name");
	ok(ln.n <= 2, "gather: without the files, nothing else (%s)",
	    joined(&ln));
	localnames_free(&ln);
}

int
main(void)
{
	char dir[] = "/tmp/test_localnames.XXXXXX";
	char cmd[64];

	test_set();
	test_hosts_line();
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	test_gather(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", dir);
	return done_testing();
}
