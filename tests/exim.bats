#!/usr/bin/env bats
# Interoperability with a real MTA: Exim (Debian's exim4-daemon-light,
# GnuTLS), started by each test in the foreground on a free loopback port
# with tests/exim/exim.conf.in: implicit TLS (tls_on_connect_ports), AUTH
# PLAIN and LOGIN for user api_token and $TOKEN, and an appendfile maildir
# the test reads back (one file per recipient, with Envelope-to: and
# Return-path: added by the transport).
#
# Privileges: Exim keeps root with -C only when its caller is root.  As root
# the daemon binds, then runs as the Exim user (Debian-exim); the config
# sets deliver_drop_privilege so that the delivery runs as that user too
# instead of re-executing Exim to regain root (the re-exec would drop -C's
# root and fail).  Its work directory therefore lives outside bats' 0700
# temporary tree, in a mktemp directory under /tmp owned by the Exim user.
# As another user Exim drops root at once and runs as the caller: its files
# then stay in $BATS_TEST_TMPDIR.
#
# Without exim4 every test is skipped.

# CONF is set by write_config (helpers.bash).
# shellcheck disable=SC2153

load helpers

TOKEN=Exim-Interop-Token-4f9c2a7d1e
EXIM_PID=
EXIM_PORT=
EXIM_WORK=

