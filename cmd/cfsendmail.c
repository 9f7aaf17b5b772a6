/*
 * cfsendmail - a sendmail-compatible null client for authenticated SMTPS.
 *
 * This file only dispatches: argv[0] and options, the config file, one
 * call into src/, and the outcome written out as text and a <sysexits.h>
 * exit code.  Everything else is in src/.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bsession.h"
#include "config.h"
#include "failure.h"
#include "log.h"
#include "mailq.h"
#include "options.h"
#include "outcome.h"
#include "privilege.h"
#include "runqueue.h"
#include "secret.h"
#include "serverinfo.h"
#include "submit.h"

static const char usage[] =
    "usage: cfsendmail [-t] [-i] [-f sender] [-F name] [-C config] [-v]\n"
    "                  [-odi|-odb|-odq] [-B 8BITMIME] [-N dsn] [--] rcpt ...\n"
    "       cfsendmail -bp [--json] | -q | -q<interval> | -qI<id> | -bv rcpt "
    "...\n"
    "       cfsendmail -bs | --requeue id...|all | --serverinfo | "
    "--check-config\n"
    "       cfsendmail --version | --help\n";

static const char help[] =
    "Submit a message read from standard input to the relay configured "
    "in\n" SYSCONFDIR "/cfsendmail.conf\n"
    "(Cloudflare Email Service by default).\n"
    "\n"
    "  -t           also take recipients from To, Cc and Bcc\n"
    "  -i, -oi      a line with a single dot does not end the message\n"
    "  -f sender    envelope sender (-f '<>' for none)   -F name  full name\n"
    "  -odi|-odb|-odq  deliver now | in the background | at the next -q\n"
    "  -v           show the SMTP conversation     -C file  another config "
    "file\n"
    "  -bp, mailq   list the queue (--json: one JSON object per entry)\n"
    "  -q           deliver every queued entry now  -q5m  what is due (timer, "
    "cron)\n"
    "  -qI<id>      deliver one entry now    -bv  show the resolved envelope\n"
    "  --requeue id...|all  put failed entries back in the queue\n"
    "  -bs          SMTP on standard input and output (Symfony, Laravel)\n"
    "  --serverinfo    connect and describe the relay, send nothing\n"
    "  --check-config  check the config file, no network\n"
    "\n"
    "Exit 0: delivered or safely queued.  See cfsendmail(8) for the rest.\n";

/* The modes that speak to the relay need the token. */
static int
needs_token(enum options_mode mode)
{
	return mode == OPTIONS_DELIVER || mode == OPTIONS_RUN_QUEUE ||
	    mode == OPTIONS_SERVERINFO || mode == OPTIONS_CHECK_CONFIG ||
	    mode == OPTIONS_SMTP_STDIN;
}

static enum failure
run(const struct options *opts, const struct config *cfg, struct outcome *o)
{
	switch (opts->mode) {
	case OPTIONS_DELIVER: return submit_message(opts, cfg, o);
	case OPTIONS_VERIFY: return submit_verify(opts, cfg, o);
	case OPTIONS_LIST_QUEUE: return mailq_list(cfg, opts->json, o);
	case OPTIONS_RUN_QUEUE:
		return runqueue_run(cfg, opts->queue_id,
		    opts->queue_interval > 0, o);
	case OPTIONS_SERVERINFO: return serverinfo_run(cfg, o);
	case OPTIONS_CHECK_CONFIG: return serverinfo_check_config(cfg, o);
	case OPTIONS_REQUEUE:
		return runqueue_requeue(cfg, opts->rcpts, opts->nrcpts, o);
	case OPTIONS_SMTP_STDIN: return bsession_run(opts, cfg, o);
	default: return outcome_fail(o, FAIL_INTERNAL, "unexpected mode");
	}
}

static int
load_config(const struct options *opts, struct config *cfg, char *err,
    size_t errlen)
{
	const char *path = opts->config_file ? opts->config_file :
					       SYSCONFDIR "/cfsendmail.conf";

	if (config_init(cfg, QUEUEDIR) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (config_load(cfg, path, err, errlen) == -1)
		return -1;
	if (needs_token(opts->mode) &&
	    config_load_token(cfg, err, errlen) == -1)
		return -1;
	return 0;
}

/*
 * A caller may start us with 0, 1 or 2 closed.  The next files opened
 * (config, queue entry, socket) would get those numbers, and text meant
 * for stderr would land in the message or on the wire: hold them on
 * /dev/null.  0 when all three are open now.
 */
static int
hold_standard_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct options opts;
	struct config  cfg;
	struct outcome o;
	char	       err[1024];
	int	       dumpable = 0;

	if (hold_standard_fds() == -1)
		return failure_exit_code(FAIL_SYSTEM);
	/* a caller that stops reading our stdout or stderr (a closed pipe)
	 * must get an exit status, not a message lost to SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	/* set-group-ID: the queue is shared with the group, nobody else */
	umask(privilege_is_setgid() ? 007 : 077);
	memset(&o, 0, sizeof(o));
	memset(&cfg, 0, sizeof(cfg));
	if (privilege_sanitise() == -1) {
		fprintf(stderr,
		    "cfsendmail: cannot sanitise the environment\n");
		return failure_exit_code(FAIL_SYSTEM);
	}
	if (options_parse(&opts, argc, argv, err, sizeof(err)) == -1) {
		fprintf(stderr, "cfsendmail: %s\n%s", err, usage);
		return failure_exit_code(FAIL_USAGE);
	}
	/* a caller-chosen config never gets the group's token or queue */
	if (opts.config_file != NULL && privilege_drop() == -1) {
		fprintf(stderr,
		    "cfsendmail: cannot drop the group privilege\n");
		options_free(&opts);
		return failure_exit_code(FAIL_SYSTEM);
	}
	switch (opts.mode) {
	case OPTIONS_VERSION:
		printf("cfsendmail %s\n", PACKAGE_VERSION);
		goto done;
	case OPTIONS_HELP: printf("%s\n%s", usage, help); goto done;
	case OPTIONS_NEWALIASES:
		goto done; /* aliases live in the config: nothing to build */
	default: break;
	}
	log_set_verbose(opts.verbose);
	/* the token must never land in a core file: no core, not dumpable,
	 * from before the config is read until config_free() wipes it */
	if (secret_protect(&dumpable, err, sizeof(err)) == -1) {
		outcome_fail(&o, FAIL_SYSTEM, "%s", err);
		goto done;
	}
	if (load_config(&opts, &cfg, err, sizeof(err)) == -1) {
		outcome_fail(&o, FAIL_CONFIG, "%s", err);
		/* a message refused is logged (submit.c), even when the
		 * config that says whether to log cannot be read */
		if (opts.mode == OPTIONS_DELIVER) {
			log_open(opts.syslog_tag, 1);
			log_error("refused, nothing queued (exit %d): %s",
			    failure_exit_code(FAIL_CONFIG), err);
		}
		goto done;
	}
	log_open(opts.syslog_tag, cfg.syslog);
	run(&opts, &cfg, &o);
done:
	fwrite(o.out.data ? o.out.data : "", 1, o.out.len, stdout);
	fwrite(o.report.data ? o.report.data : "", 1, o.report.len, stderr);
	config_free(&cfg);
	secret_unprotect(dumpable);
	options_free(&opts);
	outcome_free(&o);
	return failure_exit_code(o.failure);
}
