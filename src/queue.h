/*
 * queue.h - the spool: durable queue entries, locking, listing.
 *
 * The only module that touches the spool directory.  An entry is a data
 * file (the message, LF line ends, ready to send) and an envelope file
 * (sender, remaining recipients, attempts, last reply, the data file's
 * length and checksum; envfile.h has its format).  See queue.c for the
 * layout, the durability recipe and what a crash can leave behind.
 * Functions return 0, or -1 with a one-line reason in err (errno kept,
 * so the caller can tell ENOSPC/EIO from the rest); a struct queue_entry
 * owns its strings and descriptor, released by queue_entry_free().
 *
 * A damaged entry (an envelope that is torn, garbled or missing, a data
 * file that is missing or does not match its checksum) is never sent:
 * queue_lock() or queue_verify() says QUEUE_DAMAGED, and
 * queue_quarantine() moves what is left of it to failed/, marked damaged.
 */
#ifndef CFSENDMAIL_QUEUE_H
#define CFSENDMAIL_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "envfile.h"

#define QUEUE_ID_MAX	 40
#define QUEUE_DAMAGED	 2 /* queue_lock(), queue_verify() */
#define QUEUE_REASON_MAX 256

struct queue {
	char  *dir;
	mode_t mode; /* of files: 0600, or 0660 when set-group-ID */
};

struct queue_entry {
	char  id[QUEUE_ID_MAX];
	int   fd;	 /* data file (envelope file for
						 * a damaged entry without one);
						 * -1 when closed */
	int   committed; /* in new/, not tmp/ */
	int   has_msg;	 /* new/ID.msg exists */
	int   has_env;	 /* new/ID.env exists */
	off_t off;	 /* queue_read() position */
	/* what queue_write() wrote, for the envelope's msglen/msgcrc */
	long long wlen;
	uint32_t  wcrc;
	/* queue_read() checks the data against env.msglen/msgcrc */
	int		      verify;
	long long	      rlen;
	uint32_t	      rcrc;
	struct queue_envelope env;
};

/* The states of an entry, as queue_peek() sees them. */
enum queue_state {
	QS_QUEUED,     /* in new/, due */
	QS_DEFERRED,   /* in new/, next attempt later */
	QS_DELIVERING, /* in new/, locked by another process */
	QS_DAMAGED,    /* damaged: in new/ until a run moves it, or
				 * in failed/ marked damaged */
	QS_FAILED,     /* in failed/: refused for good or expired */
};

struct queue_info {
	enum queue_state state;
	long long	 msgsize;		   /* -1: no data file */
	char		 reason[QUEUE_REASON_MAX]; /* damaged: why */
};

/* 1 when id has the shape of the ids queue_create() makes. */
int queue_id_valid(const char *id);

/*
 * Open the spool at dir, creating dir (mode 0700, or 0770 for a
 * set-group-ID program, whose group must share it) and its tmp/, new/
 * and failed/ subdirectories when missing.  Refuses a directory that
 * others can write to, or that belongs to neither us nor root.
 */
int  queue_open(struct queue *, const char *dir, char *err, size_t errlen);
void queue_close(struct queue *);

/*
 * Start a new entry: creates tmp/ID.msg, open for writing in e->fd and
 * locked (flock) until queue_entry_free(), so that no cleanup removes it
 * while it is written, however long the writer takes.
 */
int queue_create(struct queue *, struct queue_entry *, char *err,
    size_t errlen);
/* Append to the data file of an entry being created. */
int queue_write(struct queue_entry *, const void *, size_t, char *err,
    size_t errlen);
/*
 * Make the entry durable: fsync the data, write and fsync the envelope
 * (with the data's length and checksum), rename both into new/, fsync
 * the directory.  Only after this returns 0 may the caller be told the
 * message was accepted.  The entry stays locked by this process until
 * queue_entry_free().
 */
int queue_commit(struct queue *, struct queue_entry *, char *err,
    size_t errlen);
/* Drop an entry that was not committed (nothing visible is left). */
void queue_abort(struct queue *, struct queue_entry *);

/*
 * Lock the entry id of new/ for delivery and load its envelope.
 * Returns 1 when locked; 0 when another process holds it, it is gone,
 * or it is no entry at all (what a crash of a commit or a removal left:
 * cleaned up here once an hour old); QUEUE_DAMAGED, locked, with the
 * reason in err ("damaged: ..."), when its envelope or data file is
 * missing or its envelope does not parse; -1 on error.
 */
