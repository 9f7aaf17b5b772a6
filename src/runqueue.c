/*
 * runqueue.c - the queue runner; see runqueue.h.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attempt.h"
#include "deliver.h"
#include "drain.h"
#include "failure.h"
#include "log.h"
#include "mailq.h"
#include "notice.h"
#include "printable.h"
#include "qclock.h"
#include "queue.h"
#include "runqueue.h"

struct run {
	const struct config *cfg;
	const char	    *only;     /* -qI<id> */
	int		     due_only; /* -q<interval> */
	struct queue	     q;
	struct deliver	     d;
	struct outcome	    *o;
	time_t		     now;
	int		     unreachable; /* stop: the relay is down */
	int		     found;	  /* -qI: the id is in new/ */
	unsigned int	     sent, deferred, failed, damaged;
	struct config	     one; /* cfg, one session a message */
	struct outcome	     own; /* a session process's */
};

static enum failure
expire(struct run *r, struct queue_entry *e)
{
	char reason[600], err[512], age[32];

	mailq_span(e->env.waited, age, sizeof(age));
	snprintf(reason, sizeof(reason),
	    "expired after %s in the queue and "
	    "%d attempt%s; last reply: %s",
	    age, e->env.attempts, e->env.attempts == 1 ? "" : "s",
	    e->env.last_reply ? e->env.last_reply : "none");
	log_error("%s: %s", e->id, reason);
	outcome_fail(r->o, FAIL_NONE, "%s: %s", e->id, reason);
	r->failed++;
	if (queue_fail(&r->q, e, reason, err, sizeof(err)) == -1 ||
	    notice_queue(&r->q, r->cfg, e, reason, err, sizeof(err)) == -1)
		return outcome_fail(r->o, FAIL_IO, "%s", err);
	return FAIL_NONE;
}

/*
 * A damaged entry is never sent: it goes to failed/, marked damaged,
 * and the run says so in its exit code (once: the next run does not
 * find it in new/ any more).
 */
static enum failure
quarantine(struct run *r, struct queue_entry *e, const char *reason)
{
	char err[512];

	log_error("%s: %s; moved to failed/", e->id, reason);
	outcome_fail(r->o, FAIL_DATA,
	    "%s: %s; not sent, moved to "
	    "%s/failed (see cfsendmail(8), QUEUE)",
	    e->id, reason, r->q.dir);
	r->damaged++;
	if (queue_quarantine(&r->q, e, reason, err, sizeof(err)) == -1)
		return outcome_fail(r->o, FAIL_IO, "%s", err);
	/* a notice needs a sender and recipients to describe */
	if (e->env.from != NULL &&
	    notice_queue(&r->q, r->cfg, e, reason, err, sizeof(err)) == -1)
		return outcome_fail(r->o, FAIL_IO, "%s", err);
	return FAIL_NONE;
}

static void
attempt(struct run *r, struct queue_entry *e)
{
	enum failure f;

	f = attempt_entry(&r->d, &r->q, e, 1, ATTEMPT_ACCEPTED, r->o);
	if (f == FAIL_NONE)
		r->sent++;
	else if (f == FAIL_TEMPORARY) {
		r->deferred++;
		/* no session, or our setup refused (deliver.h, open_failed):
		 * the next entries would fare no better */
		r->unreachable = r->d.open_failed;
	} else
		r->failed++;
}

static int
run_entry(const char *id, void *arg)
{
	struct run	  *r = arg;
	struct queue_entry e;
	char		   err[512];
	int		   rc;

	if (r->only != NULL && strcmp(id, r->only) != 0)
		return 0;
	r->found = 1;
	if (r->unreachable)
		return 0;
	rc = queue_lock(&r->q, id, &e, err, sizeof(err));
	if (rc == -1)
		outcome_fail(r->o, FAIL_IO, "%s", err);
	if (rc == 0)
		r->found = 0; /* locked elsewhere or gone: report_missing() */
	if (rc == 0 || rc == -1)
		return 0;
	if (rc == 1 && r->due_only && !qclock_due(&e.env, r->now))
		goto done;
	if (rc == 1 && (rc = queue_verify(&e, err, sizeof(err))) == -1) {
		outcome_fail(r->o, FAIL_IO, "%s", err);
		goto done;
	}
	if (rc == QUEUE_DAMAGED) {
		quarantine(r, &e, err);
		goto done;
	}
	/* what the entry waited counts, not what the clock says: qclock.h */
	qclock_look(&e.env, r->now, r->cfg->max_age);
	if (qclock_expired(&e.env, r->cfg->max_age))
		expire(r, &e);
	else
		attempt(r, &e);
done:
	queue_entry_free(&e);
	return 0;
}

