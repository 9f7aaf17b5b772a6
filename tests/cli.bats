#!/usr/bin/env bats
# The command line end to end against the SMTPS test server: a message
# delivered, the transcript, and each bad input with its one-line error
# and <sysexits.h> code (64 usage, 68 no host, 69 unavailable, 75 temp,
# 77 auth, 78 config).

load helpers

bats_require_minimum_version 1.5.0

send() {
	printf 'Subject: hi\n\nbody\n' | "$CFSENDMAIL" -C "$CONF" "$@"
}

@test "a message is delivered over implicit TLS with AUTH PLAIN" {
	server_start
	write_config
	run send someone@example.org
	assert_status 0
	[ "$(received_count)" -eq 1 ]
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	[ "$(envelope_field 1 rcpt_tos)" = someone@example.org ]
	[ "$(envelope_field 1 auth)" = PLAIN ]
	[ "$(envelope_field 1 sni)" = localhost ]
	assert_file_contains "$(received 1)" $'Subject: hi\r\n'
	assert_file_contains "$(received 1)" $'\r\n\r\nbody\r\n'
	assert_no_violations
}

@test "AUTH LOGIN is used when the server offers only LOGIN" {
	server_start --caps "AUTH LOGIN,SIZE 5242880,8BITMIME,ENHANCEDSTATUSCODES"
	write_config
	run send someone@example.org
	assert_status 0
	[ "$(envelope_field 1 auth)" = LOGIN ]
}

@test "-v shows the transcript with AUTH redacted and the relay's id" {
	server_start
	write_config
	run send -v someone@example.org
	assert_status 0
	assert_output_contains "C: AUTH PLAIN <redacted>"
	assert_output_contains "S: 250 2.0.0 Ok <"
	refute_output_contains "test-token"
	refute_output_contains "$(printf '\0api_token\0test-token' | base64)"
}

@test "the token is read from token_file" {
	server_start
	printf 'test-token\n' > "$BATS_TEST_TMPDIR/token"
	chmod 600 "$BATS_TEST_TMPDIR/token"
	write_config -relay.token relay.token_file="$BATS_TEST_TMPDIR/token"
	run send someone@example.org
	assert_status 0
	[ "$(received_count)" -eq 1 ]
}

@test "IPv6 loopback works and sends no SNI for an IP literal" {
	server_start --host ::1
	write_config relay.host=::1
	run send someone@example.org
	assert_status 0
	[ "$(envelope_field 1 sni)" = null ] || [ -z "$(envelope_field 1 sni)" ]
}

@test "a missing config file: exit 78 naming the file" {
	run "$CFSENDMAIL" -C "$BATS_TEST_TMPDIR/nope.ini" a@example.org </dev/null
	assert_status 78
	assert_output_contains "nope.ini"
}

@test "a config that is not a file: exit 78" {
	run "$CFSENDMAIL" -C "$BATS_TEST_TMPDIR" a@example.org </dev/null
	assert_status 78
	assert_output_contains "not a regular file"
}

@test "a bad port: exit 78 with file and line" {
	write_config relay.port=70000
	run send a@example.org
	assert_status 78
	assert_output_contains "conf.ini:3: port: value too large"
}

@test "an unknown key: exit 78 with file and line" {
	write_config relay.hots=x
	run send a@example.org
	assert_status 78
	assert_output_contains 'unknown key "hots" in [relay]'
}

@test "a config with the token readable by others: exit 78" {
	write_config
	chmod 644 "$CONF"
	run send a@example.org
	assert_status 78
	assert_output_contains "readable or writable by others"
}

@test "an unknown host: queued with the reason, or exit 68 with on_defer = fail" {
	write_config relay.host=nonexistent.invalid
	run send a@example.org
	assert_status 0
	assert_output_contains "queued, will retry"
	assert_output_contains "cannot resolve nonexistent.invalid"
	write_config relay.host=nonexistent.invalid delivery.on_defer=fail
	run send a@example.org
	assert_status 68
	assert_output_contains "cannot resolve nonexistent.invalid"
}

@test "connection refused: queued with the reason, or exit 75 with on_defer = fail" {
	write_config delivery.attempts=1
	run send a@example.org
	assert_status 0
	assert_output_contains "queued, will retry"
	assert_output_contains "Connection refused"
	run "$CFSENDMAIL" -C "$CONF" -bp
	assert_output_contains "to <a@example.org>"

	write_config delivery.attempts=1 delivery.on_defer=fail
	run send b@example.org
	assert_status 75
	assert_output_contains "Connection refused"
}

