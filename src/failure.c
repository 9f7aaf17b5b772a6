/*
 * failure.c - see failure.h.  The only file of src/ that knows <sysexits.h>.
 */

#include <stddef.h>
#include <sysexits.h>

#include "failure.h"

int
failure_exit_code(enum failure f)
{
	static const int code[] = {
		[FAIL_NONE] = EX_OK,
		[FAIL_USAGE] = EX_USAGE,
		[FAIL_DATA] = EX_DATAERR,
		[FAIL_RECIPIENT] = EX_NOUSER,
		[FAIL_RELAY_NAME] = EX_NOHOST,
		[FAIL_RELAY_REFUSED] = EX_UNAVAILABLE,
		[FAIL_INTERNAL] = EX_SOFTWARE,
		[FAIL_SYSTEM] = EX_OSERR,
		[FAIL_QUEUE_CREATE] = EX_CANTCREAT,
		[FAIL_IO] = EX_IOERR,
		[FAIL_TEMPORARY] = EX_TEMPFAIL,
		[FAIL_AUTH] = EX_NOPERM,
		[FAIL_CONFIG] = EX_CONFIG,
	};

	if ((size_t)f >= sizeof(code) / sizeof(code[0]))
		return EX_SOFTWARE;
	return code[f];
}
