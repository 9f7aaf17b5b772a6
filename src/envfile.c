/*
 * envfile.c - the envelope file's text; see envfile.h for the format.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "envfile.h"

static int
is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/*
 * "key value", control bytes in the value written as spaces: the parser
 * refuses them (an address never holds one; a reply is made printable
 * before it gets here), and what we write must read back.
 */
static int
add_line(struct buf *b, const char *key, const char *value)
{
	size_t start = b->len, i;

	if (buf_addf(b, "%s %s\n", key, value) == -1)
		return -1;
	for (i = start + strlen(key) + 1; i < b->len - 1; i++)
		if (is_control((unsigned char)b->data[i]))
			b->data[i] = ' ';
	return 0;
}

int
envfile_format(const struct queue_envelope *v, struct buf *b)
{
	size_t i, start = b->len;
	int    rc = 0;

	rc |= buf_addf(b, "version %d\n", ENVFILE_VERSION);
	if (v->from != NULL)
		rc |= add_line(b, "from", v->from);
	rc |= buf_addf(b,
	    "created %lld\nnext %lld\nattempts %d\n"
	    "eightbit %d\nsmtputf8 %d\nsize %lld\nbounce %d\n"
	    "seen %lld\nwaited %lld\n",
	    (long long)v->created, (long long)v->next_attempt, v->attempts,
	    v->eightbit, v->smtputf8, v->size, v->is_bounce, (long long)v->seen,
	    v->waited);
	if (v->dsn_notify != NULL)
		rc |= add_line(b, "notify", v->dsn_notify);
	if (v->dsn_ret != NULL)
		rc |= add_line(b, "ret", v->dsn_ret);
	if (v->envid != NULL)
		rc |= add_line(b, "envid", v->envid);
	if (v->last_reply != NULL)
		rc |= add_line(b, "last", v->last_reply);
	if (v->msgid != NULL)
		rc |= add_line(b, "msgid", v->msgid);
	if (v->about != NULL)
		rc |= add_line(b, "about", v->about);
	if (v->damaged)
		rc |= buf_adds(b, "damaged 1\n");
	if (v->has_sum)
		rc |= buf_addf(b, "msglen %lld\nmsgcrc %08lx\n", v->msglen,
		    (unsigned long)v->msgcrc);
	for (i = 0; i < v->nrcpts; i++)
		rc |= add_line(b, "rcpt", v->rcpts[i]);
	if (rc != 0)
		return -1;
	return buf_addf(b, "end %08lx\n",
	    crc32_z(0, (const unsigned char *)b->data + start, b->len - start));
}

static int
set_str(char **field, const char *value)
{
	free(*field);
	return (*field = strdup(value)) == NULL ? -1 : 0;
}

static int
add_rcpt(struct queue_envelope *v, const char *value)
{
	char **r;

	r = reallocarray(v->rcpts, v->nrcpts + 1, sizeof(*r));
	if (r == NULL)
		return -1;
	v->rcpts = r;
	if ((r[v->nrcpts] = strdup(value)) == NULL)
		return -1;
	v->nrcpts++;
	return 0;
}

/* Exactly 8 lowercase hex digits, as envfile_format() writes them. */
static int
parse_crc(const char *s, uint32_t *out)
{
	if (strlen(s) != 8 || strspn(s, "0123456789abcdef") != 8)
		return -1;
	*out = (uint32_t)strtoul(s, NULL, 16);
	return 0;
}

/* The numeric keys and their ranges. */
enum numkey {
	N_CREATED,
	N_NEXT,
	N_ATTEMPTS,
	N_EIGHTBIT,
	N_SMTPUTF8,
	N_SIZE,
	N_BOUNCE,
	N_DAMAGED,
	N_MSGLEN,
	N_SEEN,
	N_WAITED,
	N_NONE
};

static const struct {
	const char *key;
	long long   max;
} numkeys[] = {
	[N_CREATED] = { "created", LLONG_MAX },
	[N_NEXT] = { "next", LLONG_MAX },
	[N_ATTEMPTS] = { "attempts", INT_MAX },
	[N_EIGHTBIT] = { "eightbit", 1 },
	[N_SMTPUTF8] = { "smtputf8", 1 },
	[N_SIZE] = { "size", LLONG_MAX },
	[N_BOUNCE] = { "bounce", 1 },
	[N_DAMAGED] = { "damaged", 1 },
	[N_MSGLEN] = { "msglen", LLONG_MAX },
	[N_SEEN] = { "seen", LLONG_MAX },
	[N_WAITED] = { "waited", LLONG_MAX },
};

