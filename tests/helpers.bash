# tests/helpers.bash -- loaded by every .bats file with `load helpers`.
#
# Environment (set by the harness; the defaults suit `bats tests/x.bats`):
#   CFSENDMAIL    binary under test (default $BATS_TEST_DIRNAME/../cfsendmail)
#   top_srcdir    source tree (default $BATS_TEST_DIRNAME/..)
#   PYTHON3       Python >= 3.11 for the test server and the checkers
#                 (default /usr/bin/python3; make check passes configure's)
#
# Test server (tests/server/smtpd.py, options in tests/server/README):
#   server_start [OPTION...]  start it on a free loopback port with a record
#                             directory; exports SERVER_PORT SERVER_PID REC CA
#                             CERTS SERVER_LOG.  Later options win, so
#                             `server_start --cert "$CERTS/expired.pem"
#                             --key "$CERTS/expired.key"` swaps certificates.
#                             A test may stop and start a server again: the
#                             new one has a new port (write_config again) and
#                             fresh records (REC=.../rec2).
#   server_stop               stop it (stop_pid); fails when it exited
#                             badly or wrote to stderr; no-op without a server.
#                             The default teardown() below calls it.
#   stop_pid WHO PID          SIGTERM, wait up to 10 s, then SIGKILL; reaps
#                             the job and returns its exit status
#   server_settle             wait until the server has processed everything
#                             the clients sent (the record helpers call it)
#   server_diag               print the server's stderr, violations and the
#                             end of the transcript (assertions call it)
#   certs_make                make the test PKI once per run; exports CERTS, CA
#
# What the server recorded (see tests/server/README for the files):
#   received_count            number of messages accepted
#   received N                path of the Nth message (.eml: the bytes
#                             received, dot-stuffing undone, CRLF kept)
#   envelope N                path of the Nth envelope (.json)
#   envelope_field N FIELD    one envelope field: a string, or a list one item
#                             per line (rcpt_options items space-separated)
#   sessions_count            number of TCP connections accepted
#   waits_count               number of replies delayed by --delay-ms
#   transcript                path of the transcript ("1 C: EHLO ...")
#   assert_no_violations      fail when the client broke a protocol rule
#
# Config file:
#   write_config [section.key=value | -section.key | raw line]...
#     Writes $BATS_TEST_TMPDIR/conf.ini (mode 0600) and exports CONF.  The
#     defaults are
#       [relay]    host = localhost, port = $SERVER_PORT (1 when no server
#                  runs: nothing listens there), token = test-token,
#                  ca_file = $CA, timeout = 5
#       [sender]   from = alerts@example.com, domain = example.com
#       [queue]    dir = $BATS_TEST_TMPDIR/queue
#       [delivery] retry_delay = 0
#       [log]      syslog = no
#     An argument section.key=value sets a key (replacing a default, or adding
#     a key or a section), -section.key removes a default, and any other
#     argument is appended verbatim as a line after the keyed sections (for
#     sections without defaults).  The parser takes each key once, so change
#     defaults with section.key=value, never with a raw "[relay]" line:
#       write_config relay.port=1 -relay.token relay.token_file="$T" \
#           '[aliases]' 'root = ops@example.com'
#
# Assertions (after `run`; each prints what it saw when it fails):
#   assert_status N, assert_output STR (exact), assert_output_contains STR,
#   refute_output_contains STR, assert_file_contains FILE STR,
#   refute_file_contains FILE STR, assert_files_equal EXPECTED ACTUAL
#   (byte for byte; the diff shows CR as ^M).  STR is a fixed string.

# status and output are set by bats' `run`.
# shellcheck disable=SC2154
: "${CFSENDMAIL:=$BATS_TEST_DIRNAME/../cfsendmail}"
: "${top_srcdir:=$BATS_TEST_DIRNAME/..}"
: "${PYTHON3:=/usr/bin/python3}"
export CFSENDMAIL top_srcdir

TESTS_SERVER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/server" && pwd)
SERVER_PID=
REC=

# Polling below is bounded waiting for a readiness file, never a guess at
# how long something takes: 1000 x 0.01 s = 10 s at most.
_POLL_TRIES=1000
_POLL_SLEEP=0.01

