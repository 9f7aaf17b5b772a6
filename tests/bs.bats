#!/usr/bin/env bats
# -bs: an SMTP session on standard input and output (issue 14), as Symfony
# Mailer's sendmail transport and Laravel use it.  Driven two ways:
#   - callers/bs-chat.py, a scripted client: each test's script is its
#     sends ("> ...", one write per group of consecutive sends: a
#     pipelined group) and the replies it expects ("< CODE TEXT"), then
#     the exit status; the transcript is the output;
#   - the real Symfony Mailer from Debian (php-symfony-mailer), through its
#     sendmail transport with the DSN's command option, in the default
#     "-bs" mode and with Laravel's "-bs -i".
# Each test then checks what the test server received, and the queue.

load helpers
load callers/lib

bats_require_minimum_version 1.5.0

FIXTURES=$BATS_TEST_DIRNAME/callers

setup() {
	server_start
	write_config delivery.bs_timeout=30 '[aliases]' 'root = ops@example.com'
	Q=$BATS_TEST_TMPDIR/queue
}

# chat [ARG...] -- cfsendmail -C $CONF -bs ARG... played against the script
# on standard input (callers/bs-chat.py has the script's syntax)
chat() {
	"$PYTHON3" "$FIXTURES/bs-chat.py" - -- "$CFSENDMAIL" -C "$CONF" -bs "$@"
}

# chat_data [--ehlo] [ARG...] -- chat ARG... with the usual start of a
# session, then the rest of the script from standard input: the 220, HELO
# client.example (EHLO with --ehlo) and its 250, then MAIL
# FROM:<app@example.com>, RCPT TO:<a@example.org> and DATA in one write
# (pipelined) and their replies 250, 250 and 354; the rest starts with the
# message's content
chat_data() {
	local hello=HELO
	if [ "${1:-}" = --ehlo ]; then
		hello=EHLO
		shift
	fi
	{
		printf '%s\n' '< 220' "> $hello client.example" '< 250' \
		    '> MAIL FROM:<app@example.com>' '> RCPT TO:<a@example.org>' \
		    '> DATA' '< 250' '< 250' '< 354'
		cat
	} | chat "$@"
}

# chat_message [ARG...] -- chat_data ARG... with one message whose content
# is the script on standard input ("> Subject: ..." lines), then the end of
# the session: the final dot, 250 with the queue id, QUIT, 221, exit status 0
chat_message() {
	{
		cat
		printf '%s\n' '> .' '< 250 2.0.0 Ok: queued as' '> QUIT' '< 221' \
		    'exit 0'
	} | chat_data "$@"
}

# files_in DIR -- how many files DIR holds (0 when it does not exist)
files_in() {
	find "$1" -type f 2>/dev/null | wc -l
}

# assert_nothing_queued -- no entry in new/ or failed/, nothing left in tmp/
assert_nothing_queued() {
	local d
	for d in new tmp failed; do
		[ "$(files_in "$Q/$d")" -eq 0 ] ||
		    _fail "$Q/$d is not empty:" "$(ls -l "$Q/$d")" || return 1
	done
}

# --- sessions that send ------------------------------------------------------

