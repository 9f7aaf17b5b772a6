#!/usr/bin/env bats
# Tests of the test server (tests/server/smtpd.py) and of helpers.bash
# themselves, driven by a small Python client.  CFSENDMAIL is not needed.

load helpers

# The client: Python code run with these helpers defined.
#   connect(tls=True, host="localhost")  open a connection (the previous one
#                           is simply dropped); host may be 127.0.0.1
#   starttls()              upgrade the plaintext connection
#   send(*lines)            send the lines in ONE write, CRLF added
#   reply(show=True)        read one reply, print its lines (or "<closed>",
#                           "<timeout>"), return its code
#   ehlo(), auth()          EHLO client.example.com / AUTH PLAIN, not printed
#   plain(user, token), b64(text)   SASL payloads
#   reads()                 read one reply raw; print its reads, bytes, time
CLIENT_PY='
import base64, socket, ssl, sys
PORT, CA = int(sys.argv[1]), sys.argv[2]
CTX = ssl.create_default_context(cafile=CA)

def connect(tls=True, host="localhost", ctx=CTX):
    global sock, rfile
    sock = socket.create_connection((host, PORT), timeout=5)
    if tls:
        sock = ctx.wrap_socket(sock, server_hostname=host)
    rfile = sock.makefile("rb")

def starttls():
    global sock, rfile
    sock = CTX.wrap_socket(sock, server_hostname="localhost")
    rfile = sock.makefile("rb")

def send(*lines):
    sock.sendall(b"".join(l.encode() + b"\r\n" for l in lines))

def reply(show=True):
    while True:
        try:
            line = rfile.readline()
        except TimeoutError:
            print("<timeout>")
            return None
        except OSError:
            line = b""
        if not line:
            print("<closed>")
            return None
        line = line.decode().rstrip("\r\n")
        if show:
            print(line)
        if line[3:4] != "-":
            return int(line[:3])

def reads():
    """Read one reply as raw bytes; print how it came: "N reads, B bytes,
    T s" and its last 60 bytes (repr), or what ended it."""
    import time
    data, n, start = b"", 0, time.monotonic()
    while not (data.endswith(b"\r\n") and
               data.split(b"\r\n")[-2][3:4] != b"-"):
        try:
            chunk = sock.recv(65536)
        except OSError as e:
            print("error:", type(e).__name__)
            break
        if not chunk:
            print("<closed>")
            break
        data, n = data + chunk, n + 1
    took = time.monotonic() - start
    print(f"{n} reads, {len(data)} bytes, {took:.1f} s, {data[-60:]!r}")
    return data

def b64(text):
    return base64.b64encode(text.encode()).decode()

def plain(user="api_token", token="test-token"):
    return b64(f"\0{user}\0{token}")

def ehlo():
    send("EHLO client.example.com")
    reply(show=False)

def auth():
    send("AUTH PLAIN " + plain())
    reply(show=False)
'

smtp_client() {
	"$PYTHON3" -c "$CLIENT_PY
$1" "$SERVER_PORT" "$CA"
}

GREETING='220 mx.cloudflare.net Cloudflare Email ESMTP Service ready'

@test "greeting and EHLO reply are Cloudflare's" {
	server_start
	run smtp_client '
connect(); reply()
send("EHLO client.example.com"); reply()
send("QUIT"); reply()'
	assert_status 0
	assert_output "$GREETING
250-mx.cloudflare.net greets client.example.com
250-AUTH PLAIN LOGIN
250-SIZE 5242880
250-8BITMIME
250 ENHANCEDSTATUSCODES
221 mx.cloudflare.net Cloudflare Email ESMTP Service closing transmission channel"
	assert_no_violations
}

@test "AUTH: 530 before it, 535 for a wrong token, PLAIN and LOGIN accepted" {
	server_start
	run smtp_client '
connect(); reply(show=False); ehlo()
send("MAIL FROM:<alerts@example.com>"); reply()
send("AUTH PLAIN " + plain(token="wrong")); reply()
send("AUTH PLAIN " + plain(user="alerts")); reply()
send("AUTH PLAIN"); reply(); send(plain()); reply()
connect(); reply(show=False); ehlo()
send("AUTH LOGIN"); reply()
send(b64("api_token")); reply()
send(b64("test-token")); reply()'
	assert_status 0
	assert_output "530 5.7.0 Authentication required
535 5.7.8 Authentication failed
535 5.7.8 Authentication failed
334 
235 2.7.0 Authentication successful
334 VXNlcm5hbWU6
334 UGFzc3dvcmQ6
235 2.7.0 Authentication successful"
	assert_no_violations
}

