/*
 * outcome.h - what a command of src/ hands back to the program.
 *
 * src/ never prints and never exits: the entry points (submit.h,
 * runqueue.h, serverinfo.h...) fill a struct outcome with a failure
 * (failure.h), the text for standard output and the lines for standard
 * error (each ending in a newline), and cmd/cfsendmail.c writes them out
 * and exits with failure_exit_code().
 */
#ifndef CFSENDMAIL_OUTCOME_H
#define CFSENDMAIL_OUTCOME_H

#include "buf.h"
#include "failure.h"

struct outcome {
	enum failure failure;
	struct buf   out;    /* for stdout */
	struct buf   report; /* for stderr */
};

void outcome_free(struct outcome *);
/*
 * Set the failure (unless one is set already) and add a line for stderr,
 * escaped by printable(): what is not printable text is shown as an
 * escape.  Returns the failure it was given.
 */
enum failure outcome_fail(struct outcome *, enum failure, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
