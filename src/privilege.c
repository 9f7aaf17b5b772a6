/*
 * privilege.c - the optional set-group-ID install; see privilege.h.
 *
 * No state is kept here: the kernel's real, effective and saved group
 * ids are the state, read with getresgid() each time.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <unistd.h>

#include "privilege.h"

int
privilege_is_setgid(void)
{
	gid_t r, e, s;

	if (getresgid(&r, &e, &s) == -1)
		return 0;
	return r != s || r != e;
}

int
privilege_sanitise(void)
{
	if (!privilege_is_setgid())
		return 0;
	/* a caller-chosen LD_*, GNUTLS_*, TMPDIR, TZ ... must not count */
	if (clearenv() != 0 ||
	    setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1) == -1)
		return -1;
	closefrom(3);
	return 0;
}

int
privilege_lower(void)
{
	gid_t r, e, s;

	if (getresgid(&r, &e, &s) == -1)
		return -1;
	return e == r ? 0 : setegid(r);
}

int
privilege_raise(void)
{
	gid_t r, e, s;

	if (getresgid(&r, &e, &s) == -1)
		return -1;
	return e == s ? 0 : setegid(s);
}

int
privilege_is_lowered(void)
{
	gid_t r, e, s;

	if (getresgid(&r, &e, &s) == -1)
		return 0;
	return e != s;
}

int
privilege_drop(void)
{
	gid_t r, e, s;

	if (getresgid(&r, &e, &s) == -1)
		return -1;
	if (r == e && r == s)
		return 0;
	if (setresgid(r, r, r) == -1)
		return -1;
	/* make sure it cannot come back */
	return setegid(s) == 0 && s != r ? -1 : 0;
}
