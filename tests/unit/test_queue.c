/*
 * test_queue.c - unit tests for the spool (queue.c) and the envelope
 * file (envfile.c); the retry schedule and the clock policy are
 * test_qclock.c's.
 *
 * Everything happens in a fresh mkdtemp directory.  The checks look at
 * the files themselves (which exist, their modes) as well as at what the
 * functions return: the spool is a promise that what was acknowledged is
 * on disk.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "queue.h"
#include "tap.h"

static char base[] = "/tmp/test_queue.XXXXXX";
static char err[1024];

/* Mode bits of the path made from fmt, or -1 when it does not exist. */
static long __attribute__((format(printf, 1, 2))) mode_of(const char *fmt, ...)
{
	char	    path[PATH_MAX];
	struct stat st;
	va_list	    ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (lstat(path, &st) == -1)
		return -1;
	return (long)(st.st_mode & 07777);
}

/* How many files (other than . and ..) dir/sub holds, or -1. */
static int
count_files(const char *dir, const char *sub)
{
	char	       path[PATH_MAX];
	struct dirent *de;
	DIR	      *d;
	int	       n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
write_text(const char *path, const char *text, size_t len)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return;
	if (write(fd, text, len) != (ssize_t)len)
		fprintf(stderr, "# short write to %s\n", path);
	close(fd);
}

static void
test_open(void)
{
	struct queue		 q;
	char			 dir[PATH_MAX], want[PATH_MAX * 3];
	static const char *const subs[] = { "", "/tmp", "/new", "/failed" };
	size_t			 i;

	snprintf(dir, sizeof(dir), "%s/spool", base);
	is_int(queue_open(&q, dir, err, sizeof(err)), 0,
	    "open: creates the "
	    "spool");
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		is_int(mode_of("%s%s", dir, subs[i]), 0700,
		    "open: %s%s is a "
		    "0700 directory",
		    "spool", subs[i]);
	is_int(q.mode, 0600, "open: files will be 0600");
	queue_close(&q);
	is_int(queue_open(&q, dir, err, sizeof(err)), 0,
	    "open: again, "
	    "existing");
	queue_close(&q);

	snprintf(dir, sizeof(dir), "%s/open", base);
	mkdir(dir, 0700);
	chmod(dir, 0777);
	is_int(queue_open(&q, dir, err, sizeof(err)), -1,
	    "open: refuses a "
	    "world-writable directory");
	snprintf(want, sizeof(want),
	    "queue directory %s is writable by "
	    "others: chmod o-w %s",
	    dir, dir);
	is_str(err, want, "open: world-writable: reason");
	ok(q.dir == NULL, "open: nothing kept on failure");

	/* a subdirectory made world-writable is refused too */
	chmod(dir, 0700);
	is_int(queue_open(&q, dir, err, sizeof(err)), 0, "open: after chmod");
	queue_close(&q);
	snprintf(want, sizeof(want), "%s/new", dir);
	chmod(want, 0777);
	is_int(queue_open(&q, dir, err, sizeof(err)), -1,
	    "open: refuses a "
	    "world-writable new/");

	snprintf(dir, sizeof(dir), "%s/file", base);
	write_text(dir, "x", 1);
	is_int(queue_open(&q, dir, err, sizeof(err)), -1,
	    "open: refuses a "
	    "file");
	snprintf(want, sizeof(want), "queue directory %s is not a directory",
	    dir);
	is_str(err, want, "open: file: reason");

	snprintf(dir, sizeof(dir), "%s/no/such/parent", base);
	is_int(queue_open(&q, dir, err, sizeof(err)), -1,
	    "open: missing "
	    "parent");
	snprintf(want, sizeof(want),
	    "cannot create queue directory %s: No "
	    "such file or directory",
	    dir);
	is_str(err, want, "open: missing parent: reason");
}

/* The envelope every round trip uses; strings malloc'd: the entry owns
 * them. */
static void
fill_envelope(struct queue_envelope *v)
{
	static const char *const rcpts[] = { "a@x.example", "b@y.example",
		"\"odd name\"@z.example" };
	size_t			 i;

	v->from = strdup("f@x.example");
	v->nrcpts = 3;
	v->rcpts = calloc(3, sizeof(*v->rcpts));
	for (i = 0; i < 3; i++)
		v->rcpts[i] = strdup(rcpts[i]);
	v->created = 1700000000;
	v->next_attempt = 1700000123;
	v->attempts = 2;
	v->eightbit = 1;
	v->smtputf8 = 1;
	v->size = 12345678901LL;
	v->dsn_notify = strdup("SUCCESS,FAILURE");
	v->dsn_ret = strdup("HDRS");
	v->envid = strdup("QQ314159");
	v->last_reply = strdup("451 4.3.0 Local error; try later");
	v->is_bounce = 1;
	v->seen = 1700000456;
	v->waited = 98765;
	v->msgid = strdup("<a.b@x.example>");
	v->about = strdup("1700000000.000001.0badf00d");
}

/* An envelope as one line, to compare round trips in one check. */
static const char *
env_string(const struct queue_envelope *v)
{
	static char s[2048];
	size_t	    i;

	snprintf(s, sizeof(s),
	    "from=%s created=%lld next=%lld attempts=%d "
	    "8bit=%d utf8=%d size=%lld notify=%s ret=%s envid=%s last=%s "
	    "bounce=%d seen=%lld waited=%lld msgid=%s about=%s rcpts=",
	    v->from ? v->from : "(null)", (long long)v->created,
	    (long long)v->next_attempt, v->attempts, v->eightbit, v->smtputf8,
	    v->size, v->dsn_notify ? v->dsn_notify : "(null)",
	    v->dsn_ret ? v->dsn_ret : "(null)", v->envid ? v->envid : "(null)",
	    v->last_reply ? v->last_reply : "(null)", v->is_bounce,
	    (long long)v->seen, v->waited, v->msgid ? v->msgid : "(null)",
	    v->about ? v->about : "(null)");
	for (i = 0; i < v->nrcpts; i++)
		snprintf(s + strlen(s), sizeof(s) - strlen(s), "%s%s",
		    i ? "," : "", v->rcpts[i]);
	return s;
}

