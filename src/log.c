/*
 * log.c - stderr traces and syslog records; see log.h.
 */

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"

static int	 verbose;
static int	 syslog_on;

void
log_open(const char *tag, int use_syslog)
{
	syslog_on = use_syslog;
	if (syslog_on)
		openlog(tag ? tag : "cfsendmail", LOG_PID, LOG_MAIL);
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
	if (!verbose)
		return;
	/* %.*s: a protocol line is not NUL-terminated where it is cut */
	fprintf(stderr, "%s: %.*s\n", dir, len > 4096 ? 4096 : (int)len,
	    line);
}

static void
vlog(int prio, const char *fmt, va_list ap)
{
	va_list	 copy;

	/* an error reaches stderr once, through the caller's outcome */
	if (verbose && prio != LOG_ERR) {
		va_copy(copy, ap);
		fputs("cfsendmail: ", stderr);
		vfprintf(stderr, fmt, copy);
		fputc('\n', stderr);
		va_end(copy);
	}
	if (syslog_on && prio != LOG_DEBUG)
		vsyslog(prio, fmt, ap);
}

void
log_trace(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}
