/*
 * attempt.c - one delivery attempt of a queue entry; see attempt.h.
 */

#include <sys/random.h>

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "attempt.h"
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

static void
report(const struct deliver_job *job, int held, struct outcome *o)
{
	const char	*hint, *kept = held ? ", kept in the queue" : "";
	size_t		 i;

	if (job->why != DELIVER_OK && job->why != DELIVER_TEMP) {
		hint = deliver_job_hint(job, &job->failure);
		outcome_fail(o, held ? deliver_exit_code(job) : 0,
		    "%s: not sent%s: %s%s%s", job->id, kept,
		    job->failure.text, hint ? " -- " : "", hint ? hint : "");
		log_error("%s: not sent%s: %s", job->id, kept,
		    job->failure.text);
		return;
	}
	for (i = 0; i < job->env.nrcpts; i++) {
		if (job->status[i].cls != REPLY_PERM)
			continue;
		hint = deliver_job_hint(job, &job->status[i]);
		outcome_fail(o, 0, "%s: <%s> refused: %s%s%s", job->id,
		    job->env.rcpts[i], job->status[i].text, hint ? " -- " : "",
		    hint ? hint : "");
		log_error("%s: <%s> refused: %s", job->id, job->env.rcpts[i],
		    job->status[i].text);
	}
}

/*
 * Whether the whole-message failure was our own setup's and not the
 * message's: no session could be opened (the greeting or EHLO refused
 * included, unlike a refused MAIL FROM).
 */
static int
setup_failure(const struct deliver_job *job)
{
	switch (job->why) {
	case DELIVER_CONFIG:
	case DELIVER_NOHOST:
	case DELIVER_TLS:
	case DELIVER_AUTH:
		return 1;
	case DELIVER_RELAY:
		return job->failure.state < SMTP_MAIL;
	default:
		return 0;
	}
}

/* The recipients that failed with the setup stay pending, to retry. */
static void
hold_for_setup(struct deliver_job *job)
{
	size_t	 i;

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
	size_t	 i, n = 0;

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
	size_t	 i;

	if (job->why != DELIVER_OK)
		return job->failure.text;
	for (i = 0; i < job->env.nrcpts; i++)
		if (job->status[i].cls == REPLY_PERM)
			return job->status[i].text;
	return NULL;
}

/* Bring the queue entry in line with the job's outcome. */
static int
update_entry(const struct config *cfg, struct queue *q,
    struct queue_entry *e, const struct deliver_job *job, struct outcome *o)
{
	struct queue_envelope	*v = &e->env;
	const char		*refusal = last_refusal(job);
	unsigned int		 r = 0;
	char			 err[512];
	int			 rc, lowered = privilege_is_lowered();

	/* a set-group-ID submitter needs its group back for the queue */
	if (lowered && privilege_raise() == -1) {
		outcome_fail(o, EX_OSERR, "cannot regain the queue's group");
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
		outcome_fail(o, EX_IOERR, "%s", err);
	if (lowered && privilege_lower() == -1) {
		outcome_fail(o, EX_OSERR, "cannot lower the group again");
		rc = -1;
	}
	return rc;
}

int
attempt_entry(struct deliver *d, struct queue *q, struct queue_entry *e,
    int attempts, int accepted, struct outcome *o)
{
	struct deliver_job	 job;
	struct queue_envelope	*v = &e->env;
	int			 code, held;

	memset(&job, 0, sizeof(job));
	if ((job.status = calloc(v->nrcpts ? v->nrcpts : 1,
	    sizeof(*job.status))) == NULL)
		return outcome_fail(o, EX_OSERR, "out of memory");
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
	if ((held = accepted && setup_failure(&job)))
		hold_for_setup(&job);
	report(&job, held, o);
	code = held ? EX_TEMPFAIL : deliver_exit_code(&job);
	if (update_entry(d->cfg, q, e, &job, o) == -1 && code == EX_OK)
		code = EX_IOERR;
	free(job.status);
	return code;
}