/* Create and commit an entry holding data; its id in id. */
static int
make_entry(struct queue *q, const char *data, int full, char *id)
{
	struct queue_entry e;
	int		   rc = -1;

	if (queue_create(q, &e, err, sizeof(err)) == -1)
		return -1;
	if (full)
		fill_envelope(&e.env);
	else {
		e.env.from = strdup("f@x.example");
		e.env.rcpts = calloc(1, sizeof(*e.env.rcpts));
		e.env.rcpts[0] = strdup("r@y.example");
		e.env.nrcpts = 1;
	}
	if (queue_write(&e, data, strlen(data), err, sizeof(err)) == 0 &&
	    queue_commit(q, &e, err, sizeof(err)) == 0) {
		strlcpy(id, e.id, QUEUE_ID_MAX);
		rc = 0;
	}
	queue_entry_free(&e);
	return rc;
}

static void
test_entry(void)
{
	static const char     data[] = "Subject: hi\n\nbody\n";
	struct queue	      q;
	struct queue_entry    e, e2;
	struct queue_envelope want;
	struct queue_info     info;
	char		      dir[PATH_MAX], path[PATH_MAX * 2];
	char		      id[QUEUE_ID_MAX];
	char		      buf[256], wantenv[2048];
	ssize_t		      n;
	int		      fd;

	snprintf(dir, sizeof(dir), "%s/entries", base);
	if (queue_open(&q, dir, err, sizeof(err)) == -1) {
		ok(0, "entry: open: %s", err);
		return;
	}
	memset(&want, 0, sizeof(want));
	fill_envelope(&want);
	snprintf(wantenv, sizeof(wantenv), "%s", env_string(&want));
	queue_envelope_free(&want);

	/* create, write, commit */
	is_int(queue_create(&q, &e, err, sizeof(err)), 0, "create");
	is_int(mode_of("%s/tmp/%s.msg", dir, e.id), 0600,
	    "create: tmp/ID.msg "
	    "0600");
	snprintf(path, sizeof(path), "%s/tmp/%s.msg", dir, e.id);
	fd = open(path, O_RDONLY);
	ok(fd != -1 && flock(fd, LOCK_SH | LOCK_NB) == -1 &&
		errno == EWOULDBLOCK,
	    "create: tmp/ID.msg locked from the start");
	if (fd != -1)
		close(fd);
	fill_envelope(&e.env);
	is_int(queue_write(&e, data, 5, err, sizeof(err)), 0, "write, part 1");
	is_int(queue_write(&e, data + 5, sizeof(data) - 6, err, sizeof(err)), 0,
	    "write, part 2");
	is_int(count_files(dir, "new"), 0, "before commit: new/ empty");
	is_int(queue_commit(&q, &e, err, sizeof(err)), 0, "commit");
	strlcpy(id, e.id, sizeof(id));
	is_int(mode_of("%s/new/%s.msg", dir, id), 0600,
	    "commit: new/ID.msg "
	    "0600");
	is_int(mode_of("%s/new/%s.env", dir, id), 0600,
	    "commit: new/ID.env "
	    "0600");
	is_int(count_files(dir, "tmp"), 0, "commit: tmp/ empty");
	is_int(e.committed, 1, "commit: entry marked committed");
	ok(e.env.has_sum && e.env.msglen == (long long)sizeof(data) - 1 &&
		e.env.msgcrc ==
		    crc32(0, (const unsigned char *)data, sizeof(data) - 1),
	    "commit: the envelope has the data's length "
	    "and CRC-32");

	/* the committing process still holds the lock */
	is_int(queue_lock(&q, id, &e2, err, sizeof(err)), 0,
	    "lock: held by "
	    "the committer");
	queue_entry_free(&e);

	/* another open file description holding the flock: busy */
	snprintf(path, sizeof(path), "%s/new/%s.msg", dir, id);
	fd = open(path, O_RDONLY);
	ok(fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == 0,
	    "lock: taken by "
	    "hand");
	is_int(queue_lock(&q, id, &e2, err, sizeof(err)), 0,
	    "lock: 0 while "
	    "another holds it");
	is_int(e2.fd, -1, "lock: busy leaves no descriptor");
	close(fd);

	/* free: locked, envelope round trip */
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), 1, "lock: free");
	is_str(e.id, id, "lock: id");
	is_str(env_string(&e.env), wantenv, "lock: envelope round trip");
	is_int(queue_lock(&q, id, &e2, err, sizeof(err)), 0,
	    "lock: a second "
	    "locker is refused");
	n = queue_read(&e, buf, sizeof(buf));
	is_int(n, (long)sizeof(data) - 1, "read: all of the data");
	ok(n > 0 && memcmp(buf, data, (size_t)n) == 0, "read: the data");
	is_int(queue_read(&e, buf, sizeof(buf)), 0, "read: then the end");
	queue_rewind(&e);
	is_int(queue_read(&e, buf, 7), 7, "rewind: read again");
	ok(memcmp(buf, "Subject", 7) == 0, "rewind: from the start");

	/* update */
	free(e.env.rcpts[0]);
	e.env.rcpts[0] = e.env.rcpts[2];
	e.env.nrcpts = 2;
	e.env.attempts = 3;
	free(e.env.last_reply);
	e.env.last_reply = strdup("421 4.3.2 bye");
	is_int(queue_update(&q, &e, err, sizeof(err)), 0, "update");
	is_int(count_files(dir, "tmp"), 0, "update: tmp/ empty");
	snprintf(wantenv, sizeof(wantenv), "%s", env_string(&e.env));
	queue_entry_free(&e);
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), 1, "update: lock");
	is_str(env_string(&e.env), wantenv, "update: envelope rewritten");
	is_int((long)e.env.nrcpts, 2, "update: two recipients left");

	/* peek without the lock, while it is held */
	is_int(queue_peek(&q, "new", id, 1700000000, &want, &info, err,
		   sizeof(err)),
	    1, "peek: while locked");
	is_str(env_string(&want), wantenv, "peek: envelope");
	is_int(info.msgsize, (long)sizeof(data) - 1, "peek: message size");
	is_int(info.state, QS_DELIVERING, "peek: being delivered");
	queue_envelope_free(&want);

	/* remove */
	is_int(queue_remove(&q, &e, err, sizeof(err)), 0, "remove");
	queue_entry_free(&e);
	is_int(count_files(dir, "new"), 0, "remove: new/ empty");
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), 0,
	    "remove: gone "
	    "for queue_lock");
	err[0] = '\0';
	is_int(queue_peek(&q, "new", id, 0, &want, &info, err, sizeof(err)), 0,
	    "remove: gone for queue_peek");

	/* fail */
	if (make_entry(&q, data, 1, id) == -1) {
		ok(0, "fail: entry: %s", err);
		goto done;
	}
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), 1, "fail: lock");
	is_int(queue_fail(&q, &e, "550 5.7.1 Sender denied", err, sizeof(err)),
	    0, "fail");
	queue_entry_free(&e);
	is_int(count_files(dir, "new"), 0, "fail: new/ empty");
	is_int(count_files(dir, "tmp"), 0, "fail: tmp/ empty");
	is_int(mode_of("%s/failed/%s.msg", dir, id), 0600,
	    "fail: "
	    "failed/ID.msg");
	is_int(mode_of("%s/failed/%s.env", dir, id), 0600,
	    "fail: "
	    "failed/ID.env");
	is_int(queue_peek(&q, "failed", id, 0, &want, &info, err, sizeof(err)),
	    1, "fail: peek in failed/");
	is_int(info.state, QS_FAILED, "fail: state failed");
	is_str(want.last_reply, "550 5.7.1 Sender denied",
	    "fail: the reason "
	    "kept");
	is_int((long)want.nrcpts, 3, "fail: recipients kept");
	is_int(info.msgsize, (long)sizeof(data) - 1, "fail: message kept");
	queue_envelope_free(&want);

	/* abort */
	is_int(queue_create(&q, &e, err, sizeof(err)), 0, "abort: create");
	e.env.from = strdup("f@x.example");
	queue_write(&e, data, 4, err, sizeof(err));
	queue_abort(&q, &e);
	queue_entry_free(&e);
	is_int(count_files(dir, "tmp"), 0, "abort: tmp/ empty");
	is_int(count_files(dir, "new"), 0, "abort: new/ empty");

	/* abort after commit changes nothing: the entry was acknowledged */
	is_int(queue_create(&q, &e, err, sizeof(err)), 0, "abort late: create");
	e.env.from = strdup("f@x.example");
	queue_commit(&q, &e, err, sizeof(err));
	queue_abort(&q, &e);
	queue_entry_free(&e);
	is_int(count_files(dir, "new"), 2, "abort after commit: entry kept");
