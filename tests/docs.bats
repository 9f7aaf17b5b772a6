#!/usr/bin/env bats
# The documentation against the code: the man pages are clean mdoc, every
# option the parser accepts and every key the config parser reads is in its
# man page, every exit code the code uses is in EXIT STATUS, --help fits one
# screen, and the files under etc/ are usable as shipped.  The lists come
# from src/ itself, so a new option, key or exit code without docs fails.

load helpers

MAN8=$top_srcdir/man/cfsendmail.8
MAN5=$top_srcdir/man/cfsendmail.conf.5
EXAMPLE=$top_srcdir/etc/cfsendmail.conf

# section_of FILE NAME -- the lines of mdoc section ".Sh NAME" of FILE.
section_of() {
	awk -v want="$2" '
	    /^\.Sh / { on = (substr($0, 5) == want); next }
	    on { print }' "$1"
}

# config_keys -- "section key" for every row of keys[] in src/config.c.
config_keys() {
	awk '/^static const struct key keys\[\] = \{/ { on = 1; next }
	    on && /^};/ { exit }
	    on' "$top_srcdir/src/config.c" |
	    sed -n 's/^[[:space:]]*{ "\([a-z_]*\)", "\([a-z_]*\)",.*/\1 \2/p'
}

# option_letters NAME -- the letters of "static const char NAME[] = "...";"
# in src/options.c.
option_letters() {
	sed -n "s/^static const char[[:space:]]*$1\\[\\] = \"\\([^\"]*\\)\";/\\1/p" \
	    "$top_srcdir/src/options.c"
}

# An ".It" line of the OPTIONS section of cfsendmail(8) with "Fl WORD"
# (".It Fl t", ".It Fl oe Ns Ar mode , Fl e Ns Ar mode"), backslash
# escapes removed: "Fl \-check\-config" is "Fl -check-config".
man_has_flag() {
	section_of "$MAN8" OPTIONS | sed 's/\\&//g; s/\\//g' |
	    grep -Eq "^\\.It (.*[[:space:]])?Fl $1([[:space:]]|$)"
}

# assert_none_missing WORD... LIST -- LIST (names, each after a space) is
# empty; otherwise the WORDs and LIST go to stderr and the test fails
assert_none_missing() {
	local list=${!#}
	[ -z "$list" ] && return 0
	echo "${*:1:$#-1}$list" >&2
	return 1
}

@test "both man pages are clean under mandoc -Tlint -W warning" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	run mandoc -Tlint -W warning "$MAN8" "$MAN5"
	assert_status 0
	assert_output ""
}