/* drain.h's entry: run_entry(), then what it showed of the relay. */
static void
work_entry(void *arg, const char *id, struct drain_result *res)
{
	struct run *r = arg;

	memset(&r->d.last_failure, 0, sizeof(r->d.last_failure));
	run_entry(id, r);
	res->tally.sent = r->sent;
	res->tally.deferred = r->deferred;
	res->tally.failed = r->failed;
	res->tally.damaged = r->damaged;
	res->refused = r->unreachable;
	res->failure = r->d.last_failure;
}

/* In a session process: an outcome of its own, handed back at the end. */
static void
work_begin(void *arg)
{
	struct run *r = arg;

	memset(&r->own, 0, sizeof(r->own));
	r->o = &r->own;
}

static struct outcome *
work_end(void *arg)
{
	struct run *r = arg;

	deliver_close(&r->d);
	return r->o;
}

/*
 * The whole queue, over up to [queue] parallel sessions (one under -v,
 * so that the transcript reads in order), oldest first.  Those sessions
 * are the run's parallelism: a message for many recipients does not
 * open more of its own (send.h), so the run never has more.
 */
static void
run_all(struct run *r)
{
	struct drain_ops    ops = { r, work_entry, work_begin, work_end };
	struct drain_params p;
	struct drain_totals t;
	struct queue_list   l;
	char		    err[512];

	r->one = *r->cfg;
	r->one.parallel = 1;
	r->cfg = &r->one;
	deliver_init(&r->d, r->cfg, r->d.params.helo);
	if (queue_list(&r->q, "new", &l, err, sizeof(err)) == -1) {
		outcome_fail(r->o, FAIL_IO, "%s", err);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.sessions = log_verbose() ? 1 : r->cfg->queue_parallel;
	p.pause_ms = (long long)r->cfg->retry_delay * 1000;
	p.progress = 1;
	drain_run(&l, &p, &ops, r->o, &t);
	queue_list_free(&l);
	r->sent = t.tally.sent;
	r->deferred = t.tally.deferred;
	r->failed = t.tally.failed;
	r->damaged = t.tally.damaged;
	r->unreachable = t.unreachable;
}

/*
 * -qI<id> for an id that could not be taken up: where it is, if
 * anywhere.  One that another process is delivering (a timer and an
 * administrator racing), and a well-formed id that is nowhere, most
 * likely delivered by such a process meanwhile, are no error.
 */
static void
report_missing(struct run *r)
{
	struct queue_envelope v;
	struct queue_info     info;
	char		      err[512];

	if (!queue_id_valid(r->only)) {
		outcome_fail(r->o, FAIL_USAGE,
		    "%s is not a queue id "
		    "(cfsendmail -bp lists them)",
		    r->only);
		return;
	}
	if (queue_peek(&r->q, "new", r->only, r->now, &v, &info, err,
		sizeof(err)) == 1) {
		outcome_fail(r->o, FAIL_NONE,
		    info.state == QS_DELIVERING ?
			"%s is being delivered by another process" :
			"%s was just tried by another process and is still "
			"queued (cfsendmail -bp)",
		    r->only);
		queue_envelope_free(&v);
		return;
	}
	if (queue_peek(&r->q, "failed", r->only, r->now, &v, &info, err,
		sizeof(err)) == 1) {
		/* the reasons of damage start with "damaged:" */
		if (info.state == QS_DAMAGED)
			outcome_fail(r->o, FAIL_USAGE,
			    "%s is in %s/failed, %s; "
			    "see cfsendmail(8), QUEUE",
			    r->only, r->q.dir,
			    info.reason[0]   ? info.reason :
				v.last_reply ? v.last_reply :
					       "damaged");
		else
			outcome_fail(r->o, FAIL_USAGE,
			    "%s is in %s/failed, "
			    "refused for good: %s; cfsendmail --requeue %s "
			    "sends it again",
			    r->only, r->q.dir,
			    v.last_reply ? v.last_reply : "no reason kept",
			    r->only);
		queue_envelope_free(&v);
		return;
	}
	outcome_fail(r->o, FAIL_NONE,
	    "no entry %s in the queue %s: sent already", r->only, r->q.dir);
}

/*
 * bounce_to without [sender] from: notice.c sends nothing (--check-config
 * refuses such a config); say so once for a run that gave mail up.
 */
static void
log_no_notices(const struct run *r)
{
	unsigned int n = r->failed + r->damaged;

	if (n > 0 && r->cfg->bounce_to != NULL && r->cfg->from == NULL)
		log_error("[queue] bounce_to is set but [sender] from is not: "
			  "no notice was sent for the %u message%s given up in "
			  "this "
			  "run; set from",
		    n, n == 1 ? "" : "s");
}

enum failure
runqueue_run(const struct config *cfg, const char *id, int due_only,
    struct outcome *o)
{
	struct run r;
	char	   err[512], helo[256];

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.only = id;
	r.due_only = due_only;
	r.o = o;
	r.now = time(NULL);
	if (queue_open(&r.q, cfg->queue_dir, err, sizeof(err)) == -1)
		return outcome_fail(o, FAIL_QUEUE_CREATE, "%s", err);
	queue_clean(&r.q, r.now);
	deliver_helo(helo, sizeof(helo));
	deliver_init(&r.d, cfg, helo);
	if (id == NULL)
		run_all(&r);
	else if (queue_foreach(&r.q, "new", run_entry, &r, err, sizeof(err)) ==
	    -1)
		outcome_fail(o, FAIL_IO, "%s", err);
	else if (!r.found)
		report_missing(&r);
	deliver_close(&r.d);
	queue_close(&r.q);
	log_info("queue run: %u sent, %u deferred, %u failed, %u damaged%s",
	    r.sent, r.deferred, r.failed, r.damaged,
	    r.unreachable ? " (relay unreachable)" : "");
	log_no_notices(&r);
	return o->failure;
}

/* What --requeue is doing. */
struct requeue {
	struct queue	q;
	struct outcome *o;
	time_t		now;
	int		all; /* ids from failed/ itself */
	unsigned int	done;
};

/*
 * One entry of failed/ back into the queue; see runqueue_requeue().  The
 * reason it had failed goes to stdout escaped (outcome_fail() escapes
 * stderr): the file may have been edited by hand.
 */
static int
requeue_one(const char *id, void *arg)
{
	struct requeue *r = arg;
	char		was[QUEUE_REASON_MAX], err[512];
	char		shown[PRINTABLE_SIZE(sizeof(was))];

	if (!r->all && !queue_id_valid(id)) {
		outcome_fail(r->o, FAIL_USAGE,
		    "%s is not a queue id "
		    "(cfsendmail -bp lists them)",
		    id);
		return 0;
	}
	switch (queue_requeue(&r->q, id, r->now, was, sizeof(was), err,
	    sizeof(err))) {
	case 1:
		r->done++;
		printable(shown, sizeof(shown), was, strlen(was));
		buf_addf(&r->o->out, "%s: requeued (it had failed: %s)\n", id,
		    shown);
		log_info("%s: requeued from failed/ by uid %u; it had failed: "
			 "%s",
		    id, (unsigned int)getuid(), was);
		break;
	case 0:
		/* "all": requeued by another process meanwhile */
		if (!r->all)
			outcome_fail(r->o, FAIL_USAGE,
			    "%s is not in %s/failed "
			    "(cfsendmail -bp lists the failed entries)",
			    id, r->q.dir);
		break;
	case QUEUE_DAMAGED:
		outcome_fail(r->o, FAIL_DATA,
		    "%s: not requeued, %s: inspect "
		    "%s/failed/%s.*, then remove them (see cfsendmail(8), "
		    "QUEUE)",
		    id, err, r->q.dir, id);
		break;
	default: outcome_fail(r->o, FAIL_IO, "%s", err);
	}
	return 0;
}

enum failure
runqueue_requeue(const struct config *cfg, char *const *ids, size_t n,
    struct outcome *o)
{
	struct requeue r;
	char	       err[512];
	size_t	       i;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.now = time(NULL);
	for (i = 0; i < n; i++)
		r.all |= strcmp(ids[i], "all") == 0;
	if (queue_open(&r.q, cfg->queue_dir, err, sizeof(err)) == -1)
		return outcome_fail(o, FAIL_QUEUE_CREATE, "%s", err);
	if (r.all) {
		if (queue_foreach(&r.q, "failed", requeue_one, &r, err,
			sizeof(err)) == -1)
			outcome_fail(o, FAIL_IO, "%s", err);
	} else
		for (i = 0; i < n; i++)
			requeue_one(ids[i], &r);
	if (r.done > 0)
		buf_addf(&o->out,
		    "%u requeued: the next queue run sends %s "
		    "(cfsendmail -q: now)\n",
		    r.done, r.done == 1 ? "it" : "them");
	else if (r.all && o->failure == FAIL_NONE)
		buf_addf(&o->out, "nothing to requeue: %s/failed is empty\n",
		    r.q.dir);
	queue_close(&r.q);
	return o->failure;
}
