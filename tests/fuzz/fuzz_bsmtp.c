/*
 * fuzz_bsmtp.c - libFuzzer target for src/bsmtp.c, the -bs command parser.
 *
 * The input is what a client writes to "sendmail -bs".  It is framed into
 * command lines as bsession.c does (in pieces of a size taken from the
 * first byte), each line parsed, checked against the command order and
 * answered; and the whole input is also read as DATA, strict and not,
 * into an output buffer of a few sizes.  Checks what bsession.c and
 * submit.c rely on: a line is never over BSMTP_LINE_MAX, a path is
 * bracketed and NUL-terminated, a reply is one CRLF-ended line of at most
 * BSMTP_LINE_MAX octets without control bytes, DATA makes progress, never
 * writes more than it read, and a CRLF client's DATA ends only at
 * CRLF.CRLF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bsmtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* One reply line: "CODE" SP-or-"-" text CRLF, nothing else. */
static void
check_reply(const struct buf *out)
{
	size_t i;

	if (out->len < 6 || out->len > BSMTP_LINE_MAX ||
	    memcmp(out->data + out->len - 2, "\r\n", 2) != 0)
		abort();
	for (i = 0; i < out->len - 2; i++)
		if ((unsigned char)out->data[i] < 0x20 ||
		    (unsigned char)out->data[i] >= 0x7f)
			abort();
}

static void
check_command(const char *line, size_t len, enum bsmtp_state *st)
{
	struct bsmtp_cmd cmd;
	enum bsmtp_error e;
	struct buf	 out = { 0 };
	size_t		 plen;

	e = bsmtp_parse(line, len, &cmd);
	plen = strnlen(cmd.path, sizeof(cmd.path));
	if (plen >= sizeof(cmd.path))
		abort();
	if (e == BSMTP_OK &&
	    (cmd.verb == BSMTP_MAIL || cmd.verb == BSMTP_RCPT) &&
	    (plen < 2 || cmd.path[0] != '<' || cmd.path[plen - 1] != '>'))
		abort();
	if (e == BSMTP_OK && cmd.size < -1)
		abort();
	if (e == BSMTP_OK)
		e = bsmtp_sequence(*st, 0, cmd.verb);
	if (e == BSMTP_OK && cmd.verb == BSMTP_MAIL)
		*st = BSMTP_MAILED;
	else if (e == BSMTP_OK && cmd.verb == BSMTP_RCPT)
		*st = BSMTP_RCPTED;
	else if (e == BSMTP_OK &&
	    (cmd.verb == BSMTP_DATA || cmd.verb == BSMTP_RSET))
		*st = BSMTP_IDLE;
	/* an address quoted back to the client */
	if (bsmtp_reply(&out, 553, 0, "5.1.3 %s: refused", cmd.path) == -1)
		abort();
	check_reply(&out);
	buf_reset(&out);
	if (bsmtp_reply_error(&out, e) == -1)
		abort();
	check_reply(&out);
	buf_free(&out);
}

static void
frame_commands(const char *p, size_t size, size_t step)
{
	struct bsmtp_framer f = { 0 };
	enum bsmtp_state    st = BSMTP_IDLE;
	enum bsmtp_frame    r;
	size_t		    off = 0, have, used, linelen;
	int		    crlf;

	/* off .. off+have is the "buffer"; step more bytes come at a time */
	have = size < step ? size : step;
	while (off < size) {
		r = bsmtp_frame(&f, p + off, have, &linelen, &crlf, &used);
		if (used > have)
			abort();
		if (r == BSMTP_FRAME_LINE) {
			if (linelen + (size_t)crlf + 1 != used ||
			    used > BSMTP_LINE_MAX)
				abort();
			check_command(p + off, linelen, &st);
		}
		if (r == BSMTP_FRAME_NEED) {
			if (used != 0 || have >= BSMTP_LINE_MAX)
				abort(); /* must decide by then */
			if (off + have == size)
				break;
			have += size - off - have < step ? size - off - have :
							   step;
			continue;
		}
		off += used;
		have -= used;
	}
}

static void
read_data(const char *p, size_t size, int strict, size_t room)
{
	struct bsmtp_data d;
	char		  out[64];
	size_t		  off = 0, used, n, total = 0;

	bsmtp_data_init(&d, strict);
	while (off < size && !d.ended) {
		n = bsmtp_data_feed(&d, p + off, size - off, &used, out, room);
		if (n > room || used > size - off || (n == 0 && used == 0))
			abort();
		off += used;
		total += n;
		if (total > off)
			abort(); /* more out than in */
	}
	/* a CRLF client's message ends with CRLF.CRLF, nothing else */
	if (d.ended && strict && !(off == 3 && memcmp(p, ".\r\n", 3) == 0) &&
	    (off < 5 || memcmp(p + off - 5, "\r\n.\r\n", 5) != 0))
		abort();
	if (d.ended && !strict &&
	    !(off >= 2 && p[off - 1] == '\n' &&
		(p[off - 2] == '.' ||
		    (off >= 3 && p[off - 2] == '\r' && p[off - 3] == '.'))))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t	    step;

	if (size == 0)
		return 0;
	step = (size_t)data[0] % 64 + 1;
	frame_commands(p + 1, size - 1, step);
	frame_commands(p + 1, size - 1, 4096);
	read_data(p + 1, size - 1, 1, 2);
	read_data(p + 1, size - 1, 1, 64);
	read_data(p + 1, size - 1, 0, 3);
	return 0;
}
