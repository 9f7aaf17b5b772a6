/*
 * log.h - the one place that writes diagnostics: the -v transcript and
 * traces on stderr, and one-line records to syslog (facility mail).
 *
 * This module keeps the only mutable statics of src/ (the settings
 * below), set once by the program at start.  Nothing here fails: a
 * record that cannot be written is dropped.  Secrets must never be
 * passed in; smtp.c redacts AUTH before logging a command.
 */
#ifndef CFSENDMAIL_LOG_H
#define CFSENDMAIL_LOG_H

#include <stddef.h>

/* tag: syslog ident (NULL: "cfsendmail"); use_syslog: 0 or 1. */
void log_open(const char *tag, int use_syslog);
void log_set_verbose(int level);
int  log_verbose(void);
/* -v: one protocol line; dir is "C" (sent) or "S" (received). */
void log_transcript(const char *dir, const char *line, size_t len);
/* -v: a trace line (connection, TLS, state changes). */
void log_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* syslog at LOG_INFO (and -v): what happened to a message. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* syslog at LOG_ERR: a failure the caller reports on stderr itself. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A progress line for people (a long queue run), on stderr only when it
 * is a terminal and -v is off: each call draws it over the last one;
 * with done set it is drawn a last time and ends with a newline.
 * Nothing at all otherwise (cron, a timer, a pipe).
 */
void log_progress(int done, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
