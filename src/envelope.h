/*
 * envelope.h - the envelope of a submitted message: the sender and the
 * recipients the relay will be given.
 *
 * Built in steps, whatever the message comes from: the sender (-f/-r,
 * or the caller's login, through [sender]), recipient words from the
 * command line (one word may hold a list: cron passes MAILTO="a@x,b@y"
 * as one), and with -t the recipients of the header section.  A coming
 * SMTP session on stdin (-bs) gives MAIL FROM's address to
 * envelope_sender() and each RCPT TO's to envelope_add_word().  Every
 * recipient goes through [aliases] once, on its way in; envelope_check()
 * then decides whether the whole may be spooled.
 *
 * Pure code: no I/O (the caller looks up its login name).  A struct
 * envelope starts zeroed and owns its strings (envelope_free()).
 * Functions return ENVELOPE_OK, or another enum envelope_result with a
 * one-line reason in err that the caller maps to an exit code.
 */
#ifndef CFSENDMAIL_ENVELOPE_H
#define CFSENDMAIL_ENVELOPE_H

#include <stddef.h>

#include "address.h"
#include "config.h"
#include "header.h"

enum envelope_result {
	ENVELOPE_OK,
	ENVELOPE_BAD,	 /* an address malformed or not sendable */
	ENVELOPE_CONFIG, /* no [sender] from or domain for the sender */
	ENVELOPE_NOUSER, /* a local recipient with nowhere to go */
	ENVELOPE_EMPTY,	 /* no recipient at all */
};

struct envelope {
	char		   *from;  /* "" for the null sender <> */
	struct address_list rcpts; /* after [aliases], each once */
	/* refused by envelope_check(): their local part is not ASCII */
	struct address_list refused;
};

/*
 * Set the sender: given is -f/-r as the caller wrote it ("<a@x>" is
 * a@x, "<>" the null sender) or NULL, login the caller's user name (or
 * NULL); see aliases_sender() for the mapping.  The result is checked
 * as a MAIL FROM address and put in ASCII (idn.h): its domain in
 * A-labels; a local part that is not ASCII is ENVELOPE_BAD.
 */
enum envelope_result envelope_sender(struct envelope *, const struct config *,
    const char *given, const char *login, char *err, size_t errlen);
/* Add the recipients of one word: an address list, each through [aliases]. */
enum envelope_result envelope_add_word(struct envelope *, const struct config *,
    const char *word, char *err, size_t errlen);
/* -t: add the header section's recipients (header_recipients()) so too. */
enum envelope_result envelope_add_header(struct envelope *,
    const struct config *, const struct header_section *, char *err,
    size_t errlen);
/*
 * Before spooling: at least one recipient, and each acceptable in RCPT
 * TO, in ASCII (the relay does not offer SMTPUTF8): domains in A-labels,
 * and a recipient whose local part is not ASCII moved to refused, so
 * that it alone is refused.  ENVELOPE_NOUSER when none is left.
 */
enum envelope_result envelope_check(struct envelope *, char *err,
    size_t errlen);
void		     envelope_free(struct envelope *);

#endif
