/*
 * options.c - the sendmail(8) command line; see options.h for the rules
 * and the contract.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"

/*
 * Option letters by the kind of value they take.  Together they are
 * sendmail's and Postfix's getopt strings, less the letters that no
 * caller passes to a null client (-Q quarantine, -T, -x).
 *
 * VALUE_LETTERS take the rest of the word or, when that is empty, the next
 * word, as getopt does.  ATTACHED_LETTERS take only the rest of the word:
 * real callers always write them so ("-oi", "-bp", "-q30m"), and a bare
 * "-q" means "run the queue now", so reading the next word would swallow
 * a recipient.
 */
static const char FLAG_LETTERS[] = "GIUcimnstv";
static const char VALUE_LETTERS[] = "BCDFLMNORVXfhpr";
static const char ATTACHED_LETTERS[] = "Abdeoq";

/* Longest piece of argv quoted in an error message. */
#define QUOTE_MAX 64

/* What the parsing functions share: where results and errors go. */
struct ctx {
	struct options *o;
	char	       *err;
	size_t		errlen;
};

static int fail(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Write a usage error and return -1.  A message cut by a short err buffer
 * is still the best we can say, so truncation is not checked.
 */
static int
fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err != NULL && c->errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	errno = EINVAL;
	return -1;
}

/*
 * Copy argv text into buf for an error message.  Bytes outside printable
 * ASCII become '?', so that the message stays one line and cannot carry
 * terminal escapes; a long word is cut and ends in "...".
 */
static const char *
quote(char *buf, size_t size, const char *s)
{
	unsigned char ch;
	size_t	      i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++) {
		ch = (unsigned char)s[i];
		buf[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	buf[i] = '\0';
	if (s[i] != '\0' && size >= 4)
		memcpy(buf + size - 4, "...", 4);
	return buf;
}

/* Report `invalid -X value "val" (hint)', the one shape of a bad value. */
static int
fail_value(struct ctx *c, const char *opt, const char *val, const char *hint)
{
	char q[QUOTE_MAX];

	return fail(c, "invalid %s value \"%s\" (%s)", opt,
	    quote(q, sizeof(q), val), hint);
}

/* sendmail's atobool(): empty, or starting with t or y, is true. */
static int
sendmail_bool(const char *val)
{
	return val[0] == '\0' || strchr("tTyY", val[0]) != NULL;
}

static int
parse_body(struct ctx *c, const char *val)
{
	if (strcasecmp(val, "7BIT") == 0)
		c->o->body = OPTIONS_BODY_7BIT;
	else if (strcasecmp(val, "8BITMIME") == 0)
		c->o->body = OPTIONS_BODY_8BITMIME;
	else
		return fail_value(c, "-B", val, "7BIT or 8BITMIME");
	return 0;
}

/* RFC 3461 section 4.1 NOTIFY keywords, as bits. */
enum {
	NOTIFY_NEVER = 1,
	NOTIFY_SUCCESS = 2,
	NOTIFY_FAILURE = 4,
	NOTIFY_DELAY = 8,
};

/* The bit of the -N keyword of len bytes at s, or 0 when it is none. */
static int
notify_keyword(const char *s, size_t len)
{
	static const struct {
		const char *word;
		int	    bit;
	} keywords[] = {
		{ "never", NOTIFY_NEVER },
		{ "success", NOTIFY_SUCCESS },
		{ "failure", NOTIFY_FAILURE },
		{ "delay", NOTIFY_DELAY },
	};
	size_t i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strlen(keywords[i].word) == len &&
		    strncasecmp(s, keywords[i].word, len) == 0)
			return keywords[i].bit;
	return 0;
}

/*
 * NOTIFY is NEVER, or one or more of SUCCESS, FAILURE, DELAY.  A repeated
 * keyword is refused too: a server may reject the RCPT command for it,
 * long after the caller has gone.
 */
