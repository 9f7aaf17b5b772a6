#!/usr/bin/env bats
# Security (issue 6), end to end against the test server:
#   - the token never leaks: not in -v output, error messages (535
#     included), config errors, the queue, mailq, /proc/PID/cmdline or
#     environ of a running cfsendmail, and the AUTH payload derived from
#     it does not outlive AUTH in the process memory;
#   - its memory (issue 15): every copy in pages locked in RAM and left
#     out of core files, the process not dumpable while it holds it, no
#     core with it even when RLIMIT_CORE 0 does not hold (an LD_PRELOAD
#     shim, tests/security/rlimit_shim.c), a limit that cannot be set
#     refused, and a refused mlock not fatal but said under -v;
#   - the modes of the files holding the token: refused (78) when readable
#     or writable by others;
#   - the optional set-group-ID install (root only; a group and a user made
#     for the test): an unprivileged user sends with a token it cannot
#     read; -C drops the group before reading anything; the environment
#     and inherited descriptors do not count; the group is lowered while
#     talking to the network; queue entries are 0660 and group-owned;
#   - PHP mail()'s fifth argument (-X, -O, -C) with the real PHP.
#
# The set-group-ID tests copy the binary and patch the compiled-in default
# config path (SYSCONFDIR/cfsendmail.conf) to one in a test directory, so
# that nothing outside the test directories is touched.

load helpers
load setgid

bats_require_minimum_version 1.5.0

SECURITY_DIR=$BATS_TEST_DIRNAME/security

# --- the token and the forms it takes on the wire ---------------------------

setup() {
	certs_make
	TOK="cfsm-T0ken-$RANDOM$RANDOM-secret"
	# AUTH PLAIN: base64(NUL api_token NUL token); AUTH LOGIN: base64(token)
	TOK_PLAIN=$(printf '\0api_token\0%s' "$TOK" | base64 -w0)
	TOK_LOGIN=$(printf '%s' "$TOK" | base64 -w0)
	SGDIR=
}

teardown() {
	local rc=0
	if [ -n "${STALLED_PID:-}" ]; then
		kill -KILL "$STALLED_PID" 2>/dev/null || true
		wait "$STALLED_PID" 2>/dev/null || true
	fi
	server_stop || rc=1
	if [ -n "$SGDIR" ] && [ -d "$SGDIR" ]; then
		rm -rf -- "$SGDIR"
	fi
	return "$rc"
}

# assert_no_token FILE... -- none of the files holds the token or the AUTH
# payloads made of it
assert_no_token() {
	local f hits
	for f; do
		[ -e "$f" ] || continue
		hits=$(grep -rlaF -e "$TOK" -e "$TOK_PLAIN" -e "$TOK_LOGIN" \
		    -- "$f" || true)
		[ -z "$hits" ] || _fail "the token leaked into: $hits" || return 1
	done
}

# refute_token_in_output -- neither $output nor $stderr holds the token
refute_token_in_output() {
	local s
	for s in "$TOK" "$TOK_PLAIN" "$TOK_LOGIN"; do
		[[ $output != *"$s"* && ${stderr:-} != *"$s"* ]] ||
		    _fail "the token leaked into the output:" "$output" \
		    "${stderr:-}" || return 1
	done
}

# send [ARG...] -- submit a small message with the test config, bounded
send() {
	printf 'Subject: security test\n\nbody\n' |
	    timeout 60 "$CFSENDMAIL" -C "$CONF" "$@" to@example.org
}

# wait_for_stall -- until the server logs that it stalls (10 s at most)
wait_for_stall() {
	local i
	for ((i = 0; i < 1000; i++)); do
		grep -qs -- "-- stalling at" "$REC/transcript.log" && return 0
		sleep 0.01
	done
	_fail "the client never reached the stalled phase"
}

# start_stalled CMD... -- run CMD (ending in cfsendmail, which must exec
# in place so that $! is its pid) with a small message on stdin, in the
# background; wait until the server stalls; sets STALLED_PID
start_stalled() {
	printf 'Subject: stalled\n\nbody\n' | "$@" \
	    >"$BATS_TEST_TMPDIR/stalled.out" 2>&1 3>&- &
	STALLED_PID=$!
	wait_for_stall
}

stop_stalled() {
	kill -TERM "$STALLED_PID" 2>/dev/null || true
	wait "$STALLED_PID" 2>/dev/null || true
	STALLED_PID=
}

# --- the token never leaks -------------------------------------------------

@test "token: -v with AUTH PLAIN shows <redacted>, never the token" {
	server_start --token "$TOK"
	write_config "relay.token=$TOK"
	run --separate-stderr send -v
	assert_status 0
	[[ $stderr == *"AUTH PLAIN <redacted>"* ]] ||
	    _fail "no redacted AUTH in the transcript:" "$stderr"
	refute_token_in_output
	[ "$(received_count)" -eq 1 ]
	[ "$(envelope_field 1 auth)" != "" ]
}

