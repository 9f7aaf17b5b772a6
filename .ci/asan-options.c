/*
 * Linked into CI's sanitizer build only (.ci/run), never into the product.
 *
 * A set-group-ID process cannot read its own /proc/self/environ, so the
 * sanitizer runtime never sees ASAN_OPTIONS there, and LeakSanitizer,
 * which stops the process with ptrace at exit, is refused by the kernel
 * and fails the run ("LeakSanitizer has encountered a fatal error").  In
 * such a process (AT_SECURE) keep ASan and UBSan, turn leak checking off
 * and make an error a crash that the tests see.  ASAN_OPTIONS still wins
 * wherever it can be read: everywhere else, and under root.
 */
#include <sys/auxv.h>

const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return getauxval(AT_SECURE) ? "detect_leaks=0:abort_on_error=1" : "";
}
