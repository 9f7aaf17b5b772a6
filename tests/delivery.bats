#!/usr/bin/env bats
# The delivery engine (issue 4) against the scriptable test server:
# recipients in sessions of at most 50, 452 "too many recipients", retries
# on 421/451/dropped/stalled connections, PIPELINING only when advertised,
# per-recipient refusals, whole-message refusals with their hints, the -v
# transcript, and the round trips one message costs.
#
# Every test asserts the envelopes the server received (each recipient
# exactly once), the number of TCP sessions, the exit status and what
# stderr says.  write_config sets retry_delay = 0, so retries cost nothing.

load helpers

bats_require_minimum_version 1.5.0

CF_CAPS="AUTH PLAIN LOGIN,SIZE 5242880,8BITMIME,ENHANCEDSTATUSCODES"

# rcpts N -- r001@example.org ... rN@example.org, one per line
rcpts() {
	local i
	for ((i = 1; i <= $1; i++)); do
		printf 'r%03d@example.org\n' "$i"
	done
}

# send [ARG...] -- submit a small message with cfsendmail -C $CONF ARG...
send() {
	printf 'Subject: delivery test\n\nbody\n' |
	    "$CFSENDMAIL" -C "$CONF" "$@"
}

# send_to N [ARG...] -- send to the first N generated recipients
send_to() {
	local n=$1
	shift
	local -a to
	mapfile -t to < <(rcpts "$n")
	send "$@" -- "${to[@]}"
}

# all_rcpts -- the recipients of every message received, sorted
all_rcpts() {
	local n i
	n=$(received_count) || return 1
	for ((i = 1; i <= n; i++)); do
		envelope_field "$i" rcpt_tos || return 1
	done | sort
}

# assert_each_once ADDR... -- the messages received went to exactly these
# recipients, each once (in any order: sessions may run in parallel)
assert_each_once() {
	local expected actual
	expected=$(printf '%s\n' "$@" | sort)
	actual=$(all_rcpts) || return 1
	[ "$actual" = "$expected" ] && return 0
	_fail "recipients received (- expected, + actual):" \
	    "$(diff -u <(echo "$expected") <(echo "$actual") | tail -n +3)"
}

# assert_envelopes_at_most MAX -- no message went to more than MAX rcpts
assert_envelopes_at_most() {
	local n i k
	n=$(received_count) || return 1
	for ((i = 1; i <= n; i++)); do
		k=$(envelope_field "$i" rcpt_tos | wc -l)
		[ "$k" -le "$1" ] ||
		    _fail "message $i went to $k recipients (at most $1)" ||
		    return 1
	done
}

# rcpt_commands_per_session -- "SESSION COUNT" lines: RCPT commands the
# server saw in each session (452-refused ones included)
rcpt_commands_per_session() {
	awk '$2 == "C:" && toupper($3) == "RCPT" { n[$1]++ }
	    END { for (s in n) print s, n[s] }' "$(transcript)" | sort -n
}

# assert_session_rcpts_at_most MAX -- no session saw more than MAX RCPTs
assert_session_rcpts_at_most() {
	local s k
	while read -r s k; do
		[ "$k" -le "$1" ] ||
		    _fail "session $s got $k RCPT commands (at most $1)" ||
		    return 1
	done < <(rcpt_commands_per_session)
}

# count_in_transcript STR -- lines of the server transcript holding STR
count_in_transcript() {
	grep -cF -- "$1" "$(transcript)" || true
}

# assert_sessions N / assert_received N
# assert_stdout_empty (after run --separate-stderr)
assert_stdout_empty() {
	[ -z "$output" ] || _fail "expected nothing on stdout, got:" "$output"
}

# assert_stderr_empty -- a delivered message is not worth a word
assert_stderr_empty() {
	[ -z "$stderr" ] || _fail "expected nothing on stderr, got:" "$stderr"
}

# --- sessions of at most 50 recipients ----------------------------------

# n recipients: ceil(n/50) sessions, each recipient once, no session or
# message with more than 50 RCPTs, no protocol violation
check_batches() {
	local n=$1 sessions=$(( ($1 + 49) / 50 ))
	server_start
	write_config
	run --separate-stderr send_to "$n"
	assert_status 0
	assert_stdout_empty
	assert_stderr_empty
	assert_queue_empty
	mapfile -t expected < <(rcpts "$n")
	assert_each_once "${expected[@]}"
	assert_sessions "$sessions"
	assert_received "$sessions"
	assert_envelopes_at_most 50
	assert_session_rcpts_at_most 50
	[ "$(count_in_transcript " 452 ")" -eq 0 ]
	assert_no_violations
}

