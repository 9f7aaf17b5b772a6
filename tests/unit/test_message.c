/*
 * test_message.c - unit tests for the message reader (message.c).
 *
 * Each case is input bytes in, spooled bytes (or the refusal) out.  Every
 * case runs with the input handed over at once, in chunks of 1, 3 and 7
 * bytes, and cut in two reads at each offset, so that a CR, a dot or a
 * line end split across two reads is exercised: the normaliser's state
 * must carry over.
 */
#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "header.h"
#include "message.h"
#include "tap.h"

#define BIG ((long long)1 << 40)

/*
 * Input from memory, at most chunk bytes per read (0: all), and at most
 * first bytes in the first read (0: chunk).
 */
struct memsrc {
	const char *p;
	size_t	    len, off, chunk;
	int	    fail_at; /* fail reads from here on, or -1 */
	size_t	    first;
};

static ssize_t
memsrc_read(void *ctx, char *p, size_t len)
{
	struct memsrc *m = ctx;
	size_t	       n = m->len - m->off;

	if (m->fail_at >= 0 && m->off >= (size_t)m->fail_at) {
		errno = EIO;
		return -1;
	}
	if (n > len)
		n = len;
	if (m->chunk > 0 && n > m->chunk)
		n = m->chunk;
	if (m->off == 0 && m->first > 0 && n > m->first)
		n = m->first;
	memcpy(p, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

struct memsink {
	struct buf out;
	int	   fail;
	int	   writes;
};

static int
memsink_write(void *ctx, const void *p, size_t len, char *err, size_t errlen)
{
	struct memsink *s = ctx;

	s->writes++;
	if (s->fail) {
		snprintf(err, errlen, "disk full");
		return -1;
	}
	return buf_add(&s->out, p, len);
}

struct run {
	enum message_result r;
	char		    err[256];
	struct memsink	    sink;
	struct message	    m;
	size_t		    consumed; /* input bytes read */
};

/* Read the header from src, then write everything, as submit.c does. */
static void
run_src(struct run *x, struct memsrc *src, int ignore_dots, long long max_size,
    const struct header_edit *edit)
{
	static const struct header_edit none;
	struct message_source		s = { src, memsrc_read };
	struct message_sink		k;

	memset(x, 0, sizeof(*x));
	k.ctx = &x->sink;
	k.write = memsink_write;
	message_init(&x->m, ignore_dots);
	x->r = message_read_header(&x->m, &s, x->err, sizeof(x->err));
	if (x->r == MESSAGE_OK)
		x->r = message_write(&x->m, edit ? edit : &none, &s, &k,
		    max_size, x->err, sizeof(x->err));
	x->consumed = src->off;
}

static void
run(struct run *x, const char *in, size_t len, int ignore_dots, size_t chunk,
    long long max_size, const struct header_edit *edit)
{
	struct memsrc src = { in, len, 0, chunk, -1, 0 };

	run_src(x, &src, ignore_dots, max_size, edit);
}

static void
run_free(struct run *x)
{
	message_free(&x->m);
	buf_free(&x->sink.out);
}

static const char *
result_name(enum message_result r)
{
	switch (r) {
	case MESSAGE_OK: return "OK";
	case MESSAGE_BAD: return "BAD";
	case MESSAGE_READ_ERROR: return "READ_ERROR";
	case MESSAGE_WRITE_ERROR: return "WRITE_ERROR";
	case MESSAGE_LONG_LINES: return "LONG_LINES";
	}
	return "?";
}

static const struct norm_case {
	const char *name;
	const char *in;
	size_t	    len; /* 0: strlen(in) */
	int	    ignore_dots;
	const char *result; /* result_name() */
	const char *out;    /* the spool, or the error when BAD */
	int	    eightbit;
} norm_cases[] = {
	{ "LF", "Subject: x\n\nbody\n", 0, 0, "OK", "Subject: x\n\nbody\n", 0 },
	{ "CRLF", "Subject: x\r\nTo: a@b\r\n\r\nbody\r\nline 2\r\n", 0, 0, "OK",
	    "Subject: x\nTo: a@b\n\nbody\nline 2\n", 0 },
	{ "PHP: headers CRLF, body LF",
	    "To: a@b\r\nSubject: s\r\n"
	    "MIME-Version: 1.0\r\n\r\nline 1\nline 2\n",
	    0, 1, "OK",
	    "To: a@b\nSubject: s\nMIME-Version: 1.0\n\nline 1\nline 2\n", 0 },
	/* a stray CR (no LF right after it) is no line end: it becomes a
     * space, in the header section and in the body alike */
	{ "bare CR is a space", "Subject: x\n\n10%\r50%\r100%\n", 0, 0, "OK",
	    "Subject: x\n\n10% 50% 100%\n", 0 },
	{ "bare CR, then CRLF", "Subject: x\n\na\r\r\nb\n", 0, 0, "OK",
	    "Subject: x\n\na \nb\n", 0 },
	{ "CR at the very end", "Subject: x\n\nbody\r", 0, 0, "OK",
	    "Subject: x\n\nbody \n", 0 },
	{ "bare CR in the header section", "Subject: x\rTo: a@b\r\rbody\r", 0,
	    0, "OK", "Subject: x To: a@b  body \n\n", 0 },
	{ "bare CR makes no field and no Bcc",
	    "To: bob@example.org\n"
	    "Subject: Order #1\rBcc: victim@example.net\rX-Injected: yes\n\n"
	    "body\n",
	    0, 0, "OK",
	    "To: bob@example.org\nSubject: Order #1 "
	    "Bcc: victim@example.net X-Injected: yes\n\nbody\n",
	    0 },
	{ "bare CR first in a header line", "Subject: x\n\rBcc: v@x\n\nb\n", 0,
	    0, "OK", "Subject: x\n Bcc: v@x\n\nb\n", 0 },
	{ "bare CR first in the message", "\rBcc: v@x\nTo: a@b\n\nb\n", 0, 0,
	    "OK", "\n Bcc: v@x\nTo: a@b\n\nb\n", 0 },
	{ "bare CRs are no blank line", "Subject: x\n\r\rBcc: v@x\n\nb\n", 0, 0,
	    "OK", "Subject: x\n  Bcc: v@x\n\nb\n", 0 },
	{ "CR CR LF ends a header line",
	    "Subject: x\r\r\nTo: a@b\r\n\r\n"
	    "body\r\n",
	    0, 0, "OK", "Subject: x \nTo: a@b\n\nbody\n", 0 },
	{ "bare CR in a folded field", "Subject: a\rb\n\tc\rd\n\nbody\n", 0, 0,
	    "OK", "Subject: a b\n\tc d\n\nbody\n", 0 },
	{ "bare CR forges no MIME boundary",
	    "Content-Type: multipart/mixed; "
	    "boundary=b\n\n--b\n\ntext\r--b\rContent-Type: text/html\r\r"
	    "<x>\n--b--\n",
	    0, 0, "OK",
	    "Content-Type: multipart/mixed; "
	    "boundary=b\n\n--b\n\ntext --b Content-Type: text/html  <x>\n"
	    "--b--\n",
	    0 },
	{ "no final line end", "Subject: x\n\nbody", 0, 0, "OK",
	    "Subject: x\n\nbody\n", 0 },
	{ "lone dot ends the input", "Subject: x\n\na\n.\nnot read\n", 0, 0,
	    "OK", "Subject: x\n\na\n", 0 },
	{ "lone dot with CRLF", "Subject: x\r\n\r\na\r\n.\r\nnot read\r\n", 0,
	    0, "OK", "Subject: x\n\na\n", 0 },
	{ "lone dot as the last bytes", "Subject: x\n\na\n.", 0, 0, "OK",
	    "Subject: x\n\na\n", 0 },
	{ "lone dot ends the header section", "Subject: x\n.\nnot read\n", 0, 0,
	    "OK", "Subject: x\n\n", 0 },
	{ "lone dot with -i is data", "Subject: x\n\na\n.\nmore\n", 0, 1, "OK",
	    "Subject: x\n\na\n.\nmore\n", 0 },
	{ "lone dot last with -i", "Subject: x\n\na\n.", 0, 1, "OK",
	    "Subject: x\n\na\n.\n", 0 },
	{ "dots that are data", "Subject: x\n\n..\n.x\n. \nx.\n", 0, 0, "OK",
	    "Subject: x\n\n..\n.x\n. \nx.\n", 0 },
	{ "dots that are data, -i", "Subject: x\n\n..\n.x\n. \nx.\n", 0, 1,
	    "OK", "Subject: x\n\n..\n.x\n. \nx.\n", 0 },
	{ "lone dot first: nothing", ".\nSubject: x\n", 0, 0, "BAD",
	    "empty message", 0 },
	{ "empty input", "", 0, 0, "BAD", "empty message", 0 },
	{ "empty input, -i", "", 0, 1, "BAD", "empty message", 0 },
	{ "NUL in the body", "Subject: x\n\na\0b\n", 16, 0, "BAD",
	    "the message holds NUL bytes", 0 },
	{ "NUL at the end", "Subject: x\n\nab\n\0", 16, 0, "BAD",
	    "the message holds NUL bytes", 0 },
	{ "NUL in the header section", "Subject: a\0b\n\nbody\n", 19, 0, "BAD",
	    "header line 1: NUL byte in header line", 0 },
	{ "header section ended by a non-header line",
	    "Subject: x\nhello world\nsecond\n", 0, 0, "OK",
	    "Subject: x\n\nhello world\nsecond\n", 0 },
	{ "no header at all", "hello world\nsecond\n", 0, 0, "OK",
	    "\nhello world\nsecond\n", 0 },
	{ "no header, one line without LF", "hello", 0, 0, "OK", "\nhello\n",
	    0 },
	{ "first line indented", " hello\n", 0, 0, "OK", "\n hello\n", 0 },
	{ "blank line first", "\nbody\n", 0, 0, "OK", "\nbody\n", 0 },
	{ "headers only", "Subject: x\nTo: a@b\n", 0, 0, "OK",
	    "Subject: x\nTo: a@b\n\n", 0 },
	{ "headers only, no final LF", "Subject: x", 0, 0, "OK",
	    "Subject: x\n\n", 0 },
	{ "folded header", "Subject: a\n\tb\n c\n\nbody\n", 0, 0, "OK",
	    "Subject: a\n\tb\n c\n\nbody\n", 0 },
	{ "Bcc dropped", "To: a@b\nBcc: secret@c\nSubject: s\n\nhi\n", 0, 0,
	    "OK", "To: a@b\nSubject: s\n\nhi\n", 0 },
	{ "8-bit body", "Subject: x\n\ncaf\xc3\xa9\n", 0, 0, "OK",
	    "Subject: x\n\ncaf\xc3\xa9\n", 1 },
	{ "8-bit header", "Subject: caf\xc3\xa9\n\nx\n", 0, 0, "OK",
	    "Subject: caf\xc3\xa9\n\nx\n", 1 },
	{ "8-bit after a dot", "Subject: x\n\n.\xc3\xa9\n", 0, 1, "OK",
	    "Subject: x\n\n.\xc3\xa9\n", 1 },
	{ "8-bit after a bare CR", "Subject: x\n\na\r\xc3\xa9\n", 0, 0, "OK",
	    "Subject: x\n\na \xc3\xa9\n", 1 },
	{ "dots that are data, CRLF",
	    "Subject: x\r\n\r\n..\r\n.a\r\nb.\r\n"
	    ".\r\nnot read\r\n",
	    0, 0, "OK", "Subject: x\n\n..\n.a\nb.\n", 0 },
	{ "dot and bare CR: no lone dot", "Subject: x\n\na\n.\rread\n", 0, 0,
	    "OK", "Subject: x\n\na\n. read\n", 0 },
	{ "dot, CR, CRLF: no lone dot", "Subject: x\n\na\n.\r\r\nread\n", 0, 0,
	    "OK", "Subject: x\n\na\n. \nread\n", 0 },
	{ "dot and CR last: no lone dot", "Subject: x\n\na\n.\r", 0, 0, "OK",
	    "Subject: x\n\na\n. \n", 0 },
	{ "bare CR then dot: no lone dot", "Subject: x\n\na\n\r.\r\nread\n", 0,
	    0, "OK", "Subject: x\n\na\n .\nread\n", 0 },
	{ "dot and bare CR with -i", "Subject: x\n\na\n.\rb\n", 0, 1, "OK",
	    "Subject: x\n\na\n. b\n", 0 },
};

/* One case, read in chunks of chunk bytes. */
static void
check_case(const struct norm_case *t, size_t chunk, struct run *x)
{
	size_t len = t->len ? t->len : strlen(t->in);

	run(x, t->in, len, t->ignore_dots, chunk, BIG, NULL);
	is_str(result_name(x->r), t->result, "%s, chunks of %zu: result",
	    t->name, chunk);
	if (x->r == MESSAGE_BAD)
		is_str(x->err, t->out, "%s, chunks of %zu: reason", t->name,
		    chunk);
	else {
		is_str(x->sink.out.data ? x->sink.out.data : "", t->out,
		    "%s, chunks of %zu: spooled", t->name, chunk);
		is_int(x->m.eightbit, t->eightbit,
		    "%s, chunks of %zu: "
		    "eightbit",
		    t->name, chunk);
		is_int(x->m.size, (long)strlen(t->out),
		    "%s, chunks of %zu: "
		    "size",
		    t->name, chunk);
	}
	run_free(x);
}

static void
test_cases(void)
{
	static const size_t chunks[] = { 0, 1, 3, 7 };
	struct run	    x;
	size_t		    i, c;

	for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++)
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++)
			check_case(&norm_cases[i], chunks[c], &x);
}