teardown() {
	syslog_stop
	server_stop
}

# _alive PID -- is PID running?  kill -0 alone also succeeds for a zombie,
# and the server is our child until we wait for it.
_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		# Field 3 is the state; the command name before it may hold spaces.
		local stat
		read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
		stat=${stat##*) }
		[ "${stat%% *}" != Z ]
	fi
}

certs_make() {
	CERTS=${BATS_RUN_TMPDIR:-$BATS_FILE_TMPDIR}/certs
	CA=$CERTS/ca.pem
	export CERTS CA
	if ! "$TESTS_SERVER_DIR/mkcerts.sh" "$CERTS"; then
		echo "certs_make: mkcerts.sh $CERTS failed" >&2
		return 1
	fi
}

server_start() {
	if [ -n "$SERVER_PID" ]; then
		echo "server_start: a server is already running" \
		    "(pid $SERVER_PID)" >&2
		return 1
	fi
	certs_make || return 1
	# A restarted server gets fresh records: rec, rec2, rec3...
	local n='' i rc=0 portfile=$BATS_TEST_TMPDIR/server.port
	while [ -e "$BATS_TEST_TMPDIR/rec$n" ]; do
		n=$((${n:-1} + 1))
	done
	REC=$BATS_TEST_TMPDIR/rec$n
	SERVER_LOG=$BATS_TEST_TMPDIR/server$n.log
	rm -f "$portfile"
	# 3>&-: bats waits for every holder of its fd 3 before finishing.
	"$PYTHON3" "$TESTS_SERVER_DIR/smtpd.py" --port-file "$portfile" \
	    --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
	    --record-dir "$REC" "$@" </dev/null >"$SERVER_LOG" 2>&1 3>&- &
	SERVER_PID=$!
	export SERVER_PID REC SERVER_LOG
	for ((i = 0; i < _POLL_TRIES; i++)); do
		if [ -s "$portfile" ]; then
			SERVER_PORT=$(cat "$portfile")
			export SERVER_PORT
			return 0
		fi
		if ! _alive "$SERVER_PID"; then
			wait "$SERVER_PID" || rc=$?
			SERVER_PID=
			echo "server_start: smtpd.py $* exited with status $rc" \
			    "before listening:" >&2
			cat "$SERVER_LOG" >&2
			return 1
		fi
		sleep "$_POLL_SLEEP"
	done
	echo "server_start: smtpd.py wrote no port file within 10 s" >&2
	server_stop || true
	return 1
}

# stop_pid WHO PID -- SIGTERM to the background job PID, up to 10 s for it
# to exit, then SIGKILL (saying so on stderr as WHO); reaps it and returns
# its exit status.
stop_pid() {
	local who=$1 pid=$2 i rc=0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < _POLL_TRIES; i++)); do
		_alive "$pid" || break
		sleep "$_POLL_SLEEP"
	done
	if _alive "$pid"; then
		echo "$who ignored SIGTERM for 10 s; killing" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" || rc=$?
	return "$rc"
}

server_stop() {
	[ -n "$SERVER_PID" ] || return 0
	local pid=$SERVER_PID rc=0
	SERVER_PID=
	stop_pid "server_stop: smtpd.py" "$pid" || rc=$?
	if [ "$rc" -ne 0 ] || [ -s "$SERVER_LOG" ]; then
		echo "server_stop: smtpd.py exited with status $rc; its output:" >&2
		cat "$SERVER_LOG" >&2
		return 1
	fi
}

server_settle() {
	[ -n "$REC" ] && [ -n "$SERVER_PID" ] || return 0
	local i active
	for ((i = 0; i < _POLL_TRIES; i++)); do
		active=$(cat "$REC/active" 2>/dev/null || echo 0)
		[ "$active" = 0 ] && return 0
		sleep "$_POLL_SLEEP"
	done
	echo "server_settle: the server is still busy with $active" \
	    "session(s) after 10 s" >&2
	server_diag
	return 1
}

