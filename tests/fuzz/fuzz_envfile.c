/*
 * fuzz_envfile.c - libFuzzer target for src/envfile.c.
 *
 * The input is an envelope file as a crash or a disk may leave it.  A
 * parse that fails must say why; one that succeeds must format back to a
 * text that parses to the same envelope.  No value read holds a control
 * byte.  queue_envelope_free() must release everything (LeakSanitizer watches).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envfile.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A value read: no control byte (the parser refuses them). */
static void
check_value(const char *s)
{
	const char	*p;

	for (p = s; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
}

static void
check_strings(const struct queue_envelope *v)
{
	size_t	 i;

	check_value(v->from);
	check_value(v->dsn_notify);
	check_value(v->dsn_ret);
	check_value(v->envid);
	check_value(v->last_reply);
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
	struct queue_envelope	 w;
	struct buf		 b = { 0 };
	char			 why[160];
	size_t			 i;

	if (envfile_format(v, &b) == -1)
		abort();
	if (envfile_parse(&w, b.data, b.len, why, sizeof(why)) == -1)
		abort();
	if (!same(v->from, w.from) || !same(v->last_reply, w.last_reply) ||
	    !same(v->envid, w.envid) || v->nrcpts != w.nrcpts ||
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
	struct queue_envelope	 v;
	char			 why[160];

	why[0] = '\0';
	if (envfile_parse(&v, (const char *)data, size, why,
	    sizeof(why)) == 0) {
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
	}
	queue_envelope_free(&v);
	return 0;
}
