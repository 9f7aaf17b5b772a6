#!/usr/bin/env bats
# TLS (issue 6), end to end against the test server with certificates made
# at test time (tests/server/mkcerts.sh): a certificate for the wrong host
# name, a self-signed one, an expired one and one from a CA we do not trust
# are refused with one clear line and nothing is sent: the message stays
# queued (exit 0; a setup failure, issue 21), or with on_defer = fail the
# caller gets 69 and nothing is kept; a TLS
# 1.1-only server is refused, never negotiated down; SNI is sent for a
# host name and not for an IP literal; the [relay] tls_fingerprint pin;
# tls = starttls never says a word past EHLO in plaintext when STARTTLS is
# missing or fails, and tls = implicit never falls back to plaintext.

load helpers

bats_require_minimum_version 1.5.0

# send [ARG...] -- submit a small message with the test config, bounded
send() {
	printf 'Subject: tls test\n\nbody\n' |
	    timeout 60 "$CFSENDMAIL" -C "$CONF" "$@" to@example.org
}

# server_fingerprint [PEM] -- SHA-256 of the certificate's DER, lower-case
# hex without colons (the first certificate of PEM, default server.pem)
server_fingerprint() {
	openssl x509 -in "${1:-$CERTS/server.pem}" -noout -fingerprint \
	    -sha256 | sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f'
}

# assert_one_line -- stderr (the output of `run --separate-stderr`) is
# exactly one line: what happened and what to do
assert_one_line() {
	local n
	n=$(printf '%s\n' "$stderr" | grep -c .)
	[ "$n" -eq 1 ] && return 0
	_fail "expected one line on stderr, got $n:" "$stderr"
}

