/*
 * drain.c - a queue run's entries over several sessions; see drain.h.
 *
 * This process and the session processes share one anonymous mapping
 * (struct shared): the index of the next id to take, the stop flag, the
 * end of a back-off pause, and each session's counters and "end after
 * this message" flag.  Each session process reports events on a pipe of
 * its own: its first message through, a slow-down reply, a session it
 * could not open, and at the end its outcome.  This process decides
 * (throttle.h) and tells them through the mapping.  A session that hears
 * a slow-down waits for that decision before it starts another message.
 */

#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "drain.h"
#include "failure.h"
#include "fdio.h"
#include "log.h"
#include "mono.h"
#include "throttle.h"

/* The progress line is drawn at most this often (ms). */
#define DRAW_EVERY 200
/* A session waits in steps this long (ms), watching the stop flag. */
#define WAIT_STEP 50

struct slot {
	atomic_uint sent, deferred, failed, damaged;
	atomic_uint seen;  /* ids taken and handled */
	atomic_int  quit;  /* end after the current message */
	atomic_uint acked; /* slow-downs this process decided on */
};

struct shared {
	atomic_size_t next;	 /* index of the next id to take */
	atomic_int    stop;	 /* all: end after the current message */
	atomic_llong  resume_at; /* ms: no message starts before */
	struct slot   slots[DRAIN_MAX];
};

enum event_kind {
	EV_WORKING, /* the session's first message went through */
	EV_SLOW,    /* the relay asked to slow down */
	EV_REFUSED, /* no session could be opened: this one is done */
	EV_END,	    /* the outcome follows: failure, then len bytes */
};

struct event {
	enum event_kind	   kind;
	long long	   began;   /* EV_SLOW: the message's start */
	enum failure	   ended;   /* EV_END */
	size_t		   len;	    /* EV_END */
	struct smtp_status failure; /* EV_SLOW, EV_REFUSED */
};

/* One write each, so that a pipe never holds half an event. */
_Static_assert(sizeof(struct event) <= PIPE_BUF, "events are atomic");
/* Processes share them: only lock-free atomics work across processes. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LONG_LOCK_FREE == 2 &&
	ATOMIC_LLONG_LOCK_FREE == 2,
    "lock-free atomics");

/* A session process, as this process sees it. */
struct worker {
	pid_t pid;
	int   fd;	/* read end of its pipe; -1 once it ended */
	int   working;	/* its first message went through */
	int   reported; /* it handed back its outcome */
	int   quit;	/* told to end, or ending by itself */
};

struct drain {
	const struct queue_list	  *l;
	const struct drain_params *p;
	const struct drain_ops	  *ops;
	struct outcome		  *o;
	struct shared		  *sh;
	struct throttle		   t;
	struct worker		   w[DRAIN_MAX];
	int			   nw;	   /* started */
	pid_t			   parent; /* in a session process */
	long long		   drawn;  /* ms */
	int			   unreachable, slowed;
};

/* --- in a session (a session process, or this one) ------------------- */

/* Whether session k may start another message. */
static int
may_go_on(const struct drain *dr, int k)
{
	if (atomic_load(&dr->sh->stop) || atomic_load(&dr->sh->slots[k].quit))
		return 0;
	/* a run killed with -9: its sessions end, not go on unseen */
	return dr->parent == 0 || getppid() == dr->parent;
}

/* Wait out a back-off pause; 0 when told to stop meanwhile. */
static int
wait_resume(const struct drain *dr, int k)
{
	long long left;

	while ((left = atomic_load(&dr->sh->resume_at) - mono_ms()) > 0) {
		if (!may_go_on(dr, k))
			return 0;
		mono_sleep_ms(left < WAIT_STEP ? left : WAIT_STEP);
	}
	return may_go_on(dr, k);
}

/*
 * Session k takes the next id and handles it: 1, with what it showed in
 * *res; 0 when there is none left or the session is to end.
 */
