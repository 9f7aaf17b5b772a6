/*
 * failure.h - why a command did not end well, and its exit code.
 *
 * src/ says what went wrong as an enum failure; failure_exit_code() is the
 * one place that turns that into a <sysexits.h> code (DESIGN.md, "Exit
 * codes").  The enum is ordered by nothing; compare values, never ranges.
 */
#ifndef CFSENDMAIL_FAILURE_H
#define CFSENDMAIL_FAILURE_H

enum failure {
	FAIL_NONE,	    /* accepted: delivered or durably queued */
	FAIL_USAGE,	    /* the command line */
	FAIL_DATA,	    /* the message, an address, a queue entry */
	FAIL_RECIPIENT,	    /* a recipient refused for good */
	FAIL_RELAY_NAME,    /* the relay's name does not resolve */
	FAIL_RELAY_REFUSED, /* the relay refused for good (TLS, 5xx) */
	FAIL_INTERNAL,	    /* a bug: what cannot happen did */
	FAIL_SYSTEM,	    /* the system refused: memory, privileges */
	FAIL_QUEUE_CREATE,  /* a queue file cannot be created */
	FAIL_IO,	    /* reading or writing failed */
	FAIL_TEMPORARY,	    /* try again later; not queued */
	FAIL_AUTH,	    /* the relay refused our credentials */
	FAIL_CONFIG	    /* the configuration */
};

/* The <sysexits.h> code for a failure; EX_SOFTWARE for a value not in
 * the enum. */
int failure_exit_code(enum failure);

#endif
