/*
 * config.h - the INI configuration file (see cfsendmail.conf(5)).
 *
 * config_parse() turns INI text into a struct config and validates every
 * value; it does no I/O so it can be unit-tested and fuzzed.
 * config_load() reads a file, checks its permissions and parses it;
 * config_load_token() then reads the secret from token_file when the
 * token is not inline.  All functions return 0, or -1 with a one-line
 * message in err that names the file and line where there is one; the
 * caller maps that to FAIL_CONFIG (failure.h).  The struct owns every string it holds;
 * config_free() releases them and wipes the token.  The token, and the
 * text of any file that may hold it, live in secret memory (secret.h).
 */
#ifndef CFSENDMAIL_CONFIG_H
#define CFSENDMAIL_CONFIG_H

#include <stddef.h>

#include "localnames.h"

#define CONFIG_DEFAULT_HOST "smtp.mx.cloudflare.net"
#define CONFIG_DEFAULT_PORT 465
#define CONFIG_DEFAULT_USER "api_token"

enum config_tls {
	CONFIG_TLS_IMPLICIT, /* TLS from connect (port 465) */
	CONFIG_TLS_STARTTLS, /* plaintext greeting, then mandatory STARTTLS */
};

enum config_rewrite {
	CONFIG_REWRITE_NEVER,
	CONFIG_REWRITE_LOCAL, /* only a From naming a local (unqualified) user */
	CONFIG_REWRITE_ALWAYS,
};

enum config_mode {
	CONFIG_MODE_FOREGROUND,
	CONFIG_MODE_BACKGROUND,
	CONFIG_MODE_QUEUE,
};

enum config_on_defer {
	CONFIG_DEFER_QUEUE, /* keep the message queued, exit 0 */
	CONFIG_DEFER_FAIL,  /* drop it, exit EX_TEMPFAIL */
};

struct config_alias {
	char *name;  /* local name, or "*" for any other */
	char *value; /* comma-separated addresses */
	int   line;  /* where it starts, for messages */
};

struct config {
	char *path; /* the file read, for messages */

	/* [relay] */
	char	       *host;
	int		port;
	enum config_tls tls;
	char	       *username;
	char	       *token; /* secret memory (secret.h) */
	char	       *token_file;
	char	       *ca_file;	 /* NULL: the system trust store */
	char	       *tls_fingerprint; /* "sha256:hex" pin or NULL */
	int		timeout;	 /* seconds */
	int		data_timeout;	 /* seconds */

	/* [sender] */
	char		   *from;   /* domain in A-labels */
	char		   *domain; /* in A-labels */
	struct localnames   local_domains;
	enum config_rewrite rewrite_from;

	/* [aliases] */
	struct config_alias *aliases;
	size_t		     naliases;

	/* [delivery] */
	enum config_mode     mode;
	enum config_on_defer on_defer;
	int		     max_recipients;
	int		     max_size; /* bytes */
	int		     attempts;
	int		     retry_delay; /* seconds, first backoff */
	int		     parallel;	  /* sessions at once per message */
	int		     bs_timeout;  /* seconds: -bs waits for input */

	/* [queue] */
	char *queue_dir;
	int   max_age; /* seconds */
	char *bounce_to;
	int   queue_parallel; /* sessions of a queue run */

	/* [log] */
	int syslog;

	/* this host's names (localnames.h), found by config_load() */
	struct localnames host_names;

	/* the lines that set these keys, 0 when unset: for the messages of
	 * checks made after the parse */
	int token_line;
	int token_file_line;
	int ca_file_line;
	int from_line;
	int bounce_to_line;
};

/* Set every field to its default; queue_dir defaults to default_queue. */
int config_init(struct config *, const char *default_queue);
/*
 * Parse INI text (NUL-terminated) on top of the current values.  name is
 * used in messages ("name:line: ...").
 */
int config_parse(struct config *, const char *text, const char *name, char *err,
    size_t errlen);
/*
 * Read and parse the file at path (a regular file: a FIFO is refused, not
 * waited on).  A file holding an inline token must not be readable or
 * writable by others.  Then find this host's names (localnames_gather()
 * on /etc), check that ca_file is a regular file, and check the aliases
 * and addresses against them (aliases_check()).
 */
int config_load(struct config *, const char *path, char *err, size_t errlen);
/*
 * Make sure cfg->token is set: read token_file when there is no inline
 * token.  The token file must be a regular file not readable or writable
 * by others; its content up to the first line end is the token (a UTF-8
 * byte order mark before it is dropped), in the form config_token_check()
 * accepts.  A file that cannot be opened is not named in the message (the
 * value may be the token itself, pasted in the wrong place): the message
 * names the key and its line.
 */
int config_load_token(struct config *, char *err, size_t errlen);
/*
 * What is wrong with token as the password for username, or NULL: it
 * must be printable ASCII without white space, not wrapped in quotes;
 * for Cloudflare (username "api_token") only letters, digits, '-' and
 * '_'.  The reason never quotes the token.
 */
const char *config_token_check(const char *token, const char *username);
/* Release everything; the token is wiped first. */
void config_free(struct config *);

#endif