@test "token: -v with AUTH LOGIN shows <redacted>, never the token" {
	server_start --token "$TOK" \
	    --caps "AUTH LOGIN,SIZE 5242880,8BITMIME,ENHANCEDSTATUSCODES"
	write_config "relay.token=$TOK"
	run --separate-stderr send -v
	assert_status 0
	[[ $stderr == *"AUTH LOGIN"* && $stderr == *"<redacted>"* ]] ||
	    _fail "no redacted AUTH LOGIN in the transcript:" "$stderr"
	refute_token_in_output
	[ "$(received_count)" -eq 1 ]
}

@test "token: a 535 refusal names the fix, not the token (with and without -v)" {
	server_start --token "the-right-token"
	write_config "relay.token=$TOK"
	run --separate-stderr send
	assert_status 0		# a setup failure: queued
	[[ $stderr == *535* ]] || _fail "the 535 is not reported:" "$stderr"
	refute_token_in_output
	run --separate-stderr send -v
	assert_status 77
	refute_token_in_output
	[ "$(received_count)" -eq 0 ]
	# AUTH LOGIN too: the password step is where the token goes
	server_stop
	server_start --token "the-right-token" \
	    --caps "AUTH LOGIN,SIZE 5242880,8BITMIME,ENHANCEDSTATUSCODES"
	write_config "relay.token=$TOK"
	run --separate-stderr send -v
	assert_status 77
	refute_token_in_output
	# the entries kept for the administrator's fix: without the token
	assert_no_token "$BATS_TEST_TMPDIR/queue"
}

@test "token: a deferred message's queue files and mailq hold no token" {
	server_start --token "$TOK" --reply dot="451 4.3.0 Try again later"
	write_config "relay.token=$TOK"
	run --separate-stderr send -v
	assert_status 0
	[[ $stderr == *queued* ]] || _fail "not queued:" "$stderr"
	refute_token_in_output
	[ -n "$(find "$BATS_TEST_TMPDIR/queue" -type f)" ]
	assert_no_token "$BATS_TEST_TMPDIR/queue"
	run --separate-stderr timeout 60 "$CFSENDMAIL" -C "$CONF" -bp
	assert_status 0
	refute_token_in_output
	# and a queue run (-q) with -v
	run --separate-stderr timeout 60 "$CFSENDMAIL" -C "$CONF" -q -v
	refute_token_in_output
	assert_no_token "$BATS_TEST_TMPDIR/queue"
}

@test "token: the same with token_file" {
	printf '%s\n' "$TOK" >"$BATS_TEST_TMPDIR/token"
	chmod 0600 "$BATS_TEST_TMPDIR/token"
	server_start --token "$TOK" --reply dot="451 4.3.0 Try again later"
	write_config -relay.token "relay.token_file=$BATS_TEST_TMPDIR/token"
	run --separate-stderr send -v
	assert_status 0
	refute_token_in_output
	assert_no_token "$BATS_TEST_TMPDIR/queue"
}

@test "token: --serverinfo, --check-config and -bv do not print it" {
	server_start --token "$TOK"
	write_config "relay.token=$TOK"
	run --separate-stderr timeout 60 "$CFSENDMAIL" -C "$CONF" --serverinfo
	assert_status 0
	refute_token_in_output
	run --separate-stderr timeout 60 "$CFSENDMAIL" -C "$CONF" -v --serverinfo
	refute_token_in_output
	run --separate-stderr timeout 60 "$CFSENDMAIL" -C "$CONF" --check-config
	refute_token_in_output
	run --separate-stderr timeout 60 "$CFSENDMAIL" -C "$CONF" -bv \
	    root@example.org
	refute_token_in_output
	[ "$(received_count)" -eq 0 ]
}

@test "token: config errors near the token do not echo it" {
	local line
	# a misspelled key, a pasted token on a line of its own, a second
	# token key, a control character in the value: all 78, none echoes
	for line in "tokn = $TOK" "$TOK" "token = $TOK" \
	    "token_file = $TOK" "token = $TOK"$'\x01'; do
		# the line goes into [relay], next to the real token
		CONF=$BATS_TEST_TMPDIR/conf.ini
		(
			umask 077
			printf '[relay]\ntoken = %s\n%s\n' "$TOK" "$line"
			printf 'host = localhost\nport = 1\nca_file = %s\n' "$CA"
			printf '[sender]\nfrom = alerts@example.com\n'
			printf '[queue]\ndir = %s/queue\n' "$BATS_TEST_TMPDIR"
		) >"$CONF"
		run --separate-stderr send
		assert_status 78
		refute_token_in_output
	done
	# a token file with a control character in it
	printf '%s\x01\n' "$TOK" >"$BATS_TEST_TMPDIR/token"
	chmod 0600 "$BATS_TEST_TMPDIR/token"
	write_config -relay.token "relay.token_file=$BATS_TEST_TMPDIR/token"
	run --separate-stderr send
	assert_status 78
	refute_token_in_output
}

