/*
 * parallel.h - sessions of one message side by side.
 *
 * A message for more recipients than one session takes (the relay: 50)
 * needs several sessions; up to [delivery] parallel of them run at once,
 * each in a child process with its own connection, so that the caller
 * waits for the slowest session rather than for their sum.  Each child
 * delivers its share with the same batching and retry rules and hands
 * its per-recipient results back through a pipe.
 */
#ifndef CFSENDMAIL_PARALLEL_H
#define CFSENDMAIL_PARALLEL_H

#include "deliver.h"

/*
 * Deliver job over up to cfg->parallel sessions at once, each child with
 * deliver_batches().  Returns 0 when done (results in job as for
 * deliver_batches), -1 when no child could be started (nothing was sent;
 * the caller delivers in this process).
 */
int parallel_deliver(struct deliver *, struct deliver_job *);

#endif
