/*
 * fake_transport.c - the scripted fake transport; see fake_transport.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_transport.h"

static long long fake_now;

long long
fake_clock(void)
{
	return fake_now;
}

static int
fake_read_line(void *ctx, struct buf *line, int timeout_ms, char *err,
    size_t errlen)
{
	struct fake *f = ctx;
	const char  *l = f->script[f->next];
	char	    *end;
	long	     delay;

	buf_reset(line);
	if (l == NULL) {
		snprintf(err, errlen, "script exhausted");
		buf_adds(&f->events, "S: <script exhausted>\n");
		return -1;
	}
	if (*l == '@') {
		delay = strtol(l + 1, &end, 10);
		if (delay > timeout_ms) {
			fake_now += timeout_ms;
			snprintf(err, errlen,
			    "timed out waiting for the server");
			buf_adds(&f->events, "S: <timed out>\n");
			return -1;
		}
		fake_now += delay;
		l = end + 1;
	} else if (*l == '^')
		l++;
	f->next++;
	if (strcmp(l, "!ERR") == 0) {
		snprintf(err, errlen, "connection reset by peer");
		buf_adds(&f->events, "S: <reset>\n");
		return -1;
	}
	buf_addf(&f->events, "S: %s\n", l);
	buf_adds(line, l);
	return 0;
}

static int
fake_write(void *ctx, const void *p, size_t len, int timeout_ms, char *err,
    size_t errlen)
{
	struct fake *f = ctx;

	(void)timeout_ms;
	if (++f->writes == f->fail_write) {
		snprintf(err, errlen, "broken pipe");
		buf_adds(&f->events, "C: <write failed>\n");
		return -1;
	}
	buf_adds(&f->events, "C: ");
	buf_add(&f->events, p, len);
	buf_add(&f->sent, p, len);
	if (f->writes <= 64)
		f->wend[f->writes - 1] = f->sent.len;
	return 0;
}

static int
fake_pending(void *ctx)
{
	struct fake *f = ctx;

	return f->script[f->next] != NULL && f->script[f->next][0] == '^';
}

int
fake_starttls(void *ctx, char *err, size_t errlen)
{
	struct fake *f = ctx;

	(void)err;
	(void)errlen;
	f->starttls_calls++;
	buf_adds(&f->events, "-- TLS --\n");
	return 0;
}

struct transport tr = { NULL, fake_read_line, fake_write, fake_pending, NULL };

ssize_t
membody_read(void *ctx, char *p, size_t len)
{
	struct membody *b = ctx;
	size_t		n = b->len - b->off;

	if (b->fail)
		return -1;
	if (n > len)
		n = len;
	if (b->chunk > 0 && n > b->chunk)
		n = b->chunk;
	memcpy(p, b->p + b->off, n);
	b->off += n;
	return (ssize_t)n;
}

void
fake_init(struct fake *f, const char *const *lines)
{
	memset(f, 0, sizeof(*f));
	fake_now = 0;
	f->script = lines;
	tr.ctx = f;
	tr.starttls = NULL;
}

void
fake_free(struct fake *f)
{
	buf_free(&f->events);
	buf_free(&f->sent);
}

const char *
fake_cls_name(enum reply_class c)
{
	switch (c) {
	case REPLY_OK: return "OK";
	case REPLY_TEMP: return "TEMP";
	case REPLY_PERM: return "PERM";
	}
	return "?";
}