int queue_lock(struct queue *, const char *id, struct queue_entry *, char *err,
    size_t errlen);
/*
 * Read the data file of a locked entry once and check it against the
 * envelope's length and checksum, before anything is sent.  Returns 0,
 * QUEUE_DAMAGED with the reason in err, or -1 on a read error.  An
 * envelope of version 1 has no checksum: the data is taken as it is.
 */
int queue_verify(struct queue_entry *, char *err, size_t errlen);
/* Rewrite the envelope of a locked entry atomically. */
int queue_update(struct queue *, struct queue_entry *, char *err,
    size_t errlen);
/* Delivered: remove the entry. */
int queue_remove(struct queue *, struct queue_entry *, char *err,
    size_t errlen);
/* Refused for good or expired: move it to failed/ with the reason. */
int queue_fail(struct queue *, struct queue_entry *, const char *reason,
    char *err, size_t errlen);
/*
 * Damaged (queue_lock() or queue_verify() said so): move whatever exists
 * of it to failed/ with a new envelope marked damaged, whose last reply
 * is reason; the old envelope, if any, is kept as failed/ID.env.orig.
 */
int queue_quarantine(struct queue *, struct queue_entry *, const char *reason,
    char *err, size_t errlen);
/*
 * Send an entry of failed/ again: move it back to new/ with its clock
 * restarted (queue_envelope_restart(): no attempts, due now, its waiting
 * and so its expiry counted from now); its recipients are those it
 * failed for.  The reason it
 * failed goes to was (and stays its last reply).  Returns 1 when
 * requeued; 0 when id is no entry of failed/ now (or another process is
 * requeueing it); QUEUE_DAMAGED, with the reason in err, for an entry
 * that cannot be sent again (marked damaged, no recipients, a data file
 * missing or not matching its checksum), left as it is; -1 on error.
 */
int queue_requeue(struct queue *, const char *id, time_t now, char *was,
    size_t waslen, char *err, size_t errlen);
/* Position the data file at the start (for each delivery attempt). */
int queue_rewind(struct queue_entry *);
/*
 * Read the data file: bytes read, 0 at the end, -1 with errno.  The
 * position is the entry's own, not the descriptor's, so that processes
 * sharing the descriptor (parallel sessions) do not disturb each other.
 * For an entry locked by queue_lock(), the end is reported only when
 * what was read matches the envelope's checksum (-1 with EIO otherwise),
 * so that a file changed after queue_verify() is never sent whole.
 */
ssize_t queue_read(struct queue_entry *, void *, size_t);
void	queue_entry_free(struct queue_entry *);

/* The ids of a subdirectory, oldest first (queue_list()). */
struct queue_list {
	char **ids;
	size_t n;
	char  *names; /* where ids point */
};

/*
 * List the entry ids of a subdirectory, oldest first, without reading
 * any entry: in "new", every id that has an envelope or a data file
 * (queue_lock() tells a damaged entry from a leftover); in "failed",
 * every envelope.  Free with queue_list_free().
 */
int  queue_list(struct queue *, const char *sub, struct queue_list *, char *err,
     size_t errlen);
void queue_list_free(struct queue_list *);
/*
 * Call fn for every id queue_list() lists, the entries one by one.
 * Returns 0, or -1 with err (fn returning -1 stops it).
 */
int queue_foreach(struct queue *, const char   *sub,
    int (*fn)(const char *id, void *arg), void *arg, char *err, size_t errlen);
/*
 * Remove what interrupted writers left in tmp/: each file older than an
 * hour whose data file nobody holds locked.  Each removal is logged.
 */
void queue_clean(struct queue *, time_t now);
/*
 * Read an entry's envelope and state without locking it (for mailq).
 * Returns 1 with *v and *info filled (v partly, or not at all, for a
 * damaged entry); 0 when id is no entry now (delivered meanwhile, being
 * committed, or a leftover); -1 on error.
 */
int queue_peek(struct queue *, const char *sub, const char *id, time_t now,
    struct queue_envelope *v, struct queue_info *info, char *err,
    size_t errlen);
/* Whether id has the shape of the ids queue_create() makes: T.USEC.RANDOM. */
int queue_id_valid(const char *id);

#endif
