/*
 * transport.h - the byte stream the SMTP engine talks through.
 *
 * smtp.c does no I/O of its own: it reads lines and writes buffers
 * through this interface.  tls.c implements it over TCP + GnuTLS; the
 * unit tests implement it with a scripted fake.  Every function returns
 * 0, or -1 with a one-line reason in err; a failure means the connection
 * is unusable (timeout, reset, TLS error, a line over TRANSPORT_MAX_LINE)
 * and is a temporary failure.
 */
#ifndef CFSENDMAIL_TRANSPORT_H
#define CFSENDMAIL_TRANSPORT_H

#include <stddef.h>

#include "buf.h"

/*
 * Longest line accepted from a server, its CRLF included, however it
 * arrives.  RFC 5321 §4.5.3.1.5 says 512; the margin is for servers that
 * say more than they should.
 */
#define TRANSPORT_MAX_LINE 4096

/* What starttls returns for a failure that retrying cannot mend. */
#define TRANSPORT_PERMANENT (-2)

struct transport {
	void *ctx;
	/*
	 * Read one line, without its CRLF (or bare LF), into line (which is
	 * reset first); the whole line must arrive within timeout_ms.
	 */
	int (*read_line)(void *ctx, struct buf *line, int timeout_ms, char *err,
	    size_t errlen);
	/* Write all of p, as few TLS records as possible, within timeout_ms. */
	int (*write)(void *ctx, const void *p, size_t len, int timeout_ms,
	    char *err, size_t errlen);
	/*
	 * Whether the server sent bytes that have not been read: before a
	 * command is sent, a reply nobody asked for yet.  Looks at what
	 * arrived so far without waiting.
	 */
	int (*pending)(void *ctx);
	/*
	 * STARTTLS: start TLS on the connection after the server's 220.
	 * NULL when the transport cannot (it is TLS already).  0, or -1 for
	 * a failure worth retrying, or TRANSPORT_PERMANENT for one that is
	 * not (the certificate is not trusted, our own settings are wrong).
	 */
	int (*starttls)(void *ctx, char *err, size_t errlen);
};

#endif
