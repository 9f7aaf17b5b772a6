/*
 * log.c - stderr traces and syslog records; see log.h.
 *
 * Everything written goes through printable(): a relay's reply, a name
 * from a certificate or an address can carry terminal escapes, bidi
 * overrides or line ends, and none of them may act on the reader's
 * terminal or start a forged line in the log.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "printable.h"

/* Longest record, before escaping; a protocol line is cut there too. */
#define LOG_MAX 4096
/* syslog ident: RFC 3164 allows 32 characters, a little more is kept */
#define LOG_TAG_MAX 64

static int    verbose;
static int    syslog_on;
static int    progress_tty = -1; /* stderr is a terminal; -1: not known */
static size_t progress_len;	 /* of the line drawn last */
/* openlog() keeps the pointer: the escaped -L tag lives here */
static char ident[PRINTABLE_SIZE(LOG_TAG_MAX)];

void
log_open(const char *tag, int use_syslog)
{
	size_t len;

	syslog_on = use_syslog;
	if (!syslog_on)
		return;
	if (tag == NULL)
		tag = "cfsendmail";
	len = strlen(tag);
	printable(ident, sizeof(ident), tag,
	    len > LOG_TAG_MAX ? LOG_TAG_MAX : len);
	openlog(ident, LOG_PID, LOG_MAIL);
}

void
log_set_verbose(int level)
{
	verbose = level;
}

int
log_verbose(void)
{
	return verbose;
}

void
log_transcript(const char *dir, const char *line, size_t len)
{
	char shown[PRINTABLE_SIZE(LOG_MAX)];

	if (!verbose)
		return;
	printable(shown, sizeof(shown), line, len > LOG_MAX ? LOG_MAX : len);
	fprintf(stderr, "%s: %s\n", dir, shown);
}

static void __attribute__((format(printf, 2, 0)))
vlog(int prio, const char *fmt, va_list ap)
{
	char text[LOG_MAX], shown[PRINTABLE_SIZE(LOG_MAX)];
	int  n;

	/* an error reaches stderr once, through the caller's outcome */
	if (!(verbose && prio != LOG_ERR) && !(syslog_on && prio != LOG_DEBUG))
		return;
	if ((n = vsnprintf(text, sizeof(text), fmt, ap)) < 0)
		return;
	printable(shown, sizeof(shown), text,
	    (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
	if (verbose && prio != LOG_ERR)
		fprintf(stderr, "cfsendmail: %s\n", shown);
	if (syslog_on && prio != LOG_DEBUG)
		syslog(prio, "%s", shown);
}

void
log_trace(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_progress(int done, const char *fmt, ...)
{
	char	text[256];
	va_list ap;
	int	n;

	if (progress_tty == -1)
		progress_tty = isatty(STDERR_FILENO);
	if (!progress_tty || verbose)
		return;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(text))
		n = (int)sizeof(text) - 1;
	/* spaces over what a longer line before left, no terminal codes */
	fprintf(stderr, "\r%s%*s%s", text,
	    (int)(progress_len > (size_t)n ? progress_len - (size_t)n : 0), "",
	    done ? "\n" : "");
	fflush(stderr);
	progress_len = done ? 0 : (size_t)n;
}
