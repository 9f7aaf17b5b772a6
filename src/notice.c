/*
 * notice.c - the notice about a message given up; see notice.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "header.h"
#include "notice.h"

static int
format_notice(const struct config *cfg, const struct queue_entry *failed,
    const char *reason, const char *id, struct buf *b)
{
	char	 date[64];
	size_t	 i;

	if (header_format_date(time(NULL), date, sizeof(date)) == -1)
		return -1;
	buf_addf(b, "From: cfsendmail <%s>\nTo: <%s>\n"
	    "Subject: Undelivered mail: %s\nDate: %s\n"
	    "Message-ID: <%s@%s>\nAuto-Submitted: auto-replied\n"
	    "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\n",
	    cfg->from, cfg->bounce_to, failed->id, date, id,
	    cfg->domain ? cfg->domain : "localhost");
	buf_addf(b, "cfsendmail gave up on a message.\n\nQueue id:   %s\n"
	    "Sender:     <%s>\n", failed->id, failed->env.from);
	for (i = 0; i < failed->env.nrcpts; i++)
		buf_addf(b, "%s <%s>\n", i == 0 ? "Recipients:" :
		    "           ", failed->env.rcpts[i]);
	return buf_addf(b, "Reason:     %s\n\nThe message is kept as "
	    "%s/failed/%s.msg.\n", reason, cfg->queue_dir, failed->id);
}

int
notice_queue(struct queue *q, const struct config *cfg,
    const struct queue_entry *failed, const char *reason, char *err,
    size_t errlen)
{
	struct queue_entry	 e;
	struct buf		 text = { 0 };
	int			 rc = -1;

	if (cfg->bounce_to == NULL || cfg->from == NULL ||
	    failed->env.is_bounce)
		return 0;
	if (queue_create(q, &e, err, errlen) == -1)
		return -1;
	if (format_notice(cfg, failed, reason, e.id, &text) == -1 ||
	    (e.env.from = strdup(cfg->from)) == NULL ||
	    (e.env.rcpts = calloc(1, sizeof(char *))) == NULL ||
	    (e.env.rcpts[0] = strdup(cfg->bounce_to)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	e.env.nrcpts = 1;
	e.env.is_bounce = 1;
	e.env.created = e.env.seen = time(NULL);
	e.env.eightbit = 0;
	e.env.size = (long long)text.len;
	if (queue_write(&e, text.data, text.len, err, errlen) == 0 &&
	    queue_commit(q, &e, err, errlen) == 0)
		rc = 0;
done:
	if (rc == -1)
		queue_abort(q, &e);
	queue_entry_free(&e);
	buf_free(&text);
	return rc;
}