/*
 * Every case again, its input cut in two reads at each offset: a CR and
 * its LF, an LF and the dot after it, or a dot and its line end in
 * different reads must come out as when read at once.
 */
static void
test_split_reads(void)
{
	const struct norm_case *t;
	struct memsrc		src;
	struct run		x;
	size_t			i, len, cut, failed, first;
	const char	       *got;

	for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		t = &norm_cases[i];
		len = t->len ? t->len : strlen(t->in);
		failed = first = 0;
		for (cut = 1; cut < len; cut++) {
			memset(&src, 0, sizeof(src));
			src.p = t->in;
			src.len = len;
			src.fail_at = -1;
			src.first = cut;
			run_src(&x, &src, t->ignore_dots, BIG, NULL);
			got = x.r == MESSAGE_BAD ? x.err :
			    x.sink.out.data	 ? x.sink.out.data :
						   "";
			if (strcmp(result_name(x.r), t->result) != 0 ||
			    strcmp(got, t->out) != 0 ||
			    (x.r != MESSAGE_BAD && x.m.eightbit != t->eightbit))
				if (failed++ == 0)
					first = cut;
			run_free(&x);
		}
		ok(failed == 0,
		    "%s, cut in two at every offset (%zu failed, "
		    "the first at %zu)",
		    t->name, failed, first);
	}
}