# assert_no_plaintext_commands -- the client sent nothing but EHLO/HELO,
# STARTTLS and QUIT before TLS was up (the server logs "-- TLS" when the
# handshake completes); MAIL, AUTH, RCPT and DATA in particular never
assert_no_plaintext_commands() {
	local t bad
	t=$(transcript) || return 1
	bad=$(awk '$2 == "--" && $3 ~ /^TLS/ { tls[$1] = 1 }
	    $2 == "C:" && !tls[$1] && toupper($3) !~ /^(EHLO|HELO|STARTTLS|QUIT)$/ {
		print }' "$t")
	[ -z "$bad" ] && return 0
	_fail "commands sent in plaintext:" "$bad"
}

# assert_kept N -- N entries wait in new/, none in failed/
assert_kept() {
	local q=$BATS_TEST_TMPDIR/queue n f
	n=$(find "$q/new" -name '*.env' 2>/dev/null | wc -l)
	f=$(find "$q/failed" -name '*.env' 2>/dev/null | wc -l)
	[ "$n" -eq "$1" ] && [ "$f" -eq 0 ] && return 0
	_fail "expected $1 entries in new/ and none in failed/, found $n and $f"
}

# refused_cert NAME -- the server presents $CERTS/NAME.pem; the client
# must refuse it with one line and send nothing: queued (exit 0), or with
# on_defer = fail exit 69 and nothing kept
refused_cert() {
	server_start --cert "$CERTS/$1.pem" --key "$CERTS/$1.key"
	write_config
	run --separate-stderr send
	assert_status 0
	assert_one_line
	[[ $stderr == *": queued, will retry"*"TLS certificate of localhost not accepted"* ]] ||
	    _fail "no queued certificate error on stderr:" "$stderr"
	assert_kept 1
	write_config delivery.on_defer=fail
	run --separate-stderr send
	assert_status 69
	assert_one_line
	[[ $stderr == *"TLS certificate of localhost not accepted"* ]] ||
	    _fail "no certificate error on stderr:" "$stderr"
	assert_kept 1
	[ "$(received_count)" -eq 0 ]
	# refused before AUTH: the token was never sent to that server
	refute_file_contains "$(transcript)" "C: AUTH"
	refute_file_contains "$(transcript)" "C: MAIL"
}

setup() {
	certs_make
}

# --- certificate verification ---------------------------------------------

@test "tls: the right certificate is accepted (control)" {
	server_start
	write_config
	run --separate-stderr send
	assert_status 0
	[ "$(received_count)" -eq 1 ]
	[ "$(envelope_field 1 tls)" != "" ]
}

@test "tls: TLS 1.3 key exchange over X25519" {
	server_start
	write_config
	run --separate-stderr send -v
	assert_status 0
	[[ $stderr == *"TLS session (TLS1.3)-(ECDHE-X25519)-"* ]] ||
	    _fail "not TLS 1.3 with X25519:" "$stderr"
}

@test "tls: a certificate for another host name is refused (queued; 69)" {
	refused_cert wronghost
	[[ $stderr == *"name"* ]] ||
	    _fail "the error does not say the host name is wrong:" "$stderr"
}

@test "tls: a self-signed certificate is refused (queued; 69)" {
	refused_cert selfsigned
}

@test "tls: an expired certificate is refused (queued; 69)" {
	refused_cert expired
	[[ $stderr == *"expired"* ]] ||
	    _fail "the error does not say the certificate expired:" "$stderr"
}

@test "tls: a certificate from an untrusted CA is refused (queued; 69)" {
	refused_cert otherca-server
}

@test "tls: a TLS 1.1-only server is refused, never negotiated down" {
	# smtpd.py exits 1 when this OpenSSL cannot do TLS 1.1 at all
	if ! server_start --tls-max 1.1 2>"$BATS_TEST_TMPDIR/start.err"; then
		skip "this OpenSSL cannot serve TLS 1.1: $(cat \
		    "$BATS_TEST_TMPDIR/start.err")"
	fi
	write_config
	run --separate-stderr send
	[ "$status" -ne 0 ] || [[ $stderr == *queued* ]] ||
	    _fail "TLS 1.1 was accepted:" "$stderr"
	[[ $stderr == *"TLS handshake with localhost failed"* ]] ||
	    _fail "no clear TLS handshake error:" "$stderr"
	assert_one_line
	[ "$(received_count)" -eq 0 ]
	refute_file_contains "$(transcript)" "C: EHLO"
	refute_file_contains "$(transcript)" "TLSv1.1"
}

# --- SNI ------------------------------------------------------------------

@test "tls: SNI is the configured host name" {
	server_start
	write_config relay.host=localhost
	run send
	assert_status 0
	[ "$(envelope_field 1 sni)" = localhost ]
}

@test "tls: no SNI for an IP literal (RFC 6066), verified by IP SAN" {
	server_start
	write_config relay.host=127.0.0.1
	run send
	assert_status 0
	[ "$(received_count)" -eq 1 ]
	[ -z "$(envelope_field 1 sni)" ]
	[ -n "$(envelope_field 1 tls)" ]
}

@test "tls: an IP literal not in the certificate is refused" {
	# the wronghost certificate has neither a localhost nor an IP SAN
	server_start --cert "$CERTS/wronghost.pem" --key "$CERTS/wronghost.key"
	write_config relay.host=127.0.0.1 delivery.on_defer=fail
	run --separate-stderr send
	assert_status 69
	[ "$(received_count)" -eq 0 ]
}

# --- tls_fingerprint ------------------------------------------------------

@test "tls: the right tls_fingerprint pin delivers (plain lower-case hex)" {
	server_start
	write_config "relay.tls_fingerprint=sha256:$(server_fingerprint)"
	run send
	assert_status 0
	[ "$(received_count)" -eq 1 ]
}

@test "tls: the pin may be upper-case with colons (openssl's output)" {
	local fp
	fp=$(openssl x509 -in "$CERTS/server.pem" -noout -fingerprint -sha256)
	server_start
	write_config "relay.tls_fingerprint=SHA256:${fp#*=}"
	run send
	assert_status 0
	[ "$(received_count)" -eq 1 ]
}

@test "tls: certtool's fingerprint works as the pin" {
	local fp
	fp=$(certtool --fingerprint --hash sha256 --infile "$CERTS/server.pem")
	server_start
	write_config "relay.tls_fingerprint=sha256:$fp"
	run send
	assert_status 0
	[ "$(received_count)" -eq 1 ]
}

@test "tls: a wrong pin is refused (queued; 69) and the server's is printed" {
	local right wrong
	right=$(server_fingerprint)
	wrong=$(server_fingerprint "$CERTS/wronghost.pem")
	server_start
	write_config "relay.tls_fingerprint=sha256:$wrong"
	run --separate-stderr send
	assert_status 0
	assert_one_line
	assert_kept 1
	[[ $stderr == *": queued, will retry"*"does not match tls_fingerprint"* ]] ||
	    _fail "no queued pin error:" "$stderr"
	write_config "relay.tls_fingerprint=sha256:$wrong" \
	    delivery.on_defer=fail
	run --separate-stderr send
	assert_status 69
	assert_one_line
	assert_kept 1
	[[ $stderr == *"does not match tls_fingerprint"* ]] ||
	    _fail "no pin error:" "$stderr"
	[[ $stderr == *"sha256:$right"* ]] ||
	    _fail "the server's fingerprint is not printed:" "$stderr"
	[ "$(received_count)" -eq 0 ]
	refute_file_contains "$(transcript)" "C: AUTH"
}

@test "tls: a pinned relay presenting another key on reconnect is refused" {
	# the first session is dropped at MAIL; the retry's connection shows
	# server2.pem: same CA, same name, so only the pin can tell
	server_start --drop 'mail#1' --next-cert "$CERTS/server2.pem" \
	    --next-key "$CERTS/server2.key"
	write_config "relay.tls_fingerprint=sha256:$(server_fingerprint)" \
	    delivery.attempts=2
	run --separate-stderr send
	assert_one_line
	[[ $stderr == *"does not match tls_fingerprint (server's is sha256:$(
	    server_fingerprint "$CERTS/server2.pem"))"* ]] ||
	    _fail "the second key was not refused by the pin:" "$stderr"
	[ "$(sessions_count)" -eq 2 ]
	[ "$(received_count)" -eq 0 ]
	# the token never went to the second key
	refute_file_contains "$(transcript)" "2 C: AUTH"
	# not lost: it waits in the queue for the administrator's fix
	assert_status 0
	assert_kept 1
}

@test "tls: the pin applies on top of verification, not instead of it" {
	# a pinned self-signed certificate is still not trusted by ca_file
	server_start --cert "$CERTS/selfsigned.pem" --key "$CERTS/selfsigned.key"
	write_config "relay.tls_fingerprint=sha256:$(server_fingerprint \
	    "$CERTS/selfsigned.pem")" delivery.on_defer=fail
	run --separate-stderr send
	assert_status 69
	[ "$(received_count)" -eq 0 ]
}

@test "tls: a pin without the sha256: prefix is a config error (78)" {
	server_start
	write_config "relay.tls_fingerprint=$(server_fingerprint)"
	run --separate-stderr send
	assert_status 78
	assert_one_line
	[[ $stderr == *"tls_fingerprint"* ]] || _fail "unclear:" "$stderr"
	[ "$(sessions_count)" -eq 0 ]
}

@test "tls: a pin with trailing characters is not taken as a match" {
	# only the first 64 hex digits must not count: a pin longer than a
	# SHA-256 is a typo (or two pins pasted together), never a match
	server_start
	write_config "relay.tls_fingerprint=sha256:$(server_fingerprint)00"
	run --separate-stderr send
	[ "$status" -eq 78 ] || [ "$status" -eq 69 ] ||
	    _fail "expected 78 or 69, got $status:" "$stderr"
	[ "$(received_count)" -eq 0 ]
}

@test "tls: a pin too short is not taken as a match" {
	local fp
	fp=$(server_fingerprint)
	server_start
	write_config "relay.tls_fingerprint=sha256:${fp:0:32}"
	run --separate-stderr send
	[ "$status" -eq 78 ] || [ "$status" -eq 69 ] ||
	    _fail "expected 78 or 69, got $status:" "$stderr"
	[ "$(received_count)" -eq 0 ]
}

# --- STARTTLS ---------------------------------------------------------------

@test "tls: starttls delivers over TLS after STARTTLS" {
	server_start --starttls
	write_config relay.tls=starttls
	run --separate-stderr send
	assert_status 0
	[ "$(received_count)" -eq 1 ]
	[ -n "$(envelope_field 1 tls)" ]
	[ "$(envelope_field 1 sni)" = localhost ]
	assert_file_contains "$(transcript)" "C: STARTTLS"
	assert_no_plaintext_commands
}

@test "tls: starttls still verifies the certificate after STARTTLS" {
	server_start --starttls --cert "$CERTS/wronghost.pem" \
	    --key "$CERTS/wronghost.key"
	write_config relay.tls=starttls delivery.on_defer=fail
	run --separate-stderr send
	assert_status 69
	[ "$(received_count)" -eq 0 ]
	assert_no_plaintext_commands
	refute_file_contains "$(transcript)" "C: AUTH"
}

@test "tls: STARTTLS answered 454: refused, nothing in plaintext" {
	server_start --starttls-broken
	write_config relay.tls=starttls
	run --separate-stderr send
	# 454 is temporary: exit 75, or 0 with the message queued; never sent
	case $status in
	0) [[ $stderr == *queued* ]] || _fail "exit 0 but not queued:" "$stderr" ;;
	69|75) ;;
	*) _fail "unexpected exit $status:" "$stderr" ;;
	esac
	[[ $stderr == *"454"* || $stderr == *STARTTLS* ]] ||
	    _fail "the error does not mention STARTTLS:" "$stderr"
	assert_one_line
	[ "$(received_count)" -eq 0 ]
	assert_file_contains "$(transcript)" "C: STARTTLS"
	assert_no_plaintext_commands
	refute_file_contains "$(transcript)" "C: AUTH"
	refute_file_contains "$(transcript)" "C: MAIL"
}

