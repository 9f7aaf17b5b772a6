/*
 * runqueue.h - the queue runner (-q) and the queue listing (-bp, mailq).
 *
 * A run delivers the entries that are due (or the one named by -qI<id>,
 * due or not) over one connection, which carries many messages (the
 * 50-RCPT limit counts per session across them), one attempt per entry
 * per run; the per-entry backoff decides when the next one is.  An
 * entry older than [queue] max_age moves to failed/.  When the relay
 * cannot be reached at all, the run stops at the first entry instead of
 * timing out once per entry.  Any number of runs and submitters may work
 * at once: each entry is locked while it is delivered.
 */
#ifndef CFSENDMAIL_RUNQUEUE_H
#define CFSENDMAIL_RUNQUEUE_H

#include "config.h"
#include "outcome.h"

/* -q, -qI<id> (id NULL: every due entry). */
int	runqueue_run(const struct config *, const char *id, struct outcome *);
/* -bp: the queued and failed entries, for people, in o->out. */
int	runqueue_list(const struct config *, struct outcome *);

#endif
