/*
 * send.h - one message to the relay: over this process's session, or
 * over several sessions side by side.
 *
 * The layer above the delivery engine (deliver.h) and the parallel
 * sessions (parallel.h), and the only one that chooses between them: a
 * message for more recipients than one session takes goes over up to
 * [delivery] parallel sessions at once when no session is open yet;
 * anything else (and anything under -v, whose transcript must read in
 * order) goes over the caller's struct deliver, which keeps its
 * connection for the next message.  Results are those of deliver.h.
 */
#ifndef CFSENDMAIL_SEND_H
#define CFSENDMAIL_SEND_H

#include <stddef.h>

#include "deliver.h"

/*
 * For a message of nrcpts recipients that is not ready to go yet (its
 * spool file still to be made durable): connect and handshake now
 * (deliver_start()) unless the message will go over parallel sessions.
 */
void send_start(struct deliver *, size_t nrcpts);
/*
 * Deliver job from the first try: every recipient pending at first; the
 * results are in job->status[] and job->why.
 */
void send_message(struct deliver *, struct deliver_job *);

#endif