static int
parse_notify(struct ctx *c, const char *val)
{
	const char *p, *comma;
	size_t	    len;
	int	    bit, seen = 0;

	for (p = val;; p = comma + 1) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		bit = notify_keyword(p, len);
		if (bit == 0 || (seen & bit) != 0)
			goto bad;
		seen |= bit;
		if (comma == NULL)
			break;
	}
	if ((seen & NOTIFY_NEVER) != 0 && seen != NOTIFY_NEVER)
		goto bad;
	c->o->dsn_notify = val;
	return 0;
bad:
	return fail_value(c, "-N", val,
	    "never, or a comma list of success, failure, delay");
}

/* RFC 3461 section 4.3: RET=FULL or RET=HDRS. */
static int
parse_ret(struct ctx *c, const char *val)
{
	if (strcasecmp(val, "full") != 0 && strcasecmp(val, "hdrs") != 0)
		return fail_value(c, "-R", val, "full or hdrs");
	c->o->dsn_ret = val;
	return 0;
}

/*
 * RFC 3461 section 4.4: the ENVID is at most 100 characters.  It is sent
 * as xtext, which can encode any printable ASCII; anything else (CR, LF,
 * spaces) could split the MAIL command.
 */
static int
parse_envid(struct ctx *c, const char *val)
{
	size_t i;

	for (i = 0; val[i] != '\0'; i++)
		if ((unsigned char)val[i] <= 0x20 ||
		    (unsigned char)val[i] >= 0x7f || i >= OPTIONS_ENVID_MAX)
			break;
	if (i == 0 || val[i] != '\0')
		return fail_value(c, "-V", val,
		    "1 to 100 printable ASCII characters");
	c->o->envid = val;
	return 0;
}

/*
 * The hop count is ignored, but checked as sendmail does: a word that is
 * not a number is most likely a recipient that "-h" swallowed, and it is
 * better to say so than to drop it.
 */
static int
parse_hops(struct ctx *c, const char *val)
{
	const char *errstr;

	(void)strtonum(val, 0, INT_MAX, &errstr);
	if (errstr != NULL)
		return fail_value(c, "-h", val, "a hop count");
	return 0;
}

/* -b<letter>: the operation mode. */
static int
parse_mode(struct ctx *c, const char *val)
{
	static const struct {
		char		  letter;
		enum options_mode mode;
	} modes[] = {
		{ 'm', OPTIONS_DELIVER },
		{ 'p', OPTIONS_LIST_QUEUE },
		{ 'i', OPTIONS_NEWALIASES },
		{ 'v', OPTIONS_VERIFY },
		{ 's', OPTIONS_SMTP_STDIN },
	};
	size_t i;

	if (val[0] == '\0')
		return fail(c, "option -b requires an argument");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (val[0] == modes[i].letter && val[1] == '\0') {
			c->o->mode = modes[i].mode;
			return 0;
		}
	return fail_value(c, "-b", val, "m, p, i, v or s");
}

/*
 * -od<letter>.  sendmail reads only the first letter; a whole single
 * letter is required here so that a typo is reported, not guessed at.
 * A bare -od is sendmail's default, interactive delivery.
 */
static int
parse_delivery(struct ctx *c, const char *val)
{
	if (val[0] != '\0' && val[1] != '\0')
		return fail_value(c, "-od", val, "i, b or q");
	switch (val[0]) {
	case '\0':
	case 'i':
	case 'f': c->o->delivery = OPTIONS_DM_FOREGROUND; break;
	case 'b': c->o->delivery = OPTIONS_DM_BACKGROUND; break;
	case 'q':
	case 'd': c->o->delivery = OPTIONS_DM_QUEUE; break;
	default: return fail_value(c, "-od", val, "i, b or q");
	}
	return 0;
}