/*
 * The example: an application that strips only LF from a
 * Subject.  The CRs must make no field and, for -t, no recipient.
 */
static void
test_cr_fields(void)
{
	static const char in[] =
	    "To: bob@example.org\nSubject: Order "
	    "#1\rBcc: victim@example.net\rX-Injected: yes\n\nbody\n";
	struct address_list l = { 0 };
	struct run	    x;
	char		    err[256] = "";
	size_t		    chunk;

	for (chunk = 0; chunk < 8; chunk += 7) {
		run(&x, in, strlen(in), 0, chunk, BIG, NULL);
		is_int(x.m.hs.n, 2, "bare CR, chunks of %zu: two fields",
		    chunk);
		is_int(header_find(&x.m.hs, "Bcc", 0), -1,
		    "bare CR, chunks "
		    "of %zu: no Bcc field",
		    chunk);
		is_int(header_find(&x.m.hs, "X-Injected", 0), -1,
		    "bare CR, "
		    "chunks of %zu: no X-Injected field",
		    chunk);
		is_int(header_recipients(&x.m.hs, &l, err, sizeof(err)), 0,
		    "bare CR, chunks of %zu: -t recipients", chunk);
		ok(l.n == 1 && strcmp(l.v[0].addr, "bob@example.org") == 0,
		    "bare CR, chunks of %zu: bob alone (%zu recipients)", chunk,
		    l.n);
		address_list_free(&l);
		run_free(&x);
	}
}

