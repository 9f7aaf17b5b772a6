/*
 * queue.h - the spool: durable queue entries, locking, listing.
 *
 * The only module that touches the spool directory.  An entry is a data
 * file (the message, LF line ends, ready to send) and an envelope file
 * (sender, remaining recipients, attempts, last reply).  See queue.c for
 * the on-disk format and the durability recipe.  Functions return 0, or
 * -1 with a one-line reason in err (errno kept, so the caller can tell
 * ENOSPC/EIO from the rest); a struct queue_entry owns its strings and
 * descriptor, released by queue_entry_free().
 */
#ifndef CFSENDMAIL_QUEUE_H
#define CFSENDMAIL_QUEUE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define QUEUE_ID_MAX	40

struct queue {
	char	*dir;
	mode_t	 mode;	/* of files: 0600, or 0660 when set-group-ID */
};

struct queue_envelope {
	char		*from;		/* "" for the null sender */
	char		**rcpts;	/* recipients still to deliver */
	size_t		 nrcpts;
	time_t		 created;
	time_t		 next_attempt;	/* 0: now */
	int		 attempts;
	int		 eightbit;
	int		 smtputf8;
	long long	 size;
	char		*dsn_notify;
	char		*dsn_ret;
	char		*envid;
	char		*last_reply;	/* why the last attempt failed */
	int		 is_bounce;	/* a notice we made: never bounced */
};

struct queue_entry {
	char			 id[QUEUE_ID_MAX];
	int			 fd;		/* data file; -1 when closed */
	int			 committed;	/* in new/, not tmp/ */
	off_t			 off;		/* queue_read() position */
	struct queue_envelope	 env;
};

/*
 * Open the spool at dir, creating dir (mode 0700, or 0770 for a
 * set-group-ID program, whose group must share it) and its tmp/, new/
 * and failed/ subdirectories when missing.  Refuses a directory that
 * others can write to, or that belongs to neither us nor root.
 */
int	queue_open(struct queue *, const char *dir, char *err, size_t errlen);
void	queue_close(struct queue *);

/* Start a new entry: creates tmp/ID.msg, open for writing in e->fd. */
int	queue_create(struct queue *, struct queue_entry *, char *err,
	    size_t errlen);
/* Append to the data file of an entry being created. */
int	queue_write(struct queue_entry *, const void *, size_t, char *err,
	    size_t errlen);
/*
 * Make the entry durable: fsync the data, write and fsync the envelope,
 * rename both into new/, fsync the directory.  Only after this returns 0
 * may the caller be told the message was accepted.  The entry stays
 * locked by this process until queue_entry_free().
 */
int	queue_commit(struct queue *, struct queue_entry *, char *err,
	    size_t errlen);
/* Drop an entry that was not committed (nothing visible is left). */
void	queue_abort(struct queue *, struct queue_entry *);

/*
 * Lock an entry in new/ for delivery and load its envelope.  Returns 1
 * when locked, 0 when another process holds it or it is gone, -1 on error.
 */
int	queue_lock(struct queue *, const char *id, struct queue_entry *,
	    char *err, size_t errlen);
/* Rewrite the envelope of a locked entry atomically. */
int	queue_update(struct queue *, struct queue_entry *, char *err,
	    size_t errlen);
/* Delivered: remove the entry. */
int	queue_remove(struct queue *, struct queue_entry *, char *err,
	    size_t errlen);
/* Refused for good or expired: move it to failed/ with the reason. */
int	queue_fail(struct queue *, struct queue_entry *, const char *reason,
	    char *err, size_t errlen);
/* Position the data file at the start (for each delivery attempt). */
int	queue_rewind(struct queue_entry *);
/*
 * Read the data file: bytes read, 0 at the end, -1 with errno.  The
 * position is the entry's own, not the descriptor's, so that processes
 * sharing the descriptor (parallel sessions) do not disturb each other.
 */
ssize_t	queue_read(struct queue_entry *, void *, size_t);
void	queue_entry_free(struct queue_entry *);

/*
 * Call fn for every entry id of a subdirectory ("new" or "failed"),
 * oldest first.  Returns 0, or -1 with err.
 */
int	queue_foreach(struct queue *, const char *sub,
	    int (*fn)(const char *id, void *arg), void *arg, char *err,
	    size_t errlen);
/*
 * Remove what interrupted submitters left behind, never acknowledged:
 * files in tmp/ and data files in new/ without an envelope, once older
 * than an hour (a submitter may still be writing a younger one).
 */
void	queue_clean(struct queue *, time_t now);
/* Read an entry's envelope without locking it (for mailq). */
int	queue_peek(struct queue *, const char *sub, const char *id,
	    struct queue_envelope *, long long *msgsize, char *err,
	    size_t errlen);
void	queue_envelope_free(struct queue_envelope *);
/* Whether id has the shape of the ids queue_create() makes: T.USEC.RANDOM. */
int	queue_id_valid(const char *id);

#endif
