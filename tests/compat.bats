#!/usr/bin/env bats
# Sendmail compatibility (issue 3), one test per rule: the command line
# (program names, option forms, ignored options, -t, dots, -bv) and the
# message rules (added and kept fields, From rewriting, line ends, 8-bit,
# long lines, NUL, sizes, bad addresses).  Every test asserts on what the
# test server received, or that it saw no session at all.

load helpers
load callers/lib

bats_require_minimum_version 1.5.0

setup() {
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME"
}

# send ARGS... -- a small message through cfsendmail -C $CONF ARGS...
send() {
	printf 'Subject: compat\n\nbody\n' | "$CFSENDMAIL" -C "$CONF" "$@"
}

# send_input STDIN ARGS... -- STDIN (printf format-free) as the message
send_input() {
	local input=$1
	shift
	printf '%s' "$input" | "$CFSENDMAIL" -C "$CONF" "$@"
}

# no_session -- the command did not reach the server
no_session() {
	[ "$(sessions_count)" -eq 0 ] && return 0
	_fail "expected no session, saw $(sessions_count)"
}

# mail_option N OPT -- message N's MAIL FROM had parameter OPT
mail_option() {
	envelope_field "$1" mail_options | grep -qxF -- "$2" && return 0
	_fail "MAIL FROM of message $1 has no $2:" \
	    "$(envelope_field "$1" mail_options)"
}

refute_mail_option() {
	! envelope_field "$1" mail_options | grep -q -- "^$2" && return 0
	_fail "MAIL FROM of message $1 has $2:" \
	    "$(envelope_field "$1" mail_options)"
}

# --- program names ------------------------------------------------------------

@test "invoked as sendmail: delivers" {
	server_start
	write_config
	make_links
	run "$LINKS/sendmail" -C "$CONF" a@example.org <<<$'Subject: s\n\nb'
	assert_status 0
	assert_rcpts 1 a@example.org
}

@test "invoked as mailq: lists the queue (= -bp), sends nothing" {
	server_start
	write_config
	make_links
	run send -odq queued@example.org
	assert_status 0
	run "$LINKS/mailq" -C "$CONF"
	assert_status 0
	assert_output_contains "to <queued@example.org>"
	no_session
}

@test "invoked as newaliases: exit 0 (= -bi), reads nothing, sends nothing" {
	server_start
	write_config
	make_links
	run "$LINKS/newaliases" -C "$CONF" </dev/null
	assert_status 0
	run "$LINKS/newaliases"
	assert_status 0
	run "$CFSENDMAIL" -C "$CONF" -bi
	assert_status 0
	no_session
}

# --- option forms --------------------------------------------------------------

@test "-- ends options: a later word starting with - is a recipient" {
	server_start
	write_config
	run send -i -- -dash@example.org a@example.org
	assert_status 0
	assert_rcpts 1 -dash@example.org a@example.org
}

@test "an option after a recipient is refused (64), nothing sent" {
	server_start
	write_config
	run send a@example.org -t
	assert_status 64
	assert_output_contains "looks like an option"
	run send a@example.org -X/tmp/x
	assert_status 64
	no_session
}

@test "-f addr, -faddr, -r addr, -f <addr> set the envelope sender" {
	server_start
	write_config
	send -f one@example.com a@example.org
	send -ftwo@example.com a@example.org
	send -r three@example.com a@example.org
	send -f '<four@example.com>' a@example.org
	send -tiffive@example.com a@example.org
	[ "$(envelope_field 1 mail_from)" = one@example.com ]
	[ "$(envelope_field 2 mail_from)" = two@example.com ]
	[ "$(envelope_field 3 mail_from)" = three@example.com ]
	[ "$(envelope_field 4 mail_from)" = four@example.com ]
	[ "$(envelope_field 5 mail_from)" = five@example.com ]
	assert_rcpts 5 a@example.org
}

@test "-f<> and -f '' send the null sender" {
	server_start
	write_config
	send '-f<>' a@example.org
	send -f '' a@example.org
	[ "$(envelope_field 1 mail_from)" = "" ]
	[ "$(envelope_field 2 mail_from)" = "" ]
	assert_file_contains "$(transcript)" "C: MAIL FROM:<> "
}

@test "-f with a local name: the envelope sender becomes [sender] from" {
	server_start
	write_config
	send -f www-data a@example.org
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
}

@test "-F name and -Fname: the display name of an added From" {
	server_start
	write_config
	send -F 'Cron Daemon' a@example.org
	send -FCronDaemon a@example.org
	send -F 'J. Doe' a@example.org
	send -F 'Zoë' a@example.org
	assert_has "$(received 1)" $'\r\nFrom: Cron Daemon <alerts@example.com>\r\n'
	assert_has "$(received 2)" $'\r\nFrom: CronDaemon <alerts@example.com>\r\n'
	assert_has "$(received 3)" $'\r\nFrom: "J. Doe" <alerts@example.com>\r\n'
	assert_has "$(received 4)" $'\r\nFrom: =?UTF-8?B?Wm/Dqw==?= <alerts@example.com>\r\n'
}

@test "-F does not touch an existing From" {
	server_start
	write_config
	send_input $'From: Me <me@example.org>\nSubject: s\n\nb\n' \
	    -F 'Other Name' a@example.org
	assert_has "$(received 1)" $'From: Me <me@example.org>\r\n'
	refute_has "$(received 1)" "Other Name"
}

# Whether BODY=8BITMIME goes with a 7-bit body under -B8BITMIME is left
# open (RFC 6152 allows it); an 8-bit body must have it.
@test "-B 8BITMIME and -B8BITMIME: value taken, not a recipient; a bad -B is 64" {
	server_start
	write_config
	run send -B 8BITMIME a@example.org
	assert_status 0
	run send -B8BITMIME b@example.org
	assert_status 0
	run send -B 7BIT c@example.org
	assert_status 0
	send_input $'Subject: s\n\ncaf\xc3\xa9\n' -B 8BITMIME d@example.org
	send_input $'Subject: s\n\ncaf\xc3\xa9\n' -B8BITMIME e@example.org
	assert_rcpts 1 a@example.org
	assert_rcpts 2 b@example.org
	assert_rcpts 3 c@example.org
	refute_mail_option 3 BODY=
	mail_option 4 BODY=8BITMIME
	mail_option 5 BODY=8BITMIME
	run send -B 9BIT a@example.org
	assert_status 64
	assert_output_contains "7BIT or 8BITMIME"
	[ "$(received_count)" -eq 5 ]
	assert_no_violations
}

