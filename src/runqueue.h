/*
 * runqueue.h - the queue runner (-q, -q<interval>, -qI<id>).
 *
 * A run delivers the queued entries, oldest first, one attempt per entry
 * per run, over up to [queue] parallel sessions side by side (drain.h;
 * one under -v), each a connection that carries many messages (the
 * 50-RCPT limit counts per session across them); a relay that asks to
 * slow down gets fewer (throttle.h).  -q (and -qf) attempts every entry
 * now, as Postfix's sendmail -q and dma -q do; -q<interval> (the timer's
 * and cron's form) only those whose backoff has run out; -qI<id> one
 * entry, due or not (one that another process is delivering is only said
 * to be).  An entry that has been tried and has waited [queue] max_age
 * moves to failed/: its waiting is counted by the queue runs that take it
 * up, not read off a clock that may have been wrong (qclock.h).
 * Before anything of an entry is sent its data file is checked against
 * the envelope's length and checksum: a damaged entry moves to failed/,
 * marked damaged, and the run goes on (the exit code then says
 * FAIL_DATA, once: the next run no longer finds it).  When the relay
 * cannot be reached at all, or refuses our setup (a revoked token, a
 * certificate not trusted: attempt.h), the run stops at the first entry
 * instead of trying once per entry, and stops all its sessions; the
 * entries keep their recipients.  Any number of runs and submitters may
 * work at once: each entry is locked while it is delivered.  A
 * whole-queue run started from a terminal shows its progress on one line
 * of stderr (log_progress()).
 */
#ifndef CFSENDMAIL_RUNQUEUE_H
#define CFSENDMAIL_RUNQUEUE_H

#include "config.h"
#include "outcome.h"

/* id: -qI<id>, or NULL for the whole queue; due_only: -q<interval>. */
enum failure runqueue_run(const struct config *, const char *id, int due_only,
    struct outcome *);
/*
 * --requeue: the entries ids[0..n-1] of failed/ ("all": every one) back
 * into the queue with their clock restarted (queue_requeue()), for the
 * next queue run; one line each on stdout, the reason they had failed in
 * the log.  A damaged entry is refused (FAIL_DATA) naming its files; an
 * id not in failed/ is FAIL_USAGE; the others are requeued all the same.
 */
enum failure runqueue_requeue(const struct config *, char *const *ids, size_t n,
    struct outcome *);

#endif