/* Quoted-printable decoded (soft line breaks and =XX), onto out. */
static void
qp_decode(const char *p, size_t len, struct buf *out)
{
	char   hex[3] = "";
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '=' && i + 1 < len && p[i + 1] == '\n')
			i++;
		else if (p[i] == '=' && i + 2 < len) {
			memcpy(hex, p + i + 1, 2);
			buf_addf(out, "%c", (int)strtol(hex, NULL, 16));
			i += 2;
		} else
			buf_add(out, p + i, 1);
	}
}

/*
 * A cron job's progress bar: its CRs make one long line, over 998
 * octets, which the quoted-printable re-encoding then carries whole.
 */
static void
test_cr_progress(void)
{
	struct buf	      in = { 0 }, want = { 0 }, got = { 0 };
	struct memsink	      second = { { 0 }, 0, 0 };
	struct message_sink   k = { &second, memsink_write };
	struct header_edit    e;
	struct memsrc	      body;
	struct message_source s = { &body, memsrc_read };
	struct run	      x;
	const char	     *b;
	char		      err[256];
	size_t		      i;

	buf_adds(&in, "Subject: backup\n\n");
	/* the last CR is the CR of a CRLF */
	for (i = 0; i <= 300; i++) {
		buf_addf(&in, "%3zu%%\r", i / 3);
		buf_addf(&want, "%3zu%%%s", i / 3, i < 300 ? " " : "");
	}
	buf_adds(&in, "\ndone\n");
	buf_adds(&want, "\ndone\n");
	run(&x, in.data, in.len, 0, 0, BIG, NULL);
	is_str(result_name(x.r), "LONG_LINES", "progress bar: one long line");
	ok(memchr(x.sink.out.data, '\r', x.sink.out.len) == NULL,
	    "progress bar: no CR spooled");
	ok(message_can_reencode(&x.m), "progress bar: can be re-encoded");
	memset(&e, 0, sizeof(e));
	memset(&body, 0, sizeof(body));
	body.p = x.sink.out.data + x.m.header_bytes;
	body.len = x.sink.out.len - (size_t)x.m.header_bytes;
	body.fail_at = -1;
	is_str(result_name(
		   message_reencode(&x.m, &e, &s, &k, BIG, err, sizeof(err))),
	    "OK", "progress bar: re-encoded");
	ok(memchr(second.out.data, '\r', second.out.len) == NULL,
	    "progress bar: no CR in the re-encoded message");
	b = strstr(second.out.data, "\n\n") + 2;
	qp_decode(b, second.out.len - (size_t)(b - second.out.data), &got);
	is_str(got.data, want.data,
	    "progress bar: decoded, the bar with a "
	    "space for each CR");
	run_free(&x);
	buf_free(&second.out);
	buf_free(&in);
	buf_free(&want);
	buf_free(&got);
}

