/*
 * tls.h - TCP connection and GnuTLS session: the real transport.
 *
 * The only module that touches sockets.  tls_connect() tries every
 * address of the host in turn, each within the timeout, with TCP_NODELAY
 * (so that one flushed buffer leaves at once, without Nagle waits), then
 * for implicit TLS does the handshake: TLS 1.2 minimum, SNI unless the
 * host is an IP literal (RFC 6066 §3), and the certificate chain checked
 * against the trust anchors *and* the host name.  There is never a
 * plaintext fallback.  Errors return -1 with a one-line reason in err
 * and say in *why whether retrying later can help.
 */
#ifndef CFSENDMAIL_TLS_H
#define CFSENDMAIL_TLS_H

#include <stddef.h>

#include "buf.h"
#include "transport.h"

struct tls_params {
	const char *host;
	int	    port;
	const char *ca_file;	 /* NULL: the system trust store */
	const char *fingerprint; /* "sha256:hex" pin, or NULL */
	int	    timeout_ms;	 /* connect, handshake */
	int	    implicit;	 /* 1: TLS from connect; 0: STARTTLS */
};

enum tls_failure {
	TLS_FAIL_TEMP,	    /* refused, reset, timed out: retry later */
	TLS_FAIL_NOHOST,    /* the host name does not resolve */
	TLS_FAIL_TRUST,	    /* certificate not trusted or wrong name */
	TLS_FAIL_CONFIG,    /* our own settings: CA file, priorities */
	TLS_FAIL_HANDSHAKE, /* the handshake failed or timed out (TLS
				   spoken to a plaintext port?): retry later */
};

/* Trust anchors and TLS session cache shared by the connections of a run. */
struct tls_client;
struct tls_conn;

/* Returns NULL with err set when the trust anchors cannot be loaded. */
struct tls_client *tls_client_new(const struct tls_params *, char *err,
    size_t errlen);
void		   tls_client_free(struct tls_client *);

/*
 * Connect and, for implicit TLS, handshake and check the certificate.
 * On success *out is a live connection and t is filled with its
 * transport functions.
 */
int tls_connect(struct tls_client *, struct tls_conn **out, struct transport *t,
    enum tls_failure *why, char *err, size_t errlen);
/*
 * tls_connect() in two steps, so that other work fits between the
 * handshake and the server's first words: tls_connect_unverified()
 * connects and handshakes, without looking at the certificate yet;
 * tls_verify() checks it and only then fills t, so nothing can be read
 * from or written to an unverified server.  On failure either one
 * closes the connection.
 */
int tls_connect_unverified(struct tls_client *, struct tls_conn **out,
    enum tls_failure *why, char *err, size_t errlen);
int tls_verify(struct tls_conn *, struct transport *t, enum tls_failure *why,
    char *err, size_t errlen);
/* Describe the TLS session and certificate (for --serverinfo). */
int tls_describe(struct tls_conn *, struct buf *out);
/* Close without waiting for the peer; NULL is fine. */
void tls_close(struct tls_conn *);

#endif
