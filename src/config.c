/*
 * config.c - the INI configuration file; see config.h for the contract.
 *
 * Every known key is one row of a table that names its section, its
 * type and its range, so that parsing, validation and the "unknown key"
 * error come from one place.  libinih does the INI syntax (comments,
 * sections, continuation lines); a handler that returns 0 makes inih
 * report the line, and the first reason is kept here.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "address.h"
#include "aliases.h"
#include "buf.h"
#include "config.h"
#include "idn.h"
#include "readfile.h"
#include "secret.h"

/* Largest config or token file we read: both are a few hundred bytes. */
#define CONFIG_MAX_FILE (256 * 1024)

/* The UTF-8 byte order mark. */
#define BOM "\xef\xbb\xbf"

enum key_type {
	KEY_STRING,
	KEY_SECRET,  /* a string that must be wiped */
	KEY_SENDER,  /* an address with a domain */
	KEY_ADDRESS, /* an address, or a local name */
	KEY_DOMAIN,
	KEY_DOMAINS, /* a comma-separated list of them */
	KEY_INT,
	KEY_DURATION, /* seconds, with an optional s/m/h/d suffix */
	KEY_ENUM,
	KEY_BOOL,
};

struct key {
	const char	  *section;
	const char	  *name;
	enum key_type	   type;
	size_t		   offset;
	long long	   min, max;
	const char *const *names; /* KEY_ENUM: value i is names[i] */
};

static const char *const tls_names[] = { "implicit", "starttls", NULL };
static const char *const rewrite_names[] = { "never", "local", "always", NULL };
static const char *const mode_names[] = { "foreground", "background", "queue",
	NULL };
static const char *const defer_names[] = { "queue", "fail", NULL };

#define F(field) offsetof(struct config, field)

static const struct key keys[] = {
	{ "relay", "host", KEY_STRING, F(host), 0, 0, NULL },
	{ "relay", "port", KEY_INT, F(port), 1, 65535, NULL },
	{ "relay", "tls", KEY_ENUM, F(tls), 0, 0, tls_names },
	{ "relay", "username", KEY_STRING, F(username), 0, 0, NULL },
	{ "relay", "token", KEY_SECRET, F(token), 0, 0, NULL },
	{ "relay", "token_file", KEY_STRING, F(token_file), 0, 0, NULL },
	{ "relay", "ca_file", KEY_STRING, F(ca_file), 0, 0, NULL },
	{ "relay", "tls_fingerprint", KEY_STRING, F(tls_fingerprint), 0, 0,
	    NULL },
	{ "relay", "timeout", KEY_DURATION, F(timeout), 1, 3600, NULL },
	{ "relay", "data_timeout", KEY_DURATION, F(data_timeout), 1, 3600,
	    NULL },
	{ "sender", "from", KEY_SENDER, F(from), 0, 0, NULL },
	{ "sender", "domain", KEY_DOMAIN, F(domain), 0, 0, NULL },
	{ "sender", "local_domains", KEY_DOMAINS, F(local_domains), 0, 0,
	    NULL },
	{ "sender", "rewrite_from", KEY_ENUM, F(rewrite_from), 0, 0,
	    rewrite_names },
	{ "delivery", "mode", KEY_ENUM, F(mode), 0, 0, mode_names },
	{ "delivery", "on_defer", KEY_ENUM, F(on_defer), 0, 0, defer_names },
	{ "delivery", "max_recipients", KEY_INT, F(max_recipients), 1, 1000,
	    NULL },
	{ "delivery", "max_size", KEY_INT, F(max_size), 1, 1024 * 1024 * 1024,
	    NULL },
	{ "delivery", "attempts", KEY_INT, F(attempts), 1, 100, NULL },
	{ "delivery", "retry_delay", KEY_DURATION, F(retry_delay), 0, 3600,
	    NULL },
	{ "delivery", "parallel", KEY_INT, F(parallel), 1, 16, NULL },
	{ "delivery", "bs_timeout", KEY_DURATION, F(bs_timeout), 1, 3600,
	    NULL },
	{ "queue", "dir", KEY_STRING, F(queue_dir), 0, 0, NULL },
	{ "queue", "max_age", KEY_DURATION, F(max_age), 60, 365 * 24 * 3600,
	    NULL },
	{ "queue", "bounce_to", KEY_ADDRESS, F(bounce_to), 0, 0, NULL },
	{ "queue", "parallel", KEY_INT, F(queue_parallel), 1, 16, NULL },
	{ "log", "syslog", KEY_BOOL, F(syslog), 0, 1, NULL },
};