/*
 * Bytes on the wire: every LF becomes CRLF, and a line that starts with
 * a dot gets a second one (counted, though RFC 1870 leaves it out).
 */
static void
test_wire_size(void)
{
	static const struct {
		const char *name;
		const char *in;
		int	    ignore_dots;
		long	    size, lines, dots;
	} cases[] = {
		/* "Subject: x\n\nbody\nline\n" */
		{ "CRLF and LF", "Subject: x\r\n\r\nbody\r\nline\n", 0, 22, 4,
		    0 },
		/* ".X: 1\n\n.a\n..b\nc.\n.\n" */
		{ "leading dots, -i", ".X: 1\n\n.a\n..b\nc.\n.\n", 1, 19, 6,
		    4 },
		/* "S: 1\n\n.a\n..\n. \n": a dot held back is counted too */
		{ "dot lines without -i", "S: 1\n\n.a\n..\n. \n.\n", 0, 15, 5,
		    3 },
	};
	static const size_t chunks[] = { 0, 1, 3 };
	struct run	    x;
	size_t		    i, c;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			run(&x, cases[i].in, strlen(cases[i].in),
			    cases[i].ignore_dots, chunks[c], BIG, NULL);
			is_int(x.m.size, cases[i].size,
			    "wire size, %s, chunks "
			    "of %zu: spooled bytes",
			    cases[i].name, chunks[c]);
			is_int(message_wire_size(&x.m),
			    cases[i].size + cases[i].lines + cases[i].dots,
			    "wire size, %s, "
			    "chunks of %zu: bytes + LFs + leading dots",
			    cases[i].name, chunks[c]);
			run_free(&x);
		}
	run(&x, cases[0].in, strlen(cases[0].in), 0, 0, BIG, NULL);
	is_int(x.m.header_bytes, 12, "wire size: header and blank line");
	run_free(&x);
}

/* The input was read only up to the lone dot. */
static void
test_dot_stops_reading(void)
{
	static const char in[] = "Subject: x\n\na\n.\nnot read\n";
	struct run	  x;

	run(&x, in, strlen(in), 0, 1, BIG, NULL);
	is_int((long)x.consumed, (long)strlen("Subject: x\n\na\n.\n"),
	    "lone dot: nothing read after it");
	run_free(&x);
}

/*
 * [delivery] max_size is compared with the size on the wire: with CRLF
 * line ends and doubled leading dots, as the relay will count them.
 */
static void
test_max_size(void)
{
	static const struct {
		const char *name;
		const char *in;
		int	    ignore_dots;
		long long   wire;
	} cases[] = {
		/* 23 bytes, 3 LFs */
		{ "CRLF growth", "Subject: x\n\n0123456789\n", 0, 26 },
		/* 14 bytes, 5 LFs, 3 leading dots */
		{ "leading dots", "S: 1\n\n.\n..\n.a\n", 1, 22 },
	};
	static const size_t chunks[] = { 0, 1, 3 };
	struct run	    x;
	char		    want[160];
	size_t		    i, c, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			len = strlen(cases[i].in);
			run(&x, cases[i].in, len, cases[i].ignore_dots,
			    chunks[c], cases[i].wire, NULL);
			is_str(result_name(x.r), "OK",
			    "max_size, %s, chunks "
			    "of %zu: exactly at the limit",
			    cases[i].name, chunks[c]);
			run_free(&x);
			run(&x, cases[i].in, len, cases[i].ignore_dots,
			    chunks[c], cases[i].wire - 1, NULL);
			is_str(result_name(x.r), "BAD",
			    "max_size, %s, chunks "
			    "of %zu: one byte over",
			    cases[i].name, chunks[c]);
			snprintf(want, sizeof(want),
			    "message is %lld bytes on "
			    "the wire, over the limit of %lld bytes "
			    "([delivery] max_size)",
			    cases[i].wire, cases[i].wire - 1);
			is_str(x.err, want,
			    "max_size, %s, chunks of %zu: "
			    "reason",
			    cases[i].name, chunks[c]);
			ok(x.sink.out.len == 0,
			    "max_size, %s, chunks of %zu: "
			    "nothing written",
			    cases[i].name, chunks[c]);
			run_free(&x);
		}
}

