/*
 * qclock.c - the queue's clock policy; see qclock.h.
 */

#include <limits.h>

#include "qclock.h"

time_t
qclock_retry_after(int attempts, unsigned int random)
{
	long long delay = QCLOCK_RETRY_FIRST;
	int	  i;

	for (i = 1; i < attempts && delay < QCLOCK_RETRY_MAX; i++)
		delay *= 2;
	if (delay > QCLOCK_RETRY_MAX)
		delay = QCLOCK_RETRY_MAX;
	return (time_t)(delay * 8 / 10 +
	    (long long)(random % (unsigned int)(delay * 4 / 10 + 1)));
}

int
qclock_due(const struct queue_envelope *v, time_t now)
{
	/* no backoff is that long: the clock was ahead when it was set */
	return v->next_attempt <= now ||
	    v->next_attempt - now > QCLOCK_BACKOFF_MAX;
}

void
qclock_look(struct queue_envelope *v, time_t now, long long max_age)
{
	long long since, cap = QCLOCK_LOOK_MAX;
	time_t	  last = v->seen;

	/* never looked at since it was queued (or queued by a release that
	 * did not count): since it was queued, if that is known */
	if (last == 0)
		last = v->created != 0 ? v->created : now;
	if (max_age / 4 < cap)
		cap = max_age / 4;
	since = (long long)now - (long long)last;
	if (since > cap)
		since = cap;
	if (since > 0)
		v->waited = v->waited > LLONG_MAX - since ? LLONG_MAX :
							    v->waited + since;
	v->seen = now;
}

int
qclock_expired(const struct queue_envelope *v, long long max_age)
{
	return v->attempts > 0 && v->waited >= max_age;
}
