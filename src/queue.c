/*
 * queue.c - the spool; see queue.h.
 *
 * Layout under [queue] dir:
 *   tmp/ID.msg, tmp/ID.env   being written; never delivered from
 *   new/ID.msg, new/ID.env   queued: an entry exists when its .env does
 *   failed/ID.msg, .env      refused for good or expired, kept for people
 *
 * Durability recipe (every entry, before anything is sent to the relay):
 *   1. create tmp/ID.msg with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600;
 *   2. write the message, fsync it;
 *   3. write tmp/ID.env the same way, fsync it;
 *   4. rename the .msg, then the .env, into new/; fsync new/.
 * A crash before step 4 leaves only tmp/ files, which were never
 * acknowledged.  A crash between the two renames leaves a .msg without
 * .env in new/, likewise never acknowledged; -q removes such leftovers
 * once they are an hour old.
 *
 * Locking: a deliverer holds flock(LOCK_EX) on new/ID.msg, which is never
 * replaced while queued (the .env is, by rename), and checks after
 * locking that the .env still exists: an entry delivered and removed by
 * another process in between is skipped.
 *
 * The .env file is text, one "key value" line each; addresses were
 * checked for control bytes before they got here:
 *   version 1 | from ADDR | created T | next T | attempts N | eightbit 0/1
 *   smtputf8 0/1 | size N | notify X | ret X | envid X | bounce 0/1
 *   last TEXT | rcpt ADDR (one line per recipient still to deliver)
 */

#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "privilege.h"
#include "queue.h"

static const char *const subdirs[] = { "tmp", "new", "failed" };

static int
path_of(char *out, size_t outlen, const struct queue *q, const char *sub,
    const char *id, const char *ext)
{
	int	 n;

	n = snprintf(out, outlen, "%s/%s/%s%s", q->dir, sub, id, ext);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* unlink sub/ID.ext; a file already gone is fine. */
static int
remove_file(const struct queue *q, const char *sub, const char *id,
    const char *ext)
{
	char	 path[PATH_MAX];

	if (path_of(path, sizeof(path), q, sub, id, ext) == -1)
		return -1;
	return unlink(path) == -1 && errno != ENOENT ? -1 : 0;
}

static int
check_dir(const char *path, char *err, size_t errlen)
{
	struct stat	 st;

	if (lstat(path, &st) == -1) {
		snprintf(err, errlen, "queue directory %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "queue directory %s is not a directory",
		    path);
		return -1;
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errlen, "queue directory %s is writable by "
		    "others: chmod o-w %s", path, path);
		return -1;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen, "queue directory %s belongs to uid %u, "
		    "not to us or root", path, (unsigned int)st.st_uid);
		return -1;
	}
	return 0;
}

/*
 * Make path if missing, then check it.  A set-group-ID caller other than
 * root must not make any: the directory would belong to that user, who
 * could then rename other users' entries, and root's queue run would
 * refuse it.  The administrator (make install) makes them instead.
 */
static int
ensure_dir(const char *path, mode_t mode, char *err, size_t errlen)
{
	if (privilege_is_setgid() && getuid() != 0) {
		if (access(path, F_OK) == -1 && errno == ENOENT) {
			snprintf(err, errlen, "queue directory %s is missing: "
			    "as root, make it owned by root and the group of "
			    "cfsendmail, mode 2770 (make install does)", path);
			return -1;
		}
	} else if (mkdir(path, mode) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create queue directory %s: %s",
		    path, strerror(errno));
		return -1;
	}
	return check_dir(path, err, errlen);
}

int
queue_open(struct queue *q, const char *dir, char *err, size_t errlen)
{
	char	 path[PATH_MAX];
	size_t	 i;
	mode_t	 dmode;

	if ((q->dir = strdup(dir)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	q->mode = privilege_is_setgid() ? 0660 : 0600;
	dmode = privilege_is_setgid() ? 0770 : 0700;
	if (ensure_dir(dir, dmode, err, errlen) == -1)
		goto fail;
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, subdirs[i]) >=
		    (int)sizeof(path)) {
			snprintf(err, errlen, "queue directory name too long");
			goto fail;
		}
		if (ensure_dir(path, dmode, err, errlen) == -1)
			goto fail;
	}
	return 0;
