/*
 * tls.c - TCP connect and GnuTLS transport; see tls.h.
 *
 * Sockets are non-blocking and every operation waits in poll() for what
 * is left of its deadline, so a server that stalls or trickles bytes
 * cannot hold us past the timeout, whatever GnuTLS does inside.
 */

#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "log.h"
#include "mono.h"
#include "readfile.h"
#include "tls.h"
#include "trust.h"

/*
 * TLS 1.2 minimum: older versions are refused, never negotiated down.
 * X25519 first (GnuTLS lists P-256 first): the group Cloudflare and
 * browsers prefer, and cheaper on both ends than P-256.
 */
#define TLS_PRIORITY \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:" \
	"-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:" \
	"+GROUP-SECP521R1:+GROUP-X448:+GROUP-FFDHE2048:+GROUP-FFDHE3072:" \
	"+GROUP-FFDHE4096"

/* Where Debian, Fedora and SUSE keep the system trust store's bundle. */
static const char *const system_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
};

struct tls_client {
	struct tls_params		 p;
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t			 resume;
	int				 ip_literal;
	const char			*bundle_path; /* NULL: eager */
	struct buf			 bundle;      /* read when needed */
};

struct tls_conn {
	struct tls_client *client;
	int		   fd;
	gnutls_session_t   session;	  /* NULL before STARTTLS */
	int		   established;	  /* handshake done, verified */
	unsigned int	   verify_status; /* gnutls_certificate_status_t */
	char		   rbuf[16384];
	size_t		   roff, rlen;
	/* an end or error that conn_pending() met, for the next read */
	int	holding;
	ssize_t held;
	int	held_errno;
};

/* Wait until fd is ready for events or the deadline passes. */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	long long     left;
	int	      n;

	for (;;) {
		if ((left = deadline - mono_ms()) <= 0)
			return 0;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

static int
is_ip_literal(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, addr) == 1 ||
	    inet_pton(AF_INET6, host, addr) == 1;
}

/* The PEM bundle to pick anchors from: ca_file, or the system's. */
static const char *
find_bundle(const struct tls_params *p)
{
	size_t i;

	if (p->ca_file != NULL)
		return p->ca_file;
	for (i = 0; i < sizeof(system_bundles) / sizeof(system_bundles[0]); i++)
		if (faccessat(AT_FDCWD, system_bundles[i], R_OK, AT_EACCESS) ==
		    0)
			return system_bundles[i];
	return NULL;
}

struct tls_client *
tls_client_new(const struct tls_params *p, char *err, size_t errlen)
{
	struct tls_client *c;
	int		   n;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->p = *p;
	c->ip_literal = is_ip_literal(p->host);
	if (gnutls_certificate_allocate_credentials(&c->cred) < 0) {
		snprintf(err, errlen, "cannot set up TLS credentials");
		goto fail;
	}
	if ((c->bundle_path = find_bundle(p)) != NULL) {
		/* the effective identity: a set-group-ID queue run reads
		 * a ca_file that only its group may read */
		if (faccessat(AT_FDCWD, c->bundle_path, R_OK, AT_EACCESS) == 0)
			return c; /* anchors are picked at handshake */
		snprintf(err, errlen, "cannot read %s: %s", c->bundle_path,
		    strerror(errno));
		goto fail;
	}
	/* no bundle file: let GnuTLS load the store its own way */
	n = gnutls_certificate_set_x509_system_trust(c->cred);
	if (n <= 0) {
		snprintf(err, errlen, "no trust anchors loaded from %s%s%s",
		    p->ca_file ? p->ca_file : "the system trust store",
		    n < 0 ? ": " : "", n < 0 ? gnutls_strerror(n) : "");
		goto fail;
	}
	return c;
fail:
	tls_client_free(c);
	return NULL;
}

void
tls_client_free(struct tls_client *c)
{
	if (c == NULL)
		return;
	if (c->cred != NULL)
		gnutls_certificate_free_credentials(c->cred);
	gnutls_free(c->resume.data);
	buf_free(&c->bundle);
	free(c);
}