setup() {
	EXIM=$(command -v exim4 || true)
	[ -n "$EXIM" ] || EXIM=/usr/sbin/exim4
	if [ ! -x "$EXIM" ]; then
		skip "exim4 is not installed (apt-get install exim4-daemon-light)"
	fi
	certs_make
	if [ "$(id -u)" -eq 0 ]; then
		EXIM_WORK=$(mktemp -d /tmp/cfsendmail-exim.XXXXXX)
		chmod 0755 "$EXIM_WORK"
		# The compiled-in Exim user, asked of Exim itself.
		: >"$EXIM_WORK/empty.conf"
		chmod 0644 "$EXIM_WORK/empty.conf"
		EXIM_USER=$("$EXIM" -C "$EXIM_WORK/empty.conf" -bP exim_user)
		EXIM_GROUP=$("$EXIM" -C "$EXIM_WORK/empty.conf" -bP exim_group)
		EXIM_USER=${EXIM_USER#*= }
		EXIM_GROUP=${EXIM_GROUP#*= }
	else
		EXIM_WORK=$BATS_TEST_TMPDIR/exim
		mkdir -p "$EXIM_WORK"
		EXIM_USER=$(id -un)
		EXIM_GROUP=$(id -gn)
	fi
	EXIM_DIR=$EXIM_WORK/run
	MAILDIR=$EXIM_DIR/maildir
	EXIM_LOG=$EXIM_DIR/log
	mkdir -p "$EXIM_DIR"
	cp "$CERTS/server.pem" "$CERTS/server.key" "$EXIM_DIR/"
	chmod 0600 "$EXIM_DIR/server.key"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R "$EXIM_USER:$EXIM_GROUP" "$EXIM_DIR"
	fi
}

teardown() {
	local rc=0
	exim_stop || rc=$?
	if [ -z "${BATS_TEST_COMPLETED:-}" ] || [ "$rc" -ne 0 ]; then
		exim_diag
	fi
	if [ -n "$EXIM_WORK" ] && [ "$EXIM_WORK" != "$BATS_TEST_TMPDIR/exim" ]; then
		rm -rf -- "$EXIM_WORK"
	fi
	return "$rc"
}

# --- Exim -------------------------------------------------------------------

exim_diag() {
	[ -n "${EXIM_DIR:-}" ] || return 0
	local f
	for f in "$EXIM_WORK"/exim*.out "$EXIM_LOG/paniclog" "$EXIM_LOG/rejectlog" \
	    "$EXIM_LOG/mainlog"; do
		[ -s "$f" ] || continue
		echo "--- $f:"
		tail -n 40 "$f"
	done >&2
}

_free_port() {
	"$PYTHON3" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# _listening PORT -- does a socket listen on 127.0.0.1:PORT (or any address)?
_listening() {
	local hex
	hex=$(printf '%04X' "$1")
	[ -r /proc/net/tcp ] || return 0    # not Linux: Exim's log line will do
	grep -Eq "^ *[0-9]+: [0-9A-F]{8}:$hex [0-9A-F]{8}:[0-9A-F]{4} 0A " \
	    /proc/net/tcp
}

# exim_start [plain=yes|no] -- start Exim on a free port; exports EXIM_PORT,
# EXIM_PID.  plain=no: AUTH PLAIN is not advertised, only LOGIN.  A port
# taken between choosing and binding it is retried with another one.
exim_start() {
	local plain=yes arg attempt i rc conf out
	for arg; do
		case $arg in
		plain=*) plain=${arg#plain=} ;;
		*) echo "exim_start: unknown argument $arg" >&2; return 1 ;;
		esac
	done
	if [ -n "$EXIM_PID" ]; then
		echo "exim_start: Exim is already running (pid $EXIM_PID)" >&2
		return 1
	fi
	for attempt in 1 2 3 4 5; do
		EXIM_PORT=$(_free_port) || return 1
		conf=$EXIM_WORK/exim.conf
		out=$EXIM_WORK/exim$attempt.out
		rm -f "$conf"
		sed -e "s|@DIR@|$EXIM_DIR|g" -e "s|@PORT@|$EXIM_PORT|g" \
		    -e "s|@CERT@|$EXIM_DIR/server.pem|g" \
		    -e "s|@KEY@|$EXIM_DIR/server.key|g" \
		    -e "s|@TOKEN@|$TOKEN|g" -e "s|@USER@|$EXIM_USER|g" \
		    -e "s|@GROUP@|$EXIM_GROUP|g" -e "s|@PLAIN@|$plain|g" \
		    "$BATS_TEST_DIRNAME/exim/exim.conf.in" >"$conf" || return 1
		# Exim refuses a config file that others may write.
		chmod 0644 "$conf"
		# 3>&-: bats waits for every holder of its fd 3 before finishing.
		"$EXIM" -C "$conf" -bdf </dev/null >"$out" 2>&1 3>&- &
		EXIM_PID=$!
		export EXIM_PORT EXIM_PID
		for ((i = 0; i < _POLL_TRIES; i++)); do
			if grep -qs "daemon started: pid=$EXIM_PID, .*:$EXIM_PORT\$" \
			    "$EXIM_LOG/mainlog" && _listening "$EXIM_PORT"; then
				return 0
			fi
			_alive "$EXIM_PID" || break
			sleep "$_POLL_SLEEP"
		done
		if _alive "$EXIM_PID"; then
			echo "exim_start: Exim did not listen on port $EXIM_PORT" \
			    "within 10 s" >&2
			exim_stop
			return 1
		fi
		rc=0
		wait "$EXIM_PID" || rc=$?
		EXIM_PID=
		if grep -qs "Address already in use" "$out" "$EXIM_LOG/paniclog"
		then
			rm -f "$EXIM_LOG/paniclog"
			continue
		fi
		echo "exim_start: $EXIM -C $conf -bdf exited with status $rc:" >&2
		return 1
	done
	echo "exim_start: no free port after 5 attempts" >&2
	return 1
}

# _exim_children -- pids of the processes the daemon forked (SMTP sessions,
# deliveries): they keep its command line, which names our config file.
_exim_children() {
	local p comm
	for p in /proc/[0-9]*; do
		comm=
		read -r comm <"$p/comm" 2>/dev/null || continue
		[ "$comm" = "${EXIM##*/}" ] || continue
		grep -qsaF -- "$EXIM_WORK/exim.conf" "$p/cmdline" &&
		    echo "${p#/proc/}"
	done
	# not the last grep's status: an Exim process that is not ours, or
	# a child exiting now (a zombie's cmdline is empty), scanned last,
	# must not fail the caller's `left=$(_exim_children)`
	return 0
}

# exim_stop -- SIGTERM the daemon, wait for it and for the deliveries it
# left running; fails when Exim wrote to its panic log.
exim_stop() {
	[ -n "$EXIM_PID" ] || return 0
	local pid=$EXIM_PID i left
	EXIM_PID=
	stop_pid "exim_stop: Exim" "$pid" || true
	for ((i = 0; i < _POLL_TRIES; i++)); do
		left=$(_exim_children)
		[ -n "$left" ] || break
		sleep "$_POLL_SLEEP"
	done
	if [ -n "$left" ]; then
		echo "exim_stop: Exim processes still running after 10 s:" \
		    "${left//$'\n'/ }" >&2
		return 1
	fi
	if [ -s "$EXIM_LOG/paniclog" ]; then
		echo "exim_stop: Exim wrote to its panic log" >&2
		return 1
	fi
}

# exim_config [key=value...] -- the cfsendmail config for the running Exim.
exim_config() {
	write_config "relay.port=$EXIM_PORT" "relay.token=$TOKEN" "$@"
}

# delivered N -- wait (bounded) until the maildir holds N messages, then
# print their paths, one a line, sorted.
delivered() {
	local i n files
	for ((i = 0; i < _POLL_TRIES; i++)); do
		files=$(find "$MAILDIR/new" -type f 2>/dev/null | sort)
		n=$(printf '%s' "$files" | grep -c . || true)
		[ "$n" -ge "$1" ] && break
		sleep "$_POLL_SLEEP"
	done
	if [ "$n" -ne "$1" ]; then
		echo "expected $1 message(s) in $MAILDIR/new, found $n" >&2
		exim_diag
		return 1
	fi
	printf '%s\n' "$files"
}

# body FILE -- the body of a delivered message (everything after the first
# empty line).
body() {
	sed '1,/^$/d' "$1"
}

# exim_logged STR -- Exim's main log contains STR, or will within 10 s:
# Exim may log after it has replied (and delivers in the background).
exim_logged() {
	local i
	for ((i = 0; i < _POLL_TRIES; i++)); do
		grep -qsF -- "$1" "$EXIM_LOG/mainlog" && return 0
		sleep "$_POLL_SLEEP"
	done
	assert_file_contains "$EXIM_LOG/mainlog" "$1"
}

# refute_secrets -- $output shows neither $TOKEN nor any base64 of it.
refute_secrets() {
	refute_output_contains "$TOKEN"
	refute_output_contains "$(printf '%s' "$TOKEN" | base64 -w0)"
	refute_output_contains "$(printf '\0api_token\0%s' "$TOKEN" | base64 -w0)"
	refute_output_contains "$(printf 'api_token\0%s' "$TOKEN" | base64 -w0)"
}

# --- tests ------------------------------------------------------------------

@test "exim: AUTH PLAIN delivery keeps envelope, headers and 8-bit body" {
	exim_start
	exim_config
	local msg=$BATS_TEST_TMPDIR/msg expected=$BATS_TEST_TMPDIR/body.expected
	{
		printf '.leading dot, stuffed on the wire\n'
		printf '.\n'
		printf '..two dots\n'
		printf 'Grüße aus Köln — naïve café, 日本語のテキスト\n'
		printf '\n'
		printf 'last line\n'
	} >"$expected"
	{
		printf 'From: Alerts <alerts@example.com>\n'
		printf 'To: someone@example.org\n'
		printf 'Subject: Exim interop\n'
		printf 'Content-Type: text/plain; charset=utf-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n'
		printf '\n'
		cat "$expected"
	} >"$msg"
	run "$CFSENDMAIL" -C "$CONF" -v -i -f bounces@example.com \
	    someone@example.org <"$msg"
	assert_status 0
	assert_output_contains "C: AUTH PLAIN"
	assert_output_contains "C: MAIL FROM:<bounces@example.com>"
	assert_output_contains " BODY=8BITMIME"
	local f
	f=$(delivered 1)
	assert_file_contains "$f" "Envelope-to: someone@example.org"
	assert_file_contains "$f" "Return-path: <bounces@example.com>"
	assert_file_contains "$f" "Subject: Exim interop"
	assert_file_contains "$f" "From: Alerts <alerts@example.com>"
	assert_file_contains "$f" "Received: from [127.0.0.1]"
	body "$f" >"$BATS_TEST_TMPDIR/body.got"
	assert_files_equal "$expected" "$BATS_TEST_TMPDIR/body.got"
	exim_logged "<= bounces@example.com "
	exim_logged " P=esmtpsa X=TLS"
	exim_logged " A=plain:api_token "
	exim_logged "=> someone <someone@example.org> R=everything T=to_maildir"
}

@test "exim: AUTH LOGIN is used when Exim offers only LOGIN" {
	exim_start plain=no
	exim_config
	run "$CFSENDMAIL" -C "$CONF" -v someone@example.org \
	    <<<$'Subject: login only\n\nbody via LOGIN'
	assert_status 0
	assert_output_contains "S: 250-AUTH LOGIN"
	assert_output_contains "C: AUTH LOGIN"
	refute_output_contains "C: AUTH PLAIN"
	local f
	f=$(delivered 1)
	assert_file_contains "$f" "Envelope-to: someone@example.org"
	assert_file_contains "$f" "Subject: login only"
	[ "$(body "$f")" = "body via LOGIN" ]
	exim_logged " A=login:api_token "
}

@test "exim: a wrong token exits 77 (on_defer = fail) with Exim's 535 and the api_token hint" {
	exim_start
	exim_config relay.token=not-the-token delivery.on_defer=fail
	run "$CFSENDMAIL" -C "$CONF" someone@example.org \
	    <<<$'Subject: refused\n\nbody'
	assert_status 77
	local line found=
	for line in "${lines[@]}"; do
		[[ $line == *535* && $line == *api_token* ]] && found=1
	done
	[ -n "$found" ] || _fail "no line names both 535 and api_token:" \
	    "$output"
	refute_output_contains not-the-token
	exim_logged "535 Incorrect authentication data"
	refute_file_contains "$EXIM_LOG/mainlog" " <= "
}

@test "exim: a wrong token exits 77 (on_defer = fail) with AUTH LOGIN too" {
	exim_start plain=no
	exim_config relay.token=not-the-token delivery.on_defer=fail
	run "$CFSENDMAIL" -C "$CONF" someone@example.org \
	    <<<$'Subject: refused\n\nbody'
	assert_status 77
	assert_output_contains 535
	assert_output_contains api_token
	refute_output_contains not-the-token
	refute_output_contains "$(printf not-the-token | base64 -w0)"
	exim_logged "535 Incorrect authentication data"
	refute_file_contains "$EXIM_LOG/mainlog" " <= "
}

@test "exim: three recipients in one message, one transaction" {
	exim_start
	exim_config
	run "$CFSENDMAIL" -C "$CONF" -v one@example.org two@example.net \
	    three@example.com <<<$'Subject: three\n\nfor three'
	assert_status 0
	local files f got=() id=
	files=$(delivered 3)
	for f in $files; do
		got+=("$(sed -n 's/^Envelope-to: //p' "$f")")
		assert_file_contains "$f" "Subject: three"
		[ "$(body "$f")" = "for three" ]
		# The same message (one Message-ID) for all three.
		if [ -z "$id" ]; then
			id=$(grep -m1 -i '^Message-ID:' "$f")
			[ -n "$id" ]
		else
			assert_file_contains "$f" "$id"
		fi
	done
	[ "$(printf '%s\n' "${got[@]}" | sort | tr '\n' ' ')" = \
	    "one@example.org three@example.com two@example.net " ] ||
	    _fail "Envelope-to values: ${got[*]}"
	# One SMTP transaction: one "<=" line for the three of them.
	[ "$(grep -c ' <= ' "$EXIM_LOG/mainlog")" -eq 1 ]
	exim_logged " for one@example.org two@example.net three@example.com"
	[ "$(grep -c '^C: RCPT TO:' <<<"$output")" -eq 3 ]
	[ "$(grep -c '^C: MAIL FROM:' <<<"$output")" -eq 1 ]
}

@test "exim: the -v transcript never shows the token or its base64" {
	exim_start
	exim_config
	run "$CFSENDMAIL" -C "$CONF" -v someone@example.org \
	    <<<$'Subject: secret?\n\nbody'
	assert_status 0
	assert_output_contains "C: AUTH PLAIN"
	assert_output_contains "S: 235 "
	refute_secrets
	delivered 1 >/dev/null

	# The same over AUTH LOGIN, where user and token go one by one.
	exim_stop
	exim_start plain=no
	exim_config
	run "$CFSENDMAIL" -C "$CONF" -v someone@example.org \
	    <<<$'Subject: secret?\n\nbody'
	assert_status 0
	assert_output_contains "C: AUTH LOGIN"
	assert_output_contains "S: 235 "
	refute_secrets
	delivered 2 >/dev/null
}
