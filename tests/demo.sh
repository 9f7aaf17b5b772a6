#!/bin/sh
# The README's first quick-start command ends here: start the bundled
# SMTPS test server on loopback, send one message through cfsendmail with
# -v, and show the SMTP transcript and the message as the server got it.
#
# usage: tests/demo.sh [path/to/cfsendmail]   (run from the source tree)
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$srcdir/cfsendmail}
python=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/cfsendmail-demo.XXXXXX")
server=

cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" || :
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$srcdir/tests/server/mkcerts.sh" "$work/certs"
"$python" "$srcdir/tests/server/smtpd.py" --port-file "$work/port" \
    --cert "$work/certs/server.pem" --key "$work/certs/server.key" \
    --record-dir "$work/received" --token demo-token-not-a-secret &
server=$!
tries=0
until [ -s "$work/port" ]; do
	tries=$((tries + 1))
	[ "$tries" -lt 500 ] || { echo "test server did not start" >&2; exit 1; }
	sleep 0.02
done

umask 077
cat > "$work/cfsendmail.conf" <<CONF
[relay]
host = localhost
port = $(cat "$work/port")
token = demo-token-not-a-secret
ca_file = $work/certs/ca.pem

[sender]
from = alerts@example.com
domain = example.com

[queue]
dir = $work/queue

[log]
syslog = no
CONF

echo "== cfsendmail -v -C cfsendmail.conf root (a cron-style message)"
printf 'Subject: Cron <root@host> backup\n\nbackup done: 42 files\n' |
    "$bin" -v -C "$work/cfsendmail.conf" -FCronDaemon -i root
echo "== exit status: $?"
echo
echo "== envelope as the server received it"
cat "$work/received/0001.json"
echo
echo "== message as the server received it (CR shown as ^M)"
cat -v "$work/received/0001.eml"