@test "-N success,failure -R hdrs -V id: DSN parameters when DSN is offered" {
	server_start --caps "AUTH PLAIN LOGIN,SIZE 5242880,8BITMIME,ENHANCEDSTATUSCODES,DSN"
	write_config
	run send -N success,failure -R hdrs -V env-1 a@example.org
	assert_status 0
	send -Nnever a@example.org
	[ "$(envelope_field 1 rcpt_options)" = NOTIFY=success,failure ]
	mail_option 1 RET=hdrs
	mail_option 1 ENVID=env-1
	[ "$(envelope_field 2 rcpt_options)" = NOTIFY=never ]
	assert_no_violations
}

@test "-N without DSN offered: accepted, no DSN parameter sent" {
	server_start
	write_config
	run send -N success,failure -R full a@example.org
	assert_status 0
	[ -z "$(envelope_field 1 rcpt_options)" ]
	refute_mail_option 1 RET=
	assert_no_violations
	run send -N sometimes a@example.org
	assert_status 64
}

@test "-odb: exit 0 at once, delivered in the background" {
	server_start
	write_config
	run send -odb a@example.org
	assert_status 0
	wait_received 1
	assert_rcpts 1 a@example.org
}

@test "-odq queues only; -q delivers it; -odi delivers now" {
	server_start
	write_config
	run send -odq a@example.org
	assert_status 0
	no_session
	run "$CFSENDMAIL" -C "$CONF" -q
	assert_status 0
	assert_rcpts 1 a@example.org
	run send -odi b@example.org
	assert_status 0
	assert_rcpts 2 b@example.org
}

@test "-oem -oep -oeq -oew -em are accepted" {
	server_start
	write_config
	local o
	for o in -oem -oep -oeq -oew -em; do
		run send "$o" a@example.org
		assert_status 0
	done
	[ "$(received_count)" -eq 5 ]
}

@test "clustered flags: -ti, -oi -t, -it -- rcpt" {
	server_start
	write_config
	send_input $'To: a@example.org\n\n.\nafter\n' -ti
	send_input $'To: b@example.org\n\n.\nafter\n' -oi -t
	send_input $'To: c@example.org\n\n.\nafter\n' -it -- d@example.org
	assert_rcpts 1 a@example.org
	assert_rcpts 2 b@example.org
	assert_rcpts 3 d@example.org c@example.org
	assert_has "$(received 3)" $'\r\n.\r\nafter\r\n'
}

@test "-bm delivers; -L tag and -C file take their value, never a recipient" {
	server_start
	write_config
	run send -bm -L mytag a@example.org
	assert_status 0
	run bash -c 'printf "Subject: s\n\nb\n" | "$1" -bm -Lmytag -C "$2" b@example.org' \
	    _ "$CFSENDMAIL" "$CONF"
	assert_status 0
	assert_rcpts 1 a@example.org
	assert_rcpts 2 b@example.org
}

@test "--version and --help: exit 0, no message read, nothing sent" {
	server_start
	write_config
	run "$CFSENDMAIL" --version </dev/null
	assert_status 0
	assert_output_contains cfsendmail
	run "$CFSENDMAIL" --help </dev/null
	assert_status 0
	assert_output_contains "-t"
	no_session
}

# --- ignored options ----------------------------------------------------------

@test "ignored options never swallow a recipient" {
	server_start
	write_config
	run send -X "$BATS_TEST_TMPDIR/x.log" -O DeliveryMode=b -h 5 \
	    -oQ/tmp -U -n -m -G -Am -Ac -oL9 -s -c a@example.org
	assert_status 0
	assert_rcpts 1 a@example.org
}

@test "an ignored option's value never becomes a recipient" {
	server_start
	write_config
	run send -X b@example.org -O c@example.org -D d@example.org \
	    -oAe@example.org a@example.org
	assert_status 0
	assert_rcpts 1 a@example.org
}

@test "-X never writes the file it names (PHP mail() injection)" {
	server_start
	write_config
	run send -X "$BATS_TEST_TMPDIR/a.php" a@example.org
	assert_status 0
	run send "-X$BATS_TEST_TMPDIR/b.php" a@example.org
	assert_status 0
	run send -OQueueDirectory="$BATS_TEST_TMPDIR/qd" -X "$BATS_TEST_TMPDIR/c.php" a@example.org
	assert_status 0
	[ ! -e "$BATS_TEST_TMPDIR/a.php" ]
	[ ! -e "$BATS_TEST_TMPDIR/b.php" ]
	[ ! -e "$BATS_TEST_TMPDIR/c.php" ]
	[ ! -e "$BATS_TEST_TMPDIR/qd" ]
	[ "$(received_count)" -eq 3 ]
}

@test "-h with a word that is not a number is refused, not mailed" {
	server_start
	write_config
	run send -h a@example.org b@example.org
	assert_status 64
	no_session
}

# --- recipients and -t --------------------------------------------------------

@test "one argument may hold a comma-separated list" {
	server_start
	write_config
	run send 'a@example.org,b@example.org, c@example.org' d@example.org
	assert_status 0
	assert_rcpts 1 a@example.org b@example.org c@example.org d@example.org
}

@test "local names: alias, catch-all *, else [sender] domain" {
	server_start
	write_config '[aliases]' 'root = ops@example.com, boss@example.org' \
	    'postmaster = root'
	run send root www-data
	assert_rcpts 1 ops@example.com boss@example.org www-data@example.com
	write_config '[aliases]' 'root = ops@example.com' '* = catchall@example.com'
	run send root www-data nobody
	assert_status 0
	assert_rcpts 2 ops@example.com catchall@example.com
}

@test "-t merges header recipients with argv, duplicates removed (domain case-insensitive)" {
	server_start
	write_config
	send_input $'To: a@EXAMPLE.org, "B" <b@example.org>\nCc: A@example.org\nCc: c@example.org\nBcc: d@example.org, a@example.org\nSubject: s\n\nb\n' \
	    -t a@example.ORG e@example.org
	assert_rcpts 1 a@example.ORG e@example.org b@example.org A@example.org c@example.org d@example.org
	local m
	m=$(received 1)
	assert_bcc_hidden "$m" d@example.org e@example.org
}