@test "1 recipient: 1 session" {
	check_batches 1
}

@test "50 recipients: 1 session" {
	check_batches 50
}

@test "51 recipients: 2 sessions" {
	check_batches 51
}

@test "120 recipients: 3 sessions, each recipient once" {
	check_batches 120
}

@test "200 recipients: 4 sessions, each recipient once" {
	check_batches 200
}

@test "max_recipients = 20: 45 recipients in 3 sessions of at most 20" {
	server_start
	write_config delivery.max_recipients=20
	run --separate-stderr send_to 45
	assert_status 0
	mapfile -t expected < <(rcpts 45)
	assert_each_once "${expected[@]}"
	assert_sessions 3
	assert_envelopes_at_most 20
	assert_session_rcpts_at_most 20
	assert_no_violations
}

# --- 452: too many recipients ------------------------------------------

@test "452 after 10 RCPTs: 25 recipients all delivered, <= 10 per message" {
	server_start --max-rcpt 10
	write_config
	run --separate-stderr send_to 25
	assert_status 0
	assert_stdout_empty
	mapfile -t expected < <(rcpts 25)
	assert_each_once "${expected[@]}"
	assert_envelopes_at_most 10
	assert_received 3
	assert_sessions 3
	assert_no_violations
}

@test "452 after 10 RCPTs: later sessions adapt to 10 (one 452 only)" {
	# issue 4: "the rest continue in a new session, adapting the batch
	# size" -- once the server took 10, the next sessions send 10
	server_start --max-rcpt 10
	write_config
	run --separate-stderr send_to 25
	assert_status 0
	mapfile -t expected < <(rcpts 25)
	assert_each_once "${expected[@]}"
	assert_sessions 3
	assert_session_rcpts_at_most 11
	[ "$(count_in_transcript "S: 452")" -eq 1 ] ||
	    _fail "expected one 452, got $(count_in_transcript "S: 452")"
}

@test "452 at the very first RCPT of every session: gives up, no endless loop" {
	# a server that takes no recipient at all is failing: temporary,
	# retried up to [delivery] attempts, then queued -- within seconds
	server_start --max-rcpt 0
	write_config delivery.attempts=2
	run --separate-stderr timeout 5 "$CFSENDMAIL" -C "$CONF" \
	    r001@example.org r002@example.org r003@example.org \
	    < <(printf 'Subject: x\n\nbody\n')
	[ "$status" -ne 124 ] || _fail "cfsendmail still running after 5 s" \
	    "sessions: $(sessions_count)"
	assert_status 0
	assert_stderr_contains "queued, will retry"
	assert_received 0
	assert_sessions 2
}

# --- temporary failures: retried ---------------------------------------

# check_retried SERVER-OPTION... -- send to 3 recipients through a server
# started with the options, which fails the first try: exit 0, nothing on
# stdout or stderr, nothing left in the queue, one message received with
# each recipient once
check_retried() {
	server_start "$@" || return 1
	write_config || return 1
	run --separate-stderr send_to 3
	assert_status 0 || return 1
	assert_stdout_empty || return 1
	assert_stderr_empty || return 1
	assert_queue_empty || return 1
	assert_received 1 || return 1
	assert_each_once r001@example.org r002@example.org r003@example.org
}

@test "421 at greeting on 2 connections, attempts = 3: delivered in the 3rd" {
	server_start --reply greeting#1="421 4.3.2 Service not available" \
	    --reply greeting#2="421 4.3.2 Service not available"
	write_config delivery.attempts=3
	run --separate-stderr send_to 1
	assert_status 0
	assert_stdout_empty
	assert_stderr_empty
	assert_each_once r001@example.org
	assert_sessions 3
	[ "$(envelope_field 1 session)" -eq 3 ]
	assert_queue_empty
	assert_no_violations
}

@test "421 at greeting once, on_defer = fail: delivered, exit 0 (not 75)" {
	server_start --reply greeting#1="421 4.3.2 Service not available"
	write_config delivery.on_defer=fail
	run --separate-stderr send_to 1
	assert_status 0
	assert_stderr_empty
	assert_each_once r001@example.org
	assert_sessions 2
	assert_queue_empty
}

@test "TLS handshake cut (connection dropped at connect): retried, delivered" {
	server_start --drop connect#1
	write_config
	run --separate-stderr send_to 2
	assert_status 0
	assert_stderr_empty
	assert_each_once r001@example.org r002@example.org
	assert_sessions 2
	assert_queue_empty
}