fail:
	queue_close(q);
	return -1;
}

void
queue_close(struct queue *q)
{
	free(q->dir);
	q->dir = NULL;
}

/* Time first, so that ids sort by age; then random bits for uniqueness. */
static int
new_id(char *id, size_t idlen)
{
	struct timespec	 ts;
	unsigned int	 r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(id, idlen, "%010lld.%06ld.%08x", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000, r);
	return 0;
}

int
queue_id_valid(const char *id)
{
	size_t	 n;

	if ((n = strspn(id, "0123456789")) == 0 || id[n] != '.')
		return 0;
	id += n + 1;
	if ((n = strspn(id, "0123456789")) == 0 || id[n] != '.')
		return 0;
	id += n + 1;
	return strlen(id) == 8 && strspn(id, "0123456789abcdef") == 8;
}

static int
sync_dir(const struct queue *q, const char *sub)
{
	char	 path[PATH_MAX];
	int	 fd, rc;

	if (snprintf(path, sizeof(path), "%s/%s", q->dir, sub) >=
	    (int)sizeof(path))
		return -1;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
queue_create(struct queue *q, struct queue_entry *e, char *err,
    size_t errlen)
{
	char	 path[PATH_MAX];

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	if (new_id(e->id, sizeof(e->id)) == -1 ||
	    path_of(path, sizeof(path), q, "tmp", e->id, ".msg") == -1) {
		snprintf(err, errlen, "cannot make a queue id: %s",
		    strerror(errno));
		return -1;
	}
	e->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    q->mode);
	if (e->fd == -1) {
		snprintf(err, errlen, "cannot create queue file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
queue_write(struct queue_entry *e, const void *p, size_t len, char *err,
    size_t errlen)
{
	const char	*b = p;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(e->fd, b, len)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot write queue file %s: %s",
			    e->id, strerror(errno));
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
env_format(const struct queue_envelope *v, struct buf *b)
{
	size_t	 i;
	int	 rc = 0;

	rc |= buf_addf(b, "version 1\nfrom %s\ncreated %lld\nnext %lld\n"
	    "attempts %d\neightbit %d\nsmtputf8 %d\nsize %lld\nbounce %d\n",
	    v->from, (long long)v->created, (long long)v->next_attempt,
	    v->attempts, v->eightbit, v->smtputf8, v->size, v->is_bounce);
	if (v->dsn_notify != NULL)
		rc |= buf_addf(b, "notify %s\n", v->dsn_notify);
	if (v->dsn_ret != NULL)
		rc |= buf_addf(b, "ret %s\n", v->dsn_ret);
	if (v->envid != NULL)
		rc |= buf_addf(b, "envid %s\n", v->envid);
	if (v->last_reply != NULL)
		rc |= buf_addf(b, "last %s\n", v->last_reply);
	for (i = 0; i < v->nrcpts; i++)
		rc |= buf_addf(b, "rcpt %s\n", v->rcpts[i]);
	return rc == 0 ? 0 : -1;
}

static int
set_str(char **field, const char *value)
{
	free(*field);
	return (*field = strdup(value)) == NULL ? -1 : 0;
}

static int
add_rcpt(struct queue_envelope *v, const char *value)
{
	char	**r;

	r = reallocarray(v->rcpts, v->nrcpts + 1, sizeof(*r));
	if (r == NULL)
		return -1;
	v->rcpts = r;
	if ((r[v->nrcpts] = strdup(value)) == NULL)
		return -1;
	v->nrcpts++;
	return 0;
}

static int
env_line(struct queue_envelope *v, const char *key, const char *value)
{
	const char	*errstr = NULL;

	if (strcmp(key, "version") == 0)
		return strcmp(value, "1") == 0 ? 0 : -1;
	if (strcmp(key, "from") == 0)
		return set_str(&v->from, value);
	if (strcmp(key, "rcpt") == 0)
		return add_rcpt(v, value);
	if (strcmp(key, "notify") == 0)
		return set_str(&v->dsn_notify, value);
	if (strcmp(key, "ret") == 0)
		return set_str(&v->dsn_ret, value);
	if (strcmp(key, "envid") == 0)
		return set_str(&v->envid, value);
	if (strcmp(key, "last") == 0)
		return set_str(&v->last_reply, value);
	if (strcmp(key, "created") == 0)
		v->created = strtonum(value, 0, LLONG_MAX, &errstr);
	else if (strcmp(key, "next") == 0)
		v->next_attempt = strtonum(value, 0, LLONG_MAX, &errstr);
	else if (strcmp(key, "attempts") == 0)
		v->attempts = strtonum(value, 0, INT_MAX, &errstr);
	else if (strcmp(key, "eightbit") == 0)
		v->eightbit = strtonum(value, 0, 1, &errstr);
	else if (strcmp(key, "smtputf8") == 0)
		v->smtputf8 = strtonum(value, 0, 1, &errstr);
	else if (strcmp(key, "size") == 0)
		v->size = strtonum(value, 0, LLONG_MAX, &errstr);
	else if (strcmp(key, "bounce") == 0)
		v->is_bounce = strtonum(value, 0, 1, &errstr);
	/* unknown keys are skipped: a newer version may add some */
	return errstr == NULL ? 0 : -1;
}

static int
env_parse(struct queue_envelope *v, char *text)
{
	char	*line, *next, *sp;

	memset(v, 0, sizeof(*v));
	for (line = text; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) == NULL)
			return -1;	/* a torn last line */
		*next++ = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			return -1;
		*sp = '\0';
		if (env_line(v, line, sp + 1) == -1)
			return -1;
	}
	return v->from != NULL ? 0 : -1;
}

void
queue_envelope_free(struct queue_envelope *v)
{
	size_t	 i;

	for (i = 0; i < v->nrcpts; i++)
		free(v->rcpts[i]);
	free(v->rcpts);
	free(v->from);
	free(v->dsn_notify);
	free(v->dsn_ret);
	free(v->envid);
	free(v->last_reply);
	memset(v, 0, sizeof(*v));
}

/* Write tmp/ID.env durably; the caller renames it into place. */
static int
write_env(struct queue *q, const struct queue_entry *e, char *err,
    size_t errlen)
{
	struct buf	 b = { 0 };
	char		 path[PATH_MAX];
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd = -1, rc = -1;

	if (env_format(&e->env, &b) == -1 ||
	    path_of(path, sizeof(path), q, "tmp", e->id, ".env") == -1)
		goto fail;
	unlink(path);	/* a leftover of a crash of ours */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    q->mode);
	if (fd == -1)
		goto fail;
	while (off < b.len) {
		if ((n = write(fd, b.data + off, b.len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	rc = 0;
fail:
	if (rc == -1)
		snprintf(err, errlen, "cannot write queue envelope %s: %s",
		    e->id, strerror(errno));
	if (fd != -1)
		close(fd);
	buf_free(&b);
	return rc;
}

static int
move(struct queue *q, const char *id, const char *ext, const char *from,
    const char *to)
{
	char	 src[PATH_MAX], dst[PATH_MAX];

	if (path_of(src, sizeof(src), q, from, id, ext) == -1 ||
	    path_of(dst, sizeof(dst), q, to, id, ext) == -1)
		return -1;
	return rename(src, dst);
}

int
queue_commit(struct queue *q, struct queue_entry *e, char *err,
    size_t errlen)
{
	if (flock(e->fd, LOCK_EX) == -1 || fsync(e->fd) == -1) {
		snprintf(err, errlen, "cannot write queue file %s: %s", e->id,
		    strerror(errno));
		return -1;
	}
	if (write_env(q, e, err, errlen) == -1)
		return -1;
	if (move(q, e->id, ".msg", "tmp", "new") == -1 ||
	    move(q, e->id, ".env", "tmp", "new") == -1 ||
	    sync_dir(q, "new") == -1) {
		snprintf(err, errlen, "cannot queue %s: %s", e->id,
		    strerror(errno));
		return -1;
	}
	e->committed = 1;
	return 0;
}

void
queue_abort(struct queue *q, struct queue_entry *e)
{
	int	 saved = errno;

	if (!e->committed) {
		remove_file(q, "tmp", e->id, ".msg");
		remove_file(q, "tmp", e->id, ".env");
		/* a commit that failed half-way: not acknowledged, so gone */
		remove_file(q, "new", e->id, ".env");
		remove_file(q, "new", e->id, ".msg");
	}
	errno = saved;
}

/* Read a small file (an envelope) into b, NUL-terminated. */
static int
slurp(const char *path, struct buf *b)
{
	char	 chunk[4096];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || buf_add(b, chunk, (size_t)n) == -1) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	return buf_add(b, "", 0);
}

static int
load_env(struct queue *q, const char *sub, const char *id,
    struct queue_envelope *v, char *err, size_t errlen)
{
	struct buf	 b = { 0 };
	char		 path[PATH_MAX];
	int		 rc = -1;

	if (path_of(path, sizeof(path), q, sub, id, ".env") == -1 ||
	    slurp(path, &b) == -1) {
		snprintf(err, errlen, "cannot read queue envelope %s: %s", id,
		    strerror(errno));
		goto done;
	}
	if (memchr(b.data, '\0', b.len) != NULL || env_parse(v, b.data) == -1) {
		queue_envelope_free(v);
		snprintf(err, errlen, "queue envelope %s is damaged", id);
		goto done;
	}
	rc = 0;
done:
	buf_free(&b);
	return rc;
}

int
queue_lock(struct queue *q, const char *id, struct queue_entry *e,
    char *err, size_t errlen)
{
	char	 path[PATH_MAX];

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	if (strlcpy(e->id, id, sizeof(e->id)) >= sizeof(e->id) ||
	    strchr(id, '/') != NULL) {
		snprintf(err, errlen, "invalid queue id %s", id);
		return -1;
	}
	if (path_of(path, sizeof(path), q, "new", id, ".msg") == -1)
		return 0;
	if ((e->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;	/* delivered and removed meanwhile */
	if (flock(e->fd, LOCK_EX | LOCK_NB) == -1)
		goto busy;
	/* locked: but it may have been delivered while we waited */
	if (path_of(path, sizeof(path), q, "new", id, ".env") == -1 ||
	    access(path, F_OK) == -1)
		goto busy;
	if (load_env(q, "new", id, &e->env, err, errlen) == -1) {
		queue_entry_free(e);
		return -1;
	}
	e->committed = 1;
	return 1;
busy:
	queue_entry_free(e);
	return 0;
}

int
queue_update(struct queue *q, struct queue_entry *e, char *err,
    size_t errlen)
{
	if (write_env(q, e, err, errlen) == -1)
		return -1;
	if (move(q, e->id, ".env", "tmp", "new") == -1 ||
	    sync_dir(q, "new") == -1) {
		snprintf(err, errlen, "cannot update queue entry %s: %s",
		    e->id, strerror(errno));
		return -1;
	}
	return 0;
}

int
queue_remove(struct queue *q, struct queue_entry *e, char *err,
    size_t errlen)
{
	/* the .env first: without it the entry no longer exists */
	if (remove_file(q, "new", e->id, ".env") == -1 ||
	    remove_file(q, "new", e->id, ".msg") == -1) {
		snprintf(err, errlen, "cannot remove queue entry %s: %s",
		    e->id, strerror(errno));
		return -1;
	}
	sync_dir(q, "new");
	return 0;
}

int
queue_fail(struct queue *q, struct queue_entry *e, const char *reason,
    char *err, size_t errlen)
{
	if (reason != NULL && set_str(&e->env.last_reply, reason) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (write_env(q, e, err, errlen) == -1)
		return -1;
	/* data first: failed/ID.env appears only with its message */
	if (move(q, e->id, ".msg", "new", "failed") == -1 ||
	    move(q, e->id, ".env", "tmp", "failed") == -1) {
		snprintf(err, errlen, "cannot move %s to failed/: %s", e->id,
		    strerror(errno));
		return -1;
	}
	remove_file(q, "new", e->id, ".env");
	sync_dir(q, "failed");
	sync_dir(q, "new");
	return 0;
}

int
queue_rewind(struct queue_entry *e)
{
	e->off = 0;
	return 0;
}

ssize_t
queue_read(struct queue_entry *e, void *p, size_t len)
{
	ssize_t	 n;

	do
		n = pread(e->fd, p, len, e->off);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		e->off += n;
	return n;
}

void
queue_entry_free(struct queue_entry *e)
{
	if (e->fd != -1)
		close(e->fd);	/* also releases the flock */
	e->fd = -1;
	queue_envelope_free(&e->env);
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids of a subdirectory (names of its .env files), sorted. */
static int
list_ids(struct queue *q, const char *sub, char ***out, size_t *n)
{
	char		 path[PATH_MAX], **v = NULL, **nv;
	struct dirent	*de;
	DIR		*d;
	size_t		 len, count = 0;

	if (snprintf(path, sizeof(path), "%s/%s", q->dir, sub) >=
	    (int)sizeof(path) || (d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 4 || strcmp(de->d_name + len - 4, ".env") != 0)
			continue;
		if ((nv = reallocarray(v, count + 1, sizeof(*v))) == NULL)
			goto fail;
		v = nv;
		if ((v[count] = strndup(de->d_name, len - 4)) == NULL)
			goto fail;
		count++;
	}
	closedir(d);
	if (count > 0)		/* qsort(NULL, 0, ...) is undefined */
		qsort(v, count, sizeof(*v), compare_names);
	*out = v;
	*n = count;
	return 0;
fail:
	closedir(d);
	while (count > 0)
		free(v[--count]);
	free(v);
	return -1;
}

int
queue_foreach(struct queue *q, const char *sub,
    int (*fn)(const char *, void *), void *arg, char *err, size_t errlen)
{
	char	**ids = NULL;
	size_t	 n = 0, i;
	int	 rc = 0;

	if (list_ids(q, sub, &ids, &n) == -1) {
		snprintf(err, errlen, "cannot list the queue %s/%s: %s",
		    q->dir, sub, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0 && fn(ids[i], arg) == -1)
			rc = -1;
		free(ids[i]);
	}
	free(ids);
	if (rc == -1)
		snprintf(err, errlen, "queue run stopped");
	return rc;
}

int
queue_peek(struct queue *q, const char *sub, const char *id,
    struct queue_envelope *v, long long *msgsize, char *err, size_t errlen)
{
	char		 path[PATH_MAX];
	struct stat	 st;

	if (load_env(q, sub, id, v, err, errlen) == -1)
		return -1;
	*msgsize = 0;
	if (path_of(path, sizeof(path), q, sub, id, ".msg") == 0 &&
	    stat(path, &st) == 0)
		*msgsize = st.st_size;
	return 0;
}

/* Is sub/name an orphan older than the limit? */
static int
is_stale(const struct queue *q, const char *sub, const char *name,
    time_t now)
{
	char		 path[PATH_MAX], id[QUEUE_ID_MAX];
	struct stat	 st;
	size_t		 len = strlen(name);

	if (snprintf(path, sizeof(path), "%s/%s/%s", q->dir, sub, name) >=
	    (int)sizeof(path) || lstat(path, &st) == -1 ||
	    !S_ISREG(st.st_mode) || now - st.st_mtime < 3600)
		return 0;
	if (strcmp(sub, "tmp") == 0)
		return 1;
	/* in new/ only a .msg whose .env never arrived */
	if (len <= 4 || strcmp(name + len - 4, ".msg") != 0 ||
	    len - 4 >= sizeof(id))
		return 0;
	memcpy(id, name, len - 4);
	id[len - 4] = '\0';
	return path_of(path, sizeof(path), q, "new", id, ".env") == 0 &&
	    access(path, F_OK) == -1;
}

void
queue_clean(struct queue *q, time_t now)
{
	static const char *const subs[] = { "tmp", "new" };
	char		 path[PATH_MAX];
	struct dirent	*de;
	DIR		*d;
	size_t		 i;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", q->dir, subs[i]) >=
		    (int)sizeof(path) || (d = opendir(path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' &&
			    is_stale(q, subs[i], de->d_name, now))
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
}
