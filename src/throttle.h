/*
 * throttle.h - how many sessions a queue run keeps busy, and how it
 * backs off when the relay asks it to (pure: no I/O, no clock; the
 * caller passes monotonic milliseconds).
 *
 * Growing.  A run starts one session.  Each session whose first message
 * went through lets up to two more start (a slow start, as TCP's), up to
 * the limit ([queue] parallel), and only while the entries not handed
 * out yet would give every session at least THROTTLE_SHARE of them:
 * opening a session costs about as many round trips as a message.
 *
 * Slowing down.  A temporary reply that asks the sender to slow down
 * (throttle_slow_reply() says which) halves the limit, once per episode:
 * a signal about a message that began before the last cut is part of
 * the episode that cut, however many sessions report it.  Sessions over
 * the new limit end after their current message; the rest pause for the
 * back-off (the first one given to throttle_init(), doubled at each cut,
 * at most THROTTLE_PAUSE_MAX).  A signal at one session ends the run:
 * its entries wait for their next attempt, as any deferral.
 *
 * Refusals.  A session that could not be opened ends the run, as it
 * always did: the relay is down or refuses us, and the next entries
 * would fare no better.  Unless it was turned away with a slow-down reply
 * (a 421 greeting counts) while another session of the run works: then
 * the relay only limits how many sessions it takes from us, and the limit
 * becomes the sessions that work.
 *
 * After a cut or a refusal the limit never grows again in that run.
 */
#ifndef CFSENDMAIL_THROTTLE_H
#define CFSENDMAIL_THROTTLE_H

#include <stddef.h>

#include "smtp.h"

/* Entries each further session should have to itself. */
#define THROTTLE_SHARE 4
/* The longest pause after a slow-down (ms). */
#define THROTTLE_PAUSE_MAX 300000LL

struct throttle {
	int	  limit;     /* sessions allowed now */
	int	  running;   /* started and not ended */
	int	  working;   /* of those: one message went through */
	int	  settled;   /* the limit no longer grows */
	int	  cuts;	     /* slow-downs heeded */
	long long cut_at;    /* ms: the last cut */
	long long resume_at; /* ms: no message starts before */
	long long pause;     /* ms: the first back-off */
};

/*
 * 1 when st, a failure, is the relay asking us to slow down: a 4xx reply
 * whose enhanced code is 4.7.x (policy: rate and connection limits),
 * 4.3.2 (not accepting messages: load) or 4.4.5 (congestion); or whose
 * text says "rate" (at the start of a word), "throttl", "quota", "too
 * many" (but not "too many recipients": that one is the per-session
 * recipient limit, 4.5.3, which a new session answers), or "slow down";
 * or a 421 greeting.  Pure.
 */
int throttle_slow_reply(const struct smtp_status *st);

/* max: [queue] parallel (>= 1); pause_ms: the first back-off. */
void throttle_init(struct throttle *, int max, long long pause_ms);
/*
 * How many sessions to start now, untaken entries not being handed out
 * yet: one when none runs, then two more for each session that reported
 * its first message through (throttle_working()).  The caller counts
 * each one it starts with throttle_started().
 */
int  throttle_more(const struct throttle *, size_t untaken);
void throttle_started(struct throttle *);
/* A session's first message went through. */
void throttle_working(struct throttle *);
/* A session ended; was_working: it had called throttle_working(). */
void throttle_ended(struct throttle *, int was_working);
/*
 * A slow-down reply at now about a message that began at began.  Returns
 * 0 to go on (the limit, resume_at and cuts may have changed: sessions
 * over the limit end, the others wait until resume_at), -1 to end the run.
 */
int throttle_slow(struct throttle *, long long began, long long now);
/*
 * A session could not be opened; was_working: it had delivered before
 * (its connection was lost and a new one refused).  Returns 0 to go on
 * without it (the limit lowered to the sessions that work), -1 to end
 * the run.
 */
int throttle_refused(struct throttle *, const struct smtp_status *,
    int was_working);

#endif
