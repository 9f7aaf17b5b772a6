/*
 * test_options.c - unit tests for the sendmail command line (options.c).
 *
 * Each real caller's argv from DESIGN.md is a case of its own; usage
 * errors and accepted-and-ignored options are tables of argv in, message
 * or recipients out.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "tap.h"

#define MAXWORDS 32

static char err[256];

/*
 * Parse argv0 followed by the words up to a NULL.  The argv array is
 * static: the strings in *o point into it until the next call.
 */
static int
parse(struct options *o, const char *argv0, ...)
{
	static char *argv[MAXWORDS + 1];
	va_list	     ap;
	int	     argc = 0;
	char	    *w;

	argv[argc++] = (char *)argv0;
	va_start(ap, argv0);
	while ((w = va_arg(ap, char *)) != NULL && argc < MAXWORDS)
		argv[argc++] = w;
	va_end(ap);
	argv[argc] = NULL;
	return options_parse(o, argc, argv, err, sizeof(err));
}

#define SM(o, ...) parse((o), "sendmail", __VA_ARGS__, (char *)NULL)

/* The recipient words joined by single spaces. */
static const char *
rcpts(const struct options *o)
{
	static char buf[1024];
	size_t	    i;

	buf[0] = '\0';
	for (i = 0; i < o->nrcpts; i++) {
		if (i > 0)
			strlcat(buf, " ", sizeof(buf));
		strlcat(buf, o->rcpts[i], sizeof(buf));
	}
	return buf;
}

static void
test_defaults(void)
{
	struct options o;
	char	      *argv[] = { "sendmail", NULL };

	is_int(options_parse(&o, 1, argv, err, sizeof(err)), 0,
	    "no arguments: accepted");
	is_int(o.mode, OPTIONS_DELIVER, "no arguments: deliver");
	is_int(o.delivery, OPTIONS_DM_CONFIG,
	    "no arguments: delivery mode "
	    "from config");
	is_int(o.body, OPTIONS_BODY_UNSET, "no arguments: body unset");
	ok(!o.extract && !o.ignore_dots && !o.verbose && !o.error_mode,
	    "no arguments: no flags");
	ok(o.sender == NULL && o.fullname == NULL && o.config_file == NULL &&
		o.syslog_tag == NULL && o.dsn_notify == NULL &&
		o.dsn_ret == NULL && o.envid == NULL && o.queue_id == NULL,
	    "no arguments: no values");
	ok(o.rcpts != NULL && o.rcpts[0] == NULL && o.nrcpts == 0,
	    "no arguments: empty, NULL-terminated recipient array");
	is_str(err, "", "no arguments: err cleared");
	options_free(&o);
	options_free(&o);
	ok(o.rcpts == NULL && o.nrcpts == 0, "options_free twice is safe");

	is_int(options_parse(&o, 0, argv, err, sizeof(err)), 0,
	    "argc 0: accepted");
	ok(o.rcpts != NULL && o.nrcpts == 0 && o.mode == OPTIONS_DELIVER,
	    "argc 0: deliver, no recipients");
	options_free(&o);

	argv[1] = NULL;
	is_int(options_parse(&o, 5, argv, err, sizeof(err)), 0,
	    "a NULL in argv ends it early");
	options_free(&o);
}

static void
test_flags(void)
{
	struct options o;

	SM(&o, "-t");
	ok(o.extract && !o.ignore_dots, "-t");
	options_free(&o);
	SM(&o, "-i");
	ok(o.ignore_dots && !o.extract, "-i");
	options_free(&o);
	SM(&o, "-oi");
	ok(o.ignore_dots, "-oi");
	options_free(&o);
	SM(&o, "-ti");
	ok(o.extract && o.ignore_dots, "-ti clusters");
	options_free(&o);
	SM(&o, "-it");
	ok(o.extract && o.ignore_dots, "-it clusters");
	options_free(&o);
	SM(&o, "-tv");
	ok(o.extract && o.verbose == 1, "-tv clusters");
	options_free(&o);
	SM(&o, "-vvv", "-v");
	is_int(o.verbose, 4, "-vvv -v counts 4");
	options_free(&o);
	SM(&o, "-toi");
	ok(o.extract && o.ignore_dots, "-toi: -t then -o with i");
	options_free(&o);
}

static void
test_ignore_dots_bool(void)
{
	struct options o;

	SM(&o, "-oitrue");
	is_int(o.ignore_dots, 1, "-oitrue sets ignore_dots");
	options_free(&o);
	SM(&o, "-oiY");
	is_int(o.ignore_dots, 1, "-oiY sets ignore_dots");
	options_free(&o);
	SM(&o, "-i", "-oiFalse");
	is_int(o.ignore_dots, 0, "-oiFalse clears it, as sendmail atobool");
	options_free(&o);
	SM(&o, "-oif", "-i");
	is_int(o.ignore_dots, 1, "last of -oif -i wins");
	options_free(&o);
}