static int
take(struct drain *dr, int k, struct drain_result *res, long long *began)
{
	struct slot *s = &dr->sh->slots[k];
	size_t	     i;

	if (!wait_resume(dr, k))
		return 0;
	if ((i = atomic_fetch_add(&dr->sh->next, 1)) >= dr->l->n)
		return 0;
	*began = mono_ms();
	memset(res, 0, sizeof(*res));
	dr->ops->entry(dr->ops->arg, dr->l->ids[i], res);
	atomic_store(&s->sent, res->tally.sent);
	atomic_store(&s->deferred, res->tally.deferred);
	atomic_store(&s->failed, res->tally.failed);
	atomic_store(&s->damaged, res->tally.damaged);
	atomic_fetch_add(&s->seen, 1);
	return 1;
}

static int
slow_down(const struct drain_result *res)
{
	return res->failure.cls == REPLY_TEMP &&
	    throttle_slow_reply(&res->failure);
}

static void
send_event(int fd, enum event_kind kind, const struct smtp_status *st,
    long long began)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.began = began;
	if (st != NULL)
		ev.failure = *st;
	/* a run that is gone does not read: may_go_on() sees to that */
	(void)fdio_write_all(fd, &ev, sizeof(ev));
}

/* Until this process has decided on the slow-down (or is gone). */
static void
wait_ack(const struct drain *dr, int k, unsigned int slows)
{
	while (atomic_load(&dr->sh->slots[k].acked) < slows &&
	    getppid() == dr->parent)
		mono_sleep_ms(1);
}

static void
send_outcome(int fd, const struct outcome *o)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_END;
	ev.ended = o->failure;
	ev.len = o->report.len;
	if (fdio_write_all(fd, &ev, sizeof(ev)) == 0 && ev.len > 0)
		(void)fdio_write_all(fd, o->report.data, ev.len);
}

/*
 * A session process: entries until none is left or it is told to end,
 * then its outcome.  _exit(), not return: it must not run the rest of
 * the program (it would write the caller's output a second time).
 */
static void __attribute__((noreturn))
session_main(struct drain *dr, int k, int fd)
{
	struct drain_result res;
	long long	    began;
	unsigned int	    slows = 0;
	int		    working = 0;

	dr->ops->begin(dr->ops->arg);
	while (take(dr, k, &res, &began)) {
		if (res.refused) {
			send_event(fd, EV_REFUSED, &res.failure, began);
			break;
		}
		if (slow_down(&res)) {
			send_event(fd, EV_SLOW, &res.failure, began);
			wait_ack(dr, k, ++slows);
		}
		if (!working && res.tally.sent > 0) {
			working = 1;
			send_event(fd, EV_WORKING, NULL, began);
		}
	}
	send_outcome(fd, dr->ops->end(dr->ops->arg));
	_exit(0);
}

/* --- in this process ----------------------------------------------------- */

static void
totals(const struct drain *dr, struct drain_tally *t, size_t *seen)
{
	const struct slot *s;
	int		   k;

	memset(t, 0, sizeof(*t));
	*seen = 0;
	for (k = 0; k < DRAIN_MAX; k++) {
		s = &dr->sh->slots[k];
		t->sent += atomic_load(&s->sent);
		t->deferred += atomic_load(&s->deferred);
		t->failed += atomic_load(&s->failed);
		t->damaged += atomic_load(&s->damaged);
		*seen += atomic_load(&s->seen);
	}
}

static void
draw(struct drain *dr, int done)
{
	struct drain_tally t;
	size_t		   seen, left;
	long long	   now = mono_ms();

	if (!dr->p->progress || (!done && now - dr->drawn < DRAW_EVERY))
		return;
	dr->drawn = now;
	totals(dr, &t, &seen);
	left = dr->l->n > seen ? dr->l->n - seen : 0;
	if (done)
		log_progress(1,
		    "cfsendmail: queue: %u sent, %u deferred, "
		    "%u failed, %zu remaining",
		    t.sent, t.deferred, t.failed + t.damaged, left);
	else
		log_progress(0,
		    "cfsendmail: queue: %u sent, %u deferred, "
		    "%u failed, %zu remaining (%d session%s)",
		    t.sent, t.deferred, t.failed + t.damaged, left,
		    dr->t.running, dr->t.running == 1 ? "" : "s");
}

static void
stop_all(struct drain *dr)
{
	atomic_store(&dr->sh->stop, 1);
}