@test "421 at greeting on 2 connections, attempts = 2: queued, exit 0" {
	server_start --reply greeting#1="421 4.3.2 Service not available" \
	    --reply greeting#2="421 4.3.2 Service not available"
	write_config delivery.attempts=2
	run --separate-stderr send_to 1
	assert_status 0
	assert_stdout_empty
	assert_stderr_contains "queued, will retry"
	assert_stderr_contains "421 4.3.2 Service not available"
	assert_received 0
	assert_sessions 2
	run "$CFSENDMAIL" -C "$CONF" -bp
	assert_status 0
	assert_output_contains "to <r001@example.org>"
	assert_output_contains "421 4.3.2"
	refute_output_contains "Mail queue is empty"
}

@test "421 at greeting on 2 connections, attempts = 2, on_defer = fail: 75, not queued" {
	server_start --reply greeting#1="421 4.3.2 Service not available" \
	    --reply greeting#2="421 4.3.2 Service not available"
	write_config delivery.attempts=2 delivery.on_defer=fail
	run --separate-stderr send_to 1
	assert_status 75
	assert_stdout_empty
	assert_stderr_contains "421 4.3.2 Service not available"
	assert_received 0
	assert_sessions 2
	run "$CFSENDMAIL" -C "$CONF" -bp
	assert_status 0
	assert_output_contains "Mail queue is empty"
	refute_output_contains "r001@example.org"
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/queue/new")" ]
}

@test "451 4.3.0 after the body once: sent again, delivered once" {
	check_retried --reply dot#1="451 4.3.0 Local error"
	# two transactions: the refused one and the good one
	[ "$(count_in_transcript "C: MAIL FROM:")" -eq 2 ]
	[ "$(count_in_transcript "C: <DATA ")" -eq 2 ]
	assert_no_violations
}

@test "connection dropped mid-DATA: retried, delivered once" {
	check_retried --drop midata#1
	assert_sessions 2
	[ "$(envelope_field 1 session)" -eq 2 ]
	assert_no_violations
}

@test "connection dropped at the second RCPT: the first recipient is not taken for sent" {
	# r001 had its 250 to RCPT but no message: it goes in the retry too
	check_retried --drop rcpt#2
	assert_sessions 2
	assert_no_violations
}

@test "stall after EHLO (no AUTH reply), timeout = 1: retried within seconds" {
	server_start --stall auth#1
	write_config relay.timeout=1
	local t0 t1
	t0=$(date +%s%N)
	run --separate-stderr send_to 1
	t1=$(date +%s%N)
	assert_status 0
	assert_stdout_empty
	assert_stderr_empty
	assert_queue_empty
	assert_each_once r001@example.org
	assert_sessions 2
	[ "$(envelope_field 1 session)" -eq 2 ]
	[ $(( (t1 - t0) / 1000000 )) -lt 10000 ] ||
	    _fail "took $(( (t1 - t0) / 1000000 )) ms"
	# the timeout was honoured: at least ~1 s went by
	[ $(( (t1 - t0) / 1000000 )) -ge 900 ] ||
	    _fail "took only $(( (t1 - t0) / 1000000 )) ms: no wait?"
}

@test "stall after the body (no final reply), data_timeout = 1: retried, once" {
	server_start --stall dot#1
	write_config relay.timeout=1 relay.data_timeout=1
	local t0=$SECONDS
	run --separate-stderr send_to 2
	assert_status 0
	assert_stderr_empty
	assert_queue_empty
	assert_received 1
	assert_each_once r001@example.org r002@example.org
	assert_sessions 2
	[ $((SECONDS - t0)) -lt 10 ]
}

# --- PIPELINING ------------------------------------------------------------

@test "PIPELINING advertised: MAIL, RCPTs and DATA in one write" {
	server_start --caps "$CF_CAPS,PIPELINING"
	write_config
	run --separate-stderr send_to 5 -v
	assert_status 0
	assert_each_once r00{1..5}@example.org
	assert_sessions 1
	assert_no_violations
	# the -v transcript: no server reply between MAIL FROM and DATA
	local group
	group=$(printf '%s\n' "$stderr" |
	    sed -n '/^C: MAIL FROM:/,/^C: DATA$/p')
	[ "$(grep -c '^C: RCPT TO:' <<<"$group")" -eq 5 ] ||
	    _fail "no MAIL..DATA group in the transcript:" "$stderr"
	! grep -q '^S: ' <<<"$group" ||
	    _fail "replies read inside the pipelined group:" "$group"
}