/* -oe<letter> or -e<letter>; a bare -oe changes nothing, as in sendmail. */
static int
parse_error_mode(struct ctx *c, const char *opt, const char *val)
{
	if (val[0] == '\0')
		return 0;
	if (val[1] != '\0' || strchr("mpqwe", val[0]) == NULL)
		return fail_value(c, opt, val, "m, p, q, w or e");
	c->o->error_mode = val[0];
	return 0;
}

/*
 * -o<letter><value>: sendmail's one-letter settings.  Only -oi, -od and
 * -oe mean something here.  The others (-om, -oL9, -oQ/dir, -oA/file...)
 * are ignored; those that name files and directories are never opened.
 */
static int
parse_o(struct ctx *c, const char *val)
{
	switch (val[0]) {
	case '\0': return fail(c, "option -o requires an argument");
	case 'i': c->o->ignore_dots = sendmail_bool(val + 1); return 0;
	case 'd': return parse_delivery(c, val + 1);
	case 'e': return parse_error_mode(c, "-oe", val + 1);
	default: return 0;
	}
}

/* The longest -q<interval>: a year. */
#define INTERVAL_MAX (366LL * 86400)

/*
 * sendmail's convtime(): "30m", "1h30m", "90" (a number without a unit
 * is minutes, as sendmail reads -q); units s m h d w.  The seconds, at
 * least 1 and at most INTERVAL_MAX, go to *secs.
 */
static int
parse_interval(const char *s, long long *secs)
{
	static const char      units[] = "smhdw";
	static const long long unit_secs[] = { 1, 60, 3600, 86400, 604800 };
	const char	      *errstr = NULL, *u;
	char		       digits[16];
	long long	       n, mult, total = 0;
	size_t		       len;

	while (*s != '\0') {
		len = strspn(s, "0123456789");
		if (len == 0 || len >= sizeof(digits))
			return -1;
		memcpy(digits, s, len);
		digits[len] = '\0';
		s += len;
		n = strtonum(digits, 0, INTERVAL_MAX, &errstr);
		if (errstr != NULL)
			return -1;
		mult = 60;
		if (*s != '\0') {
			if ((u = strchr(units, *s)) == NULL)
				return -1;
			mult = unit_secs[u - units];
			s++;
		}
		if (n > (INTERVAL_MAX - total) / mult)
			return -1;
		total += n * mult;
	}
	if (total == 0)
		return -1;
	*secs = total;
	return 0;
}

/* A queue id names a queue entry: keep it from naming a path. */
static int
valid_queue_id(const char *s)
{
	if (*s == '\0' || *s == '.')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
		    *s == '/')
			return 0;
	return 1;
}

/*
 * -q[...]: run the queue once.  -q and -qf deliver every entry now
 * (Postfix's sendmail -q flushes the queue, as does dma -q).  An interval
 * ("-q5m", sendmail's spelling for its periodic runs) makes the run a
 * periodic one, started by a timer or cron: only the entries whose
 * backoff has run out.  -qR<host> and -qS<sender> narrow sendmail's run;
 * the filter is ignored and the whole queue is run.  -qI<id> is kept.
 */
static int
parse_queue(struct ctx *c, const char *val)
{
	c->o->queue_interval = 0;
	c->o->queue_id = NULL;
	if (val[0] == 'I') {
		if (!valid_queue_id(val + 1))
			return fail_value(c, "-qI", val + 1, "a queue id");
		c->o->queue_id = val + 1;
	} else if (val[0] != '\0' && val[0] != 'R' && val[0] != 'S' &&
	    strcmp(val, "f") != 0 &&
	    parse_interval(val, &c->o->queue_interval) == -1)
		return fail_value(c, "-q", val,
		    "an interval such as 5m, at "
		    "most 366d; or f, I<id>, R<host>, S<sender>");
	c->o->mode = OPTIONS_RUN_QUEUE;
	return 0;
}

