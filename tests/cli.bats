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

@test "an unknown host: exit 68" {
	write_config relay.host=nonexistent.invalid
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

@test "a certificate for another host name: exit 69, nothing sent" {
	certs_make
	server_start --cert "$CERTS/wronghost.pem" --key "$CERTS/wronghost.key"
	write_config
	run send a@example.org
	assert_status 69
	assert_output_contains "TLS certificate of localhost not accepted"
	[ "$(received_count)" -eq 0 ]
}

@test "a certificate from an untrusted CA: exit 69" {
	certs_make
	server_start --cert "$CERTS/otherca-server.pem" --key "$CERTS/otherca-server.key"
	write_config
	run send a@example.org
	assert_status 69
	assert_output_contains "not accepted"
}

@test "a wrong token (535): exit 77 with the relay's reply and the hint" {
	server_start --token other-token
	write_config
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
	[ "$(grep -c 'not sent' <<<"$stderr")" -eq 1 ] ||
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