@test "-t: folded To, groups, comments, quoted names, encoded words" {
	server_start
	write_config
	send_input $'To: undisclosed-recipients:;\nCc: "Doe, J." <j@example.org>,\n\tteam: x@example.org, y@example.org;,\n =?UTF-8?B?Wm/Dqw==?= <z@example.org> (Zoe)\nSubject: s\n\nb\n' \
	    -t
	assert_rcpts 1 j@example.org x@example.org y@example.org z@example.org
	# header fields are passed on byte for byte
	assert_has "$(received 1)" $'Cc: "Doe, J." <j@example.org>,\r\n\tteam: x@example.org, y@example.org;,\r\n =?UTF-8?B?Wm/Dqw==?= <z@example.org> (Zoe)\r\n'
}

@test "-t with Resent- fields: only the Resent- block, Resent-Bcc removed" {
	server_start
	write_config
	send_input $'Resent-From: fw@example.com\nResent-To: r@example.org\nResent-Bcc: rb@example.org\nFrom: orig@example.net\nTo: a@example.org\nCc: c@example.org\nBcc: b@example.org\nSubject: s\n\nb\n' \
	    -t
	assert_rcpts 1 r@example.org rb@example.org
	local m
	m=$(received 1)
	assert_bcc_hidden "$m" rb@example.org b@example.org
	assert_has "$m" $'Resent-To: r@example.org\r\n'
	assert_has "$m" $'To: a@example.org\r\nCc: c@example.org\r\n'
}

@test "unqualified To/Cc header addresses get [sender] domain" {
	server_start
	write_config '[aliases]' 'root = ops@example.com'
	send_input $'To: root, Admin <admin>\nCc: "Web" <www-data>, x@example.org\nSubject: s\n\nb\n' -t
	assert_rcpts 1 ops@example.com admin@example.com www-data@example.com x@example.org
	local m
	m=$(received 1)
	assert_has "$m" $'To: root@example.com, Admin <admin@example.com>\r\n'
	assert_has "$m" $'Cc: "Web" <www-data@example.com>, x@example.org\r\n'
}

@test "no recipients: 64 with a clear message, nothing sent" {
	server_start
	write_config
	run send
	assert_status 64
	assert_output_contains "no recipients"
	run send_input $'Subject: s\n\nb\n' -t
	assert_status 64
	run send_input $'To: undisclosed-recipients:;\nSubject: s\n\nb\n' -t
	assert_status 64
	no_session
}

# --- the lone dot -------------------------------------------------------------

@test "without -i a lone dot ends the input (also .CRLF)" {
	server_start
	write_config
	send_input $'Subject: s\n\nbefore\n.\nafter\n' a@example.org
	send_input $'Subject: s\r\n\r\nbefore\r\n.\r\nafter\r\n' a@example.org
	send_input $'Subject: s\n\nbefore\n.' a@example.org
	local n
	for n in 1 2 3; do
		assert_has "$(received $n)" $'\r\n\r\nbefore\r\n'
		refute_has "$(received $n)" after
		[ "$(body_of "$(received $n)")" = $'before\r' ]
	done
}

@test "with -i or -oi a lone dot is data; input ends at EOF" {
	server_start
	write_config
	send_input $'Subject: s\n\nbefore\n.\nafter\n' -i a@example.org
	send_input $'Subject: s\n\nbefore\n.\nafter\n' -oi a@example.org
	assert_has "$(received 1)" $'\r\n\r\nbefore\r\n.\r\nafter\r\n'
	assert_has "$(received 2)" $'\r\n\r\nbefore\r\n.\r\nafter\r\n'
	# -oi false switches it off again (sendmail's atobool)
	send_input $'Subject: s\n\nbefore\n.\nafter\n' -i -oiFalse a@example.org
	refute_has "$(received 3)" after
}

@test "lines that start with a dot but are not a lone dot are data, unchanged" {
	server_start
	write_config
	send_input $'Subject: s\n\n..\n.x\n. \n' a@example.org
	assert_has "$(received 1)" $'\r\n\r\n..\r\n.x\r\n. \r\n'
	assert_no_violations
}

# --- -bv --------------------------------------------------------------------

@test "-bv prints the resolved envelope and sends nothing" {
	server_start
	write_config '[aliases]' 'root = ops@example.com, boss@example.org'
	run "$CFSENDMAIL" -C "$CONF" -bv root www-data 'a@example.org,b@example.org' </dev/null
	assert_status 0
	assert_output $'sender: <alerts@example.com>\nrecipient: <ops@example.com>\nrecipient: <boss@example.org>\nrecipient: <www-data@example.com>\nrecipient: <a@example.org>\nrecipient: <b@example.org>'
	run "$CFSENDMAIL" -C "$CONF" -bv -f me@example.net a@example.org </dev/null
	assert_output $'sender: <me@example.net>\nrecipient: <a@example.org>'
	run "$CFSENDMAIL" -C "$CONF" -bv 'bad address@' </dev/null
	assert_status 65
	no_session
}

# --- fields added and kept ----------------------------------------------------

@test "missing Date, Message-ID and From are added, once each" {
	server_start
	write_config
	send_input $'Subject: s\n\nb\n' a@example.org
	local m
	m=$(received 1)
	[ "$(header_count "$m" Date)" -eq 1 ]
	[ "$(header_count "$m" Message-ID)" -eq 1 ]
	[ "$(header_count "$m" From)" -eq 1 ]
	header_section "$m" | grep -Eq '^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$' ||
	    _fail "bad Date: $(header_section "$m" | grep ^Date)"
	header_section "$m" | grep -Eq '^Message-ID: <[^<>@ ]+@example\.com>$' ||
	    _fail "bad Message-ID: $(header_section "$m" | grep ^Message-ID)"
	assert_has "$m" $'\r\nFrom: <alerts@example.com>\r\n'
	# two messages never share a Message-ID
	send_input $'Subject: s\n\nb\n' a@example.org
	[ "$(header_section "$m" | grep ^Message-ID)" != \
	    "$(header_section "$(received 2)" | grep ^Message-ID)" ]
}

@test "existing Date, Message-ID and From are kept byte for byte" {
	server_start
	write_config
	local hdr=$'Date:   Tue, 2 Jan 2024 03:04:05 -0800 (PST)\r\nMessage-Id: <odd.id$1@host.example>\r\nFrom: "Some One" <some@example.org> (comment)\r\nSubject: a\r\n\tfolded subject\r\n'
	send_input "$hdr"$'\r\nbody\r\n' a@example.org
	local m
	m=$(received 1)
	assert_has "$m" "$hdr"
	[ "$(header_count "$m" Date)" -eq 1 ]
	[ "$(header_count "$m" Message-ID)" -eq 1 ]
	[ "$(header_count "$m" From)" -eq 1 ]
}

