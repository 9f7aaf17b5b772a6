/*
 * submit.c - a message from the caller; see submit.h.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aliases.h"
#include "attempt.h"
#include "deliver.h"
#include "envelope.h"
#include "failure.h"
#include "log.h"
#include "message.h"
#include "printable.h"
#include "privilege.h"
#include "queue.h"
#include "send.h"
#include "submit.h"

/*
 * A submission refused before anything was queued: the caller's line,
 * and one line for the log, since the caller (cron, a daemon) may drop
 * what it is told: the reason, the sender and how many recipients, never
 * a header field nor the token.  env: as far as it was built.
 */
static enum failure
refuse(struct outcome *o, enum failure f, const struct envelope *env,
    const char *reason)
{
	size_t n = env->rcpts.n + env->refused.n;

	log_error("refused, nothing queued (exit %d): %s; %s%s%s, %zu "
		  "recipient%s",
	    failure_exit_code(f), reason,
	    env->from != NULL ? "sender <" : "sender not known",
	    env->from != NULL ? env->from : "", env->from != NULL ? ">" : "", n,
	    n == 1 ? "" : "s");
	return outcome_fail(o, f, "%s", reason);
}

/*
 * What an envelope failure means for the caller (sendmail's codes); a
 * submission's is logged (refuse()), -bv's is only its answer.
 */
static enum failure
envelope_failure(enum envelope_result r, const char *err,
    const struct envelope *env, int submission, struct outcome *o)
{
	static const enum failure codes[] = {
		[ENVELOPE_OK] = FAIL_NONE,
		[ENVELOPE_BAD] = FAIL_DATA,
		[ENVELOPE_CONFIG] = FAIL_CONFIG,
		[ENVELOPE_NOUSER] = FAIL_RECIPIENT,
		[ENVELOPE_EMPTY] = FAIL_USAGE,
	};

	if (submission)
		return refuse(o, codes[r], env, err);
	return outcome_fail(o, codes[r], "%s", err);
}

/*
 * The envelope the command line gives: -f/-r, the login, the words.
 * submission: -bm, not -bv.
 */
static enum failure
envelope_of_options(const struct options *opts, const struct config *cfg,
    struct envelope *env, int submission, struct outcome *o)
{
	struct passwd	    *pw = getpwuid(getuid());
	enum envelope_result r;
	char		     err[512];
	size_t		     i;

	r = envelope_sender(env, cfg, opts->sender,
	    pw != NULL ? pw->pw_name : NULL, err, sizeof(err));
	for (i = 0; i < opts->nrcpts && r == ENVELOPE_OK; i++)
		r = envelope_add_word(env, cfg, opts->rcpts[i], err,
		    sizeof(err));
	return r == ENVELOPE_OK ? FAIL_NONE :
				  envelope_failure(r, err, env, submission, o);
}

/*
 * envelope_check(), and one line for each recipient it refused alone: its
 * local part is not ASCII, and the relay does not offer SMTPUTF8.  A
 * submission that goes on without them logs each; one refused whole
 * logs only that.
 */
static enum failure
check_envelope(struct envelope *env, int submission, struct outcome *o)
{
	enum envelope_result r;
	char		     err[512];
	size_t		     i;

	r = envelope_check(env, err, sizeof(err));
	for (i = 0; i < env->refused.n; i++) {
		outcome_fail(o, FAIL_NONE,
		    "<%s> refused: the local part is not "
		    "ASCII and the relay does not offer SMTPUTF8",
		    env->refused.v[i].addr);
		if (submission && r == ENVELOPE_OK)
			log_error("<%s> refused: the local part is not ASCII",
			    env->refused.v[i].addr);
	}
	return r == ENVELOPE_OK ? FAIL_NONE :
				  envelope_failure(r, err, env, submission, o);
}

/* Recipients refused before queueing make the exit status 67. */
static enum failure
refused_code(const struct envelope *env, struct outcome *o)
{
	if (env->refused.n > 0 && o->failure == FAIL_NONE)
		o->failure = FAIL_RECIPIENT;
	return o->failure;
}

/* -bv: "what: <address>", the address through printable(). */
static void
add_address(struct buf *out, const char *what, const char *addr)
{
	char   shown[PRINTABLE_SIZE(ADDRESS_MAX)];
	size_t len = strlen(addr);

	printable(shown, sizeof(shown), addr,
	    len > ADDRESS_MAX ? ADDRESS_MAX : len);
	buf_addf(out, "%s: <%s>\n", what, shown);
}