@test "a certificate for another host name: exit 69 with on_defer = fail, nothing sent" {
	certs_make
	server_start --cert "$CERTS/wronghost.pem" --key "$CERTS/wronghost.key"
	write_config delivery.on_defer=fail
	run send a@example.org
	assert_status 69
	assert_output_contains "TLS certificate of localhost not accepted"
	[ "$(received_count)" -eq 0 ]
}

@test "a certificate from an untrusted CA: exit 69 with on_defer = fail" {
	certs_make
	server_start --cert "$CERTS/otherca-server.pem" --key "$CERTS/otherca-server.key"
	write_config delivery.on_defer=fail
	run send a@example.org
	assert_status 69
	assert_output_contains "not accepted"
}

@test "a wrong token (535): exit 77 with on_defer = fail, the relay's reply and the hint" {
	server_start --token other-token
	write_config delivery.on_defer=fail
	run send a@example.org
	assert_status 77
	assert_output_contains "535 5.7.8 Authentication failed"
	assert_output_contains "api_token"
	assert_output_contains "Email Sending: Edit"
}

@test "-v shows the transcript, and the final error line once" {
	server_start --token other-token
	write_config
	run --separate-stderr send -v a@example.org
	assert_status 77
	assert_stderr_contains "S: 535 5.7.8 Authentication failed"
	[ "$(grep -c 'queued, will retry' <<<"$stderr")" -eq 1 ] ||
	    _fail "the final error is not there exactly once:" "$stderr"
}

@test "usage errors exit 64" {
	run "$CFSENDMAIL" -Z
	assert_status 64
	assert_output_contains "usage:"
}

@test "--version and --help" {
	run "$CFSENDMAIL" --version
	assert_status 0
	assert_output_contains "cfsendmail "
	run "$CFSENDMAIL" --help
	assert_status 0
	assert_output_contains "--serverinfo"
}

@test "--serverinfo describes TLS, certificate, capabilities and AUTH, sends nothing" {
	server_start
	write_config
	run "$CFSENDMAIL" -C "$CONF" --serverinfo
	assert_status 0
	assert_output_contains "TLS: TLS1.3, cipher"
	assert_output_contains "certificate subject: CN=localhost"
	assert_output_contains "certificate issuer:"
	assert_output_contains "certificate expires:"
	assert_output_contains "certificate verified: yes"
	assert_output_contains "SIZE(5.0 MiB)"
	assert_output_contains "8BITMIME"
	assert_output_contains "AUTH: accepted as api_token"
	[ "$(received_count)" -eq 0 ]
	refute_file_contains "$(transcript)" "MAIL FROM"
}

@test "--serverinfo with a wrong token: exit 77 and what to do" {
	server_start --token other-token
	write_config
	run "$CFSENDMAIL" -C "$CONF" --serverinfo
	assert_status 77
	assert_output_contains "535 5.7.8"
	assert_output_contains "Email Sending: Edit"
}

@test "--check-config needs no network and finds a missing token" {
	write_config
	run "$CFSENDMAIL" -C "$CONF" --check-config
	assert_status 0
	assert_output_contains "OK"
	write_config -relay.token
	run "$CFSENDMAIL" -C "$CONF" --check-config
	assert_status 78
	assert_output_contains "no [relay] token or token_file"
}

@test "invoked as mailq and newaliases" {
	# the name is what counts: link the binary itself, not a wrapper
	ln -s "${CFSENDMAIL_BIN:-$CFSENDMAIL}" "$BATS_TEST_TMPDIR/mailq"
	ln -s "${CFSENDMAIL_BIN:-$CFSENDMAIL}" "$BATS_TEST_TMPDIR/newaliases"
	write_config
	run "$BATS_TEST_TMPDIR/mailq" -C "$CONF"
	assert_status 0
	assert_output "Mail queue is empty"
	run "$BATS_TEST_TMPDIR/newaliases"
	assert_status 0
}

# --- an administrator's mistakes (issue 19) -----------------------------------

# refused_everywhere WANT -- with $CONF, --check-config and a submission
# both exit 78 with WANT on stderr, and nothing is queued or sent
refused_everywhere() {
	run --separate-stderr timeout 10 "$CFSENDMAIL" -C "$CONF" --check-config
	assert_status 78
	assert_stderr_contains "$1"
	run --separate-stderr timeout 10 bash -c \
	    'printf "Subject: x\n\nbody\n" | "$1" -C "$2" root' _ \
	    "$CFSENDMAIL" "$CONF"
	assert_status 78
	assert_stderr_contains "$1"
	[ -z "$(find "$BATS_TEST_TMPDIR/queue" -type f 2>/dev/null)" ] ||
	    _fail "queued: $(find "$BATS_TEST_TMPDIR/queue" -type f)"
	assert_sessions 0
}