/* The keys whose line is noted, for the checks made after the parse. */
static const struct {
	const char *name;
	size_t	    line; /* an int of struct config */
} key_lines[] = {
	{ "token", F(token_line) },
	{ "token_file", F(token_file_line) },
	{ "ca_file", F(ca_file_line) },
	{ "from", F(from_line) },
	{ "bounce_to", F(bounce_to_line) },
};

#undef F

_Static_assert(sizeof(enum config_tls) == sizeof(int) &&
	sizeof(enum config_rewrite) == sizeof(int) &&
	sizeof(enum config_mode) == sizeof(int) &&
	sizeof(enum config_on_defer) == sizeof(int),
    "enum fields are written as int");

struct parse_ctx {
	struct config *cfg;
	const char    *next;	    /* the text not read yet */
	int	       line;	    /* the line inih is at */
	int	       reason_line; /* the line of reason, 0: none */
	char	       reason[256]; /* first error, without the line */
	/* one bit per row of keys[]: a key given twice is an error */
	unsigned char seen[sizeof(keys) / sizeof(keys[0])];
};

int
config_init(struct config *cfg, const char *default_queue)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = CONFIG_DEFAULT_PORT;
	cfg->tls = CONFIG_TLS_IMPLICIT;
	cfg->timeout = 30;
	cfg->data_timeout = 300;
	cfg->rewrite_from = CONFIG_REWRITE_LOCAL;
	cfg->mode = CONFIG_MODE_FOREGROUND;
	cfg->on_defer = CONFIG_DEFER_QUEUE;
	cfg->max_recipients = 50;
	cfg->max_size = 5242880;
	cfg->attempts = 3;
	cfg->retry_delay = 1;
	cfg->parallel = 3;
	cfg->bs_timeout = 300;
	cfg->max_age = 5LL * 24 * 3600;
	cfg->queue_parallel = 8;
	cfg->syslog = 1;
	if ((cfg->host = strdup(CONFIG_DEFAULT_HOST)) == NULL ||
	    (cfg->username = strdup(CONFIG_DEFAULT_USER)) == NULL ||
	    (cfg->queue_dir = strdup(default_queue)) == NULL) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

/* Values end up in SMTP commands and file names: no control bytes. */
static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* "90", "90s", "15m", "12h", "5d" → seconds within [min, max]. */
static int
parse_duration(const char *s, long long min, long long max, long long *out,
    const char **why)
{
	char	  num[32];
	size_t	  len = strlen(s);
	long long unit = 1, v;

	if (len == 0 || len >= sizeof(num)) {
		*why = "invalid";
		return -1;
	}
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: unit = 0; break;
	}
	if (unit != 0)
		num[len - 1] = '\0';
	else
		unit = 1;
	v = strtonum(num, 0, max / unit, why);
	if (*why != NULL)
		return -1;
	v *= unit;
	if (v < min || v > max) {
		*why = v < min ? "too small" : "too large";
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_enum(const char *const *names, const char *value)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(names[i], value) == 0)
			return i;
	return -1;
}

static int
parse_bool(const char *value)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };

	if (parse_enum(yes, value) >= 0)
		return 1;
	if (parse_enum(no, value) >= 0)
		return 0;
	return -1;
}

