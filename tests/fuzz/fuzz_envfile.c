/*
 * fuzz_envfile.c - libFuzzer target for src/envfile.c and src/json.c.
 *
 * The input is an envelope file as a crash or a disk may leave it.  A
 * parse that fails must say why; one that succeeds must format back to a
 * text that parses to the same envelope.  No value read holds a control
 * byte.  Every string read, and the why of a failure, goes through
 * json_string() (as mailq --json shows them), whose output must be valid
 * JSON: quoted, no raw control byte, valid UTF-8 (checked here the
 * simple way, by the lengths of RFC 3629's sequences and their ranges).
 * queue_envelope_free() must release everything (LeakSanitizer watches).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envfile.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Length of the UTF-8 sequence at s, or 0 when it is not valid. */
static size_t
seq_len(const unsigned char *s, size_t n)
{
	unsigned int cp;
	size_t	     len, i;

	if (s[0] < 0x80)
		return 1;
	len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	if (len == 0 || len > n || s[0] > 0xf4)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void
check_json(const char *s)
{
	struct buf	     b = { 0 };
	const unsigned char *p;
	size_t		     i, n;

	if (json_string(&b, s) == -1)
		abort();
	p = (const unsigned char *)b.data;
	if (s == NULL) {
		if (strcmp(b.data, "null") != 0)
			abort();
		buf_free(&b);
		return;
	}
	if (b.len < 2 || p[0] != '"' || p[b.len - 1] != '"')
		abort();
	for (i = 1; i + 1 < b.len; i += n) {
		if (p[i] < 0x20 || (p[i] == '"' && p[i - 1] != '\\'))
			abort();
		if (p[i] == '\\') {
			if (strchr("\"\\u", p[i + 1]) == NULL)
				abort();
			n = p[i + 1] == 'u' ? 6 : 2;
			continue;
		}
		if ((n = seq_len(p + i, b.len - 1 - i)) == 0)
			abort();
	}
	buf_free(&b);
}

/* A value read: no control byte (the parser refuses them), valid JSON. */
static void
check_value(const char *s)
{
	const char *p;

	for (p = s; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	check_json(s);
}

static void
check_strings(const struct queue_envelope *v)
{
	size_t i;

	check_value(v->from);
	check_value(v->dsn_notify);
	check_value(v->dsn_ret);
	check_value(v->envid);
	check_value(v->last_reply);
	check_value(v->msgid);
	check_value(v->about);
	for (i = 0; i < v->nrcpts; i++)
		check_value(v->rcpts[i]);
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
check_round_trip(const struct queue_envelope *v)
{
	struct queue_envelope w;
	struct buf	      b = { 0 };
	char		      why[160];
	size_t		      i;

	if (envfile_format(v, &b) == -1)
		abort();
	if (envfile_parse(&w, b.data, b.len, why, sizeof(why)) == -1)
		abort();
	if (!same(v->from, w.from) || !same(v->last_reply, w.last_reply) ||
	    !same(v->envid, w.envid) || v->nrcpts != w.nrcpts ||
	    !same(v->msgid, w.msgid) || !same(v->about, w.about) ||
	    v->seen != w.seen || v->waited != w.waited ||
	    v->created != w.created || v->attempts != w.attempts ||
	    v->size != w.size || v->damaged != w.damaged ||
	    v->has_sum != w.has_sum || v->msglen != w.msglen ||
	    v->msgcrc != w.msgcrc || w.version != ENVFILE_VERSION)
		abort();
	for (i = 0; i < v->nrcpts; i++)
		if (!same(v->rcpts[i], w.rcpts[i]))
			abort();
	queue_envelope_free(&w);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_envelope v;
	char		      why[160];

	why[0] = '\0';
	if (envfile_parse(&v, (const char *)data, size, why, sizeof(why)) ==
	    0) {
		if (v.from == NULL && !v.damaged)
			abort();
		check_strings(&v);
		/* version 1 has no sums: queue_verify() adds them before
		 * the envelope is ever written again */
		if (!v.has_sum && !v.damaged) {
			v.has_sum = 1;
			v.msglen = (long long)size;
			v.msgcrc = 0x12345678;
		}
		check_round_trip(&v);
	} else {
		if (why[0] == '\0' || strlen(why) >= sizeof(why))
			abort();
		check_strings(&v);
		check_json(why);
	}
	queue_envelope_free(&v);
	return 0;
}