/* Sessions over the limit end after their message: the newest first. */
static void
apply_limit(struct drain *dr)
{
	int k, active = 0;

	for (k = 0; k < dr->nw; k++)
		active += dr->w[k].fd != -1 && !dr->w[k].quit;
	for (k = dr->nw - 1; k >= 0 && active > dr->t.limit; k--) {
		if (dr->w[k].fd == -1 || dr->w[k].quit)
			continue;
		dr->w[k].quit = 1;
		atomic_store(&dr->sh->slots[k].quit, 1);
		active--;
	}
}

static void
heard_slow(struct drain *dr, long long began, const struct smtp_status *st)
{
	int cuts = dr->t.cuts;

	if (throttle_slow(&dr->t, began, mono_ms()) == -1) {
		log_info("queue run: the relay asks to slow down (%s); one "
			 "session was left: the run ends",
		    st->text);
		dr->slowed = 1;
		stop_all(dr);
		return;
	}
	if (dr->t.cuts == cuts)
		return; /* heeded already */
	atomic_store(&dr->sh->resume_at, dr->t.resume_at);
	log_info("queue run: the relay asks to slow down (%s): %d "
		 "session%s, after a pause of %lld ms",
	    st->text, dr->t.limit, dr->t.limit == 1 ? "" : "s",
	    dr->t.resume_at - mono_ms());
	apply_limit(dr);
}

/* Session k (-1: this process's) could not open a session. */
static void
heard_refused(struct drain *dr, int k, int was_working,
    const struct smtp_status *st)
{
	if (k >= 0)
		dr->w[k].quit = 1; /* it ends by itself */
	if (throttle_refused(&dr->t, st, was_working) == -1) {
		log_info("queue run: no session could be opened (%s): the "
			 "run stops",
		    st->text);
		dr->unreachable = 1;
		stop_all(dr);
		return;
	}
	log_info("queue run: the relay turned a session away (%s): going "
		 "on with %d",
	    st->text, dr->t.limit);
	apply_limit(dr);
}

/* Entries in this process, one session (parallel = 1, -v, no fork). */
static void
run_here(struct drain *dr)
{
	struct drain_result res;
	long long	    began;
	int		    working = 0;

	throttle_started(&dr->t);
	while (take(dr, 0, &res, &began)) {
		if (res.refused)
			heard_refused(dr, -1, working, &res.failure);
		else if (slow_down(&res))
			heard_slow(dr, began, &res.failure);
		if (!working && res.tally.sent > 0) {
			working = 1;
			throttle_working(&dr->t);
		}
		draw(dr, 0);
	}
	throttle_ended(&dr->t, working);
}

static int
start_session(struct drain *dr)
{
	int   fds[2], k = dr->nw, j;
	pid_t pid;

	if (k >= DRAIN_MAX || pipe(fds) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		for (j = 0; j < k; j++)
			if (dr->w[j].fd != -1)
				close(dr->w[j].fd);
		session_main(dr, k, fds[1]);
	}
	close(fds[1]);
	memset(&dr->w[k], 0, sizeof(dr->w[k]));
	dr->w[k].pid = pid;
	dr->w[k].fd = fds[0];
	dr->nw++;
	throttle_started(&dr->t);
	return 0;
}

/* Start the sessions throttle.h allows now. */
static void
grow(struct drain *dr)
{
	size_t next = atomic_load(&dr->sh->next);
	int    n;

	if (atomic_load(&dr->sh->stop))
		return;
	n = throttle_more(&dr->t, next < dr->l->n ? dr->l->n - next : 0);
	while (n-- > 0)
		if (start_session(dr) == -1) {
			log_error("queue run: cannot start another session: %s",
			    strerror(errno));
			break;
		}
}