@test "the option tables of src/options.c are what the binary accepts" {
	local tables letter out accepted
	tables=$(option_letters FLAG_LETTERS)$(option_letters VALUE_LETTERS)$(option_letters ATTACHED_LETTERS)
	[ ${#tables} -ge 20 ] || {
		echo "could not read the letter tables of src/options.c: '$tables'" >&2
		return 1
	}
	# A config file that does not exist: whatever an accepted letter
	# means, the run stops at the config (or, for -I, does nothing).
	for letter in {A..Z} {a..z} {0..9}; do
		out=$("$CFSENDMAIL" -C "$BATS_TEST_TMPDIR/none.conf" "-$letter" \
		    </dev/null 2>&1) || true
		if [[ $out == *"unknown option -$letter"* ]]; then
			accepted=no
		else
			accepted=yes
		fi
		if [[ $tables == *"$letter"* ]]; then
			[ $accepted = yes ] || {
				echo "-$letter is in the tables but the binary refuses it: $out" >&2
				return 1
			}
		else
			[ $accepted = no ] || {
				echo "the binary accepts -$letter, which no table of src/options.c holds: $out" >&2
				return 1
			}
		fi
	done
}

@test "every option letter the parser accepts is in cfsendmail(8) as .It Fl" {
	local tables letter missing=
	tables=$(option_letters FLAG_LETTERS)$(option_letters VALUE_LETTERS)$(option_letters ATTACHED_LETTERS)
	[ -n "$tables" ]
	for ((i = 0; i < ${#tables}; i++)); do
		letter=${tables:i:1}
		man_has_flag "$letter" || missing="$missing -$letter"
	done
	assert_none_missing "options missing from OPTIONS in man/cfsendmail.8" \
	    "(as .It Fl X):" "$missing"
}

@test "every long option, -b mode, -od and -oe letter is in cfsendmail(8)" {
	local opt letter missing=
	# { "--version", OPTIONS_VERSION },
	for opt in $(sed -n 's/^[[:space:]]*{ "--\([a-z-]*\)", OPTIONS_.*/\1/p' \
	    "$top_srcdir/src/options.c"); do
		man_has_flag "-$opt" || missing="$missing --$opt"
	done
	# { 'm', OPTIONS_DELIVER }, in parse_mode()
	for letter in $(sed -n "s/^[[:space:]]*{ '\\(.\\)', OPTIONS_.*/\\1/p" \
	    "$top_srcdir/src/options.c"); do
		man_has_flag "b$letter" || missing="$missing -b$letter"
	done
	# case 'i': ... in parse_delivery()
	for letter in $(awk '/^parse_delivery\(/ { on = 1 } on && /^}/ { exit }
	    on' "$top_srcdir/src/options.c" |
	    sed -n "s/^[[:space:]]*case '\\(.\\)':.*/\\1/p"); do
		man_has_flag "od$letter" || missing="$missing -od$letter"
	done
	# strchr("mpqwe", val[0]) in parse_error_mode()
	letter=$(awk '/^parse_error_mode\(/ { on = 1 } on && /^}/ { exit }
	    on' "$top_srcdir/src/options.c" |
	    sed -n 's/.*strchr("\([a-z]*\)".*/\1/p')
	[ -n "$letter" ]
	for ((i = 0; i < ${#letter}; i++)); do
		sed 's/\\//g' "$MAN8" | grep -Eq "Cm ${letter:i:1}( |$)" ||
		    missing="$missing -oe${letter:i:1}"
	done
	assert_none_missing "missing from man/cfsendmail.8:" "$missing"
}

@test "every config key is in cfsendmail.conf(5), in its section" {
	local section key keys missing=
	keys=$(config_keys)
	[ "$(echo "$keys" | wc -l)" -ge 20 ] || {
		echo "could not read keys[] of src/config.c: $keys" >&2
		return 1
	}
	while read -r section key; do
		sed 's/\\&//g' "$MAN5" | awk -v s="[$section]" -v k="$key" '
		    /^\.S[hs] / { on = ($2 == s) }
		    on && $1 == ".It" && $2 == "Cm" && $3 == k { found = 1 }
		    END { exit !found }' || missing="$missing [$section]$key"
	done <<<"$keys"
	sed 's/\\&//g' "$MAN5" | grep -q '^\.Ss \[aliases\]$' ||
	    missing="$missing [aliases]"
	assert_none_missing "keys missing from man/cfsendmail.conf.5" \
	    "(.It Cm key under .Ss [section]):" "$missing"
}

@test "every value of an enumerated config key is in cfsendmail.conf(5)" {
	local value values missing=
	# static const char *const tls_names[] = { "implicit", ... NULL };
	values=$(awk '/_names\[\] = \{/ { on = 1 } on { print } /};/ { on = 0 }' \
	    "$top_srcdir/src/config.c" | grep -o '"[a-z_]*"' | tr -d '"')
	[ -n "$values" ]
	for value in $values; do
		grep -Eq "Cm $value( |$)" "$MAN5" || missing="$missing $value"
	done
	assert_none_missing "values missing from man/cfsendmail.conf.5:" "$missing"
}

@test "every config key is in the example etc/cfsendmail.conf, in its section" {
	local section key missing=
	while read -r section key; do
		awk -v s="[$section]" -v k="$key" '
		    /^\[/ { on = ($1 == s) }
		    on && ($1 == k || $1 == ";" k) && $2 == "=" { found = 1 }
		    END { exit !found }' "$EXAMPLE" ||
		    missing="$missing [$section]$key"
	done <<<"$(config_keys)"
	assert_none_missing "keys missing from etc/cfsendmail.conf:" "$missing"
}

@test "every exit code used in src/ and cmd/ is in EXIT STATUS" {
	# <sysexits.h>, which has not changed since 4.4BSD.
	local -A code=([EX_OK]=0 [EX_USAGE]=64 [EX_DATAERR]=65 [EX_NOINPUT]=66
	    [EX_NOUSER]=67 [EX_NOHOST]=68 [EX_UNAVAILABLE]=69 [EX_SOFTWARE]=70
	    [EX_OSERR]=71 [EX_OSFILE]=72 [EX_CANTCREAT]=73 [EX_IOERR]=74
	    [EX_TEMPFAIL]=75 [EX_PROTOCOL]=76 [EX_NOPERM]=77 [EX_CONFIG]=78)
	local name names section missing=
	names=$(grep -ohE '\bEX_[A-Z]+\b' "$top_srcdir"/src/*.c \
	    "$top_srcdir"/cmd/*.c | sort -u)
	[ -n "$names" ]
	section=$(section_of "$MAN8" "EXIT STATUS")
	for name in $names; do
		[ -n "${code[$name]:-}" ] || {
			echo "$name is not a <sysexits.h> code" >&2
			return 1
		}
		grep -qx "\\.It ${code[$name]} Pq Dv $name" <<<"$section" ||
		    missing="$missing ${code[$name]}($name)"
	done
	assert_none_missing "missing from EXIT STATUS" \
	    "(as .It N Pq Dv EX_NAME):" "$missing"
}

@test "DIAGNOSTICS covers every reply of Cloudflare's reply table" {
	local reply section missing=
	section=$(section_of "$MAN8" DIAGNOSTICS | sed 's/\\&//g')
	for reply in 421 "451 4.3.0" "452 4.5.3" 500 501 503 "530 5.7.0" \
	    "535 5.7.8" "550 5.7.1" "552 5.3.4" 554 "TLS handshake" \
	    "TLS certificate" "Connection refused"; do
		grep -q "^\\.It .*$reply" <<<"$section" ||
		    missing="$missing '$reply'"
	done
	assert_none_missing "DIAGNOSTICS has no .It entry for:" "$missing"
}

@test "cfsendmail --help fits one screen" {
	run "$CFSENDMAIL" --help
	assert_status 0
	local lines
	lines=$(printf '%s\n' "$output" | wc -l)
	[ "$lines" -le 24 ] || {
		echo "--help prints $lines lines, more than 24" >&2
		return 1
	}
	# 80 columns, but for the line that names the config file: its
	# length is the --sysconfdir's (make distcheck's is long).
	if printf '%s\n' "$output" | grep -v '/cfsendmail\.conf' |
	    awk 'length > 80 { bad = 1 } END { exit !bad }'; then
		echo "--help has lines longer than 80 columns:" >&2
		printf '%s\n' "$output" | awk 'length > 80' >&2
		return 1
	fi
}

@test "the example config parses, with a token file filled in" {
	local conf=$BATS_TEST_TMPDIR/cfsendmail.conf
	printf 'dummy-token\n' >"$BATS_TEST_TMPDIR/token"
	chmod 600 "$BATS_TEST_TMPDIR/token"
	sed "s|^token_file = .*|token_file = $BATS_TEST_TMPDIR/token|" \
	    "$EXAMPLE" >"$conf"
	# the example must name the token file on a line of its own
	grep -qx "token_file = $BATS_TEST_TMPDIR/token" "$conf"
	printf '\n[queue]\ndir = %s\n' "$BATS_TEST_TMPDIR/queue" >>"$conf"
	run "$CFSENDMAIL" -C "$conf" --check-config
	assert_status 0
	assert_output_contains "OK (relay smtp.mx.cloudflare.net port 465"
}

@test "the example config parses with every commented-out default set" {
	local conf=$BATS_TEST_TMPDIR/cfsendmail.conf section key
	printf 'dummy-token\n' >"$BATS_TEST_TMPDIR/token"
	chmod 600 "$BATS_TEST_TMPDIR/token"
	# cat, not cp: under make distcheck the source tree is read-only
	cat "$EXAMPLE" >"$conf"
	# uncomment ";key = value" for the keys of keys[], but the inline
	# token (token_file is set) and the queue directory (set below)
	while read -r section key; do
		case $key in token | dir) continue ;; esac
		sed -i "s|^;$key = |$key = |" "$conf"
	done <<<"$(config_keys)"
	sed -i "s|^token_file = .*|token_file = $BATS_TEST_TMPDIR/token|" "$conf"
	printf '\n[queue]\ndir = %s\n' "$BATS_TEST_TMPDIR/queue" >>"$conf"
	run "$CFSENDMAIL" -C "$conf" --check-config
	assert_status 0
	run "$CFSENDMAIL" -C "$conf" -bv root
	assert_status 0
	assert_output_contains "recipient: <"
}

@test "the etc/ templates use only @sbindir@ and @queuedir@" {
	local f placeholders
	for f in "$top_srcdir"/etc/*.in; do
		placeholders=$(grep -o '@[a-z_]*@' "$f" | sort -u |
		    grep -vx -e '@sbindir@' -e '@queuedir@' || true)
		[ -z "$placeholders" ] || {
			echo "$f: placeholders the Makefile does not fill: $placeholders" >&2
			return 1
		}
	done
	grep -q '^ExecStart=@sbindir@/cfsendmail -q5m$' \
	    "$top_srcdir/etc/cfsendmail-queue.service.in"
	grep -q '^ReadWritePaths=@queuedir@$' \
	    "$top_srcdir/etc/cfsendmail-queue.service.in"
	grep -Eq '^\*/5 \* \* \* \*[[:space:]]+root[[:space:]]+@sbindir@/cfsendmail -q5m$' \
	    "$top_srcdir/etc/cron.d-cfsendmail.in"
	grep -qx 'OnBootSec=2min' "$top_srcdir/etc/cfsendmail-queue.timer"
	grep -qx 'OnUnitActiveSec=5min' "$top_srcdir/etc/cfsendmail-queue.timer"
	grep -qx 'WantedBy=timers.target' "$top_srcdir/etc/cfsendmail-queue.timer"
}

@test "the systemd units pass systemd-analyze verify" {
	command -v systemd-analyze >/dev/null ||
	    skip "systemd-analyze is not installed"
	local dir=$BATS_TEST_TMPDIR/units
	mkdir -p "$dir/sbin"
	# verify wants ExecStart's program to exist; Documentation= names
	# man pages that are not installed yet.
	printf '#!/bin/sh\nexit 0\n' >"$dir/sbin/cfsendmail"
	chmod 755 "$dir/sbin/cfsendmail"
	sed -e "s|@sbindir@|$dir/sbin|g" \
	    -e "s|@queuedir@|$BATS_TEST_TMPDIR/queue|g" -e '/^Documentation=/d' \
	    "$top_srcdir/etc/cfsendmail-queue.service.in" \
	    >"$dir/cfsendmail-queue.service"
	sed '/^Documentation=/d' "$top_srcdir/etc/cfsendmail-queue.timer" \
	    >"$dir/cfsendmail-queue.timer"
	run systemd-analyze verify "$dir/cfsendmail-queue.service" \
	    "$dir/cfsendmail-queue.timer"
	assert_status 0
}