/* -Ac / -Am: which of sendmail's two config files; both mean ours. */
static int
parse_a(struct ctx *c, const char *val)
{
	if (val[0] == '\0')
		return fail(c, "option -A requires an argument");
	if (strcmp(val, "c") != 0 && strcmp(val, "m") != 0)
		return fail_value(c, "-A", val, "c or m");
	return 0;
}

/* A letter of FLAG_LETTERS. */
static void
apply_flag(struct ctx *c, int letter)
{
	switch (letter) {
	case 't': c->o->extract = 1; break;
	case 'i': c->o->ignore_dots = 1; break;
	case 'v':
		if (c->o->verbose < INT_MAX)
			c->o->verbose++;
		break;
	case 'I':
		/* sendmail and Postfix: the old spelling of -bi. */
		c->o->mode = OPTIONS_NEWALIASES;
		break;
	default:
		/* -G -U -c -m -n -s: about relaying, aliases and old
		 * queue behaviour; nothing for a null client. */
		break;
	}
}

/* A letter of VALUE_LETTERS or ATTACHED_LETTERS, with its value. */
static int
apply_value(struct ctx *c, int letter, const char *val)
{
	switch (letter) {
	case 'f':
	case 'r':
		/* "-f<>", "-f ''": the null sender of bounces. */
		c->o->sender = strcmp(val, "<>") == 0 ? "" : val;
		return 0;
	case 'F': c->o->fullname = val; return 0;
	case 'C':
	case 'L':
		if (val[0] == '\0')
			return fail(c, "option -%c requires an argument",
			    letter);
		if (letter == 'C')
			c->o->config_file = val;
		else
			c->o->syslog_tag = val;
		return 0;
	case 'B': return parse_body(c, val);
	case 'N': return parse_notify(c, val);
	case 'R': return parse_ret(c, val);
	case 'V': return parse_envid(c, val);
	case 'h': return parse_hops(c, val);
	case 'b': return parse_mode(c, val);
	case 'o': return parse_o(c, val);
	case 'e': return parse_error_mode(c, "-e", val);
	case 'q': return parse_queue(c, val);
	case 'A': return parse_a(c, val);
	default:
		/* -D -M -O -X -p -d: sendmail log files, macros, options,
		 * protocol names and debugging.  Consumed, never used. */
		return 0;
	}
}

/*
 * One word of clustered letters, as getopt reads it.  *ip is the word's
 * index and moves past a value taken from the next word.
 */
static int
parse_cluster(struct ctx *c, int argc, char *argv[], int *ip)
{
	const char *p, *val;
	int	    letter;

	for (p = argv[*ip] + 1; (letter = (unsigned char)*p) != '\0'; p++) {
		if (strchr(FLAG_LETTERS, letter) != NULL) {
			apply_flag(c, letter);
			continue;
		}
		if (strchr(ATTACHED_LETTERS, letter) != NULL)
			return apply_value(c, letter, p + 1);
		if (strchr(VALUE_LETTERS, letter) == NULL) {
			if (letter <= 0x20 || letter >= 0x7f)
				return fail(c, "unknown option byte 0x%02x",
				    letter);
			return fail(c, "unknown option -%c", letter);
		}
		val = p + 1;
		if (*val == '\0') {
			if (*ip + 1 >= argc)
				return fail(c,
				    "option -%c requires an "
				    "argument",
				    letter);
			val = argv[++*ip];
		}
		return apply_value(c, letter, val);
	}
	return 0;
}

static int
parse_long(struct ctx *c, const char *word)
{
	static const struct {
		const char	 *name;
		enum options_mode mode;
	} longopts[] = {
		{ "--version", OPTIONS_VERSION },
		{ "--help", OPTIONS_HELP },
		{ "--serverinfo", OPTIONS_SERVERINFO },
		{ "--check-config", OPTIONS_CHECK_CONFIG },
		{ "--requeue", OPTIONS_REQUEUE },
	};
	char   q[QUOTE_MAX];
	size_t i;

	for (i = 0; i < sizeof(longopts) / sizeof(longopts[0]); i++)
		if (strcmp(word, longopts[i].name) == 0) {
			c->o->mode = longopts[i].mode;
			return 0;
		}
	/* a format, not a mode: "mailq --json", "-bp --json" */
	if (strcmp(word, "--json") == 0) {
		c->o->json = 1;
		return 0;
	}
	return fail(c, "unknown option %s", quote(q, sizeof(q), word));
}

