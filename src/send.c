/*
 * send.c - one session or several for a message; see send.h.
 */

#include "log.h"
#include "parallel.h"
#include "send.h"

/*
 * Sessions side by side pay off for more recipients than one session
 * takes, on a fresh start.  Under -v they run one after another, so that
 * the transcript reads in order.
 */
static int
worth_parallel(const struct deliver *d, size_t nrcpts)
{
	return d->cfg->parallel > 1 && !d->ready && !log_verbose() &&
	    nrcpts > (size_t)d->cfg->max_recipients;
}

void
send_start(struct deliver *d, size_t nrcpts)
{
	if (!worth_parallel(d, nrcpts))
		deliver_start(d);
}

void
send_message(struct deliver *d, struct deliver_job *job)
{
	deliver_reset(job);
	if (worth_parallel(d, job->env.nrcpts) &&
	    parallel_deliver(d, job) == 0) {
		if (deliver_pending(job) > 0 && job->why == DELIVER_OK)
			job->why = DELIVER_TEMP;
		return;
	}
	deliver_batches(d, job);
}