static void
test_sender(void)
{
	struct options o;

	SM(&o, "-f", "a@example.com");
	is_str(o.sender, "a@example.com", "-f addr");
	options_free(&o);
	SM(&o, "-fa@example.com");
	is_str(o.sender, "a@example.com", "-faddr");
	options_free(&o);
	SM(&o, "-r", "b@example.com");
	is_str(o.sender, "b@example.com", "-r addr");
	options_free(&o);
	SM(&o, "-rb@example.com");
	is_str(o.sender, "b@example.com", "-raddr");
	options_free(&o);
	SM(&o, "-f<>");
	is_str(o.sender, "", "-f<> is the null sender");
	options_free(&o);
	SM(&o, "-f", "<>");
	is_str(o.sender, "", "-f '<>' is the null sender");
	options_free(&o);
	SM(&o, "-f", "");
	is_str(o.sender, "", "-f '' is the null sender");
	options_free(&o);
	SM(&o, "-f", "a@x", "-r", "b@y");
	is_str(o.sender, "b@y", "second -f/-r wins");
	options_free(&o);
	SM(&o, "-tfa@x");
	ok(o.extract && o.sender != NULL && strcmp(o.sender, "a@x") == 0,
	    "-tfaddr is -t -f addr");
	options_free(&o);
	SM(&o, "-itf", "a@x", "root");
	ok(o.extract && o.ignore_dots && o.sender != NULL &&
		strcmp(o.sender, "a@x") == 0 && strcmp(rcpts(&o), "root") == 0,
	    "-itf addr rcpt");
	options_free(&o);
	SM(&o, "-f", "-t");
	ok(o.sender != NULL && strcmp(o.sender, "-t") == 0 && !o.extract,
	    "-f takes the next word even if it starts with -, as getopt");
	options_free(&o);
}

static void
test_fullname(void)
{
	struct options o;

	SM(&o, "-F", "Cron Daemon");
	is_str(o.fullname, "Cron Daemon", "-F name");
	options_free(&o);
	SM(&o, "-FCronDaemon");
	is_str(o.fullname, "CronDaemon", "-Fname");
	options_free(&o);
	SM(&o, "-F", "");
	is_str(o.fullname, "", "-F '' is an empty name");
	options_free(&o);
}

static void
test_body(void)
{
	struct options o;

	SM(&o, "-B", "8BITMIME");
	is_int(o.body, OPTIONS_BODY_8BITMIME, "-B 8BITMIME");
	options_free(&o);
	SM(&o, "-B8BITMIME");
	is_int(o.body, OPTIONS_BODY_8BITMIME, "-B8BITMIME");
	options_free(&o);
	SM(&o, "-B", "8bitmime");
	is_int(o.body, OPTIONS_BODY_8BITMIME, "-B 8bitmime");
	options_free(&o);
	SM(&o, "-B7BIT");
	is_int(o.body, OPTIONS_BODY_7BIT, "-B7BIT");
	options_free(&o);
	SM(&o, "-B", "7bit");
	is_int(o.body, OPTIONS_BODY_7BIT, "-B 7bit");
	options_free(&o);
}

static void
test_dsn(void)
{
	struct options o;
	char	       envid[OPTIONS_ENVID_MAX + 2];

	SM(&o, "-N", "success,failure");
	is_str(o.dsn_notify, "success,failure", "-N success,failure");
	options_free(&o);
	SM(&o, "-Nnever");
	is_str(o.dsn_notify, "never", "-Nnever");
	options_free(&o);
	SM(&o, "-N", "DELAY,Failure,success");
	is_str(o.dsn_notify, "DELAY,Failure,success", "-N all three, any case");
	options_free(&o);
	SM(&o, "-N", "NEVER");
	is_str(o.dsn_notify, "NEVER", "-N NEVER");
	options_free(&o);
	SM(&o, "-R", "hdrs");
	is_str(o.dsn_ret, "hdrs", "-R hdrs");
	options_free(&o);
	SM(&o, "-RFULL");
	is_str(o.dsn_ret, "FULL", "-RFULL");
	options_free(&o);
	SM(&o, "-V", "envid.42+2B");
	is_str(o.envid, "envid.42+2B", "-V envid");
	options_free(&o);
	SM(&o, "-Vabc");
	is_str(o.envid, "abc", "-Venvid");
	options_free(&o);
	memset(envid, 'e', OPTIONS_ENVID_MAX);
	envid[OPTIONS_ENVID_MAX] = '\0';
	is_int(SM(&o, "-V", envid), 0, "-V of 100 characters");
	options_free(&o);
	envid[OPTIONS_ENVID_MAX] = 'e';
	envid[OPTIONS_ENVID_MAX + 1] = '\0';
	is_int(SM(&o, "-V", envid), -1, "-V of 101 characters refused");
	options_free(&o);
}