enum failure
submit_verify(const struct options *opts, const struct config *cfg,
    struct outcome *o)
{
	struct envelope env;
	size_t		i;

	memset(&env, 0, sizeof(env));
	if (envelope_of_options(opts, cfg, &env, 0, o) != FAIL_NONE ||
	    check_envelope(&env, 0, o) != FAIL_NONE)
		goto done;
	add_address(&o->out, "sender", env.from);
	for (i = 0; i < env.rcpts.n; i++)
		add_address(&o->out, "recipient", env.rcpts.v[i].addr);
	refused_code(&env, o);
done:
	envelope_free(&env);
	return o->failure;
}

/* The right-hand side for a Message-ID we add. */
static const char *
id_domain(const struct config *cfg, const struct envelope *env,
    const char *helo)
{
	const char *at;

	if (cfg->domain != NULL)
		return cfg->domain;
	if ((at = strrchr(env->from, '@')) != NULL && at[1] != '\0')
		return at + 1;
	return helo;
}

/*
 * The Date, Message-ID and From fields the message lacks (RFC 5322
 * §3.6: Date and From are required, Message-ID should be there), each a
 * string in add[] (NULL-terminated), kept in store.
 */
static enum failure
missing_fields(const struct message *m, const struct options *opts,
    const struct config *cfg, const struct envelope *env, const char *id,
    char *add[4], struct outcome *o)
{
	struct buf  from = { 0 };
	char	    date[64], helo[256];
	const char *sender = env->from[0] ? env->from : cfg->from;
	int	    n = 0;

	if (header_find(&m->hs, "Date", 0) < 0 &&
	    header_format_date(time(NULL), date, sizeof(date)) == 0 &&
	    asprintf(&add[n++], "Date: %s", date) == -1)
		goto nomem;
	deliver_helo(helo, sizeof(helo));
	if (header_find(&m->hs, "Message-ID", 0) < 0 &&
	    asprintf(&add[n++], "Message-ID: <%s@%s>", id,
		id_domain(cfg, env, helo)) == -1)
		goto nomem;
	if (header_find(&m->hs, "From", 0) < 0 && sender != NULL) {
		if (opts->fullname != NULL && opts->fullname[0] != '\0') {
			if (header_display_name(opts->fullname, &from) == -1) {
				buf_free(&from);
				return refuse(o, FAIL_DATA, env,
				    "-F: control "
				    "character in the full name");
			}
			buf_add(&from, " ", 1);
		}
		if (asprintf(&add[n++], "From: %s<%s>",
			from.data ? from.data : "", sender) == -1)
			goto nomem;
	}
	buf_free(&from);
	add[n] = NULL;
	return FAIL_NONE;
nomem:
	add[n - 1] = NULL;
	buf_free(&from);
	return outcome_fail(o, FAIL_SYSTEM, "out of memory");
}

static ssize_t
stdin_read(void *ctx, char *p, size_t len)
{
	(void)ctx;
	return read(STDIN_FILENO, p, len);
}

static int
spool_write_data(void *ctx, const void *p, size_t len, char *err, size_t errlen)
{
	return queue_write(ctx, p, len, err, errlen);
}

static ssize_t
spool_read(void *ctx, char *p, size_t len)
{
	return queue_read(ctx, p, len);
}

/*
 * A body line over 998 octets: write the message again, its body
 * quoted-printable, into a new entry that replaces e (RFC 5322 §2.1.1;
 * cutting the line would lose content).
 */
static enum message_result
reencode(struct message *m, const struct header_edit *edit,
    const struct config *cfg, struct queue *q, struct queue_entry *e, char *err,
    size_t errlen)
{
	struct queue_entry    second;
	struct message_source src = { e, spool_read };
	struct message_sink   sink;
	enum message_result   r;

	if (!message_can_reencode(m))
		return MESSAGE_BAD; /* err says why, from message_write */
	if (queue_create(q, &second, err, errlen) == -1)
		return MESSAGE_WRITE_ERROR;
	sink.ctx = &second;
	sink.write = spool_write_data;
	e->off = m->header_bytes;
	r = message_reencode(m, edit, &src, &sink, cfg->max_size, err, errlen);
	queue_abort(q, e);
	queue_entry_free(e);
	*e = second;
	return r;
}