@test "token: not in /proc/PID/cmdline or environ; AUTH payload wiped" {
	server_start --token "$TOK" --stall mail
	write_config "relay.token=$TOK" relay.timeout=30
	start_stalled "$CFSENDMAIL" -C "$CONF" to@example.org
	local pid=$STALLED_PID
	# stalled at MAIL: AUTH is done, the process is still running
	assert_file_contains "$REC/transcript.log" "S: 235"
	assert_no_token "/proc/$pid/cmdline" "/proc/$pid/environ"
	# explicit_bzero after AUTH: the base64 payloads are gone; the token
	# itself stays once (later sessions need it), never more
	if [ "$(id -u)" -eq 0 ] &&
	    ! sanitized "no memscan.py: ASan's shadow memory is too big"; then
		run "$PYTHON3" "$SECURITY_DIR/memscan.py" "$pid" \
		    "$TOK_PLAIN" "$TOK_LOGIN" "$TOK"
		assert_status 0
		local -a counts
		mapfile -t counts < <(printf '%s\n' "$output" | cut -d' ' -f1)
		[ "${counts[0]}" -eq 0 ] ||
		    _fail "the AUTH PLAIN payload is still in memory" "$output"
		[ "${counts[1]}" -eq 0 ] ||
		    _fail "base64(token) is still in memory" "$output"
		[ "${counts[2]}" -le 1 ] ||
		    _fail "the token is in memory ${counts[2]} times" "$output"
	fi
	# core dumps are off: the token never lands in a core file
	grep -E '^Max core file size +0 +0 ' "/proc/$pid/limits" ||
	    _fail "core dumps are not disabled:" "$(cat "/proc/$pid/limits")"
	stop_stalled
	assert_no_token "$BATS_TEST_TMPDIR/stalled.out" \
	    "$BATS_TEST_TMPDIR/queue"
}

# --- the token's memory: out of swap and core files (issue 15) -------------

# memscan_stall_or_skip -- skip unless memscan.py can read a process's
# memory (root, and no sanitizer build: ASan's shadow memory is too big);
# start a server that takes the token and stalls at MAIL, and a config
# that sends the token and waits 30 s for a reply
memscan_stall_or_skip() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (memscan.py reads /proc/PID/mem)"
	if sanitized "ASan's shadow memory is too big for memscan.py"; then
		skip "sanitizer build"
	fi
	server_start --token "$TOK" --stall mail || return 1
	write_config "relay.token=$TOK" relay.timeout=30
}

@test "token: every copy lies in memory locked in RAM and left out of cores" {
	memscan_stall_or_skip
	start_stalled "$CFSENDMAIL" -C "$CONF" to@example.org
	assert_file_contains "$REC/transcript.log" "S: 235"
	run "$PYTHON3" "$SECURITY_DIR/memscan.py" --flags "$STALLED_PID" \
	    "$TOK"
	assert_status 0
	local total dumped unlocked
	read -r total dumped unlocked _ <<<"$output"
	[ "$total" -ge 1 ] || _fail "the token is not in memory at all?"
	[ "$dumped" -eq 0 ] ||
	    _fail "$dumped of $total copies would go into a core file"
	[ "$unlocked" -eq 0 ] ||
	    _fail "$unlocked of $total copies may be swapped out"
	stop_stalled
}

@test "token: -odb's child, alone once its parent is gone, keeps it locked" {
	memscan_stall_or_skip
	run send -odb
	assert_status 0
	wait_for_stall
	local pid
	pid=$(pgrep -f -- "-C $CONF -odb") || _fail "no child delivering"
	run "$PYTHON3" "$SECURITY_DIR/memscan.py" --flags "$pid" "$TOK"
	kill -TERM "$pid"
	assert_status 0
	local total dumped unlocked
	read -r total dumped unlocked _ <<<"$output"
	[ "$total" -ge 1 ] || _fail "the token is not in memory at all?"
	[ "$unlocked" -eq 0 ] ||
	    _fail "$unlocked of $total copies may be swapped out in the child"
}

@test "token: the process is not dumpable while it holds the token" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (runs cfsendmail as nobody)"
	local dir
	dir=$(mktemp -d /tmp/cfsm-nd.XXXXXX)
	SGDIR=$dir	# teardown removes it
	server_start --token "$TOK" --stall mail
	write_config "relay.token=$TOK" relay.timeout=30 \
	    "relay.ca_file=$dir/ca.pem" "queue.dir=$dir/queue"
	cp "$CA" "$dir/ca.pem"
	cp "$CONF" "$dir/c.conf"
	chown -R nobody "$dir"
	chmod 0755 "$dir"
	start_stalled setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    -- "$CFSENDMAIL" -C "$dir/c.conf" to@example.org
	local pid=$STALLED_PID
	assert_file_contains "$REC/transcript.log" "S: 235"
	# a dumpable process owns its /proc/PID files; a non-dumpable one's
	# belong to root, whoever runs it
	[ "$(awk '/^Uid:/ { print $3 }' "/proc/$pid/status")" = 65534 ] ||
	    _fail "not running as nobody"
	[ "$(stat -c %u "/proc/$pid/status")" = 0 ] ||
	    _fail "dumpable while it holds the token:" \
	    "$(ls -ln "/proc/$pid/status")"
	stop_stalled
}