@test "rewrite_from = never: From kept as given, even a local name" {
	server_start
	write_config sender.rewrite_from=never
	send_input $'From: root (Cron Daemon)\nSubject: s\n\nb\n' a@example.org
	send_input $'From: Other <x@other.example>\nSubject: s\n\nb\n' a@example.org
	assert_has "$(received 1)" $'From: root (Cron Daemon)\r\n'
	assert_has "$(received 2)" $'From: Other <x@other.example>\r\n'
}

@test "rewrite_from = local (default): local names become [sender] from" {
	server_start
	write_config
	send_input $'From: root (Cron Daemon)\nSubject: s\n\nb\n' a@example.org
	send_input $'From: Other <x@other.example>\nSubject: s\n\nb\n' a@example.org
	send_input $'From: "Web" <www-data>\nSender: root\nSubject: s\n\nb\n' a@example.org
	assert_has "$(received 1)" $'From: alerts@example.com (Cron Daemon)\r\n'
	assert_has "$(received 2)" $'From: Other <x@other.example>\r\n'
	assert_has "$(received 3)" $'From: "Web" <alerts@example.com>\r\nSender: alerts@example.com\r\n'
}

@test "rewrite_from = always: every From address becomes [sender] from" {
	server_start
	write_config sender.rewrite_from=always
	send_input $'From: root (Cron Daemon)\nSubject: s\n\nb\n' a@example.org
	send_input $'From: Other <x@other.example>\nSubject: s\n\nb\n' a@example.org
	assert_has "$(received 1)" $'From: alerts@example.com (Cron Daemon)\r\n'
	assert_has "$(received 2)" $'From: Other <alerts@example.com>\r\n'
}

# --- line ends ----------------------------------------------------------------

@test "LF input goes out as CRLF" {
	server_start
	write_config
	send_input $'Subject: s\n\none\ntwo\n' a@example.org
	assert_crlf "$(received 1)"
	assert_has "$(received 1)" $'Subject: s\r\n'
	assert_has "$(received 1)" $'\r\n\r\none\r\ntwo\r\n'
	assert_no_violations
}

@test "CRLF input goes out unchanged" {
	server_start
	write_config
	send_input $'Subject: s\r\n\r\none\r\ntwo\r\n' a@example.org
	assert_crlf "$(received 1)"
	assert_has "$(received 1)" $'\r\n\r\none\r\ntwo\r\n'
	refute_has "$(received 1)" $'\r\r'
}

@test "mixed line ends (PHP: CRLF headers, LF body) go out as CRLF" {
	server_start
	write_config
	send_input $'Subject: s\r\nX-A: 1\n\r\none\ntwo\r\nthree' a@example.org
	assert_crlf "$(received 1)"
	assert_has "$(received 1)" $'Subject: s\r\nX-A: 1\r\n'
	assert_has "$(received 1)" $'\r\n\r\none\r\ntwo\r\nthree\r\n'
	assert_no_violations
}

# A line ends at LF (or CRLF) only, as in sendmail and Postfix: a CR that
# no LF follows is a space (Postfix's cleanup_replace_stray_cr_lf).  It
# must neither end a line nor reach the wire (RFC 5321 2.3.8).
@test "a bare CR in the body is a space: no line break, lone dot or bare CR on the wire" {
	server_start
	write_config
	send_input $'Subject: s\n\none\rtwo\r\rthree\r\r\nfour\n.\rfive\n--b\rContent-Type: text/html\n.\r' a@example.org
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_has "$m" $'\r\n\r\none two  three \r\nfour\r\n. five\r\n--b Content-Type: text/html\r\n. \r\n'
	assert_no_violations
}

@test "a bare CR in the header section makes no field and no recipient (-t)" {
	server_start
	write_config
	# an application that strips only LF from a user's Subject
	run bash -c 'printf "To: bob@example.org\nSubject: Order #1\rBcc: victim@example.net\rX-Injected: yes\n\nbody\n" |
	    "$1" -C "$2" -t' _ "$CFSENDMAIL" "$CONF"
	assert_status 0
	assert_rcpts 1 bob@example.org
	refute_file_contains "$(transcript)" victim
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_has "$m" $'\r\nSubject: Order #1 Bcc: victim@example.net X-Injected: yes\r\n'
	[ "$(header_count "$m" Bcc)" -eq 0 ]
	[ "$(header_count "$m" X-Injected)" -eq 0 ]
	# a bare CR first on a line makes it a continuation line
	run send_input $'To: bob@example.org\nSubject: s\n\rCc: victim@example.net\n\nbody\n' -t
	assert_status 0
	assert_rcpts 2 bob@example.org
	assert_has "$(received 2)" $'\r\nSubject: s\r\n Cc: victim@example.net\r\n'
	refute_file_contains "$(transcript)" victim
	# in an address, a space: white space the address may hold
	run send_input $'To: <bob@example.org\r>\nSubject: s\n\nbody\n' -t
	assert_status 0
	assert_rcpts 3 bob@example.org
	assert_has "$(received 3)" $'To: <bob@example.org >\r\n'
	assert_no_violations
}

# cron mails a job's output as it is: a progress bar ("10%\r20%\r...")
# becomes one long line, which the quoted-printable re-encoding carries.
@test "a cron job's progress bar: one long line, quoted-printable, readable" {
	server_start
	write_config
	local i
	{
		printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@host> backup\n'
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n\n'
		for ((i = 0; i <= 400; i++)); do
			printf '%3d%%\r' $((i / 4))
		done
		printf '\nbackup done\n'
	} >"$BATS_TEST_TMPDIR/in"
	{
		for ((i = 0; i < 400; i++)); do
			printf '%3d%% ' $((i / 4))
		done
		printf '100%%\nbackup done\n'
	} >"$BATS_TEST_TMPDIR/body"
	run bash -c '"$1" -C "$2" -i -FCronDaemon -B8BITMIME -oem root <"$3"' \
	    _ "$CFSENDMAIL" "$CONF" "$BATS_TEST_TMPDIR/in"
	assert_status 0
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_has "$m" $'\r\nContent-Transfer-Encoding: quoted-printable\r\n'
	[ "$(header_count "$m" Content-Transfer-Encoding)" -eq 1 ]
	qp_body_is "$m" "$BATS_TEST_TMPDIR/body"
	assert_no_violations
}