static void
test_delivery(void)
{
	static const struct {
		const char	     *word;
		enum options_delivery want;
	} cases[] = {
		{ "-odi", OPTIONS_DM_FOREGROUND },
		{ "-odf", OPTIONS_DM_FOREGROUND },
		{ "-od", OPTIONS_DM_FOREGROUND },
		{ "-odb", OPTIONS_DM_BACKGROUND },
		{ "-odq", OPTIONS_DM_QUEUE },
		{ "-odd", OPTIONS_DM_QUEUE },
	};
	struct options o;
	size_t	       i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		SM(&o, (char *)cases[i].word);
		is_int(o.delivery, cases[i].want, "%s", cases[i].word);
		options_free(&o);
	}
	SM(&o, "-odq", "-odb");
	is_int(o.delivery, OPTIONS_DM_BACKGROUND, "last -od wins");
	options_free(&o);
}

static void
test_error_mode(void)
{
	static const struct {
		const char *word;
		char	    want;
	} cases[] = {
		{ "-oem", 'm' },
		{ "-oep", 'p' },
		{ "-oeq", 'q' },
		{ "-oew", 'w' },
		{ "-oee", 'e' },
		{ "-oe", 0 },
		{ "-em", 'm' },
		{ "-eq", 'q' },
		{ "-e", 0 },
	};
	struct options o;
	size_t	       i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		SM(&o, (char *)cases[i].word);
		is_int(o.error_mode, cases[i].want, "%s", cases[i].word);
		options_free(&o);
	}
	SM(&o, "-oem", "-oe");
	is_int(o.error_mode, 'm', "a bare -oe keeps the earlier mode");
	options_free(&o);
}

static void
test_files_and_tags(void)
{
	struct options o;

	SM(&o, "-C", "/etc/other.conf");
	is_str(o.config_file, "/etc/other.conf", "-C file");
	options_free(&o);
	SM(&o, "-C/etc/other.conf");
	is_str(o.config_file, "/etc/other.conf", "-Cfile");
	options_free(&o);
	SM(&o, "-L", "cron-mail");
	is_str(o.syslog_tag, "cron-mail", "-L tag");
	options_free(&o);
	SM(&o, "-Lcron-mail");
	is_str(o.syslog_tag, "cron-mail", "-Ltag");
	options_free(&o);
}

static void
test_modes(void)
{
	static const struct {
		const char	 *word;
		enum options_mode want;
	} cases[] = {
		{ "-bm", OPTIONS_DELIVER },
		{ "-bp", OPTIONS_LIST_QUEUE },
		{ "-bi", OPTIONS_NEWALIASES },
		{ "-I", OPTIONS_NEWALIASES },
		{ "-bv", OPTIONS_VERIFY },
		{ "-bs", OPTIONS_SMTP_STDIN },
		{ "-q", OPTIONS_RUN_QUEUE },
		{ "-q30m", OPTIONS_RUN_QUEUE },
		{ "-q1h30m", OPTIONS_RUN_QUEUE },
		{ "-q90", OPTIONS_RUN_QUEUE },
		{ "-qf", OPTIONS_RUN_QUEUE },
		{ "-qRexample.com", OPTIONS_RUN_QUEUE },
		{ "-qR", OPTIONS_RUN_QUEUE },
		{ "-qSroot", OPTIONS_RUN_QUEUE },
		{ "--version", OPTIONS_VERSION },
		{ "--help", OPTIONS_HELP },
		{ "--serverinfo", OPTIONS_SERVERINFO },
		{ "--check-config", OPTIONS_CHECK_CONFIG },
	};
	struct options o;
	size_t	       i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (SM(&o, (char *)cases[i].word) != 0)
			printf("#   error: %s\n", err);
		is_int(o.mode, cases[i].want, "mode %s", cases[i].word);
		options_free(&o);
	}
	SM(&o, "-qIA1B2C3");
	ok(o.mode == OPTIONS_RUN_QUEUE && o.queue_id != NULL &&
		strcmp(o.queue_id, "A1B2C3") == 0,
	    "-qI<id> keeps the id");
	options_free(&o);
	SM(&o, "-bp", "-bm");
	is_int(o.mode, OPTIONS_DELIVER, "last mode option wins");
	options_free(&o);
	SM(&o, "-q", "root");
	ok(o.mode == OPTIONS_RUN_QUEUE && strcmp(rcpts(&o), "root") == 0,
	    "-q takes no separate word");
	options_free(&o);
}

