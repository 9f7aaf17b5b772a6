/*
 * test_qclock.c - unit tests for the queue's clock policy (qclock.c):
 * the retry schedule, when an entry is due, how its waiting is counted
 * and when it expires, in the clock scenarios of issue 19 (a host that
 * boots with its clock days behind, an attempt made with the clock a
 * month ahead) and the ordinary ones (a timer every five minutes, a
 * daily cron job, a host switched off for a week).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "qclock.h"
#include "tap.h"

#define T    1800000000LL /* the right time, for the scenarios */
#define MIN  60LL
#define HOUR 3600LL
#define DAY  86400LL

static void
test_retry_after(void)
{
	static const struct {
		int	     attempts;
		unsigned int random;
		long	     want;
	} cases[] = {
		{ 1, 0, 48 },  /* 60 s - 20% */
		{ 1, 24, 72 }, /* 60 s + 20% */
		{ 1, 12, 60 },
		{ 1, 25, 48 },	     /* random wraps */
		{ 1, UINT_MAX, 68 }, /* 4294967295 % 25 = 20 */
		{ 2, 0, 96 },
		{ 2, 48, 144 },
		{ 3, 0, 192 },
		{ 6, 384, 1920 },  /* 1920 s: 1536 + 384 */
		{ 7, 0, 2880 },	   /* capped at 3600 s - 20% */
		{ 7, 1440, 4320 }, /* ... + 20% */
		{ 100, 720, 3600 },
		{ 0, 12, 60 }, /* no failure yet: as the first */
		{ -5, 12, 60 },
	};
	long	     d, lo, hi, got;
	size_t	     i;
	int	     n, bad = 0;
	unsigned int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int((long)qclock_retry_after(cases[i].attempts,
			   cases[i].random),
		    cases[i].want,
		    "retry after %d "
		    "failures, random %u",
		    cases[i].attempts, cases[i].random);

	/* every value within 20% of 60 s doubled, capped at an hour */
	for (n = 1; n <= 40; n++) {
		d = n >= 7 ? 3600 : 60L << (n - 1);
		lo = d * 8 / 10;
		hi = d * 12 / 10;
		for (r = 0; r < 5000; r += 7) {
			got = (long)qclock_retry_after(n, r * 2654435761u);
			if (got < lo || got > hi)
				bad++;
		}
		if (qclock_retry_after(n, 12345) !=
		    qclock_retry_after(n, 12345))
			bad++;
	}
	is_int(bad, 0,
	    "retry after: always within 20%% of the schedule, "
	    "deterministic");
}

static void
test_due(void)
{
	static const struct {
		long long   next;
		long long   now;
		int	    due;
		const char *what;
	} cases[] = {
		{ 0, T, 1, "never tried" },
		{ T, T, 1, "next attempt now" },
		{ T - 1, T, 1, "next attempt past" },
		{ T + 1, T, 0, "next attempt in a second" },
		{ T + QCLOCK_BACKOFF_MAX, T, 0, "the longest backoff" },
		{ T + QCLOCK_BACKOFF_MAX + 1, T, 1, "beyond any backoff" },
		{ T + 30 * DAY, T, 1, "set with the clock 30 days ahead" },
		{ LLONG_MAX, T, 1, "the end of time" },
	};
	struct queue_envelope v;
	size_t		      i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&v, 0, sizeof(v));
		v.next_attempt = (time_t)cases[i].next;
		is_int(qclock_due(&v, (time_t)cases[i].now), cases[i].due,
		    "due: %s", cases[i].what);
	}
}

static void
test_look(void)
{
	static const struct {
		long long   created, seen, waited, now, max_age, want;
		const char *what;
	} cases[] = {
		{ T, 0, 0, T + 300, 5 * DAY, 300, "from its creation" },
		{ T, T + 600, 300, T + 900, 5 * DAY, 600,
		    "from the last look" },
		{ T, T, 0, T, 5 * DAY, 0, "no time passed" },
		{ T - 10 * DAY, 0, 0, T, 5 * DAY, DAY,
		    "queued 10 days behind: a day at most" },
		{ T - 10 * DAY, 0, 0, T, 2 * HOUR, 30 * MIN,
		    "queued 10 days behind, max_age 2h: a quarter of it" },
		{ T - 10 * DAY, 0, 0, T, 60, 15,
		    "queued 10 days behind, max_age 60s: 15s" },
		{ T, T + 30 * DAY, 4000, T + 60, 5 * DAY, 4000,
		    "last look 30 days ahead: nothing" },
		{ T + 30 * DAY, 0, 0, T, 5 * DAY, 0,
		    "queued 30 days ahead: nothing" },
		{ 0, 0, 0, T, 5 * DAY, 0, "creation not known: nothing" },
		{ T, LLONG_MAX, 7, T, 5 * DAY, 7,
		    "last look at the end of time" },
		{ T, T - HOUR, LLONG_MAX - 10, T, 5 * DAY, LLONG_MAX,
		    "the count saturates" },
	};
	struct queue_envelope v;
	size_t		      i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&v, 0, sizeof(v));
		v.created = (time_t)cases[i].created;
		v.seen = (time_t)cases[i].seen;
		v.waited = cases[i].waited;
		qclock_look(&v, (time_t)cases[i].now, cases[i].max_age);
		ok(v.waited == cases[i].want && v.seen == (time_t)cases[i].now,
		    "look: %s (waited %lld, want %lld)", cases[i].what,
		    v.waited, cases[i].want);
	}
}