/* One address: non-blocking connect within the deadline. */
static int
connect_addr(const struct addrinfo *ai, long long deadline, char *why,
    size_t whylen)
{
	socklen_t len = sizeof(int);
	int	  fd, soerr = 0, one = 1;

	fd = socket(ai->ai_family,
	    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS) {
			soerr = errno;
			goto fail;
		}
		if (wait_fd(fd, POLLOUT, deadline) != 1) {
			soerr = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
			soerr = errno;
		if (soerr != 0)
			goto fail;
	}
	/* one flushed buffer must leave now, not after a delayed ACK */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:
	snprintf(why, whylen, "%s", strerror(soerr));
	close(fd);
	return -1;
}

/* Try every address getaddrinfo returns, IPv6 and IPv4 alike. */
static int
connect_tcp(const struct tls_params *p, enum tls_failure *fail, char *err,
    size_t errlen)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	char		port[8], addr[INET6_ADDRSTRLEN], why[128] = "";
	long long	deadline = mono_ms() + p->timeout_ms;
	int		fd = -1, rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", p->port);
	if ((rc = getaddrinfo(p->host, port, &hints, &res)) != 0) {
		*fail = rc == EAI_NONAME ? TLS_FAIL_NOHOST : TLS_FAIL_TEMP;
		snprintf(err, errlen, "cannot resolve %s: %s", p->host,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr),
			NULL, 0, NI_NUMERICHOST) != 0)
			strlcpy(addr, "?", sizeof(addr));
		log_trace("connecting to %s port %d", addr, p->port);
		fd = connect_addr(ai, deadline, why, sizeof(why));
		if (fd == -1)
			log_trace("connect to %s port %d: %s", addr, p->port,
			    why);
	}
	freeaddrinfo(res);
	if (fd == -1) {
		*fail = TLS_FAIL_TEMP;
		snprintf(err, errlen, "cannot connect to %s port %d: %s",
		    p->host, p->port, why);
	}
	return fd;
}

/* Import the server's own (leaf) certificate; NULL when there is none. */
static gnutls_x509_crt_t
peer_certificate(gnutls_session_t s)
{
	const gnutls_datum_t *chain;
	unsigned int	      n = 0;
	gnutls_x509_crt_t     crt = NULL;

	chain = gnutls_certificate_get_peers(s, &n);
	if (chain == NULL || n == 0 || gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return NULL;
	}
	return crt;
}

/* Compare the leaf's SHA-256 with the configured "sha256:hex" pin. */
static int
check_pin(gnutls_session_t s, const char *pin, char *err, size_t errlen)
{
	gnutls_x509_crt_t crt;
	unsigned char	  md[32];
	char		  hex[2 * sizeof(md) + 1], want[sizeof(hex)];
	size_t		  mdlen = sizeof(md), i, o;
	const char	 *p;

	if ((crt = peer_certificate(s)) == NULL)
		goto bad;
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, md,
		&mdlen) < 0 ||
	    mdlen != sizeof(md)) {
		gnutls_x509_crt_deinit(crt);
		goto bad;
	}
	gnutls_x509_crt_deinit(crt);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	/* the pin may be written with colons and in either case */
	for (p = pin + strlen("sha256:"), o = 0;
	     *p != '\0' && o < sizeof(want) - 1; p++)
		if (*p != ':')
			want[o++] = (char)(*p | 0x20);
	want[o] = '\0';
	p += strspn(p, ":");
	/* config checks the length; never let a longer pin match a prefix */
	if (*p == '\0' && strcmp(hex, want) == 0)
		return 0;
bad:
	snprintf(err, errlen,
	    "TLS certificate does not match "
	    "tls_fingerprint (server's is sha256:%s)",
	    mdlen == 32 ? hex : "?");
	return -1;
}

static void
verify_error(unsigned int status, const char *host, char *err, size_t errlen)
{
	gnutls_datum_t out = { NULL, 0 };

	if (gnutls_certificate_verification_status_print(status,
		GNUTLS_CRT_X509, &out, 0) < 0)
		out.data = NULL;
	snprintf(err, errlen,
	    "TLS certificate of %s not accepted: %s "
	    "(check [relay] host and ca_file)",
	    host, out.data ? (char *)out.data : "verification failed");
	gnutls_free(out.data);
}

#define CHAIN_MAX 16
/* The system bundle is some 200 KB; leave room for growth. */
#define BUNDLE_MAX (16 * 1024 * 1024)

