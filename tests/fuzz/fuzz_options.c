/*
 * fuzz_options.c - libFuzzer target for options_parse().
 *
 * The input is argv with NUL bytes between the words (the first word is
 * argv[0], so "mailq" and "newaliases" are reached too); a trailing NUL
 * is allowed.  Besides the sanitizers, the target checks the promises of
 * options.h and aborts when one is broken: a one-line printable message
 * on failure, a NULL-terminated array of argv words on success, and no
 * recipient starting with '-' unless "--" was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Longest input tried: argv is small, and longer inputs only slow down. */
#define FUZZ_MAX 4096

static void
check_message(const char *err)
{
	const unsigned char *p;

	if (err[0] == '\0')
		abort();
	for (p = (const unsigned char *)err; *p != '\0'; p++)
		if (*p < 0x20 || *p >= 0x7f)
			abort();
}

static void
check_rcpts(const struct options *o, int argc, char *argv[])
{
	size_t i;
	int    j, dashdash = 0, k;

	if (o->rcpts == NULL || o->rcpts[o->nrcpts] != NULL)
		abort();
	for (j = 1; j < argc; j++)
		if (strcmp(argv[j], "--") == 0)
			dashdash = 1;
	for (i = 0; i < o->nrcpts; i++) {
		if (o->rcpts[i][0] == '-' && !dashdash)
			abort();
		/* Recipients are the last words of argv, in order. */
		k = argc - (int)o->nrcpts + (int)i;
		if (k < 1 || o->rcpts[i] != argv[k])
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct options o;
	char	       err[128];
	char	      *buf = NULL, **argv = NULL, *p;
	size_t	       i, nwords = 0;
	int	       argc = 0;

	if (size > FUZZ_MAX)
		return 0;
	if ((buf = malloc(size + 1)) == NULL)
		goto done;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (i = 0; i < size; i++)
		if (buf[i] == '\0')
			nwords++;
	if ((argv = calloc(nwords + 2, sizeof(*argv))) == NULL)
		goto done;
	/* Every NUL ends a word; text after the last NUL is one more. */
	for (p = buf; p < buf + size; p += strlen(p) + 1)
		argv[argc++] = p;

	if (options_parse(&o, argc, argv, err, sizeof(err)) == -1) {
		check_message(err);
		if (o.rcpts != NULL)
			abort();
	} else
		check_rcpts(&o, argc, argv);
	options_free(&o);
done:
	free(argv);
	free(buf);
	return 0;
}