done:
	queue_close(&q);
}

static const char *seen[8];
static size_t	   nseen;

static int
collect(const char *id, void *arg)
{
	(void)arg;
	if (nseen < 8)
		seen[nseen] = strdup(id);
	nseen++;
	return nseen == 2 && arg != NULL ? -1 : 0;
}

/* Wait until the clock's microseconds move on, so ids differ in time. */
static void
next_microsecond(void)
{
	struct timespec a, b;

	clock_gettime(CLOCK_REALTIME, &a);
	do
		clock_gettime(CLOCK_REALTIME, &b);
	while (b.tv_sec == a.tv_sec && b.tv_nsec / 1000 == a.tv_nsec / 1000);
}

static void
test_foreach(void)
{
	struct queue q;
	char	     dir[PATH_MAX], ids[4][QUEUE_ID_MAX];
	size_t	     i;
	int	     stop = 1;

	snprintf(dir, sizeof(dir), "%s/order", base);
	if (queue_open(&q, dir, err, sizeof(err)) == -1) {
		ok(0, "foreach: open: %s", err);
		return;
	}
	for (i = 0; i < 4; i++) {
		next_microsecond();
		if (make_entry(&q, "x\n", 0, ids[i]) == -1)
			ok(0, "foreach: entry %zu: %s", i, err);
	}
	nseen = 0;
	is_int(queue_foreach(&q, "new", collect, NULL, err, sizeof(err)), 0,
	    "foreach");
	is_int((long)nseen, 4, "foreach: every entry");
	for (i = 0; i < 4 && i < nseen; i++)
		is_str(seen[i], ids[i], "foreach: entry %zu in creation order",
		    i + 1);
	for (i = 0; i < nseen && i < 8; i++)
		free((void *)seen[i]);

	nseen = 0;
	is_int(queue_foreach(&q, "new", collect, &stop, err, sizeof(err)), -1,
	    "foreach: a callback's -1 stops the run");
	is_int((long)nseen, 2, "foreach: no call after the -1");
	is_str(err, "queue run stopped", "foreach: stopped: reason");
	for (i = 0; i < nseen && i < 8; i++)
		free((void *)seen[i]);

	nseen = 0;
	is_int(queue_foreach(&q, "failed", collect, NULL, err, sizeof(err)), 0,
	    "foreach failed/: empty");
	is_int((long)nseen, 0, "foreach failed/: nothing");
	queue_close(&q);
}

/* Append an end line to body, as envfile_format() does. */
static const char *
seal(const char *body)
{
	static char text[1024];

	snprintf(text, sizeof(text), "%send %08lx\n", body,
	    crc32(0, (const unsigned char *)body, strlen(body)));
	return text;
}

/* Set the mtime of a file hours ago. */
static void
age_file(const char *path, int hours)
{
	struct timeval tv[2];

	tv[0].tv_sec = tv[1].tv_sec = time(NULL) - hours * 3600;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	utimes(path, tv);
}

/* Does dir/SUB/ID.EXT exist? */
static int
exists(const char *dir, const char *sub, const char *id, const char *ext)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s/%s%s", dir, sub, id, ext);
	return access(path, F_OK) == 0;
}

