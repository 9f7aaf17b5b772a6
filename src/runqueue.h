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
 * entry, due or not.  An entry older than [queue] max_age moves to failed/.
 * Before anything of an entry is sent its data file is checked against
 * the envelope's length and checksum: a damaged entry moves to failed/,
 * marked damaged, and the run goes on (the exit code then says
 * EX_DATAERR, once: the next run no longer finds it).  When the relay
 * cannot be reached at all, the run stops at the first entry instead of
 * timing out once per entry, and stops all its sessions.  Any number of
 * runs and submitters may work at once: each entry is locked while it is
 * delivered.  A whole-queue run started from a terminal shows its
 * progress on one line of stderr (log_progress()).
 */
#ifndef CFSENDMAIL_RUNQUEUE_H
#define CFSENDMAIL_RUNQUEUE_H

#include "config.h"
#include "outcome.h"

/* id: -qI<id>, or NULL for the whole queue; due_only: -q<interval>. */
int	runqueue_run(const struct config *, const char *id, int due_only,
	    struct outcome *);

#endif