server_diag() {
	[ -n "$REC" ] || return 0
	{
		if [ -s "${SERVER_LOG:-}" ]; then
			echo "--- server stderr ($SERVER_LOG):"
			cat "$SERVER_LOG"
		fi
		if [ -s "$REC/violations" ]; then
			echo "--- protocol violations ($REC/violations):"
			cat "$REC/violations"
		fi
		if [ -s "$REC/transcript.log" ]; then
			echo "--- end of the server transcript" \
			    "($REC/transcript.log):"
			tail -n 40 "$REC/transcript.log"
		fi
	} >&2
}

# --- what the server recorded ---------------------------------------------

received_count() {
	server_settle || return 1
	local f n=0
	for f in "$REC"/[0-9]*.eml; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

# _recorded N EXT -- path of record N with extension EXT; fails if missing.
_recorded() {
	local path
	path=$(printf '%s/%04d.%s' "$REC" "$1" "$2")
	server_settle || return 1
	if [ ! -e "$path" ]; then
		echo "no message $1 was recorded ($(received_count) received)" >&2
		server_diag
		return 1
	fi
	echo "$path"
}

received() {
	_recorded "$1" eml
}

envelope() {
	_recorded "$1" json
}

envelope_field() {
	local path
	path=$(envelope "$1") || return 1
	"$PYTHON3" - "$path" "$2" <<'EOF'
import json, sys
value = json.load(open(sys.argv[1]))[sys.argv[2]]
if isinstance(value, list):
    for item in value:
        print(" ".join(item) if isinstance(item, list) else item)
elif value is not None:
    print(value)
EOF
}

sessions_count() {
	server_settle || return 1
	cat "$REC/sessions" 2>/dev/null || echo 0
}

waits_count() {
	server_settle || return 1
	cat "$REC/waits" 2>/dev/null || echo 0
}

transcript() {
	server_settle || return 1
	echo "$REC/transcript.log"
}

assert_no_violations() {
	server_settle || return 1
	if [ -s "$REC/violations" ]; then
		echo "the client broke SMTP rules:" >&2
		server_diag
		return 1
	fi
}

# --- config -----------------------------------------------------------------

write_config() {
	certs_make || return 1
	local -a keyed=(
		relay.host=localhost
		"relay.port=${SERVER_PORT:-1}"
		relay.token=test-token
		"relay.ca_file=$CA"
		relay.timeout=5
		sender.from=alerts@example.com
		sender.domain=example.com
		"queue.dir=$BATS_TEST_TMPDIR/queue"
		delivery.retry_delay=0
		log.syslog=no
	)
	local -a raw=() sections=() kept
	local arg e i s
	for arg; do
		if [[ $arg =~ ^-([a-z_]+\.[a-z_]+)$ ]]; then
			kept=()
			for e in "${keyed[@]}"; do
				[[ $e == "${BASH_REMATCH[1]}="* ]] || kept+=("$e")
			done
			keyed=("${kept[@]}")
		elif [[ $arg =~ ^([a-z_]+\.[a-z_]+)= ]]; then
			for i in "${!keyed[@]}"; do
				if [[ ${keyed[i]} == "${BASH_REMATCH[1]}="* ]]; then
					keyed[i]=$arg
					continue 2
				fi
			done
			keyed+=("$arg")
		else
			raw+=("$arg")
		fi
	done
	for e in "${keyed[@]}"; do
		s=${e%%.*}
		[[ " ${sections[*]} " == *" $s "* ]] || sections+=("$s")
	done
	CONF=$BATS_TEST_TMPDIR/conf.ini
	export CONF
	rm -f "$CONF"
	(
		umask 077
		exec >"$CONF"
		for s in "${sections[@]}"; do
			printf '[%s]\n' "$s"
			for e in "${keyed[@]}"; do
				[ "${e%%.*}" = "$s" ] || continue
				e=${e#*.}
				printf '%s = %s\n' "${e%%=*}" "${e#*=}"
			done
			printf '\n'
		done
		if [ ${#raw[@]} -gt 0 ]; then
			printf '%s\n' "${raw[@]}"
		fi
	)
}

# --- assertions ----------------------------------------------------------

_fail() {
	printf '%s\n' "$@" >&2
	server_diag
	return 1
}

assert_status() {
	[ "$status" -eq "$1" ] && return 0
	_fail "expected exit status $1, got $status; output:" "$output"
}

assert_output() {
	[ "$output" = "$1" ] && return 0
	_fail "output differs (- expected, + actual):" \
	    "$(diff -u <(printf '%s\n' "$1") <(printf '%s\n' "$output") |
	    tail -n +3)"
}

assert_output_contains() {
	[[ $output == *"$1"* ]] && return 0
	_fail "output does not contain: $1" "output:" "$output"
}

refute_output_contains() {
	[[ $output != *"$1"* ]] && return 0
	_fail "output contains: $1" "output:" "$output"
}

# Byte-exact search (grep -F would take a LF in STR as a second pattern,
# and an empty one matches anything).  The x keeps trailing newlines.
_file_has() {
	local content
	content=$(cat -- "$1"; printf x)
	content=${content%x}
	[[ $content == *"$2"* ]]
}

assert_file_contains() {
	if [ ! -e "$1" ]; then
		_fail "$1 does not exist (looking for: $2)"
		return 1
	fi
	_file_has "$1" "$2" && return 0
	if [ "$1" = "$REC/transcript.log" ]; then
		_fail "the transcript does not contain: $2"   # diag shows it
	else
		_fail "$1 does not contain: $2" "--- $1:" "$(head -n 60 "$1")"
	fi
}

refute_file_contains() {
	[ -e "$1" ] || return 0
	_file_has "$1" "$2" || return 0
	_fail "$1 contains: $2" "--- matching lines:" "$(grep -nF -- "$2" "$1")"
}

assert_files_equal() {
	cmp -s -- "$1" "$2" && return 0
	_fail "$2 differs from $1 (- expected, + actual; ^M is CR):" \
	    "$(diff -u <(cat -A -- "$1") <(cat -A -- "$2") | tail -n +3)"
}

# Counts the server recorded, and stderr after `run --separate-stderr`.
assert_sessions() {
	local n
	n=$(sessions_count) || return 1
	[ "$n" -eq "$1" ] || _fail "expected $1 session(s), the server saw $n"
}

assert_received() {
	local n
	n=$(received_count) || return 1
	[ "$n" -eq "$1" ] || _fail "expected $1 message(s), the server got $n"
}

# queued_ids [SUB] -- the ids of the entries in SUB (new, the default, or
# failed) of the queue: $Q when a test set it, else write_config's
queued_ids() {
	local f
	for f in "${Q:-$BATS_TEST_TMPDIR/queue}/${1:-new}"/*.env; do
		[ -e "$f" ] || continue
		f=${f##*/}
		echo "${f%.env}"
	done
}

# assert_queued N -- N entries in new/, nothing in failed/
assert_queued() {
	local n f
	n=$(queued_ids new | wc -l)
	f=$(queued_ids failed | wc -l)
	[ "$n" -eq "$1" ] && [ "$f" -eq 0 ] && return 0
	_fail "expected $1 queued and 0 failed entries, found $n and $f:" \
	    "$("$CFSENDMAIL" -C "$CONF" -bp 2>&1)"
}

# assert_queue_empty -- nothing waits in the queue, nothing in failed/
assert_queue_empty() {
	local out
	out=$("$CFSENDMAIL" -C "$CONF" -bp 2>&1)
	[ "$out" = "Mail queue is empty" ] && return 0
	_fail "expected an empty queue; cfsendmail -bp says:" "$out"
}

assert_stderr_contains() {
	[[ $stderr == *"$1"* ]] && return 0
	_fail "stderr does not contain: $1" "stderr:" "$stderr"
}

# --- sanitizer builds ----------------------------------------------------
# CI runs the suite once more against a build with AddressSanitizer and
# UndefinedBehaviorSanitizer and sets CFSENDMAIL_SANITIZED=1 (.ci/run).
#   sanitized REASON   true in such a run, with REASON shown in the TAP
#                      output; guards a check that the sanitizer runtime
#                      makes meaningless:  if ! sanitized "why"; then ...
sanitized() {
	[ -n "${CFSENDMAIL_SANITIZED:-}" ] || return 1
	echo "# sanitizer build: $1" >&3
}

# --- namespaces and syslog -------------------------------------------------
# Call these before `run`: a skip inside `run` only ends its subshell.
#   mount_ns_or_skip   skip unless this test may make a mount namespace from
#                      which nothing propagates back to the system; sets
#                      MOUNT_NS to the unshare(1) options that make one
#   syslog_start       a syslog socket of ours, $BATS_TEST_TMPDIR/dev/log:
#                      each datagram becomes one line of $SYSLOG (a JSON
#                      string); the default teardown() stops it
#   with_syslog CMD... run CMD (needs mount_ns_or_skip first) in a mount
#                      namespace where /dev is $BATS_TEST_TMPDIR/dev: that
#                      socket, /dev/null and the random devices
#   syslog_sync        wait until every record sent so far is in $SYSLOG
#   syslog_records     $SYSLOG without syslog_sync's marks

# unshare's default makes every mount private, which a chroot whose root is
# no mount point refuses ("cannot change root filesystem propagation"); there
# the namespace is made only when no mount of the system is shared (PID 1's
# view), so that a mount inside it cannot reach the system either.
mount_ns_or_skip() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (a mount namespace)"
	if unshare --mount true 2>/dev/null; then
		MOUNT_NS=(--mount)
	elif ! grep -q ' shared:' /proc/1/mountinfo 2>/dev/null &&
	    unshare --mount --propagation unchanged true 2>/dev/null; then
		MOUNT_NS=(--mount --propagation unchanged)
	else
		skip "cannot make a private mount namespace here"
	fi
}

# poll_for FILE -- until FILE exists (10 s at most)
poll_for() {
	local i
	for ((i = 0; i < _POLL_TRIES; i++)); do
		[ -e "$1" ] && return 0
		sleep "$_POLL_SLEEP"
	done
	_fail "$1 never appeared"
}

SYSLOG_PID=
syslog_start() {
	SYSLOG=$BATS_TEST_TMPDIR/syslog
	mkdir -p "$BATS_TEST_TMPDIR/dev"
	"$PYTHON3" -c '
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1] + ".tmp")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        out.write(json.dumps(s.recv(65536).decode("latin-1")) + "\n")
        out.flush()' "$BATS_TEST_TMPDIR/dev/log" "$SYSLOG" 3>&- &
	SYSLOG_PID=$!
	poll_for "$BATS_TEST_TMPDIR/dev/log"
}

