# tests/callers/lib.bash -- byte-exact checks on what the test server
# received, for tests/callers.bats and tests/compat.bats (after
# `load helpers`, `load callers/lib`).
#
# helpers.bash's assert_file_contains hands STR to `grep -F`, which reads a
# string holding a newline as several patterns: $'Subject: hi\r\n' is the
# two patterns "Subject: hi\r" and "", and the empty one matches every
# file.  The functions here compare bytes in bash instead, so a CRLF in
# STR means a CRLF in the file.
#
#   assert_has FILE STR      FILE holds STR (any bytes but NUL, any lines)
#   refute_has FILE STR      FILE does not hold STR
#   assert_crlf FILE         every line ends in CRLF, no bare CR or LF, and
#                            no line is longer than 998 octets + CRLF
#   header_section FILE      the header section, CRs removed
#   body_of FILE             the body (after the first empty line), as is
#   header_count FILE NAME   how many NAME: fields the header section has
#   assert_bcc_hidden FILE ADDR...
#                            no Bcc or Resent-Bcc field in the header
#                            section, and no ADDR anywhere in FILE
#   rcpts N                  envelope recipients of message N, one a line
#   assert_rcpts N ADDR...   they are exactly ADDR..., in any order
#   wait_received N          wait (bounded, 10 s) until N messages arrived
#   make_links               $BATS_TEST_TMPDIR/bin/{sendmail,mailq,
#                            newaliases} -> $CFSENDMAIL; sets LINKS

# The file's bytes in REPLY (a trailing newline kept).
_slurp() {
	REPLY=$(cat -- "$1" && printf x) || return 1
	REPLY=${REPLY%x}
}

assert_has() {
	_slurp "$1" || { _fail "cannot read $1"; return 1; }
	[[ $REPLY == *"$2"* ]] && return 0
	_fail "$1 does not contain (^M is CR, \$ is LF):" \
	    "$(printf '%s' "$2" | cat -A)" "--- $1:" \
	    "$(head -c 4000 -- "$1" | cat -A)"
}

refute_has() {
	_slurp "$1" || { _fail "cannot read $1"; return 1; }
	[[ $REPLY != *"$2"* ]] && return 0
	_fail "$1 contains (^M is CR, \$ is LF):" \
	    "$(printf '%s' "$2" | cat -A)" "--- $1:" \
	    "$(head -c 4000 -- "$1" | cat -A)"
}

assert_crlf() {
	local bad
	bad=$(LC_ALL=C grep -nav $'\r$' -- "$1"
	    LC_ALL=C grep -na $'\r.' -- "$1"
	    LC_ALL=C awk 'length($0) > 999 { print NR ": " length($0) \
	        " octets" }' "$1")
	if [ -n "$(tail -c 1 -- "$1")" ]; then
		bad+=$'\n(the last line has no line end)'
	fi
	[ -z "$bad" ] && return 0
	_fail "$1: line ends are not all CRLF, or a line is too long:" \
	    "$(printf '%s\n' "$bad" | cut -c 1-200 | cat -A)"
}

header_section() {
	LC_ALL=C sed -n '/^\r\{0,1\}$/q; s/\r$//; p' -- "$1"
}

body_of() {
	LC_ALL=C sed -n '/^\r\{0,1\}$/,$p' -- "$1" | LC_ALL=C sed 1d
}

header_count() {
	header_section "$1" | LC_ALL=C grep -ci "^$2[[:blank:]]*:" || true
}

# RFC 5322 section 3.6.3: the blind recipients get the message, but
# nobody sees them, nor that there were any.
assert_bcc_hidden() {
	local file=$1 n addr
	shift
	n=$(header_section "$file" |
	    LC_ALL=C grep -ci '^\(resent-\)\{0,1\}bcc[[:blank:]]*:' || true)
	[ "$n" -eq 0 ] || { _fail "$file: $n Bcc field(s) in the header" \
	    "section:" "$(header_section "$file")"; return 1; }
	for addr; do
		refute_has "$file" "$addr" || return 1
	done
}

rcpts() {
	envelope_field "$1" rcpt_tos
}

wait_received() {
	local i
	for ((i = 0; i < _POLL_TRIES; i++)); do
		[ "$(received_count)" -ge "$1" ] && return 0
		sleep "$_POLL_SLEEP"
	done
	_fail "fewer than $1 messages arrived within 10 s"
}

make_links() {
	LINKS=$BATS_TEST_TMPDIR/bin
	mkdir -p "$LINKS"
	ln -sf "$CFSENDMAIL" "$LINKS/sendmail"
	ln -sf "$CFSENDMAIL" "$LINKS/mailq"
	ln -sf "$CFSENDMAIL" "$LINKS/newaliases"
}