@test "a message is recorded with its exact envelope and bytes" {
	server_start
	run smtp_client '
connect(); reply(show=False); ehlo(); auth()
send("MAIL FROM:<alerts@example.com> BODY=8BITMIME SIZE=44"); reply()
send("RCPT TO:<a@x.example>"); reply()
send("RCPT TO:<b@y.example>"); reply()
send("DATA"); reply()
send("Subject: test", "", "..leading dot", "caf\u00e9", "."); reply()
send("QUIT"); reply(show=False)'
	assert_status 0
	[[ ${lines[4]} =~ ^250\ 2\.0\.0\ Ok\ \<[A-Za-z0-9]{36}@example\.com\>$ ]]
	assert_output "250 2.1.0 Ok
250 2.1.5 Ok
250 2.1.5 Ok
354 Start mail input; end with <CR><LF>.<CR><LF>
${lines[4]}"

	[ "$(received_count)" = 1 ]
	printf 'Subject: test\r\n\r\n.leading dot\r\ncaf\xc3\xa9\r\n' \
	    >"$BATS_TEST_TMPDIR/expected"
	assert_files_equal "$BATS_TEST_TMPDIR/expected" "$(received 1)"
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	[ "$(envelope_field 1 mail_options)" = $'BODY=8BITMIME\nSIZE=44' ]
	[ "$(envelope_field 1 rcpt_tos)" = $'a@x.example\nb@y.example' ]
	[ "$(envelope_field 1 helo)" = client.example.com ]
	[ "$(envelope_field 1 auth)" = PLAIN ]
	[ "$(envelope_field 1 session)" = 1 ]
	[ "$(envelope_field 1 sni)" = localhost ]
	assert_file_contains "$(transcript)" "1 C: <DATA 38 bytes>"
	refute_file_contains "$(transcript)" "leading dot"
	assert_no_violations
}

@test "the 51st RCPT of a session gets 452 4.5.3" {
	server_start
	run smtp_client '
connect(); reply(show=False); ehlo(); auth()
send("MAIL FROM:<alerts@example.com>"); reply(show=False)
for i in range(51):
    send(f"RCPT TO:<r{i}@example.com>"); reply(show=i >= 49)'
	assert_status 0
	assert_output "250 2.1.5 Ok
452 4.5.3 Too many recipients"
}

@test "--reply greeting#1=421 closes the first connection only" {
	server_start --reply 'greeting#1=421 4.3.2 Service not available'
	run smtp_client '
connect(); reply(); reply()
connect(); reply()'
	assert_status 0
	assert_output "421 4.3.2 Service not available
<closed>
$GREETING"
	[ "$(sessions_count)" = 2 ]
}

@test "--reply dot#1 and --rcpt-reply script refusals" {
	server_start --reply 'dot#1=451 4.3.0 Local error' \
	    --rcpt-reply 'gone@example.com=550 5.1.1 User unknown'
	run smtp_client '
connect(); reply(show=False); ehlo(); auth()
for n in (1, 2):
    send("MAIL FROM:<alerts@example.com>"); reply(show=False)
    send("RCPT TO:<gone@example.com>"); reply(show=n == 1)
    send("RCPT TO:<ok@example.com>"); reply(show=False)
    send("DATA"); reply(show=False)
    send("Subject: x", "", "body", "."); reply(show=n == 1)'
	assert_status 0
	assert_output "550 5.1.1 User unknown
451 4.3.0 Local error"
	# The first message was refused; the second is recorded as message 1.
	[ "$(received_count)" = 1 ]
	[ "$(envelope_field 1 rcpt_tos)" = ok@example.com ]
}