/* Session k has ended: reap it; one that did not report is said. */
static void
ended(struct drain *dr, int k)
{
	struct worker *w = &dr->w[k];
	int	       status = 0;

	close(w->fd);
	w->fd = -1;
	while (waitpid(w->pid, &status, 0) == -1 && errno == EINTR)
		;
	throttle_ended(&dr->t, w->working);
	if (w->reported && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	if (WIFSIGNALED(status)) {
		log_error("queue run: session process %d killed by signal %d",
		    (int)w->pid, WTERMSIG(status));
		outcome_fail(dr->o, FAIL_INTERNAL,
		    "queue run: session process "
		    "%d was killed (signal %d); the entry it was sending "
		    "stays queued",
		    (int)w->pid, WTERMSIG(status));
	} else
		outcome_fail(dr->o, FAIL_INTERNAL,
		    "queue run: session process "
		    "%d ended without its report",
		    (int)w->pid);
}

/* A session process's outcome: its failure (unless one is set), its
 * lines. */
static int
take_outcome(struct drain *dr, int fd, const struct event *ev)
{
	struct outcome *o = dr->o;

	if (ev->len > 0) {
		if (buf_reserve(&o->report, ev->len) == -1 ||
		    fdio_read_all(fd, o->report.data + o->report.len,
			ev->len) != 1)
			return -1;
		o->report.len += ev->len;
		o->report.data[o->report.len] = '\0';
	}
	if (o->failure == FAIL_NONE)
		o->failure = ev->ended;
	return 0;
}

/* Read and act on one event of session k (blocking). */
static void
hear(struct drain *dr, int k)
{
	struct worker *w = &dr->w[k];
	struct event   ev;

	if (fdio_read_all(w->fd, &ev, sizeof(ev)) != 1) {
		ended(dr, k);
		return;
	}
	switch (ev.kind) {
	case EV_WORKING:
		w->working = 1;
		throttle_working(&dr->t);
		grow(dr);
		break;
	case EV_SLOW:
		heard_slow(dr, ev.began, &ev.failure);
		atomic_fetch_add(&dr->sh->slots[k].acked, 1);
		break;
	case EV_REFUSED: heard_refused(dr, k, w->working, &ev.failure); break;
	case EV_END: w->reported = take_outcome(dr, w->fd, &ev) == 0; break;
	}
}

/* Hear the sessions until every one has ended. */
static void
run_pool(struct drain *dr)
{
	struct pollfd pfd[DRAIN_MAX];
	int	      map[DRAIN_MAX], n, k, i, rc;

	for (;;) {
		for (n = 0, k = 0; k < dr->nw; k++) {
			if (dr->w[k].fd == -1)
				continue;
			pfd[n].fd = dr->w[k].fd;
			pfd[n].events = POLLIN;
			map[n++] = k;
		}
		if (n == 0)
			break;
		rc = poll(pfd, (nfds_t)n, dr->p->progress ? DRAW_EVERY : -1);
		if (rc == -1 && errno != EINTR) {
			/* then one session after the other, blocking */
			log_error("queue run: poll: %s", strerror(errno));
			stop_all(dr);
			for (i = 0; i < n; i++)
				pfd[i].revents = POLLIN;
			rc = n;
		}
		for (i = 0; rc > 0 && i < n; i++)
			if (pfd[i].revents != 0)
				hear(dr, map[i]);
		draw(dr, 0);
	}
}

enum failure
drain_run(const struct queue_list *l, const struct drain_params *p,
    const struct drain_ops *ops, struct outcome *o, struct drain_totals *t)
{
	struct drain dr;
	size_t	     seen;

	memset(t, 0, sizeof(*t));
	if (l->n == 0)
		return o->failure;
	memset(&dr, 0, sizeof(dr));
	dr.l = l;
	dr.p = p;
	dr.ops = ops;
	dr.o = o;
	dr.sh = mmap(NULL, sizeof(*dr.sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (dr.sh == MAP_FAILED)
		return outcome_fail(o, FAIL_SYSTEM,
		    "queue run: cannot map memory "
		    "for its sessions: %s",
		    strerror(errno));
	memset(dr.sh, 0, sizeof(*dr.sh)); /* all atomics lock-free */
	throttle_init(&dr.t, p->sessions, p->pause_ms);
	if (p->sessions > 1) {
		dr.parent = getpid();
		grow(&dr);
	}
	if (dr.nw == 0) {
		dr.parent = 0; /* one session, or no fork */
		run_here(&dr);
	} else
		run_pool(&dr);
	draw(&dr, 1);
	totals(&dr, &t->tally, &seen);
	t->sessions = (unsigned int)dr.nw;
	t->unreachable = dr.unreachable;
	t->slowed = dr.slowed;
	munmap(dr.sh, sizeof(*dr.sh));
	return o->failure;
}
