/*
 * attempt.c - one delivery attempt of a queue entry; see attempt.h.
 */

#include <sys/random.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attempt.h"
#include "failure.h"
#include "log.h"
#include "notice.h"
#include "privilege.h"
#include "qclock.h"
#include "send.h"

static ssize_t
body_read(void *ctx, char *p, size_t len)
{
	return queue_read(ctx, p, len);
}

static int
body_rewind(void *ctx)
{
	return queue_rewind(ctx);
}

/* The relay's verdicts: on the whole message, on single recipients. */
static void
report(const struct deliver_job *job, int setup, struct outcome *o)
{
	const char *hint;
	size_t	    i;

	if (!setup && job->why != DELIVER_OK && job->why != DELIVER_TEMP) {
		hint = deliver_job_hint(job, &job->failure);
		outcome_fail(o, FAIL_NONE, "%s: not sent: %s%s%s", job->id,
		    job->failure.text, hint ? " -- " : "", hint ? hint : "");
		log_error("%s: not sent: %s", job->id, job->failure.text);
		return;
	}
	for (i = 0; i < job->env.nrcpts; i++) {
		if (job->status[i].cls != REPLY_PERM)
			continue;
		hint = deliver_job_hint(job, &job->status[i]);
		outcome_fail(o, FAIL_NONE, "%s: <%s> refused: %s%s%s", job->id,
		    job->env.rcpts[i], job->status[i].text, hint ? " -- " : "",
		    hint ? hint : "");
		log_error("%s: <%s> refused: %s", job->id, job->env.rcpts[i],
		    job->status[i].text);
	}
}

/* The recipients that failed with the setup stay pending, to retry. */
static void
hold_for_setup(struct deliver_job *job)
{
	size_t i;

	for (i = 0; i < job->env.nrcpts; i++)
		if (job->status[i].cls == REPLY_PERM &&
		    job->status[i].state == job->failure.state &&
		    job->status[i].code == job->failure.code)
			job->status[i].cls = REPLY_TEMP;
}

/* Keep in the envelope only the recipients whose status is cls. */
static void
keep_rcpts(struct queue_envelope *v, const struct smtp_status *st,
    enum reply_class cls)
{
	size_t i, n = 0;

	for (i = 0; i < v->nrcpts; i++) {
		if (st[i].cls == cls)
			v->rcpts[n++] = v->rcpts[i];
		else
			free(v->rcpts[i]);
	}
	v->nrcpts = n;
}

static const char *
last_refusal(const struct deliver_job *job)
{
	size_t i;

	if (job->why != DELIVER_OK)
		return job->failure.text;
	for (i = 0; i < job->env.nrcpts; i++)
		if (job->status[i].cls == REPLY_PERM)
			return job->status[i].text;
	return NULL;
}

/* Bring the queue entry in line with the job's outcome. */
static int
update_entry(const struct config *cfg, struct queue *q, struct queue_entry *e,
    const struct deliver_job *job, struct outcome *o)
{
	struct queue_envelope *v = &e->env;
	const char	      *refusal = last_refusal(job);
	unsigned int	       r = 0;
	char		       err[512];
	int		       rc, lowered = privilege_is_lowered();

	/* a set-group-ID submitter needs its group back for the queue */
	if (lowered && privilege_raise() == -1) {
		outcome_fail(o, FAIL_SYSTEM, "cannot regain the queue's group");
		return -1;
	}
	if (deliver_pending(job) == 0 && refusal == NULL)
		rc = queue_remove(q, e, err, sizeof(err));
	else if (deliver_pending(job) == 0) {
		keep_rcpts(v, job->status, REPLY_PERM);
		rc = queue_fail(q, e, refusal, err, sizeof(err));
		if (rc == 0)
			rc = notice_queue(q, cfg, e, refusal, err, sizeof(err));
	} else {
		keep_rcpts(v, job->status, REPLY_TEMP);
		v->attempts++;
		free(v->last_reply);
		v->last_reply = strdup(job->failure.text);
		getrandom(&r, sizeof(r), 0);
		v->next_attempt = time(NULL) +
		    qclock_retry_after(v->attempts, r);
		rc = queue_update(q, e, err, sizeof(err));
	}
	if (rc == -1)
		outcome_fail(o, FAIL_IO, "%s", err);
	if (lowered && privilege_lower() == -1) {
		outcome_fail(o, FAIL_SYSTEM, "cannot lower the group again");
		rc = -1;
	}
	return rc;
}

/*
 * "<a@x>, <b@y>, <c@z> and 7 more": the recipients whose status is cls,
 * the first few by name, for one line.
 */
static void
list_rcpts(struct buf *b, const struct deliver_job *job, enum reply_class cls)
{
	size_t i, n = 0;

	for (i = 0; i < job->env.nrcpts; i++) {
		if (job->status[i].cls != cls)
			continue;
		if (n < 3)
			buf_addf(b, "%s<%s>", n > 0 ? ", " : "",
			    job->env.rcpts[i]);
		n++;
	}
	if (n > 3)
		buf_addf(b, " and %zu more", n - 3);
}

/*
 * Some recipients got the message, others wait: "sent to ...; queued for
 * ..." in who.  Made before the entry is updated, which keeps only the
 * pending recipients in the envelope that job->env.rcpts points into.
 */
static void
sent_and_pending(const struct deliver_job *job, struct buf *who)
{
	size_t i, sent = 0;

	for (i = 0; i < job->env.nrcpts; i++)
		sent += job->status[i].cls == REPLY_OK;
	if (sent == 0 || deliver_pending(job) == 0)
		return;
	buf_adds(who, "sent to ");
	list_rcpts(who, job, REPLY_OK);
	buf_adds(who, "; queued for ");
	list_rcpts(who, job, REPLY_TEMP);
}

