/*
 * bsmtp.h - the server side of -bs (an SMTP session on standard input and
 * output) as pure code: command lines framed and parsed, the order of
 * commands, DATA unstuffed, and the replies' text.
 *
 * No I/O: bsession.c reads and writes, and decides with envelope.h and
 * submit.h what a MAIL, RCPT or DATA leads to.  Everything here works on
 * buffers, so it is unit-tested and fuzzed as it is.
 *
 * Command lines (RFC 5321 section 4.5.3.1.4): at most BSMTP_LINE_MAX
 * octets with the line end, which is CRLF or a bare LF.  A longer line
 * is refused as a whole (500 5.5.2) and skipped up to its end, never
 * buffered.  A command holding a control byte (NUL, a CR that is not
 * part of the line end, TAB, DEL...) is refused with 501 5.5.2 before
 * its verb is looked at.  Verbs are case-insensitive.
 *
 * DATA (RFC 5321 section 4.5.2): the client doubles a dot that starts a
 * line and ends the message with a line holding only a dot.  A client
 * that ends its DATA command with CRLF (every SMTP library) ends lines
 * with CRLF, and only CRLF ends a line for that framing: a bare LF inside
 * the content is data, so that content an application passes on
 * unescaped ("\n.\n") can never end the message early and smuggle
 * commands in.  A client that writes bare LF (a shell script) ends its
 * lines, and the message, with LF.  Either way message.c then reads the
 * content as it reads standard input: CRLF and LF end lines, a bare CR is
 * a space.
 *
 * Errors are values of enum bsmtp_error, each a fixed reply
 * (bsmtp_error_text()); functions do not fail otherwise.
 */
#ifndef CFSENDMAIL_BSMTP_H
#define CFSENDMAIL_BSMTP_H

#include <stddef.h>

#include "buf.h"

/* A command line with its CRLF (RFC 5321 section 4.5.3.1.4). */
#define BSMTP_LINE_MAX 512
/* Recipients of one message (RFC 5321 section 4.5.3.1.8 asks for 100). */
#define BSMTP_MAX_RCPTS 1000

enum bsmtp_verb {
	BSMTP_HELO,
	BSMTP_EHLO,
	BSMTP_MAIL,
	BSMTP_RCPT,
	BSMTP_DATA,
	BSMTP_RSET,
	BSMTP_NOOP,
	BSMTP_QUIT,
	BSMTP_HELP,
	BSMTP_VRFY,
	BSMTP_EXPN,
	/* known, not offered: AUTH, STARTTLS, BDAT, ETRN, TURN... */
	BSMTP_UNSUPPORTED,
};

enum bsmtp_body {
	BSMTP_BODY_NONE,
	BSMTP_BODY_7BIT,
	BSMTP_BODY_8BITMIME,
};

struct bsmtp_cmd {
	enum bsmtp_verb verb;
	/* MAIL, RCPT: the path with its angle brackets ("<a@x>", "<>"),
	 * as written; for the others "" */
	char		path[BSMTP_LINE_MAX];
	long long	size; /* MAIL SIZE=, -1 when absent */
	enum bsmtp_body body; /* MAIL BODY= */
};

/* The fixed replies: protocol errors, and the order of commands. */
enum bsmtp_error {
	BSMTP_OK,
	BSMTP_E_TOO_LONG,      /* 500 5.5.2 */
	BSMTP_E_CONTROL,       /* 501 5.5.2 */
	BSMTP_E_UNKNOWN,       /* 500 5.5.1 */
	BSMTP_E_UNSUPPORTED,   /* 502 5.5.1 */
	BSMTP_E_EXPN,	       /* 502 5.5.1 */
	BSMTP_E_HELO_SYNTAX,   /* 501 5.5.4 */
	BSMTP_E_MAIL_SYNTAX,   /* 501 5.5.4 */
	BSMTP_E_RCPT_SYNTAX,   /* 501 5.5.4 */
	BSMTP_E_VRFY_SYNTAX,   /* 501 5.5.4 */
	BSMTP_E_NO_ARGS,       /* 501 5.5.4: DATA, RSET, QUIT take none */
	BSMTP_E_PARAM_UNKNOWN, /* 555 5.5.4 */
	BSMTP_E_PARAM_TWICE,   /* 501 5.5.4 */
	BSMTP_E_SIZE_SYNTAX,   /* 501 5.5.4 */
	BSMTP_E_BODY_SYNTAX,   /* 501 5.5.4 */
	BSMTP_E_NESTED_MAIL,   /* 503 5.5.1 */
	BSMTP_E_NEED_MAIL,     /* 503 5.5.1 */
	BSMTP_E_NEED_RCPT,     /* 503 5.5.1 */
	BSMTP_E_NO_VALID_RCPT, /* 554 5.5.1 */
	BSMTP_E_COUNT
};

