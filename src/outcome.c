/*
 * outcome.c - see outcome.h.
 */

#include <stdarg.h>
#include <stdio.h>

#include "outcome.h"

void
outcome_free(struct outcome *o)
{
	buf_free(&o->out);
	buf_free(&o->report);
}

int
outcome_fail(struct outcome *o, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	 line[2048];

	if (o->code == 0)
		o->code = code;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_addf(&o->report, "cfsendmail: %s\n", line);
	return code;
}