@test "PIPELINING not advertised (Cloudflare): one command per reply" {
	server_start
	write_config
	run --separate-stderr send_to 5 -v
	assert_status 0
	assert_each_once r00{1..5}@example.org
	assert_sessions 1
	assert_no_violations
	# the -v transcript alternates: each command is followed by its reply
	printf '%s\n' "$stderr" | awk '
	    prev ~ /^C: (MAIL|RCPT|DATA)/ && !/^S: / { bad = 1 }
	    /^[CS]: / { prev = $0 }
	    END { exit bad }' ||
	    _fail "a command sent before the previous reply:" "$stderr"
}

# --- setup failures are deferrals (issue 21) --------------------------------
#
# Anything that is not the relay's verdict on the message -- the relay's
# name, the connection, its certificate or pin, the greeting, EHLO,
# STARTTLS, AUTH -- leaves the message queued (exit 0, one line saying so,
# why and what to fix), in the foreground, with -odb and in a queue run;
# once the cause is fixed, -q delivers each message exactly once.  With
# on_defer = fail the caller gets the failure's own code and nothing is
# kept.  One table (setup_break / setup_fix) drives every case.

# Q: the queue directory (write_config's), set by the tests below.

# assert_nothing_kept -- no file at all in new/, tmp/ or failed/
assert_nothing_kept() {
	local left
	left=$(find "$Q/new" "$Q/tmp" "$Q/failed" -type f 2>/dev/null)
	[ -z "$left" ] || _fail "files kept in the queue:" "$left"
}

# assert_one_stderr_line -- exactly one line on stderr
assert_one_stderr_line() {
	[ -n "$stderr" ] && [[ $stderr != *$'\n'* ]] && return 0
	_fail "expected one line on stderr, got:" "$stderr"
}

# assert_stderr_says -- stderr holds every string of SAYS
assert_stderr_says() {
	local s
	for s in "${SAYS[@]}"; do
		assert_stderr_contains "$s" || return 1
	done
}

# cert_fingerprint PEM -- "sha256:" and the lower-case hex of its DER
cert_fingerprint() {
	printf 'sha256:%s' "$(openssl x509 -in "$1" -noout -fingerprint \
	    -sha256 | sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f')"
}

# setup_break CASE -- a relay or a config that fails as CASE does.  Sets
# CONFIG (write_config's arguments for it), CODE (the exit status with
# on_defer = fail) and SAYS (what the one line on stderr must hold: the
# reason and what to fix).
setup_break() {
	certs_make
	CONFIG=()
	case $1 in
	nohost)
		CONFIG=(relay.host=relay.example.invalid)
		# 68 for a name that does not exist; a machine without any
		# name server answers EAI_AGAIN, which is temporary: 75
		CODE=$("$PYTHON3" -c 'import socket
try:
    socket.getaddrinfo("relay.example.invalid", 465)
except socket.gaierror as e:
    print(75 if e.errno == socket.EAI_AGAIN else 68)')
		SAYS=("cannot resolve relay.example.invalid" "[relay] host") ;;
	refused)
		# no server: port 1, where nothing listens
		CODE=75
		SAYS=("Connection refused" "check [relay] host and port") ;;
	untrusted)
		server_start --cert "$CERTS/otherca-server.pem" \
		    --key "$CERTS/otherca-server.key"
		CODE=69
		SAYS=("TLS certificate of localhost not accepted" "ca_file") ;;
	wronghost)
		server_start --cert "$CERTS/wronghost.pem" \
		    --key "$CERTS/wronghost.key"
		CODE=69
		SAYS=("TLS certificate of localhost not accepted" "[relay] host") ;;
	pin)
		server_start
		CONFIG=("relay.tls_fingerprint=$(cert_fingerprint \
		    "$CERTS/wronghost.pem")")
		CODE=69
		SAYS=("does not match tls_fingerprint") ;;
	token)
		server_start --token other-token
		CODE=77
		SAYS=("535 5.7.8" "api_token" "Email Sending: Edit") ;;
	auth530)
		server_start --reply auth="530 5.7.0 Authentication required"
		CODE=77
		SAYS=("530 5.7.0 Authentication required") ;;
	mail530)
		server_start --reply mail="530 5.7.0 Authentication required"
		CODE=77
		SAYS=("530 5.7.0 Authentication required") ;;
	greeting554)
		server_start --reply greeting="554 5.3.2 No service here"
		CODE=69
		SAYS=("554 5.3.2 No service here") ;;
	ehlo550)
		server_start --reply ehlo="550 5.7.1 Not you"
		CODE=69
		SAYS=("550 5.7.1 Not you") ;;
	nostarttls)
		server_start --starttls \
		    --reply 'ehlo=250-mx.example\n250-AUTH PLAIN LOGIN\n250 8BITMIME'
		CONFIG=(relay.tls=starttls)
		CODE=69
		SAYS=("does not offer STARTTLS") ;;
	*)
		_fail "setup_break: no case $1" ;;
	esac
	write_config "${CONFIG[@]}"
}