static enum failure
message_failure(enum message_result r, const char *err,
    const struct envelope *env, struct outcome *o)
{
	static const enum failure codes[] = {
		[MESSAGE_OK] = FAIL_NONE,
		[MESSAGE_BAD] = FAIL_DATA,
		[MESSAGE_READ_ERROR] = FAIL_IO,
		[MESSAGE_WRITE_ERROR] = FAIL_QUEUE_CREATE,
		[MESSAGE_LONG_LINES] = FAIL_DATA,
	};

	return refuse(o, codes[r], env, err);
}

/* The longest Message-ID kept for the log. */
#define MSGID_MAX 250

/*
 * The message's Message-ID, for the log: the field's value with its
 * runs of white space (folding) as one space, or the field added (add[],
 * NULL-terminated), in *id; NULL when there is none.  -1 when out of
 * memory.
 */
static int
message_id(const struct message *m, char *const *add, char **id)
{
	const char *v;
	ssize_t	    f;
	size_t	    len, i, n = 0;

	*id = NULL;
	if ((f = header_find(&m->hs, "Message-ID", 0)) < 0) {
		for (i = 0; add[i] != NULL; i++)
			if (strncmp(add[i], "Message-ID: ", 12) == 0)
				return (*id = strdup(add[i] + 12)) ? 0 : -1;
		return 0;
	}
	v = header_value(&m->hs, (size_t)f, &len);
	if ((*id = malloc((len > MSGID_MAX ? MSGID_MAX : len) + 1)) == NULL)
		return -1;
	for (i = 0; i < len && n < MSGID_MAX; i++)
		if (v[i] != ' ' && v[i] != '\t' && v[i] != '\n')
			(*id)[n++] = v[i];
		else if (n > 0 && (*id)[n - 1] != ' ')
			(*id)[n++] = ' ';
	while (n > 0 && (*id)[n - 1] == ' ')
		n--;
	(*id)[n] = '\0';
	if (n == 0) {
		free(*id);
		*id = NULL;
	}
	return 0;
}

static int
fill_envelope(struct queue_envelope *v, const struct envelope *env,
    const struct message *m, const struct options *opts, char *const *add)
{
	size_t i;

	v->created = v->seen = time(NULL);
	/* -B8BITMIME is only the caller's guess (cron always says so): what
	 * the message holds decides BODY=8BITMIME */
	v->eightbit = m->eightbit;
	v->size = message_wire_size(m);
	if ((v->from = strdup(env->from)) == NULL ||
	    (v->rcpts = calloc(env->rcpts.n, sizeof(*v->rcpts))) == NULL)
		return -1;
	for (i = 0; i < env->rcpts.n; i++, v->nrcpts++)
		if ((v->rcpts[i] = strdup(env->rcpts.v[i].addr)) == NULL)
			return -1;
	if ((opts->dsn_notify != NULL &&
		(v->dsn_notify = strdup(opts->dsn_notify)) == NULL) ||
	    (opts->dsn_ret != NULL &&
		(v->dsn_ret = strdup(opts->dsn_ret)) == NULL) ||
	    (opts->envid != NULL && (v->envid = strdup(opts->envid)) == NULL))
		return -1;
	return message_id(m, add, &v->msgid);
}

/*
 * The rewritten message and its envelope, into a new queue entry; not
 * yet durable (spool_commit()).  Every check of the message is done here.
 */
static enum failure
spool_write(const struct options *opts, const struct config *cfg,
    const struct message_source *src, struct message *m,
    const struct envelope *env, struct queue *q, struct queue_entry *e,
    struct outcome *o)
{
	struct message_sink sink;
	struct header_edit  edit;
	enum message_result r;
	char		   *add[4] = { NULL }, err[512];
	size_t		    i;

	if (queue_create(q, e, err, sizeof(err)) == -1)
		return refuse(o, FAIL_QUEUE_CREATE, env, err);
	if (missing_fields(m, opts, cfg, env, e->id, add, o) != FAIL_NONE)
		goto done;
	memset(&edit, 0, sizeof(edit));
	edit.map_from = aliases_map_from;
	edit.map_rcpt = aliases_map_rcpt;
	edit.map_reply = aliases_map_reply;
	edit.arg = (void *)(uintptr_t)cfg;
	edit.add = (const char *const *)add;
	sink.ctx = e;
	sink.write = spool_write_data;
	r = message_write(m, &edit, src, &sink, cfg->max_size, err,
	    sizeof(err));
	if (r == MESSAGE_LONG_LINES)
		r = reencode(m, &edit, cfg, q, e, err, sizeof(err));
	if (r != MESSAGE_OK)
		message_failure(r, err, env, o);
	else if (fill_envelope(&e->env, env, m, opts, add) == -1)
		outcome_fail(o, FAIL_SYSTEM, "out of memory");
done:
	for (i = 0; i < 4; i++)
		free(add[i]);
	if (o->failure != FAIL_NONE)
		queue_abort(q, e);
	return o->failure;
}

