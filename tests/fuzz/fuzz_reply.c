/*
 * fuzz_reply.c - libFuzzer target for src/reply.c.
 *
 * The input is what a server sends: lines (LF or CRLF) fed one by one to
 * reply_feed(), reply after reply.  Each complete reply is parsed as an
 * EHLO reply and shown with reply_oneline() into buffers of several
 * sizes.  Checks what smtp.c relies on: the limits hold, a reply's lines
 * share its code, an enhanced code has the class of its reply, and the
 * one-line form is NUL-terminated inside its buffer with no control
 * byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_oneline(const struct reply *r)
{
	static const size_t sizes[] = { 1, 2, 4, 5, 9, 64, 512 };
	char		    out[600];
	size_t		    i, k, len;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(out, 'Z', sizeof(out));
		reply_oneline(r, out, sizes[i]);
		if (out[sizes[i]] != 'Z')
			abort(); /* wrote past outlen */
		len = strnlen(out, sizes[i]);
		if (len >= sizes[i])
			abort(); /* not NUL-terminated */
		for (k = 0; k < len; k++)
			if ((unsigned char)out[k] < 0x20 || out[k] == 0x7f)
				abort();
	}
}

static void
check_reply(const struct reply *r)
{
	struct smtp_caps caps;
	size_t		 elen = strlen(r->enhanced);

	if (r->code < 200 || r->code > 599 || r->lines == 0 ||
	    r->lines > REPLY_MAX_LINES || r->text.len > REPLY_MAX_BYTES)
		abort();
	if (elen > 0 &&
	    (elen < 5 || r->enhanced[0] != '0' + r->code / 100 ||
		r->enhanced[1] != '.'))
		abort();
	if (r->text.data != NULL && strlen(r->text.data) > r->text.len)
		abort();
	reply_parse_ehlo(r, &caps);
	if (caps.size < 0 || (!caps.size_known && caps.size != 0))
		abort();
	check_oneline(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char  *p = (const char *)data, *end = p + size, *nl;
	struct reply r = { 0 };
	char	     err[256];
	size_t	     len;
	int	     rc;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl != NULL ? nl : end) - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		err[0] = '\0';
		rc = reply_feed(&r, p, len, err, sizeof(err));
		if (rc == -1) {
			if (err[0] == '\0')
				abort();
			reply_reset(&r);
		} else if (rc == 1) {
			if (!r.complete)
				abort();
			check_reply(&r);
			reply_reset(&r);
		} else if (r.complete)
			abort();
		p = nl != NULL ? nl + 1 : end;
	}
	/* an incomplete reply can still be shown */
	if (r.lines > 0)
		check_oneline(&r);
	reply_free(&r);
	return 0;
}
