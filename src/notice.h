/*
 * notice.h - the plain notice mailed to [queue] bounce_to when a message
 * is given up (refused for good, or expired).
 *
 * The notice is queued like any message and goes out with the next
 * delivery or queue run.  It is marked as a notice, so that a notice
 * that fails in turn is never the subject of another one.  Returns 0, or
 * -1 with a one-line reason in err.
 */
#ifndef CFSENDMAIL_NOTICE_H
#define CFSENDMAIL_NOTICE_H

#include <stddef.h>

#include "config.h"
#include "queue.h"

int	notice_queue(struct queue *, const struct config *,
	    const struct queue_entry *failed, const char *reason, char *err,
	    size_t errlen);

#endif
