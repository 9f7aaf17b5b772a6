/*
 * parallel.c - sessions of one message side by side; see parallel.h.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "parallel.h"

/* What a child sends back before its per-recipient results. */
struct child_summary {
	enum deliver_why   why;
	struct smtp_status failure;
};

struct child {
	pid_t  pid;
	int    fd;	 /* read end of its pipe */
	size_t first, n; /* its recipients in the job's list */
};

/*
 * In the child: deliver this share on a connection of its own and
 * report.  _exit(), not return: the child must not run the rest of the
 * program (it would write the caller's output a second time).
 */
static void __attribute__((noreturn)) run_child(const struct deliver *parent,
    const struct deliver_job *job, const struct child *c, int fd)
{
	struct deliver	     d;
	struct deliver_job   sub = *job;
	struct child_summary sum;
	int		     ok;

	/* the child's own copy of the job: its share is a slice of it */
	sub.env.rcpts = job->env.rcpts + c->first;
	sub.env.nrcpts = c->n;
	sub.status = job->status + c->first; /* pending */
	deliver_init(&d, parent->cfg, parent->params.helo);
	deliver_batches(&d, &sub);
	deliver_close(&d);
	memset(&sum, 0, sizeof(sum));
	sum.why = sub.why;
	sum.failure = sub.failure;
	ok = fdio_write_all(fd, &sum, sizeof(sum)) == 0 &&
	    fdio_write_all(fd, sub.status, c->n * sizeof(*sub.status)) == 0;
	_exit(ok ? 0 : 1);
}

static int
start_child(const struct deliver *d, const struct deliver_job *job,
    struct child *c)
{
	int fds[2];

	if (pipe(fds) == -1)
		return -1;
	if ((c->pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (c->pid == 0) {
		close(fds[0]);
		run_child(d, job, c, fds[1]);
	}
	close(fds[1]);
	c->fd = fds[0];
	return 0;
}

/*
 * Take a child's results.  A child that died without reporting leaves
 * its recipients pending (temporary): they stay queued, never lost.
 */
static void
collect(struct child *c, struct deliver_job *job)
{
	struct child_summary sum;
	struct smtp_status   st;
	size_t		     i;
	int		     status, ok;

	ok = fdio_read_all(c->fd, &sum, sizeof(sum)) == 1;
	for (i = 0; ok && i < c->n; i++) {
		if (fdio_read_all(c->fd, &st, sizeof(st)) != 1)
			ok = 0;
		else
			job->status[c->first + i] = st;
	}
	close(c->fd);
	while (waitpid(c->pid, &status, 0) == -1 && errno == EINTR)
		;
	if (ok && sum.why != DELIVER_OK &&
	    (job->why == DELIVER_OK || job->why == DELIVER_TEMP)) {
		job->why = sum.why;
		job->failure = sum.failure;
	}
}

int
parallel_deliver(struct deliver *d, struct deliver_job *job)
{
	struct child kids[16];
	size_t	     per = (size_t)d->cfg->max_recipients, groups, n, i, k;
	size_t	     sessions = 0, end;

	groups = (job->env.nrcpts + per - 1) / per;
	n = groups < (size_t)d->cfg->parallel ? groups :
						(size_t)d->cfg->parallel;
	if (n > sizeof(kids) / sizeof(kids[0]))
		n = sizeof(kids) / sizeof(kids[0]);
	/*
	 * The fewest sessions the limit allows (groups), dealt out to the
	 * children; each takes an in-order share in proportion to its
	 * sessions.  The caller waits for the longest child: 120 recipients
	 * as 40/40/40 wait for 46 replies each where 50/50/20 waited for 56.
	 */
	for (k = 0, end = 0; k < n; k++) {
		sessions += groups / n + (k < groups % n);
		kids[k].first = end;
		end = job->env.nrcpts * sessions / groups;
		kids[k].n = end - kids[k].first;
	}
	for (k = 0; k < n; k++)
		if (start_child(d, job, &kids[k]) == -1)
			break;
	if (k == 0)
		return -1; /* nothing started: deliver here */
	/* children that could not start leave their recipients pending */
	for (i = 0; i < k; i++)
		collect(&kids[i], job);
	return 0;
}