static void
set_number(struct queue_envelope *v, enum numkey k, long long n)
{
	switch (k) {
	case N_CREATED: v->created = (time_t)n; break;
	case N_NEXT: v->next_attempt = (time_t)n; break;
	case N_ATTEMPTS: v->attempts = (int)n; break;
	case N_EIGHTBIT: v->eightbit = (int)n; break;
	case N_SMTPUTF8: v->smtputf8 = (int)n; break;
	case N_SIZE: v->size = n; break;
	case N_BOUNCE: v->is_bounce = (int)n; break;
	case N_DAMAGED: v->damaged = (int)n; break;
	case N_MSGLEN: v->msglen = n; break;
	case N_SEEN: v->seen = (time_t)n; break;
	case N_WAITED: v->waited = n; break;
	case N_NONE: break;
	}
}

/* A numeric key: 1 when key was one (-1 for a bad value), 0 otherwise. */
static int
number_line(struct queue_envelope *v, const char *key, const char *value)
{
	const char *errstr = NULL;
	long long   n;
	enum numkey k;

	for (k = 0; k < N_NONE; k++)
		if (strcmp(key, numkeys[k].key) == 0)
			break;
	if (k == N_NONE)
		return 0;
	n = strtonum(value, 0, numkeys[k].max, &errstr);
	if (errstr != NULL)
		return -1;
	set_number(v, k, n);
	return 1;
}

/*
 * One "key value" line (the version line excepted): 0, -1 for a bad
 * value, -2 when out of memory.  *seen_sum gets 1 for msglen, 2 for
 * msgcrc.
 */
static int
env_line(struct queue_envelope *v, const char *key, const char *value,
    int *seen_sum)
{
	char **field = NULL;
	int    rc;

	if ((rc = number_line(v, key, value)) != 0) {
		if (strcmp(key, "msglen") == 0)
			*seen_sum |= 1;
		return rc == 1 ? 0 : -1;
	}
	if (strcmp(key, "msgcrc") == 0) {
		*seen_sum |= 2;
		return parse_crc(value, &v->msgcrc);
	}
	if (strcmp(key, "rcpt") == 0)
		return add_rcpt(v, value) == -1 ? -2 : 0;
	if (strcmp(key, "from") == 0)
		field = &v->from;
	else if (strcmp(key, "notify") == 0)
		field = &v->dsn_notify;
	else if (strcmp(key, "ret") == 0)
		field = &v->dsn_ret;
	else if (strcmp(key, "envid") == 0)
		field = &v->envid;
	else if (strcmp(key, "last") == 0)
		field = &v->last_reply;
	else if (strcmp(key, "msgid") == 0)
		field = &v->msgid;
	else if (strcmp(key, "about") == 0)
		field = &v->about;
	/* unknown keys are skipped: a newer version may add some */
	if (field != NULL && set_str(field, value) == -1)
		return -2;
	return 0;
}

/* The version line, which must come first: 1 or 2, else -1. */
static int
parse_version(const char *line, char *why, size_t whylen)
{
	if (strcmp(line, "version 1") == 0)
		return 1;
	if (strcmp(line, "version 2") == 0)
		return 2;
	if (strncmp(line, "version ", 8) == 0)
		snprintf(why, whylen, "is in an unknown format (%.20s)", line);
	else
		snprintf(why, whylen, "does not start with a version line");
	return -1;
}

/*
 * Version 2: the last line is "end CRC" over everything before it.
 * Sets *bodylen to the length of the text before that line.
 */
static int
check_end(const char *text, size_t len, size_t *bodylen, char *why,
    size_t whylen)
{
	const char *last;
	uint32_t    want;
	char	    hex[9];

	if (len == 0 || text[len - 1] != '\n') {
		snprintf(why, whylen, "is torn: its last line is cut");
		return -1;
	}
	for (last = text + len - 1; last > text && last[-1] != '\n'; last--)
		continue;
	if ((size_t)(text + len - last) != sizeof("end 12345678\n") - 1 ||
	    strncmp(last, "end ", 4) != 0) {
		snprintf(why, whylen, "is torn: it has no end line");
		return -1;
	}
	memcpy(hex, last + 4, 8);
	hex[8] = '\0';
	if (parse_crc(hex, &want) == -1 ||
	    crc32_z(0, (const unsigned char *)text, (size_t)(last - text)) !=
		want) {
		snprintf(why, whylen,
		    "is garbled: its checksum does not "
		    "match");
		return -1;
	}
	*bodylen = (size_t)(last - text);
	return 0;
}

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if (is_control((unsigned char)*s))
			return 1;
	return 0;
}

