/*
 * queue.c - the spool; see queue.h.
 *
 * Layout under [queue] dir:
 *   tmp/ID.msg, tmp/ID.env   being written; never delivered from
 *   tmp/ID.new, tmp/ID.lnk   an envelope being rewritten, a data file
 *                            being linked into failed/
 *   new/ID.msg, new/ID.env   queued: an entry exists when its .env does
 *   failed/ID.msg, .env      refused for good, expired or damaged, kept
 *                            for people; failed/ID.env.orig is the
 *                            envelope a damaged entry had
 *
 * Durability recipe (every entry, before anything is sent to the relay):
 *   1. create tmp/ID.msg with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, and
 *      flock it: the lock is held until the writer is done with the
 *      entry, so that cleanup never takes a file still being written;
 *   2. write the message, summing it (length, CRC-32), fsync it;
 *   3. write tmp/ID.env the same way, with the sums, fsync it;
 *   4. rename the .msg, then the .env, into new/; fsync new/.
 *
 * Every later change of state is one rename that decides it, the other
 * steps before and after it being undone or finished by the next queue
 * run, which tells them apart by what they leave:
 *   update:   tmp/ID.new, fsync, renamed over new/ID.env;
 *   remove:   new/ID.env renamed to tmp/ID.env (the entry is gone), then
 *             new/ID.msg and tmp/ID.env unlinked;
 *   to failed/ (refused, expired or damaged): the new envelope is
 *             written to tmp/ID.new; the data file (and, when damaged,
 *             the old envelope, as ID.env.orig) hard-linked into
 *             failed/; tmp/ID.new renamed to failed/ID.env (the entry
 *             is in failed/); new/ID.env and new/ID.msg unlinked.
 *   requeue (failed/ back to new/; never a damaged entry): the data file
 *             locked all along; the envelope, its clock restarted
 *             (queue_envelope_restart()), written to tmp/ID.new; the
 *             data file hard-linked into new/;
 *             tmp/ID.new renamed to new/ID.env, fsync new/; failed/ID.env
 *             unlinked (the entry is in new/), fsync failed/; then
 *             failed/ID.msg unlinked.  Cut short before failed/ID.env
 *             goes, it looks like a move to failed/ cut short and is
 *             finished as one (the entry stays in failed/, and the
 *             requeue was never acknowledged); after, failed/ID.msg is a
 *             stale link, removed when the entry is delivered.
 * So, for an id in new/ that nobody holds locked:
 *   .msg and .env, and failed/ID.env with failed/ID.msg the same file:
 *     a move to failed/ was interrupted: it is finished;
 *   .msg without .env, and tmp/ID.env: a commit (never acknowledged) or
 *     a removal (delivered) was interrupted: removed once an hour old;
 *   .msg without .env, failed/ID.msg the same file: as the first case;
 *   .msg without .env otherwise, or .env without .msg: damaged (the
 *     other half was lost), moved to failed/.
 * A fsync or rename that fails is reported: a commit that fails is not
 * acknowledged, a state change that fails leaves the entry where it was.
 *
 * Locking: whoever writes or delivers an entry holds flock(LOCK_EX) on its
 * data file, which is never replaced while queued (the .env is, by
 * rename).  After locking, a queue run checks that the name still leads
 * to the file it locked: an entry removed by another process in between
 * is skipped.  An envelope without data file is locked by its own file.
 *
 * The envelope file's format is in envfile.h.  Every existence and
 * permission check uses the effective identity (fstatat, or opening the
 * file): a set-group-ID program works with its group, not the caller's.
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

#include <zlib.h>

#include "buf.h"
#include "log.h"
#include "privilege.h"
#include "qclock.h"
#include "queue.h"

/* Leftovers younger than this may still be finished by their writer. */
#define LEFTOVER_AGE 3600

static const char *const subdirs[] = { "tmp", "new", "failed" };

