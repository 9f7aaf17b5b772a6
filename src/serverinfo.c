/*
 * serverinfo.c - --serverinfo and --check-config; see serverinfo.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliases.h"
#include "deliver.h"
#include "failure.h"
#include "notice.h"
#include "queue.h"
#include "serverinfo.h"
#include "smtp.h"
#include "tls.h"

static void
describe_caps(const struct smtp_caps *c, struct buf *out)
{
	buf_adds(out, "capabilities:");
	if (c->auth_plain || c->auth_login)
		buf_addf(out, " AUTH(%s%s%s)", c->auth_plain ? "PLAIN" : "",
		    c->auth_plain && c->auth_login ? " " : "",
		    c->auth_login ? "LOGIN" : "");
	if (c->size_known && c->size > 0)
		buf_addf(out, " SIZE(%.1f MiB)", (double)c->size / 1048576.0);
	else if (c->size_known)
		buf_adds(out, " SIZE(no limit stated)");
	if (c->eightbitmime)
		buf_adds(out, " 8BITMIME");
	if (c->pipelining)
		buf_adds(out, " PIPELINING");
	if (c->enhancedstatuscodes)
		buf_adds(out, " ENHANCEDSTATUSCODES");
	if (c->dsn)
		buf_adds(out, " DSN");
	if (c->smtputf8)
		buf_adds(out, " SMTPUTF8");
	buf_adds(out, "\n");
}

enum failure
serverinfo_run(const struct config *cfg, struct outcome *o)
{
	struct deliver	   d;
	struct deliver_job job;
	struct smtp_status st;
	char		   helo[256];
	const char	  *hint;

	deliver_helo(helo, sizeof(helo));
	deliver_init(&d, cfg, helo);
	memset(&job, 0, sizeof(job));
	buf_addf(&o->out, "relay: %s port %d (%s TLS)\n", cfg->host, cfg->port,
	    cfg->tls == CONFIG_TLS_IMPLICIT ? "implicit" : "STARTTLS");
	if (deliver_open(&d, &job) == -1) {
		st = job.failure;
		hint = deliver_hint(&st);
		outcome_fail(o, deliver_failure(&job), "%s%s%s", st.text,
		    hint ? " -- " : "", hint ? hint : "");
		/* what was learnt before the failure is still worth showing */
	} else {
		tls_describe(d.conn, &o->out);
		describe_caps(&d.smtp.caps, &o->out);
		buf_addf(&o->out, "AUTH: accepted as %s\n", cfg->username);
	}
	deliver_close(&d);
	return o->failure;
}

/*
 * The domains that make an address local, as aliases_is_local() decides:
 * a host name that is the sending domain is left out.
 */
static void
describe_local_names(const struct config *cfg, struct buf *out)
{
	char  *probe;
	size_t i;

	buf_adds(out,
	    "local names: bare names, @localhost, "
	    "@localhost.localdomain");
	for (i = 0; i < cfg->host_names.n; i++) {
		if (asprintf(&probe, "x@%s", cfg->host_names.v[i]) == -1)
			break;
		if (aliases_is_local(cfg, probe))
			buf_addf(out, ", @%s", cfg->host_names.v[i]);
		free(probe);
	}
	for (i = 0; i < cfg->local_domains.n; i++)
		buf_addf(out, ", @%s", cfg->local_domains.v[i]);
	buf_adds(out, "\n");
}

/* Where notices go: bounce_to resolved as notice.c resolves it. */
static int
describe_notices(const struct config *cfg, struct buf *out, char *err,
    size_t errlen)
{
	struct envelope env;
	size_t		i;
	int		rc;

	if ((rc = notice_envelope(cfg, &env, err, errlen)) == 0) {
		buf_adds(out, "notices of failed mail go to ");
		for (i = 0; i < env.rcpts.n; i++)
			buf_addf(out, "%s<%s>", i == 0 ? "" : ", ",
			    env.rcpts.v[i].addr);
		buf_addf(out, ", from <%s>\n", env.from);
	}
	envelope_free(&env);
	return rc;
}

enum failure
serverinfo_check_config(const struct config *cfg, struct outcome *o)
{
	struct queue q = { NULL };
	struct buf   notices = { 0 };
	char	     err[512];

	/* notice.c sends from [sender] from: without it, none is sent */
	if (cfg->bounce_to != NULL && cfg->from == NULL)
		return outcome_fail(o, FAIL_CONFIG,
		    "%s:%d: bounce_to is set but "
		    "[sender] from is not: notices of failed mail would never "
		    "be sent; set from",
		    cfg->path, cfg->bounce_to_line);
	if (cfg->bounce_to != NULL &&
	    describe_notices(cfg, &notices, err, sizeof(err)) == -1) {
		outcome_fail(o, FAIL_CONFIG, "%s:%d: %s", cfg->path,
		    cfg->bounce_to_line, err);
		goto done;
	}
	if (queue_open(&q, cfg->queue_dir, err, sizeof(err)) == -1) {
		outcome_fail(o, FAIL_QUEUE_CREATE, "%s", err);
		goto done;
	}
	queue_close(&q);
	buf_addf(&o->out,
	    "%s: OK (relay %s port %d, user %s, token set, "
	    "queue %s)\n",
	    cfg->path, cfg->host, cfg->port, cfg->username, cfg->queue_dir);
	describe_local_names(cfg, &o->out);
	if (notices.len > 0)
		buf_add(&o->out, notices.data, notices.len);
done:
	buf_free(&notices);
	return o->failure;
}