/* Where a session stands (RFC 5321 section 4.1.4). */
enum bsmtp_state {
	BSMTP_IDLE,   /* no transaction */
	BSMTP_MAILED, /* MAIL accepted, no RCPT accepted yet */
	BSMTP_RCPTED, /* MAIL and at least one RCPT accepted */
};

enum bsmtp_frame {
	BSMTP_FRAME_NEED, /* no complete line: read more */
	BSMTP_FRAME_LINE, /* a line */
	BSMTP_FRAME_LONG, /* a line over BSMTP_LINE_MAX: refuse it */
	BSMTP_FRAME_SKIP, /* the rest of such a line dropped */
};

/* Framing state between calls: the rest of a long line to skip. */
struct bsmtp_framer {
	int skipping;
};

/* DATA unstuffing state (see the top of this file). */
struct bsmtp_data {
	int	  strict; /* only CRLF ends a line */
	int	  bol;	  /* at the start of a line */
	int	  cr;	  /* the last byte was a CR */
	int	  held;	  /* 1: "." held at the start of a
					   line, 2: ".\r" */
	int	  ended;  /* the final dot line was read */
	long long wire;	  /* octets as they will be on the
					   wire: line ends as CRLF, stuffing
					   dots counted, the final dot line
					   not */
};

/*
 * Find the next command line in the len bytes at p.  Returns
 * BSMTP_FRAME_LINE with the line in p[0 .. *linelen) (without its line
 * end) and *crlf set when CRLF ended it; BSMTP_FRAME_LONG when the line
 * is longer than BSMTP_LINE_MAX (reply BSMTP_E_TOO_LONG once) and
 * BSMTP_FRAME_SKIP for more of it; BSMTP_FRAME_NEED when more input is
 * needed.  *used is always the count of bytes to drop from the front of
 * p (the line and its end, or the skipped bytes).
 */
enum bsmtp_frame bsmtp_frame(struct bsmtp_framer *, const char *p, size_t len,
    size_t *linelen, int *crlf, size_t *used);

/*
 * Parse one command line (no line end; trailing spaces are ignored) into
 * cmd.  Returns BSMTP_OK or the syntax error to reply with.
 */
enum bsmtp_error bsmtp_parse(const char *line, size_t len,
    struct bsmtp_cmd *cmd);

/*
 * Whether verb may come now: BSMTP_OK, or the 503 (554 for DATA after
 * every RCPT was refused: rcpt_refused) to reply with.
 */
enum bsmtp_error bsmtp_sequence(enum bsmtp_state, int rcpt_refused,
    enum bsmtp_verb);

/* The reply for an error: "CODE X.Y.Z text", no line end. */
const char *bsmtp_error_text(enum bsmtp_error);
/* Append that reply and CRLF to out: 0, or -1 when out cannot grow. */
int bsmtp_reply_error(struct buf *out, enum bsmtp_error);

/* Start reading DATA; strict: the DATA command ended with CRLF. */
void bsmtp_data_init(struct bsmtp_data *, int strict);
/*
 * Unstuff the len input bytes at in onto out (outlen >= 2): returns the
 * bytes written to out, and in *used the input bytes consumed.  Stops
 * when out is full or the final dot line was consumed (d->ended; what
 * follows it in the input belongs to the next command).
 */
size_t bsmtp_data_feed(struct bsmtp_data *, const char *in, size_t len,
    size_t *used, char *out, size_t outlen);

/*
 * Append one reply line "CODE text" and CRLF to out: '-' instead of the
 * space after the code when more lines follow.  Control bytes in the text
 * become '?', and a line is cut to BSMTP_LINE_MAX octets with its CRLF.
 * Returns 0, or -1 when out cannot grow.
 */
int bsmtp_reply(struct buf *out, int code, int more, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
