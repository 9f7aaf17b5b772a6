/*
 * bsession.h - -bs: an ESMTP session on standard input and output, the
 * way sendmail, Postfix and Exim serve Symfony Mailer and Laravel
 * ("sendmail -bs", "sendmail -bs -i").
 *
 * The client speaks SMTP to this process over its pipes: greeting, EHLO
 * or HELO, and any number of messages, each MAIL FROM, RCPT TO..., DATA.
 * Commands and replies are bsmtp.h's; this module reads and writes them
 * and decides what each leads to:
 *
 * - MAIL FROM and RCPT TO build the envelope with envelope.h, under the
 *   same policy as the command line's -f and recipient words ([aliases],
 *   host-local names, [sender] from); each RCPT is checked on its own and
 *   refused alone.  A SIZE= over [delivery] max_size is refused at once
 *   (552 5.3.4).
 * - DATA goes through submit_smtp() (submit.h): the message is checked,
 *   rewritten and spooled as one read with -t would be, and the 250 that
 *   carries its queue id is sent only once the entry is durable.  Then it
 *   is delivered as the mode says; what the delivery does (kept queued,
 *   failed/ and a notice) is what it does for a message from the command
 *   line.  A message refused before the spool gets its 5xx (552 when
 *   what the client sent is over max_size), or a 451 for a local
 *   failure, and nothing is queued.
 * - PIPELINING (RFC 2920): replies are gathered while more commands are
 *   waiting in the input, and sent, in order, before the next wait.
 * - Each wait for input or for the client to read a reply ends after
 *   [delivery] bs_timeout (421 4.4.2, and the session ends).
 *
 * Set-group-ID: the group is lowered for the whole session and raised
 * only from DATA until the entry is durable (submit.c lowers it again),
 * as an argv submission holds it only while it reads and spools.
 *
 * The outcome: 0 when the session ended with QUIT, or with the end of the
 * input between messages; FAIL_IO when the input ended in the middle of
 * a message or a reply could not be written, FAIL_TEMPORARY on a timeout (a
 * message in progress then is not queued).  Lines for standard error
 * tell what happened to accepted messages that failed later.
 */
#ifndef CFSENDMAIL_BSESSION_H
#define CFSENDMAIL_BSESSION_H

#include "config.h"
#include "options.h"
#include "outcome.h"

/* Serve one session on stdin and stdout until QUIT, the end or an error. */
enum failure bsession_run(const struct options *, const struct config *,
    struct outcome *);

#endif