@test "-bs: two messages in one session, pipelined, each 250 after the spool with its queue id" {
	write_config delivery.bs_timeout=30 delivery.mode=queue \
	    '[aliases]' 'root = ops@example.com'
	run chat <<'EOF'
< 220
> EHLO client.example
< 250 ENHANCEDSTATUSCODES
> MAIL FROM:<app@example.com>
> RCPT TO:<a@example.org>
> RCPT TO:<root>
> RCPT TO:<hidden@example.net>
> DATA
< 250 2.1.0
< 250 2.1.5
< 250 2.1.5
< 250 2.1.5
< 354
> Subject: first
> To: a@example.org, root
> Bcc: hidden@example.net
>
> ..a line that starts with a dot
> ...
> .
< 250 2.0.0 Ok: queued as
> MAIL FROM:<app@example.com> SIZE=200 BODY=8BITMIME
> RCPT TO:<b@example.org>
> DATA
< 250 2.1.0
< 250 2.1.5
< 354
> Subject: second
>
> caf\xc3\xa9
> .
> QUIT
< 250 2.0.0 Ok: queued as
< 221 2.0.0
eof
exit 0
EOF
	assert_status 0
	# each 250 names an entry that was in new/ (durable) when it was sent
	local ids
	ids=$(grep -o 'queued as [^\\]*' <<<"$output" | cut -d' ' -f3 | sort)
	[ "$(wc -l <<<"$ids")" -eq 2 ] || _fail "two queue ids:" "$output"
	[ "$ids" = "$(queued_ids)" ] ||
	    _fail "queue ids in the replies: $ids; in new/: $(queued_ids)"
	[ "$(files_in "$Q/tmp")" -eq 0 ]
	run "$CFSENDMAIL" -C "$CONF" -q
	assert_status 0
	assert_received 2
	[ "$(envelope_field 1 mail_from)" = app@example.com ]
	assert_rcpts 1 a@example.org ops@example.com hidden@example.net
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_bcc_hidden "$m" hidden@example.net
	# header qualification, Date and Message-ID added, dots unstuffed
	assert_has "$m" $'To: a@example.org, root@example.com\r\n'
	[ "$(header_count "$m" Date)" -eq 1 ]
	[ "$(header_count "$m" Message-ID)" -eq 1 ]
	assert_has "$m" $'\r\n\r\n.a line that starts with a dot\r\n..\r\n'
	assert_rcpts 2 b@example.org
	envelope_field 2 mail_options | grep -qx BODY=8BITMIME ||
	    _fail "no BODY=8BITMIME: $(envelope_field 2 mail_options)"
	assert_has "$(received 2)" $'\r\n\r\ncaf\xc3\xa9\r\n'
	assert_no_violations
}

@test "-bs: foreground delivery of each message before the next command" {
	run chat <<'EOF'
< 220
> HELO client.example
< 250
> MAIL FROM:<app@example.com>
< 250 2.1.0
> RCPT TO:<a@example.org>
< 250 2.1.5
> DATA
< 354
> Subject: one
>
> body one
> .
< 250 2.0.0 Ok: queued as
> MAIL FROM:<app@example.com>
< 250 2.1.0
> RCPT TO:<b@example.org>
< 250 2.1.5
> DATA
< 354
> Subject: two
>
> body two
> .
< 250 2.0.0 Ok: queued as
> QUIT
< 221
exit 0
EOF
	assert_status 0
	assert_received 2
	assert_rcpts 1 a@example.org
	assert_rcpts 2 b@example.org
	assert_nothing_queued
}

@test "-bs: a pipelined group whose MAIL fails gets every reply in order, and the session goes on" {
	run chat <<'EOF'
< 220
> EHLO client.example
<~ PIPELINING
> MAIL FROM:<bad address@example.com>
> RCPT TO:<a@example.org>
> RCPT TO:<b@example.org>
> DATA
< 553 5.1.7
< 503 5.5.1 Error: need MAIL
< 503 5.5.1 Error: need MAIL
< 503 5.5.1 Error: need MAIL
> RSET
> MAIL FROM:<app@example.com>
> RCPT TO:<x\x01@example.org>
> RCPT TO:<nobody@@example.org>
> RCPT TO:<a@example.org>
> DATA
< 250 2.0.0
< 250 2.1.0
< 501 5.5.2
< 553 5.1.3
< 250 2.1.5
< 354
> Subject: pipelined
>
> body
> .
> MAIL FROM:<app@example.com>
> RCPT TO:<nobody@@example.org>
> DATA
< 250 2.0.0 Ok: queued as
< 250 2.1.0
< 553 5.1.3
< 554 5.5.1 Error: no valid recipients
> QUIT
< 221
exit 0
EOF
	assert_status 0
	assert_received 1
	assert_rcpts 1 a@example.org
	assert_has "$(received 1)" $'Subject: pipelined\r\n'
}

@test "-bs: EHLO offers PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES; not AUTH, STARTTLS or SMTPUTF8" {
	write_config delivery.max_size=123456
	run chat <<'EOF'
< 220
> EHLO a.example
<~ 250-PIPELINING
> EHLO a.example
<~ 250-SIZE 123456
> EHLO a.example
<~ 250-8BITMIME
> EHLO a.example
< 250 ENHANCEDSTATUSCODES
> EHLO a.example
<! AUTH
> EHLO a.example
<! STARTTLS
> EHLO a.example
<! SMTPUTF8
> QUIT
< 221
exit 0
EOF
	assert_status 0
}

# --- every error reply ---------------------------------------------------------