# rlimit_shim -- build tests/security/rlimit_shim.c: a setrlimit() whose
# RLIMIT_CORE does not hold; sets SHIM to the library
rlimit_shim() {
	SHIM=$BATS_TEST_TMPDIR/rlimit_shim.so
	"${CC:-cc}" -shared -fPIC -o "$SHIM" "$SECURITY_DIR/rlimit_shim.c" \
	    -ldl || skip "cannot build the LD_PRELOAD shim"
}

@test "token: a crash where RLIMIT_CORE 0 does not hold writes no core with it" {
	if sanitized "ASan handles the crash and needs to be preloaded first"; then
		skip "sanitizer build"
	fi
	local pattern cores=$BATS_TEST_TMPDIR/cores i ctl
	pattern=$(cat /proc/sys/kernel/core_pattern)
	[[ $pattern != "|"* && $pattern != /* ]] ||
	    skip "core_pattern sends cores elsewhere: $pattern"
	rlimit_shim
	mkdir "$cores"
	# control: a process of ours that crashes here leaves a core
	(cd "$cores" && ulimit -c unlimited && exec sleep 60) 3>&- &
	ctl=$!
	for ((i = 0; i < 1000; i++)); do
		[ "$(cat "/proc/$ctl/comm" 2>/dev/null)" = sleep ] && break
		sleep 0.01
	done
	kill -ABRT "$ctl"
	wait "$ctl" || true
	[ -n "$(ls -A "$cores")" ] || skip "this machine writes no core files"
	rm -f "$cores"/*
	server_start --token "$TOK" --stall mail
	write_config "relay.token=$TOK" relay.timeout=30
	cd "$cores"
	ulimit -c unlimited
	start_stalled env LD_PRELOAD="$SHIM" "$CFSENDMAIL" -C "$CONF" \
	    to@example.org
	grep -q '^Max core file size *unlimited' "/proc/$STALLED_PID/limits" ||
	    _fail "the shim did not keep core dumps on"
	kill -ABRT "$STALLED_PID"
	wait "$STALLED_PID" || true
	STALLED_PID=
	assert_no_token "$cores"
	[ -z "$(ls -A "$cores")" ] ||
	    _fail "a core file was written:" "$(ls -l "$cores")"
}

@test "token: RLIMIT_CORE that cannot be set to 0: refused before the config is read" {
	if sanitized "ASan needs to be preloaded first"; then
		skip "sanitizer build"
	fi
	rlimit_shim
	server_start --token "$TOK"
	write_config "relay.token=$TOK"
	run --separate-stderr env LD_PRELOAD="$SHIM" RLIMIT_SHIM=fail \
	    bash -c 'printf "Subject: t\n\nbody\n" | "$0" -C "$1" to@example.org' \
	    "$CFSENDMAIL" "$CONF"
	assert_status 71
	[ "$stderr" = "cfsendmail: cannot disable core dumps: Operation not permitted" ] ||
	    _fail "unclear:" "$stderr"
	[ "$(sessions_count)" -eq 0 ]
}

@test "token: mlock refused: delivered all the same, and said under -v" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (setpriv to drop CAP_IPC_LOCK)"
	if sanitized "ASan makes mlock() succeed without locking"; then
		skip "sanitizer build"
	fi
	server_start --token "$TOK"
	write_config "relay.token=$TOK"
	run --separate-stderr bash -c 'printf "Subject: t\n\nbody\n" |
	    prlimit --memlock=0:0 setpriv --bounding-set=-ipc_lock -- \
	    "$0" -C "$1" -v to@example.org' "$CFSENDMAIL" "$CONF"
	assert_status 0
	[[ $stderr == *"cannot lock"*"of credentials in memory"* ]] ||
	    _fail "the refused mlock is not reported:" "$stderr"
	[ "$(received_count)" -eq 1 ]
	refute_token_in_output
}

# --- modes of the files holding the token -----------------------------------

@test "modes: an inline token in a config readable or writable by others: 78" {
	local m
	server_start
	for m in 0644 0604 0602 0666; do
		write_config
		chmod "$m" "$CONF"
		run --separate-stderr send
		assert_status 78
		[[ $stderr == *"chmod o-rw"* ]] ||
		    _fail "mode $m: no clear hint:" "$stderr"
	done
	for m in 0600 0640; do
		write_config
		chmod "$m" "$CONF"
		run --separate-stderr send
		assert_status 0
	done
	[ "$(received_count)" -eq 2 ]
	[ "$(sessions_count)" -eq 2 ]
}

@test "modes: token_file 0644 or 0602: 78; 0640 and 0600: delivered" {
	local m tf=$BATS_TEST_TMPDIR/token
	printf 'test-token\n' >"$tf"
	server_start
	write_config -relay.token "relay.token_file=$tf"
	# without an inline token the config itself may be world-readable
	chmod 0644 "$CONF"
	for m in 0644 0604 0602 0606; do
		chmod "$m" "$tf"
		run --separate-stderr send
		assert_status 78
		[[ $stderr == *"token file $tf is readable or writable by others"* ]] ||
		    _fail "mode $m: unclear:" "$stderr"
	done
	for m in 0640 0600 0440 0400; do
		chmod "$m" "$tf"
		run --separate-stderr send
		assert_status 0
	done
	[ "$(received_count)" -eq 4 ]
	[ "$(sessions_count)" -eq 4 ]
}

@test "modes: a missing or unreadable token_file is a clear 78" {
	server_start
	write_config -relay.token "relay.token_file=$BATS_TEST_TMPDIR/none"
	run --separate-stderr send
	assert_status 78
	# the key and its line, not the value: it may be a pasted token
	[[ $stderr == *"conf.ini:"*": token_file: cannot open the file it names: No such file or directory"* ]] ||
	    _fail "unclear:" "$stderr"
	mkdir "$BATS_TEST_TMPDIR/dir"
	chmod 0700 "$BATS_TEST_TMPDIR/dir"
	write_config -relay.token "relay.token_file=$BATS_TEST_TMPDIR/dir"
	run --separate-stderr send
	assert_status 78
	[ "$(sessions_count)" -eq 0 ]
}

# --- the set-group-ID install (root) -----------------------------------------

# sg_install [section.key=value...] -- what `make install` with
# --enable-setgid does, in a fresh directory SGDIR:
#   SGDIR/cfsendmail   root:GROUP 2755, default config SGDIR/c.conf
#   SGDIR/c.conf       root:GROUP 0640, the inline token
#   SGDIR/token        root:GROUP 0640, the token alone
#   SGDIR/queue{,/tmp,/new,/failed}  root:GROUP 2770
#   SGDIR/ca.pem       0644 (read after the group is lowered)
#   SGDIR/user/        the test user's own directory
sg_install() {
	sg_binary || return 1
	write_config "relay.token=$TOK" "relay.ca_file=$SGDIR/ca.pem" \
	    "queue.dir=$SGDIR/queue" "$@"
	sg_config_file "$CONF"
	printf '%s\n' "$TOK" >"$SGDIR/token"
	chown "root:$SG_GROUP" "$SGDIR/token"
	chmod 0640 "$SGDIR/token"
	install -d -m 0700 -o "$SG_USER" -g "$SG_USER" "$SGDIR/user"
	cd "$SGDIR" || return 1
}

# user_config [section.key=value...] -- SGDIR/user/u.conf owned by the
# user (0600), its own queue; sets UCONF
user_config() {
	write_config "relay.ca_file=$SGDIR/ca.pem" \
	    "queue.dir=$SGDIR/user/queue" "$@"
	UCONF=$SGDIR/user/u.conf
	install -m 0600 -o "$SG_USER" -g "$SG_USER" "$CONF" "$UCONF"
}

# sg_send [ARG...] -- the user sends a small message with the setgid binary
sg_send() {
	printf 'Subject: setgid test\n\nbody\n' |
	    timeout 60 setpriv --reuid="$SG_USER" --regid="$SG_USER" \
	    --init-groups -- "$SGBIN" "$@" to@example.org
}

@test "setgid: an unprivileged user sends with a token it cannot read" {
	server_start --token "$TOK"
	sg_install
	[ "$(stat -c '%a %G' "$SGBIN")" = "2755 $SG_GROUP" ]
	run --separate-stderr sg_send
	assert_status 0
	[ "$(received_count)" -eq 1 ]
	[ "$(envelope_field 1 auth)" != "" ]
	refute_token_in_output
	# the user cannot read the config, the token file or the queue
	run as_user cat "$SGDIR/c.conf"
	[ "$status" -ne 0 ]
	run as_user cat "$SGDIR/token"
	[ "$status" -ne 0 ]
	run as_user ls "$SGDIR/queue/new"
	[ "$status" -ne 0 ]
}

@test "setgid: queue entries are 0660 and belong to the group" {
	server_start --token "$TOK"
	sg_install
	run --separate-stderr sg_send -odq
	assert_status 0
	local f n=0
	while IFS= read -r f; do
		n=$((n + 1))
		[ "$(stat -c '%a %G' "$f")" = "660 $SG_GROUP" ] ||
		    _fail "$f: $(stat -c '%a %U:%G' "$f") (want 660, group" \
		    "$SG_GROUP)" || return 1
	done < <(find "$SGDIR/queue" -type f)
	[ "$n" -ge 1 ] || _fail "nothing was queued"
	assert_no_token "$SGDIR/queue"
	[ "$(sessions_count)" -eq 0 ]
	# root's queue run delivers the user's entry
	run --separate-stderr timeout 60 "$SGBIN" -q
	assert_status 0
	[ "$(received_count)" -eq 1 ]
}

@test "setgid: only the top queue directory made beforehand: no user owns a part of it" {
	server_start --token "$TOK"
	sg_install
	# the layout an administrator makes by hand: dir/ alone, root:GROUP
	# 2770.  An unprivileged caller must not end up owning tmp/ new/
	# failed/ (the owner of new/ could rename other users' entries and
	# chmod the directory; and root's queue run then refuses a directory
	# owned by someone else): either they are made without it, or the
	# submission fails cleanly (73) telling what to create.
	rm -rf "$SGDIR/queue"
	install -d -m 2770 -o root -g "$SG_GROUP" "$SGDIR/queue"
	run --separate-stderr sg_send -odq
	case $status in
	0) ;;
	73) [[ $stderr == *"$SGDIR/queue"* ]] || _fail "unclear:" "$stderr" ;;
	*) _fail "exit $status:" "$stderr" ;;
	esac
	local owned
	owned=$(find "$SGDIR/queue" -mindepth 1 -type d -user "$SG_USER")
	[ -z "$owned" ] || _fail "the user owns queue directories:" \
	    "$(printf '%s\n' "$owned" | xargs ls -ld)" || return 1
	# what was accepted, root's queue run (cron, a systemd timer) delivers
	[ "$status" -eq 0 ] || return 0
	run --separate-stderr timeout 60 "$SGBIN" -q
	assert_status 0
	[ "$(received_count)" -eq 1 ]
}

@test "setgid: while talking to the relay: group lowered, fd 5 closed, not dumpable" {
	server_start --token "$TOK" --stall mail
	sg_install relay.timeout=30
	: >"$SGDIR/user/marker"
	chown "$SG_USER" "$SGDIR/user/marker"
	# the caller leaves fd 5 open on a file of its own
	start_stalled setpriv --reuid="$SG_USER" \
	    --regid="$SG_USER" --init-groups -- /bin/sh -c \
	    'exec 5<>"$1"; shift; exec "$@"' sh "$SGDIR/user/marker" \
	    "$SGBIN" to@example.org
	# setpriv and sh exec in place: the job is cfsendmail itself
	local pid=$STALLED_PID gid links real eff saved fs
	[ "$(cat "/proc/$pid/comm")" = cfsendmail ] ||
	    _fail "process $pid is $(cat "/proc/$pid/comm"), not cfsendmail"
	# inherited descriptors beyond 0-2 are closed
	links=$(ls -l "/proc/$pid/fd")
	[[ $links != *marker* ]] || _fail "fd 5 is still open:" "$links"
	[ ! -e "/proc/$pid/fd/5" ] ||
	    [ "$(readlink "/proc/$pid/fd/5")" != "$SGDIR/user/marker" ]
	# the group is lowered (effective and fs gid = the real one) while
	# talking to the network; the saved one can come back for the queue
	gid=$(getent group "$SG_GROUP" | cut -d: -f3)
	read -r _ real eff saved fs < <(grep '^Gid:' "/proc/$pid/status")
	[ "$eff" != "$gid" ] && [ "$fs" != "$gid" ] ||
	    _fail "group still effective: real $real eff $eff saved $saved fs $fs"
	[ "$saved" = "$gid" ] || _fail "saved gid $saved, expected $gid"
	# core dumps off, and the user cannot look into its own process
	grep -qE '^Max core file size +0 +0 ' "/proc/$pid/limits"
	run as_user cat "/proc/$pid/environ"
	[ "$status" -ne 0 ] || _fail "the user can read /proc/$pid/environ"
	run as_user ls "/proc/$pid/fd"
	[ "$status" -ne 0 ] || _fail "the user can list /proc/$pid/fd"
	run as_user head -c 1 "/proc/$pid/mem"
	[ "$status" -ne 0 ] || _fail "the user can read /proc/$pid/mem"
	assert_no_token "/proc/$pid/cmdline" "/proc/$pid/environ"
	stop_stalled
}

@test "setgid: LD_PRELOAD and GNUTLS_DEBUG_LEVEL from the caller have no effect" {
	server_start --token "$TOK"
	sg_install
	user_config relay.token=user-token
	# env(1) runs as the user and sets them for cfsendmail alone
	run --separate-stderr bash -c 'printf "Subject: env\n\nbody\n" |
	    timeout 60 setpriv --reuid="$1" --regid="$1" --init-groups -- \
	    env LD_PRELOAD=/nonexistent/x.so GNUTLS_DEBUG_LEVEL=9 \
	    TMPDIR=/nonexistent TZ=/nonexistent LANGUAGE=/nonexistent \
	    CFSENDMAIL_CONFIG="$3" "$2" to@example.org' sh "$SG_USER" \
	    "$SGBIN" "$UCONF"
	assert_status 0
	[ -z "$stderr" ] || _fail "unexpected output on stderr:" "$stderr"
	[ -z "$output" ] || _fail "unexpected output on stdout:" "$output"
	[ "$(received_count)" -eq 1 ]
}

@test "setgid: a caller closing stdout and stderr gets nothing into the group's files" {
	# fds 1 and 2 closed: the config, the queue entry and the socket would
	# take those numbers, and -v or error text "for stderr" would go into
	# a group-owned file or onto the wire.  The message must arrive as sent.
	server_start --token "$TOK"
	sg_install
	printf 'Subject: closed\n\nline\n' >"$SGDIR/in"
	chmod 0644 "$SGDIR/in"
	run timeout 60 setpriv --reuid="$SG_USER" --regid="$SG_USER" \
	    --init-groups -- /bin/sh -c 'exec "$0" -v to@example.org \
	    <"$1" >&- 2>&-' "$SGBIN" "$SGDIR/in"
	[ "$status" -lt 128 ] || _fail "killed by signal $((status - 128))"
	[ "$(received_count)" -eq 1 ] ||
	    _fail "not delivered: exit $status, queue:" \
	    "$(find "$SGDIR/queue" -type f)" || return 1
	refute_file_contains "$(received 1)" "cfsendmail:"
	refute_file_contains "$REC/transcript.log" "cfsendmail:"
}

@test "setgid: -C with the user's own config runs without the group" {
	server_start --token user-token
	sg_install
	user_config relay.token=user-token
	run --separate-stderr sg_send -C "$UCONF" -odq
	assert_status 0
	# queued in the user's own queue, not the group's, not group-owned
	[ -z "$(find "$SGDIR/queue" -type f)" ] ||
	    _fail "-C wrote into the group's queue"
	local f n=0
	while IFS= read -r f; do
		n=$((n + 1))
		[ "$(stat -c '%U:%G' "$f")" = "$SG_USER:$SG_USER" ] ||
		    _fail "$f: $(stat -c '%a %U:%G' "$f")" || return 1
	done < <(find "$SGDIR/user/queue" -type f)
	[ "$n" -ge 1 ]
	run --separate-stderr sg_send -C "$UCONF"
	assert_status 0
	[ "$(received_count)" -eq 1 ]
}

@test "setgid: -C cannot reach the protected token or queue" {
	server_start --token "$TOK"
	sg_install
	# (a) the protected config itself
	run --separate-stderr sg_send -C "$SGDIR/c.conf"
	assert_status 78
	[[ $stderr == *"ermission denied"* ]] || _fail "unclear:" "$stderr"
	# (b) a user config whose token_file is the protected token
	user_config -relay.token "relay.token_file=$SGDIR/token"
	run --separate-stderr sg_send -C "$UCONF"
	assert_status 78
	[[ $stderr == *"ermission denied"* ]] || _fail "unclear:" "$stderr"
	refute_token_in_output
	# (c) a user config (its own token) writing into the group's queue
	user_config relay.token=user-token "queue.dir=$SGDIR/queue"
	run --separate-stderr sg_send -C "$UCONF"
	assert_status 73
	[[ $stderr == *"$SGDIR/queue"* ]] || _fail "unclear:" "$stderr"
	# nothing reached the relay, the protected token least of all
	[ "$(sessions_count)" -eq 0 ]
	[ -z "$(find "$SGDIR/queue" -type f)" ]
}

# --- PHP mail()'s fifth argument ---------------------------------------------

# php_mail SENDMAIL_PATH FIFTH -- mail() through PHP; prints "true"/"false"
php_mail() {
	timeout 60 php -n -d "sendmail_path=$1" -r '
	    $ok = mail("to@example.org", "php test", "body\n",
		"From: web@example.com", $argv[1]);
	    echo $ok ? "true" : "false";' -- "$2"
}

# sg_gids PID -- "EFFECTIVE FS SAVED" group ids of process PID
sg_gids() {
	awk '/^Gid:/ { print $3, $5, $4 }' "/proc/$1/status"
}

# _wait_file FILE -- wait (bounded, 10 s) until FILE exists; fails if not
_wait_file() {
	local i
	for ((i = 0; i < 1000; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.01
	done
	_fail "$1 did not appear within 10 s"
}

@test "setgid -bs: the group is lowered while the session waits, raised only to spool" {
	server_start --token "$TOK"
	sg_install
	local t=$BATS_TEST_TMPDIR chat pid gid eff fs saved f n=0
	cat >"$t/bs.script" <<EOF
< 220
> EHLO client.example
< 250
touch $t/idle
wait $t/go
> MAIL FROM:<app@example.com>
> RCPT TO:<to@example.org>
> DATA
< 250
< 250
< 354
> Subject: setgid -bs
>
> body
> .
< 250 2.0.0 Ok: queued as
touch $t/after
wait $t/go2
> QUIT
< 221
exit 0
EOF
	"$PYTHON3" "$BATS_TEST_DIRNAME/callers/bs-chat.py" --pid-file "$t/pid" \
	    "$t/bs.script" -- setpriv --reuid="$SG_USER" --regid="$SG_USER" \
	    --init-groups -- "$SGBIN" -bs -odq >"$t/chat.out" 2>&1 3>&- &
	chat=$!
	_wait_file "$t/idle" || { cat "$t/chat.out"; return 1; }
	pid=$(cat "$t/pid")
	[ "$(cat "/proc/$pid/comm")" = cfsendmail ] ||
	    _fail "process $pid is $(cat "/proc/$pid/comm"), not cfsendmail"
	gid=$(getent group "$SG_GROUP" | cut -d: -f3)
	# waiting for a command: effective and fs gid the caller's own
	read -r eff fs saved < <(sg_gids "$pid")
	[ "$eff" != "$gid" ] && [ "$fs" != "$gid" ] && [ "$saved" = "$gid" ] ||
	    _fail "idle: effective $eff, fs $fs, saved $saved (group $gid)"
	touch "$t/go"
	_wait_file "$t/after" || { cat "$t/chat.out"; return 1; }
	read -r eff fs saved < <(sg_gids "$pid")
	[ "$eff" != "$gid" ] && [ "$fs" != "$gid" ] ||
	    _fail "after the message: effective $eff, fs $fs (group $gid)"
	touch "$t/go2"
	wait "$chat" || _fail "the session failed:" "$(cat "$t/chat.out")"
	# spooled with the group, for the group's queue run
	while IFS= read -r f; do
		n=$((n + 1))
		[ "$(stat -c '%a %G' "$f")" = "660 $SG_GROUP" ] ||
		    _fail "$f: $(stat -c '%a %U:%G' "$f")" || return 1
	done < <(find "$SGDIR/queue" -type f)
	[ "$n" -eq 2 ] || _fail "$n files queued, want 2"
	assert_no_token "$SGDIR/queue"
	run --separate-stderr timeout 60 "$SGBIN" -q
	assert_status 0
	[ "$(received_count)" -eq 1 ]
}

@test "php: -X and -O through the fifth argument write no file" {
	command -v php >/dev/null || skip "php-cli is not installed"
	local d=$BATS_TEST_TMPDIR
	server_start
	write_config
	run --separate-stderr php_mail "$CFSENDMAIL -C $CONF -t -i" \
	    "-X$d/x.log"
	[ "$output" = true ] || _fail "mail() failed:" "$output" "$stderr"
	[ ! -e "$d/x.log" ] || _fail "-X wrote $d/x.log"
	run --separate-stderr php_mail "$CFSENDMAIL -C $CONF -t -i" \
	    "-f web@example.com -X $d/y.log -OQueueDirectory=$d/evilq"
	[ "$output" = true ] || _fail "mail() failed:" "$output" "$stderr"
	[ ! -e "$d/y.log" ] && [ ! -e "$d/evilq" ] ||
	    _fail "-X or -O wrote a file"
	[ "$(received_count)" -eq 2 ]
	[ "$(envelope_field 2 mail_from)" = web@example.com ]
}

@test "php: a fifth argument that smuggles a recipient or a command fails" {
	command -v php >/dev/null || skip "php-cli is not installed"
	server_start
	write_config
	# PHP's escapeshellcmd turns the LF into a backslash-newline (which
	# the shell drops) but leaves the CR: "-fweb@example.com<CR>" reaches
	# argv, the rest of the text becomes more recipient words
	run --separate-stderr php_mail "$CFSENDMAIL -C $CONF -t -i" \
	    $'-fweb@example.com\r\nRCPT TO:<evil@example.net>'
	[ "$output" = false ] || _fail "mail() succeeded:" "$output" "$stderr"
	[ "$(sessions_count)" -eq 0 ]
}

@test "php setgid: -C, -X, -O through the fifth argument do not use the group" {
	command -v php >/dev/null || skip "php-cli is not installed"
	server_start --token "$TOK"
	sg_install
	# the attacker's config: our recording server as the relay, the
	# protected token as token_file
	user_config -relay.token "relay.token_file=$SGDIR/token"
	cp "$UCONF" "$SGDIR/user/evil.conf"
	chown "$SG_USER" "$SGDIR/user/evil.conf"
	run --separate-stderr as_user php -n \
	    -d "sendmail_path=$SGBIN -t -i" -r '
	    echo mail("to@example.org", "x", "body\n", "", $argv[1]) ?
		"true" : "false";' -- "-C $SGDIR/user/evil.conf"
	[ "$output" = false ] || _fail "mail() succeeded:" "$output" "$stderr"
	[ "$(sessions_count)" -eq 0 ] ||
	    _fail "a session was opened with the attacker's config"
	refute_token_in_output
	# an attacker config without a token: nothing to send with
	user_config -relay.token
	run --separate-stderr as_user php -n \
	    -d "sendmail_path=$SGBIN -t -i" -r '
	    echo mail("to@example.org", "x", "body\n", "", $argv[1]) ?
		"true" : "false";' -- "-C $UCONF"
	[ "$output" = false ] || _fail "mail() succeeded:" "$output" "$stderr"
	[ "$(sessions_count)" -eq 0 ]
	# -X and -O aimed at the group's queue (writable by the group only)
	run --separate-stderr as_user php -n \
	    -d "sendmail_path=$SGBIN -t -i" -r '
	    echo mail("to@example.org", "x", "body\n", "", $argv[1]) ?
		"true" : "false";' -- \
	    "-X$SGDIR/queue/x.log -OQueueDirectory=$SGDIR/queue/evil"
	[ "$output" = true ] || _fail "mail() failed:" "$output" "$stderr"
	[ ! -e "$SGDIR/queue/x.log" ] && [ ! -e "$SGDIR/queue/evil" ] ||
	    _fail "-X or -O wrote into the group's queue"
	[ "$(received_count)" -eq 1 ]
}