static void
test_damaged(void)
{
	static const struct {
		const char *name;
		const char *text;
		size_t	    len;  /* 0: strlen */
		int	    want; /* queue_lock() */
		const char *why;  /* after "damaged: the envelope " */
	} cases[] = {
		{ "good v1", "version 1\nfrom a@x\nrcpt b@y\n", 0, 1, NULL },
		{ "v1 unknown key skipped",
		    "version 1\nfrom a@x\nfuture 7\n"
		    "rcpt b@y\n",
		    0, 1, NULL },
		{ "v1 null sender", "version 1\nfrom \nrcpt b@y\n", 0, 1,
		    NULL },
		{ "v1 recipients gone", "version 1\nfrom a@x\n", 0,
		    QUEUE_DAMAGED, "lists no recipients" },
		{ "empty file", "", 0, QUEUE_DAMAGED,
		    "does not start with a version line" },
		{ "no from", "version 1\nrcpt b@y\n", 0, QUEUE_DAMAGED,
		    "names no sender" },
		{ "other version", "version 3\nfrom a@x\n", 0, QUEUE_DAMAGED,
		    "is in an unknown format (version 3)" },
		{ "version 2 without its end",
		    "version 2\nfrom a@x\nrcpt b@y\n", 0, QUEUE_DAMAGED,
		    "is torn: it has no end line" },
		{ "torn last line", "version 1\nfrom a@x\nrcpt b@", 0,
		    QUEUE_DAMAGED, "is torn: line 3 is cut" },
		{ "only a version", "version 1", 0, QUEUE_DAMAGED,
		    "is torn: it holds only a version line" },
		{ "line without a space", "version 1\nfrom a@x\nrcpt\n", 0,
		    QUEUE_DAMAGED, "has a bad line 3 (not \"key value\")" },
		{ "bad number", "version 1\nfrom a@x\nattempts many\n", 0,
		    QUEUE_DAMAGED, "has a bad value on line 3 (attempts)" },
		{ "negative number", "version 1\nfrom a@x\nsize -1\n", 0,
		    QUEUE_DAMAGED, "has a bad value on line 3 (size)" },
		{ "flag out of range", "version 1\nfrom a@x\neightbit 2\n", 0,
		    QUEUE_DAMAGED, "has a bad value on line 3 (eightbit)" },
		{ "NUL byte", "version 1\nfrom a@x\0\n", 20, QUEUE_DAMAGED,
		    "holds a NUL byte" },
		{ "control byte", "version 1\nfrom a@x\nrcpt b\r@y\n", 0,
		    QUEUE_DAMAGED, "has a control byte on line 3" },
		{ "tab", "version 1\nfrom\ta@x\nrcpt b@y\n", 0, QUEUE_DAMAGED,
		    "has a control byte on line 2" },
	};
	struct queue	      q;
	struct queue_entry    e;
	struct queue_envelope v;
	struct queue_info     info;
	char		      dir[PATH_MAX], path[PATH_MAX * 2];
	char		      id[QUEUE_ID_MAX], want[256];
	size_t		      i;

	snprintf(dir, sizeof(dir), "%s/damaged", base);
	if (queue_open(&q, dir, err, sizeof(err)) == -1 ||
	    make_entry(&q, "x\n", 0, id) == -1) {
		ok(0, "damaged: setup: %s", err);
		return;
	}
	snprintf(path, sizeof(path), "%s/new/%s.env", dir, id);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_text(path, cases[i].text,
		    cases[i].len ? cases[i].len : strlen(cases[i].text));
		if (cases[i].why != NULL)
			snprintf(want, sizeof(want),
			    "damaged: the envelope "
			    "%s",
			    cases[i].why);
		err[0] = '\0';
		is_int(queue_peek(&q, "new", id, time(NULL), &v, &info, err,
			   sizeof(err)),
		    1, "damaged %s: queue_peek", cases[i].name);
		is_int(info.state, cases[i].why ? QS_DAMAGED : QS_QUEUED,
		    "damaged %s: listed as %s", cases[i].name,
		    cases[i].why ? "damaged" : "queued");
		is_str(info.reason, cases[i].why ? want : "",
		    "damaged %s: "
		    "listed reason",
		    cases[i].name);
		queue_envelope_free(&v);
		is_int(queue_lock(&q, id, &e, err, sizeof(err)), cases[i].want,
		    "damaged %s: queue_lock", cases[i].name);
		if (cases[i].why != NULL)
			is_str(err, want, "damaged %s: reason", cases[i].name);
		ok(e.fd >= 0, "damaged %s: locked all the same", cases[i].name);
		queue_entry_free(&e);
	}
	queue_close(&q);
}

/* The envelope's text: round trip, and every change to it is seen. */
/*
 * An envelope exactly as the release before seen, waited, msgid and
 * about wrote it still reads, those as 0 and NULL; and one with keys
 * this version does not know is read, the keys skipped.
 */
static void
test_envfile_compat(void)
{
	static const char old[] =
	    "version 2\nfrom f@x.example\n"
	    "created 1700000000\nnext 1700000123\nattempts 2\neightbit 0\n"
	    "smtputf8 0\nsize 160\nbounce 0\nlast 451 4.3.0 Try again\n"
	    "msglen 155\nmsgcrc 0badf00d\nrcpt a@y.example\n";
	static const char newer[] =
	    "version 2\nfrom f@x.example\n"
	    "created 1700000000\nnext 0\nattempts 0\nsize 160\n"
	    "someday a value\nmsglen 155\nmsgcrc 0badf00d\nrcpt a@y.example\n";
	struct queue_envelope w;
	char		      why[160];

	is_int(envfile_parse(&w, seal(old), strlen(seal(old)), why,
		   sizeof(why)),
	    0, "envfile: as the previous release wrote it");
	ok(w.seen == 0 && w.waited == 0 && w.msgid == NULL && w.about == NULL &&
		w.attempts == 2 && w.created == 1700000000,
	    "envfile: previous release: new fields 0, the rest kept");
	queue_envelope_free(&w);
	is_int(envfile_parse(&w, seal(newer), strlen(seal(newer)), why,
		   sizeof(why)),
	    0, "envfile: an unknown key is skipped");
	queue_envelope_free(&w);
}