/*
 * The quoted-printable re-encoding is measured as it is written: a body
 * that fits as it was can be over the limit once encoded.
 */
static void
test_max_size_reencode(void)
{
	struct buf	      in = { 0 };
	struct memsink	      second = { { 0 }, 0, 0 };
	struct message_sink   k = { &second, memsink_write };
	struct header_edit    e;
	struct memsrc	      body;
	struct message_source s = { &body, memsrc_read };
	struct run	      x;
	char		      err[256];
	long long	      limit;
	size_t		      i;

	buf_adds(&in, "Subject: s\n\n");
	for (i = 0; i < 1200; i++)
		buf_adds(&in, "=");
	buf_adds(&in, "\n");
	limit = (long long)in.len + 3 + 100;
	run(&x, in.data, in.len, 0, 0, limit, NULL);
	is_str(result_name(x.r), "LONG_LINES",
	    "max_size re-encoded: fits "
	    "before");
	memset(&e, 0, sizeof(e));
	memset(&body, 0, sizeof(body));
	body.p = x.sink.out.data + x.m.header_bytes;
	body.len = x.sink.out.len - (size_t)x.m.header_bytes;
	body.fail_at = -1;
	is_str(result_name(
		   message_reencode(&x.m, &e, &s, &k, limit, err, sizeof(err))),
	    "BAD",
	    "max_size re-encoded: \"=\" thrice as long "
	    "is over");
	ok(strstr(err, "on the wire, over the limit of") != NULL,
	    "max_size re-encoded: reason: %s", err);
	run_free(&x);
	buf_free(&second.out);
	buf_free(&in);
}

/* The longest line of s, without its LF. */
static size_t
longest_line(const char *s)
{
	const char *lf;
	size_t	    longest = 0;

	for (; (lf = strchr(s, '\n')) != NULL; s = lf + 1)
		if ((size_t)(lf - s) > longest)
			longest = (size_t)(lf - s);
	return strlen(s) > longest ? strlen(s) : longest;
}

/* Remove each LF that white space follows (RFC 5322 section 2.2.3). */
static void
unfold(struct buf *b)
{
	size_t i, j;

	for (i = j = 0; i < b->len; i++)
		if (!(b->data[i] == '\n' && i + 1 < b->len &&
			(b->data[i + 1] == ' ' || b->data[i + 1] == '\t')))
			b->data[j++] = b->data[i];
	b->len = j;
	b->data[j] = '\0';
}

