/*
 * fuzz_config.c - libFuzzer target for config_parse() in src/config.c.
 *
 * The input is a configuration file (cut at its first NUL, as the text is
 * a C string).  A parse that succeeds must leave every value in its
 * documented range and no control byte in any string; one that fails
 * must say why, naming the file.  config_free() must release everything
 * (LeakSanitizer watches).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_string(const char *s)
{
	if (s == NULL)
		return;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

static void
check_config(const struct config *c)
{
	size_t i;

	if (c->host == NULL || c->host[0] == '\0' || c->port < 1 ||
	    c->port > 65535 ||
	    (c->tls != CONFIG_TLS_IMPLICIT && c->tls != CONFIG_TLS_STARTTLS) ||
	    c->timeout < 1 || c->timeout > 3600 || c->data_timeout < 1 ||
	    c->data_timeout > 3600 || c->rewrite_from < CONFIG_REWRITE_NEVER ||
	    c->rewrite_from > CONFIG_REWRITE_ALWAYS ||
	    c->mode < CONFIG_MODE_FOREGROUND || c->mode > CONFIG_MODE_QUEUE ||
	    c->on_defer < CONFIG_DEFER_QUEUE ||
	    c->on_defer > CONFIG_DEFER_FAIL || c->max_recipients < 1 ||
	    c->max_recipients > 1000 || c->max_size < 1 ||
	    c->max_size > 1024 * 1024 * 1024 || c->attempts < 1 ||
	    c->attempts > 100 || c->retry_delay < 0 || c->retry_delay > 3600 ||
	    c->parallel < 1 || c->parallel > 16 || c->max_age < 60 ||
	    c->max_age > 365 * 24 * 3600 || (c->syslog != 0 && c->syslog != 1))
		abort();
	if (c->token != NULL && c->token_file != NULL)
		abort();
	if (c->tls_fingerprint != NULL &&
	    strncasecmp(c->tls_fingerprint, "sha256:", 7) != 0)
		abort();
	check_string(c->host);
	check_string(c->username);
	check_string(c->token);
	check_string(c->token_file);
	check_string(c->ca_file);
	check_string(c->tls_fingerprint);
	check_string(c->from);
	check_string(c->domain);
	check_string(c->queue_dir);
	check_string(c->bounce_to);
	for (i = 0; i < c->naliases; i++) {
		if (c->aliases[i].value[0] == '\0')
			abort();
		check_string(c->aliases[i].name);
		check_string(c->aliases[i].value);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char	     *text, err[512];

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (config_init(&cfg, "/var/spool/cfsendmail") == -1)
		abort();
	err[0] = '\0';
	if (config_parse(&cfg, text, "fuzz.conf", err, sizeof(err)) == 0)
		check_config(&cfg);
	else if (strncmp(err, "fuzz.conf", 9) != 0)
		abort();
	config_free(&cfg);
	free(text);
	return 0;
}
