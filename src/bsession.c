/*
 * bsession.c - -bs: an SMTP session on stdin and stdout; see bsession.h.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bsession.h"
#include "bsmtp.h"
#include "deliver.h"
#include "envelope.h"
#include "failure.h"
#include "message.h"
#include "mono.h"
#include "privilege.h"
#include "submit.h"

/* Input read at once; a command line is at most BSMTP_LINE_MAX. */
#define IN_SIZE 16384
/* Replies gathered beyond this go out without waiting for the input to
 * run dry (a long pipelined group). */
#define OUT_FLUSH 4096
/* Lines about accepted messages kept for standard error: little enough
 * to fit a pipe's buffer, as Symfony reads our stderr only after our
 * stdout has ended. */
#define REPORT_MAX (8 * 1024)

enum session_end {
	END_NONE, /* going on */
	END_QUIT,
	END_EOF,     /* the input ended */
	END_TIMEOUT, /* no input, or the reply not read, in time */
	END_ERROR,   /* reading or writing failed: errno in err */
	END_CHILD,   /* -odb's delivering child: not our session */
};

struct session {
	const struct options *opts;
	const struct config  *cfg;
	struct outcome	     *o;
	int		      timeout_ms;
	char		      host[256];
	char		      in[IN_SIZE];
	size_t		      ioff, ilen;
	struct buf	      out;
	struct bsmtp_framer   framer;
	struct bsmtp_data     data;
	enum bsmtp_state      state;
	int		      rcpt_refused; /* a RCPT of this one refused */
	struct envelope	      env;
	enum session_end      end;
	int		      err;
	int		      write_timeout; /* END_TIMEOUT while writing */
	int		      lost_message;  /* ended in the middle of DATA */
	int		      accepted;	     /* this message's 250 is out */
};

/* Wait until fd is ready for events: 1, 0 on timeout, -1 on error. */
static int
wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { fd, events, 0 };
	long long     deadline = mono_ms() + timeout_ms, left;
	int	      n;

	for (;;) {
		left = deadline - mono_ms();
		if (left < 0)
			left = 0;
		n = poll(&p, 1, (int)left);
		if (n >= 0 || errno != EINTR)
			return n > 0 ? 1 : n;
	}
}

/* The first reason the session ends is the one that counts. */
static void
stop(struct session *s, enum session_end end, int err)
{
	if (s->end == END_NONE) {
		s->end = end;
		s->err = err;
	}
}

/*
 * Send the gathered replies.  Pieces of at most PIPE_BUF bytes, each once
 * the client can take it: a client that reads nothing cannot hold us past
 * the timeout.
 */