/* -q and -qf flush the queue; -q<interval> is a periodic run. */
static void
test_queue_interval(void)
{
	static const struct {
		const char *word;
		long long   want;
	} cases[] = {
		{ "-q", 0 },
		{ "-qf", 0 },
		{ "-qRexample.com", 0 },
		{ "-qSroot", 0 },
		{ "-q5m", 300 },
		{ "-q45s", 45 },
		{ "-q1h30m", 5400 },
		{ "-q90", 5400 }, /* sendmail: a bare number is minutes */
		{ "-q2h", 7200 },
		{ "-q1d", 86400 },
		{ "-q1w", 604800 },
		{ "-q1w1d1h1m1s", 694861 },
		{ "-q366d", 31622400 },
		{ "-q0m5s", 5 },
		{ "-q007m", 420 },
	};
	struct options o;
	size_t	       i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (SM(&o, (char *)cases[i].word) != 0)
			printf("#   error: %s\n", err);
		ok(o.mode == OPTIONS_RUN_QUEUE &&
			o.queue_interval == cases[i].want,
		    "%s: interval %lld s", cases[i].word, cases[i].want);
		options_free(&o);
	}
	SM(&o, "-q5m", "-q");
	ok(o.queue_interval == 0, "-q after -q5m: the last wins");
	options_free(&o);
	SM(&o, "-qIA1B2C3", "-q");
	ok(o.queue_id == NULL, "-q after -qI<id>: the whole queue");
	options_free(&o);
	SM(&o, "-bp", "--json");
	ok(o.mode == OPTIONS_LIST_QUEUE && o.json, "-bp --json");
	options_free(&o);
	SM(&o, "--json", "-bp");
	ok(o.mode == OPTIONS_LIST_QUEUE && o.json, "--json -bp");
	options_free(&o);
	parse(&o, "/usr/bin/mailq", "--json", (char *)NULL);
	ok(o.mode == OPTIONS_LIST_QUEUE && o.json, "mailq --json");
	options_free(&o);
	SM(&o, "-bp");
	ok(!o.json, "-bp alone: text");
	options_free(&o);
}

static void
test_invocation_name(void)
{
	static const struct {
		const char	 *argv0;
		enum options_mode want;
	} cases[] = {
		{ "mailq", OPTIONS_LIST_QUEUE },
		{ "/usr/bin/mailq", OPTIONS_LIST_QUEUE },
		{ "newaliases", OPTIONS_NEWALIASES },
		{ "/usr/sbin/newaliases", OPTIONS_NEWALIASES },
		{ "/usr/sbin/sendmail", OPTIONS_DELIVER },
		{ "cfsendmail", OPTIONS_DELIVER },
		{ "mailqx", OPTIONS_DELIVER },
		{ "/usr/bin/mailq/", OPTIONS_DELIVER },
		{ "", OPTIONS_DELIVER },
	};
	struct options o;
	size_t	       i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse(&o, cases[i].argv0, (char *)NULL);
		is_int(o.mode, cases[i].want, "invoked as \"%s\"",
		    cases[i].argv0);
		options_free(&o);
	}
	parse(&o, "mailq", "-v", (char *)NULL);
	ok(o.mode == OPTIONS_LIST_QUEUE && o.verbose == 1,
	    "mailq -v: the rest of argv is read");
	options_free(&o);
	parse(&o, "mailq", "-bm", (char *)NULL);
	is_int(o.mode, OPTIONS_DELIVER, "mailq -bm: the option wins");
	options_free(&o);
}

static void
test_recipients(void)
{
	struct options o;

	SM(&o, "a@x", "b@y", "c@z");
	is_str(rcpts(&o), "a@x b@y c@z", "recipients in argv order");
	is_int(o.nrcpts, 3, "three recipients");
	ok(o.rcpts[3] == NULL, "recipient array NULL-terminated");
	options_free(&o);
	SM(&o, "a@x,b@y");
	ok(o.nrcpts == 1 && strcmp(o.rcpts[0], "a@x,b@y") == 0,
	    "a comma list stays one word");
	options_free(&o);
	SM(&o, "--", "-t");
	ok(o.nrcpts == 1 && strcmp(o.rcpts[0], "-t") == 0 && !o.extract,
	    "after --, a word starting with - is a recipient");
	options_free(&o);
	SM(&o, "-t", "--");
	ok(o.extract && o.nrcpts == 0, "trailing -- ends options");
	options_free(&o);
	SM(&o, "--", "--");
	is_str(rcpts(&o), "--", "a second -- is a recipient");
	options_free(&o);
	SM(&o, "root", "");
	ok(o.nrcpts == 2 && strcmp(o.rcpts[1], "") == 0,
	    "an empty word is kept for the address checks");
	options_free(&o);
	SM(&o, "", "-t");
	is_int(o.extract, 0, "an empty word ends the options too");
	options_free(&o);
}

