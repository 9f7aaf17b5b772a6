/*
 * notice.c - the notice about a message given up; see notice.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "header.h"
#include "log.h"
#include "notice.h"
#include "printable.h"

/* The longest outside value quoted, before escaping: lines stay short. */
#define NOTICE_VALUE_MAX 400

int
notice_envelope(const struct config *cfg, struct envelope *env, char *err,
    size_t errlen)
{
	char why[512];

	memset(env, 0, sizeof(*env));
	if (cfg->bounce_to == NULL || cfg->from == NULL) {
		snprintf(err, errlen, "bounce_to: %s is not set",
		    cfg->bounce_to == NULL ? "it" : "[sender] from");
		return -1;
	}
	if (envelope_sender(env, cfg, cfg->from, NULL, err, errlen) !=
	    ENVELOPE_OK)
		return -1;
	if (envelope_add_word(env, cfg, cfg->bounce_to, why, sizeof(why)) !=
		ENVELOPE_OK ||
	    envelope_check(env, why, sizeof(why)) != ENVELOPE_OK) {
		snprintf(err, errlen, "bounce_to: %s", why);
		return -1;
	}
	return 0;
}

/* Append s as printable() shows it. */
static void
add_shown(struct buf *b, const char *s)
{
	char   shown[PRINTABLE_SIZE(NOTICE_VALUE_MAX)];
	size_t len = strlen(s);

	printable(shown, sizeof(shown), s,
	    len > NOTICE_VALUE_MAX ? NOTICE_VALUE_MAX : len);
	buf_adds(b, shown);
}

static int
format_header(const struct envelope *env, const struct queue_entry *failed,
    const char *msgid, struct buf *b)
{
	char   date[64];
	size_t i;

	if (header_format_date(time(NULL), date, sizeof(date)) == -1)
		return -1;
	buf_addf(b, "From: cfsendmail <%s>\nTo: ", env->from);
	for (i = 0; i < env->rcpts.n; i++)
		buf_addf(b, "%s<%s>", i == 0 ? "" : ",\n ",
		    env->rcpts.v[i].addr);
	return buf_addf(b,
	    "\nSubject: Undelivered mail: %s\nDate: %s\n"
	    "Message-ID: %s\nAuto-Submitted: auto-replied\n"
	    "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n",
	    failed->id, date, msgid);
}

static int
format_body(const struct config *cfg, const struct queue_entry *failed,
    const char *reason, struct buf *b)
{
	size_t i;

	buf_addf(b,
	    "cfsendmail gave up on a message.\n\nQueue id:   %s\n"
	    "Sender:     <",
	    failed->id);
	add_shown(b, failed->env.from != NULL ? failed->env.from : "");
	buf_adds(b, ">\n");
	for (i = 0; i < failed->env.nrcpts; i++) {
		buf_addf(b, "%s <", i == 0 ? "Recipients:" : "           ");
		add_shown(b, failed->env.rcpts[i]);
		buf_adds(b, ">\n");
	}
	buf_adds(b, "Reason:     ");
	add_shown(b, reason);
	buf_adds(b, "\n\nThe message is kept as ");
	add_shown(b, cfg->queue_dir);
	return buf_addf(b, "/failed/%s.msg.\n", failed->id);
}

static int
has_8bit(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		if ((unsigned char)b->data[i] >= 0x80)
			return 1;
	return 0;
}

/* Bytes text takes on the wire: CRLF line ends, dot-stuffed lines. */
static long long
wire_size(const struct buf *b)
{
	long long n = (long long)b->len;
	size_t	  i;

	for (i = 0; i < b->len; i++)
		if (b->data[i] == '\n')
			n++;
		else if (b->data[i] == '.' &&
		    (i == 0 || b->data[i - 1] == '\n'))
			n++;
	return n;
}

/* The whole notice, and its envelope's fields, into e. */
static int
format_notice(const struct config *cfg, const struct envelope *env,
    const struct queue_entry *failed, const char *reason, struct queue_entry *e,
    struct buf *text)
{
	struct buf body = { 0 };
	char	   msgid[QUEUE_ID_MAX + 300];
	int	   rc = -1;
	size_t	   i;

	snprintf(msgid, sizeof(msgid), "<%s@%s>", e->id,
	    cfg->domain ? cfg->domain : "localhost");
	if (format_body(cfg, failed, reason, &body) == -1 ||
	    format_header(env, failed, msgid, text) == -1)
		goto done;
	if (has_8bit(&body))
		buf_adds(text, "Content-Transfer-Encoding: 8bit\n");
	if (buf_adds(text, "\n") == -1 ||
	    buf_add(text, body.data, body.len) == -1 ||
	    (e->env.from = strdup(env->from)) == NULL ||
	    (e->env.msgid = strdup(msgid)) == NULL ||
	    (e->env.about = strdup(failed->id)) == NULL ||
	    (e->env.rcpts = calloc(env->rcpts.n, sizeof(*e->env.rcpts))) ==
		NULL)
		goto done;
	for (i = 0; i < env->rcpts.n; i++, e->env.nrcpts++)
		if ((e->env.rcpts[i] = strdup(env->rcpts.v[i].addr)) == NULL)
			goto done;
	/* the header too: a [sender] domain in Unicode in the Message-ID */
	e->env.eightbit = has_8bit(text);
	e->env.is_bounce = 1;
	e->env.created = e->env.seen = time(NULL);
	e->env.size = wire_size(text);
	rc = 0;
done:
	buf_free(&body);
	return rc;
}

/* A notice that failed: nobody is told but the log and -bp. */
static void
notice_failed(const struct queue_entry *notice, const char *reason)
{
	log_error("%s: a notice failed (%s): the administrator never learned "
		  "that %s failed; see cfsendmail -bp",
	    notice->id, reason,
	    notice->env.about != NULL ? notice->env.about : "a message");
}

int
notice_queue(struct queue *q, const struct config *cfg,
    const struct queue_entry *failed, const char *reason, char *err,
    size_t errlen)
{
	struct queue_entry e;
	struct envelope	   env;
	struct buf	   text = { 0 };
	char		   why[512];
	int		   rc = -1;

	if (failed->env.is_bounce) {
		notice_failed(failed, reason);
		return 0;
	}
	if (cfg->bounce_to == NULL || cfg->from == NULL)
		return 0; /* runqueue.c logs the missing from */
	if (notice_envelope(cfg, &env, why, sizeof(why)) == -1) {
		log_error("%s: no notice sent: %s", failed->id, why);
		envelope_free(&env);
		return 0;
	}
	if (queue_create(q, &e, err, errlen) == -1) {
		envelope_free(&env);
		return -1;
	}
	if (format_notice(cfg, &env, failed, reason, &e, &text) == -1)
		snprintf(err, errlen, "out of memory");
	else if (queue_write(&e, text.data, text.len, err, errlen) == 0 &&
	    queue_commit(q, &e, err, errlen) == 0)
		rc = 0;
	if (rc == -1)
		queue_abort(q, &e);
	queue_entry_free(&e);
	envelope_free(&env);
	buf_free(&text);
	return rc;
}
