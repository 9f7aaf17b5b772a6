/*
 * mailq.c - the queue listing; see mailq.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "failure.h"
#include "json.h"
#include "mailq.h"
#include "printable.h"
#include "qclock.h"
#include "queue.h"

struct listing {
	struct queue	q;
	struct outcome *o;
	const char     *sub;
	int		json;
	time_t		now;
	unsigned int	count;
};

static const char *const state_names[] = {
	[QS_QUEUED] = "queued",
	[QS_DEFERRED] = "deferred",
	[QS_DELIVERING] = "delivering",
	[QS_DAMAGED] = "damaged",
	[QS_FAILED] = "failed",
};

void
mailq_span(long long secs, char *out, size_t outlen)
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

/* Why a failed or damaged entry is where it is; NULL for the others. */
static const char *
reason_of(const struct queue_envelope *v, const struct queue_info *info)
{
	if (info->reason[0] != '\0')
		return info->reason;
	if (info->state == QS_FAILED || info->state == QS_DAMAGED)
		return v->last_reply != NULL ? v->last_reply : "?";
	return NULL;
}

static void
text_status(struct buf *out, const struct queue_envelope *v,
    const struct queue_info *info, time_t now)
{
	char next[32];

	switch (info->state) {
	case QS_QUEUED:
		buf_addf(out, "    attempts %d, next attempt now\n",
		    v->attempts);
		break;
	case QS_DEFERRED:
		mailq_span(v->next_attempt - now, next, sizeof(next));
		buf_addf(out, "    attempts %d, next attempt in %s\n",
		    v->attempts, next);
		break;
	case QS_DELIVERING:
		buf_addf(out, "    attempts %d, being delivered now\n",
		    v->attempts);
		break;
	case QS_DAMAGED:
		buf_addf(out, "    %s%s\n", reason_of(v, info),
		    v->damaged ? "" :
				 "; the next queue run moves it to "
				 "failed/");
		return;
	case QS_FAILED:
		buf_addf(out, "    failed: %s\n", reason_of(v, info));
		/* nobody else will tell: notice.c sends no notice of it */
		if (v->is_bounce)
			buf_addf(out,
			    "    failed notice: the administrator "
			    "never learned that %s failed\n",
			    v->about != NULL ? v->about : "a message");
		return;
	}
	if (v->last_reply != NULL)
		buf_addf(out, "    last reply: %s\n", v->last_reply);
}

static void
text_entry(struct listing *l, const char *id, const struct queue_envelope *v,
    const struct queue_info *info, struct buf *out)
{
	char   age[32];
	size_t i;

	if (v->created != 0)
		mailq_span(l->now - v->created, age, sizeof(age));
	else
		snprintf(age, sizeof(age), "unknown");
	if (info->msgsize >= 0)
		buf_addf(out, "%s  %lld bytes  age %s  ", id, info->msgsize,
		    age);
	else
		buf_addf(out, "%s  no data file  age %s  ", id, age);
	if (v->from != NULL)
		buf_addf(out, "from <%s>\n", v->from);
	else
		buf_adds(out, "sender unknown\n");
	for (i = 0; i < v->nrcpts; i++)
		buf_addf(out, "    to <%s>\n", v->rcpts[i]);
	text_status(out, v, info, l->now);
	if (info->state == QS_FAILED)
		buf_addf(out, "    to send it again: cfsendmail --requeue %s\n",
		    id);
}

/* A number, or null when not known (negative). */
static void
json_number(struct buf *b, const char *key, long long n)
{
	json_key(b, key, 0);
	if (n < 0)
		buf_adds(b, "null");
	else
		buf_addf(b, "%lld", n);
}

static void
json_rcpts(struct buf *b, const struct queue_envelope *v,
    const struct queue_info *info)
{
	const char *status = "pending";
	size_t	    i;

	if (info->state == QS_FAILED)
		status = "failed";
	else if (info->state == QS_DAMAGED)
		status = "unknown";
	json_key(b, "recipients", 0);
	buf_add(b, "[", 1);
	for (i = 0; i < v->nrcpts; i++) {
		buf_adds(b, i == 0 ? "{" : ",{");
		json_key(b, "address", 1);
		json_string(b, v->rcpts[i]);
		json_key(b, "status", 0);
		json_string(b, status);
		buf_add(b, "}", 1);
	}
	buf_add(b, "]", 1);
}