/* A line over RFC 5322's 998 octets: written, but flagged. */
static void
test_long_lines(void)
{
	static const struct {
		const char *name;
		size_t	    len; /* of the body line */
		int	    lf;	 /* the line has its LF */
		const char *result;
	} cases[] = {
		{ "998", 998, 1, "OK" },
		{ "999", 999, 1, "LONG_LINES" },
		{ "998 without LF", 998, 0, "OK" },
		{ "999 without LF", 999, 0, "LONG_LINES" },
		{ "5000", 5000, 1, "LONG_LINES" },
	};
	static const size_t chunks[] = { 0, 7, 1000 };
	struct buf	    in = { 0 }, want = { 0 };
	struct run	    x;
	size_t		    i, c, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			buf_reset(&in);
			buf_reset(&want);
			buf_adds(&in, "Subject: x\r\n\r\nshort\r\n");
			buf_adds(&want, "Subject: x\n\nshort\n");
			for (k = 0; k < cases[i].len; k++) {
				buf_add(&in, "a", 1);
				buf_add(&want, "a", 1);
			}
			buf_adds(&in, cases[i].lf ? "\r\nend\r\n" : "");
			buf_adds(&want, cases[i].lf ? "\nend\n" : "\n");
			run(&x, in.data, in.len, 0, chunks[c], BIG, NULL);
			is_str(result_name(x.r), cases[i].result,
			    "long line %s, chunks of %zu: result",
			    cases[i].name, chunks[c]);
			ok(x.sink.out.len == want.len &&
				memcmp(x.sink.out.data, want.data, want.len) ==
				    0,
			    "long line %s, chunks of %zu: all written",
			    cases[i].name, chunks[c]);
			run_free(&x);
		}
	/* a long header line is folded by header_rewrite(), not refused */
	buf_reset(&in);
	buf_adds(&in, "Subject:");
	for (k = 0; k < 200; k++)
		buf_adds(&in, " word");
	buf_adds(&in, "\n\nbody\n");
	run(&x, in.data, in.len, 0, 0, BIG, NULL);
	is_str(result_name(x.r), "OK",
	    "long header line: folded, not "
	    "refused");
	run_free(&x);
	/* its words parted by bare CRs: spaces, where it is folded */
	buf_reset(&in);
	buf_reset(&want);
	buf_adds(&in, "Subject:");
	buf_adds(&want, "Subject:");
	for (k = 0; k < 200; k++) {
		buf_adds(&in, k % 2 ? "\rword" : " word");
		buf_adds(&want, " word");
	}
	buf_adds(&in, "\n\nbody\n");
	buf_adds(&want, "\n\nbody\n");
	run(&x, in.data, in.len, 0, 0, BIG, NULL);
	is_str(result_name(x.r), "OK",
	    "long header line with bare CRs: "
	    "folded");
	is_int(x.m.hs.n, 1, "long header line with bare CRs: one field");
	ok(x.sink.out.data != NULL && longest_line(x.sink.out.data) <= 78,
	    "long header line with bare CRs: lines within 78");
	unfold(&x.sink.out);
	is_str(x.sink.out.data, want.data,
	    "long header line with bare CRs: "
	    "unfolded, the words with spaces");
	run_free(&x);
	buf_free(&in);
	buf_free(&want);
}

/* header_rewrite() through message_write(): added fields, in order. */
static void
test_edit(void)
{
	static const char *const add[] = { "Date: x", NULL };
	static const char *const drop[] = { "Message-ID", NULL };
	static const struct {
		const char *name;
		const char *in;
		const char *out;
	} cases[] = {
		{ "added after the fields",
		    "Subject: s\r\nTo: a@b\r\n\r\nbody\n",
		    "Subject: s\nTo: a@b\nDate: x\n\nbody\n" },
		{ "added to an empty section", "hello\n",
		    "Date: x\n\nhello\n" },
		{ "added to headers only", "Subject: s",
		    "Subject: s\nDate: x\n\n" },
		{ "dropped field", "Message-ID: <old@x>\nSubject: s\n\nb\n",
		    "Subject: s\nDate: x\n\nb\n" },
	};
	struct header_edit e;
	struct run	   x;
	size_t		   i;

	memset(&e, 0, sizeof(e));
	e.add = add;
	e.drop = drop;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(&x, cases[i].in, strlen(cases[i].in), 0, 3, BIG, &e);
		is_str(result_name(x.r), "OK", "edit %s: result",
		    cases[i].name);
		is_str(x.sink.out.data, cases[i].out, "edit %s: spooled",
		    cases[i].name);
		is_int(x.m.header_bytes,
		    (long)(strstr(cases[i].out, "\n\n") - cases[i].out) + 2,
		    "edit %s: header bytes", cases[i].name);
		run_free(&x);
	}
}

static void
test_errors(void)
{
	static const char     in[] = "Subject: x\n\nbody\nmore\n";
	struct memsrc	      src = { in, sizeof(in) - 1, 0, 5, 14, 0 };
	struct message_source s = { &src, memsrc_read };
	struct memsink	      sink = { { 0 }, 1, 0 };
	struct message_sink   k = { &sink, memsink_write };
	struct header_edit    e;
	struct message	      m;
	char		      err[256];

	memset(&e, 0, sizeof(e));
	/* the read fails in the body */
	message_init(&m, 0);
	is_str(result_name(message_read_header(&m, &s, err, sizeof(err))), "OK",
	    "read error: header read");
	sink.fail = 0;
	is_str(result_name(
		   message_write(&m, &e, &s, &k, BIG, err, sizeof(err))),
	    "READ_ERROR", "read error: reported");
	is_str(err, "cannot read the message: Input/output error",
	    "read error: reason");
	message_free(&m);
	buf_free(&sink.out);

	/* the read fails in the header section */
	src.off = 0;
	src.fail_at = 3;
	message_init(&m, 0);
	is_str(result_name(message_read_header(&m, &s, err, sizeof(err))),
	    "READ_ERROR", "read error in the header section");
	message_free(&m);

	/* the sink fails */
	src.off = 0;
	src.fail_at = -1;
	sink.fail = 1;
	message_init(&m, 0);
	message_read_header(&m, &s, err, sizeof(err));
	is_str(result_name(
		   message_write(&m, &e, &s, &k, BIG, err, sizeof(err))),
	    "WRITE_ERROR", "sink error: reported");
	is_str(err, "disk full", "sink error: the sink's reason");
	message_free(&m);
	buf_free(&sink.out);
}