static void
test_expired(void)
{
	static const struct {
		int	    attempts;
		long long   waited, max_age;
		int	    expired;
		const char *what;
	} cases[] = {
		{ 0, 0, 5 * DAY, 0, "new" },
		{ 0, 400 * DAY, 5 * DAY, 0, "never tried: never expired" },
		{ 1, 5 * DAY - 1, 5 * DAY, 0, "a second short" },
		{ 1, 5 * DAY, 5 * DAY, 1, "tried once, waited max_age" },
		{ 40, 6 * DAY, 5 * DAY, 1, "tried often, waited longer" },
	};
	struct queue_envelope v;
	size_t		      i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&v, 0, sizeof(v));
		v.attempts = cases[i].attempts;
		v.waited = cases[i].waited;
		is_int(qclock_expired(&v, cases[i].max_age), cases[i].expired,
		    "expired: %s", cases[i].what);
	}
}

/*
 * A scenario: the entry is queued with the clock at queued, then queue
 * runs take it up: one at each clock in forced[] (0 ends them; -q, which
 * attempts every entry), then one every `every` seconds from the last of
 * those (the timer's -q<interval>, which passes by an entry not due).
 * Each run looks at it and, unless it expired, attempts it and fails, as
 * runqueue.c and attempt.c do.  Returns the clock of the run that gave
 * it up, or 0 when none did by `until`.
 */
static long long
scenario(long long queued, const long long *forced, long long every,
    long long until, long long max_age)
{
	struct queue_envelope v;
	long long	      now = 0;
	size_t		      i = 0;
	int		      due;

	memset(&v, 0, sizeof(v));
	v.created = v.seen = (time_t)queued;
	for (;;) {
		if (forced[i] != 0) {
			now = forced[i++];
			due = 1;
		} else {
			now += every;
			due = qclock_due(&v, (time_t)now);
		}
		if (now > until)
			return 0;
		if (!due)
			continue;
		qclock_look(&v, (time_t)now, max_age);
		if (qclock_expired(&v, max_age))
			return now;
		v.attempts++;
		v.next_attempt = (time_t)(now +
		    qclock_retry_after(v.attempts, 0));
	}
}

static void
test_scenarios(void)
{
	static const long long boot[] = { T, 0 };
	static const long long ahead[] = { T + 30 * DAY, T + MIN, 0 };
	static const long long normal[] = { T, 0 };
	static const long long off[] = { T + MIN, T + 7 * DAY, 0 };
	static const long long back[] = { T, T - 10 * DAY, 0 };
	static const struct {
		const long long *forced;
		long long	 queued, every, max_age, lo, hi;
		const char	*what;
	} cases[] = {
		/* issue 19: queued with the clock 10 days behind, the relay
	     * down: the 10 days count as one, then what is really waited */
		{ boot, T - 10 * DAY, 5 * MIN, 5 * DAY, T + 4 * DAY,
		    T + 4 * DAY + HOUR,
		    "clock 10 days behind at queueing: "
		    "given up after 4 days of real waiting, not at once" },
		/* issue 19: an attempt with the clock 30 days ahead, then the
	     * right clock: due at once (else nothing before T + 30 days),
	     * given up after 4 days more */
		{ ahead, T, 5 * MIN, 5 * DAY, T + MIN + 4 * DAY,
		    T + MIN + 4 * DAY + HOUR,
		    "an attempt 30 days ahead: due "
		    "when the clock is right again, given up 4 days later" },
		{ normal, T, 5 * MIN, 5 * DAY, T + 5 * DAY, T + 5 * DAY + HOUR,
		    "the timer every 5 minutes: given up after max_age" },
		/* the hour-long backoffs count 15 minutes each */
		{ normal, T, 5 * MIN, HOUR, T + HOUR, T + 3 * HOUR,
		    "the timer, max_age 1h: not before an hour" },
		{ normal, T, DAY, 5 * DAY, T + 5 * DAY, T + 5 * DAY,
		    "a daily queue run: given up after max_age" },
		{ off, T, 5 * MIN, 5 * DAY, T + 11 * DAY - MIN,
		    T + 11 * DAY + HOUR,
		    "a week switched off counts as a day" },
		{ back, T, 5 * MIN, 5 * DAY, T - 5 * DAY, T - 5 * DAY + HOUR,
		    "the clock set back 10 days: max_age from there" },
	};
	long long got;
	size_t	  i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = scenario(cases[i].queued, cases[i].forced, cases[i].every,
		    T + 60 * DAY, cases[i].max_age);
		ok(got >= cases[i].lo && got <= cases[i].hi,
		    "scenario: %s "
		    "(given up at T%+lld s, want T%+lld to T%+lld)",
		    cases[i].what, got - T, cases[i].lo - T, cases[i].hi - T);
	}
}

int
main(void)
{
	test_retry_after();
	test_due();
	test_look();
	test_expired();
	test_scenarios();
	return done_testing();
}