/* The anchors that may have issued a certificate of the chain. */
static int
load_anchors(struct tls_client *cl, gnutls_x509_crt_t *chain, size_t n,
    gnutls_x509_trust_list_t tl)
{
	struct trust_name  names[CHAIN_MAX];
	gnutls_datum_t	   dn[CHAIN_MAX];
	struct trust_cert *anchors = NULL;
	gnutls_x509_crt_t  crt;
	gnutls_datum_t	   der;
	size_t		   i, na = 0, nn = 0;
	char		   err[256];
	struct stat	   st;
	int		   rc = -1;

	if (cl->bundle.data == NULL &&
	    readfile(cl->bundle_path, BUNDLE_MAX, &cl->bundle, &st, err,
		sizeof(err)) == -1) {
		/* the handshake then fails as untrusted: say why */
		log_info("%s", err);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (gnutls_x509_crt_get_raw_issuer_dn(chain[i], &dn[nn]) == 0) {
			names[nn].der = dn[nn].data;
			names[nn].len = dn[nn].size;
			nn++;
		}
	if (trust_find(cl->bundle.data, cl->bundle.len, names, nn, &anchors,
		&na) == -1)
		goto done;
	for (i = 0; i < na; i++) {
		der.data = anchors[i].der;
		der.size = (unsigned int)anchors[i].len;
		if (gnutls_x509_crt_init(&crt) < 0)
			goto done;
		if (gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) <
			0 ||
		    gnutls_x509_trust_list_add_cas(tl, &crt, 1, 0) != 1)
			gnutls_x509_crt_deinit(crt); /* skip a bad one */
	}
	rc = 0;
done:
	for (i = 0; i < nn; i++)
		gnutls_free(dn[i].data);
	trust_certs_free(anchors, na);
	return rc;
}

/*
 * Verify the server's chain against the anchors picked out of the bundle
 * and the host name (RFC 6125 rules, GnuTLS's; IP literals against IP
 * address SANs), for the TLS server purpose.  Sets c->verify_status.
 */
static void
verify_chain(struct tls_conn *c)
{
	gnutls_session_t	 s = c->session;
	const gnutls_datum_t	*peers;
	gnutls_x509_crt_t	 chain[CHAIN_MAX];
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_typed_vdata_st	 vdata[2];
	unsigned int		 n = 0, i, imported = 0;

	c->verify_status = GNUTLS_CERT_INVALID;
	peers = gnutls_certificate_get_peers(s, &n);
	if (peers == NULL || n == 0)
		goto done;
	n = n > CHAIN_MAX ? CHAIN_MAX : n;
	for (; imported < n; imported++)
		if (gnutls_x509_crt_init(&chain[imported]) < 0 ||
		    gnutls_x509_crt_import(chain[imported], &peers[imported],
			GNUTLS_X509_FMT_DER) < 0) {
			if (chain[imported] != NULL)
				gnutls_x509_crt_deinit(chain[imported]);
			goto done;
		}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0 ||
	    load_anchors(c->client, chain, n, tl) == -1)
		goto done;
	memset(vdata, 0, sizeof(vdata));
	vdata[0].type = GNUTLS_DT_DNS_HOSTNAME;
	vdata[0].data = (unsigned char *)(uintptr_t)c->client->p.host;
	vdata[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	vdata[1].data = (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_SERVER;
	if (gnutls_x509_trust_list_verify_crt2(tl, chain, n, vdata, 2, 0,
		&c->verify_status, NULL) < 0)
		c->verify_status = GNUTLS_CERT_INVALID;
done:
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	for (i = 0; i < imported; i++)
		gnutls_x509_crt_deinit(chain[i]);
}

static int
new_session(struct tls_conn *c, gnutls_session_t *out)
{
	struct tls_client *cl = c->client;
	gnutls_session_t   s;

	/* a reset connection must not kill us with SIGPIPE in gnutls_bye;
	 * one TLS 1.3 key share, X25519's, not also P-256's: a server
	 * without X25519 costs a HelloRetryRequest, every other one
	 * saves a key generation */
	if (gnutls_init(&s,
		GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL |
		    GNUTLS_KEY_SHARE_TOP) < 0)
		return -1;
	if (gnutls_priority_set_direct(s, TLS_PRIORITY, NULL) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cl->cred) < 0 ||
	    (!cl->ip_literal &&
		gnutls_server_name_set(s, GNUTLS_NAME_DNS, cl->p.host,
		    strlen(cl->p.host)) < 0)) {
		gnutls_deinit(s);
		return -1;
	}
	/* the chain is checked after the handshake: verify_peer() */
	if (cl->resume.data != NULL)
		gnutls_session_set_data(s, cl->resume.data, cl->resume.size);
	gnutls_transport_set_int(s, c->fd);
	*out = s;
	return 0;
}