/* Options that must be accepted without touching anything else. */
static void
test_ignored(void)
{
	static const struct {
		const char *words[6];
		const char *rcpts;
	} cases[] = {
		{ { "-X", "/tmp/x", "root" }, "root" },
		{ { "-X/tmp/x", "root" }, "root" },
		{ { "-X", "root" }, "" },
		{ { "-O", "QueueDirectory=/tmp", "root" }, "root" },
		{ { "-ODeliveryMode=b", "root" }, "root" },
		{ { "-D", "/tmp/debug.log", "root" }, "root" },
		{ { "-M", "rfoo", "root" }, "root" },
		{ { "-p", "UUCP:host", "root" }, "root" },
		{ { "-oQ/tmp", "root" }, "root" },
		{ { "-oA/etc/aliases", "root" }, "root" },
		{ { "-om", "root" }, "root" },
		{ { "-oL9", "root" }, "root" },
		{ { "-h", "5", "root" }, "root" },
		{ { "-h17", "root" }, "root" },
		{ { "-n", "-U", "-G", "-m", "root" }, "root" },
		{ { "-c", "-s", "root" }, "root" },
		{ { "-nUGm", "root" }, "root" },
		{ { "-Ac", "root" }, "root" },
		{ { "-Am", "root" }, "root" },
		{ { "-d", "root" }, "root" },
		{ { "-d0-99.1", "root" }, "root" },
		{ { "-d", "-X", "/x" }, "" },
	};
	struct options o;
	char	      *argv[8];
	size_t	       i, j;
	int	       rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		argv[0] = "sendmail";
		for (j = 0; cases[i].words[j] != NULL; j++)
			argv[j + 1] = (char *)cases[i].words[j];
		argv[j + 1] = NULL;
		rc = options_parse(&o, (int)j + 1, argv, err, sizeof(err));
		ok(rc == 0 && strcmp(rcpts(&o), cases[i].rcpts) == 0 &&
			o.mode == OPTIONS_DELIVER && !o.extract &&
			!o.ignore_dots && o.sender == NULL &&
			o.delivery == OPTIONS_DM_CONFIG && o.error_mode == 0 &&
			o.config_file == NULL,
		    "ignored: %s %s", cases[i].words[0],
		    cases[i].words[1] ? cases[i].words[1] : "");
		if (rc != 0)
			printf("#   error: %s\n", err);
		options_free(&o);
	}
}

/* The hints of the longer messages, written once. */
#define N_HINT "(never, or a comma list of success, failure, delay)"
#define V_HINT "(1 to 100 printable ASCII characters)"
#define Q_HINT \
	"(an interval such as 5m, at most 366d; or f, I<id>, R<host>, " \
	"S<sender>)"
#define R_HINT "looks like an option (options must come before recipients)"