static int
path_of(char *out, size_t outlen, const struct queue *q, const char *sub,
    const char *id, const char *ext)
{
	int n;

	n = snprintf(out, outlen, "%s/%s/%s%s", q->dir, sub, id, ext);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* lstat of sub/ID.ext, with the effective identity. */
static int
stat_file(const struct queue *q, const char *sub, const char *id,
    const char *ext, struct stat *st)
{
	char path[PATH_MAX];

	if (path_of(path, sizeof(path), q, sub, id, ext) == -1)
		return -1;
	return fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

/* 1 when sub/ID.ext exists, 0 when not, -1 when that cannot be told. */
static int
exists(const struct queue *q, const char *sub, const char *id, const char *ext)
{
	struct stat st;

	if (stat_file(q, sub, id, ext, &st) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

/* 1 when sub/ID.ext is the file open as fd. */
static int
same_file(const struct queue *q, const char *sub, const char *id,
    const char *ext, int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat_file(q, sub, id, ext, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* unlink sub/ID.ext; a file already gone is fine. */
static int
remove_file(const struct queue *q, const char *sub, const char *id,
    const char *ext)
{
	char path[PATH_MAX];

	if (path_of(path, sizeof(path), q, sub, id, ext) == -1)
		return -1;
	return unlink(path) == -1 && errno != ENOENT ? -1 : 0;
}

static int
move(const struct queue *q, const char *id, const char *from,
    const char *fromext, const char *to, const char *toext)
{
	char src[PATH_MAX], dst[PATH_MAX];

	if (path_of(src, sizeof(src), q, from, id, fromext) == -1 ||
	    path_of(dst, sizeof(dst), q, to, id, toext) == -1)
		return -1;
	return rename(src, dst);
}

static int
sync_dir(const struct queue *q, const char *sub)
{
	char path[PATH_MAX];
	int  fd, rc;

	if (snprintf(path, sizeof(path), "%s/%s", q->dir, sub) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int
check_dir(const char *path, char *err, size_t errlen)
{
	struct stat st;

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
		snprintf(err, errlen,
		    "queue directory %s is writable by "
		    "others: chmod o-w %s",
		    path, path);
		return -1;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen,
		    "queue directory %s belongs to uid %u, "
		    "not to us or root",
		    path, (unsigned int)st.st_uid);
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
	struct stat st;

	if (privilege_is_setgid() && getuid() != 0) {
		if (lstat(path, &st) == -1 && errno == ENOENT) {
			snprintf(err, errlen,
			    "queue directory %s is missing: "
			    "as root, make it owned by root and the group of "
			    "cfsendmail, mode 2770 (make install does)",
			    path);
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
	char   path[PATH_MAX];
	size_t i;
	mode_t dmode;

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
	struct timespec ts;
	unsigned int	r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(id, idlen, "%010lld.%06ld.%08x", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000, r);
	return 0;
}

/* The shape of the ids new_id() makes: T.USEC.RANDOM. */
int
queue_id_valid(const char *id)
{
	size_t n;

	if ((n = strspn(id, "0123456789")) == 0 || id[n] != '.')
		return 0;
	id += n + 1;
	if ((n = strspn(id, "0123456789")) == 0 || id[n] != '.')
		return 0;
	id += n + 1;
	return strlen(id) == 8 && strspn(id, "0123456789abcdef") == 8;
}

/* Any name that cannot lead out of its directory (ids from readdir). */
static int
id_usable(const char *id)
{
	return id[0] != '\0' && id[0] != '.' && strchr(id, '/') == NULL &&
	    strlen(id) < QUEUE_ID_MAX;
}

static void
entry_init(struct queue_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}

int
queue_create(struct queue *q, struct queue_entry *e, char *err, size_t errlen)
{
	char path[PATH_MAX];

	entry_init(e);
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
	/* blocking: a cleanup that tests the lock lets go at once */
	if (flock(e->fd, LOCK_EX) == -1) {
		snprintf(err, errlen, "cannot lock queue file %s: %s", path,
		    strerror(errno));
		close(e->fd);
		e->fd = -1;
		unlink(path);
		return -1;
	}
	e->wcrc = (uint32_t)crc32_z(0, NULL, 0);
	return 0;
}

int
queue_write(struct queue_entry *e, const void *p, size_t len, char *err,
    size_t errlen)
{
	const char *b = p;
	ssize_t	    n;

	while (len > 0) {
		if ((n = write(e->fd, b, len)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot write queue file %s: %s",
			    e->id, strerror(errno));
			return -1;
		}
		/* summed as written: no second pass over the message */
		e->wcrc = (uint32_t)crc32_z(e->wcrc, (const unsigned char *)b,
		    (size_t)n);
		e->wlen += n;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write tmp/ID<ext> durably; the caller renames it into place. */
static int
write_env(struct queue *q, const struct queue_entry *e, const char *ext,
    char *err, size_t errlen)
{
	struct buf b = { 0 };
	char	   path[PATH_MAX];
	ssize_t	   n;
	size_t	   off = 0;
	int	   fd = -1, rc = -1;

	if (envfile_format(&e->env, &b) == -1 ||
	    path_of(path, sizeof(path), q, "tmp", e->id, ext) == -1)
		goto fail;
	/* a leftover of a crash of ours; O_EXCL below catches the rest */
	if (unlink(path) == -1 && errno != ENOENT)
		goto fail;
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
	if (fd != -1 && close(fd) == -1 && rc == 0) {
		snprintf(err, errlen, "cannot write queue envelope %s: %s",
		    e->id, strerror(errno));
		rc = -1;
	}
	buf_free(&b);
	return rc;
}

int
queue_commit(struct queue *q, struct queue_entry *e, char *err, size_t errlen)
{
	if (fsync(e->fd) == -1) {
		snprintf(err, errlen, "cannot write queue file %s: %s", e->id,
		    strerror(errno));
		return -1;
	}
	e->env.has_sum = 1;
	e->env.msglen = e->wlen;
	e->env.msgcrc = e->wcrc;
	if (write_env(q, e, ".env", err, errlen) == -1)
		return -1;
	if (move(q, e->id, "tmp", ".msg", "new", ".msg") == -1 ||
	    move(q, e->id, "tmp", ".env", "new", ".env") == -1 ||
	    sync_dir(q, "new") == -1) {
		snprintf(err, errlen, "cannot queue %s: %s", e->id,
		    strerror(errno));
		return -1;
	}
	e->committed = e->has_msg = e->has_env = 1;
	return 0;
}

void
queue_abort(struct queue *q, struct queue_entry *e)
{
	static const char *const files[][2] = {
		{ "tmp", ".msg" },
		{ "tmp", ".env" },
		/* a commit that failed half-way: not acknowledged, so gone */
		{ "new", ".env" },
		{ "new", ".msg" },
	};
	size_t i;
	int    saved = errno;

	if (e->committed || e->id[0] == '\0')
		return;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (remove_file(q, files[i][0], e->id, files[i][1]) == -1)
			log_error("%s: cannot remove %s/%s%s: %s", e->id,
			    files[i][0], e->id, files[i][1], strerror(errno));
	errno = saved;
}

/* Read a small file (an envelope) into b, NUL-terminated. */
static int
slurp(const char *path, struct buf *b)
{
	char	chunk[4096];
	ssize_t n;
	int	fd;

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

/*
 * Load sub/ID.env into v: 0; QUEUE_DAMAGED with the reason in err when
 * it does not parse (v then holds what could be read); -1 when it cannot
 * be read (errno ENOENT when it does not exist).
 */
static int
load_env(const struct queue *q, const char *sub, const char *id,
    struct queue_envelope *v, char *err, size_t errlen)
{
	struct buf b = { 0 };
	char	   path[PATH_MAX], why[160];
	int	   rc = -1, saved;

	memset(v, 0, sizeof(*v));
	if (path_of(path, sizeof(path), q, sub, id, ".env") == -1 ||
	    slurp(path, &b) == -1) {
		saved = errno;
		snprintf(err, errlen, "cannot read queue envelope %s: %s", id,
		    strerror(saved));
		errno = saved; /* the caller tells ENOENT from the rest */
		goto done;
	}
	if (envfile_parse(v, b.data, b.len, why, sizeof(why)) == 0)
		rc = 0;
	else if (errno == ENOMEM)
		snprintf(err, errlen, "out of memory");
	else {
		snprintf(err, errlen, "damaged: the envelope %s", why);
		rc = QUEUE_DAMAGED;
	}
done:
	buf_free(&b);
	return rc;
}

/*
 * flock the file open as e->fd, then check that sub/ID.ext still names
 * it (another process may have removed or replaced it while we waited).
 * 1 when locked, 0 when busy or gone, -1 on error.
 */
static int
take_lock(const struct queue *q, struct queue_entry *e, const char *sub,
    const char *ext, char *err, size_t errlen)
{
	if (flock(e->fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		snprintf(err, errlen, "cannot lock queue entry %s: %s", e->id,
		    strerror(errno));
		return -1;
	}
	return same_file(q, sub, e->id, ext, e->fd);
}

/* Age of the file open as fd, in seconds. */
static long long
age_of(int fd, time_t now)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return 0;
	return (long long)(now - st.st_mtime);
}

/* Unlink each (sub, ext) pair of files, fsync new/, log what happened. */
static int
remove_leftover(const struct queue *q, const char *id, const char *what,
    const char *const *files, size_t n)
{
	size_t i;
	int    rc = 0;

	for (i = 0; i < n && rc == 0; i += 2)
		rc = remove_file(q, files[i], id, files[i + 1]);
	if (rc == 0)
		rc = sync_dir(q, "new");
	if (rc == 0)
		log_info("%s: removed the leftover of %s", id, what);
	else
		log_error("%s: cannot remove the leftover of %s: %s", id, what,
		    strerror(errno));
	return rc;
}

/*
 * A locked entry whose move to failed/ was interrupted after the commit
 * point (failed/ID.env written, the data file linked there): finish it.
 * 0 when it was such a leftover, 1 when not.
 */
static int
finish_move(const struct queue *q, const struct queue_entry *e)
{
	static const char *const files[] = { "new", ".env", "new", ".msg" };
	struct stat		 st;
	const char		*ext = e->has_msg ? ".msg" : ".env.orig";

	/* most entries have one link: no more system calls for them */
	if (fstat(e->fd, &st) == -1 || st.st_nlink < 2 ||
	    !same_file(q, "failed", e->id, ext, e->fd) ||
	    exists(q, "failed", e->id, ".env") != 1)
		return 1;
	remove_leftover(q, e->id, "a move to failed/", files, 4);
	return 0;
}

/*
 * Locked new/ID.msg, no new/ID.env: a commit or a removal interrupted
 * after the .env left (tmp/ID.env tells), removed once an hour old (0);
 * otherwise the envelope was lost: QUEUE_DAMAGED.
 */
static int
lock_msg_only(const struct queue *q, struct queue_entry *e, char *err,
    size_t errlen)
{
	static const char *const files[] = { "new", ".msg", "tmp", ".env" };

	switch (exists(q, "tmp", e->id, ".env")) {
	case -1:
		snprintf(err, errlen, "cannot look at queue entry %s: %s",
		    e->id, strerror(errno));
		return -1;
	case 1:
		if (age_of(e->fd, time(NULL)) >= LEFTOVER_AGE)
			remove_leftover(q, e->id,
			    "an interrupted commit or "
			    "removal (never acknowledged, or sent already)",
			    files, 4);
		return 0;
	}
	snprintf(err, errlen, "damaged: the envelope is missing");
	return QUEUE_DAMAGED;
}

/*
 * Open sub/ID.ext of e read-only as e->fd: 1; 0 when there is no such
 * file; -1 on error, with the reason in err.
 */
static int
open_entry_file(const struct queue *q, struct queue_entry *e, const char *sub,
    const char *ext, char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (path_of(path, sizeof(path), q, sub, e->id, ext) == -1)
		return 0;
	if ((e->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) != -1)
		return 1;
	if (errno == ENOENT)
		return 0;
	snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
	return -1;
}

/*
 * No new/ID.msg: an envelope alone is damaged (its data file was lost),
 * locked by its own file.  0 when there is no envelope either.
 */
static int
lock_env_only(const struct queue *q, struct queue_entry *e, char *err,
    size_t errlen)
{
	char scratch[QUEUE_REASON_MAX];
	int  rc;

	if ((rc = open_entry_file(q, e, "new", ".env", err, errlen)) != 1)
		return rc;
	e->has_env = 1;
	if ((rc = take_lock(q, e, "new", ".env", err, errlen)) != 1)
		return rc;
	/* a data file that appeared meanwhile: a later run sees to it */
	if ((rc = exists(q, "new", e->id, ".msg")) == -1)
		snprintf(err, errlen, "cannot look at queue entry %s: %s",
		    e->id, strerror(errno));
	if (rc != 0)
		return rc == 1 ? 0 : -1;
	if (finish_move(q, e) == 0)
		return 0;
	if (load_env(q, "new", e->id, &e->env, scratch, sizeof(scratch)) == -1)
		queue_envelope_free(&e->env);
	snprintf(err, errlen, "damaged: the data file is missing");
	return QUEUE_DAMAGED;
}

int
queue_lock(struct queue *q, const char *id, struct queue_entry *e, char *err,
    size_t errlen)
{
	int rc;

	entry_init(e);
	if (!id_usable(id)) {
		snprintf(err, errlen, "invalid queue id %s", id);
		return -1;
	}
	strlcpy(e->id, id, sizeof(e->id));
	if ((rc = open_entry_file(q, e, "new", ".msg", err, errlen)) == -1)
		return -1;
	if (rc == 0) {
		rc = lock_env_only(q, e, err, errlen);
		goto done;
	}
	e->has_msg = 1;
	if ((rc = take_lock(q, e, "new", ".msg", err, errlen)) != 1)
		goto done;
	if ((rc = finish_move(q, e)) != 1)
		goto done;
	if ((rc = exists(q, "new", id, ".env")) == -1) {
		snprintf(err, errlen, "cannot look at queue entry %s: %s", id,
		    strerror(errno));
		goto done;
	}
	if (rc == 0) {
		rc = lock_msg_only(q, e, err, errlen);
		goto done;
	}
	e->has_env = 1;
	if ((rc = load_env(q, "new", id, &e->env, err, errlen)) != 0)
		goto done;
	e->committed = 1;
	rc = 1;
	if (e->env.nrcpts == 0) {
		snprintf(err, errlen,
		    "damaged: the envelope lists no "
		    "recipients");
		rc = QUEUE_DAMAGED;
	}
done:
	if (rc == 0 || rc == -1)
		queue_entry_free(e);
	return rc;
}

/* Length and CRC-32 of the whole data file, read from the start. */
static int
sum_data(int fd, long long *len, uint32_t *crc)
{
	unsigned char chunk[65536];
	ssize_t	      n;
	off_t	      off = 0;

	*len = 0;
	*crc = (uint32_t)crc32_z(0, NULL, 0);
	for (;;) {
		n = pread(fd, chunk, sizeof(chunk), off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? 0 : -1;
		*crc = (uint32_t)crc32_z(*crc, chunk, (size_t)n);
		off += n;
		*len += n;
	}
}

int
queue_verify(struct queue_entry *e, char *err, size_t errlen)
{
	struct queue_envelope *v = &e->env;
	long long	       len;
	uint32_t	       crc;

	if (sum_data(e->fd, &len, &crc) == -1) {
		snprintf(err, errlen, "cannot read queue file %s: %s", e->id,
		    strerror(errno));
		return -1;
	}
	if (!v->has_sum) {
		/* version 1: nothing to check against; the sums are kept
		 * from now on, and the send is checked against them */
		v->has_sum = 1;
		v->msglen = len;
		v->msgcrc = crc;
	} else if (len != v->msglen) {
		snprintf(err, errlen,
		    "damaged: the data file has %lld bytes, "
		    "the envelope says %lld",
		    len, v->msglen);
		return QUEUE_DAMAGED;
	} else if (crc != v->msgcrc) {
		snprintf(err, errlen,
		    "damaged: the data file does not match "
		    "its checksum");
		return QUEUE_DAMAGED;
	}
	e->verify = 1;
	queue_rewind(e);
	return 0;
}

int
queue_update(struct queue *q, struct queue_entry *e, char *err, size_t errlen)
{
	if (write_env(q, e, ".new", err, errlen) == -1)
		return -1;
	if (move(q, e->id, "tmp", ".new", "new", ".env") == -1 ||
	    sync_dir(q, "new") == -1) {
		snprintf(err, errlen, "cannot update queue entry %s: %s", e->id,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * A data file hard-linked into failed/ by a move that was cut short
 * before its commit point, and whose entry is now delivered: remove it.
 */
static int
drop_stale_link(const struct queue *q, const struct queue_entry *e)
{
	struct stat st;

	if (fstat(e->fd, &st) == -1 || st.st_nlink < 2 ||
	    !same_file(q, "failed", e->id, ".msg", e->fd) ||
	    exists(q, "failed", e->id, ".env") != 0)
		return 0;
	return remove_file(q, "failed", e->id, ".msg");
}

int
queue_remove(struct queue *q, struct queue_entry *e, char *err, size_t errlen)
{
	const char *step = "rename";

	/* the entry ends here: tmp/ID.env tells a crash what this was */
	if (move(q, e->id, "new", ".env", "tmp", ".env") == -1)
		goto fail;
	step = "unlink";
	if (drop_stale_link(q, e) == -1 ||
	    remove_file(q, "new", e->id, ".msg") == -1 ||
	    remove_file(q, "tmp", e->id, ".env") == -1)
		goto fail;
	step = "fsync";
	if (sync_dir(q, "new") == -1)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "cannot remove queue entry %s (%s): %s", e->id,
	    step, strerror(errno));
	return -1;
}

/* Hard-link new/ID.<from> as failed/ID.<to>, replacing what was there. */
static int
link_to_failed(const struct queue *q, const char *id, const char *from,
    const char *to)
{
	char src[PATH_MAX], tmp[PATH_MAX];

	if (path_of(src, sizeof(src), q, "new", id, from) == -1 ||
	    path_of(tmp, sizeof(tmp), q, "tmp", id, ".lnk") == -1)
		return -1;
	if ((unlink(tmp) == -1 && errno != ENOENT) || link(src, tmp) == -1)
		return -1;
	return move(q, id, "tmp", ".lnk", "failed", to);
}

/*
 * Move e to failed/ with its envelope as it is now: link what is kept,
 * then the envelope's rename decides; then out of new/.
 */
static int
move_to_failed(struct queue *q, struct queue_entry *e, int keep_env, char *err,
    size_t errlen)
{
	const char *step = "link";

	if (write_env(q, e, ".new", err, errlen) == -1)
		return -1;
	if ((keep_env && link_to_failed(q, e->id, ".env", ".env.orig") == -1) ||
	    (e->has_msg && link_to_failed(q, e->id, ".msg", ".msg") == -1))
		goto fail;
	step = "rename";
	if (move(q, e->id, "tmp", ".new", "failed", ".env") == -1)
		goto fail;
	step = "fsync";
	if (sync_dir(q, "failed") == -1)
		goto fail;
	step = "unlink";
	if ((e->has_env && remove_file(q, "new", e->id, ".env") == -1) ||
	    (e->has_msg && remove_file(q, "new", e->id, ".msg") == -1))
		goto fail;
	step = "fsync";
	if (sync_dir(q, "new") == -1)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "cannot move %s to failed/ (%s): %s", e->id, step,
	    strerror(errno));
	return -1;
}

static int
set_reason(struct queue_entry *e, const char *reason, char *err, size_t errlen)
{
	free(e->env.last_reply);
	if ((e->env.last_reply = strdup(reason)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
queue_fail(struct queue *q, struct queue_entry *e, const char *reason,
    char *err, size_t errlen)
{
	if (reason != NULL && set_reason(e, reason, err, errlen) == -1)
		return -1;
	e->has_msg = e->has_env = 1;
	return move_to_failed(q, e, 0, err, errlen);
}

int
queue_quarantine(struct queue *q, struct queue_entry *e, const char *reason,
    char *err, size_t errlen)
{
	if (set_reason(e, reason, err, errlen) == -1)
		return -1;
	e->env.damaged = 1;
	return move_to_failed(q, e, e->has_env, err, errlen);
}

/* No failed/ID.msg: an envelope alone is damaged, else no entry (0). */
static int
failed_without_data(const struct queue *q, const char *id, char *err,
    size_t errlen)
{
	switch (exists(q, "failed", id, ".env")) {
	case 0: return 0;
	case 1:
		snprintf(err, errlen, "damaged: the data file is missing");
		return QUEUE_DAMAGED;
	default:
		snprintf(err, errlen, "cannot look at queue entry %s: %s", id,
		    strerror(errno));
		return -1;
	}
}

/*
 * Lock failed/ID for a requeue and load its envelope: 1 when locked; 0
 * when it is no entry of failed/ now, or another process holds it;
 * QUEUE_DAMAGED, with the reason in err, when it cannot be sent again;
 * -1 on error.
 */
static int
lock_failed(struct queue *q, struct queue_entry *e, char *err, size_t errlen)
{
	int rc;

	if ((rc = open_entry_file(q, e, "failed", ".msg", err, errlen)) == 0)
		return failed_without_data(q, e->id, err, errlen);
	if (rc == -1)
		return -1;
	e->has_msg = 1;
	if ((rc = take_lock(q, e, "failed", ".msg", err, errlen)) != 1)
		return rc;
	rc = load_env(q, "failed", e->id, &e->env, err, errlen);
	if (rc == -1 && errno == ENOENT)
		return 0; /* requeued by another process meanwhile */
	if (rc != 0)
		return rc;
	if (e->env.damaged) {
		/* the last reply of a quarantined entry says what was wrong */
		snprintf(err, errlen, "%s",
		    e->env.last_reply ? e->env.last_reply : "damaged");
		return QUEUE_DAMAGED;
	}
	if (e->env.nrcpts == 0) {
		snprintf(err, errlen,
		    "damaged: the envelope lists no "
		    "recipients");
		return QUEUE_DAMAGED;
	}
	return 1;
}

/* The locked entry e of failed/, its envelope rewritten, into new/. */
static int
move_to_new(struct queue *q, struct queue_entry *e, char *err, size_t errlen)
{
	char	    src[PATH_MAX], dst[PATH_MAX];
	const char *step = "link";

	if (write_env(q, e, ".new", err, errlen) == -1)
		return -1;
	if (path_of(src, sizeof(src), q, "failed", e->id, ".msg") == -1 ||
	    path_of(dst, sizeof(dst), q, "new", e->id, ".msg") == -1)
		goto fail;
	/* new/ID.msg already ours: what a requeue cut short left */
	if (link(src, dst) == -1 &&
	    (errno != EEXIST || !same_file(q, "new", e->id, ".msg", e->fd)))
		goto fail;
	step = "rename";
	if (move(q, e->id, "tmp", ".new", "new", ".env") == -1 ||
	    sync_dir(q, "new") == -1)
		goto fail;
	step = "unlink";
	if (remove_file(q, "failed", e->id, ".env") == -1 ||
	    sync_dir(q, "failed") == -1)
		goto fail;
	/* a stale link left here is dropped when the entry is delivered */
	remove_file(q, "failed", e->id, ".msg");
	return 0;
fail:
	snprintf(err, errlen, "cannot requeue %s (%s): %s", e->id, step,
	    strerror(errno));
	return -1;
}

int
queue_requeue(struct queue *q, const char *id, time_t now, char *was,
    size_t waslen, char *err, size_t errlen)
{
	struct queue_entry e;
	char		   why[QUEUE_REASON_MAX];
	int		   rc, vr;

	entry_init(&e);
	if (!id_usable(id)) {
		snprintf(err, errlen, "invalid queue id %s", id);
		return -1;
	}
	strlcpy(e.id, id, sizeof(e.id));
	rc = lock_failed(q, &e, err, errlen);
	/* a data file that no longer matches its envelope is never sent */
	if (rc == 1 && (vr = queue_verify(&e, why, sizeof(why))) != 0) {
		strlcpy(err, why, errlen);
		rc = vr == QUEUE_DAMAGED ? QUEUE_DAMAGED : -1;
	}
	if (rc == 1) {
		snprintf(was, waslen, "%s",
		    e.env.last_reply ? e.env.last_reply : "no reason kept");
		queue_envelope_restart(&e.env, now);
		if (move_to_new(q, &e, err, errlen) == -1)
			rc = -1;
	}
	queue_entry_free(&e);
	return rc;
}

int
queue_rewind(struct queue_entry *e)
{
	e->off = 0;
	e->rlen = 0;
	e->rcrc = (uint32_t)crc32_z(0, NULL, 0);
	return 0;
}

ssize_t
queue_read(struct queue_entry *e, void *p, size_t len)
{
	ssize_t n;
	int	sequential = e->verify && e->off == e->rlen;

	do
		n = pread(e->fd, p, len, e->off);
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		e->off += n;
		if (sequential) {
			e->rcrc = (uint32_t)crc32_z(e->rcrc, p, (size_t)n);
			e->rlen += n;
		}
	}
	if (n == 0 && sequential &&
	    (e->rlen != e->env.msglen || e->rcrc != e->env.msgcrc)) {
		errno = EIO; /* changed since queue_verify() */
		return -1;
	}
	return n;
}

void
queue_entry_free(struct queue_entry *e)
{
	if (e->fd != -1)
		close(e->fd); /* also releases the flock */
	e->fd = -1;
	queue_envelope_free(&e->env);
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The id of an entry's file name, or 0 for any other name. */
static size_t
id_part(const char *name, int with_msg)
{
	size_t len = strlen(name);

	if (len <= 4 || name[0] == '.')
		return 0;
	if (strcmp(name + len - 4, ".env") == 0 ||
	    (with_msg && strcmp(name + len - 4, ".msg") == 0))
		return len - 4;
	return 0;
}

/* Every id of sub/ into names, each NUL-terminated, in directory order. */
static int
read_names(struct queue *q, const char *sub, struct buf *names, size_t *n)
{
	char	       path[PATH_MAX];
	struct dirent *de;
	DIR	      *d;
	size_t	       len;
	int	       with_msg = strcmp(sub, "new") == 0;

	*n = 0;
	if (snprintf(path, sizeof(path), "%s/%s", q->dir, sub) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if ((len = id_part(de->d_name, with_msg)) == 0)
			continue;
		if (buf_add(names, de->d_name, len) == -1 ||
		    buf_add(names, "", 1) == -1) {
			closedir(d);
			return -1;
		}
		(*n)++;
	}
	closedir(d);
	return 0;
}

/*
 * The names in one block, the sorted pointers in another: a queue of
 * 10,000 entries (20,000 names, an .env and a .msg each) takes some
 * 700 KB at the peak, not 20,000 small allocations.
 */
int
queue_list(struct queue *q, const char *sub, struct queue_list *l, char *err,
    size_t errlen)
{
	struct buf names = { 0 };
	size_t	   n, i, k = 0;
	char	  *p;

	memset(l, 0, sizeof(*l));
	if (read_names(q, sub, &names, &n) == -1)
		goto fail;
	if (n > 0 && (l->ids = reallocarray(NULL, n, sizeof(*l->ids))) == NULL)
		goto fail;
	for (i = 0, p = names.data; i < n; i++, p += strlen(p) + 1)
		l->ids[i] = p;
	if (n > 0) /* qsort(NULL, 0, ...) is undefined */
		qsort(l->ids, n, sizeof(*l->ids), compare_names);
	/* an .env and its .msg give the same id twice */
	for (i = 0; i < n; i++)
		if (k == 0 || strcmp(l->ids[k - 1], l->ids[i]) != 0)
			l->ids[k++] = l->ids[i];
	l->n = k;
	l->names = names.data;
	return 0;
fail:
	snprintf(err, errlen, "cannot list the queue %s/%s: %s", q->dir, sub,
	    strerror(errno));
	buf_free(&names);
	free(l->ids);
	l->ids = NULL;
	return -1;
}

void
queue_list_free(struct queue_list *l)
{
	free(l->ids);
	free(l->names);
	memset(l, 0, sizeof(*l));
}

int
queue_foreach(struct queue *q, const char *sub, int (*fn)(const char *, void *),
    void *arg, char *err, size_t errlen)
{
	struct queue_list l;
	size_t		  i;
	int		  rc = 0;

	if (queue_list(q, sub, &l, err, errlen) == -1)
		return -1;
	for (i = 0; i < l.n && rc == 0; i++)
		if (fn(l.ids[i], arg) == -1)
			rc = -1;
	queue_list_free(&l);
	if (rc == -1)
		snprintf(err, errlen, "queue run stopped");
	return rc;
}

/* 1 when another process holds the lock of sub/ID.ext. */
static int
is_locked(const struct queue *q, const char *sub, const char *id,
    const char *ext)
{
	char path[PATH_MAX];
	int  fd, busy;

	if (path_of(path, sizeof(path), q, sub, id, ext) == -1 ||
	    (fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	/* shared, and let go at once: only a writer or deliverer's
	 * exclusive lock makes this fail */
	busy = flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

/*
 * new/ID.msg without new/ID.env, as queue_lock() would judge it, without
 * taking its lock: 1 when damaged, 0 when no entry.
 */
static int
peek_msg_only(const struct queue *q, const char *id, const struct stat *st)
{
	if (is_locked(q, "new", id, ".msg") ||
	    exists(q, "tmp", id, ".env") != 0)
		return 0; /* being committed, or a leftover */
	return st->st_nlink < 2 || exists(q, "failed", id, ".env") == 0;
}

/* The state of an entry of new/ whose envelope was read. */
static void
new_state(const struct queue *q, const char *id, time_t now,
    const struct queue_envelope *v, struct queue_info *info)
{
	info->state = QS_QUEUED;
	if (info->msgsize == -1)
		snprintf(info->reason, sizeof(info->reason),
		    "damaged: the "
		    "data file is missing");
	else if (v->has_sum && info->msgsize != v->msglen)
		snprintf(info->reason, sizeof(info->reason),
		    "damaged: the "
		    "data file has %lld bytes, the envelope says %lld",
		    info->msgsize, v->msglen);
	else if (v->nrcpts == 0)
		snprintf(info->reason, sizeof(info->reason),
		    "damaged: the "
		    "envelope lists no recipients");
	else if (is_locked(q, "new", id, ".msg"))
		info->state = QS_DELIVERING;
	else if (!qclock_due(v, now))
		info->state = QS_DEFERRED;
	if (info->reason[0] != '\0')
		info->state = QS_DAMAGED;
}

int
queue_peek(struct queue *q, const char *sub, const char *id, time_t now,
    struct queue_envelope *v, struct queue_info *info, char *err, size_t errlen)
{
	struct stat st;
	int	    rc, in_new = strcmp(sub, "new") == 0;

	memset(info, 0, sizeof(*info));
	memset(v, 0, sizeof(*v));
	if (!id_usable(id))
		return 0;
	info->msgsize = -1;
	if (stat_file(q, sub, id, ".msg", &st) == 0)
		info->msgsize = st.st_size;
	rc = load_env(q, sub, id, v, info->reason, sizeof(info->reason));
	if (rc == -1 && errno == ENOENT) {
		if (!in_new || info->msgsize == -1 ||
		    !peek_msg_only(q, id, &st))
			return 0;
		snprintf(info->reason, sizeof(info->reason),
		    "damaged: the "
		    "envelope is missing");
		info->state = QS_DAMAGED;
		return 1;
	}
	if (rc == -1) {
		snprintf(err, errlen, "%s", info->reason);
		queue_envelope_free(v);
		return -1;
	}
	if (rc == QUEUE_DAMAGED)
		info->state = QS_DAMAGED;
	else if (!in_new)
		info->state = v->damaged ? QS_DAMAGED : QS_FAILED;
	else if (info->msgsize != -1 && st.st_nlink > 1 &&
	    exists(q, "failed", id, ".env") == 1) {
		queue_envelope_free(v);
		return 0; /* moved to failed/, listed there */
	} else
		new_state(q, id, now, v, info);
	return 1;
}

/*
 * tmp/NAME, older than an hour, and no live writer: the data file of its
 * id is not in new/ (that entry's own handling covers the rest), and
 * nobody holds tmp/ID.msg locked (a writer holds it from the start, so
 * however long it takes its file is safe).  Then it goes, and is logged.
 */
static void
clean_tmp(const struct queue *q, int dfd, const char *name, time_t now)
{
	char	    id[QUEUE_ID_MAX], path[PATH_MAX];
	struct stat st;
	const char *dot = strrchr(name, '.');
	int	    fd = -1;

	if (dot == NULL || dot == name || (size_t)(dot - name) >= sizeof(id) ||
	    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode) || now - st.st_mtime < LEFTOVER_AGE)
		return;
	memcpy(id, name, (size_t)(dot - name));
	id[dot - name] = '\0';
	if (exists(q, "new", id, ".msg") != 0)
		return;
	if (exists(q, "tmp", id, ".msg") != 0) {
		/* hold the writer's lock while removing */
		if (path_of(path, sizeof(path), q, "tmp", id, ".msg") == -1 ||
		    (fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
			return;
		if (flock(fd, LOCK_EX | LOCK_NB) == -1)
			goto done; /* its writer is still at work */
	}
	if (unlinkat(dfd, name, 0) == 0)
		log_info("removed tmp/%s, left %lld minutes ago by an "
			 "interrupted writer",
		    name, (long long)(now - st.st_mtime) / 60);
	else if (errno != ENOENT)
		log_error("cannot remove tmp/%s: %s", name, strerror(errno));
done:
	if (fd != -1)
		close(fd);
}

void
queue_clean(struct queue *q, time_t now)
{
	char	       path[PATH_MAX];
	struct dirent *de;
	DIR	      *d;

	if (snprintf(path, sizeof(path), "%s/tmp", q->dir) >=
		(int)sizeof(path) ||
	    (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			clean_tmp(q, dirfd(d), de->d_name, now);
	closedir(d);
}
