#!/bin/sh
# mkcerts.sh DIR -- throwaway PKI for the TLS tests, made at test time.
#
# Creates in DIR (ECDSA P-256 keys, certtool from gnutls-bin):
#   ca.pem ca.key             test CA ("cfsendmail test CA")
#   server.pem/.key           CN/SAN localhost, IP SANs 127.0.0.1 ::1; from ca
#   server2.pem/.key          the same names, from ca, with a key of its own
#   wronghost.pem/.key        SAN wrong.example only; from ca
#   expired.pem/.key          valid for localhost, expired in 2021; from ca
#   selfsigned.pem/.key       localhost, self-signed (not from ca)
#   other-ca.pem/.key         a second CA that the tests never trust
#   otherca-server.pem/.key   localhost, from other-ca
# (each X.pem has its key in X.key)
#
# Idempotent: does nothing when DIR/ca.pem exists.  Safe to run concurrently
# (parallel bats jobs): a lock serialises the runs and ca.pem is written last,
# so its presence means the set is complete.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 64
fi
dir=$1
[ -f "$dir/ca.pem" ] && exit 0
mkdir -p "$dir"

exec 9>"$dir/.lock"
flock 9
[ -f "$dir/ca.pem" ] && exit 0

work=$(mktemp -d "$dir/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

newkey() {
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
	    --no-text --outfile "$1.key" 2>/dev/null
}

# tmpl NAME LINE... -- write a certtool template.
tmpl() {
	name=$1
	shift
	printf '%s\n' "$@" >"$name.tmpl"
}

# A CA: self-signed, may sign certificates.
mkca() {
	newkey "$1"
	tmpl "$1" "cn = \"$2\"" "serial = 1" "expiration_days = 3650" \
	    "ca" "cert_signing_key"
	certtool --generate-self-signed --load-privkey "$1.key" \
	    --template "$1.tmpl" --no-text --outfile "$1.pem" 2>/dev/null
}

# mkleaf NAME SIGNER TEMPLATE-LINE... -- a TLS server certificate; SIGNER
# "self" makes it self-signed.
mkleaf() {
	name=$1
	signer=$2
	shift 2
	newkey "$name"
	tmpl "$name" "$@" "tls_www_server" "signing_key" "encryption_key"
	if [ "$signer" = self ]; then
		certtool --generate-self-signed --load-privkey "$name.key" \
		    --template "$name.tmpl" --no-text --outfile "$name.pem" \
		    2>/dev/null
	else
		certtool --generate-certificate --load-privkey "$name.key" \
		    --load-ca-certificate "$signer.pem" \
		    --load-ca-privkey "$signer.key" \
		    --template "$name.tmpl" --no-text --outfile "$name.pem" \
		    2>/dev/null
	fi
}

localhost='cn = "localhost"
dns_name = "localhost"
ip_address = "127.0.0.1"
ip_address = "::1"'

mkca ca "cfsendmail test CA"
mkca other-ca "cfsendmail untrusted test CA"
mkleaf server ca "$localhost" "serial = 2" "expiration_days = 365"
mkleaf server2 ca "$localhost" "serial = 7" "expiration_days = 365"
mkleaf wronghost ca 'cn = "wrong.example"' 'dns_name = "wrong.example"' \
    "serial = 3" "expiration_days = 365"
mkleaf expired ca "$localhost" "serial = 4" \
    'activation_date = "2020-01-01 00:00:00 UTC"' \
    'expiration_date = "2021-01-01 00:00:00 UTC"'
mkleaf selfsigned self "$localhost" "serial = 5" "expiration_days = 365"
mkleaf otherca-server other-ca "$localhost" "serial = 6" \
    "expiration_days = 365"

chmod 600 ./*.key
for f in *.key *.pem; do
	[ "$f" = ca.pem ] || mv -f "$f" "$dir/$f"
done
mv -f ca.pem "$dir/ca.pem"