static enum config_mode
delivery_mode(const struct options *opts, const struct config *cfg)
{
	switch (opts->delivery) {
	case OPTIONS_DM_FOREGROUND: return CONFIG_MODE_FOREGROUND;
	case OPTIONS_DM_BACKGROUND: return CONFIG_MODE_BACKGROUND;
	case OPTIONS_DM_QUEUE: return CONFIG_MODE_QUEUE;
	case OPTIONS_DM_CONFIG: break;
	}
	return cfg->mode;
}

/*
 * -odb: the caller (a PHP request) gets its answer now; a child that no
 * longer holds the caller's stdout/stderr open (PHP waits for EOF on
 * them) delivers.  The child inherits the entry's lock with its file.
 * Returns 1 in the parent, 0 in the child, -1 when no child could be
 * made (the entry then waits for the next queue run).
 */
static int
detach(void)
{
	pid_t pid;
	int   fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid > 0)
		return 1;
	setsid();
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

/*
 * Deliver the entry in this process, over d (submit_message() closes
 * it).  accepted: the caller already has its exit 0 (-odb's child), so
 * whatever happens the entry stays queued for -q, on_defer = fail
 * included.  What a failure means for the caller is attempt.h's to say,
 * in one place for every mode.
 */
static enum failure
deliver_now(struct deliver *d, const struct config *cfg, struct queue *q,
    struct queue_entry *e, int accepted, struct outcome *o)
{
	enum attempt_policy policy = ATTEMPT_KEEP;
	enum failure	    f;

	if (accepted)
		policy = ATTEMPT_ACCEPTED;
	else if (cfg->on_defer == CONFIG_DEFER_FAIL)
		policy = ATTEMPT_STRICT;
	f = attempt_entry(d, q, e, cfg->attempts, policy, o);
	if (o->failure == FAIL_NONE)
		o->failure = f;
	return o->failure;
}

/* accepted: the caller was told already (-bs: its 250). */
static enum failure
dispatch(const struct options *opts, const struct config *cfg,
    struct deliver *d, struct queue *q, struct queue_entry *e, int accepted,
    struct outcome *o)
{
	switch (delivery_mode(opts, cfg)) {
	case CONFIG_MODE_QUEUE: return FAIL_NONE;
	case CONFIG_MODE_BACKGROUND:
		if (detach() != 0)
			return FAIL_NONE; /* the parent, or queued for later */
		return deliver_now(d, cfg, q, e, 1, o);
	case CONFIG_MODE_FOREGROUND: break;
	}
	return deliver_now(d, cfg, q, e, accepted, o);
}

/* A queue commit, possibly run by a thread of its own. */
struct commit {
	struct queue	   *q;
	struct queue_entry *e;
	int		    rc;
	char		    err[512];
};

static void *
commit_run(void *arg)
{
	struct commit *c = arg;

	c->rc = queue_commit(c->q, c->e, c->err, sizeof(c->err));
	return NULL;
}

/*
 * Make the entry durable: from then on the message is accepted.  In the
 * foreground a thread commits while this one connects and handshakes
 * with the relay, so that the fsyncs overlap the round trips and the
 * caller (a PHP request) waits that much less, while a slow or
 * unreachable relay never holds the commit back.  Every check of the
 * message is done before (a message refused locally never opens a
 * connection), and nothing is sent before the commit is done: the
 * certificate is checked and the greeting read only then, by
 * deliver_open().  Not when set-group-ID: the group is raised for the
 * queue and lowered for the network, and threads share it.
 */
static enum failure
spool_commit(const struct options *opts, const struct config *cfg,
    const struct envelope *env, struct deliver *d, struct queue *q,
    struct queue_entry *e, struct outcome *o)
{
	struct commit c = { q, e, 0, "" };
	pthread_t     t;