static void
test_envfile(void)
{
	struct queue_envelope v, w;
	struct buf	      b = { 0 };
	char		      why[160], *text, wantenv[2048];
	size_t		      i;
	int		      missed = 0;

	memset(&v, 0, sizeof(v));
	fill_envelope(&v);
	v.has_sum = 1;
	v.msglen = 12133;
	v.msgcrc = 0xdeadbeef;
	snprintf(wantenv, sizeof(wantenv), "%s", env_string(&v));
	is_int(envfile_format(&v, &b), 0, "envfile: format");
	ok(strncmp(b.data, "version 2\n", 10) == 0, "envfile: version 2");
	ok(strstr(b.data, "\nmsglen 12133\nmsgcrc deadbeef\n") != NULL,
	    "envfile: data length and CRC");
	is_int(envfile_parse(&w, b.data, b.len, why, sizeof(why)), 0,
	    "envfile: parse");
	is_str(env_string(&w), wantenv, "envfile: round trip");
	ok(w.has_sum && w.msglen == 12133 && w.msgcrc == 0xdeadbeef &&
		w.version == 2 && !w.damaged,
	    "envfile: sums round trip");
	queue_envelope_free(&w);

	/* flip a bit of any byte, or cut it anywhere: never accepted */
	text = strdup(b.data);
	for (i = 0; i < b.len; i++) {
		text[i] ^= 0x01;
		if (envfile_parse(&w, text, b.len, why, sizeof(why)) == 0)
			missed++;
		queue_envelope_free(&w);
		text[i] ^= 0x01;
		if (envfile_parse(&w, text, i, why, sizeof(why)) == 0)
			missed++;
		queue_envelope_free(&w);
	}
	is_int(missed, 0, "envfile: every changed byte and every cut seen");
	free(text);

	/* a line removed (a recipient) */
	buf_reset(&b);
	envfile_format(&v, &b);
	text = strstr(b.data, "rcpt b@y.example\n");
	memmove(text, text + 17, strlen(text + 17) + 1);
	is_int(envfile_parse(&w, b.data, strlen(b.data), why, sizeof(why)), -1,
	    "envfile: a recipient line removed");
	is_str(why, "is garbled: its checksum does not match",
	    "envfile: "
	    "removed line: reason");
	is_str(w.from, "f@x.example",
	    "envfile: garbled: what could be read "
	    "is kept");
	queue_envelope_free(&w);

	/* a reply with a line break stays on its line */
	free(v.last_reply);
	v.last_reply = strdup("421 a\r\nRCPT TO:<x>");
	buf_reset(&b);
	envfile_format(&v, &b);
	is_int(envfile_parse(&w, b.data, b.len, why, sizeof(why)), 0,
	    "envfile: CR LF in a reply: parses");
	is_str(w.last_reply, "421 a  RCPT TO:<x>",
	    "envfile: CR LF as "
	    "spaces");
	is_int((long)w.nrcpts, 3, "envfile: CR LF: no recipient added");
	queue_envelope_free(&w);

	/* damaged: no sender needed; otherwise the sums are */
	queue_envelope_free(&v);
	memset(&v, 0, sizeof(v));
	v.damaged = 1;
	v.last_reply = strdup("damaged: the data file is missing");
	buf_reset(&b);
	envfile_format(&v, &b);
	is_int(envfile_parse(&w, b.data, b.len, why, sizeof(why)), 0,
	    "envfile: damaged, sender unknown");
	ok(w.damaged && w.from == NULL, "envfile: damaged round trip");
	queue_envelope_free(&w);
	is_int(envfile_parse(&w, seal("version 2\nfrom a@x\nrcpt b@y\n"),
		   strlen(seal("version 2\nfrom a@x\nrcpt b@y\n")), why,
		   sizeof(why)),
	    -1, "envfile: version 2 without sums");
	is_str(why, "has no checksum of the data file",
	    "envfile: no sums: "
	    "reason");
	queue_envelope_free(&w);
	queue_envelope_free(&v);
	buf_free(&b);
	test_envfile_compat();
}

/* --requeue's restart of the expiry clock: which fields, and only those. */
static void
test_restart(void)
{
	struct queue_envelope v;
	char		      want[2048];

	memset(&v, 0, sizeof(v));
	fill_envelope(&v);
	queue_envelope_restart(&v, 1800000000);
	ok(v.attempts == 0 && v.next_attempt == 0 && v.seen == 1800000000 &&
		v.waited == 0,
	    "restart: attempts, next, seen and waited reset");
	v.attempts = 2;
	v.next_attempt = 1700000123;
	v.seen = 1700000456;
	v.waited = 98765;
	snprintf(want, sizeof(want), "%s", env_string(&v));
	queue_envelope_free(&v);
	memset(&v, 0, sizeof(v));
	fill_envelope(&v);
	is_str(env_string(&v), want, "restart: every other field kept");
	queue_envelope_free(&v);
}

