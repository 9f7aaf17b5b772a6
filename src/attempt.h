/*
 * attempt.h - one delivery attempt of a queued message, and what its
 * outcome means for the queue entry.
 *
 * Shared by a submission (deliver now, or in the background, and -bs)
 * and by the queue runner.  All recipients delivered: the entry is
 * removed.  Some still pending after temporary failures: the entry keeps
 * just those, with the attempt count, the last reply and the time of the
 * next attempt (qclock_retry_after(): 1 minute, doubling, at most 1
 * hour, with jitter).  Refused for good: the entry moves to failed/ with
 * the reason.
 *
 * Only the relay's verdict on this message -- a 5xx to MAIL FROM (but
 * 530), RCPT or the end of DATA -- refuses it for good.  A setup failure
 * (deliver_setup_failure(): the relay's name does not resolve, its
 * certificate or pin is refused, the greeting, EHLO, STARTTLS or AUTH is
 * refused) is our own setup's fault, not the message's: its recipients
 * stay pending, exactly as after a 421, until the administrator fixes it
 * or the entry expires.  That holds in every mode; what the caller is
 * told depends on where it stands (enum attempt_policy).  Refused
 * recipients and whole-message failures are reported in the outcome (one
 * line each, with the relay's reply and what to do) and syslog.
 */
#ifndef CFSENDMAIL_ATTEMPT_H
#define CFSENDMAIL_ATTEMPT_H

#include "config.h"
#include "deliver.h"
#include "outcome.h"
#include "queue.h"

/* Where the caller stands when recipients are left pending. */
enum attempt_policy {
	/*
	 * The caller already has its exit 0 (a queue run, the -odb child):
	 * the entry keeps them, said only for a setup failure ("not sent,
	 * kept in the queue"), whose own code (77 for a refused token, say)
	 * goes into the outcome.
	 */
	ATTEMPT_ACCEPTED,
	/*
	 * A caller waits (the foreground, -bs) and the queue retries
	 * ([delivery] on_defer = queue): the entry keeps them, one line
	 * says so, why and what to fix, and the exit code is 0 -- or, under
	 * -v (a person testing by hand), a setup failure's own code.
	 */
	ATTEMPT_KEEP,
	/*
	 * A caller waits and retries itself (on_defer = fail): when nobody
	 * got the message, nothing is kept and the exit code is the
	 * failure's own (FAIL_TEMPORARY for a temporary one).  Once the relay
	 * has taken it for some recipients, the others stay queued as with
	 * ATTEMPT_KEEP: a caller's retry would send the first ones a
	 * second copy.
	 */
	ATTEMPT_STRICT,
};

/*
 * Deliver the locked entry e, trying up to attempts times in this
 * process, and update the queue as above.  Returns the failure of the
 * outcome: FAIL_NONE; the refusal's (FAIL_RECIPIENT for refused
 * recipients, FAIL_RELAY_REFUSED, FAIL_DATA...); while recipients are
 * pending, FAIL_TEMPORARY with ATTEMPT_ACCEPTED (the caller counts the
 * entry as deferred), and with the other policies the caller's exit code
 * as above.  Lines for stderr are added to o's report.
 */
enum failure attempt_entry(struct deliver *, struct queue *,
    struct queue_entry *, int attempts, enum attempt_policy, struct outcome *);

#endif