/*
 * Remove an entry with the queue's group, lowered for the network: 1
 * when removed, 0 when it stays queued (said in o), -1 when the group
 * could not be set back.
 */
static int
remove_now(struct queue *q, struct queue_entry *e, struct outcome *o)
{
	char err[512];
	int  lowered = privilege_is_lowered(), rc;

	if (lowered && privilege_raise() == -1) {
		outcome_fail(o, FAIL_NONE,
		    "%s: cannot regain the queue's group", e->id);
		return 0;
	}
	if ((rc = queue_remove(q, e, err, sizeof(err))) == -1)
		outcome_fail(o, FAIL_NONE, "%s", err);
	if (lowered && privilege_lower() == -1) {
		outcome_fail(o, FAIL_SYSTEM, "cannot lower the group again");
		return -1;
	}
	return rc == 0;
}

/*
 * on_defer = fail, and nobody got the message: drop the entry and say
 * why, with the failure's own code.  0 when it stays queued after all (a
 * retry by the caller would then send it twice), else the exit code.
 */
static enum failure
drop(struct queue *q, struct queue_entry *e, const struct deliver_job *job,
    enum failure f, const char *hint, struct outcome *o)
{
	int rc;

	if ((rc = remove_now(q, e, o)) != 1)
		return rc == -1 ? o->failure : FAIL_NONE;
	outcome_fail(o, f, "%s: not sent%s: %s%s%s", job->id,
	    f == FAIL_TEMPORARY ? ", try again later" : "", job->failure.text,
	    hint ? " -- " : "", hint ? hint : "");
	log_error("%s: not sent, not kept (on_defer = fail): %s", job->id,
	    job->failure.text);
	return f;
}

/*
 * The entry keeps the pending recipients: one line that says so, who got
 * the message already (who: "sent to ...; queued for ...", or empty),
 * why and what to do.
 */
static void
say_queued(const struct deliver_job *job, const struct buf *who,
    const char *hint, int setup, struct outcome *o)
{
	struct buf b = { 0 };

	buf_addf(&b, "%s: %s, will retry (cfsendmail -q): %s%s%s", job->id,
	    who->len > 0 ? who->data : "queued",
	    job->failure.text[0] ? job->failure.text : "temporary failure",
	    hint ? " -- " : "", hint ? hint : "");
	outcome_fail(o, FAIL_NONE, "%s", b.data ? b.data : "out of memory");
	if (setup)
		log_error("%s", b.data ? b.data : job->id);
	else
		log_info("%s", b.data ? b.data : job->id);
	buf_free(&b);
}

/*
 * Recipients are pending and the entry keeps them: what that means for
 * the caller (enum attempt_policy).  setup: a setup failure held them.
 */
static enum failure
settle_pending(struct queue *q, struct queue_entry *e,
    const struct deliver_job *job, const struct buf *who, int setup,
    enum attempt_policy policy, struct outcome *o)
{
	const char  *hint = deliver_job_hint(job, &job->failure);
	const char  *what = who->len > 0 ? who->data :
					   "not sent, kept in the queue";
	enum failure own = setup ? deliver_failure(job) : FAIL_TEMPORARY;
	enum failure f;

	if (policy == ATTEMPT_ACCEPTED) {
		/* a queue run is quiet about what only needs time */
		if (setup) {
			outcome_fail(o, own, "%s: %s: %s%s%s", job->id, what,
			    job->failure.text, hint ? " -- " : "",
			    hint ? hint : "");
			log_error("%s: %s: %s", job->id, what,
			    job->failure.text);
		}
		return FAIL_TEMPORARY;
	}
	if (policy == ATTEMPT_STRICT && who->len == 0 &&
	    (f = drop(q, e, job, own, hint, o)) != FAIL_NONE)
		return f;
	say_queued(job, who, hint, setup, o);
	/* a person testing by hand sees the failure in the status too */
	return setup && log_verbose() ? own : FAIL_NONE;
}

enum failure
attempt_entry(struct deliver *d, struct queue *q, struct queue_entry *e,
    int attempts, enum attempt_policy policy, struct outcome *o)
{
	struct deliver_job     job;
	struct queue_envelope *v = &e->env;
	struct buf	       who = { 0 };
	enum failure	       f;
	int		       setup;

	memset(&job, 0, sizeof(job));
	if ((job.status = calloc(v->nrcpts ? v->nrcpts : 1,
		 sizeof(*job.status))) == NULL)
		return outcome_fail(o, FAIL_SYSTEM, "out of memory");
	job.id = e->id;
	job.msgid = v->msgid;
	job.env.from = v->from;
	job.env.rcpts = (const char *const *)v->rcpts;
	job.env.nrcpts = v->nrcpts;
	job.env.eightbit = v->eightbit;
	job.env.smtputf8 = v->smtputf8;
	job.env.size = v->size;
	job.env.dsn_notify = v->dsn_notify;
	job.env.dsn_ret = v->dsn_ret;
	job.env.envid = v->envid;
	job.body.ctx = e;
	job.body.read = body_read;
	job.rewind = body_rewind;
	job.attempts = attempts;
	send_message(d, &job);
	if ((setup = deliver_setup_failure(&job)))
		hold_for_setup(&job);
	report(&job, setup, o);
	sent_and_pending(&job, &who);
	f = setup ? FAIL_TEMPORARY : deliver_failure(&job);
	if (update_entry(d->cfg, q, e, &job, o) == -1) {
		if (f == FAIL_NONE)
			f = FAIL_IO;
	} else if (deliver_pending(&job) > 0)
		f = settle_pending(q, e, &job, &who, setup, policy, o);
	buf_free(&who);
	free(job.status);
	return f;
}