@test "tls: starttls against a server without STARTTLS: refused, no AUTH" {
	# a plaintext server that does not offer STARTTLS: --starttls makes a
	# plaintext listener, the scripted EHLO reply leaves STARTTLS out
	# (and offers AUTH, to tempt a client into sending the token)
	server_start --starttls \
	    --reply 'ehlo=250-mx.example greets you\n250-AUTH PLAIN LOGIN\n250 8BITMIME' 
	write_config relay.tls=starttls
	run --separate-stderr send
	[ "$status" -ne 0 ] || [[ $stderr == *queued* ]] ||
	    _fail "exit 0 without queueing:" "$stderr"
	[[ $stderr == *"does not offer STARTTLS"* ]] ||
	    _fail "no clear error:" "$stderr"
	assert_one_line
	[ "$(received_count)" -eq 0 ]
	refute_file_contains "$(transcript)" "C: STARTTLS"
	assert_no_plaintext_commands
	refute_file_contains "$(transcript)" "C: AUTH"
}

@test "tls: implicit TLS against a plaintext server: no plaintext fallback" {
	server_start --starttls
	write_config relay.tls=implicit relay.timeout=3
	run --separate-stderr send
	case $status in
	0) [[ $stderr == *queued* ]] || _fail "exit 0 but not queued:" "$stderr" ;;
	75) ;;
	*) _fail "expected 75 or queued, got $status:" "$stderr" ;;
	esac
	[[ $stderr == *"TLS handshake"* ]] ||
	    _fail "the error does not say TLS handshake:" "$stderr"
	assert_one_line
	[ "$(received_count)" -eq 0 ]
	# only the TLS ClientHello (binary, logged as one "C:" line) reached
	# the plaintext server: not a single SMTP command
	local t
	t=$(transcript)
	if grep -aE '^[0-9]+ C: (EHLO|HELO|AUTH|MAIL|RCPT|DATA|STARTTLS)' "$t"; then
		_fail "SMTP commands reached the plaintext server"
	fi
}

@test "tls: --serverinfo on a plaintext port: the handshake failure's hint" {
	server_start --starttls
	write_config relay.tls=implicit relay.timeout=3
	run --separate-stderr timeout 60 "$CFSENDMAIL" -C "$CONF" --serverinfo
	[ "$status" -ne 0 ] || _fail "exit 0:" "$stderr"
	[[ $stderr == *"TLS handshake with localhost failed"* ]] ||
	    _fail "no handshake error:" "$stderr"
	[[ $stderr == *"needs implicit TLS on port 465"* ]] ||
	    _fail "no hint:" "$stderr"
	server_stop
}