/* Keep the first reason; 0 makes inih report the line. */
static int __attribute__((format(printf, 2, 3)))
fail(struct parse_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->reason[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(ctx->reason, sizeof(ctx->reason), fmt, ap);
		va_end(ap);
		ctx->reason_line = ctx->line;
	}
	return 0;
}

/* "aliases", or a section of keys[], in any case. */
static int
known_section(const char *name)
{
	size_t i;

	if (strcasecmp(name, "aliases") == 0)
		return 1;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcasecmp(keys[i].section, name) == 0)
			return 1;
	return 0;
}

/*
 * inih tells nothing of a section header by itself, only of the keys
 * after it: a misspelt "[relya]" with no key (or at the end) would pass
 * unnoticed.  Check every header line here, as inih finds them: '[' at
 * the start of the line, the name up to ']' as it is.
 */
static void
check_section_header(struct parse_ctx *ctx, const char *line)
{
	const char *end;
	char	    name[64];

	if (line[0] != '[' || (end = strchr(line, ']')) == NULL)
		return;
	if ((size_t)(end - line - 1) >= sizeof(name)) {
		fail(ctx, "unknown section (a name too long)");
		return;
	}
	memcpy(name, line + 1, end - line - 1);
	name[end - line - 1] = '\0';
	if (has_control(name))
		fail(ctx, "control character in a section or key name");
	else if (!known_section(name))
		fail(ctx, "unknown section [%s]", name);
}

/*
 * inih's reader over the text, as ini_parse_string()'s, but it counts
 * lines, so that a reason is shown with its own line (inih goes on after
 * a syntax error and reports the first one's line), and it refuses a
 * line that does not fit inih's buffer (INI_MAX_LINE, 200 on Debian):
 * inih would take its pieces for lines, a value cut short or the tail
 * of a comment read as a key.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse_ctx *ctx = stream;
	const char	 *p = ctx->next, *nl;
	size_t		  len, content;

	if (*p == '\0')
		return NULL;
	ctx->line++;
	nl = strchr(p, '\n');
	len = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);
	ctx->next = p + len;
	content = nl != NULL ? len - 1 : len;
	if (content > 0 && p[content - 1] == '\r')
		content--;
	/* room for CR, LF and NUL, as ini.h asks */
	if (num < 4 || content > (size_t)num - 3) {
		fail(ctx, "line longer than %d characters", num - 3);
		len = 0;
	}
	memcpy(str, p, len);
	str[len] = '\0';
	check_section_header(ctx, str);
	return str;
}

/* A secret value (the token) goes to secret memory (secret.h). */
static int
set_string(char **field, const char *value, int secret)
{
	char *copy;

	if ((copy = secret ? secret_strdup(value) : strdup(value)) == NULL)
		return -1;
	if (secret)
		secret_free(*field);
	else
		free(*field);
	*field = copy;
	return 0;
}

/*
 * An address as the relay takes it, its domain in A-labels; a local name
 * only when local_ok.  NULL with a reason in why.
 */
