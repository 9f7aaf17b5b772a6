/*
 * test_throttle.c - unit tests for a queue run's sessions and back-off
 * (throttle.c).
 *
 * Replies in, "slow down or not" out: the relay's own replies from
 * reference/cloudflare-smtp.md, what large providers say when they limit
 * a sender, and the near misses (the per-session recipient limit, words
 * that only contain "rate").  Then the policy as sequences of events: a
 * slow start up to the limit, cuts once per episode with the pauses,
 * the end at one session, and refusals with and without working
 * sessions.
 */
#include <string.h>

#include "tap.h"
#include "throttle.h"

static struct smtp_status
reply(enum smtp_state state, int code, const char *enhanced, const char *text)
{
	struct smtp_status st;

	memset(&st, 0, sizeof(st));
	st.cls = code >= 500 ? REPLY_PERM : code >= 400 ? REPLY_TEMP : REPLY_OK;
	st.state = state;
	st.cause = SMTP_CAUSE_REPLY;
	st.code = code;
	strlcpy(st.enhanced, enhanced, sizeof(st.enhanced));
	strlcpy(st.text, text, sizeof(st.text));
	return st;
}

static void
test_slow_reply(void)
{
	static const struct {
		enum smtp_state state;
		int		code;
		const char     *enhanced, *text;
		int		slow;
	} cases[] = {
		/* the relay's replies (reference/cloudflare-smtp.md) */
		{ SMTP_GREETING, 421, "",
		    "421 Service temporarily "
		    "unavailable",
		    1 },
		{ SMTP_BODY, 421, "", "421 Service temporarily unavailable",
		    0 },
		{ SMTP_BODY, 451, "4.3.0", "451 4.3.0 Local error", 0 },
		{ SMTP_RCPT, 452, "4.5.3", "452 4.5.3 Too many recipients", 0 },
		{ SMTP_RCPT, 452, "", "452 Too many recipients", 0 },
		{ SMTP_BODY, 451, "4.3.0", "451 4.3.0 Try again later", 0 },
		{ SMTP_RCPT, 451, "4.2.1", "451 4.2.1 Mailbox busy", 0 },
		/* codes that say it */
		{ SMTP_MAIL, 451, "4.7.1", "451 4.7.1 Please try later", 1 },
		{ SMTP_BODY, 421, "4.7.0",
		    "421 4.7.0 Try again later, "
		    "closing connection.",
		    1 },
		{ SMTP_MAIL, 451, "4.7.500", "451 4.7.500 Server busy", 1 },
		{ SMTP_BODY, 421, "4.3.2", "421 4.3.2 Shutting down", 1 },
		{ SMTP_MAIL, 452, "4.4.5",
		    "452 4.4.5 Insufficient disk "
		    "space; try again later",
		    1 },
		/* words that say it */
		{ SMTP_MAIL, 451, "", "451 Rate limit exceeded", 1 },
		{ SMTP_MAIL, 451, "4.3.0", "451 4.3.0 Ratelimited, try later",
		    1 },
		{ SMTP_RCPT, 450, "", "450 sending rate-limited", 1 },
		{ SMTP_MAIL, 452, "", "452 Too many messages in this session",
		    1 },
		{ SMTP_MAIL, 451, "", "451 TOO MANY CONNECTIONS", 1 },
		{ SMTP_BODY, 451, "4.3.0", "451 4.3.0 Daily quota reached", 1 },
		{ SMTP_BODY, 451, "", "451 You are being throttled", 1 },
		{ SMTP_MAIL, 451, "", "451 Slow down", 1 },
		/* near misses */
		{ SMTP_MAIL, 451, "4.3.0",
		    "451 4.3.0 Could not generate an "
		    "id",
		    0 },
		{ SMTP_RCPT, 452, "",
		    "452 Too many recipients; too many "
		    "recipients",
		    0 },
		{ SMTP_RCPT, 452, "",
		    "452 Too many recipients, too many "
		    "messages",
		    1 },
		/* not a temporary reply */
		{ SMTP_MAIL, 550, "5.7.1",
		    "550 5.7.1 Rate limit: sender "
		    "denied",
		    0 },
		{ SMTP_MAIL, 250, "2.1.0", "250 2.1.0 Ok, rate noted", 0 },
	};
	struct smtp_status st;
	size_t		   i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st = reply(cases[i].state, cases[i].code, cases[i].enhanced,
		    cases[i].text);
		is_int(throttle_slow_reply(&st), cases[i].slow,
		    "slow down? %s: \"%s\"", smtp_state_name(cases[i].state),
		    cases[i].text);
	}

	/* a timeout or a dropped connection is not the relay asking */
	st = reply(SMTP_MAIL, 0, "", "timed out waiting for a rate reply");
	st.cls = REPLY_TEMP;
	st.cause = SMTP_CAUSE_TIMEOUT;
	is_int(throttle_slow_reply(&st), 0, "slow down? a timeout");
	st = reply(SMTP_GREETING, 421, "", "connection refused");
	st.cause = SMTP_CAUSE_CONNECTION;
	is_int(throttle_slow_reply(&st), 0, "slow down? a refused connection");
}

/* Start what throttle_more() says; returns how many. */
static int
grow(struct throttle *t, size_t untaken)
{
	int i, n = throttle_more(t, untaken);

	for (i = 0; i < n; i++)
		throttle_started(t);
	return n;
}

