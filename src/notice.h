/*
 * notice.h - the plain notice mailed to [queue] bounce_to when a message
 * is given up (refused for good, or expired).
 *
 * bounce_to is resolved as any recipient is (envelope.h): [aliases],
 * this host's names, [sender] domain, IDN; the notice comes from
 * [sender] from, and without it none is sent (--check-config refuses
 * that, a queue run logs it).  The notice is queued like any message
 * and goes out with the next delivery or queue run.  Its text quotes
 * outside strings through printable(); when it holds 8-bit text (an
 * address, the queue's path) it is sent as such, declared BODY=8BITMIME.
 * It is marked as a notice, with the id of the message it is about, so
 * that a notice that fails in turn is never the subject of another one:
 * its failure is logged instead, and -bp marks it (mailq.c).
 */
#ifndef CFSENDMAIL_NOTICE_H
#define CFSENDMAIL_NOTICE_H

#include <stddef.h>

#include "config.h"
#include "envelope.h"
#include "queue.h"

/*
 * The envelope of a notice: [sender] from, and bounce_to resolved into
 * its recipients.  Returns 0, or -1 with a one-line reason in err
 * ("bounce_to: ...", "from: ..."); free env either way.
 */
int notice_envelope(const struct config *, struct envelope *env, char *err,
    size_t errlen);
/*
 * Queue a notice that failed was given up for reason; for failed a
 * notice itself, log that the administrator never learned of the
 * message it was about.  Returns 0 (also when no notice is sent: no
 * bounce_to, or no from, or bounce_to leads nowhere, which is logged),
 * or -1 with a one-line reason in err when the queue failed.
 */
int notice_queue(struct queue *, const struct config *,
    const struct queue_entry *failed, const char *reason, char *err,
    size_t errlen);

#endif