# RFC 5322 2.2: a field name is printable ASCII but ':' (ftext).  A line
# whose "name" holds a control character or DEL is no field line, and,
# as any such line in sendmail and Postfix, starts the body.
@test "a control character or DEL in a field name: no field, the body starts there" {
	server_start
	write_config
	run send_input $'To: a@example.org\nX-Bad\001: 1\nCc: c@example.org\n\nbody\n' -t
	assert_status 0
	run send_input $'To: a@example.org\nX-Bad\177: 1\nBcc: b@example.org\n\nbody\n' -t
	assert_status 0
	assert_rcpts 1 a@example.org
	assert_rcpts 2 a@example.org
	[ "$(header_count "$(received 1)" Cc)" -eq 0 ]
	assert_has "$(received 1)" $'\r\n\r\nX-Bad\001: 1\r\nCc: c@example.org\r\n\r\nbody\r\n'
	[ "$(header_count "$(received 2)" Bcc)" -eq 0 ]
	assert_has "$(received 2)" $'\r\n\r\nX-Bad\177: 1\r\n'
	assert_no_violations
}

# RFC 5322 2.2.3: an LF followed by white space folds the field; the
# continuation belongs to its field, for Bcc stripping and for -t.
@test "folded fields stay whole: Bcc stripped, -t reads all of it, an indented first line is body" {
	server_start
	write_config
	run send_input $'To: a@example.org\nBcc:\n b@example.org,\n\tc@example.org\nSubject: s\n Bcc: d@example.org\n\nbody\n' -t
	assert_status 0
	assert_rcpts 1 a@example.org b@example.org c@example.org
	local m
	m=$(received 1)
	[ "$(header_count "$m" Bcc)" -eq 0 ]
	refute_has "$m" b@example.org
	assert_has "$m" $'\r\nSubject: s\r\n Bcc: d@example.org\r\n'
	# white space first: no header section at all
	run send_input $' Bcc: v@example.org\nTo: t@example.org\n\nbody\n' a@example.org
	assert_status 0
	assert_rcpts 2 a@example.org
	assert_has "$(received 2)" $'\r\n\r\n Bcc: v@example.org\r\nTo: t@example.org\r\n'
	assert_no_violations
}

# --- 8-bit --------------------------------------------------------------------

@test "8-bit body: BODY=8BITMIME when advertised; 7-bit body: no BODY=" {
	server_start
	write_config
	send_input $'Subject: s\n\ncaf\xc3\xa9\n' a@example.org
	send_input $'Subject: s\n\ncafe\n' a@example.org
	send_input $'Subject: caf\xc3\xa9\n\ncafe\n' a@example.org
	mail_option 1 BODY=8BITMIME
	refute_mail_option 2 BODY=
	mail_option 3 BODY=8BITMIME
	assert_has "$(received 1)" $'\r\n\r\ncaf\xc3\xa9\r\n'
	assert_no_violations
}

@test "8-bit body, server without 8BITMIME: exit 65, clear message, no DATA" {
	server_start --caps "AUTH PLAIN LOGIN,SIZE 5242880,ENHANCEDSTATUSCODES"
	write_config
	run send_input $'Subject: s\n\ncaf\xc3\xa9\n' a@example.org
	assert_status 65
	assert_output_contains "8-bit"
	assert_output_contains "8BITMIME"
	[ "$(received_count)" -eq 0 ]
	refute_file_contains "$(transcript)" "C: DATA"
	assert_no_violations
}

# cron always passes -B8BITMIME, whatever its job printed.  A 7-bit body
# needs no 8BITMIME: it must still reach a server that does not offer it.
@test "-B8BITMIME with a 7-bit body, server without 8BITMIME: sent, no BODY=" {
	server_start --caps "AUTH PLAIN LOGIN,SIZE 5242880,ENHANCEDSTATUSCODES"
	write_config
	run send_input $'Subject: s\n\nplain ascii\n' -B8BITMIME a@example.org
	assert_status 0
	[ "$(received_count)" -eq 1 ]
	refute_mail_option 1 BODY=
	assert_no_violations
}

# --- long lines ---------------------------------------------------------------

@test "a body line of 998 octets passes unchanged" {
	server_start
	write_config
	local line
	line=$(printf '%0998d' 0)
	send_input $'Subject: s\n\n'"$line"$'\n' a@example.org
	assert_has "$(received 1)" $'\r\n\r\n'"$line"$'\r\n'
	assert_crlf "$(received 1)"
}

# qp_body_is FILE EXPECTED -- FILE's body, quoted-printable decoded with
# CRLF as LF, is EXPECTED byte for byte.
qp_body_is() {
	"$PYTHON3" - "$1" "$2" <<'PY'
import quopri, sys
data = open(sys.argv[1], "rb").read()
body = data.split(b"\r\n\r\n", 1)[1].replace(b"\r\n", b"\n")
got = quopri.decodestring(body)
want = open(sys.argv[2], "rb").read()
if got != want:
    sys.exit("decoded body differs:\n%r\n%r" % (got[:300], want[:300]))
PY
}

# RFC 5322 2.1.1: a line over 998 octets cannot go out raw and must not be
# cut.  A single-part text body that is not encoded yet is re-encoded
# quoted-printable (as OpenSMTPD does), with the MIME fields it needs.
@test "a body line over 998 octets, plain body: re-encoded quoted-printable, content kept" {
	server_start
	write_config
	local line
	line=$(printf '%01200d' 7)
	printf 'short line caf\xc3\xa9\n%s\n.\nend = here\n' "$line" \
	    >"$BATS_TEST_TMPDIR/body"
	run bash -c '{ printf "Subject: s\n\n"; cat "$3"; } |
	    "$1" -C "$2" -i a@example.org' _ "$CFSENDMAIL" "$CONF" \
	    "$BATS_TEST_TMPDIR/body"
	assert_status 0
	local m
	m=$(received 1)
	assert_crlf "$m"
	refute_has "$m" "$line"
	[ "$(header_count "$m" MIME-Version)" -eq 1 ]
	[ "$(header_count "$m" Content-Transfer-Encoding)" -eq 1 ]
	assert_has "$m" $'\r\nContent-Transfer-Encoding: quoted-printable\r\n'
	assert_has "$m" $'\r\nContent-Type: text/plain; charset=UTF-8\r\n'
	qp_body_is "$m" "$BATS_TEST_TMPDIR/body"
	assert_no_violations
}