/* Keep the n words after the options as recipients; see options.h. */
static int
take_rcpts(struct ctx *c, int n, char *words[], int after_dashdash)
{
	char q[QUOTE_MAX];
	int  i;

	for (i = 0; i < n && !after_dashdash; i++)
		if (words[i][0] == '-')
			return fail(c,
			    "recipient \"%s\" looks like an option "
			    "(options must come before recipients)",
			    quote(q, sizeof(q), words[i]));
	c->o->rcpts = reallocarray(NULL, (size_t)n + 1, sizeof(*c->o->rcpts));
	if (c->o->rcpts == NULL) {
		(void)fail(c, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < n; i++)
		c->o->rcpts[i] = words[i];
	c->o->rcpts[n] = NULL;
	c->o->nrcpts = (size_t)n;
	return 0;
}

/* --requeue: the words are queue ids, as -qI takes them, or "all". */
static int
check_requeue(struct ctx *c)
{
	size_t i;

	if (c->o->nrcpts == 0)
		return fail(c,
		    "--requeue needs the queue ids to send again "
		    "(cfsendmail -bp lists them), or all");
	for (i = 0; i < c->o->nrcpts; i++)
		if (!valid_queue_id(c->o->rcpts[i]))
			return fail_value(c, "--requeue", c->o->rcpts[i],
			    "a queue id, or all");
	return 0;
}

static enum options_mode
invocation_mode(const char *argv0)
{
	const char *base;

	if ((base = strrchr(argv0, '/')) != NULL)
		base++;
	else
		base = argv0;
	if (strcmp(base, "mailq") == 0)
		return OPTIONS_LIST_QUEUE;
	if (strcmp(base, "newaliases") == 0)
		return OPTIONS_NEWALIASES;
	return OPTIONS_DELIVER;
}

int
options_parse(struct options *o, int argc, char *argv[], char *err,
    size_t errlen)
{
	struct ctx  c = { o, err, errlen };
	const char *w;
	int	    i, n, dashdash = 0;

	memset(o, 0, sizeof(*o));
	o->mode = OPTIONS_DELIVER;
	o->delivery = OPTIONS_DM_CONFIG;
	o->body = OPTIONS_BODY_UNSET;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	for (n = 0; n < argc && argv[n] != NULL; n++)
		continue;
	if (n == 0)
		return take_rcpts(&c, 0, argv, 0);
	o->mode = invocation_mode(argv[0]);

	for (i = 1; i < n; i++) {
		w = argv[i];
		/* getopt: a lone "-" is not an option. */
		if (w[0] != '-' || w[1] == '\0')
			break;
		if (strcmp(w, "--") == 0) {
			dashdash = 1;
			i++;
			break;
		}
		if (w[1] == '-') {
			if (parse_long(&c, w) == -1)
				return -1;
		} else if (parse_cluster(&c, n, argv, &i) == -1)
			return -1;
	}
	if (o->json && o->mode != OPTIONS_LIST_QUEUE)
		return fail(&c, "--json goes only with -bp (or mailq)");
	if (take_rcpts(&c, n - i, argv + i, dashdash) == -1)
		return -1;
	if (o->mode == OPTIONS_REQUEUE && check_requeue(&c) == -1) {
		options_free(o);
		return -1;
	}
	return 0;
}

void
options_free(struct options *o)
{
	free(o->rcpts);
	o->rcpts = NULL;
	o->nrcpts = 0;
}