static char *
config_address(const char *value, int local_ok, char *why, size_t whylen)
{
	char *a;

	if (address_check_envelope(value, 0, NULL, why, whylen) == -1)
		return NULL;
	if (!local_ok && address_is_local(value)) {
		snprintf(why, whylen, "not an address with a domain");
		return NULL;
	}
	if ((a = strdup(value)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if (idn_address(&a, why, whylen) == -1) {
		free(a);
		return NULL;
	}
	return a;
}

/* A host name, in A-labels; NULL with a reason in why. */
static char *
config_domain(const char *value, char *why, size_t whylen)
{
	if (address_check_domain(value, why, whylen) == -1)
		return NULL;
	return idn_domain(value, why, whylen);
}

/* "a.example, b.example" (commas or white space between) into ln. */
static int
set_domains(struct parse_ctx *ctx, const struct key *k, struct localnames *ln,
    const char *value)
{
	const char *p = value;
	char	   *item, *d, why[256];
	size_t	    n, added = 0;

	for (p += strspn(p, ", "); *p != '\0'; p += strspn(p + n, ", ") + n) {
		n = strcspn(p, ", ");
		if ((item = strndup(p, n)) == NULL)
			return fail(ctx, "out of memory");
		d = config_domain(item, why, sizeof(why));
		free(item);
		if (d == NULL)
			return fail(ctx, "%s: %s", k->name, why);
		if (localnames_add(ln, d, strlen(d)) == -1) {
			free(d);
			return fail(ctx, "out of memory");
		}
		free(d);
		added++;
	}
	if (added == 0)
		return fail(ctx, "%s: no domain in the list", k->name);
	return 1;
}

/* The string keys that name addresses and domains, checked, converted. */
static int
set_checked(struct parse_ctx *ctx, const struct key *k, char **field,
    const char *value)
{
	char *v, why[256];

	if (k->type == KEY_DOMAIN)
		v = config_domain(value, why, sizeof(why));
	else
		v = config_address(value, k->type == KEY_ADDRESS, why,
		    sizeof(why));
	if (v == NULL)
		return fail(ctx, "%s: %s", k->name, why);
	free(*field);
	*field = v;
	return 1;
}

static void
note_line(struct parse_ctx *ctx, const struct key *k)
{
	size_t i;

	for (i = 0; i < sizeof(key_lines) / sizeof(key_lines[0]); i++)
		if (strcmp(key_lines[i].name, k->name) == 0)
			*(int *)(void *)((char *)ctx->cfg +
			    key_lines[i].line) = ctx->line;
}

static int
set_value(struct parse_ctx *ctx, const struct key *k, const char *value)
{
	char	   *base = (char *)ctx->cfg + k->offset;
	const char *why = NULL;
	long long   v = 0;
	int	    e;

	note_line(ctx, k);
	switch (k->type) {
	case KEY_STRING:
	case KEY_SECRET:
	case KEY_SENDER:
	case KEY_ADDRESS:
	case KEY_DOMAIN:
	case KEY_DOMAINS:
		/* "ca_file =" would mean a file named "": the line
		 * commented out is what gives the default */
		if (value[0] == '\0')
			return fail(ctx,
			    "%s: empty value (comment the line "
			    "out for the default)",
			    k->name);
		if (k->type == KEY_DOMAINS)
			return set_domains(ctx, k,
			    (struct localnames *)(void *)base, value);
		if (k->type != KEY_STRING && k->type != KEY_SECRET)
			return set_checked(ctx, k, (char **)(void *)base,
			    value);
		if (set_string((char **)(void *)base, value,
			k->type == KEY_SECRET) == -1)
			return fail(ctx, "out of memory");
		return 1;
	case KEY_INT: v = strtonum(value, k->min, k->max, &why); break;
	case KEY_DURATION:
		parse_duration(value, k->min, k->max, &v, &why);
		break;
	case KEY_ENUM:
		if ((e = parse_enum(k->names, value)) < 0)
			why = "not one of the allowed values";
		v = e;
		break;
	case KEY_BOOL:
		if ((e = parse_bool(value)) < 0)
			why = "not yes or no";
		v = e;
		break;
	}
	if (why != NULL)
		return fail(ctx, "%s: value %s", k->name, why);
	/* every number and enum field is an int (asserted below) */
	*(int *)(void *)base = (int)v;
	return 1;
}

/*
 * Each address of one line of an alias's value (a line of its own: the
 * error names it) must be one the relay takes: a local name is qualified
 * later, when the domain is known (aliases_check()).
 */
static int
check_alias_line(struct parse_ctx *ctx, const char *name, const char *value)
{
	struct address_list targets = { 0 };
	char		    why[512], *a;
	size_t		    i;
	int		    rc = 1;

	if (strcmp(name, "*") != 0 &&
	    (!address_is_local(name) ||
		address_check_envelope(name, 0, NULL, why, sizeof(why)) == -1))
		rc = fail(ctx,
		    "alias %s: the name must be a local name such "
		    "as root (no '@'), or *",
		    name);
	else if (address_list_parse(&targets, value, strlen(value), why,
		     sizeof(why)) == -1)
		rc = fail(ctx, "alias %s: %s", name, why);
	else if (targets.n == 0)
		rc = fail(ctx, "alias %s: no address", name);
	for (i = 0; rc == 1 && i < targets.n; i++) {
		if ((a = config_address(targets.v[i].addr, 1, why,
			 sizeof(why))) == NULL)
			rc = fail(ctx, "alias %s: %s", name, why);
		free(a);
	}
	address_list_free(&targets);
	return rc;
}

/*
 * [aliases] keys are local names.  inih calls the handler once per
 * continuation line of a multi-line value, so a name seen again extends
 * its list: a long alias can go on over indented lines.
 */
static int
add_alias(struct parse_ctx *ctx, const char *name, const char *value)
{
	struct config	    *cfg = ctx->cfg;
	struct config_alias *a, *v;
	struct buf	     joined = { 0 };
	size_t		     i;

	if (check_alias_line(ctx, name, value) == 0)
		return 0;
	for (i = 0; i < cfg->naliases; i++) {
		a = &cfg->aliases[i];
		if (strcasecmp(a->name, name) != 0)
			continue;
		if (buf_adds(&joined, a->value) == -1 ||
		    buf_adds(&joined, ",") == -1 ||
		    buf_adds(&joined, value) == -1) {
			buf_free(&joined);
			return fail(ctx, "out of memory");
		}
		free(a->value);
		a->value = joined.data;
		return 1;
	}
	v = reallocarray(cfg->aliases, cfg->naliases + 1, sizeof(*v));
	if (v == NULL)
		return fail(ctx, "out of memory");
	cfg->aliases = v;
	a = &v[cfg->naliases];
	a->name = strdup(name);
	a->value = strdup(value);
	a->line = ctx->line;
	if (a->name == NULL || a->value == NULL) {
		free(a->name);
		free(a->value);
		return fail(ctx, "out of memory");
	}
	cfg->naliases++;
	return 1;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *ctx = user;
	size_t		  i;

	/* a name is shown in messages: not one that can hide in them */
	if (has_control(section) || has_control(name))
		return fail(ctx, "control character in a section or key name");
	if (has_control(value))
		return fail(ctx, "%s: control character in value", name);
	/* inih strips "; comment" only: "# comment" would stay in */
	if (strstr(value, " #") != NULL)
		return fail(ctx,
		    "%s%s: '#' after a space in the value: a "
		    "comment on a key's line starts with ';'",
		    strcasecmp(section, "aliases") == 0 ? "alias " : "", name);
	if (strcasecmp(section, "aliases") == 0) {
		if (*value == '\0')
			return fail(ctx, "alias %s: empty value", name);
		return add_alias(ctx, name, value);
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcasecmp(keys[i].section, section) != 0)
			continue;
		if (strcasecmp(keys[i].name, name) != 0)
			continue;
		if (ctx->seen[i]++)
			return fail(ctx, "%s: key given twice", name);
		return set_value(ctx, &keys[i], value);
	}
	if (known_section(section))
		return fail(ctx, "unknown key \"%s\" in [%s]", name, section);
	return fail(ctx, "unknown section [%s]", section);
}

/*
 * "sha256:" then exactly 64 hex digits, optionally separated by colons as
 * openssl prints them.  A longer or shorter pin is a typo (or two pins
 * pasted together) and must not silently compare as a prefix.
 */
static int
pin_well_formed(const char *pin)
{
	const char *p;
	size_t	    digits = 0;

	if (strncasecmp(pin, "sha256:", 7) != 0)
		return 0;
	for (p = pin + 7; *p != '\0'; p++) {
		if (*p == ':')
			continue;
		if (!isxdigit((unsigned char)*p))
			return 0;
		digits++;
	}
	return digits == 64;
}

/* Checks that concern several keys at once, after the whole file. */
static int
validate(const struct config *cfg, char *err, size_t errlen)
{
	const char *name = cfg->path ? cfg->path : "config", *why;

	if (cfg->host == NULL || cfg->host[0] == '\0') {
		snprintf(err, errlen, "%s: [relay] host is empty", name);
		return -1;
	}
	if (cfg->token != NULL && cfg->token_file != NULL) {
		snprintf(err, errlen,
		    "%s: set either [relay] token or "
		    "token_file, not both",
		    name);
		return -1;
	}
	if (cfg->tls_fingerprint != NULL &&
	    !pin_well_formed(cfg->tls_fingerprint)) {
		snprintf(err, errlen,
		    "%s: [relay] tls_fingerprint must be "
		    "sha256: and 64 hex digits (colons allowed)",
		    name);
		return -1;
	}
	if (cfg->token != NULL &&
	    (why = config_token_check(cfg->token, cfg->username)) != NULL) {
		snprintf(err, errlen, "%s:%d: token: %s", name, cfg->token_line,
		    why);
		return -1;
	}
	/* every address there would be an alias's: its mailboxes too */
	if (cfg->domain != NULL &&
	    localnames_has(&cfg->local_domains, cfg->domain)) {
		snprintf(err, errlen,
		    "%s: [sender] local_domains lists %s, "
		    "the [sender] domain: addresses there are not local",
		    name, cfg->domain);
		return -1;
	}
	return 0;
}

const char *
config_token_check(const char *token, const char *username)
{
	size_t	      len = strlen(token), i;
	int	      cloudflare = strcmp(username, CONFIG_DEFAULT_USER) == 0;
	unsigned char c;

	if (len == 0)
		return "empty";
	if (len >= 2 && (token[0] == '"' || token[0] == '\'') &&
	    token[len - 1] == token[0])
		return "in quotes: the quotes would be sent as part of the "
		       "password; remove them";
	for (i = 0; i < len; i++) {
		c = (unsigned char)token[i];
		if (c == ' ')
			return "white space in the token";
		if (c < 0x20 || c == 0x7f)
			return "control character in the token";
		if (c >= 0x80)
			return "non-ASCII character in the token (a byte "
			       "order mark, or a character pasted from a "
			       "document?)";
		if (cloudflare && !isalnum(c) && c != '-' && c != '_')
			return "a character no Cloudflare API token has "
			       "(they are letters, digits, '-' and '_')";
	}
	return NULL;
}

int
config_parse(struct config *cfg, const char *text, const char *name, char *err,
    size_t errlen)
{
	struct parse_ctx ctx;
	int		 line;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	ctx.next = text;
	if (set_string(&cfg->path, name, 0) == -1) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	line = ini_parse_stream(read_line, &ctx, handler, &ctx);
	/* the first error: ours, or a syntax error inih found itself */
	if (ctx.reason_line != 0 && (line == 0 || ctx.reason_line <= line)) {
		snprintf(err, errlen, "%s:%d: %s", name, ctx.reason_line,
		    ctx.reason);
		return -1;
	}
	if (line != 0) {
		snprintf(err, errlen,
		    "%s:%d: syntax error (expected "
		    "[section] or key = value)",
		    name, line);
		return -1;
	}
	return validate(cfg, err, errlen);
}

/*
 * A FIFO or a directory as ca_file would hang or fail every delivery
 * later, after the message was accepted: say so now.
 */
static int
check_ca_file(const struct config *cfg, char *err, size_t errlen)
{
	char why[512];

	if (cfg->ca_file == NULL ||
	    readfile_check(cfg->ca_file, why, sizeof(why)) == 0)
		return 0;
	snprintf(err, errlen, "%s:%d: ca_file: %s", cfg->path,
	    cfg->ca_file_line, why);
	return -1;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct buf  text = BUF_SECRET; /* may hold the token */
	struct stat st;
	int	    rc = -1, parsed;

	if (readfile(path, CONFIG_MAX_FILE, &text, &st, err, errlen) == -1)
		goto done;
	if (memchr(text.data, '\0', text.len) != NULL) {
		snprintf(err, errlen, "%s: NUL byte in file", path);
		goto done;
	}
	parsed = config_parse(cfg, text.data, path, err, errlen);
	/* inih's line buffer, on its stack, had the token line */
	secret_burn_stack();
	if (parsed == -1)
		goto done;
	if (cfg->token != NULL && (st.st_mode & (S_IROTH | S_IWOTH))) {
		snprintf(err, errlen,
		    "%s holds the token but is readable or "
		    "writable by others: chmod o-rw %s",
		    path, path);
		goto done;
	}
	if (localnames_gather(&cfg->host_names, "/etc") == -1) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if (check_ca_file(cfg, err, errlen) == -1 ||
	    aliases_check(cfg, err, errlen) == -1)
		goto done;
	rc = 0;
done:
	buf_free(&text); /* wipes and unmaps */
	return rc;
}

int
config_load_token(struct config *cfg, char *err, size_t errlen)
{
	struct buf  text = BUF_SECRET;
	struct stat st;
	const char *reason;
	char	   *token, why[512];
	int	    rc = -1;

	if (cfg->token != NULL)
		return 0;
	if (cfg->token_file == NULL) {
		snprintf(err, errlen, "%s: no [relay] token or token_file",
		    cfg->path ? cfg->path : "config");
		return -1;
	}
	/* the value may be the token itself, pasted here: never shown
	 * before it proved to name a file */
	if (readfile_unnamed(cfg->token_file, CONFIG_MAX_FILE, &text, &st, why,
		sizeof(why)) == -1) {
		snprintf(err, errlen, "%s:%d: token_file: %s",
		    cfg->path ? cfg->path : "config", cfg->token_file_line,
		    why);
		goto done;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		snprintf(err, errlen,
		    "token file %s is readable or writable "
		    "by others: chmod o-rw %s",
		    cfg->token_file, cfg->token_file);
		goto done;
	}
	/* Windows editors start a UTF-8 file with a byte order mark */
	token = text.data;
	if (strncmp(token, BOM, sizeof(BOM) - 1) == 0)
		token += sizeof(BOM) - 1;
	token[strcspn(token, "\r\n")] = '\0';
	if ((reason = config_token_check(token, cfg->username)) != NULL) {
		snprintf(err, errlen, "token file %s: %s", cfg->token_file,
		    reason);
		goto done;
	}
	if ((cfg->token = secret_strdup(token)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	rc = 0;
done:
	buf_free(&text);     /* wipes and unmaps */
	secret_burn_stack(); /* and what reading and checking it left */
	return rc;
}

void
config_free(struct config *cfg)
{
	size_t i;

	secret_free(cfg->token); /* wipes */
	free(cfg->path);
	free(cfg->host);
	free(cfg->username);
	free(cfg->token_file);
	free(cfg->ca_file);
	free(cfg->tls_fingerprint);
	free(cfg->from);
	free(cfg->domain);
	localnames_free(&cfg->local_domains);
	localnames_free(&cfg->host_names);
	for (i = 0; i < cfg->naliases; i++) {
		free(cfg->aliases[i].name);
		free(cfg->aliases[i].value);
	}
	free(cfg->aliases);
	free(cfg->queue_dir);
	free(cfg->bounce_to);
	memset(cfg, 0, sizeof(*cfg));
}
