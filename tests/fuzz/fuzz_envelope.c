/*
 * fuzz_envelope.c - libFuzzer target for src/envelope.c and the -F
 * display name of src/header.c.
 *
 * The input is NUL-separated: -f first, then recipient words, as a
 * caller's argv gives them.  Checks what the spool and the SMTP engine
 * rely on: a complete envelope holds no line break or control byte and
 * no recipient twice, every failure says why, and a display name that
 * is accepted holds only printable ASCII (8-bit text encoded).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "envelope.h"
#include "header.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char conf[] = "[sender]\ndomain = example.com\n"
			   "[aliases]\nroot = ops@example.com, admin\n";

static void
check_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

static void
check_envelope(const struct envelope *env)
{
	char   err[128];
	size_t i, j;

	check_text(env->from);
	for (i = 0; i < env->rcpts.n; i++) {
		check_text(env->rcpts.v[i].addr);
		if (address_check_envelope(env->rcpts.v[i].addr, 0, NULL, err,
			sizeof(err)) == -1)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(env->rcpts.v[i].addr,
				env->rcpts.v[j].addr) == 0)
				abort();
	}
}

static void
check_display_name(const char *name)
{
	struct buf	     b = { 0 };
	const unsigned char *p;

	if (header_display_name(name, &b) == 0 && b.data != NULL)
		for (p = (const unsigned char *)b.data; *p != '\0'; p++)
			if (*p < 0x20 || *p >= 0x7f)
				abort();
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	static int	     loaded;
	struct envelope	     env = { 0 };
	enum envelope_result r;
	char		    *s, *p, *end, err[512];

	if (!loaded) {
		if (config_init(&cfg, "/q") == -1 ||
		    config_parse(&cfg, conf, "fuzz", err, sizeof(err)) == -1)
			abort();
		loaded = 1;
	}
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	end = s + size;
	err[0] = '\0';
	check_display_name(s);
	r = envelope_sender(&env, &cfg, s, "alice", err, sizeof(err));
	for (p = s + strlen(s) + 1; p < end && r == ENVELOPE_OK;
	     p += strlen(p) + 1)
		r = envelope_add_word(&env, &cfg, p, err, sizeof(err));
	if (r == ENVELOPE_OK)
		r = envelope_check(&env, err, sizeof(err));
	if (r == ENVELOPE_OK)
		check_envelope(&env);
	else if (err[0] == '\0')
		abort();
	envelope_free(&env);
	free(s);
	return 0;
}