# assert_rcpts N ADDR... -- message N's envelope recipients are exactly
# ADDR... in some order (RCPT order is not part of the contract), domains
# compared case-insensitively; a duplicate counts.
assert_rcpts() {
	local n=$1 got want
	shift
	got=$(envelope_field "$n" rcpt_tos | LC_ALL=C awk '{
	    i = index($0, "@")
	    print i ? substr($0, 1, i) tolower(substr($0, i + 1)) : $0 }' |
	    LC_ALL=C sort) || return 1
	want=$(printf '%s\n' "$@" | LC_ALL=C awk '{
	    i = index($0, "@")
	    print i ? substr($0, 1, i) tolower(substr($0, i + 1)) : $0 }' |
	    LC_ALL=C sort)
	[ "$got" = "$want" ] && return 0
	_fail "message $n: recipients differ (- expected, + actual):" \
	    "$(diff -u <(printf '%s\n' "$want") <(printf '%s\n' "$got") |
	    tail -n +3)"
}

# on_host SHORT FQDN MAILNAME CMD... -- run CMD as on a host named SHORT:
# in new UTS and mount namespaces, the kernel's host name is SHORT and
# /etc is a copy of the real one whose hostname, mailname and hosts
# (127.0.1.1 FQDN SHORT, as Debian's installer writes it; no line for
# SHORT when FQDN is "-") say so.  The network is the machine's: the test server
# stays reachable.  With ON_HOST_DNS=silent, CMD runs in a network
# namespace of its own (no test server) whose only name server,
# 127.0.0.1, reads queries and never answers.  The test calls
# mount_ns_or_skip (helpers.bash) first, outside `run`.
on_host() {
	local short=$1 fqdn=$2 mailname=$3 etc=$BATS_TEST_TMPDIR/etc rc=0
	local -a ns=(--uts "${MOUNT_NS[@]}")
	shift 3
	[ ${#MOUNT_NS[@]} -gt 0 ] || _fail "on_host: mount_ns_or_skip first"
	[ "${ON_HOST_DNS:-}" != silent ] || ns+=(--net)
	# a copy of all of /etc, bound over it: a fresh system may have no
	# /etc/mailname (or hosts) to bind a single file onto
	rm -rf "$etc" && mkdir -p "$etc" && cp -a /etc "$etc/root" &&
	    rm -f "$etc/root/"{hostname,mailname,hosts,resolv.conf} ||
	    _fail "on_host: cannot copy /etc"
	printf '%s\n' "$short" >"$etc/root/hostname"
	printf '%s\n' "$mailname" >"$etc/root/mailname"
	printf '127.0.0.1\tlocalhost\n' >"$etc/root/hosts"
	[ "$fqdn" = - ] ||
	    printf '127.0.1.1\t%s %s\n' "$fqdn" "$short" >>"$etc/root/hosts"
	if [ "${ON_HOST_DNS:-}" = silent ]; then
		printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:2\n'
	else
		cat /etc/resolv.conf 2>/dev/null
	fi >"$etc/root/resolv.conf"
	cat >"$etc/silent-dns.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
open(sys.argv[1], "w").close()
while True:
    s.recv(4096)
PY
	ON_HOST_PYTHON=$PYTHON3 unshare "${ns[@]}" sh -c '
	    hostname "$1" || exit 97
	    mount --bind "$2/root" /etc || exit 98
	    if [ "${ON_HOST_DNS:-}" = silent ]; then
		ip link set lo up || exit 99
		"$ON_HOST_PYTHON" "$2/silent-dns.py" "$2/dns.ready" \
		    </dev/null >/dev/null 2>&1 3>&- &
		dns=$!
		i=0
		while [ ! -e "$2/dns.ready" ]; do
			i=$((i + 1))
			[ "$i" -le 1000 ] || exit 96
			sleep 0.01
		done
	    fi
	    shift 2
	    rc=0
	    "$@" || rc=$?
	    [ -z "${dns:-}" ] || kill "$dns"
	    exit "$rc"' _ "$short" "$etc" "$@" || rc=$?
	[ "$rc" -ne 97 ] || echo "on_host: cannot set the host name" >&2
	[ "$rc" -ne 98 ] || echo "on_host: cannot bind a copy of /etc" >&2
	[ "$rc" -ne 99 ] || echo "on_host: no silent name server" >&2
	[ "$rc" -ne 96 ] || echo "on_host: the silent name server never" \
	    "started" >&2
	return "$rc"
}
