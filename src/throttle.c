/*
 * throttle.c - sessions of a queue run and their back-off; see throttle.h.
 */

#include <ctype.h>
#include <string.h>

#include "throttle.h"

/* text (lower case) holds word, at the start of a word if word_start. */
static int
says(const char *text, const char *word, int word_start)
{
	const char *p;

	for (p = strstr(text, word); p != NULL; p = strstr(p + 1, word))
		if (!word_start || p == text || !isalpha((unsigned char)p[-1]))
			return 1;
	return 0;
}

/* "too many" anything but recipients (the per-session limit, 4.5.3). */
static int
says_too_many(const char *text)
{
	const char *p;

	for (p = strstr(text, "too many"); p != NULL;
	     p = strstr(p + 1, "too many"))
		if (strncmp(p + 8, " recipient", 10) != 0)
			return 1;
	return 0;
}

int
throttle_slow_reply(const struct smtp_status *st)
{
	char   low[sizeof(st->text)];
	size_t i;

	if (st->cls != REPLY_TEMP || st->cause != SMTP_CAUSE_REPLY ||
	    st->code < 400 || st->code > 499)
		return 0;
	if (st->code == 421 && st->state == SMTP_GREETING)
		return 1;
	if (strcmp(st->enhanced, "4.5.3") == 0)
		return 0;
	if (strncmp(st->enhanced, "4.7.", 4) == 0 ||
	    strcmp(st->enhanced, "4.3.2") == 0 ||
	    strcmp(st->enhanced, "4.4.5") == 0)
		return 1;
	for (i = 0; i + 1 < sizeof(low) && st->text[i] != '\0'; i++)
		low[i] = (char)tolower((unsigned char)st->text[i]);
	low[i] = '\0';
	return says(low, "rate", 1) || says(low, "throttl", 0) ||
	    says(low, "quota", 0) || says(low, "slow down", 0) ||
	    says_too_many(low);
}

void
throttle_init(struct throttle *t, int max, long long pause_ms)
{
	memset(t, 0, sizeof(*t));
	t->limit = max > 0 ? max : 1;
	t->pause = pause_ms > 0 ? pause_ms : 0;
}

int
throttle_more(const struct throttle *t, size_t untaken)
{
	size_t allowed;

	if (untaken == 0)
		return 0;
	if (t->running == 0)
		return 1;
	if (t->settled)
		return 0;
	/* each working session lets two more start */
	allowed = 1 + 2 * (size_t)t->working;
	if (allowed > (size_t)t->limit)
		allowed = (size_t)t->limit;
	if (allowed > untaken / THROTTLE_SHARE)
		allowed = untaken / THROTTLE_SHARE;
	return allowed > (size_t)t->running ?
	    (int)(allowed - (size_t)t->running) :
	    0;
}

void
throttle_started(struct throttle *t)
{
	t->running++;
}

void
throttle_working(struct throttle *t)
{
	t->working++;
}

void
throttle_ended(struct throttle *t, int was_working)
{
	if (t->running > 0)
		t->running--;
	if (was_working && t->working > 0)
		t->working--;
}

/* The pause after the n-th cut (n >= 1): doubled each time, capped. */
static long long
pause_after(long long first, int n)
{
	long long pause = first;

	while (--n > 0 && pause < THROTTLE_PAUSE_MAX)
		pause *= 2;
	return pause < THROTTLE_PAUSE_MAX ? pause : THROTTLE_PAUSE_MAX;
}

int
throttle_slow(struct throttle *t, long long began, long long now)
{
	int sessions;

	if (t->cuts > 0 && began < t->cut_at)
		return 0; /* heeded already */
	sessions = t->running < t->limit ? t->running : t->limit;
	if (sessions / 2 < 1)
		return -1;
	t->limit = sessions / 2;
	t->settled = 1;
	t->cuts++;
	t->cut_at = now;
	t->resume_at = now + pause_after(t->pause, t->cuts);
	return 0;
}

int
throttle_refused(struct throttle *t, const struct smtp_status *st,
    int was_working)
{
	int others = t->working - (was_working ? 1 : 0);

	if (!throttle_slow_reply(st) || others < 1)
		return -1;
	t->settled = 1;
	if (t->limit > others)
		t->limit = others;
	return 0;
}
