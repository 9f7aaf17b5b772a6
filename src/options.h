/*
 * options.h - the sendmail(8) command line, read into a struct options.
 *
 * Every program that runs /usr/sbin/sendmail must keep working, so argv
 * is read the way sendmail and Postfix's sendmail read it:
 *
 * - Options come first, one letter each, clustered as with getopt(3):
 *   "-ti" is "-t -i", and a letter that takes a value ends the cluster,
 *   so "-tfaddr" is "-t -f addr".
 * - The first word that is not an option, or "--", ends the options
 *   (POSIX getopt, as Postfix does on Linux).  cron passes
 *   "-i -FCronDaemon -B8BITMIME -oem root", mutt "-oem -oi -- rcpt".
 * - Every later word is a recipient word, kept as given: one word may hold
 *   a comma-separated list (cron's MAILTO=a@x,b@y); splitting, aliases and
 *   address checks happen elsewhere.  A recipient word that starts with
 *   '-' is refused unless "--" ended the options: it is an option written
 *   after a recipient, almost always injected text (PHP's mail() appends
 *   its fifth argument after "-t -i"), and silently mailing it or obeying
 *   it would both be wrong.
 * - Options real callers pass but a null client has no use for (-X, -O,
 *   -D, -M, -p, -h, -d, -c, -G, -m, -n, -s, -U and -o forms other than
 *   -oi, -od, -oe) are accepted and ignored; their value is consumed and
 *   never used.  -X and -D name log files, and "-X/path" is how PHP
 *   mail() injections write a web shell.
 *
 * Pure: no I/O, no printing, no exit.  The strings in struct options
 * point into argv (or are the static ""), so argv must outlive the
 * struct; only the rcpts array is allocated, and options_free() releases
 * it.  Values are checked here only where they have a fixed syntax (-B,
 * -N, -R, -V, -od, -oe, -A, -b, -h, -q); -f, -F, -C, -L and recipients
 * are checked by the modules that use them.
 *
 * Errors: options_parse() returns -1 and writes a one-line reason into
 * err (always NUL-terminated, truncated to fit, argv text quoted with
 * control bytes replaced by '?').  errno is EINVAL for a usage error
 * (exit EX_USAGE) and ENOMEM, with the reason "out of memory", when the
 * recipient array cannot be allocated.
 *
 * Long options: --version, --help, --serverinfo and --check-config are
 * modes; --json is the format of -bp (refused with any other mode).
 * --requeue is a mode too: the words after the options are the queue
 * ids it works on (or "all"), kept in rcpts; at least one, each with the
 * syntax of -qI's id.
 */
#ifndef CFSENDMAIL_OPTIONS_H
#define CFSENDMAIL_OPTIONS_H

#include <stddef.h>

/* RFC 3461 section 4.4: ENVID is at most 100 characters. */
#define OPTIONS_ENVID_MAX 100

enum options_mode {
	OPTIONS_DELIVER,      /* -bm, default */
	OPTIONS_LIST_QUEUE,   /* -bp, or invoked as mailq */
	OPTIONS_RUN_QUEUE,    /* -q[...] (also -qI<id>, -qR/-qS accepted) */
	OPTIONS_NEWALIASES,   /* -bi, -I, or invoked as newaliases */
	OPTIONS_VERIFY,	      /* -bv */
	OPTIONS_SMTP_STDIN,   /* -bs */
	OPTIONS_VERSION,      /* --version */
	OPTIONS_HELP,	      /* --help */
	OPTIONS_SERVERINFO,   /* --serverinfo */
	OPTIONS_CHECK_CONFIG, /* --check-config */
	OPTIONS_REQUEUE,      /* --requeue ID... | all */
};

enum options_delivery {
	OPTIONS_DM_CONFIG,     /* not given: use the config file */
	OPTIONS_DM_FOREGROUND, /* -odi, -odf, -od */
	OPTIONS_DM_BACKGROUND, /* -odb */
	OPTIONS_DM_QUEUE,      /* -odq, -odd */
};

enum options_body {
	OPTIONS_BODY_UNSET,
	OPTIONS_BODY_7BIT,
	OPTIONS_BODY_8BITMIME,
};

/*
 * When an option is given twice the last one wins (Postfix; sendmail
 * refuses a second -f, but PHP's sendmail_path may hold "-f" and the
 * script add its own).  A mode option (-b*, -q, -I, --version...)
 * likewise replaces the one before it or the one from argv[0].
 */
struct options {
	enum options_mode     mode;
	enum options_delivery delivery;
	enum options_body     body;	   /* -B, case-insensitive */
	int		      extract;	   /* -t */
	int		      ignore_dots; /* -i, -oi (-oiFALSE clears) */
	int		      verbose;	   /* -v, counted */
	const char	     *sender;	   /* -f/-r; "" for -f<>, -f '' */
	const char	     *fullname;	   /* -F; may be "" */
	const char	     *config_file; /* -C, never "" */
	const char	     *syslog_tag;  /* -L, never "" */
	/* -N: "never", or a comma list of success, failure, delay (each
	 * once), case-insensitive, as given. */
	const char *dsn_notify;
	const char *dsn_ret; /* -R: full or hdrs, as given */
	/* -V: 1 to OPTIONS_ENVID_MAX printable ASCII characters, as
	 * given; xtext encoding is the SMTP client's job. */
	const char *envid;
	/* -qI<id>: printable ASCII, no '/', no leading '.'. */
	const char *queue_id;
	/* -q<interval> in seconds: a periodic run, only the entries that
	 * are due; 0 for -q and -qf: every entry now. */
	long long queue_interval;
	int	  json;	      /* --json (with -bp only) */
	char	  error_mode; /* -oe/-e: m p q w e, or 0 */
	/* Recipient words in argv order, pointing into argv; NULL
	 * terminated; never NULL after a successful parse.  With
	 * --requeue, the queue ids (or "all"). */
	char **rcpts;
	size_t nrcpts;
};

/*
 * Fill *opts from argv (argv[0] is the invocation name: a basename of
 * "mailq" means -bp, "newaliases" means -bi; the rest of argv is still
 * read).  argc counts the words; a NULL in argv[0..argc-1] ends them
 * early.  err may be NULL.  Returns 0, or -1 as described at the top of
 * this file; on failure opts->rcpts is NULL and options_free() is still
 * safe to call.
 */
int options_parse(struct options *opts, int argc, char *argv[], char *err,
    size_t errlen);
/* Release the rcpts array (not the strings: they belong to argv).  Safe
 * on a zeroed struct and when called twice. */
void options_free(struct options *opts);

#endif