static void
test_slow_start(void)
{
	struct throttle t;

	throttle_init(&t, 8, 1000);
	is_int(grow(&t, 0), 0, "start: nothing queued, no session");
	is_int(grow(&t, 200), 1, "start: one session");
	is_int(grow(&t, 200), 0, "no more until a message went through");
	throttle_working(&t);
	is_int(grow(&t, 199), 2, "first message through: two more (3)");
	throttle_working(&t);
	is_int(grow(&t, 190), 2, "then two more (5)");
	throttle_working(&t);
	is_int(grow(&t, 180), 2, "(7)");
	throttle_working(&t);
	is_int(grow(&t, 170), 1, "up to the limit (8)");
	throttle_working(&t);
	is_int(grow(&t, 160), 0, "never over it");
	is_int(t.running, 8, "8 sessions run");

	/* a small queue: each session should have 4 entries to itself */
	throttle_init(&t, 8, 1000);
	is_int(grow(&t, 10), 1, "10 queued: one session");
	throttle_working(&t);
	is_int(grow(&t, 8), 1, "8 left: a second one");
	throttle_working(&t);
	is_int(grow(&t, 6), 0, "6 left for 2 sessions: no third");
	throttle_init(&t, 8, 1000);
	is_int(grow(&t, 1), 1, "1 queued: one session");
	throttle_working(&t);
	is_int(grow(&t, 0), 0, "nothing left: no second");

	throttle_init(&t, 1, 1000);
	is_int(grow(&t, 500), 1, "parallel = 1: one session");
	throttle_working(&t);
	is_int(grow(&t, 499), 0, "parallel = 1: never a second");
}

static void
test_slow_down(void)
{
	struct throttle t;

	throttle_init(&t, 8, 1000);
	t.running = t.working = 8;
	is_int(throttle_slow(&t, 100, 500), 0, "8 sessions, slow down: go on");
	is_int(t.limit, 4, "halved to 4");
	is_int(t.resume_at, 1500, "paused for the first back-off");
	/* the other sessions hear it too, about messages begun before */
	is_int(throttle_slow(&t, 200, 520), 0, "the same episode: go on");
	is_int(throttle_slow(&t, 499, 530), 0, "the same episode: go on");
	is_int(t.limit, 4, "the same episode cuts once");
	is_int(t.resume_at, 1500, "nor pauses again");
	is_int(grow(&t, 500), 0, "no growth after a cut");

	t.running = 4;
	is_int(throttle_slow(&t, 1600, 1700), 0, "a new episode: go on");
	is_int(t.limit, 2, "halved to 2");
	is_int(t.resume_at, 1700 + 2000, "the back-off doubles");
	t.running = 2;
	is_int(throttle_slow(&t, 3800, 3900), 0, "2 -> 1");
	is_int(t.limit, 1, "one session left");
	is_int(t.resume_at, 3900 + 4000, "4 s");
	t.running = 1;
	is_int(throttle_slow(&t, 8000, 8100), -1, "at one session: the end");

	/* halves what runs, not a limit not reached yet */
	throttle_init(&t, 8, 1000);
	t.running = t.working = 3;
	is_int(throttle_slow(&t, 0, 10), 0, "3 of 8 running: go on");
	is_int(t.limit, 1, "3 running -> 1");
	throttle_init(&t, 8, 1000);
	t.running = t.working = 1;
	is_int(throttle_slow(&t, 0, 10), -1,
	    "the first session told to slow "
	    "down: the end");

	/* the pause is capped */
	throttle_init(&t, 16, 200000);
	t.running = t.working = 16;
	throttle_slow(&t, 0, 0);
	t.running = 8;
	throttle_slow(&t, 1, 1);
	is_int(t.resume_at, 1 + THROTTLE_PAUSE_MAX, "the pause is capped");
	throttle_init(&t, 4, 0);
	t.running = t.working = 4;
	throttle_slow(&t, 0, 7);
	is_int(t.resume_at, 7, "retry_delay = 0: no pause");
}

static void
test_refused(void)
{
	struct throttle	   t;
	struct smtp_status greet421, rate, down, auth;

	greet421 = reply(SMTP_GREETING, 421, "4.3.2",
	    "421 4.3.2 Too many "
	    "sessions");
	rate = reply(SMTP_EHLO, 451, "4.7.1", "451 4.7.1 Rate limited");
	down = reply(SMTP_GREETING, 0, "",
	    "cannot connect: Connection "
	    "refused");
	down.cls = REPLY_TEMP;
	down.cause = SMTP_CAUSE_CONNECTION;
	auth = reply(SMTP_AUTH, 535, "5.7.8",
	    "535 5.7.8 Authentication "
	    "failed");

	throttle_init(&t, 8, 1000);
	t.running = 1;
	is_int(throttle_refused(&t, &greet421, 0), -1,
	    "421 to the first session: the end");
	t.running = 3;
	t.working = 2;
	is_int(throttle_refused(&t, &greet421, 0), 0,
	    "421 greeting, 2 sessions work: go on");
	is_int(t.limit, 2, "the limit is the sessions that work");
	throttle_ended(&t, 0);
	is_int(grow(&t, 500), 0, "and never grows again");
	is_int(throttle_refused(&t, &rate, 1), 0,
	    "a working session's new connection turned away: go on");
	is_int(t.limit, 1, "with the one left");
	throttle_ended(&t, 1);
	is_int(throttle_refused(&t, &greet421, 1), -1,
	    "the last working one turned away: the end");

	throttle_init(&t, 8, 1000);
	t.running = t.working = 4;
	is_int(throttle_refused(&t, &down, 0), -1,
	    "connection refused: the end, whatever works");
	is_int(throttle_refused(&t, &auth, 0), -1, "535: the end");
	throttle_ended(&t, 1);
	is_int(t.running, 3, "ended: 3 running");
	is_int(t.working, 3, "ended: 3 working");
}

int
main(void)
{
	test_slow_reply();
	test_slow_start();
	test_slow_down();
	test_refused();
	return done_testing();
}