static int
handshake(struct tls_conn *c, enum tls_failure *fail, char *err, size_t errlen)
{
	struct tls_client *cl = c->client;
	long long	   deadline = mono_ms() + cl->p.timeout_ms;
	gnutls_session_t   s;
	int		   rc;

	*fail = TLS_FAIL_CONFIG;
	if (new_session(c, &s) == -1) {
		snprintf(err, errlen, "cannot set up a TLS session");
		return -1;
	}
	c->session = s;
	*fail = TLS_FAIL_HANDSHAKE;
	while ((rc = gnutls_handshake(s)) < 0) {
		if (gnutls_error_is_fatal(rc)) {
			snprintf(err, errlen,
			    "TLS handshake with %s failed: "
			    "%s",
			    cl->p.host, gnutls_strerror(rc));
			return -1;
		}
		if (wait_fd(c->fd,
			gnutls_record_get_direction(s) ? POLLOUT : POLLIN,
			deadline) != 1) {
			snprintf(err, errlen, "TLS handshake with %s timed out",
			    cl->p.host);
			return -1;
		}
	}
	return 0;
}

/*
 * The certificate of a completed handshake: the chain must lead to a
 * trust anchor and name this host, and match the pin if there is one.
 * Checked after the handshake rather than inside it, so that the check
 * can wait until the caller has done its own work while the server
 * prepares its greeting (tls_connect_unverified()); nothing is read or
 * written before.  A resumed session was verified when it was first
 * made (only verified sessions are kept for resumption); the pin is
 * checked all the same.
 */
static int
verify_peer(struct tls_conn *c, enum tls_failure *fail, char *err,
    size_t errlen)
{
	struct tls_client *cl = c->client;
	gnutls_session_t   s = c->session;
	char		  *desc;

	*fail = TLS_FAIL_TRUST;
	if (!gnutls_session_is_resumed(s)) {
		if (cl->bundle_path != NULL)
			verify_chain(c);
		else if (gnutls_certificate_verify_peers3(s, cl->p.host,
			     &c->verify_status) < 0)
			c->verify_status = GNUTLS_CERT_INVALID;
		if (c->verify_status != 0) {
			verify_error(c->verify_status, cl->p.host, err, errlen);
			goto refuse;
		}
	}
	if (cl->p.fingerprint != NULL &&
	    check_pin(s, cl->p.fingerprint, err, errlen) == -1)
		goto refuse;
	c->established = 1;
	desc = gnutls_session_get_desc(s);
	log_trace("TLS session %s%s", desc ? desc : "?",
	    gnutls_session_is_resumed(s) ? ", resumed" : "");
	gnutls_free(desc);
	return 0;
refuse:
	gnutls_alert_send(s, GNUTLS_AL_FATAL, GNUTLS_A_BAD_CERTIFICATE);
	return -1;
}

/*
 * One read into rbuf, without waiting: > 0 bytes added, or
 * GNUTLS_E_AGAIN, or 0 at the end, or another (negative) error.
 */
static ssize_t
receive(struct tls_conn *c)
{
	char   *p = c->rbuf + c->rlen;
	size_t	room = sizeof(c->rbuf) - c->rlen;
	ssize_t n;

	if (c->holding) {
		c->holding = 0;
		errno = c->held_errno;
		return c->held;
	}
	if (c->session != NULL)
		n = gnutls_record_recv(c->session, p, room);
	else if ((n = recv(c->fd, p, room, 0)) == -1)
		n = (errno == EAGAIN || errno == EINTR) ? GNUTLS_E_AGAIN : -1;
	if (n == GNUTLS_E_INTERRUPTED)
		n = GNUTLS_E_AGAIN;
	if (n > 0)
		c->rlen += (size_t)n;
	return n;
}

