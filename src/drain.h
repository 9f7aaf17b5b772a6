/*
 * drain.h - a queue run's entries over several sessions side by side.
 *
 * The pool under runqueue.c.  Up to [queue] parallel session processes,
 * each with a connection of its own that carries many messages, take the
 * ids of one sorted list (queue_list(), oldest first) in turn, through a
 * counter they share: each id of the list goes to exactly one of them,
 * and the entry's lock (queue.h) keeps other runs and submitters off it.
 * How many run is throttle.h's: a slow start, fewer when the relay asks
 * to slow down (and a pause), none more once a session could not be
 * opened.  This process only starts them, hears what they report and
 * draws the progress line; a session process whose run is gone (killed)
 * ends after its current message.  With one session (or under -v, whose
 * transcript must read in order) the entries are handled in this
 * process, under the same rules.
 */
#ifndef CFSENDMAIL_DRAIN_H
#define CFSENDMAIL_DRAIN_H

#include "outcome.h"
#include "queue.h"
#include "smtp.h"

/* The most session processes of one run ([queue] parallel allows 16). */
#define DRAIN_MAX 16

struct drain_tally {
	unsigned int sent, deferred, failed, damaged;
};

/* What handling one entry showed, filled in by drain_ops.entry. */
struct drain_result {
	struct drain_tally tally;   /* the session's totals so far */
	int		   refused; /* no session could be opened:
						 * this session is done */
	struct smtp_status failure; /* the last failure, if any
						 * (cls REPLY_OK: none) */
};

struct drain_ops {
	void *arg;
	/* Handle one entry (in whichever process); fill *res. */
	void (*entry)(void *arg, const char *id, struct drain_result *res);
	/*
	 * In a session process: before its first entry (its own outcome),
	 * and after its last (close the session; the outcome to hand
	 * back).  Not called for entries handled in this process.
	 */
	void (*begin)(void *arg);
	struct outcome *(*end)(void *arg);
};

struct drain_params {
	int	  sessions; /* at most; 1: in this process */
	long long pause_ms; /* the first back-off (retry_delay) */
	int	  progress; /* draw the progress line */
};

struct drain_totals {
	struct drain_tally tally;
	unsigned int	   sessions;	/* session processes started */
	int		   unreachable; /* ended: a session could not
						 * be opened */
	int		   slowed;	/* ended: the relay kept asking
						 * to slow down */
};

/*
 * Handle the ids of l.  The session processes' outcomes are merged into
 * o (the first failure; every report line); the totals go to *t.
 * A session process that dies (killed) leaves its current entry as a
 * crash would: queued; that is reported (FAIL_INTERNAL) and the run goes
 * on.  Returns o->failure.
 */
enum failure drain_run(const struct queue_list *l, const struct drain_params *,
    const struct drain_ops *, struct outcome *o, struct drain_totals *t);

#endif
