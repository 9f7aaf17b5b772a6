/*
 * outcome.c - see outcome.h.
 */

#include <stdarg.h>
#include <stdio.h>

#include "outcome.h"
#include "printable.h"

void
outcome_free(struct outcome *o)
{
	buf_free(&o->out);
	buf_free(&o->report);
}

enum failure
outcome_fail(struct outcome *o, enum failure f, const char *fmt, ...)
{
	va_list ap;
	char	line[2048], shown[PRINTABLE_SIZE(sizeof(line))];
	int	n;

	if (o->failure == FAIL_NONE)
		o->failure = f;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* the line quotes addresses and relay text: none of it may act on
	 * the terminal that shows it, nor start a line of its own */
	printable(shown, sizeof(shown), line,
	    n < 0			 ? 0 :
		(size_t)n < sizeof(line) ? (size_t)n :
					   sizeof(line) - 1);
	buf_addf(&o->report, "cfsendmail: %s\n", shown);
	return f;
}
