/*
 * envelope.c - sender and recipients of a submitted message; see
 * envelope.h.
 */

#include <stdlib.h>
#include <string.h>

#include "aliases.h"
#include "envelope.h"
#include "idn.h"

void
envelope_free(struct envelope *env)
{
	free(env->from);
	env->from = NULL;
	address_list_free(&env->rcpts);
	address_list_free(&env->refused);
}

/* -f "<a@x>" is common; the brackets are not part of the address. */
static const char *
strip_brackets(const char *given, char *buf, size_t buflen)
{
	size_t len;

	if (given == NULL || given[0] != '<')
		return given;
	len = strlen(given);
	if (len < 2 || given[len - 1] != '>' || len - 1 > buflen)
		return given;
	memcpy(buf, given + 1, len - 2);
	buf[len - 2] = '\0';
	return buf;
}

enum envelope_result
envelope_sender(struct envelope *env, const struct config *cfg,
    const char *given, const char *login, char *err, size_t errlen)
{
	const char *sender;
	char	    why[512], bare[512];

	free(env->from);
	env->from = NULL;
	sender = strip_brackets(given, bare, sizeof(bare));
	/* before [sender] from may replace it: a control byte in -f is an
	 * attack or a bug even in a local name */
	if (sender != NULL &&
	    address_check_bytes(sender, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "sender: %s", why);
		return ENVELOPE_BAD;
	}
	env->from = aliases_sender(cfg, sender, login, err, errlen);
	if (env->from == NULL)
		return ENVELOPE_CONFIG;
	if (address_check_envelope(env->from, 1, NULL, why, sizeof(why)) ==
		-1 ||
	    idn_address(&env->from, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "sender: %s", why);
		return ENVELOPE_BAD;
	}
	return ENVELOPE_OK;
}

/* Each address of the list through [aliases], into the envelope. */
static enum envelope_result
expand_list(struct envelope *env, const struct config *cfg,
    const struct address_list *in, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		if (aliases_expand(cfg, in->v[i].addr, &env->rcpts, err,
			errlen) == -1)
			return ENVELOPE_NOUSER;
	return ENVELOPE_OK;
}

enum envelope_result
envelope_add_word(struct envelope *env, const struct config *cfg,
    const char *word, char *err, size_t errlen)
{
	struct address_list  words = { 0 };
	enum envelope_result r;
	char		     why[512];

	if (address_list_parse(&words, word, strlen(word), why, sizeof(why)) ==
	    -1) {
		snprintf(err, errlen, "recipient: %s", why);
		r = ENVELOPE_BAD;
	} else
		r = expand_list(env, cfg, &words, err, errlen);
	address_list_free(&words);
	return r;
}

enum envelope_result
envelope_add_header(struct envelope *env, const struct config *cfg,
    const struct header_section *hs, char *err, size_t errlen)
{
	struct address_list  hdr = { 0 };
	enum envelope_result r;

	if (header_recipients(hs, &hdr, err, errlen) == -1)
		r = ENVELOPE_BAD;
	else
		r = expand_list(env, cfg, &hdr, err, errlen);
	address_list_free(&hdr);
	return r;
}

enum envelope_result
envelope_check(struct envelope *env, char *err, size_t errlen)
{
	char   why[512];
	size_t i;

	if (env->rcpts.n == 0) {
		snprintf(err, errlen,
		    "no recipients: give them as arguments, "
		    "or use -t to take them from the headers");
		return ENVELOPE_EMPTY;
	}
	for (i = 0; i < env->rcpts.n; i++)
		if (address_check_envelope(env->rcpts.v[i].addr, 0, NULL, why,
			sizeof(why)) == -1) {
			snprintf(err, errlen, "recipient: %s", why);
			return ENVELOPE_BAD;
		}
	if (idn_rcpts(&env->rcpts, &env->refused, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "recipient: %s", why);
		return ENVELOPE_BAD;
	}
	if (env->rcpts.n == 0) {
		snprintf(err, errlen,
		    "no recipient left to send to: nothing "
		    "sent");
		return ENVELOPE_NOUSER;
	}
	return ENVELOPE_OK;
}