	if (delivery_mode(opts, cfg) != CONFIG_MODE_FOREGROUND ||
	    privilege_is_setgid() ||
	    pthread_create(&t, NULL, commit_run, &c) != 0)
		commit_run(&c);
	else {
		send_start(d, env->rcpts.n);
		pthread_join(t, NULL);
	}
	if (c.rc == -1) {
		queue_abort(q, e);
		return refuse(o, FAIL_QUEUE_CREATE, env, c.err);
	}
	log_info("%s: queued from <%s> for %zu recipient%s, %lld bytes%s%s",
	    e->id, env->from, env->rcpts.n, env->rcpts.n == 1 ? "" : "s",
	    e->env.size, e->env.msgid != NULL ? ", Message-ID " : "",
	    e->env.msgid != NULL ? e->env.msgid : "");
	return FAIL_NONE;
}

/*
 * The header section from src; with -t its recipients join the
 * envelope, which is then complete and checked.
 */
static enum failure
read_envelope(const struct options *opts, const struct config *cfg,
    const struct message_source *src, struct message *m, struct envelope *env,
    struct outcome *o)
{
	enum message_result  mr;
	enum envelope_result r;
	char		     err[512];

	if ((mr = message_read_header(m, src, err, sizeof(err))) != MESSAGE_OK)
		return message_failure(mr, err, env, o);
	if (opts->extract &&
	    (r = envelope_add_header(env, cfg, &m->hs, err, sizeof(err))) !=
		ENVELOPE_OK)
		return envelope_failure(r, err, env, 1, o);
	return check_envelope(env, 1, o);
}

/*
 * What every submitted message goes through once its envelope is begun
 * (from the command line; from MAIL FROM and RCPT TO with -bs): the
 * message read from src, checked and spooled durably, then delivered as
 * the mode says.
 */
static enum failure
spool_and_send(const struct options *opts, const struct config *cfg,
    struct envelope *env, const struct message_source *src,
    const struct submit_accept *acc, struct outcome *o)
{
	struct message	   m;
	struct queue	   q = { NULL };
	struct queue_entry e;
	struct deliver	   d;
	char		   helo[256], err[512];

	memset(&e, 0, sizeof(e));
	e.fd = -1;
	message_init(&m, opts->ignore_dots);
	deliver_helo(helo, sizeof(helo));
	deliver_init(&d, cfg, helo);
	if (queue_open(&q, cfg->queue_dir, err, sizeof(err)) == -1) {
		refuse(o, FAIL_QUEUE_CREATE, env, err);
		goto done;
	}
	if (read_envelope(opts, cfg, src, &m, env, o) != FAIL_NONE ||
	    spool_write(opts, cfg, src, &m, env, &q, &e, o) != FAIL_NONE ||
	    spool_commit(opts, cfg, env, &d, &q, &e, o) != FAIL_NONE)
		goto done;
	if (acc != NULL)
		acc->accepted(acc->arg, e.id);
	/* the token is read and the entry made: no more need of the group
	 * but for queue updates (attempt.c raises it for those) */
	if (privilege_lower() == -1) {
		outcome_fail(o, FAIL_SYSTEM,
		    "cannot lower the group privilege");
		goto done;
	}
	dispatch(opts, cfg, &d, &q, &e, acc != NULL, o);
	refused_code(env, o);
done:
	deliver_close(&d);
	queue_entry_free(&e);
	queue_close(&q);
	message_free(&m);
	return o->failure;
}

enum failure
submit_message(const struct options *opts, const struct config *cfg,
    struct outcome *o)
{
	struct message_source src = { NULL, stdin_read };
	struct envelope	      env;

	memset(&env, 0, sizeof(env));
	if (envelope_of_options(opts, cfg, &env, 1, o) == FAIL_NONE)
		spool_and_send(opts, cfg, &env, &src, NULL, o);
	envelope_free(&env);
	return o->failure;
}

enum failure
submit_smtp(const struct options *opts, const struct config *cfg,
    struct envelope *env, const struct message_source *src,
    const struct submit_accept *acc, struct outcome *o)
{
	struct options smtp = *opts;

	/* the envelope is MAIL FROM's and RCPT TO's alone, and src applies
	 * SMTP's dot rule: -t and -i mean nothing here */
	smtp.extract = 0;
	smtp.ignore_dots = 1;
	return spool_and_send(&smtp, cfg, env, src, acc, o);
}