/*
 * 64 MiB without a blank line, made up as it is read: the header
 * section is refused after MESSAGE_MAX_HEADER, without reading (and
 * keeping) the rest.
 */
struct gen {
	const char *unit;  /* repeated */
	const char *first; /* once, before the units */
	size_t	    total, off;
};

static ssize_t
gen_read(void *ctx, char *p, size_t len)
{
	struct gen *g = ctx;
	size_t	    n = 0, flen = strlen(g->first), ulen = strlen(g->unit);
	size_t	    at;

	while (n < len && g->off < g->total) {
		at = g->off;
		p[n++] = at < flen ? g->first[at] : g->unit[(at - flen) % ulen];
		g->off++;
	}
	return (ssize_t)n;
}

static void
test_huge_header(void)
{
	static const struct {
		const char *name;
		const char *first, *unit;
	} cases[] = {
		{ "header lines", "",
		    "X-Filler: abcdefghijklmnopqrstuvwxyz\n" },
		{ "one folded field", "Subject: x\n", " continued\n" },
		{ "no line end at all", "", "abcdefghijklmnop" },
		{ "a field name growing", "", "Xxxxxxxxxxxxxxxx" },
	};
	struct gen	      g;
	struct message_source s = { &g, gen_read };
	struct message	      m;
	struct rusage	      before, after;
	char		      err[256];
	size_t		      i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&g, 0, sizeof(g));
		g.first = cases[i].first;
		g.unit = cases[i].unit;
		g.total = 64u << 20;
		getrusage(RUSAGE_SELF, &before);
		message_init(&m, 0);
		is_str(result_name(
			   message_read_header(&m, &s, err, sizeof(err))),
		    "BAD", "huge header, %s: refused", cases[i].name);
		is_str(err,
		    "header section larger than 1048576 bytes (no "
		    "blank line before the body?)",
		    "huge header, %s: reason", cases[i].name);
		ok(g.off <= MESSAGE_MAX_HEADER + 64 * 1024,
		    "huge header, %s: "
		    "stopped reading after %zu bytes",
		    cases[i].name, g.off);
		ok(m.head.cap <= 4 * MESSAGE_MAX_HEADER,
		    "huge header, %s: "
		    "buffer bounded (%zu bytes)",
		    cases[i].name, m.head.cap);
		message_free(&m);
		getrusage(RUSAGE_SELF, &after);
		ok(after.ru_maxrss - before.ru_maxrss < 32 * 1024,
		    "huge header, %s: peak memory grew by %ld KiB",
		    cases[i].name, after.ru_maxrss - before.ru_maxrss);
	}
}

/*
 * A message over the limit long before its end is refused as soon as
 * that is known: it says so, and reads no further.
 */
static void
test_max_size_early(void)
{
	struct gen	      g;
	struct message_source s = { &g, gen_read };
	struct memsink	      sink = { { 0 }, 0, 0 };
	struct message_sink   k = { &sink, memsink_write };
	struct header_edit    e;
	struct message	      m;
	char		      err[256];

	memset(&g, 0, sizeof(g));
	memset(&e, 0, sizeof(e));
	g.first = "Subject: big\n\n";
	g.unit = "0123456789\n";
	g.total = 64u << 20;
	message_init(&m, 0);
	is_str(result_name(message_read_header(&m, &s, err, sizeof(err))), "OK",
	    "max_size early: header read");
	is_str(result_name(
		   message_write(&m, &e, &s, &k, 1 << 20, err, sizeof(err))),
	    "BAD", "max_size early: refused");
	ok(strncmp(err, "message is at least ", 20) == 0 &&
		strstr(err,
		    " bytes on the wire, over the limit of 1048576 bytes "
		    "([delivery] "
		    "max_size)") != NULL,
	    "max_size early: reason: %s", err);
	ok(g.off < 2u << 20,
	    "max_size early: stopped reading after %zu "
	    "bytes",
	    g.off);
	message_free(&m);
	buf_free(&sink.out);
}

int
main(void)
{
	test_cases();
	test_split_reads();
	test_cr_fields();
	test_cr_progress();
	test_wire_size();
	test_dot_stops_reading();
	test_max_size();
	test_max_size_reencode();
	test_long_lines();
	test_edit();
	test_errors();
	test_huge_header();
	test_max_size_early();
	return done_testing();
}
