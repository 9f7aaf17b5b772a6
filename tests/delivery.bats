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

# assert_queue_empty -- nothing waits in the queue, nothing in failed/
assert_queue_empty() {
	local out
	out=$("$CFSENDMAIL" -C "$CONF" -bp 2>&1)
	[ "$out" = "Mail queue is empty" ] && return 0
	_fail "expected an empty queue; cfsendmail -bp says:" "$out"
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
	server_start --reply dot#1="451 4.3.0 Local error"
	write_config
	run --separate-stderr send_to 3
	assert_status 0
	assert_stdout_empty
	assert_stderr_empty
	assert_queue_empty
	assert_received 1
	assert_each_once r001@example.org r002@example.org r003@example.org
	# two transactions: the refused one and the good one
	[ "$(count_in_transcript "C: MAIL FROM:")" -eq 2 ]
	[ "$(count_in_transcript "C: <DATA ")" -eq 2 ]
	assert_no_violations
}

@test "connection dropped mid-DATA: retried, delivered once" {
	server_start --drop midata#1
	write_config
	run --separate-stderr send_to 3
	assert_status 0
	assert_stdout_empty
	assert_stderr_empty
	assert_queue_empty
	assert_received 1
	assert_each_once r001@example.org r002@example.org r003@example.org
	assert_sessions 2
	[ "$(envelope_field 1 session)" -eq 2 ]
	assert_no_violations
}

@test "connection dropped at the second RCPT: the first recipient is not taken for sent" {
	# r001 had its 250 to RCPT but no message: it goes in the retry too
	server_start --drop rcpt#2
	write_config
	run --separate-stderr send_to 3
	assert_status 0
	assert_stdout_empty
	assert_stderr_empty
	assert_queue_empty
	assert_received 1
	assert_each_once r001@example.org r002@example.org r003@example.org
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

@test "535 at AUTH: exit 77 with the api_token / Email Sending: Edit hint" {
	server_start --token other-token
	write_config
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