static int
flush(struct session *s)
{
	size_t	off = 0, n;
	ssize_t w;
	int	rc;

	while (off < s->out.len && s->end != END_CHILD) {
		if ((rc = wait_fd(STDOUT_FILENO, POLLOUT, s->timeout_ms)) !=
		    1) {
			if (s->end == END_NONE)
				s->write_timeout = rc == 0;
			stop(s, rc == 0 ? END_TIMEOUT : END_ERROR, errno);
			break;
		}
		n = s->out.len - off < PIPE_BUF ? s->out.len - off : PIPE_BUF;
		if ((w = write(STDOUT_FILENO, s->out.data + off, n)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			stop(s, END_ERROR, errno);
			break;
		}
		off += (size_t)w;
	}
	rc = off == s->out.len ? 0 : -1;
	buf_reset(&s->out);
	return rc;
}

/* Queue one reply line; see bsmtp_reply(). */
static void __attribute__((format(printf, 4, 5)))
reply(struct session *s, int code, int more, const char *fmt, ...)
{
	char	text[BSMTP_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (bsmtp_reply(&s->out, code, more, "%s", text) == -1)
		stop(s, END_ERROR, ENOMEM);
	else if (s->out.len >= OUT_FLUSH)
		flush(s);
}

static void
reply_error(struct session *s, enum bsmtp_error e)
{
	if (bsmtp_reply_error(&s->out, e) == -1)
		stop(s, END_ERROR, ENOMEM);
	else if (s->out.len >= OUT_FLUSH)
		flush(s);
}

/*
 * Read more input after what is buffered: 1, or 0 when the session ends
 * (the end of the input, a timeout, an error: s->end says which).  The
 * replies gathered go out first: the client may be waiting for them
 * before it sends more (RFC 2920 section 3.1).
 */
static int
fill(struct session *s)
{
	ssize_t n;
	int	rc;

	if (s->end != END_NONE || flush(s) == -1)
		return 0;
	if (s->ioff > 0) {
		memmove(s->in, s->in + s->ioff, s->ilen - s->ioff);
		s->ilen -= s->ioff;
		s->ioff = 0;
	}
	for (;;) {
		if ((rc = wait_fd(STDIN_FILENO, POLLIN, s->timeout_ms)) != 1) {
			stop(s, rc == 0 ? END_TIMEOUT : END_ERROR, errno);
			return 0;
		}
		n = read(STDIN_FILENO, s->in + s->ilen,
		    sizeof(s->in) - s->ilen);
		if (n > 0)
			break;
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		stop(s, n == 0 ? END_EOF : END_ERROR, n == 0 ? 0 : errno);
		return 0;
	}
	s->ilen += (size_t)n;
	return 1;
}

/* The next command line into line (NUL-terminated): 1, or 0 at the end. */
static int
next_line(struct session *s, char line[BSMTP_LINE_MAX], size_t *len, int *crlf)
{
	enum bsmtp_frame f;
	size_t		 used;

	while (s->end == END_NONE) {
		f = bsmtp_frame(&s->framer, s->in + s->ioff, s->ilen - s->ioff,
		    len, crlf, &used);
		if (f == BSMTP_FRAME_LINE)
			memcpy(line, s->in + s->ioff, *len);
		s->ioff += used;
		if (f == BSMTP_FRAME_LINE) {
			line[*len] = '\0';
			return 1;
		}
		if (f == BSMTP_FRAME_LONG)
			reply_error(s, BSMTP_E_TOO_LONG);
		else if (f == BSMTP_FRAME_NEED && !fill(s))
			break;
	}
	return 0;
}

/* The message source of DATA: unstuffed, ending at the final dot. */
static ssize_t
data_read(void *ctx, char *p, size_t len)
{
	struct session *s = ctx;
	size_t		used, n;

	while (!s->data.ended) {
		if (s->ioff == s->ilen && !fill(s)) {
			/* never an end of the message: a message cut short
			 * must not be spooled */
			errno = s->end == END_TIMEOUT ? ETIMEDOUT :
			    s->end == END_EOF	      ? ECONNABORTED :
							s->err;
			return -1;
		}
		n = bsmtp_data_feed(&s->data, s->in + s->ioff,
		    s->ilen - s->ioff, &used, p, len);
		s->ioff += used;
		if (n > 0)
			return (ssize_t)n;
	}
	return 0;
}

/* Forget the transaction (RSET, HELO, EHLO, after DATA). */
static void
reset(struct session *s)
{
	envelope_free(&s->env);
	memset(&s->env, 0, sizeof(s->env));
	s->state = BSMTP_IDLE;
	s->rcpt_refused = 0;
}

static void
ehlo(struct session *s)
{
	reset(s);
	reply(s, 250, 1, "%s", s->host);
	reply(s, 250, 1, "PIPELINING");
	reply(s, 250, 1, "SIZE %d", s->cfg->max_size);
	reply(s, 250, 1, "8BITMIME");
	reply(s, 250, 0, "ENHANCEDSTATUSCODES");
}

static void
help(struct session *s)
{
	reply(s, 214, 1,
	    "2.0.0 cfsendmail -bs: SMTP on standard input and "
	    "output");
	reply(s, 214, 1,
	    "2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET "
	    "NOOP QUIT HELP VRFY");
	reply(s, 214, 0, "2.0.0 See cfsendmail(8)");
}

static void
mail(struct session *s, const struct bsmtp_cmd *cmd)
{
	enum envelope_result r;
	char		     err[512];

	if (cmd->size > s->cfg->max_size) {
		reply(s, 552, 0,
		    "5.3.4 Message size exceeds fixed maximum "
		    "message size (%d octets)",
		    s->cfg->max_size);
		return;
	}
	r = envelope_sender(&s->env, s->cfg, cmd->path, NULL, err, sizeof(err));
	if (r == ENVELOPE_OK) {
		s->state = BSMTP_MAILED;
		reply(s, 250, 0, "2.1.0 Ok");
		return;
	}
	reset(s);
	if (r == ENVELOPE_CONFIG)
		reply(s, 451, 0, "4.3.5 %s", err);
	else
		reply(s, 553, 0, "5.1.7 %s", err);
}

/* Add the checked recipients of one to the transaction's. */
static int
merge(struct envelope *env, const struct envelope *one)
{
	size_t i;

	for (i = 0; i < one->rcpts.n; i++)
		if (address_list_add(&env->rcpts, one->rcpts.v[i].addr, NULL) ==
		    -1)
			return -1;
	return 0;
}

/*
 * Each RCPT is checked alone, exactly as a recipient word of the command
 * line is (its [aliases] expansion included), and refused alone.
 */
static void
rcpt(struct session *s, const struct bsmtp_cmd *cmd)
{
	struct envelope	     one;
	enum envelope_result r;
	char		     err[512];

	if (s->env.rcpts.n >= BSMTP_MAX_RCPTS) {
		reply(s, 452, 0, "4.5.3 Too many recipients");
		return;
	}
	memset(&one, 0, sizeof(one));
	r = envelope_add_word(&one, s->cfg, cmd->path, err, sizeof(err));
	if (r == ENVELOPE_OK)
		r = envelope_check(&one, err, sizeof(err));
	if (one.refused.n > 0)
		reply(s, 553, 0,
		    "5.6.7 %s: the local part is not ASCII and "
		    "the relay does not offer SMTPUTF8",
		    cmd->path);
	else if (r == ENVELOPE_NOUSER)
		reply(s, 550, 0, "5.1.1 %s", err);
	else if (r != ENVELOPE_OK)
		reply(s, 553, 0, "5.1.3 %s", err);
	else if (merge(&s->env, &one) == -1)
		reply(s, 451, 0, "4.3.0 out of memory");
	else {
		s->state = BSMTP_RCPTED;
		reply(s, 250, 0, "2.1.5 Ok");
		envelope_free(&one);
		return;
	}
	s->rcpt_refused = 1;
	envelope_free(&one);
}

/* submit_smtp() calls this once the message is durable. */
static void
accepted(void *arg, const char *id)
{
	struct session *s = arg;

	s->accepted = 1;
	reply(s, 250, 0, "2.0.0 Ok: queued as %s", id);
	/* before the delivery, which may take a while */
	flush(s);
}

/* The first line of a report, for a reply. */
static const char *
first_line(const struct outcome *mo, char *buf, size_t buflen)
{
	static const char prefix[] = "cfsendmail: ";
	const char	 *p = mo->report.data ? mo->report.data : "";
	size_t		  n;

	if (strncmp(p, prefix, sizeof(prefix) - 1) == 0)
		p += sizeof(prefix) - 1;
	n = strcspn(p, "\n");

	if (n >= buflen)
		n = buflen - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf[0] != '\0' ? buf : "the message was not accepted";
}

/*
 * A message refused before the spool: read the rest of DATA (whatever
 * message.c left), then the reply its outcome calls for.
 */
static void
refuse_message(struct session *s, const struct outcome *mo)
{
	char	buf[4096];
	ssize_t n;

	while ((n = data_read(s, buf, sizeof(buf))) > 0)
		;
	if (n == -1) {
		s->lost_message = 1;
		return;
	}
	/* submit.c has logged the refusal */
	first_line(mo, buf, 400);
	switch (mo->failure) {
	case FAIL_DATA:
		/* what the client sent is over: the 552 of RFC 1870; when
		 * only the fields we add take it over, message.c's reason
		 * says so in a 554 */
		if (s->data.wire > s->cfg->max_size)
			reply(s, 552, 0,
			    "5.3.4 Message size exceeds fixed "
			    "maximum message size (%d octets)",
			    s->cfg->max_size);
		else
			reply(s, 554, 0, "5.6.0 %s", buf);
		break;
	case FAIL_RECIPIENT: reply(s, 554, 0, "5.5.1 %s", buf); break;
	case FAIL_CONFIG: reply(s, 451, 0, "4.3.5 %s", buf); break;
	default: reply(s, 451, 0, "4.3.0 %s", buf); break;
	}
}

/* What happened to an accepted message, for standard error. */
static void
keep_report(struct session *s, const struct outcome *mo)
{
	struct buf *r = &s->o->report;

	if (mo->report.len == 0 || r->len > REPORT_MAX)
		return;
	if (r->len + mo->report.len <= REPORT_MAX)
		buf_add(r, mo->report.data, mo->report.len);
	else
		buf_adds(r, "cfsendmail: more in the log\n");
}

static void
data(struct session *s, int crlf)
{
	struct message_source src = { s, data_read };
	struct submit_accept  acc = { accepted, s };
	struct outcome	      mo;
	pid_t		      self = getpid();

	/* the queue is the group's: raised until the entry is durable */
	if (privilege_raise() == -1) {
		reply(s, 451, 0, "4.3.0 cannot regain the queue's group");
		return;
	}
	reply(s, 354, 0, "End data with <CR><LF>.<CR><LF>");
	bsmtp_data_init(&s->data, crlf);
	s->accepted = 0;
	memset(&mo, 0, sizeof(mo));
	submit_smtp(s->opts, s->cfg, &s->env, &src, &acc, &mo);
	if (getpid() != self)
		s->end = END_CHILD; /* -odb: this process delivered */
	else if (privilege_lower() == -1) {
		reply(s, 421, 0, "4.3.0 cannot lower the group privilege");
		stop(s, END_ERROR, errno);
	} else if (s->accepted)
		keep_report(s, &mo);
	else
		refuse_message(s, &mo);
	outcome_free(&mo);
	reset(s);
	/* -odb's children, gone by now or later */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void
command(struct session *s, const char *line, size_t len, int crlf)
{
	struct bsmtp_cmd cmd;
	enum bsmtp_error e;

	if ((e = bsmtp_parse(line, len, &cmd)) == BSMTP_OK)
		e = bsmtp_sequence(s->state, s->rcpt_refused, cmd.verb);
	if (e != BSMTP_OK) {
		reply_error(s, e);
		return;
	}
	switch (cmd.verb) {
	case BSMTP_HELO:
		reset(s);
		reply(s, 250, 0, "%s", s->host);
		break;
	case BSMTP_EHLO: ehlo(s); break;
	case BSMTP_MAIL: mail(s, &cmd); break;
	case BSMTP_RCPT: rcpt(s, &cmd); break;
	case BSMTP_DATA: data(s, crlf); break;
	case BSMTP_RSET:
		reset(s);
		reply(s, 250, 0, "2.0.0 Ok");
		break;
	case BSMTP_NOOP: reply(s, 250, 0, "2.0.0 Ok"); break;
	case BSMTP_QUIT:
		reply(s, 221, 0, "2.0.0 Bye");
		s->end = END_QUIT;
		break;
	case BSMTP_HELP: help(s); break;
	case BSMTP_VRFY:
		/* RFC 5321 section 3.5.3: a null client cannot verify */
		reply(s, 252, 0,
		    "2.5.2 Cannot VRFY user, but will accept "
		    "message and attempt delivery");
		break;
	default: reply_error(s, BSMTP_E_UNKNOWN); break;
	}
}

/* The session's end, for the exit status and standard error. */
static void
finish(struct session *s)
{
	const char *what = s->lost_message ? " in the middle of a message "
					     "(not queued)" :
	    s->state != BSMTP_IDLE	   ? " before the message "
					     "was sent (not queued)" :
					     "";

	switch (s->end) {
	case END_NONE:
	case END_CHILD: break;
	case END_QUIT: flush(s); break;
	case END_EOF:
		if (what[0] != '\0')
			outcome_fail(s->o, FAIL_IO, "-bs: the input ended%s",
			    what);
		break;
	case END_TIMEOUT:
		if (!s->write_timeout) {
			reply(s, 421, 0, "4.4.2 %s Error: timeout exceeded",
			    s->host);
			flush(s);
		}
		outcome_fail(s->o, FAIL_TEMPORARY,
		    "-bs: no %s for %d seconds%s",
		    s->write_timeout ? "reader for the replies" : "input",
		    s->cfg->bs_timeout, what);
		break;
	case END_ERROR:
		outcome_fail(s->o, FAIL_IO, "-bs: %s%s", strerror(s->err),
		    what);
		break;
	}
}

enum failure
bsession_run(const struct options *opts, const struct config *cfg,
    struct outcome *o)
{
	struct session *s;
	char		line[BSMTP_LINE_MAX];
	size_t		len;
	int		crlf;

	/* the group comes back only for the spool (data()) */
	if (privilege_lower() == -1)
		return outcome_fail(o, FAIL_SYSTEM,
		    "cannot lower the group "
		    "privilege");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return outcome_fail(o, FAIL_SYSTEM, "out of memory");
	s->opts = opts;
	s->cfg = cfg;
	s->o = o;
	s->timeout_ms = cfg->bs_timeout * 1000;
	deliver_helo(s->host, sizeof(s->host));
	reply(s, 220, 0, "%s ESMTP cfsendmail", s->host);
	while (next_line(s, line, &len, &crlf))
		command(s, line, len, crlf);
	finish(s);
	envelope_free(&s->env);
	buf_free(&s->out);
	free(s);
	return o->failure;
}