# setup_fix CASE -- what the administrator does: a good relay, a right
# config
setup_fix() {
	case $1 in
	pin)
		write_config ;;
	nostarttls)
		server_stop && server_start --starttls &&
		    write_config relay.tls=starttls ;;
	*)
		server_stop && server_start && write_config ;;
	esac
}

# no_delivery_running -- no entry is locked by a delivering process (the
# -odb child is done)
no_delivery_running() {
	! "$CFSENDMAIL" -C "$CONF" -bp 2>&1 | grep -q "being delivered"
}

# check_setup_failure CASE -- the whole story of one setup failure
check_setup_failure() {
	local i sessions mails
	Q=$BATS_TEST_TMPDIR/queue
	setup_break "$1" || return 1

	# the foreground: queued, exit 0, one line: queued, why, what to do
	run --separate-stderr send fg@example.org
	assert_status 0 || return 1
	assert_stdout_empty || return 1
	assert_one_stderr_line || return 1
	assert_stderr_contains ": queued, will retry" || return 1
	assert_stderr_says || return 1
	assert_queued 1 || return 1
	run "$CFSENDMAIL" -C "$CONF" -bp
	assert_output_contains "to <fg@example.org>" || return 1

	# -odb: the caller has its answer; the child keeps the message
	run --separate-stderr send -odb odb@example.org
	assert_status 0 || return 1
	for ((i = 0; i < 1000; i++)); do
		[ "$(grep -lx 'attempts 1' "$Q"/new/*.env 2>/dev/null |
		    wc -l)" -eq 2 ] && no_delivery_running && break
		sleep 0.01
	done
	[ "$i" -lt 1000 ] ||
	    _fail "the -odb child did not make its attempt within 10 s:" \
	    "$("$CFSENDMAIL" -C "$CONF" -bp 2>&1)" || return 1
	assert_queued 2 || return 1

	# -bs (Symfony, Laravel): 250 once spooled, then kept like -odb's
	run "$PYTHON3" "$BATS_TEST_DIRNAME/callers/bs-chat.py" - -- \
	    "$CFSENDMAIL" -C "$CONF" -bs <<'SCRIPT'
< 220
> EHLO app.example
< 250
> MAIL FROM:<app@example.com>
< 250
> RCPT TO:<bs@example.org>
< 250
> DATA
< 354
> Subject: -bs under a setup failure
>
> body
> .
< 250 2.0.0
> QUIT
< 221
exit 0
SCRIPT
	assert_status 0 || return 1
	assert_queued 3 || return 1

	# a queue run: kept; loud (the failure's code) unless temporary; it
	# stops at the first of the 4 entries: one session, one MAIL at most
	run --separate-stderr send -odq q@example.org
	assert_status 0 || return 1
	if [ -n "$SERVER_PID" ]; then
		sessions=$(sessions_count)
		mails=$(count_in_transcript "C: MAIL FROM")
	fi
	run --separate-stderr "$CFSENDMAIL" -C "$CONF" -q
	if [ "$CODE" -eq 75 ]; then
		assert_status 0 || return 1
	else
		assert_status "$CODE" || return 1
		assert_stderr_says || return 1
	fi
	assert_queued 4 || return 1
	if [ -n "$SERVER_PID" ]; then
		assert_sessions $((sessions + 1)) || return 1
		[ "$(count_in_transcript "C: MAIL FROM")" -le $((mails + 1)) ] ||
		    _fail "the run went on after a setup failure" || return 1
	fi
	run "$CFSENDMAIL" -C "$CONF" -bp
	assert_output_contains "to <q@example.org>" || return 1

	# on_defer = fail: the failure's own code, nothing more kept
	write_config "${CONFIG[@]}" delivery.on_defer=fail
	run --separate-stderr send strict@example.org
	assert_status "$CODE" || return 1
	assert_one_stderr_line || return 1
	assert_stderr_contains "not sent" || return 1
	assert_stderr_says || return 1
	assert_queued 4 || return 1
	run "$CFSENDMAIL" -C "$CONF" -bp
	refute_output_contains "strict@example.org" || return 1

	# fixed: one run delivers each kept message exactly once
	setup_fix "$1" || return 1
	run --separate-stderr "$CFSENDMAIL" -C "$CONF" -q
	assert_status 0 || return 1
	assert_each_once fg@example.org odb@example.org bs@example.org \
	    q@example.org ||
	    return 1
	assert_nothing_kept
}