@test "--reply takes multi-line replies" {
	# --reply ehlo changes the text only; --caps is what the server honours.
	server_start --caps "AUTH PLAIN,DSN" --reply \
	    'ehlo=250-mx.example greets you\n250-AUTH PLAIN\n250 DSN' \
	    --reply 'mail#1=550-5.7.1 Sender denied\n550 5.7.1 not onboarded'
	run smtp_client '
connect(); reply(show=False)
send("EHLO client.example.com"); reply(); auth()
send("MAIL FROM:<alerts@example.com> RET=HDRS"); reply()
send("MAIL FROM:<alerts@example.com> RET=HDRS"); reply()'
	assert_status 0
	assert_output "250-mx.example greets you
250-AUTH PLAIN
250 DSN
550-5.7.1 Sender denied
550 5.7.1 not onboarded
250 2.1.0 Ok"
}

@test "pipelining without PIPELINING is reported as a violation" {
	server_start
	run smtp_client '
connect(); reply(show=False); ehlo(); auth()
send("MAIL FROM:<alerts@example.com>", "RCPT TO:<a@example.com>")
reply(); reply()'
	assert_status 0
	assert_output "250 2.1.0 Ok
250 2.1.5 Ok"
	run assert_no_violations
	assert_status 1
	assert_file_contains "$REC/violations" \
	    "VIOLATION pipelining 1 MAIL (next: RCPT)"
}

@test "with PIPELINING advertised, a MAIL/RCPT/DATA group is fine" {
	server_start --caps \
	    "AUTH PLAIN LOGIN,SIZE 5242880,8BITMIME,PIPELINING,ENHANCEDSTATUSCODES"
	run smtp_client '
connect(); reply(show=False); ehlo(); auth()
send("MAIL FROM:<alerts@example.com>", "RCPT TO:<a@example.com>",
     "RCPT TO:<b@example.com>", "DATA")
for _ in range(4): reply()
send("Subject: x", "", "body", "."); reply(show=False)'
	assert_status 0
	assert_output "250 2.1.0 Ok
250 2.1.5 Ok
250 2.1.5 Ok
354 Start mail input; end with <CR><LF>.<CR><LF>"
	[ "$(received_count)" = 1 ]
	assert_no_violations
}

@test "bare LF, undeclared 8-bit and unadvertised DSN are violations" {
	server_start
	run smtp_client '
connect(); reply(show=False); ehlo(); auth()
send("MAIL FROM:<alerts@example.com> RET=HDRS"); reply()
send("MAIL FROM:<alerts@example.com>"); reply(show=False)
send("RCPT TO:<a@example.com>"); reply(show=False)
send("DATA"); reply(show=False)
sock.sendall("Subject: x\n\ncaf\u00e9\r\n.\r\n".encode()); reply(show=False)'
	assert_status 0
	assert_output "555 5.5.4 Unsupported parameter RET=HDRS"
	server_settle
	assert_file_contains "$REC/violations" "VIOLATION param 1 MAIL RET=HDRS"
	assert_file_contains "$REC/violations" "VIOLATION bare-lf 1 DATA"
	assert_file_contains "$REC/violations" "VIOLATION 8bit 1 DATA"
}

@test "a message over SIZE gets 552 5.3.4, at MAIL or after the body" {
	server_start --caps "AUTH PLAIN LOGIN,SIZE 100"
	run smtp_client '
connect(); reply(show=False); ehlo(); auth()
send("MAIL FROM:<alerts@example.com> SIZE=101"); reply()
send("MAIL FROM:<alerts@example.com>"); reply(show=False)
send("RCPT TO:<a@example.com>"); reply(show=False)
send("DATA"); reply(show=False)
send("Subject: x", "", "y" * 100, "."); reply()'
	assert_status 0
	assert_output "552 5.3.4 Message too big
552 5.3.4 Message too big"
	[ "$(received_count)" = 0 ]
}

@test "--drop midata#1 cuts the connection in the body; nothing is recorded" {
	server_start --drop midata#1
	run smtp_client '
connect(); reply(show=False); ehlo(); auth()
send("MAIL FROM:<alerts@example.com>"); reply(show=False)
send("RCPT TO:<a@example.com>"); reply(show=False)
send("DATA"); reply(show=False)
try:
    send("Subject: x", "", "body", ".")
except OSError:
    pass
reply()'
	assert_status 0
	assert_output "<closed>"
	[ "$(received_count)" = 0 ]
	assert_file_contains "$(transcript)" \
	    "1 -- dropping the connection at midata#1"
}