@test "-bs: every error reply: 500, 501, 502, 503, 552, 553, 554, 555, 252" {
	write_config -sender.domain delivery.max_size=5000
	run chat <<'EOF'
< 220
> FOO bar
< 500 5.5.1 Command unrecognized
>
< 500 5.5.1
> HELO
< 501 5.5.4 Syntax: HELO
> EHLO
< 501 5.5.4 Syntax: HELO
> RCPT TO:<a@example.org>
< 503 5.5.1 Error: need MAIL
> DATA
< 503 5.5.1 Error: need MAIL
> MAIL FROM:a@example.com
< 501 5.5.4 Syntax: MAIL FROM:<address>
> MAIL TO:<a@example.com>
< 501 5.5.4 Syntax: MAIL FROM:<address>
> MAIL FROM:<a@example.com
< 501 5.5.4 Syntax: MAIL FROM:<address>
> MAIL FROM:<a@example.com> SIZE=12k
< 501 5.5.4 Syntax: SIZE
> MAIL FROM:<a@example.com> SIZE=5001
< 552 5.3.4 Message size exceeds fixed maximum message size (5000 octets)
> MAIL FROM:<a@example.com> BODY=BINARYMIME
< 501 5.5.4 Syntax: BODY
> MAIL FROM:<a@example.com> SIZE=1 SIZE=1
< 501 5.5.4 Syntax: a parameter given twice
> MAIL FROM:<a@example.com> SMTPUTF8
< 555 5.5.4
> MAIL FROM:<a@example.com> RET=HDRS
< 555 5.5.4
> MAIL FROM:<a@example.com> AUTH=<>
< 555 5.5.4
> MAIL FROM:<j\xc3\xb6rg@example.com>
< 553 5.1.7
> MAIL FROM:<a@example.com> SIZE=5000
< 250 2.1.0
> MAIL FROM:<a@example.com>
< 503 5.5.1 Error: nested MAIL command
> DATA
< 503 5.5.1 Error: need RCPT command
> RCPT TO:<a@example.org> NOTIFY=NEVER
< 555 5.5.4
> RCPT TO:a@example.org
< 501 5.5.4 Syntax: RCPT TO:<address>
> RCPT TO:<>
< 553 5.1.3
> RCPT TO:<nobody>
< 550 5.1.1
> RCPT TO:<j\xc3\xb6rg@example.org>
< 553 5.6.7
> DATA
< 554 5.5.1 Error: no valid recipients
> RCPT TO:<u@b\xc3\xbccher.example>
< 250 2.1.5
> DATA now
< 501 5.5.4 Syntax: no parameters allowed
> RSET please
< 501 5.5.4 Syntax: no parameters allowed
> QUIT now
< 501 5.5.4 Syntax: no parameters allowed
> VRFY
< 501 5.5.4 Syntax: VRFY
> VRFY root
< 252 2.5.2
> EXPN root
< 502 5.5.1 EXPN not available
> AUTH PLAIN AGFwaV90b2tlbgB4
< 502 5.5.1 Command not implemented
> STARTTLS
< 502 5.5.1 Command not implemented
> BDAT 10 LAST
< 502 5.5.1 Command not implemented
> NOOP whatever
< 250 2.0.0
> HELP
< 214 2.0.0
> MAIL\x00 FROM:<a@example.com>
< 501 5.5.2 Syntax error: control character
>| NOOP\rRSET\r\n
< 501 5.5.2 Syntax error: control character
> NOOP\tx
< 501 5.5.2 Syntax error: control character
> NOOP \x1b[2J
< 501 5.5.2 Syntax error: control character
> NOOP \x7f
< 501 5.5.2 Syntax error: control character
> RSET
< 250 2.0.0
> QUIT
< 221 2.0.0
eof
exit 0
EOF
	assert_status 0
	[ "$(sessions_count)" -eq 0 ]
	assert_nothing_queued
}

@test "-bs: command lines of 512 octets at most; longer ones refused once, never buffered" {
	run chat <<'EOF'
< 220
>| NOOP 
>* 505 x
>| \r\n
< 250 2.0.0
>| NOOP 
>* 506 x
>| \r\n
< 500 5.5.2 Line too long
>| NOOP 
>* 506 x
>| \n
< 250 2.0.0
>* 8000000 y
>| \r\nNOOP\r\n
< 500 5.5.2 Line too long
< 250 2.0.0
> QUIT
< 221
exit 0
EOF
	assert_status 0
}

# --- DATA ----------------------------------------------------------------------

@test "-bs: a client that writes bare LF ends DATA with LF.LF" {
	run chat <<'EOF'
< 220
>| HELO client.example\n
< 250
>| MAIL FROM:<app@example.com>\nRCPT TO:<a@example.org>\nDATA\n
< 250 2.1.0
< 250 2.1.5
< 354
>| Subject: bare LF\n\n..dotted\nbody\n.\n
< 250 2.0.0 Ok: queued as
>| QUIT\n
< 221
exit 0
EOF
	assert_status 0
	assert_received 1
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_has "$m" $'\r\n\r\n.dotted\r\nbody\r\n'
}

@test "-bs: a CRLF client's DATA ends only at CRLF.CRLF: LF.LF in the content smuggles nothing" {
	run chat_data --ehlo <<'EOF'
>| Subject: smuggling\r\n\r\nfirst\n.\nMAIL FROM:<evil@example.net>\nRCPT TO:<victim@example.net>\nDATA\n
>| Subject: smuggled\n\nsecond\r\n.\nRCPT TO:<victim2@example.net>\n.\r\n
>| third\r.\r\nQUIT\r\n.\r\n
< 250 2.0.0 Ok: queued as
> QUIT
< 221
exit 0
EOF
	assert_status 0
	assert_received 1
	assert_rcpts 1 a@example.org
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_has "$m" $'first\r\n.\r\nMAIL FROM:<evil@example.net>\r\n'
	assert_has "$m" $'RCPT TO:<victim2@example.net>\r\n'
	assert_has "$m" $'\r\nthird .\r\nQUIT\r\n'
	grep -c victim "$(transcript)" | grep -qx 0 ||
	    _fail "a smuggled command reached the relay"
}

@test "-bs: a message over max_size: 552 at the end of DATA, nothing queued, the session goes on" {
	write_config delivery.max_size=2000
	run chat_data --ehlo <<'EOF'
> Subject: too big
>
>* 300 0123456789\r\n
> .
< 552 5.3.4 Message size exceeds fixed maximum message size (2000 octets)
> MAIL FROM:<app@example.com>
> RCPT TO:<a@example.org>
> DATA
< 250
< 250
< 354
> Subject: small
>
> fits
> .
< 250 2.0.0 Ok: queued as
> QUIT
< 221
exit 0
EOF
	assert_status 0
	assert_received 1
	assert_has "$(received 1)" $'Subject: small\r\n'
	assert_nothing_queued
}

@test "-bs: a message with a NUL byte: 554 5.6.0, nothing queued" {
	run chat_data <<'EOF'
>| Subject: nul\r\n\r\na\x00b\r\n.\r\n
< 554 5.6.0 the message holds NUL bytes
> QUIT
< 221
exit 0
EOF
	assert_status 0
	[ "$(sessions_count)" -eq 0 ]
	assert_nothing_queued
}

@test "-bs -i and -bs -t: the dot rule is SMTP's, the envelope MAIL's and RCPT's" {
	local args
	for args in -i -t "-t -i" -oi; do
		# shellcheck disable=SC2086
		run chat_message $args <<'EOF'
> Subject: dots
> To: other@example.org
> Cc: root
>
> ..one dot
EOF
		assert_status 0
	done
	assert_received 4
	local n
	for n in 1 2 3 4; do
		assert_rcpts "$n" a@example.org
		assert_has "$(received "$n")" $'\r\n\r\n.one dot\r\n'
		refute_has "$(received "$n")" $'\r\n..one dot'
	done
}

# --- the client goes away, or says nothing ------------------------------------

@test "-bs: a client that vanishes mid-DATA leaves nothing queued (tmp/ removed), exit 74" {
	run --separate-stderr chat_data <<'EOF'
> Subject: cut short
>
>* 20000 a line of the body that will never end\r\n
>| and the last one is cut
close
eof
exit 74
EOF
	assert_status 0
	assert_stderr_contains "the input ended in the middle of a message (not queued)"
	[ "$(sessions_count)" -eq 0 ]
	assert_nothing_queued
}

@test "-bs: a client that vanishes in the header section, or after MAIL: nothing queued" {
	run --separate-stderr chat_data <<'EOF'
>| Subject: cut in the header\r\nTo: a@exa
close
eof
exit 74
EOF
	assert_status 0
	assert_nothing_queued
	run --separate-stderr chat <<'EOF'
< 220
> HELO client.example
< 250
> MAIL FROM:<app@example.com>
< 250
close
eof
exit 74
EOF
	assert_status 0
	assert_stderr_contains "before the message was sent (not queued)"
	[ "$(sessions_count)" -eq 0 ]
	assert_nothing_queued
}

@test "-bs: the end of the input between messages is a normal end (exit 0)" {
	run chat <<'EOF'
< 220
> HELO client.example
< 250
close
eof
exit 0
EOF
	assert_status 0
}

@test "-bs: idle timeout ([delivery] bs_timeout): 421 4.4.2, exit 75; mid-DATA nothing queued" {
	write_config delivery.bs_timeout=1
	run --separate-stderr chat <<'EOF'
< 220
< 421 4.4.2
eof
exit 75
EOF
	assert_status 0
	assert_stderr_contains "-bs: no input for 1 seconds"
	run --separate-stderr chat_data <<'EOF'
>| Subject: stalled\r\n\r\nhalf a bo
< 421 4.4.2
eof
exit 75
EOF
	assert_status 0
	assert_stderr_contains "in the middle of a message (not queued)"
	[ "$(sessions_count)" -eq 0 ]
	assert_nothing_queued
}

@test "-bs: a client that never reads the replies cannot hold the session past bs_timeout" {
	write_config delivery.bs_timeout=1
	run --separate-stderr chat <<'EOF'
>* 20000 NOOP\r\n
exit 75
EOF
	assert_status 0
	assert_stderr_contains "no reader for the replies"
}

# --- after the 250: delivery per the mode ------------------------------------

@test "-bs: the relay defers after the 250: the message stays queued, the session ends normally" {
	server_stop
	server_start --reply dot="451 4.3.0 try again later"
	write_config delivery.attempts=1
	run --separate-stderr chat_message <<'EOF'
> Subject: deferred
>
> body
EOF
	assert_status 0
	local id
	id=$(grep -o 'queued as [^\\]*' <<<"$output" | cut -d' ' -f3)
	[ "$(queued_ids)" = "$id" ] || _fail "not kept queued: $(queued_ids)"
}

@test "-bs: on_defer = fail does not drop a message once its 250 is given" {
	server_stop
	server_start --reply dot="451 4.3.0 try again later"
	write_config delivery.attempts=1 delivery.on_defer=fail
	run --separate-stderr chat_message <<'EOF'
> Subject: deferred
>
> body
EOF
	assert_status 0
	[ "$(queued_ids | wc -l)" -eq 1 ] ||
	    _fail "the accepted message was dropped:" "$stderr"
}

@test "-bs: a token the relay refuses after the 250: kept queued, not failed" {
	server_stop
	server_start --token other-token
	write_config
	run --separate-stderr chat_message <<'EOF'
> Subject: setup failure
>
> body
EOF
	assert_status 0
	[ "$(sessions_count)" -ge 1 ]
	assert_stderr_contains "kept in the queue"
	[ "$(queued_ids | wc -l)" -eq 1 ] ||
	    _fail "not kept queued:" "$(find "$Q" -type f)" "$stderr"
	[ "$(files_in "$Q/failed")" -eq 0 ]
}

@test "-bs: the relay refuses the message for good after the 250: failed/, said on stderr, exit 0" {
	server_stop
	server_start --reply dot="554 5.7.1 not this one"
	write_config
	run --separate-stderr chat_message <<'EOF'
> Subject: refused later
>
> body
EOF
	assert_status 0
	assert_stderr_contains "554 5.7.1 not this one"
	[ "$(files_in "$Q/failed")" -ge 1 ]
	[ "$(queued_ids | wc -l)" -eq 0 ]
}

# pids of cfsendmail processes run with this test's config
_our_processes() {
	local p
	for p in /proc/[0-9]*; do
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$CONF" &&
		    echo "${p#/proc/}"
	done
	return 0
}

@test "-bs -odb: each message delivered by a child; the child does not go on with the session" {
	# the second message follows the first in the same write, body and
	# all: a child that went on reading the parent's buffered input would
	# send it a second time
	run chat_data -odb <<'EOF'
> Subject: one
>
> body one
> .
> MAIL FROM:<app@example.com>
> RCPT TO:<b@example.org>
> DATA
> Subject: two
>
> body two
> .
> QUIT
< 250 2.0.0 Ok: queued as
< 250 2.1.0
< 250 2.1.5
< 354
< 250 2.0.0 Ok: queued as
< 221
exit 0
EOF
	assert_status 0
	wait_received 2
	local i
	for ((i = 0; i < 1000; i++)); do
		[ -z "$(_our_processes)" ] && break
		sleep 0.01
	done
	[ -z "$(_our_processes)" ] ||
	    _fail "cfsendmail children still running after 10 s"
	assert_received 2
	assert_nothing_queued
}

# --- the same policy as the command line ----------------------------------------

@test "-bs and -t: host-local sender rewritten in the envelope, From and Reply-To; others kept" {
	run chat <<'EOF'
< 220
> HELO client.example
< 250
> MAIL FROM:<www-data@localhost>
> RCPT TO:<root@localhost>
> DATA
< 250 2.1.0
< 250 2.1.5
< 354
> From: Web <www-data@localhost>
> Reply-To: www-data@localhost, help@example.org
> To: root@localhost
> Subject: local names
>
> body
> .
< 250 2.0.0 Ok: queued as
> QUIT
< 221
exit 0
EOF
	assert_status 0
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	assert_rcpts 1 ops@example.com
	local m
	m=$(received 1)
	assert_has "$m" $'From: Web <alerts@example.com>\r\n'
	assert_has "$m" $'Reply-To: alerts@example.com, help@example.org\r\n'
	assert_has "$m" $'To: root@example.com\r\n'
	# the command line's messages alike; rewrite_from = always leaves an
	# address of another domain in Reply-To alone
	write_config sender.rewrite_from=always
	run "$CFSENDMAIL" -C "$CONF" -t <<'EOF'
From: www-data
Reply-To: Desk <www-data@localhost>, help@example.org
To: a@example.org
Subject: argv

body
EOF
	assert_status 0
	m=$(received 2)
	assert_has "$m" $'From: alerts@example.com\r\n'
	assert_has "$m" $'Reply-To: Desk <alerts@example.com>, help@example.org\r\n'
}

# --- Symfony Mailer and Laravel ----------------------------------------------

# symfony SCENARIO CMD-ARGS -- callers/symfony-mailer.php through a wrapper
# that counts the sendmail processes the transport starts
symfony() {
	local scenario=$1
	shift
	command -v php >/dev/null &&
	    [ -e /usr/share/php/Symfony/Component/Mailer/autoload.php ] ||
	    skip "php-cli or php-symfony-mailer is not installed"
	cat >"$BATS_TEST_TMPDIR/sendmail" <<EOF
#!/bin/sh
echo started >>"$BATS_TEST_TMPDIR/starts"
exec "$CFSENDMAIL" -C "$CONF" "\$@"
EOF
	chmod +x "$BATS_TEST_TMPDIR/sendmail"
	php "$FIXTURES/symfony-mailer.php" \
	    "$BATS_TEST_TMPDIR/sendmail $*" "$scenario"
}

# what both the Symfony and the Laravel command must deliver
assert_symfony_two() {
	assert_output $'sent 1\nsent 2'
	[ "$(wc -l <"$BATS_TEST_TMPDIR/starts")" -eq 1 ] ||
	    _fail "the transport started $(wc -l <"$BATS_TEST_TMPDIR/starts")" \
	    "sendmail processes, not one"
	assert_received 2
	[ "$(envelope_field 1 mail_from)" = app@example.com ]
	assert_rcpts 1 a@example.org c@example.org hidden@example.net
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_bcc_hidden "$m" hidden@example.net
	assert_has "$m" $'From: Web App <app@example.com>\r\n'
	assert_has "$m" $'\r\nCc: c@example.org\r\n'
	assert_has "$m" $'Hello.\r\n.\r\nA line with a dot alone, and\r\n..two dots.\r\n'
	assert_rcpts 2 d@example.org
	assert_has "$(received 2)" $'Subject: Second message\r\n'
	assert_nothing_queued
	assert_no_violations
}

@test "Symfony Mailer, sendmail://default (-bs): Cc, Bcc, two messages over one process" {
	run symfony two -bs
	assert_status 0
	assert_symfony_two
}

@test "Laravel's sendmail mailer (-bs -i): Cc, Bcc, two messages over one process" {
	run symfony two -bs -i
	assert_status 0
	assert_symfony_two
}

@test "Symfony Mailer sees a 552 for an over-size message, then sends the next one" {
	write_config delivery.max_size=3000
	run symfony refused -bs
	assert_status 0
	assert_output_contains 'refused: Expected response code "250" but got code "552"'
	assert_output_contains "sent 2"
	refute_output_contains "sent 1"
	assert_received 1
	assert_rcpts 1 d@example.org
	assert_nothing_queued
}