@test "setup failure: relay name does not resolve (.invalid): queued, delivered once fixed" {
	check_setup_failure nohost
}

@test "setup failure: connection refused: queued, delivered once fixed" {
	check_setup_failure refused
}

@test "setup failure: certificate from an untrusted CA: queued, delivered once fixed" {
	check_setup_failure untrusted
}

@test "setup failure: certificate for another host name: queued, delivered once fixed" {
	check_setup_failure wronghost
}

@test "setup failure: tls_fingerprint pin mismatch: queued, delivered once fixed" {
	check_setup_failure pin
}

@test "setup failure: token refused (535): queued, delivered once fixed" {
	check_setup_failure token
}

@test "setup failure: 530 to AUTH: queued, delivered once fixed" {
	check_setup_failure auth530
}

@test "setup failure: 530 to MAIL (the session is not authenticated): queued, delivered once fixed" {
	check_setup_failure mail530
}

@test "setup failure: 554 greeting: queued, delivered once fixed" {
	check_setup_failure greeting554
}

@test "setup failure: EHLO refused: queued, delivered once fixed" {
	check_setup_failure ehlo550
}

@test "setup failure: starttls and no STARTTLS offered: queued, delivered once fixed" {
	check_setup_failure nostarttls
}

@test "setup failure with -v: still queued, but the exit status is the failure's (77)" {
	Q=$BATS_TEST_TMPDIR/queue
	server_start --token other-token
	write_config
	run --separate-stderr send -v fg@example.org
	assert_status 77
	assert_stderr_contains "S: 535 5.7.8 Authentication failed"
	[ "$(grep -c ': queued, will retry' <<<"$stderr")" -eq 1 ] ||
	    _fail "the queued line is not there exactly once:" "$stderr"
	assert_stderr_contains "Email Sending: Edit"
	assert_queued 1
	setup_fix token
	run --separate-stderr "$CFSENDMAIL" -C "$CONF" -q
	assert_status 0
	assert_each_once fg@example.org
	assert_nothing_kept
}

@test "setup failure: the queued line, with what to fix, is in syslog too" {
	mount_ns_or_skip
	server_start --token other-token
	syslog_start
	write_config log.syslog=yes
	run --separate-stderr with_syslog bash -c \
	    'printf "Subject: x\n\nbody\n" | "$1" -C "$2" a@example.org' _ \
	    "$CFSENDMAIL" "$CONF"
	assert_status 0
	assert_stderr_contains ": queued, will retry (cfsendmail -q): 535 5.7.8"
	syslog_sync
	assert_file_contains "$SYSLOG" ": queued, will retry (cfsendmail -q): 535 5.7.8 Authentication failed -- check that [relay] username is api_token"
	refute_file_contains "$SYSLOG" "not sent"
}

@test "--serverinfo and --check-config stay strict about a refused token and an untrusted certificate" {
	server_start --token other-token
	write_config
	run --separate-stderr "$CFSENDMAIL" -C "$CONF" --serverinfo
	assert_status 77
	assert_stderr_contains "Email Sending: Edit"
	server_stop
	certs_make
	server_start --cert "$CERTS/wronghost.pem" --key "$CERTS/wronghost.key"
	write_config
	run --separate-stderr "$CFSENDMAIL" -C "$CONF" --serverinfo
	assert_status 69
	assert_stderr_contains "not accepted"
	[ ! -e "$BATS_TEST_TMPDIR/queue/new" ] ||
	    [ -z "$(ls -A "$BATS_TEST_TMPDIR/queue/new")" ]
}

# --- partly delivered (issue 19, item 2) --------------------------------------
#
# Once the relay has taken the message for some recipients, a temporary
# failure for the others never reports it "not sent": a caller that
# retried would send the first ones a second copy.  The others stay queued
# (exit 0, on_defer = fail or not), the line says who got it and who waits.