@test "--stall mail#1 leaves the client without an answer" {
	server_start --stall mail#1
	run smtp_client '
connect(); reply(show=False); ehlo(); auth()
sock.settimeout(0.5)
send("MAIL FROM:<alerts@example.com>"); reply()'
	assert_status 0
	assert_output "<timeout>"
	assert_file_contains "$(transcript)" "1 -- stalling at mail#1"
}

@test "--delay-ms counts the replies it delayed" {
	server_start --delay-ms 10
	run smtp_client '
connect(); reply(show=False); ehlo()
send("QUIT"); reply(show=False)'
	assert_status 0
	[ "$(waits_count)" = 3 ]
}

@test "--delay-ms: a reply leaves that long after the command came" {
	server_start --delay-ms 300
	run smtp_client '
import time
connect(); reply(show=False)
for cmd in ("EHLO client.example.com", "NOOP"):
    t = time.monotonic(); send(cmd); reply(show=False)
    took = time.monotonic() - t
    print("ok" if 0.3 <= took < 1.0 else f"{cmd}: {took:.3f} s")'
	assert_status 0
	assert_output "ok
ok"
}

@test "certificates: IP SAN verifies; the expired one is refused quietly" {
	server_start
	run smtp_client 'connect(host="127.0.0.1"); reply()'
	assert_status 0
	assert_output "$GREETING"
	server_stop

	server_start --cert "$CERTS/expired.pem" --key "$CERTS/expired.key"
	run smtp_client 'connect()'
	assert_status 1
	assert_output_contains "certificate has expired"
	assert_file_contains "$(transcript)" "1 -- TLS handshake failed"
	[ "$(sessions_count)" = 1 ]
}

@test "--starttls offers STARTTLS first and AUTH only after it" {
	server_start --starttls
	run smtp_client '
connect(tls=False); reply(show=False)
send("EHLO client.example.com"); reply()
send("STARTTLS"); reply()
starttls()
send("EHLO client.example.com"); reply()'
	assert_status 0
	assert_output "250-mx.cloudflare.net greets client.example.com
250-STARTTLS
250-SIZE 5242880
250-8BITMIME
250 ENHANCEDSTATUSCODES
220 2.0.0 Ready to start TLS
250-mx.cloudflare.net greets client.example.com
250-AUTH PLAIN LOGIN
250-SIZE 5242880
250-8BITMIME
250 ENHANCEDSTATUSCODES"
	assert_no_violations
}

@test "--tls-max 1.1 serves TLS 1.1 when this OpenSSL still can" {
	if ! server_start --tls-max 1.1 2>"$BATS_TEST_TMPDIR/start.err"; then
		skip "$(tail -n 1 "$BATS_TEST_TMPDIR/start.err")"
	fi
	run smtp_client '
import warnings; warnings.simplefilter("ignore", DeprecationWarning)
old = ssl.create_default_context(cafile=CA)
old.set_ciphers("DEFAULT:@SECLEVEL=0")
old.minimum_version = ssl.TLSVersion.TLSv1_1
connect(ctx=old); reply(show=False); print(sock.version())
try:
    connect()
except ssl.SSLError:
    print("a TLS 1.2 client is refused")'
	assert_status 0
	assert_output "TLSv1.1
a TLS 1.2 client is refused"
}

@test "helpers: write_config overrides, removes and appends" {
	SERVER_PORT=4650
	write_config relay.port=1 -relay.token relay.token_file=/t \
	    delivery.attempts=2 '[aliases]' 'root = ops@example.com'
	[ "$(stat -c %a "$CONF")" = 600 ]
	cat >"$BATS_TEST_TMPDIR/expected" <<EOF
[relay]
host = localhost
port = 1
ca_file = $CA
timeout = 5
token_file = /t

[sender]
from = alerts@example.com
domain = example.com

[queue]
dir = $BATS_TEST_TMPDIR/queue

[delivery]
retry_delay = 0
attempts = 2

[log]
syslog = no

[aliases]
root = ops@example.com
EOF
	assert_files_equal "$BATS_TEST_TMPDIR/expected" "$CONF"
}

@test "invalid UTF-8 in a MAIL parameter: 555, a violation line, no crash" {
	server_start
	run smtp_client '
connect(); reply(show=False); ehlo(); auth()
sock.sendall(b"MAIL FROM:<a@example.com> X\xff=1\r\n")
print(rfile.readline()[:3].decode())
send("NOOP"); reply()'
	assert_status 0
	assert_output "555
250 2.0.0 Ok"
	assert_file_contains "$REC/violations" 'VIOLATION param 1 MAIL X\udcff=1'
}

