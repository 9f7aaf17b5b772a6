/*
 * rlimit_shim.c -- LD_PRELOAD library for tests/security.bats: setrlimit()
 * of RLIMIT_CORE does not hold.  With RLIMIT_SHIM=fail it fails (EPERM);
 * otherwise it claims success and changes nothing, as on a system where
 * a wrapper raises the limit again.  Other limits pass through.
 *
 *     cc -shared -fPIC -o rlimit_shim.so rlimit_shim.c -ldl
 */
#define _GNU_SOURCE
#include <sys/resource.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>

int
setrlimit(__rlimit_resource_t resource, const struct rlimit *rl)
{
	int	(*real)(__rlimit_resource_t, const struct rlimit *);

	if (resource == RLIMIT_CORE) {
		if (getenv("RLIMIT_SHIM") != NULL) {
			errno = EPERM;
			return -1;
		}
		return 0;
	}
	real = (int (*)(__rlimit_resource_t, const struct rlimit *))
	    dlsym(RTLD_NEXT, "setrlimit");
	return real != NULL ? real(resource, rl) : -1;
}