/* Read what is available into rbuf; 0 on progress, -1 with err. */
static int
fill(struct tls_conn *c, long long deadline, char *err, size_t errlen)
{
	ssize_t n;

	for (;;) {
		if ((n = receive(c)) > 0)
			return 0;
		if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) {
			snprintf(err, errlen, "connection closed by server");
			return -1;
		}
		/* a HelloRequest: renegotiating mid-session buys nothing
		 * (TLS 1.3 dropped it) and has had its share of attacks */
		if (n == GNUTLS_E_REHANDSHAKE) {
			snprintf(err, errlen,
			    "server asked for a TLS "
			    "renegotiation (refused)");
			return -1;
		}
		if (n != GNUTLS_E_AGAIN) {
			snprintf(err, errlen, "read from server failed: %s",
			    c->session ? gnutls_strerror((int)n) :
					 strerror(errno));
			return -1;
		}
		if (wait_fd(c->fd, POLLIN, deadline) != 1) {
			snprintf(err, errlen,
			    "timed out waiting for the "
			    "server");
			return -1;
		}
	}
}

/*
 * A line's length is checked whether it came in one read or many: a
 * line complete in the buffer is measured as much as one still growing.
 */
static int
conn_read_line(void *ctx, struct buf *line, int timeout_ms, char *err,
    size_t errlen)
{
	struct tls_conn *c = ctx;
	long long	 deadline = mono_ms() + timeout_ms;
	char		*start, *nl;
	size_t		 len, have;

	buf_reset(line);
	for (;;) {
		start = c->rbuf + c->roff;
		have = c->rlen - c->roff;
		nl = memchr(start, '\n', have);
		/* with its LF, the line is at least have + 1 bytes long */
		if ((nl != NULL ? (size_t)(nl - start) : have) + 1 >
		    TRANSPORT_MAX_LINE) {
			snprintf(err, errlen,
			    "line from server longer than %d "
			    "bytes",
			    TRANSPORT_MAX_LINE);
			return -1;
		}
		if (nl != NULL)
			break;
		/* keep the partial line at the start of the buffer */
		memmove(c->rbuf, start, have);
		c->rlen = have;
		c->roff = 0;
		if (fill(c, deadline, err, errlen) == -1)
			return -1;
	}
	len = (size_t)(nl - start);
	c->roff += len + 1;
	if (len > 0 && start[len - 1] == '\r')
		len--;
	if (buf_add(line, start, len) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
conn_write(void *ctx, const void *p, size_t len, int timeout_ms, char *err,
    size_t errlen)
{
	struct tls_conn *c = ctx;
	long long	 deadline = mono_ms() + timeout_ms;
	const char	*b = p;
	ssize_t		 n;

	while (len > 0) {
		if (c->session != NULL)
			n = gnutls_record_send(c->session, b, len);
		else if ((n = send(c->fd, b, len, MSG_NOSIGNAL)) == -1)
			n = (errno == EAGAIN || errno == EINTR) ?
			    GNUTLS_E_AGAIN :
			    -1;
		if (n > 0) {
			b += n;
			len -= (size_t)n;
			continue;
		}
		if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED) {
			snprintf(err, errlen, "write to server failed: %s",
			    c->session ? gnutls_strerror((int)n) :
					 strerror(errno));
			return -1;
		}
		if (wait_fd(c->fd, POLLOUT, deadline) != 1) {
			snprintf(err, errlen,
			    "timed out sending to the "
			    "server");
			return -1;
		}
	}
	return 0;
}

/*
 * Bytes read and not yet taken, or that one read without waiting brings
 * in (a reply sent just behind another one arrives in the same read, or
 * is in the socket by now).  An end or error met here is held for the
 * next read to report (GnuTLS says some, a renegotiation request, once).
 */
static int
conn_pending(void *ctx)
{
	struct tls_conn *c = ctx;
	ssize_t		 n;

	if (c->rlen > c->roff)
		return 1;
	if (c->holding)
		return 0;
	if (c->session != NULL && gnutls_record_check_pending(c->session))
		return 1;
	c->rlen = c->roff = 0; /* all taken: room from the start */
	if ((n = receive(c)) > 0)
		return 1;
	if (n != GNUTLS_E_AGAIN) {
		c->holding = 1;
		c->held = n;
		c->held_errno = errno;
	}
	return 0;
}

static int
conn_starttls(void *ctx, char *err, size_t errlen)
{
	struct tls_conn *c = ctx;
	enum tls_failure fail;

	/* bytes the server sent before TLS must not be taken as TLS data
	 * (the STARTTLS command injection of CVE-2011-0411 and kin) */
	if (c->rlen > c->roff) {
		snprintf(err, errlen,
		    "server sent data after its STARTTLS "
		    "reply");
		return -1;
	}
	if (handshake(c, &fail, err, errlen) == -1 ||
	    verify_peer(c, &fail, err, errlen) == -1)
		return fail == TLS_FAIL_TEMP || fail == TLS_FAIL_HANDSHAKE ?
		    -1 :
		    TRANSPORT_PERMANENT;
	return 0;
}

int
tls_connect_unverified(struct tls_client *cl, struct tls_conn **out,
    enum tls_failure *why, char *err, size_t errlen)
{
	struct tls_conn *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		*why = TLS_FAIL_TEMP;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->client = cl;
	if ((c->fd = connect_tcp(&cl->p, why, err, errlen)) == -1 ||
	    (cl->p.implicit && handshake(c, why, err, errlen) == -1)) {
		tls_close(c);
		return -1;
	}
	*out = c;
	return 0;
}

int
tls_verify(struct tls_conn *c, struct transport *t, enum tls_failure *why,
    char *err, size_t errlen)
{
	struct tls_client *cl = c->client;

	/* STARTTLS: verified in conn_starttls(), after its handshake */
	if (cl->p.implicit && verify_peer(c, why, err, errlen) == -1) {
		tls_close(c);
		return -1;
	}
	t->ctx = c;
	t->read_line = conn_read_line;
	t->write = conn_write;
	t->pending = conn_pending;
	t->starttls = cl->p.implicit ? NULL : conn_starttls;
	return 0;
}

int
tls_connect(struct tls_client *cl, struct tls_conn **out, struct transport *t,
    enum tls_failure *why, char *err, size_t errlen)
{
	if (tls_connect_unverified(cl, out, why, err, errlen) == -1)
		return -1;
	if (tls_verify(*out, t, why, err, errlen) == -1) {
		*out = NULL;
		return -1;
	}
	return 0;
}

static void
describe_certificate(gnutls_session_t s, struct buf *out)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t	  dn = { NULL, 0 }, issuer = { NULL, 0 };
	time_t		  expires;
	char		  when[64];

	if ((crt = peer_certificate(s)) == NULL) {
		buf_adds(out, "certificate: none\n");
		return;
	}
	gnutls_x509_crt_get_dn3(crt, &dn, 0);
	gnutls_x509_crt_get_issuer_dn3(crt, &issuer, 0);
	expires = gnutls_x509_crt_get_expiration_time(crt);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&expires));
	buf_addf(out,
	    "certificate subject: %s\ncertificate issuer: %s\n"
	    "certificate expires: %s\ncertificate verified: yes (chain and "
	    "host name)\n",
	    dn.data ? (char *)dn.data : "?",
	    issuer.data ? (char *)issuer.data : "?", when);
	gnutls_free(dn.data);
	gnutls_free(issuer.data);
	gnutls_x509_crt_deinit(crt);
}

int
tls_describe(struct tls_conn *c, struct buf *out)
{
	gnutls_session_t s = c->session;

	if (s == NULL)
		return buf_adds(out, "TLS: none\n");
	buf_addf(out, "TLS: %s, cipher %s\n",
	    gnutls_protocol_get_name(gnutls_protocol_get_version(s)),
	    gnutls_cipher_get_name(gnutls_cipher_get(s)));
	describe_certificate(s, out);
	return 0;
}

void
tls_close(struct tls_conn *c)
{
	struct tls_client *cl;

	if (c == NULL)
		return;
	cl = c->client;
	if (c->session != NULL && c->established) {
		/* keep the session (TLS 1.3 tickets arrive after the
		 * handshake, so now) for the next connection to resume */
		gnutls_free(cl->resume.data);
		cl->resume.data = NULL;
		if (gnutls_session_get_data2(c->session, &cl->resume) < 0)
			cl->resume.data = NULL;
		gnutls_bye(c->session, GNUTLS_SHUT_WR);
	}
	if (c->session != NULL)
		gnutls_deinit(c->session);
	if (c->fd != -1)
		close(c->fd);
	free(c);
}