# --- a hostile relay -------------------------------------------------------

@test "--drip sends one byte per write; --flood N/MS one line per MS ms" {
	server_start --drip greeting=2 --flood 'ehlo=4/100'
	run smtp_client '
connect(); data = reads()
send("EHLO client.example.com"); data = reads()'
	assert_status 0
	[[ ${lines[0]} =~ ^60\ reads,\ 60\ bytes, ]] || _fail "$output"
	# 4 flood lines 100 ms apart, then the reply: at least 0.4 s
	[[ ${lines[1]} =~ ^[5-9]\ reads,\ [0-9]+\ bytes,\ (0\.[4-9]|[1-9]) ]] ||
	    _fail "$output"
	assert_file_contains "$(transcript)" "1 S: 250-flood line 4"
}

@test "--flood COUNT, --long-line BYTES[/CHUNK] and --raw shape the reply" {
	server_start --flood greeting=3000 --long-line 'ehlo=5000' \
	    --long-line 'noop=5000/100' \
	    --raw 'rset=451 4.3.0 a\0b\e[2J\u202e\xc2\x9b\xff\r\n'
	run smtp_client '
connect(); data = reads()
print(data.count(b"\r\n"), data.startswith(b"220-flood line 1\r\n"))
send("EHLO client.example.com"); data = reads()
print(max(len(l) for l in data.splitlines(keepends=True)))
send("NOOP"); data = reads()
send("RSET"); data = reads()'
	assert_status 0
	[ "${lines[1]}" = "3001 True" ] || _fail "$output"
	[ "${lines[3]}" = 5000 ] || _fail "$output"
	[[ ${lines[4]} =~ ^5[1-9]\ reads,\ 5014\ bytes ]] || _fail "$output"
	[[ ${lines[5]} == *"b'451 4.3.0 a\\x00b\\x1b[2J\\xe2\\x80\\xae\\xc2\\x9b\\xff\\r\\n'" ]] ||
	    _fail "$output"
}

@test "--early sends a reply to a command not sent yet; --close-mid ends TLS in a reply" {
	server_start --early 'greeting=250 2.0.0 unasked' --close-mid ehlo
	run smtp_client '
connect(); data = reads()
send("EHLO client.example.com"); data = reads()'
	assert_status 0
	assert_output_contains "\\r\\n250 2.0.0 unasked\\r\\n'"
	# the EHLO reply without its last line, then a clean TLS close
	assert_output_contains "<closed>"
	assert_output_contains "250-8BITMIME\\r\\n'"
	assert_file_contains "$(transcript)" \
	    "1 -- closing (TLS close_notify) in the middle of a reply"
}

@test "--renegotiate (TLS 1.2) and --key-update (TLS 1.3) reach the client" {
	server_start --tls-max 1.2 --renegotiate greeting
	run smtp_client '
connect(); data = reads()'
	assert_status 0
	# Python's client renegotiates; the reply arrives whole
	assert_output_contains "Service ready\\r\\n'"
	assert_file_contains "$(transcript)" "1 -- asking for TLS renegotiation"
	server_stop
	server_start --key-update greeting
	run smtp_client '
connect(); data = reads(); print(sock.version())'
	assert_status 0
	assert_output_contains "Service ready\\r\\n'"
	assert_output_contains TLSv1.3
	# bad combinations are refused at start
	run "$PYTHON3" "$TESTS_SERVER_DIR/smtpd.py" --port-file /dev/null \
	    --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
	    --renegotiate greeting
	assert_status 2
	assert_output_contains "--renegotiate needs --tls-max 1.2"
}

@test "--next-cert: the second connection shows another certificate" {
	certs_make
	server_start --next-cert "$CERTS/server2.pem" \
	    --next-key "$CERTS/server2.key"
	run smtp_client '
import hashlib
seen = []
for _ in range(3):
    connect(); reply(show=False)
    seen.append(hashlib.sha256(sock.getpeercert(True)).hexdigest())
print(seen[0] != seen[1], seen[1] == seen[2])'
	assert_status 0
	assert_output "True True"
}