static void
json_entry(struct listing *l, const char *id, const struct queue_envelope *v,
    const struct queue_info *info)
{
	struct buf *b = &l->o->out;
	long long   next = -1;
	int	    in_new = info->state <= QS_DELIVERING;

	/* an entry that was never tried has been due since it arrived; one
	 * whose next attempt lies beyond any backoff is due now (qclock.h) */
	if (in_new)
		next = v->next_attempt != 0 ? v->next_attempt :
		    v->created != 0	    ? v->created :
					      -1;
	if (in_new && next > l->now && qclock_due(v, l->now))
		next = l->now;
	buf_add(b, "{", 1);
	json_key(b, "id", 1);
	json_string(b, id);
	json_key(b, "state", 0);
	json_string(b, state_names[info->state]);
	json_key(b, "sender", 0);
	json_string(b, v->from);
	json_rcpts(b, v, info);
	json_number(b, "size", info->msgsize);
	json_number(b, "arrival_time", v->created != 0 ? v->created : -1);
	json_number(b, "attempts", v->attempts);
	json_number(b, "next_attempt", next);
	json_key(b, "last_reply", 0);
	json_string(b, v->damaged ? NULL : v->last_reply);
	json_key(b, "reason", 0);
	json_string(b, reason_of(v, info));
	buf_adds(b, "}\n");
}

/*
 * Append the lines of text through printable(): a value (an address, a
 * reply, anything in a damaged file) must not drive the terminal of
 * whoever runs mailq, nor hide or reorder what it shows.  Values never
 * hold a line end.  -1 when out of memory.
 */
static int
add_printable(struct buf *out, const struct buf *text)
{
	const char *p = text->data, *end = text->data + text->len, *nl;
	char	   *shown;
	size_t	    len;
	int	    rc = 0;

	for (; p < end && rc == 0; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if ((shown = malloc(PRINTABLE_SIZE(len))) == NULL)
			return -1;
		printable(shown, PRINTABLE_SIZE(len), p, len);
		rc = buf_addf(out, "%s%s", shown, nl < end ? "\n" : "");
		free(shown);
	}
	return rc;
}

static int
list_entry(const char *id, void *arg)
{
	struct listing	     *l = arg;
	struct queue_envelope v;
	struct queue_info     info;
	struct buf	      text = { 0 };
	char		      err[512];
	int		      rc;

	rc = queue_peek(&l->q, l->sub, id, l->now, &v, &info, err, sizeof(err));
	if (rc == -1)
		outcome_fail(l->o, FAIL_IO, "%s", err);
	if (rc != 1)
		return 0; /* delivered while we looked, or no entry */
	if (!l->json && l->count == 0 && strcmp(l->sub, "failed") == 0)
		buf_addf(&l->o->out, "\nFailed, kept in %s/failed:\n",
		    l->q.dir);
	l->count++;
	if (l->json)
		json_entry(l, id, &v, &info);
	else {
		text_entry(l, id, &v, &info, &text);
		if (add_printable(&l->o->out, &text) == -1)
			outcome_fail(l->o, FAIL_SYSTEM, "out of memory");
		buf_free(&text);
	}
	queue_envelope_free(&v);
	return 0;
}

enum failure
mailq_list(const struct config *cfg, int json, struct outcome *o)
{
	struct listing l;
	char	       err[512];

	memset(&l, 0, sizeof(l));
	l.o = o;
	l.json = json;
	l.now = time(NULL);
	if (queue_open(&l.q, cfg->queue_dir, err, sizeof(err)) == -1)
		return outcome_fail(o, FAIL_QUEUE_CREATE, "%s", err);
	l.sub = "new";
	if (queue_foreach(&l.q, "new", list_entry, &l, err, sizeof(err)) == -1)
		outcome_fail(o, FAIL_IO, "%s", err);
	else if (l.count == 0 && !json)
		buf_adds(&o->out, "Mail queue is empty\n");
	l.count = 0;
	l.sub = "failed";
	if (queue_foreach(&l.q, "failed", list_entry, &l, err, sizeof(err)) ==
	    -1)
		outcome_fail(o, FAIL_IO, "%s", err);
	queue_close(&l.q);
	return o->failure;
}
