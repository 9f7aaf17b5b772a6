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
#include "envelope.h"
#include "message.h"
#include "options.h"
#include "outcome.h"

/* Read the message from standard input and handle it as above. */
enum failure submit_message(const struct options *, const struct config *,
    struct outcome *);
/* -bv: print the envelope the recipients resolve to; send nothing. */
enum failure submit_verify(const struct options *, const struct config *,
    struct outcome *);

/* -bs: told when a message is durably spooled, before its delivery. */
struct submit_accept {
	void (*accepted)(void *arg, const char *id);
	void *arg;
};

/*
 * One message of an SMTP session on stdin (-bs, bsession.h): env holds
 * the sender of MAIL FROM and the recipients of RCPT TO, each checked
 * already; src gives the DATA, unstuffed, and ends at its final dot.
 * From there on the message goes the way submit_message()'s does (the
 * header checks, Bcc, Date and Message-ID, max_size, the durable spool),
 * -t and -i aside.  acc->accepted() is called once the entry is durable,
 * so that the client gets its 250 before the delivery the mode asks for;
 * the delivery then treats the message as accepted (it stays queued
 * whatever happens, on_defer = fail included).  With -odb the delivery
 * happens in a child process that returns from here too.  o gets the
 * code and lines of a refusal before the spool, or of the delivery after.
 */
enum failure submit_smtp(const struct options *, const struct config *,
    struct envelope *, const struct message_source *,
    const struct submit_accept *, struct outcome *);

#endif
