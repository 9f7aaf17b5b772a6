/*
 * mailq.h - the queue listing (-bp, mailq): for people, or one JSON
 * object per line for programs (--json; cfsendmail(8) documents it as a
 * stable interface).
 *
 * The ids are read first (names only), then each entry's envelope, one
 * at a time, and written out: the listing's memory does not grow with
 * the number of entries beyond their names.  Nothing is locked or
 * changed: an entry being delivered is only shown as such, a damaged
 * one is shown as damaged until a queue run moves it to failed/.
 */
#ifndef CFSENDMAIL_MAILQ_H
#define CFSENDMAIL_MAILQ_H

#include <stddef.h>

#include "config.h"
#include "outcome.h"

/* The queued entries, then the failed ones, in o->out. */
enum failure mailq_list(const struct config *, int json, struct outcome *);
/* "45s", "3m", "2h", "4d": ages and delays for people. */
void mailq_span(long long secs, char *out, size_t outlen);

#endif