@test "a body line over 998 octets, text/plain 8bit: the old encoding field replaced" {
	server_start
	write_config
	local line
	line=$(printf '%01100d' 3)
	printf 'x\n%s\n' "$line" >"$BATS_TEST_TMPDIR/body"
	run bash -c '{ printf "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 8bit\nSubject: s\n\n"; cat "$3"; } |
	    "$1" -C "$2" a@example.org' _ "$CFSENDMAIL" "$CONF" \
	    "$BATS_TEST_TMPDIR/body"
	assert_status 0
	local m
	m=$(received 1)
	assert_crlf "$m"
	[ "$(header_count "$m" MIME-Version)" -eq 1 ]
	[ "$(header_count "$m" Content-Type)" -eq 1 ]
	[ "$(header_count "$m" Content-Transfer-Encoding)" -eq 1 ]
	assert_has "$m" $'Content-Type: text/plain; charset=us-ascii\r\n'
	assert_has "$m" $'\r\nContent-Transfer-Encoding: quoted-printable\r\n'
	qp_body_is "$m" "$BATS_TEST_TMPDIR/body"
}

@test "a body line over 998 octets in a multipart body: exit 65, nothing sent" {
	server_start
	write_config
	local line
	line=$(printf '%01000d' 0)
	run send_input $'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\nSubject: s\n\n--XX\nContent-Type: text/plain\n\n'"$line"$'\n--XX--\n' a@example.org
	assert_status 65
	assert_output_contains "1000 bytes"
	assert_output_contains "998"
	no_session
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/queue/new" 2>/dev/null)" ]
}

@test "a body line over 998 octets in an already encoded body: exit 65, nothing sent" {
	server_start
	write_config
	local line
	line=$(printf '%01000d' 0)
	run send_input $'Content-Transfer-Encoding: base64\nSubject: s\n\n'"$line"$'\n' a@example.org
	assert_status 65
	no_session
}

@test "a header line over 998 octets is folded, its content kept" {
	server_start
	write_config
	local words='' i
	for ((i = 0; i < 150; i++)); do
		words+=" word$i"
	done
	send_input "X-Long:$words"$'\nTo: a@example.org\n\nb\n' -t
	local m
	m=$(received 1)
	assert_crlf "$m"
	# unfolded, the field is what was given
	[ "$(header_section "$m" | sed -n '/^X-Long:/,/^[^ \t]/p' |
	    grep -v '^To:' | tr -d '\n')" = "X-Long:$words" ]
	[ "$(header_section "$m" | grep -c '^[ \t]')" -gt 1 ]
	assert_no_violations
}

@test "a header line over 998 octets that cannot be folded: exit 65, nothing sent" {
	server_start
	write_config
	local long
	long=$(printf '%01100d' 0)
	run send_input "X-Long: $long"$'\n\nb\n' a@example.org
	assert_status 65
	assert_output_contains "X-Long"
	no_session
}

# --- bad messages -------------------------------------------------------------

@test "a NUL byte: exit 65, nothing sent" {
	server_start
	write_config
	run bash -c 'printf "Subject: s\n\na\0b\n" | "$1" -C "$2" a@example.org' _ \
	    "$CFSENDMAIL" "$CONF"
	assert_status 65
	assert_output_contains "NUL"
	run bash -c 'printf "Subject: s\0\n\nb\n" | "$1" -C "$2" a@example.org' _ \
	    "$CFSENDMAIL" "$CONF"
	assert_status 65
	no_session
}

@test "an empty message: exit 65, nothing sent" {
	server_start
	write_config
	run "$CFSENDMAIL" -C "$CONF" a@example.org </dev/null
	assert_status 65
	assert_output_contains "empty message"
	run send_input $'.\n' a@example.org
	assert_status 65
	no_session
}

@test "a header section over 1 MiB: exit 65, nothing sent" {
	server_start
	write_config
	run bash -c 'for ((i = 0; i < 20000; i++)); do
	    printf "X-Pad-%05d: %060d\n" "$i" 0; done |
	    "$1" -C "$2" a@example.org' _ "$CFSENDMAIL" "$CONF"
	assert_status 65
	assert_output_contains "header section"
	no_session
}

@test "a message over [delivery] max_size: exit 65 before connecting" {
	server_start
	write_config delivery.max_size=1000
	local body
	body=$(printf '%0900d' 0)
	run send_input $'Subject: s\n\n'"$body"$'\n'"$body"$'\n' a@example.org
	assert_status 65
	assert_output_contains "max_size"
	no_session
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/queue/new" 2>/dev/null)" ]
}

# sized_message FILE WIRE DOTS -- a message that takes exactly WIRE bytes
# on the wire (CRLF line ends, dot-stuffing), DOTS of its lines starting
# with a dot; in FILE with LF line ends, with Date, Message-ID and a
# From that is no local name, so that cfsendmail adds nothing.
sized_message() {
	"$PYTHON3" - "$@" <<'PY'
import sys
path, wire, dots = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = [b"From: a@example.org\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
       b"Message-ID: <sized@example.org>\nSubject: sized\n\n"]
rest = wire - len(out[0]) - out[0].count(b"\n")
out += [b".x\n"] * dots            # 5 bytes each on the wire: "..x\r\n"
rest -= 5 * dots
while rest > 0:                     # n bytes and CRLF
    n = min(70, rest - 2)
    if rest - n - 2 == 1:
        n -= 1
    out.append(b"x" * n + b"\n")
    rest -= n + 2
assert rest == 0
open(path, "wb").write(b"".join(out))
PY
}

# send_sized WIRE DOTS ARG... -- cfsendmail ARG... a@example.org with a
# message of WIRE bytes on the wire
send_sized() {
	sized_message "$BATS_TEST_TMPDIR/sized" "$1" "$2"
	shift 2
	"$CFSENDMAIL" -C "$CONF" "$@" a@example.org <"$BATS_TEST_TMPDIR/sized"
}