/* What a crash leaves behind, and damaged entries, as queue_lock() sees. */
static void
test_leftovers(void)
{
	struct queue	      q;
	struct queue_entry    e, e2;
	struct queue_envelope v;
	struct queue_info     info;
	char		      dir[PATH_MAX], a[PATH_MAX * 2];
	char		      b[PATH_MAX * 2], id[QUEUE_ID_MAX];
	time_t		      now = time(NULL);

	snprintf(dir, sizeof(dir), "%s/leftovers", base);
	if (queue_open(&q, dir, err, sizeof(err)) == -1) {
		ok(0, "leftovers: open: %s", err);
		return;
	}

	/* a commit or removal cut after the .env left: not an entry;
	 * removed once an hour old */
	make_entry(&q, "x\n", 0, id);
	snprintf(a, sizeof(a), "%s/new/%s.env", dir, id);
	snprintf(b, sizeof(b), "%s/tmp/%s.env", dir, id);
	rename(a, b);
	is_int(queue_peek(&q, "new", id, now, &v, &info, err, sizeof(err)), 0,
	    "interrupted commit: not listed");
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), 0,
	    "interrupted "
	    "commit: not locked");
	ok(exists(dir, "new", id, ".msg") && exists(dir, "tmp", id, ".env"),
	    "interrupted commit: kept while young");
	snprintf(a, sizeof(a), "%s/new/%s.msg", dir, id);
	age_file(a, 2);
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), 0,
	    "interrupted "
	    "commit, old: not locked");
	ok(!exists(dir, "new", id, ".msg") && !exists(dir, "tmp", id, ".env"),
	    "interrupted commit, old: removed");

	/* the envelope lost: damaged, to failed/ with the data */
	make_entry(&q, "x\n", 0, id);
	snprintf(a, sizeof(a), "%s/new/%s.env", dir, id);
	unlink(a);
	is_int(queue_peek(&q, "new", id, now, &v, &info, err, sizeof(err)), 1,
	    "envelope lost: listed");
	is_int(info.state, QS_DAMAGED, "envelope lost: as damaged");
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), QUEUE_DAMAGED,
	    "envelope lost: damaged");
	is_str(err, "damaged: the envelope is missing",
	    "envelope lost: "
	    "reason");
	is_int(queue_quarantine(&q, &e, err, err, sizeof(err)), 0,
	    "envelope lost: quarantined");
	queue_entry_free(&e);
	ok(exists(dir, "failed", id, ".msg") &&
		exists(dir, "failed", id, ".env") &&
		!exists(dir, "failed", id, ".env.orig") &&
		count_files(dir, "new") == 0 && count_files(dir, "tmp") == 0,
	    "envelope lost: data and a new envelope in failed/");
	is_int(queue_peek(&q, "failed", id, now, &v, &info, err, sizeof(err)),
	    1, "envelope lost: listed in failed/");
	ok(info.state == QS_DAMAGED && v.damaged && v.last_reply != NULL &&
		strcmp(v.last_reply, "damaged: the envelope is missing") == 0,
	    "envelope lost: failed/ says damaged, and why");
	queue_envelope_free(&v);

	/* the data lost: damaged, the envelope kept as .env.orig */
	make_entry(&q, "x\n", 0, id);
	snprintf(a, sizeof(a), "%s/new/%s.msg", dir, id);
	unlink(a);
	is_int(queue_peek(&q, "new", id, now, &v, &info, err, sizeof(err)), 1,
	    "data lost: listed");
	is_str(info.reason, "damaged: the data file is missing",
	    "data lost: "
	    "listed as damaged");
	queue_envelope_free(&v);
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), QUEUE_DAMAGED,
	    "data lost: damaged");
	is_str(err, "damaged: the data file is missing", "data lost: reason");
	is_int(queue_lock(&q, id, &e2, err, sizeof(err)), 0,
	    "data lost: "
	    "the envelope is locked");
	is_int(queue_quarantine(&q, &e, "damaged: the data file is missing",
		   err, sizeof(err)),
	    0, "data lost: quarantined");
	queue_entry_free(&e);
	ok(!exists(dir, "failed", id, ".msg") &&
		exists(dir, "failed", id, ".env") &&
		exists(dir, "failed", id, ".env.orig") &&
		count_files(dir, "new") == 0 && count_files(dir, "tmp") == 0,
	    "data lost: new and old envelope in failed/");
	is_int(queue_peek(&q, "failed", id, now, &v, &info, err, sizeof(err)),
	    1, "data lost: listed in failed/");
	ok(info.state == QS_DAMAGED && v.from != NULL &&
		strcmp(v.from, "f@x.example") == 0,
	    "data lost: sender kept");
	queue_envelope_free(&v);

	/* a move to failed/ cut after its commit point: finished */
	make_entry(&q, "x\n", 0, id);
	snprintf(a, sizeof(a), "%s/new/%s.msg", dir, id);
	snprintf(b, sizeof(b), "%s/failed/%s.msg", dir, id);
	link(a, b);
	snprintf(b, sizeof(b), "%s/failed/%s.env", dir, id);
	write_text(b, "version 1\nfrom a@x\nrcpt b@y\n", 28);
	is_int(queue_peek(&q, "new", id, now, &v, &info, err, sizeof(err)), 0,
	    "move to failed/ cut: not listed in new/");
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), 0,
	    "move to failed/ "
	    "cut: not locked");
	ok(count_files(dir, "new") == 0 && exists(dir, "failed", id, ".msg"),
	    "move to failed/ cut: finished");

	/* ... cut before it: the entry stays queued, and its link goes
	 * with it when it is delivered */
	make_entry(&q, "x\n", 0, id);
	snprintf(a, sizeof(a), "%s/new/%s.msg", dir, id);
	snprintf(b, sizeof(b), "%s/failed/%s.msg", dir, id);
	link(a, b);
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), 1,
	    "move to failed/ "
	    "cut early: locked");
	is_int(queue_remove(&q, &e, err, sizeof(err)), 0,
	    "move to failed/ "
	    "cut early: removed");
	queue_entry_free(&e);
	ok(count_files(dir, "new") == 0 && count_files(dir, "tmp") == 0 &&
		!exists(dir, "failed", id, ".msg"),
	    "move to failed/ cut "
	    "early: nothing left");
	queue_close(&q);
}