with_syslog() {
	[ ${#MOUNT_NS[@]} -gt 0 ] || _fail "with_syslog: mount_ns_or_skip first"
	unshare "${MOUNT_NS[@]}" bash -c 'd=$1; shift
	for n in null zero random urandom; do
		: >"$d/$n" && mount --bind "/dev/$n" "$d/$n" || exit 99
	done
	mount --bind "$d" /dev || exit 99
	exec "$@"' sh "$BATS_TEST_TMPDIR/dev" "$@"
}

syslog_stop() {
	[ -n "$SYSLOG_PID" ] || return 0
	syslog_sync || true
	kill "$SYSLOG_PID" 2>/dev/null || true
	wait "$SYSLOG_PID" 2>/dev/null || true
	SYSLOG_PID=
}

# syslog_sync -- wait until the listener of syslog_start has written every
# record sent so far: send a mark and wait for it (10 s at most), so that
# $SYSLOG is complete when a test reads it
syslog_sync() {
	local mark="sync-$RANDOM$RANDOM" i
	"$PYTHON3" -c 'import socket, sys
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(sys.argv[2].encode(),
    sys.argv[1])' "$BATS_TEST_TMPDIR/dev/log" "$mark" || return 1
	for ((i = 0; i < 1000; i++)); do
		grep -q "$mark" "$SYSLOG" && return 0
		sleep 0.01
	done
	_fail "syslog: the listener never wrote $mark"
}

# syslog_records -- what $SYSLOG holds but syslog_sync's marks
syslog_records() {
	grep -v '^"sync-' "$SYSLOG" || true
}
