# tests/setgid.bash -- the set-group-ID install, for the suites that test
# it (queue.bats, security.bats): `load setgid` after `load helpers`.
#
# A bats file that loads this gets setup_file/teardown_file below: as root,
# with groupadd, useradd and setpriv, they make a group SG_GROUP and a user
# SG_USER (short names, unique to the run) and remove them afterwards.
# Without them the set-group-ID tests skip (sg_binary says why).
#
#   sg_binary         what `make install --enable-setgid` does, in a fresh
#                     directory SGDIR (teardown removes it): SGBIN =
#                     SGDIR/cfsendmail root:GROUP 2755 whose compiled-in
#                     config is SGDIR/c.conf, the queue
#                     SGDIR/queue{,/tmp,/new,/failed} root:GROUP 2770, and
#                     SGDIR/ca.pem 0644 (read after the group is lowered)
#   sg_config_file F  install F as SGDIR/c.conf, root:GROUP 0640
#   as_user CMD...    CMD as the unprivileged test user (60 s at most)

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	command -v groupadd >/dev/null && command -v useradd >/dev/null &&
	    command -v setpriv >/dev/null || return 0
	SG_GROUP=cfg$$
	SG_USER=cfu$$
	groupadd -r "$SG_GROUP" || return 1
	useradd -r -U -M -d /nonexistent -s /usr/sbin/nologin "$SG_USER" || {
		groupdel "$SG_GROUP"
		return 1
	}
	export SG_GROUP SG_USER
}

teardown_file() {
	[ -n "${SG_USER:-}" ] && userdel "$SG_USER" 2>/dev/null
	[ -n "${SG_USER:-}" ] && getent group "$SG_USER" >/dev/null &&
	    groupdel "$SG_USER" 2>/dev/null
	[ -n "${SG_GROUP:-}" ] && groupdel "$SG_GROUP" 2>/dev/null
	return 0
}

as_user() {
	timeout 60 setpriv --reuid="$SG_USER" --regid="$SG_USER" \
	    --init-groups -- "$@"
}

sg_binary() {
	[ -n "${SG_USER:-}" ] ||
	    skip "needs root, groupadd, useradd and setpriv"
	local old d
	certs_make || return 1
	SGDIR=$(mktemp -d /tmp/cfsg.XXXXXX)
	chmod 0755 "$SGDIR"
	SGBIN=$SGDIR/cfsendmail
	cp "$CFSENDMAIL" "$SGBIN"
	# the compiled-in default config, as --help shows it
	old=$("$CFSENDMAIL" --help | grep -o '/[^ ]*/cfsendmail\.conf' | head -n 1)
	[ -n "$old" ] || _fail "no default config path in --help" || return 1
	"$PYTHON3" - "$SGBIN" "$old" "$SGDIR/c.conf" <<'PATCH' || return 1
import sys
path, old, new = sys.argv[1], sys.argv[2].encode() + b"\0", sys.argv[3].encode()
data = open(path, "rb").read()
if data.count(old) != 1 or len(new) >= len(old):
    sys.exit(f"cannot patch {old!r} (found {data.count(old)} times)")
open(path, "wb").write(data.replace(old, new.ljust(len(old), b"\0")))
PATCH
	chgrp "$SG_GROUP" "$SGBIN"
	chmod 2755 "$SGBIN"
	install -m 0644 "$CA" "$SGDIR/ca.pem"
	for d in "" /tmp /new /failed; do
		install -d -m 2770 -o root -g "$SG_GROUP" "$SGDIR/queue$d"
	done
}

sg_config_file() {
	install -m 0640 -o root -g "$SG_GROUP" "$1" "$SGDIR/c.conf"
}