/* The data file is checked against the envelope before it is sent. */
static void
test_verify(void)
{
	static const char     data[] = "Subject: x\n\nhello\n";
	struct queue	      q;
	struct queue_entry    e;
	struct queue_envelope v;
	struct queue_info     info;
	char		      dir[PATH_MAX], path[PATH_MAX * 2];
	char		      id[QUEUE_ID_MAX], buf[64], want[128];
	ssize_t		      n;
	int		      fd;

	snprintf(dir, sizeof(dir), "%s/verify", base);
	if (queue_open(&q, dir, err, sizeof(err)) == -1 ||
	    make_entry(&q, data, 0, id) == -1) {
		ok(0, "verify: setup: %s", err);
		return;
	}
	snprintf(path, sizeof(path), "%s/new/%s.msg", dir, id);
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), 1, "verify: lock");
	is_int(queue_verify(&e, err, sizeof(err)), 0, "verify: intact");
	n = queue_read(&e, buf, sizeof(buf));
	is_int(n, (long)sizeof(data) - 1, "verify: read");
	is_int(queue_read(&e, buf, sizeof(buf)), 0, "verify: then the end");

	/* changed after the check (same length): the end is an error */
	fd = open(path, O_WRONLY);
	if (fd == -1 || pwrite(fd, "X", 1, 3) != 1)
		ok(0, "verify: cannot change %s", path);
	queue_rewind(&e);
	n = queue_read(&e, buf, sizeof(buf));
	errno = 0;
	ok(n == (ssize_t)sizeof(data) - 1 &&
		queue_read(&e, buf, sizeof(buf)) == -1 && errno == EIO,
	    "verify: a change after the "
	    "check fails the read at the end");
	queue_entry_free(&e);
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), 1,
	    "verify: changed: "
	    "lock");
	is_int(queue_verify(&e, err, sizeof(err)), QUEUE_DAMAGED,
	    "verify: "
	    "changed: damaged");
	is_str(err, "damaged: the data file does not match its checksum",
	    "verify: changed: reason");
	queue_entry_free(&e);

	/* truncated: seen by the listing too (by its size) */
	if (fd == -1 || ftruncate(fd, 3) == -1)
		ok(0, "verify: cannot truncate %s", path);
	if (fd != -1)
		close(fd);
	is_int(queue_peek(&q, "new", id, time(NULL), &v, &info, err,
		   sizeof(err)),
	    1, "verify: truncated: listed");
	snprintf(want, sizeof(want),
	    "damaged: the data file has 3 bytes, the "
	    "envelope says %zu",
	    sizeof(data) - 1);
	is_str(info.reason, want, "verify: truncated: listed as damaged");
	queue_envelope_free(&v);
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), 1,
	    "verify: "
	    "truncated: lock");
	is_int(queue_verify(&e, err, sizeof(err)), QUEUE_DAMAGED,
	    "verify: "
	    "truncated: damaged");
	is_str(err, want, "verify: truncated: reason");
	queue_entry_free(&e);

	/* version 1 (no sums): taken as it is, and summed from now on */
	snprintf(path, sizeof(path), "%s/new/%s.env", dir, id);
	write_text(path, "version 1\nfrom a@x\nrcpt b@y\n", 28);
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), 1,
	    "verify: v1: "
	    "lock");
	is_int(queue_verify(&e, err, sizeof(err)), 0, "verify: v1: taken");
	ok(e.env.has_sum && e.env.msglen == 3, "verify: v1: sums kept");
	is_int(queue_update(&q, &e, err, sizeof(err)), 0,
	    "verify: v1: "
	    "update");
	queue_entry_free(&e);
	is_int(queue_peek(&q, "new", id, time(NULL), &v, &info, err,
		   sizeof(err)),
	    1, "verify: v1 updated: listed");
	ok(v.version == 2 && v.has_sum && v.msglen == 3,
	    "verify: v1 "
	    "updated: written as version 2 with its sums");
	queue_envelope_free(&v);
	queue_close(&q);
}

/* Leftovers in tmp/ go after an hour, unless their writer is alive. */
static void
test_clean(void)
{
	static const struct {
		const char *file;
		int	    old;
		int	    removed;
	} cases[] = {
		{ "tmp/1.1.00000001.msg", 1, 1 },
		{ "tmp/1.1.00000002.msg", 0, 0 },
		{ "tmp/1.1.00000003.env", 1, 1 },
		{ "tmp/1.1.00000004.new", 1, 1 },
		/* an interrupted commit: left for queue_lock() */
		{ "new/1.1.00000005.msg", 1, 0 },
		{ "tmp/1.1.00000005.env", 1, 0 },
	};
	struct queue	   q;
	struct queue_entry e;
	char		   dir[PATH_MAX], path[PATH_MAX * 2];
	size_t		   i;

	snprintf(dir, sizeof(dir), "%s/clean", base);
	if (queue_open(&q, dir, err, sizeof(err)) == -1) {
		ok(0, "clean: open: %s", err);
		return;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, cases[i].file);
		write_text(path, "version 1\nfrom a@x\n", 19);
		age_file(path, cases[i].old ? 2 : 0);
	}
	/* a slow writer: its file is old, but it holds the lock */
	queue_create(&q, &e, err, sizeof(err));
	queue_write(&e, "Subject: x\n", 11, err, sizeof(err));
	snprintf(path, sizeof(path), "%s/tmp/%s.msg", dir, e.id);
	age_file(path, 2);
	queue_clean(&q, time(NULL));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, cases[i].file);
		is_int(access(path, F_OK) == -1, cases[i].removed,
		    "clean: %s "
		    "%s",
		    cases[i].file, cases[i].removed ? "removed" : "kept");
	}
	ok(exists(dir, "tmp", e.id, ".msg"),
	    "clean: a slow writer's file "
	    "is kept");
	queue_abort(&q, &e);
	queue_entry_free(&e);
	queue_close(&q);
}

/* The ids -qI accepts: those queue_create() makes, nothing else. */
static void
test_id_valid(void)
{
	static const struct {
		const char *id;
		int	    valid;
	} cases[] = {
		{ "1767225600.123456.0123abcd", 1 },
		{ "0000000001.000000.00000000", 1 },
		{ "1.2.ffffffff", 1 },
		{ "1.2.nosuchid", 0 },
		{ "1767225600.123456.0123ABCD", 0 },  /* new_id() writes %x */
		{ "1767225600.123456.0123abc", 0 },   /* 7 hex digits */
		{ "1767225600.123456.0123abcde", 0 }, /* 9 */
		{ "1767225600.0123abcd", 0 },
		{ "1767225600..0123abcd", 0 },
		{ ".123456.0123abcd", 0 },
		{ "../new/1.2.0123abcd", 0 },
		{ "1.2.0123abcd/", 0 },
		{ "1.2.0123abcd.msg", 0 },
		{ "", 0 },
	};
	struct queue	   q = { NULL };
	struct queue_entry e;
	char		   dir[PATH_MAX];
	size_t		   i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(queue_id_valid(cases[i].id), cases[i].valid,
		    "queue id \"%s\"", cases[i].id);
	snprintf(dir, sizeof(dir), "%s/ids", base);
	if (queue_open(&q, dir, err, sizeof(err)) == -1 ||
	    queue_create(&q, &e, err, sizeof(err)) == -1) {
		ok(0, "queue id: make an entry: %s", err);
		queue_close(&q);
		return;
	}
	ok(queue_id_valid(e.id),
	    "queue id: queue_create() makes a valid "
	    "one (%s)",
	    e.id);
	queue_abort(&q, &e);
	queue_entry_free(&e);
	queue_close(&q);
}

