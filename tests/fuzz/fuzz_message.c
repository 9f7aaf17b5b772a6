/*
 * fuzz_message.c - libFuzzer target for src/message.c.
 *
 * The first input byte picks the mode: bit 0 is -i, bits 1-3 the size of
 * the chunks the rest is read in (so that state carried across reads is
 * exercised), bits 4-7 max_size (0: 1 MiB, else that many times 64
 * bytes).  The rest is the message, read with message_read_header()
 * and written by message_write() with a Date field added, into a sink
 * that keeps nothing but checks what the spool must be: LF line ends
 * only, no NUL, a blank line after the header section, no lone "." line
 * without -i, as many bytes as the message says it wrote, a size on the
 * wire (CRLF, doubled leading dots) within max_size.  A line
 * ends only at an LF of the input: there are no more header fields, and
 * no more body lines, than the input has LFs (and one for a last line
 * without its LF), whatever CRs it holds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct src {
	const char *p;
	size_t	    len, off, chunk;
};

static ssize_t
src_read(void *ctx, char *p, size_t len)
{
	struct src *s = ctx;
	size_t	    n = s->len - s->off;

	if (n > len)
		n = len;
	if (n > s->chunk)
		n = s->chunk;
	memcpy(p, s->p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

struct sink {
	const struct message *m;
	int		      ignore_dots;
	long long	      bytes, lfs;
	long long	      dots;	/* lines that start with "." */
	long long	      body_lfs; /* LFs after the header section */
	int		      bol;	/* at the start of a line */
	int		      dot;	/* the line is "." so far */
	int		      last;	/* last byte written, -1: none */
	int		      blank;	/* a blank line was written */
};

static int
sink_write(void *ctx, const void *p, size_t len, char *err, size_t errlen)
{
	struct sink	    *k = ctx;
	const unsigned char *b = p;
	size_t		     i;

	(void)err;
	(void)errlen;
	for (i = 0; i < len; i++) {
		if (b[i] == '\r' || b[i] == '\0')
			abort();
		if (b[i] == '\n') {
			if (k->dot && !k->ignore_dots)
				abort(); /* a lone "." line */
			if (k->bytes + (long long)i >= k->m->header_bytes)
				k->body_lfs++;
			if (k->bol)
				k->blank = 1;
			k->lfs++;
			k->bol = 1;
			k->dot = 0;
		} else {
			k->dots += k->bol && b[i] == '.';
			k->dot = k->bol && b[i] == '.';
			k->bol = 0;
		}
		k->last = b[i];
	}
	k->bytes += (long long)len;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 1000, 16384, 1 << 20 };
	static const char *const add[] = { "Date: x", NULL };
	struct header_edit	 edit;
	struct message		 m;
	struct src		 s;
	struct sink		 k;
	struct message_source	 src = { &s, src_read };
	struct message_sink	 sink = { &k, sink_write };
	enum message_result	 r;
	char			 err[256];
	long long		 lfs = 0, max_size;
	size_t			 i;

	if (size == 0)
		return 0;
	for (i = 1; i < size; i++)
		lfs += data[i] == '\n';
	memset(&s, 0, sizeof(s));
	s.p = (const char *)data + 1;
	s.len = size - 1;
	s.chunk = chunks[(data[0] >> 1) & 7];
	memset(&k, 0, sizeof(k));
	k.m = &m;
	k.ignore_dots = data[0] & 1;
	max_size = data[0] >> 4 ? (data[0] >> 4) * 64 : 1 << 20;
	k.bol = 1;
	k.last = -1;
	memset(&edit, 0, sizeof(edit));
	edit.add = add;

	message_init(&m, data[0] & 1);
	r = message_read_header(&m, &src, err, sizeof(err));
	if (r == MESSAGE_OK)
		r = message_write(&m, &edit, &src, &sink, max_size, err,
		    sizeof(err));
	if (r == MESSAGE_OK || r == MESSAGE_LONG_LINES) {
		if (k.bytes != m.size || k.lfs != m.lines ||
		    message_wire_size(&m) != k.bytes + k.lfs + k.dots ||
		    message_wire_size(&m) > max_size || k.last != '\n' ||
		    !k.blank || m.header_bytes > k.bytes ||
		    (long long)m.hs.n > lfs + 1 || k.body_lfs > lfs + 1)
			abort();
	} else if (r != MESSAGE_BAD || err[0] == '\0')
		abort();
	message_free(&m);
	return 0;
}
