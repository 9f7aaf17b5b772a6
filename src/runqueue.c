/*
 * runqueue.c - the queue runner and listing; see runqueue.h.
 */

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "attempt.h"
#include "deliver.h"
#include "log.h"
#include "notice.h"
#include "queue.h"
#include "runqueue.h"

struct run {
	const struct config	*cfg;
	const char		*only;		/* -qI<id> */
	struct queue		 q;
	struct deliver		 d;
	struct outcome		*o;
	time_t			 now;
	int			 unreachable;	/* stop: the relay is down */
	int			 found;		/* -qI: the id is in new/ */
	unsigned int		 sent, deferred, failed;
};

/* "3m", "2h", "4d": ages and delays for people. */
static void
span(long long secs, char *out, size_t outlen)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(out, outlen, "%llds", secs);
	else if (secs < 7200)
		snprintf(out, outlen, "%lldm", secs / 60);
	else if (secs < 172800)
		snprintf(out, outlen, "%lldh", secs / 3600);
	else
		snprintf(out, outlen, "%lldd", secs / 86400);
}

static int
expire(struct run *r, struct queue_entry *e)
{
	char	 reason[600], err[512], age[32];

	span(r->now - e->env.created, age, sizeof(age));
	snprintf(reason, sizeof(reason), "expired after %s in the queue; "
	    "last reply: %s", age,
	    e->env.last_reply ? e->env.last_reply : "none");
	log_error("%s: %s", e->id, reason);
	outcome_fail(r->o, 0, "%s: %s", e->id, reason);
	r->failed++;
	if (queue_fail(&r->q, e, reason, err, sizeof(err)) == -1 ||
	    notice_queue(&r->q, r->cfg, e, reason, err, sizeof(err)) == -1)
		return outcome_fail(r->o, EX_IOERR, "%s", err);
	return 0;
}

static int
run_entry(const char *id, void *arg)
{
	struct run		*r = arg;
	struct queue_entry	 e;
	char			 err[512];
	int			 locked, code;

	if (r->only != NULL && strcmp(id, r->only) != 0)
		return 0;
	r->found = 1;
	if (r->unreachable)
		return 0;
	if ((locked = queue_lock(&r->q, id, &e, err, sizeof(err))) != 1) {
		if (locked == -1)
			outcome_fail(r->o, EX_IOERR, "%s", err);
		return 0;
	}
	if (r->only == NULL && e.env.next_attempt > r->now)
		goto done;
	if (r->now - e.env.created > r->cfg->max_age) {
		expire(r, &e);
		goto done;
	}
	code = attempt_entry(&r->d, &r->q, &e, 1, 1, r->o);
	if (code == EX_OK)
		r->sent++;
	else if (code == EX_TEMPFAIL) {
		r->deferred++;
		/* not even a session: the next entries would fare no better */
		r->unreachable = r->d.open_failed;
	} else
		r->failed++;
done:
	queue_entry_free(&e);
	return 0;
}

/*
 * -qI<id> for an id that is not queued: where it is, if anywhere.  A
 * well-formed id that is nowhere was most likely delivered by another
 * queue run meanwhile (a timer and an administrator racing): not an error.
 */
static void
report_missing(struct run *r)
{
	struct queue_envelope	 v;
	long long		 size;
	char			 err[512];

	if (!queue_id_valid(r->only)) {
		outcome_fail(r->o, EX_USAGE, "%s is not a queue id "
		    "(cfsendmail -bp lists them)", r->only);
		return;
	}
	if (queue_peek(&r->q, "failed", r->only, &v, &size, err,
	    sizeof(err)) == 0) {
		outcome_fail(r->o, EX_USAGE, "%s is in %s/failed, refused for "
		    "good: %s; see cfsendmail(8) to send it again", r->only,
		    r->q.dir, v.last_reply ? v.last_reply : "no reason kept");
		queue_envelope_free(&v);
		return;
	}
	outcome_fail(r->o, 0, "no entry %s in the queue %s: sent already",
	    r->only, r->q.dir);
}

int
runqueue_run(const struct config *cfg, const char *id, struct outcome *o)
{
	struct run	 r;
	char		 err[512], helo[256];

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.only = id;
	r.o = o;
	r.now = time(NULL);
	if (queue_open(&r.q, cfg->queue_dir, err, sizeof(err)) == -1)
		return outcome_fail(o, EX_CANTCREAT, "%s", err);
	queue_clean(&r.q, r.now);
	deliver_helo(helo, sizeof(helo));
	deliver_init(&r.d, cfg, helo);
	if (queue_foreach(&r.q, "new", run_entry, &r, err, sizeof(err)) == -1)
		outcome_fail(o, EX_IOERR, "%s", err);
	else if (id != NULL && !r.found)
		report_missing(&r);
	deliver_close(&r.d);
	queue_close(&r.q);
	log_info("queue run: %u sent, %u deferred, %u failed%s", r.sent,
	    r.deferred, r.failed, r.unreachable ? " (relay unreachable)" :
	    "");
	return o->code;
}

struct listing {
	struct queue	 q;
	struct outcome	*o;
	const char	*sub;
	time_t		 now;
	unsigned int	 count;
};

static int
list_entry(const char *id, void *arg)
{
	struct listing		*l = arg;
	struct queue_envelope	 v;
	struct buf		*out = &l->o->out;
	long long		 size;
	char			 err[512], age[32], next[32];
	int			 failed = strcmp(l->sub, "failed") == 0;
	size_t			 i;

	if (queue_peek(&l->q, l->sub, id, &v, &size, err, sizeof(err)) == -1)
		return 0;	/* delivered while we looked */
	if (failed && l->count == 0)
		buf_addf(out, "\nFailed, kept in %s/failed:\n", l->q.dir);
	l->count++;
	span(l->now - v.created, age, sizeof(age));
	buf_addf(out, "%s  %lld bytes  age %s  from <%s>\n", id, size, age,
	    v.from);
	for (i = 0; i < v.nrcpts; i++)
		buf_addf(out, "    to <%s>\n", v.rcpts[i]);
	span(v.next_attempt - l->now, next, sizeof(next));
	if (failed)
		buf_addf(out, "    failed: %s\n", v.last_reply ?
		    v.last_reply : "?");
	else if (v.next_attempt > l->now)
		buf_addf(out, "    attempts %d, next attempt in %s\n",
		    v.attempts, next);
	else
		buf_addf(out, "    attempts %d, next attempt now\n",
		    v.attempts);
	if (!failed && v.last_reply != NULL)
		buf_addf(out, "    last reply: %s\n", v.last_reply);
	queue_envelope_free(&v);
	return 0;
}

int
runqueue_list(const struct config *cfg, struct outcome *o)
{
	struct listing	 l;
	char		 err[512];

	memset(&l, 0, sizeof(l));
	l.o = o;
	l.now = time(NULL);
	if (queue_open(&l.q, cfg->queue_dir, err, sizeof(err)) == -1)
		return outcome_fail(o, EX_CANTCREAT, "%s", err);
	l.sub = "new";
	if (queue_foreach(&l.q, "new", list_entry, &l, err, sizeof(err)) ==
	    -1)
		outcome_fail(o, EX_IOERR, "%s", err);
	else if (l.count == 0)
		buf_adds(&o->out, "Mail queue is empty\n");
	l.count = 0;
	l.sub = "failed";
	if (queue_foreach(&l.q, "failed", list_entry, &l, err,
	    sizeof(err)) == -1)
		outcome_fail(o, EX_IOERR, "%s", err);
	queue_close(&l.q);
	return o->code;
}
