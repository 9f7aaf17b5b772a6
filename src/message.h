/*
 * message.h - a submitted message on its way from stdin into the spool.
 *
 * Line endings are normalised here, once: CRLF and LF become LF, so that
 * what is spooled has LF endings only; smtp.c turns them into CRLF and
 * dot-stuffs while sending.  A line ends at LF and nowhere else, as in
 * sendmail and Postfix: a CR that no LF follows is data, turned into a
 * space (a bare CR on the wire is forbidden, RFC 5321 section 2.3.8), so
 * that it never starts a header field, adds a recipient or ends the
 * input.  A cron job's progress bar ("10%\r20%\r") becomes one long
 * line.  Without -i a line holding only "." ends the input, as in
 * sendmail.
 *
 * Reading happens in two steps so that the caller can decide the
 * envelope from the headers: message_read_header() reads up to the end
 * of the header section and parses it; message_write() writes the
 * rewritten header section, the blank line and the body to a sink.  No
 * file descriptors: input and output go through callbacks, so the
 * module is unit-tested and fuzzed on buffers.  Functions return a
 * enum message_result and a one-line reason in err.
 */
#ifndef CFSENDMAIL_MESSAGE_H
#define CFSENDMAIL_MESSAGE_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "header.h"

/* A header section larger than this is refused (no blank line in 64 MiB
 * of input must not make us grow). */
#define MESSAGE_MAX_HEADER (1024 * 1024)

enum message_result {
	MESSAGE_OK,
	MESSAGE_BAD,	     /* the message itself: FAIL_DATA */
	MESSAGE_READ_ERROR,  /* reading the input failed: FAIL_IO */
	MESSAGE_WRITE_ERROR, /* the sink failed (spool): FAIL_QUEUE_CREATE */
	MESSAGE_LONG_LINES,  /* written, but a body line is over 998 */
};

struct message_source {
	void *ctx;
	/* Returns bytes read, 0 at the end, -1 on error (errno set). */
	ssize_t (*read)(void *ctx, char *p, size_t len);
};

struct message_sink {
	void *ctx;
	/* Returns 0, or -1 with a reason in err. */
	int (*write)(void *ctx, const void *p, size_t len, char *err,
	    size_t errlen);
};

/* Line-ending and dot-rule state carried across input chunks. */
struct message_norm {
	int    ignore_dots; /* -i */
	int    cr;	    /* last byte was CR */
	int    bol;	    /* at the start of a line */
	int    dot;	    /* a line started with "." so far */
	int    ended;	    /* a lone "." ended the input */
	int    eof;
	size_t linelen;
	size_t longest; /* longest line seen, without LF */
	int    eightbit;
	int    nul;
};

struct message {
	struct message_norm   norm;
	struct buf	      head;	  /* header section, then body bytes */
	size_t		      header_len; /* header section in head */
	size_t		      body_off;	  /* first body byte in head */
	struct header_section hs;
	long long	      size; /* bytes written to the sink */
	/* for the size on the wire: */
	long long lines;	/* LFs written (CRLF on the wire) */
	long long dots;		/* lines written that start with "."
					   (dot-stuffed on the wire) */
	int	  wire_bol;	/* written so far: whole lines */
	long long header_bytes; /* header and blank line written */
	int	  eightbit;
};

/* Start a message; ignore_dots is -i. */
void message_init(struct message *, int ignore_dots);
void message_free(struct message *);
/*
 * Read the header section from src and parse it into m->hs.  A first
 * line that is no header line starts the body (the header section is
 * then empty); so does any other line that is not one, as Postfix does.
 */
enum message_result message_read_header(struct message *,
    const struct message_source *, char *err, size_t errlen);
/*
 * Write the header section rewritten by edit, a blank line, and the body
 * (the rest of src) to sink.  The input may not hold NUL bytes, nor be
 * empty, and what is written may not be larger than max_size on the wire
 * (message_wire_size(): it is refused before the sink gets the chunk
 * that goes over, reading no further).  When a body line is longer than
 * 998 bytes (RFC 5322 §2.1.1) everything is written all the same and
 * MESSAGE_LONG_LINES returned: see message_reencode().
 */
enum message_result message_write(struct message *, const struct header_edit *,
    const struct message_source *, const struct message_sink *,
    long long max_size, char *err, size_t errlen);
/*
 * Whether a message with over-long lines can be re-encoded safely: a
 * single-part text body (no Content-Type, or text/...) not encoded yet
 * (no Content-Transfer-Encoding, or 7bit, 8bit, binary), as OpenSMTPD
 * does.  A multipart body would need each part re-encoded: refused.
 */
int message_can_reencode(const struct message *);
/*
 * Write the message again to sink with its body quoted-printable: body
 * is the body as message_write() wrote it (read back from the spool).
 * The header section is rewritten as by edit, with
 * Content-Transfer-Encoding: quoted-printable, and MIME-Version and a
 * UTF-8 text Content-Type where they were missing.  max_size applies to
 * the re-encoded message, as in message_write().
 */
enum message_result message_reencode(struct message *,
    const struct header_edit *edit, const struct message_source *body,
    const struct message_sink *sink, long long max_size, char *err,
    size_t errlen);
/*
 * Bytes the message written takes on the wire, for SIZE= and max_size:
 * with CRLF line ends, and with the second dot of each dot-stuffed line
 * (which RFC 1870 leaves out: see message.c).
 */
long long message_wire_size(const struct message *);

#endif