# line_of TEXT -- the line number of the first line of $CONF holding TEXT
line_of() {
	grep -nF -- "$1" "$CONF" | head -n 1 | cut -d: -f1
}

@test "--check-config and submissions refuse what every delivery would trip on, with file:line" {
	server_start
	local -a cases=(
	    'root = ops@example.com # the team'
		"alias root: '#' after a space in the value: a comment on a key's line starts with ';'"
	    'root = a@b@c'
		"alias root: unexpected '@' at offset 3"
	    'root = ops@ex_ample.com'
		'alias root: invalid character in domain: "ops@ex_ample.com"'
	)
	local c
	for ((c = 0; c < ${#cases[@]}; c += 2)); do
		write_config '[aliases]' "${cases[c]}"
		refused_everywhere "$CONF:$(line_of "${cases[c]}"): ${cases[c + 1]}"
	done
	cases=(
	    'relay.token=test-token # x'
		"token: '#' after a space in the value: a comment on a key's line starts with ';'"
	    'relay.token="test-token"'
		'token: in quotes: the quotes would be sent as part of the password; remove them'
	    "relay.token='test-token'"
		'token: in quotes: the quotes would be sent as part of the password; remove them'
	    'sender.from=a@b@c'
		"from: more than one '@' in address: \"a@b@c\""
	    'sender.domain=ex_ample.com'
		'domain: invalid character in domain: "ex_ample.com"'
	    'queue.bounce_to=ops@example.com ; fine, but: a@b'
		''
	)
	for ((c = 0; c < ${#cases[@]}; c += 2)); do
		[ -n "${cases[c + 1]}" ] || continue
		write_config "${cases[c]}"
		refused_everywhere "$CONF:$(line_of "${cases[c]#*=}"): ${cases[c + 1]}"
	done
	write_config queue.bounce_to=a@b@c
	refused_everywhere "$CONF:$(line_of bounce_to): bounce_to: more than one '@' in address: \"a@b@c\""
}

@test "an unqualified alias target without [sender] domain: the message says so" {
	server_start
	write_config -sender.domain '[aliases]' 'root = admin'
	refused_everywhere "$CONF:$(line_of 'root = admin'): alias root: \"admin\" has no domain and no [sender] domain is set to qualify it"
	[[ $stderr != *"has no alias"* ]] || _fail "still 'has no alias': $stderr"
}

@test "--check-config: bounce_to without [sender] from disables notices: 78" {
	server_start
	write_config -sender.from queue.bounce_to=postmaster@example.com
	run --separate-stderr "$CFSENDMAIL" -C "$CONF" --check-config
	assert_status 78
	assert_stderr_contains "$CONF:$(line_of bounce_to): bounce_to is set but [sender] from is not: notices of failed mail would never be sent; set from"
	# mail itself still goes
	run send someone@example.org
	assert_status 0
	assert_received 1
}

@test "--check-config lists the names that make an address local" {
	write_config sender.local_domains='lan.example, B'$'\xc3\xbc''ro.example'
	run "$CFSENDMAIL" -C "$CONF" --check-config
	assert_status 0
	assert_output_contains "local names: bare names, @localhost, @localhost.localdomain, @$(uname -n | tr A-Z a-z)"
	assert_output_contains ", @lan.example, @xn--bro-hoa.example"
}

@test "a token file that starts with a UTF-8 byte order mark: the mark is dropped" {
	server_start
	printf '\xef\xbb\xbftest-token\r\n' >"$BATS_TEST_TMPDIR/token"
	chmod 600 "$BATS_TEST_TMPDIR/token"
	write_config -relay.token relay.token_file="$BATS_TEST_TMPDIR/token"
	run send someone@example.org
	assert_status 0
	assert_received 1
}

@test "a FIFO as the config, token_file or ca_file: 78 at once, never a hang" {
	server_start
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	write_config
	local conf=$CONF
	CONF=$BATS_TEST_TMPDIR/fifo
	refused_everywhere "$BATS_TEST_TMPDIR/fifo: not a regular file"
	CONF=$conf
	write_config -relay.token relay.token_file="$BATS_TEST_TMPDIR/fifo"
	refused_everywhere "$CONF:$(line_of token_file): token_file: the file it names is not a regular file"
	write_config relay.ca_file="$BATS_TEST_TMPDIR/fifo"
	refused_everywhere "$CONF:$(line_of ca_file): ca_file: $BATS_TEST_TMPDIR/fifo: not a regular file"
}

@test "a token pasted as token_file is never printed: not on stderr, in -v or syslog" {
	local tok="cfTok3n-$RANDOM$RANDOM-abcdefghijklmnopqrstu"
	mount_ns_or_skip
	server_start
	syslog_start
	# the capture works: a message delivered is logged
	write_config log.syslog=yes
	run with_syslog bash -c \
	    'printf "Subject: x\n\nbody\n" | "$1" -C "$2" a@example.org' _ \
	    "$CFSENDMAIL" "$CONF"
	assert_status 0
	syslog_sync
	assert_file_contains "$SYSLOG" "queued from <alerts@example.com>"
	write_config log.syslog=yes -relay.token "relay.token_file=$tok"
	local want="$CONF:$(line_of token_file): token_file: cannot open the file it names: No such file or directory"
	for args in "-v a@example.org" "--check-config" "-q -v" "--serverinfo -v"; do
		# shellcheck disable=SC2086
		run --separate-stderr with_syslog bash -c \
		    'printf "Subject: x\n\nbody\n" | "$1" -C "$2" $3' _ \
		    "$CFSENDMAIL" "$CONF" "$args"
		assert_status 78
		assert_stderr_contains "$want"
		[[ $output != *"$tok"* && $stderr != *"$tok"* ]] ||
		    _fail "$args: the token was printed:" "$output" "$stderr"
	done
	syslog_sync
	refute_file_contains "$SYSLOG" "$tok"
	assert_sessions 1
}

# --- notices and what is logged (issue 19) -------------------------------------


@test "-bv and refusal lines escape C1 controls and bidi overrides in addresses" {
	write_config
	# the UTF-8 bytes of U+202E and U+009B: $'\u...' would need a UTF-8
	# locale, which a fresh system (and cron) does not have
	local rlo=$'a\xe2\x80\xaeb@example.org' csi=$'c\xc2\x9b2Jd@example.org'
	run --separate-stderr "$CFSENDMAIL" -C "$CONF" -bv "$rlo" ok@example.org "$csi"
	assert_status 67
	assert_output $'sender: <alerts@example.com>\nrecipient: <ok@example.org>'
	assert_stderr_contains '<a\u202eb@example.org> refused: the local part is not ASCII'
	assert_stderr_contains '<c\u009b2Jd@example.org> refused: the local part is not ASCII'
	[[ $stderr != *$'\xe2\x80\xae'* && $stderr != *$'\xc2\x9b'* ]] ||
	    _fail "raw C1 or bidi on stderr:" "$(cat -A <<<"$stderr")"
	# the same from a submission
	run --separate-stderr send -odq "$rlo" ok@example.org
	assert_status 67
	assert_stderr_contains '<a\u202eb@example.org> refused'
	[[ $stderr != *$'\xe2\x80\xae'* ]] || _fail "raw bidi on stderr:" "$stderr"
}


@test "a submission refused locally (65, 67, 78) leaves one syslog line: the reason, sender and count, no header, no token" {
	mount_ns_or_skip
	syslog_start
	local lines c
	local -a cases=(
	    65 'Subject: secret-subject\n\nbo\0dy\n' a@example.org
		'the message holds NUL bytes'
		'; sender <alerts@example.com>, 1 recipient'
	    67 'Subject: secret-subject\n\nbody\n' b$'\xc3\xa4'r@example.org
		'no recipient left to send to'
		'; sender <alerts@example.com>, 1 recipient'
	    78 'Subject: secret-subject\n\nbody\n' c@example.org
		'no sender address'
		'; sender not known, 0 recipients'
	)
	for ((c = 0; c < ${#cases[@]}; c += 5)); do
		if [ "${cases[c]}" = 78 ]; then
			write_config log.syslog=yes -sender.from -sender.domain
		else
			write_config log.syslog=yes
		fi
		: >"$SYSLOG"
		run --separate-stderr with_syslog bash -c \
		    'printf "$3" | "$1" -C "$2" "$4"' _ "$CFSENDMAIL" "$CONF" \
		    "${cases[c + 1]}" "${cases[c + 2]}"
		assert_status "${cases[c]}"
		syslog_sync
		lines=$(syslog_records)
		[ "$(grep -c . <<<"$lines")" -eq 1 ] ||
		    _fail "exit ${cases[c]}: expected one syslog line, got:" "$lines"
		[[ $lines == *"refused, nothing queued (exit ${cases[c]}): "*"${cases[c + 3]}"* ]] ||
		    _fail "exit ${cases[c]}: not the refusal:" "$lines"
		[[ $lines == *"${cases[c + 4]}"* ]] ||
		    _fail "exit ${cases[c]}: no sender and count:" "$lines"
		[[ $lines != *secret-subject* && $lines != *test-token* ]] ||
		    _fail "header contents or the token in syslog:" "$lines"
	done
	# a config that cannot be read refuses the message too
	write_config log.syslog=yes 'bogus = 1'
	: >"$SYSLOG"
	run --separate-stderr with_syslog bash -c \
	    'printf "Subject: secret-subject\n\nbody\n" | "$1" -C "$2" a@example.org' \
	    _ "$CFSENDMAIL" "$CONF"
	assert_status 78
	syslog_sync
	lines=$(syslog_records)
	[ "$(grep -c . <<<"$lines")" -eq 1 ] ||
	    _fail "config error: expected one syslog line, got:" "$lines"
	[[ $lines == *"refused, nothing queued (exit 78): $CONF:"* ]] ||
	    _fail "config error: not the refusal:" "$lines"
	[[ $lines != *secret-subject* && $lines != *test-token* ]] ||
	    _fail "header contents or the token in syslog:" "$lines"
}

@test "the log names the message's own Message-ID, queued and sent, next to the relay's id" {
	server_start
	write_config
	run --separate-stderr bash -c 'printf "Subject: x\nMessage-ID: <given.1@example.org>\n\nbody\n" |
	    "$1" -C "$2" -v a@example.org' _ "$CFSENDMAIL" "$CONF"
	assert_status 0
	assert_stderr_contains ", Message-ID <given.1@example.org>"
	local line
	line=$(grep ': sent to 1 recipient via ' <<<"$stderr")
	[[ $line == *": 250 2.0.0 Ok <"*"@"*">; Message-ID <given.1@example.org>" ]] ||
	    _fail "no Message-ID beside the relay's id:" "$stderr"
	# one added by cfsendmail, sent by a queue run
	run --separate-stderr send -odq -v b@example.org
	assert_status 0
	[[ $stderr =~ ([0-9]+\.[0-9]+\.[0-9a-f]+):\ queued ]] ||
	    _fail "no queued line:" "$stderr"
	local id=${BASH_REMATCH[1]}
	assert_stderr_contains ", Message-ID <$id@example.com>"
	run --separate-stderr "$CFSENDMAIL" -C "$CONF" -q -v
	assert_status 0
	assert_stderr_contains "; Message-ID <$id@example.com>"
	assert_file_contains "$(received 2)" "Message-ID: <$id@example.com>"
}

@test "notices in the log: bounce_to without [sender] from, once per run; a notice that failed, loudly" {
	mount_ns_or_skip
	server_start --rcpt-reply gone@example.org="550 5.1.1 User unknown" \
	    --rcpt-reply admin@example.com="550 5.1.1 No such admin"
	syslog_start
	write_config log.syslog=yes -sender.from queue.bounce_to=admin@example.com
	send -odq gone@example.org
	send -odq gone@example.org
	run --separate-stderr with_syslog "$CFSENDMAIL" -C "$CONF" -q
	assert_status 0
	syslog_sync
	[ "$(grep -c "bounce_to is set but \[sender\] from is not" "$SYSLOG")" -eq 1 ] ||
	    _fail "expected one line about bounce_to:" "$(cat "$SYSLOG")"
	assert_file_contains "$SYSLOG" "no notice was sent for the 2 messages given up in this run"
	# a run with nothing given up says nothing of it
	: >"$SYSLOG"
	send -odq ok@example.org
	run --separate-stderr with_syslog "$CFSENDMAIL" -C "$CONF" -q
	assert_status 0
	syslog_sync
	refute_file_contains "$SYSLOG" "bounce_to"

	# with from: the notice goes out, is refused, and the log says so
	write_config log.syslog=yes queue.bounce_to=admin@example.com
	send -odq gone@example.org
	: >"$SYSLOG"
	run --separate-stderr with_syslog "$CFSENDMAIL" -C "$CONF" -q
	assert_status 0
	syslog_sync
	local id
	id=$(grep -o '[0-9]*\.[0-9]*\.[0-9a-f]*: <gone@example.org> refused' "$SYSLOG" | cut -d: -f1)
	[ -n "$id" ] || _fail "no refusal logged:" "$(cat "$SYSLOG")"
	: >"$SYSLOG"
	run --separate-stderr with_syslog "$CFSENDMAIL" -C "$CONF" -q
	assert_status 0
	syslog_sync
	assert_file_contains "$SYSLOG" "the administrator never learned that $id failed"
}