# check_partly DEFER -- a@ accepted, b@ and c@ 451 at RCPT
check_partly() {
	Q=$BATS_TEST_TMPDIR/queue
	server_start --rcpt-reply b@example.org="451 4.3.0 Try later" \
	    --rcpt-reply c@example.org="451 4.3.0 Try later"
	write_config delivery.attempts=2 "delivery.on_defer=$1"
	run --separate-stderr send a@example.org b@example.org c@example.org
	assert_status 0
	assert_one_stderr_line
	assert_stderr_contains "sent to <a@example.org>; queued for <b@example.org>, <c@example.org>, will retry (cfsendmail -q): 451 4.3.0 Try later"
	refute_output_contains "not sent"
	assert_each_once a@example.org
	assert_queued 1
	run "$CFSENDMAIL" -C "$CONF" -bp
	assert_output_contains "to <b@example.org>"
	assert_output_contains "to <c@example.org>"
	refute_output_contains "to <a@example.org>"
	setup_fix partly
	run --separate-stderr "$CFSENDMAIL" -C "$CONF" -q
	assert_status 0
	assert_each_once b@example.org c@example.org
	assert_nothing_kept
}

@test "partly delivered, on_defer = fail: the others stay queued, exit 0, never 'not sent'" {
	check_partly fail
}

@test "partly delivered, on_defer = queue: the line says who got it and who waits" {
	check_partly queue
}

@test "partly delivered over sessions (120 recipients, the 3rd session refused): 100 sent once, 20 queued" {
	Q=$BATS_TEST_TMPDIR/queue
	server_start --reply greeting#3="421 4.3.2 Busy" \
	    --reply greeting#4="421 4.3.2 Busy"
	write_config delivery.attempts=2 delivery.on_defer=fail \
	    delivery.parallel=1
	run --separate-stderr send_to 120
	assert_status 0
	assert_one_stderr_line
	assert_stderr_contains "sent to <r001@example.org>, <r002@example.org>, <r003@example.org> and 97 more; queued for <r101@example.org>, <r102@example.org>, <r103@example.org> and 17 more, will retry"
	mapfile -t expected < <(rcpts 100)
	assert_each_once "${expected[@]}"
	assert_queued 1
	setup_fix partly
	run --separate-stderr "$CFSENDMAIL" -C "$CONF" -q
	assert_status 0
	mapfile -t expected < <(rcpts 120 | tail -n 20)
	assert_each_once "${expected[@]}"
	assert_nothing_kept
}

@test "nobody got it, on_defer = fail: 75 and nothing kept, even with a recipient refused" {
	Q=$BATS_TEST_TMPDIR/queue
	server_start --rcpt-reply a@example.org="550 5.1.1 User unknown" \
	    --rcpt-reply b@example.org="451 4.3.0 Try later"
	write_config delivery.attempts=2 delivery.on_defer=fail
	run --separate-stderr send a@example.org b@example.org
	assert_status 75
	assert_stderr_contains "<a@example.org> refused: 550 5.1.1 User unknown"
	assert_stderr_contains "not sent, try again later: 451 4.3.0 Try later"
	assert_received 0
	assert_nothing_kept
}

# --- permanent failures ---------------------------------------------------

@test "550 for 3 of 120 recipients: the 117 others get it once, exit 67" {
	server_start \
	    --rcpt-reply r007@example.org="550 5.1.1 User unknown" \
	    --rcpt-reply r060@example.org="550 5.1.1 User unknown" \
	    --rcpt-reply r113@example.org="550 5.1.1 User unknown"
	write_config
	run --separate-stderr send_to 120
	assert_status 67
	assert_stdout_empty
	mapfile -t expected < <(rcpts 120 |
	    grep -vxE 'r(007|060|113)@example.org')
	[ "${#expected[@]}" -eq 117 ]
	assert_each_once "${expected[@]}"
	assert_sessions 3
	assert_session_rcpts_at_most 50
	for r in r007 r060 r113; do
		assert_stderr_contains "<$r@example.org> refused: 550 5.1.1 User unknown"
		# refused once, never asked again
		[ "$(count_in_transcript "C: RCPT TO:<$r@example.org>")" -eq 1 ]
	done
	[ "$(grep -c 'refused' <<<"$stderr")" -eq 3 ] ||
	    _fail "expected 3 refusal lines:" "$stderr"
	assert_no_violations
}

@test "535 at AUTH, on_defer = fail: exit 77 with the api_token / Email Sending: Edit hint" {
	server_start --token other-token
	write_config delivery.on_defer=fail
	run --separate-stderr send_to 1
	assert_status 77
	assert_stdout_empty
	assert_stderr_contains "535 5.7.8"
	assert_stderr_contains "api_token"
	assert_stderr_contains "Email Sending: Edit"
	assert_received 0
	assert_sessions 1	# permanent: not retried
}

