/*
 * test_failure.c - unit tests for failure.c: each failure's exit code is
 * the one DESIGN.md promises, written here as numbers, as callers (cron,
 * PHP, scripts) see them.
 */
#include <stdio.h>

#include "failure.h"
#include "tap.h"

int
main(void)
{
	static const struct {
		enum failure f;
		const char  *name;
		int	     want;
	} cases[] = {
		{ FAIL_NONE, "accepted", 0 },
		{ FAIL_USAGE, "usage", 64 },
		{ FAIL_DATA, "bad message or address", 65 },
		{ FAIL_RECIPIENT, "recipient refused", 67 },
		{ FAIL_RELAY_NAME, "relay name unknown", 68 },
		{ FAIL_RELAY_REFUSED, "relay refused", 69 },
		{ FAIL_INTERNAL, "internal", 70 },
		{ FAIL_SYSTEM, "system", 71 },
		{ FAIL_QUEUE_CREATE, "cannot create queue file", 73 },
		{ FAIL_IO, "I/O", 74 },
		{ FAIL_TEMPORARY, "temporary, not queued", 75 },
		{ FAIL_AUTH, "authentication refused", 77 },
		{ FAIL_CONFIG, "configuration", 78 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(failure_exit_code(cases[i].f), cases[i].want, "%s",
		    cases[i].name);
	/* every value of the enum is in the table above */
	is_int(sizeof(cases) / sizeof(cases[0]), FAIL_CONFIG + 1,
	    "the table covers the enum");
	is_int(failure_exit_code((enum failure)(FAIL_CONFIG + 1)), 70,
	    "a value out of the enum is internal");
	return done_testing();
}
