/*
 * submit.h - a message from the caller (sendmail -bm, the default):
 * envelope, spool, then delivery now, in the background or later.
 *
 * The envelope comes from -f and the recipient words (and the headers
 * with -t), mapped through [aliases] and [sender]; every address is
 * checked before anything is spooled.  The message is spooled durably
 * before anything is sent to the relay (in the foreground a thread
 * commits it while the connection and TLS handshake go on); only then
 * is it delivered: in the foreground (the default), by a detached child
 * (-odb), or by the next queue run (-odq).  The exit code is 0 when the
 * message was delivered or is safely queued.  envelope.h builds the
 * envelope, message.h the spool file.
 */
#ifndef CFSENDMAIL_SUBMIT_H
#define CFSENDMAIL_SUBMIT_H

#include "config.h"
#include "options.h"
#include "outcome.h"

/* Read the message from standard input and handle it as above. */
int	submit_message(const struct options *, const struct config *,
	    struct outcome *);
/* -bv: print the envelope the recipients resolve to; send nothing. */
int	submit_verify(const struct options *, const struct config *,
	    struct outcome *);

#endif