/* Usage errors: argv after "sendmail", and the exact message. */
static const struct {
	const char *words[4];
	const char *msg;
} usage_errors[] = {
	{ { "-Z" }, "unknown option -Z" },
	{ { "-tZ" }, "unknown option -Z" },
	{ { "-Q" }, "unknown option -Q" },
	{ { "-x" }, "unknown option -x" },
	{ { "-\001" }, "unknown option byte 0x01" },
	{ { "--xyz" }, "unknown option --xyz" },
	{ { "--version=1" }, "unknown option --version=1" },
	{ { "--verbose\n" }, "unknown option --verbose?" },
	{ { "-f" }, "option -f requires an argument" },
	{ { "-t", "-r" }, "option -r requires an argument" },
	{ { "-F" }, "option -F requires an argument" },
	{ { "-C" }, "option -C requires an argument" },
	{ { "-C", "" }, "option -C requires an argument" },
	{ { "-L" }, "option -L requires an argument" },
	{ { "-L", "" }, "option -L requires an argument" },
	{ { "-B" }, "option -B requires an argument" },
	{ { "-N" }, "option -N requires an argument" },
	{ { "-R" }, "option -R requires an argument" },
	{ { "-V" }, "option -V requires an argument" },
	{ { "-X" }, "option -X requires an argument" },
	{ { "-O" }, "option -O requires an argument" },
	{ { "-h" }, "option -h requires an argument" },
	{ { "-D" }, "option -D requires an argument" },
	{ { "-p" }, "option -p requires an argument" },
	{ { "-o" }, "option -o requires an argument" },
	{ { "-b" }, "option -b requires an argument" },
	{ { "-A" }, "option -A requires an argument" },
	{ { "-A", "c" }, "option -A requires an argument" },
	{ { "-B", "9BIT" }, "invalid -B value \"9BIT\" (7BIT or 8BITMIME)" },
	{ { "-B8BIT" }, "invalid -B value \"8BIT\" (7BIT or 8BITMIME)" },
	{ { "-B", "" }, "invalid -B value \"\" (7BIT or 8BITMIME)" },
	{ { "-N", "never,success" },
	    "invalid -N value \"never,success\" " N_HINT },
	{ { "-Nsuccess,success" },
	    "invalid -N value \"success,success\" " N_HINT },
	{ { "-Nsuccess," }, "invalid -N value \"success,\" " N_HINT },
	{ { "-N,delay" }, "invalid -N value \",delay\" " N_HINT },
	{ { "-N", "" }, "invalid -N value \"\" " N_HINT },
	{ { "-N", "success, failure" },
	    "invalid -N value \"success, failure\" " N_HINT },
	{ { "-Nsuccesses" }, "invalid -N value \"successes\" " N_HINT },
	{ { "-R", "body" }, "invalid -R value \"body\" (full or hdrs)" },
	{ { "-V", "a b" }, "invalid -V value \"a b\" " V_HINT },
	{ { "-V", "a\r\nRCPT" }, "invalid -V value \"a??RCPT\" " V_HINT },
	{ { "-V", "" }, "invalid -V value \"\" " V_HINT },
	{ { "-h", "root" }, "invalid -h value \"root\" (a hop count)" },
	{ { "-h-1" }, "invalid -h value \"-1\" (a hop count)" },
	{ { "-bq" }, "invalid -b value \"q\" (m, p, i, v or s)" },
	{ { "-bd" }, "invalid -b value \"d\" (m, p, i, v or s)" },
	{ { "-bmx" }, "invalid -b value \"mx\" (m, p, i, v or s)" },
	{ { "-odx" }, "invalid -od value \"x\" (i, b or q)" },
	{ { "-odbb" }, "invalid -od value \"bb\" (i, b or q)" },
	{ { "-oex" }, "invalid -oe value \"x\" (m, p, q, w or e)" },
	{ { "-oemm" }, "invalid -oe value \"mm\" (m, p, q, w or e)" },
	{ { "-ex" }, "invalid -e value \"x\" (m, p, q, w or e)" },
	{ { "-Ax" }, "invalid -A value \"x\" (c or m)" },
	{ { "-qx" }, "invalid -q value \"x\" " Q_HINT },
	{ { "-q30x" }, "invalid -q value \"30x\" " Q_HINT },
	{ { "-qm" }, "invalid -q value \"m\" " Q_HINT },
	{ { "-q0" }, "invalid -q value \"0\" " Q_HINT },
	{ { "-q0m0s" }, "invalid -q value \"0m0s\" " Q_HINT },
	{ { "-q5mm" }, "invalid -q value \"5mm\" " Q_HINT },
	{ { "-q-5m" }, "invalid -q value \"-5m\" " Q_HINT },
	{ { "-q5y" }, "invalid -q value \"5y\" " Q_HINT },
	{ { "-q367d" }, "invalid -q value \"367d\" " Q_HINT },
	{ { "-q52w3d" }, "invalid -q value \"52w3d\" " Q_HINT },
	{ { "-q99999999999999999999s" },
	    "invalid -q value \"99999999999999999999s\" " Q_HINT },
	{ { "-q+5m" }, "invalid -q value \"+5m\" " Q_HINT },
	{ { "-q 5m" }, "invalid -q value \" 5m\" " Q_HINT },
	{ { "--json" }, "--json goes only with -bp (or mailq)" },
	{ { "-q", "--json" }, "--json goes only with -bp (or mailq)" },
	{ { "--jsonx" }, "unknown option --jsonx" },
	{ { "-qI" }, "invalid -qI value \"\" (a queue id)" },
	{ { "-qI../../etc/passwd" },
	    "invalid -qI value \"../../etc/passwd\" (a queue id)" },
	{ { "-qIab/cd" }, "invalid -qI value \"ab/cd\" (a queue id)" },
	{ { "-qIa b" }, "invalid -qI value \"a b\" (a queue id)" },
	{ { "root", "-t" }, "recipient \"-t\" " R_HINT },
	{ { "root", "--" }, "recipient \"--\" " R_HINT },
	{ { "-" }, "recipient \"-\" " R_HINT },
};