# [delivery] max_size counts what the relay will count: CRLF line ends and
# dot-stuffing (RFC 1870 leaves the doubled dots out: counting them errs
# on the safe side), before the message is acknowledged, in every mode.
@test "max_size counts the bytes on the wire: CRLF and doubled dots, -odq and foreground" {
	server_start
	write_config delivery.max_size=2000
	local mode dots queued=0
	for mode in -odq -odi; do
		for dots in 0 300; do
			# 300 lines ".x": 900 bytes as given, 1500 on the wire
			run send_sized 2001 "$dots" "$mode"
			assert_status 65
			assert_output "cfsendmail: message is 2001 bytes on the wire, over the limit of 2000 bytes ([delivery] max_size)"
			[ "$(find "$BATS_TEST_TMPDIR/queue" -name '*.env' |
			    wc -l)" -eq "$queued" ]
			run send_sized 2000 "$dots" "$mode"
			assert_status 0
			[ "$mode" = -odi ] || queued=$((queued + 1))
		done
	done
	# -odb: refused before the caller is answered, no child delivers
	run send_sized 2001 0 -odb
	assert_status 65
	assert_output_contains "2001 bytes on the wire"
	[ "$(received_count)" -eq 2 ]
	[ "$(sessions_count)" -eq 2 ]
	# what was declared is what went out, doubled dots counted
	local n
	for n in 1 2; do
		[ "$(envelope_field $n mail_options)" = SIZE=2000 ]
	done
	[ "$(wc -c <"$(received 1)")" -eq 2000 ]
	[ "$(wc -c <"$(received 2)")" -eq 1700 ]
	# the queued ones: as small on disk, as big on the wire
	local env
	for env in "$BATS_TEST_TMPDIR"/queue/new/*.env; do
		grep -qx 'size 2000' "$env" || _fail "$env:" "$(cat "$env")"
	done
	[ "$(ls "$BATS_TEST_TMPDIR"/queue/new/*.env | wc -l)" -eq 2 ]
	assert_no_violations
}

@test "max_size counts the fields cfsendmail adds and the quoted-printable re-encoding" {
	server_start
	write_config delivery.max_size=1500
	# 1214 and 1414 bytes as given; with Date, Message-ID and From
	# added, the second is over
	local body
	body=$(printf '%01250d' 0)
	run send_input $'Subject: s\n\n'"${body:0:600}"$'\n'"${body:0:600}"$'\n' -odq a@example.org
	assert_status 0
	run send_input $'Subject: s\n\n'"${body:0:700}"$'\n'"${body:0:700}"$'\n' -odq a@example.org
	assert_status 65
	assert_output_contains "bytes on the wire, over the limit of 1500 bytes"
	# one line of 1250 "=" fits; quoted-printable ("=3D"), it does not
	body=$(printf '%01250d' 0 | tr 0 =)
	run send_input $'From: a@example.org\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <a@example.org>\n\n'"$body"$'\n' -odq a@example.org
	assert_status 65
	assert_output_contains "bytes on the wire, over the limit of 1500 bytes"
	[ "$(ls "$BATS_TEST_TMPDIR"/queue/new/*.env | wc -l)" -eq 1 ]
	no_session
}

# The issue's message: 5,183,014 bytes with LF ends, 5,256,133 on the wire.
# Queued with exit 0, it went to failed/ at the first attempt.
@test "the real 5 MiB default: over on the wire is 65 up front; exactly 5 MiB is delivered" {
	server_start
	write_config
	run send_sized 5256133 0 -odq
	assert_status 65
	# refused as soon as it is over, before the end of the input
	assert_output_contains "cfsendmail: message is at least "
	assert_output_contains " bytes on the wire, over the limit of 5242880 bytes ([delivery] max_size)"
	# with LF line ends, as the old check counted, it is under
	[ "$(wc -c <"$BATS_TEST_TMPDIR/sized")" -lt 5242880 ]
	[ -z "$(find "$BATS_TEST_TMPDIR/queue" -name '*.env')" ]
	run send_sized 5242881 40 -odq
	assert_status 65
	assert_output "cfsendmail: message is 5242881 bytes on the wire, over the limit of 5242880 bytes ([delivery] max_size)"
	run send_sized 5242880 40 -odi
	assert_status 0
	[ "$(received_count)" -eq 1 ]
	[ "$(envelope_field 1 mail_options)" = SIZE=5242880 ]
	assert_no_violations
}

@test "SIZE= is sent when advertised, and not otherwise" {
	server_start
	write_config
	send a@example.org
	local opts
	opts=$(envelope_field 1 mail_options)
	[[ $opts =~ ^SIZE=([0-9]+)$ ]] || _fail "no SIZE=: $opts"
	# the declared size is the size of what was sent
	[ "${BASH_REMATCH[1]}" -ge "$(wc -c <"$(received 1)")" ]
	server_stop
	server_start --caps "AUTH PLAIN LOGIN,8BITMIME,ENHANCEDSTATUSCODES"
	write_config
	send a@example.org
	refute_mail_option 1 SIZE=
	assert_no_violations
}

# --- bad addresses ------------------------------------------------------------

@test "-f with CR, LF, control bytes, spaces or unbalanced <>: 65, no session" {
	server_start
	write_config
	local bad
	# a local name too, though [sender] from replaces it
	for bad in $'a@example.com\rRCPT TO:<x@y>' $'a@example.com\nRCPT TO:<x@y>' \
	    $'root\rRCPT TO:<x@y>' $'root\n' $'ro\001ot' $'root\x7f' \
	    $'a\001@example.com' $'a@example.com\x7f' 'a b@example.com' \
	    'a@example.com x' '<a@example.com' 'a@example.com>' \
	    '<<a@example.com>>' 'a@@example.com'; do
		run send -f "$bad" a@example.org
		[ "$status" -eq 65 ] ||
		    _fail "-f $(printf %q "$bad"): status $status: $output"
	done
	no_session
}

@test "recipients with CR, LF, control bytes, spaces or unbalanced <>: 65, no session" {
	server_start
	write_config
	local bad
	for bad in $'a@example.org\rRCPT TO:<x@y>' $'a@example.org\nRCPT TO:<x@y>' \
	    $'a\001@example.org' $'a@example.org\x7f' 'a b@example.org' \
	    '<a@example.org' 'a@example.org>' 'a@@example.org' \
	    'a@example.org <b@example.org'; do
		run send "$bad"
		[ "$status" -eq 65 ] ||
		    _fail "rcpt $(printf %q "$bad"): status $status: $output"
	done
	no_session
}

@test "a header recipient with a control byte under -t: 65, no session" {
	server_start
	write_config
	run send_input $'To: a\001b@example.org\nSubject: s\n\nb\n' -t
	assert_status 65
	no_session
}

@test "-F with a newline or control byte: 65, nothing sent" {
	server_start
	write_config
	run send -F $'Name\nBcc: victim@example.org' a@example.org
	assert_status 65
	assert_output_contains "-F"
	run send -F $'Name\rX: y' a@example.org
	assert_status 65
	run send $'-FName\001' a@example.org
	assert_status 65
	no_session
}

# --- host-local addresses (issue 14) ------------------------------------------

# on_host (callers/lib.bash) gives cfsendmail a host called web1, FQDN
# web1.example.org; the sending domain is example.com.
@test "host-local recipients go through the aliases like bare names" {
	mount_ns_or_skip
	server_start
	write_config sender.local_domains=lan.example '[aliases]' \
	    'root = ops@example.com'
	run on_host web1 web1.example.org mail.example.org "$CFSENDMAIL" \
	    -C "$CONF" -bv root@localhost ROOT@LocalHost.LocalDomain \
	    root@web1 root@Web1.Example.Org root@mail.example.org \
	    jo@lan.example www-data@web1 root@example.com root@web2.example.org
	assert_status 0
	assert_output "sender: <alerts@example.com>
recipient: <ops@example.com>
recipient: <jo@example.com>
recipient: <www-data@example.com>
recipient: <root@example.com>
recipient: <root@web2.example.org>"
	[ "$(sessions_count)" -eq 0 ]
}

@test "host-local senders: envelope and From rewritten, To qualified" {
	mount_ns_or_skip
	server_start
	write_config '[aliases]' 'root = ops@example.com'
	run on_host web1 web1.example.org web1.example.org \
	    "$CFSENDMAIL" -C "$CONF" -i -t -f jo@web1.example.org <<'MSG'
From: Jo <jo@web1.example.org>
Sender: jo@localhost
To: root@localhost, www-data@web1, friend@example.net
Subject: host names

body
MSG
	assert_status 0
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	assert_rcpts 1 ops@example.com www-data@example.com friend@example.net
	local m
	m=$(received 1)
	assert_has "$m" $'From: Jo <alerts@example.com>\r\n'
	assert_has "$m" $'Sender: alerts@example.com\r\n'
	assert_has "$m" $'To: root@example.com, www-data@example.com, friend@example.net\r\n'
	refute_has "$m" web1
	refute_has "$m" localhost
}

@test "a host named after the sending domain: its addresses stay remote" {
	mount_ns_or_skip
	server_start
	write_config sender.domain=web1.example.org \
	    sender.from=alerts@web1.example.org '[aliases]' '* = ops@example.com'
	run on_host web1 web1.example.org web1.example.org "$CFSENDMAIL" \
	    -C "$CONF" -bv bob@web1.example.org root@web1
	assert_status 0
	assert_output "sender: <alerts@web1.example.org>
recipient: <bob@web1.example.org>
recipient: <ops@example.com>"
}

# The host's names come from files and the kernel, never the resolver: a
# name server that does not answer (on_host's ON_HOST_DNS=silent) must
# not hold cfsendmail up.  web1 has no /etc/hosts line: only DNS could
# give it an FQDN.
@test "host names are found without asking DNS: a silent name server costs nothing" {
	mount_ns_or_skip
	write_config '[aliases]' 'root = ops@example.com'
	# the trap works: a lookup that goes to DNS hangs
	ON_HOST_DNS=silent run on_host web1 - web1 timeout 3 getent hosts \
	    nosuchname.example
	assert_status 124
	ON_HOST_DNS=silent run on_host web1 - web1 timeout 3 \
	    "$CFSENDMAIL" -C "$CONF" -bv root@web1 root@localhost
	assert_status 0
	assert_output "sender: <alerts@example.com>
recipient: <ops@example.com>"
}

# --- internationalised addresses: no SMTPUTF8 at the relay (issue 14) --------

@test "IDN domains go in A-labels; no SMTPUTF8 asked for" {
	server_start
	write_config
	run send -f 'me@b'$'\xc3\xbc''cher.example' 'u@b'$'\xc3\xbc''cher.example' \
	    a@example.org 'U@B'$'\xc3\x9c''CHER.example'
	assert_status 0
	[ "$(envelope_field 1 mail_from)" = me@xn--bcher-kva.example ]
	assert_rcpts 1 u@xn--bcher-kva.example a@example.org \
	    U@xn--bcher-kva.example
	! envelope_field 1 mail_options | grep -qx SMTPUTF8 ||
	    _fail "SMTPUTF8 asked for"
	assert_no_violations
}

@test "a non-ASCII local part is refused alone (67); the others are delivered" {
	server_start
	write_config
	run --separate-stderr send 'b'$'\xc3\xa4''r@example.com' a@example.org \
	    'u@b'$'\xc3\xbc''cher.example'
	assert_status 67
	[ "$stderr" = 'cfsendmail: <b'$'\xc3\xa4''r@example.com> refused: the local part is not ASCII and the relay does not offer SMTPUTF8' ] ||
	    _fail "stderr: $stderr"
	[ "$(received_count)" -eq 1 ]
	assert_rcpts 1 a@example.org u@xn--bcher-kva.example
	[ -z "$(ls "$BATS_TEST_TMPDIR/queue/failed")" ] ||
	    _fail "something went to failed/"
	# the same from the header with -t
	run --separate-stderr send_input $'To: b\xc3\xa4r@example.com, c@example.org\nSubject: x\n\nbody\n' -t
	assert_status 67
	[ "$(received_count)" -eq 2 ]
	assert_rcpts 2 c@example.org
	# the only recipient: 67, nothing queued, no session
	run --separate-stderr send 'b'$'\xc3\xa4''r@example.com'
	assert_status 67
	[[ $stderr == *"refused: the local part is not ASCII"* ]]
	[ "$(sessions_count)" -eq 2 ]
	[ -z "$(find "$BATS_TEST_TMPDIR/queue" -type f)" ] ||
	    _fail "queued: $(find "$BATS_TEST_TMPDIR/queue" -type f)"
}

@test "a non-ASCII sender local part: 65 before anything is queued" {
	server_start
	write_config
	run --separate-stderr send -f 'j'$'\xc3\xb6''rg@example.com' a@example.org
	assert_status 65
	[ "$stderr" = "cfsendmail: sender: the local part is not ASCII and the relay does not offer SMTPUTF8" ] ||
	    _fail "stderr: $stderr"
	no_session
	[ -z "$(find "$BATS_TEST_TMPDIR/queue" -type f 2>/dev/null)" ]
}
