/*
 * qclock.h - the queue's clock policy (pure): when an entry is due, how
 * long it has waited, when it is given up.
 *
 * Timeouts use the monotonic clock (tls.c, deliver.c), but what a queue
 * entry keeps across processes and reboots can only be wall-clock time,
 * and the wall clock can be wrong: a host without a working RTC boots
 * days or decades behind until NTP corrects it, an administrator sets
 * it by hand.  So nothing here trusts a difference of two wall-clock
 * times beyond what a wrong clock can do little harm with:
 *
 * - An entry's waiting is counted, not computed from its creation time.
 *   Each look at it (a queue run that considers it for an attempt) adds
 *   the time since the previous look (or since it was queued), when that
 *   is positive, and at most a quarter of [queue] max_age and at most a
 *   day (QCLOCK_LOOK_MAX).  A clock that jumps forward brings an entry
 *   at most that much closer to its expiry; one that jumps back takes
 *   nothing away.  Real waiting counts in full as long as the queue is
 *   run at least that often (the timer runs it every five minutes, and
 *   an entry's backoff is at most an hour); time the host is down counts
 *   only up to that limit.
 * - An entry expires when it has waited max_age AND has been tried at
 *   least once: an entry never tried is never given up, whatever the
 *   clock said when it was queued.
 * - A next attempt set further ahead than the longest backoff
 *   (QCLOCK_BACKOFF_MAX) was set with a clock that was ahead: the entry
 *   is due now, not frozen until the clock catches up.
 */
#ifndef CFSENDMAIL_QCLOCK_H
#define CFSENDMAIL_QCLOCK_H

#include <time.h>

#include "envfile.h"

/* The backoff between attempts: 1 minute, doubled, at most an hour. */
#define QCLOCK_RETRY_FIRST 60
#define QCLOCK_RETRY_MAX   3600
/* The longest wait qclock_retry_after() gives: the maximum + 20%. */
#define QCLOCK_BACKOFF_MAX (QCLOCK_RETRY_MAX * 12 / 10)
/* The most one look adds to an entry's waiting. */
#define QCLOCK_LOOK_MAX 86400

/*
 * The wait before the attempt after the n-th failed one: the backoff,
 * within ±20% by random (entries queued together do not all come back
 * together).
 */
time_t qclock_retry_after(int attempts, unsigned int random);
/* Whether the entry is due for an attempt at now. */
int qclock_due(const struct queue_envelope *, time_t now);
/*
 * A look at the entry at now: its waited time grows as described above
 * and its seen time becomes now.  max_age: [queue] max_age, seconds.
 */
void qclock_look(struct queue_envelope *, time_t now, long long max_age);
/* Whether the entry is to be given up: tried, and waited max_age. */
int qclock_expired(const struct queue_envelope *, long long max_age);

#endif