static void
test_errors(void)
{
	struct options o;
	char	      *argv[6];
	size_t	       i, j;
	int	       rc;

	for (i = 0; i < sizeof(usage_errors) / sizeof(usage_errors[0]); i++) {
		argv[0] = "sendmail";
		for (j = 0; usage_errors[i].words[j] != NULL; j++)
			argv[j + 1] = (char *)usage_errors[i].words[j];
		argv[j + 1] = NULL;
		errno = 0;
		rc = options_parse(&o, (int)j + 1, argv, err, sizeof(err));
		/* The expected message names the case: the words themselves
		 * may hold control bytes that would break a TAP line. */
		ok(rc == -1 && errno == EINVAL && o.rcpts == NULL,
		    "refused: %s", usage_errors[i].msg);
		is_str(err, usage_errors[i].msg, "message #%zu", i + 1);
		options_free(&o);
	}
}

static void
test_error_buffers(void)
{
	struct options o;
	char	       small[8], word[200], *argv[3];

	memset(word, 'x', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	argv[0] = "sendmail";
	argv[1] = "-B";
	argv[2] = word;
	is_int(options_parse(&o, 3, argv, err, sizeof(err)), -1,
	    "long -B value refused");
	ok(strlen(err) < 120 && strstr(err, "x...\" (7BIT") != NULL,
	    "long value quoted cut with ...: %s", err);
	is_int(options_parse(&o, 3, argv, small, sizeof(small)), -1,
	    "short err buffer");
	is_str(small, "invalid", "message truncated to the buffer");
	is_int(options_parse(&o, 3, argv, NULL, 0), -1, "err may be NULL");
	ok(o.rcpts == NULL, "no recipient array after a failure");
	options_free(&o);
}

/* The callers listed in DESIGN.md, "How real callers invoke it". */
static void
test_caller_cron(void)
{
	struct options o;

	is_int(SM(&o, "-i", "-FCronDaemon", "-B8BITMIME", "-oem", "root"), 0,
	    "Debian cron: accepted");
	ok(o.ignore_dots && !o.extract && o.body == OPTIONS_BODY_8BITMIME &&
		o.error_mode == 'm' && strcmp(o.fullname, "CronDaemon") == 0 &&
		strcmp(rcpts(&o), "root") == 0 && o.sender == NULL,
	    "Debian cron: -i, name, 8BITMIME, -oem, root");
	options_free(&o);

	SM(&o, "-i", "-FCronDaemon", "-B8BITMIME", "-oem", "a@x,b@y");
	ok(o.nrcpts == 1 && strcmp(o.rcpts[0], "a@x,b@y") == 0,
	    "Debian cron: MAILTO list stays one word");
	options_free(&o);

	is_int(SM(&o, "-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f",
		   "root"),
	    0, "cronie: accepted");
	ok(o.ignore_dots && o.extract && o.delivery == OPTIONS_DM_FOREGROUND &&
		o.error_mode == 'm' && strcmp(o.fullname, "CronDaemon") == 0 &&
		strcmp(o.sender, "root") == 0 && o.nrcpts == 0,
	    "cronie: -t, -i, -odi, sender root, no recipients");
	options_free(&o);
}

static void
test_caller_php(void)
{
	struct options o;

	SM(&o, "-t", "-i");
	ok(o.extract && o.ignore_dots && o.nrcpts == 0 && o.sender == NULL,
	    "PHP mail(): -t -i");
	options_free(&o);
	SM(&o, "-t", "-i", "-f", "www@example.com");
	ok(o.extract && o.ignore_dots && o.nrcpts == 0 &&
		strcmp(o.sender, "www@example.com") == 0,
	    "PHP mail(): -t -i -f addr");
	options_free(&o);
	SM(&o, "-t", "-i", "-fwww@example.com");
	ok(o.extract && o.ignore_dots && o.nrcpts == 0 &&
		strcmp(o.sender, "www@example.com") == 0,
	    "PHP mail(): -t -i -faddr");
	options_free(&o);

	is_int(SM(&o, "-t", "-i", "-X/var/www/shell.php"), 0,
	    "PHP injection -X/path: accepted");
	ok(o.extract && o.nrcpts == 0, "PHP injection -X/path: no recipient");
	options_free(&o);
	is_int(SM(&o, "-t", "-i", "-X", "/var/www/shell.php",
		   "-OQueueDirectory=/tmp"),
	    0, "PHP injection -X path -O: accepted");
	ok(o.extract && o.nrcpts == 0,
	    "PHP injection -X path -O: no recipient");
	options_free(&o);
	is_int(SM(&o, "-t", "-i", "a@example.com", "-X/var/www/shell.php"), -1,
	    "PHP injection after a recipient: refused");
	options_free(&o);
}

static void
test_caller_mail_clients(void)
{
	struct options o;

	SM(&o, "-i", "-t");
	ok(o.extract && o.ignore_dots && o.nrcpts == 0, "bsd-mailx: -i -t");
	options_free(&o);
	SM(&o, "-i", "--", "a@x", "b@y");
	ok(o.ignore_dots && !o.extract && strcmp(rcpts(&o), "a@x b@y") == 0,
	    "s-nail: -i -- rcpt rcpt");
	options_free(&o);
	SM(&o, "-oem", "-oi", "--", "a@x");
	ok(o.ignore_dots && o.error_mode == 'm' &&
		strcmp(rcpts(&o), "a@x") == 0,
	    "mutt: -oem -oi -- rcpt");
	options_free(&o);
	SM(&o, "-i", "a@x", "b@y");
	ok(o.ignore_dots && strcmp(rcpts(&o), "a@x b@y") == 0,
	    "git send-email: -i rcpt rcpt");
	options_free(&o);
}

static void
test_caller_system_tools(void)
{
	struct options o;

	SM(&o, "-t");
	ok(o.extract && !o.ignore_dots && o.nrcpts == 0,
	    "sudo, mdadm, logwatch: -t");
	options_free(&o);
	SM(&o, "-oi", "-t");
	ok(o.extract && o.ignore_dots && o.nrcpts == 0,
	    "unattended-upgrades: -oi -t");
	options_free(&o);
	parse(&o, "/usr/bin/mailq", (char *)NULL);
	is_int(o.mode, OPTIONS_LIST_QUEUE, "mailq");
	options_free(&o);
	parse(&o, "/usr/bin/newaliases", (char *)NULL);
	is_int(o.mode, OPTIONS_NEWALIASES, "newaliases");
	options_free(&o);
	SM(&o, "-q");
	is_int(o.mode, OPTIONS_RUN_QUEUE, "systemd timer: -q");
	options_free(&o);
}

/* --requeue ID... | all: a mode whose words are queue ids. */
static void
test_requeue(void)
{
	struct options o;

	is_int(SM(&o, "--requeue", "1796207770.531847.5af1fb3e"), 0,
	    "--requeue ID: accepted");
	ok(o.mode == OPTIONS_REQUEUE && o.nrcpts == 1 &&
		strcmp(o.rcpts[0], "1796207770.531847.5af1fb3e") == 0,
	    "--requeue ID: the id kept");
	options_free(&o);
	is_int(SM(&o, "-v", "--requeue", "1.2.3", "4.5.6"), 0,
	    "--requeue ID ID: accepted");
	is_str(rcpts(&o), "1.2.3 4.5.6", "--requeue ID ID: both ids");
	options_free(&o);
	is_int(SM(&o, "--requeue", "all"), 0, "--requeue all: accepted");
	ok(o.mode == OPTIONS_REQUEUE && strcmp(rcpts(&o), "all") == 0,
	    "--requeue all");
	options_free(&o);
	is_int(SM(&o, "--requeue"), -1, "--requeue alone: refused");
	ok(o.rcpts == NULL &&
		strstr(err, "--requeue needs the queue ids") != NULL,
	    "--requeue alone: says what it needs");
	options_free(&o);
	is_int(SM(&o, "--requeue", "--", "../new/x"), -1,
	    "--requeue with a "
	    "path: refused");
	is_str(err,
	    "invalid --requeue value \"../new/x\" (a queue id, or "
	    "all)",
	    "--requeue with a path: why");
	options_free(&o);
	is_int(SM(&o, "--requeue", "1.2.3", "-v"), -1,
	    "--requeue: an "
	    "option after the ids is refused");
	options_free(&o);
}

int
main(void)
{
	test_defaults();
	test_flags();
	test_ignore_dots_bool();
	test_sender();
	test_fullname();
	test_body();
	test_dsn();
	test_delivery();
	test_error_mode();
	test_files_and_tags();
	test_modes();
	test_queue_interval();
	test_invocation_name();
	test_recipients();
	test_ignored();
	test_errors();
	test_error_buffers();
	test_caller_cron();
	test_caller_php();
	test_caller_mail_clients();
	test_caller_system_tools();
	test_requeue();
	return done_testing();
}