/*
 * The lines of text, each ending in LF (after the version line, which is
 * line 1): 0, -1 with why, or -2 when out of memory.
 */
static int
parse_lines(struct queue_envelope *v, char *text, int *seen_sum, char *why,
    size_t whylen)
{
	char *line, *next, *sp;
	int   n = 1, rc;

	for (line = text; *line != '\0'; line = next) {
		n++;
		if ((next = strchr(line, '\n')) == NULL) {
			snprintf(why, whylen, "is torn: line %d is cut", n);
			return -1;
		}
		*next++ = '\0';
		if (has_control(line)) {
			snprintf(why, whylen, "has a control byte on line %d",
			    n);
			return -1;
		}
		if ((sp = strchr(line, ' ')) == NULL) {
			snprintf(why, whylen,
			    "has a bad line %d (not \"key "
			    "value\")",
			    n);
			return -1;
		}
		*sp = '\0';
		if ((rc = env_line(v, line, sp + 1, seen_sum)) == -2)
			return -2;
		if (rc == -1) {
			snprintf(why, whylen,
			    "has a bad value on line %d "
			    "(%.20s)",
			    n, line);
			return -1;
		}
	}
	return 0;
}

/* What the text must hold, once its lines are read. */
static int
check_complete(const struct queue_envelope *v, int seen_sum, char *why,
    size_t whylen)
{
	if (v->from == NULL && !v->damaged) {
		snprintf(why, whylen, "names no sender");
		return -1;
	}
	if (v->version >= 2 && !v->damaged && seen_sum != 3) {
		snprintf(why, whylen, "has no checksum of the data file");
		return -1;
	}
	return 0;
}

int
envfile_parse(struct queue_envelope *v, const char *text, size_t len, char *why,
    size_t whylen)
{
	char  *copy = NULL, *nl, scratch[128];
	size_t bodylen = len;
	int    rc = -1, lines = 0, seen_sum = 0;

	memset(v, 0, sizeof(*v));
	if (memchr(text, '\0', len) != NULL) {
		snprintf(why, whylen, "holds a NUL byte");
		goto done;
	}
	if ((copy = strndup(text, len)) == NULL) {
		lines = -2;
		goto done;
	}
	if ((nl = strchr(copy, '\n')) != NULL)
		*nl = '\0';
	if ((v->version = parse_version(copy, why, whylen)) == -1)
		goto done;
	if (nl == NULL) {
		snprintf(why, whylen, "is torn: it holds only a version line");
		goto done;
	}
	if (v->version >= 2 &&
	    check_end(text, len, &bodylen, why, whylen) == -1) {
		/* read what is there all the same, for people to see */
		lines = parse_lines(v, nl + 1, &seen_sum, scratch,
		    sizeof(scratch));
		goto done;
	}
	copy[bodylen] = '\0';
	if ((lines = parse_lines(v, nl + 1, &seen_sum, why, whylen)) != 0 ||
	    check_complete(v, seen_sum, why, whylen) == -1)
		goto done;
	/* the sums go together, or not at all */
	if (!(v->has_sum = seen_sum == 3))
		v->msglen = v->msgcrc = 0;
	rc = 0;
done:
	if (lines == -2) {
		snprintf(why, whylen, "out of memory");
		errno = ENOMEM;
	} else if (rc == -1)
		errno = EINVAL;
	free(copy);
	return rc;
}

void
queue_envelope_free(struct queue_envelope *v)
{
	size_t i;

	for (i = 0; i < v->nrcpts; i++)
		free(v->rcpts[i]);
	free(v->rcpts);
	free(v->from);
	free(v->dsn_notify);
	free(v->dsn_ret);
	free(v->envid);
	free(v->last_reply);
	free(v->msgid);
	free(v->about);
	memset(v, 0, sizeof(*v));
}

void
queue_envelope_restart(struct queue_envelope *v, time_t now)
{
	v->attempts = 0;
	v->next_attempt = 0;
	v->seen = now;
	v->waited = 0;
}