/* Move the entry id of new/ to failed/ as refused, with reason. */
static int
fail_entry(struct queue *q, const char *id, const char *reason)
{
	struct queue_entry e;
	int		   rc = -1;

	if (queue_lock(q, id, &e, err, sizeof(err)) == 1)
		rc = queue_fail(q, &e, reason, err, sizeof(err));
	queue_entry_free(&e);
	return rc;
}

/* failed/ back to new/ (queue_requeue()), and what it refuses. */
static void
test_requeue(void)
{
	struct queue	   q;
	struct queue_entry e;
	char		   dir[PATH_MAX], a[PATH_MAX * 2];
	char		   b[PATH_MAX * 2], id[QUEUE_ID_MAX], was[256];
	time_t		   now = time(NULL);

	snprintf(dir, sizeof(dir), "%s/requeue", base);
	if (queue_open(&q, dir, err, sizeof(err)) == -1 ||
	    make_entry(&q, "Subject: x\n\nbody\n", 1, id) == -1 ||
	    fail_entry(&q, id, "550 5.1.1 User unknown") == -1) {
		ok(0, "requeue: setup: %s", err);
		return;
	}
	is_int(queue_requeue(&q, id, now, was, sizeof(was), err, sizeof(err)),
	    1, "requeue: done");
	is_str(was, "550 5.1.1 User unknown", "requeue: the reason it failed");
	ok(count_files(dir, "failed") == 0 && count_files(dir, "tmp") == 0 &&
		exists(dir, "new", id, ".msg") &&
		exists(dir, "new", id, ".env"),
	    "requeue: in new/, nothing left in failed/ or tmp/");
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), 1,
	    "requeue: locked "
	    "as a queued entry");
	ok(e.env.attempts == 0 && e.env.next_attempt == 0 &&
		e.env.seen == now && e.env.waited == 0 &&
		e.env.created == 1700000000 && e.env.nrcpts == 3 &&
		strcmp(e.env.last_reply, "550 5.1.1 User unknown") == 0 &&
		e.env.dsn_notify != NULL && e.env.is_bounce,
	    "requeue: clock restarted, the rest (arrival time too) kept");
	is_int(queue_verify(&e, err, sizeof(err)), 0,
	    "requeue: the data "
	    "matches its checksum");
	queue_entry_free(&e);
	is_int(queue_requeue(&q, id, now, was, sizeof(was), err, sizeof(err)),
	    0, "requeue: not in failed/ any more");
	is_int(queue_requeue(&q, "../new/x", now, was, sizeof(was), err,
		   sizeof(err)),
	    -1, "requeue: an id that is a path");

	/* cut short before failed/ID.env goes: a queue run finishes it as
	 * the move to failed/ it looks like; the requeue can be redone */
	fail_entry(&q, id, "550 5.1.1 User unknown");
	snprintf(a, sizeof(a), "%s/failed/%s.msg", dir, id);
	snprintf(b, sizeof(b), "%s/new/%s.msg", dir, id);
	link(a, b);
	snprintf(a, sizeof(a), "%s/failed/%s.env", dir, id);
	snprintf(b, sizeof(b), "%s/new/%s.env", dir, id);
	link(a, b);
	is_int(queue_lock(&q, id, &e, err, sizeof(err)), 0,
	    "requeue cut "
	    "short: not a queued entry");
	ok(count_files(dir, "new") == 0 && exists(dir, "failed", id, ".msg") &&
		exists(dir, "failed", id, ".env"),
	    "requeue cut short: still in "
	    "failed/");
	snprintf(b, sizeof(b), "%s/new/%s.msg", dir, id);
	snprintf(a, sizeof(a), "%s/failed/%s.msg", dir, id);
	link(a, b);
	is_int(queue_requeue(&q, id, now, was, sizeof(was), err, sizeof(err)),
	    1, "requeue cut short: redone over its link");
	ok(count_files(dir, "failed") == 0 && count_files(dir, "new") == 2,
	    "requeue cut short: redone");

	/* damaged: refused, left as it is */
	if (queue_lock(&q, id, &e, err, sizeof(err)) == 1)
		queue_quarantine(&q, &e, "damaged: the envelope is torn", err,
		    sizeof(err));
	queue_entry_free(&e);
	is_int(queue_requeue(&q, id, now, was, sizeof(was), err, sizeof(err)),
	    QUEUE_DAMAGED, "requeue: damaged refused");
	is_str(err, "damaged: the envelope is torn", "requeue: damaged, why");
	ok(exists(dir, "failed", id, ".msg") && count_files(dir, "new") == 0,
	    "requeue: damaged left in failed/");

	/* a data file changed in failed/: refused */
	make_entry(&q, "Subject: y\n\nbody\n", 0, id);
	fail_entry(&q, id, "expired");
	snprintf(a, sizeof(a), "%s/failed/%s.msg", dir, id);
	write_text(a, "Subject: z\n\nbody\n", 17);
	is_int(queue_requeue(&q, id, now, was, sizeof(was), err, sizeof(err)),
	    QUEUE_DAMAGED, "requeue: changed data refused");
	is_str(err, "damaged: the data file does not match its checksum",
	    "requeue: changed data, why");
	/* an envelope without its data file: refused */
	unlink(a);
	is_int(queue_requeue(&q, id, now, was, sizeof(was), err, sizeof(err)),
	    QUEUE_DAMAGED, "requeue: no data file refused");
	queue_close(&q);
}

int
main(void)
{
	char cmd[PATH_MAX + 16];

	umask(022);
	if (mkdtemp(base) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return done_testing();
	}
	test_open();
	test_entry();
	test_foreach();
	test_damaged();
	test_envfile();
	test_leftovers();
	test_verify();
	test_clean();
	test_restart();
	test_id_valid();
	test_requeue();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", base);
	return done_testing();
}
