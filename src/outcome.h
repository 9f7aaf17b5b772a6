/*
 * outcome.h - what a command of src/ hands back to the program.
 *
 * src/ never prints and never exits: the entry points (submit.h,
 * runqueue.h, serverinfo.h) fill a struct outcome with a <sysexits.h>
 * code, the text for standard output and the lines for standard error
 * (each ending in a newline), and cmd/cfsendmail.c writes them out.
 */
#ifndef CFSENDMAIL_OUTCOME_H
#define CFSENDMAIL_OUTCOME_H

#include "buf.h"

struct outcome {
	int		 code;
	struct buf	 out;		/* for stdout */
	struct buf	 report;	/* for stderr */
};

void	outcome_free(struct outcome *);
/*
 * Set the code (unless one is set already) and add a line for stderr,
 * escaped by printable(): what is not printable text is shown as an
 * escape.
 */
int	outcome_fail(struct outcome *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