@test "550 5.7.1 at MAIL FROM: exit 69 with the onboarding hint" {
	server_start --reply mail="550 5.7.1 Sender denied"
	write_config
	run --separate-stderr send_to 2
	assert_status 69
	assert_stdout_empty
	assert_stderr_contains "550 5.7.1 Sender denied"
	assert_stderr_contains "onboard"
	assert_received 0
	assert_sessions 1
	[ "$(count_in_transcript "C: MAIL FROM:")" -eq 1 ]
}

@test "the null sender refused at MAIL FROM: its own hint, not the onboarding one" {
	server_start --reply mail="550 5.7.1 Sender denied"
	write_config
	run --separate-stderr send -f '<>' a@example.org
	assert_status 69
	assert_stderr_contains "550 5.7.1 Sender denied"
	assert_stderr_contains "the relay does not accept the null sender <>"
	[[ $stderr != *"domain is not onboarded"* ]] ||
	    _fail "the onboarding hint:" "$stderr"
	# sent as given: RFC 5321 section 4.5.5 wants <> kept
	[ "$(count_in_transcript "C: MAIL FROM:<>")" -eq 1 ]
	assert_received 0
}

@test "552 5.3.4 after the body: exit 65 with the size hint" {
	server_start --reply dot="552 5.3.4 Message too big"
	write_config
	run --separate-stderr send_to 2
	assert_status 65
	assert_stdout_empty
	assert_stderr_contains "552 5.3.4 Message too big"
	assert_stderr_contains "5 MiB"
	assert_received 0
	assert_sessions 1
	[ "$(count_in_transcript "C: MAIL FROM:")" -eq 1 ]
}

# --- -v transcript ------------------------------------------------------

@test "-v: every session's AUTH PLAIN redacted, the token never shown" {
	server_start
	write_config
	run --separate-stderr send_to 120 -v
	assert_status 0
	mapfile -t expected < <(rcpts 120)
	assert_each_once "${expected[@]}"
	assert_sessions 3
	[ "$(grep -cx 'C: AUTH PLAIN <redacted>' <<<"$stderr")" -eq 3 ] ||
	    _fail "expected 3 redacted AUTH lines:" "$stderr"
	[ "$(grep -c '^C: AUTH' <<<"$stderr")" -eq 3 ]
	[[ $stderr != *test-token* ]] || _fail "the token is shown"
	[[ $stderr != *"$(printf '\0api_token\0test-token' | base64)"* ]] ||
	    _fail "the AUTH PLAIN payload is shown"
	[[ $stderr != *"$(printf 'test-token' | base64)"* ]] ||
	    _fail "the token's base64 is shown"
}

@test "-v with AUTH LOGIN: user name and token redacted" {
	server_start --caps "AUTH LOGIN,SIZE 5242880,8BITMIME,ENHANCEDSTATUSCODES"
	write_config
	run --separate-stderr send_to 1 -v
	assert_status 0
	assert_each_once r001@example.org
	[[ $stderr == *"C: AUTH LOGIN"* ]] || _fail "no AUTH LOGIN:" "$stderr"
	[[ $stderr != *test-token* ]] || _fail "the token is shown"
	[[ $stderr != *"$(printf 'test-token' | base64)"* ]] ||
	    _fail "the token's base64 is shown:" "$stderr"
}

# --- round trips -------------------------------------------------------------

@test "one recipient costs 7 waited replies; QUIT's reply is not awaited" {
	server_start --delay-ms 20
	write_config
	run --separate-stderr send_to 1 -v
	assert_status 0
	assert_each_once r001@example.org
	assert_sessions 1
	# the client read exactly the replies to: greeting, EHLO, AUTH,
	# MAIL, RCPT, DATA and the final dot -- never QUIT's 221
	local replies
	replies=$(grep -cE '^S: [0-9]{3}( |$)' <<<"$stderr")
	[ "$replies" -eq 7 ] ||
	    _fail "the client waited for $replies replies (7 expected):" "$stderr"
	[[ $stderr != *"S: 221"* ]] || _fail "the client waited for QUIT's reply"
	# the server delayed those 7 and, after the client had gone, the 221
	# to QUIT (it counts every reply it sends)
	[ "$(count_in_transcript "C: QUIT")" -eq 1 ]
	[ "$(waits_count)" -eq 8 ] ||
	    _fail "the server delayed $(waits_count) replies (8 expected)"
}
