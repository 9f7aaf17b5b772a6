/*
 * attempt.h - one delivery attempt of a queued message, and what its
 * outcome means for the queue entry.
 *
 * Shared by a submission (deliver now, or in the background) and by the
 * queue runner.  All recipients delivered: the entry is removed.  Some
 * still pending after temporary failures: the entry keeps just those,
 * with the attempt count, the last reply and the time of the next
 * attempt (qclock_retry_after(): 1 minute, doubling, at most 1 hour,
 * with jitter).  Refused
 * for good: the entry moves to failed/ with the reason.  A message the
 * caller was told is accepted (queue runs, -odb) is never refused for
 * good by a failure to open a session -- that is our own setup's fault
 * (a revoked token, a certificate not trusted, a relay name that does
 * not resolve), not the message's: it waits in the queue until the
 * administrator fixes it or the entry expires.  Refused
 * recipients and whole-message failures are reported in the outcome
 * (one line each, with the relay's reply and what to do) and syslog.
 */
#ifndef CFSENDMAIL_ATTEMPT_H
#define CFSENDMAIL_ATTEMPT_H

#include "config.h"
#include "deliver.h"
#include "outcome.h"
#include "queue.h"

/*
 * Deliver the locked entry e, trying up to attempts times in this
 * process, and update the queue; accepted tells whether the caller has
 * been told the message is accepted (exit 0).  Returns the <sysexits.h>
 * code of the outcome (EX_TEMPFAIL while recipients are pending: the
 * caller says what that means for it); refusals are added to o's report,
 * and a setup failure that keeps an accepted message queued sets o's
 * code to the failure's own (77 for a refused token, say).
 */
int	attempt_entry(struct deliver *, struct queue *, struct queue_entry *,
	    int attempts, int accepted, struct outcome *);

#endif
