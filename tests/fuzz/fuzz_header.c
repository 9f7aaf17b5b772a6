/*
 * fuzz_header.c - libFuzzer target for src/header.c.
 *
 * Treats the input as a message: finds its header section, scans it,
 * collects -t recipients and rewrites it with maps that replace every
 * local name.  Checks that the fields tile the section, that a rewritten
 * section scans again with no Bcc left, no line over 998 octets and no CR
 * or NUL, and that rewriting it once more changes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "buf.h"
#include "header.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char *
map_local(const char *addr, void *arg)
{
	(void)arg;
	return address_is_local(addr) ? strdup("mapped@example.com") : NULL;
}

static void
check_tiling(const struct header_section *hs)
{
	size_t i, end = 0;

	for (i = 0; i < hs->n; i++) {
		if (hs->v[i].off != end || hs->v[i].len == 0 ||
		    hs->v[i].name_len == 0 ||
		    hs->v[i].value_off <= hs->v[i].off + hs->v[i].name_len ||
		    hs->v[i].value_off > hs->v[i].off + hs->v[i].len)
			abort();
		end = hs->v[i].off + hs->v[i].len;
	}
	if (end != hs->len)
		abort();
}

static void
check_lines(const struct buf *b)
{
	size_t i, start = 0;

	if (b->len > 0 && b->data[b->len - 1] != '\n')
		abort();
	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r' || b->data[i] == '\0')
			abort();
		if (b->data[i] != '\n')
			continue;
		if (i - start > HEADER_LINE_MAX)
			abort();
		start = i + 1;
	}
}

/* Rewrite the rewritten section: it must scan and come out the same. */
static void
check_rewritten(const struct buf *b, const struct header_edit *e)
{
	struct header_section hs;
	struct buf	      again = { 0 };
	char		      err[160];

	check_lines(b);
	if (header_parse(&hs, b->data, b->len, err, sizeof(err)) == -1)
		abort();
	check_tiling(&hs);
	if (header_find(&hs, "Bcc", 0) != -1 ||
	    header_find(&hs, "Resent-Bcc", 0) != -1)
		abort();
	if (header_rewrite(&hs, e, &again, err, sizeof(err)) == -1 ||
	    again.len != b->len ||
	    (b->len > 0 && memcmp(again.data, b->data, b->len) != 0))
		abort();
	buf_free(&again);
	header_free(&hs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct header_section hs;
	struct header_edit    e;
	struct address_list   rcpts = { 0 };
	struct buf	      out = { 0 };
	const char	     *text = (const char *)data;
	char		      err[160];
	size_t		      len;
	int		      blank;

	len = header_section_length(text, size, &blank);
	if (len > size || (blank && (len >= size || text[len] != '\n')))
		abort();
	if (header_parse(&hs, text, len, err, sizeof(err)) == -1)
		return 0;
	check_tiling(&hs);
	(void)header_recipients(&hs, &rcpts, err, sizeof(err));
	address_list_free(&rcpts);

	memset(&e, 0, sizeof(e));
	e.map_from = map_local;
	e.map_rcpt = map_local;
	if (header_rewrite(&hs, &e, &out, err, sizeof(err)) == 0)
		check_rewritten(&out, &e);
	buf_free(&out);
	header_free(&hs);
	return 0;
}
