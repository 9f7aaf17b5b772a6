#!/usr/bin/env bats
# The real callers of /usr/sbin/sendmail, run through the built binary
# against the test server: PHP mail() (php-cli), s-nail, bsd-mailx, git
# send-email, and the exact command lines and messages of cron, cronie,
# mutt, mdadm, sudo and unattended-upgrades.  Each test asserts on what the
# server received: the envelope, the headers (no Bcc, a From on the
# configured domain), CRLF line ends, and the caller's exit status.
#
# Needs the Debian packages php-cli, s-nail and git-email; bsd-mailx is
# used when it is installed (its Debian package pulls in an MTA, so CI may
# not have it).  A missing program skips its tests.

load helpers
load callers/lib

FIXTURES=$BATS_TEST_DIRNAME/callers

setup() {
	# No caller may read the developer's ~/.mailrc, ~/.gitconfig...
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME"
	export GIT_CONFIG_NOSYSTEM=1 MAILRC=/dev/null LC_ALL=C.UTF-8
	unset EMAIL REPLYTO MAIL
	server_start
	write_config '[aliases]' 'root = ops@example.com'
}

need() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed"
}

# php_mail ARGS... -- run mail(ARGS) in php-cli with sendmail_path set the
# way a php.ini does; prints "true" or "false", mail()'s result.
php_mail() {
	php -n -d sendmail_path="$CFSENDMAIL -C $CONF -t -i" -r '
	    $a = array_slice($argv, 1);
	    echo var_export(mail(...$a), true), "\n";' -- "$@"
}

# --- PHP mail() ------------------------------------------------------------

@test "PHP mail(): From/Cc/Bcc headers, mixed line ends, local From rewritten" {
	need php
	run php_mail a@example.org "Monthly report" \
	    $'line one\nline two\n' \
	    $'From: Web App <www-data>\r\nCc: c@example.org\r\nBcc: b@example.org'
	assert_status 0
	assert_output true
	[ "$(received_count)" -eq 1 ]
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	assert_rcpts 1 a@example.org c@example.org b@example.org
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_bcc_hidden "$m" b@example.org
	assert_has "$m" $'\r\nFrom: Web App <alerts@example.com>\r\n'
	assert_has "$m" $'To: a@example.org\r\n'
	assert_has "$m" $'\r\nCc: c@example.org\r\n'
	assert_has "$m" $'\r\nSubject: Monthly report\r\n'
	assert_has "$m" $'\r\n\r\nline one\r\nline two\r\n'
	[ "$(header_count "$m" Date)" -eq 1 ]
	[ "$(header_count "$m" Message-ID)" -eq 1 ]
	assert_no_violations
}

@test "PHP mail() with its fifth argument -f www@example.com" {
	need php
	run php_mail a@example.org "Password reset" $'Click here.\n' \
	    $'From: www@example.com\r\nBcc: audit@example.org' \
	    "-f www@example.com"
	assert_status 0
	assert_output true
	[ "$(envelope_field 1 mail_from)" = www@example.com ]
	assert_rcpts 1 a@example.org audit@example.org
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_has "$m" $'\r\nFrom: www@example.com\r\n'
	assert_bcc_hidden "$m" audit@example.org
}

@test "PHP mail() without a From header gets one on the configured domain" {
	need php
	run php_mail a@example.org "No from" $'body\n'
	assert_status 0
	assert_output true
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	local m
	m=$(received 1)
	assert_crlf "$m"
	[ "$(header_count "$m" From)" -eq 1 ]
	assert_has "$m" $'\r\nFrom: <alerts@example.com>\r\n'
}

# A php.ini sendmail_path may hold "-f" and the script pass its own: the
# last -f wins, as in Postfix (sendmail refuses a second -f).
@test "PHP mail(): -f in sendmail_path and in the fifth argument, the last wins" {
	need php
	run php -n -d sendmail_path="$CFSENDMAIL -C $CONF -t -i -f ini@example.com" \
	    -r 'var_export(mail("a@example.org", "s", "b\n", "", "-f www@example.com"));'
	assert_status 0
	assert_output true
	[ "$(envelope_field 1 mail_from)" = www@example.com ]
}

# The classic mail() injection: the fifth argument carries -X (sendmail's
# traffic log, pointed at the web root) and -O.  cfsendmail ignores both
# options; the message is delivered and no file is written.
@test "PHP mail() fifth-argument injection: -X/-O ignored, no file, delivered" {
	need php
	local pwn=$BATS_TEST_TMPDIR/pwn.php
	run php_mail a@example.org "Contact form" $'<?php system($_GET["c"]); ?>\n' \
	    "" "-f x@example.com -X$pwn -OQueueDirectory=$BATS_TEST_TMPDIR"
	assert_status 0
	assert_output true
	[ ! -e "$pwn" ]
	[ "$(received_count)" -eq 1 ]
	[ "$(envelope_field 1 mail_from)" = x@example.com ]
	assert_rcpts 1 a@example.org
	# Separated value, and a queue directory option: the same.
	run php_mail a@example.org "Contact form" $'x\n' "" \
	    "-f x@example.com -X $pwn -oQ$BATS_TEST_TMPDIR/q2"
	assert_output true
	[ ! -e "$pwn" ]
	[ ! -e "$BATS_TEST_TMPDIR/q2" ]
	assert_rcpts 2 a@example.org
}

# The fifth argument without a leading option: "x@example.com -X/path"
# puts -X after a recipient word.  cfsendmail refuses the whole command
# (exit 64, nothing sent), so mail() returns false.
@test "PHP mail() fifth-argument injection after a recipient: refused, mail() false" {
	need php
	local pwn=$BATS_TEST_TMPDIR/pwn2.php
	run php_mail a@example.org "Contact form" $'x\n' "" "x@example.com -X$pwn"
	assert_output_contains "looks like an option"
	[[ $output == *false ]] || _fail "mail() did not return false: $output"
	[ ! -e "$pwn" ]
	[ "$(sessions_count)" -eq 0 ]
}

# --- s-nail (mail/mailx) ------------------------------------------------------

# s-nail 14.9 (Debian 12) names the variables mta and mta-arguments (the
# old sendmail, sendmail-arguments still work, with a warning); it runs
# "MTA -i MTA-ARGUMENTS -- rcpt..." and writes no Bcc header.
@test "s-nail: -s -c -b through mta/mta-arguments, Bcc not transmitted" {
	need s-nail
	run s-nail -S sendwait -S mta="$CFSENDMAIL" \
	    -S mta-arguments="-C $CONF" -s "disk usage on myhost" \
	    -c c@example.org -b b@example.org a@example.org \
	    <<<'/ is 93% full'
	assert_status 0
	[ "$(received_count)" -eq 1 ]
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	assert_rcpts 1 a@example.org c@example.org b@example.org
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_bcc_hidden "$m" b@example.org
	assert_has "$m" $'Subject: disk usage on myhost\r\n'
	assert_has "$m" $'\r\nCc: c@example.org\r\n'
	assert_has "$m" $'\r\nFrom: <alerts@example.com>\r\n'
	assert_has "$m" $'\r\n\r\n/ is 93% full\r\n'
}

@test "s-nail: 8-bit UTF-8 subject and body to bare root" {
	need s-nail
	run s-nail -S sendwait -S mta="$CFSENDMAIL" \
	    -S mta-arguments="-C $CONF" -S ttycharset=utf-8 \
	    -s "état du disque" root <<<'déjà plein ✓'
	assert_status 0
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	assert_rcpts 1 ops@example.com
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_has "$m" $'\r\nFrom: <alerts@example.com>\r\n'
	assert_has "$m" $'\r\nTo: root@example.com\r\n'
	# s-nail MIME-encodes both; the server saw a valid envelope for it
	assert_has "$m" $'Subject: =?utf-8?B?w6l0YXQ=?= du disque\r\n'
	assert_no_violations
}

@test "bsd-mailx: -i -t with a Bcc header" {
	need bsd-mailx
	printf 'set sendmail=%s\n' "$FIXTURES/sendmail-wrapper.sh" \
	    >"$HOME/.mailrc"
	MAILRC=$HOME/.mailrc run bsd-mailx -s "from bsd-mailx" \
	    -c c@example.org -b b@example.org a@example.org <<<'hello'
	assert_status 0
	[ "$(received_count)" -eq 1 ]
	assert_rcpts 1 a@example.org c@example.org b@example.org
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_bcc_hidden "$m" b@example.org
	assert_has "$m" $'\r\nFrom: <alerts@example.com>\r\n'
}

# --- git send-email ---------------------------------------------------------

@test "git send-email --sendmail-cmd: recipients, [PATCH] subject, no Bcc" {
	need git
	[ -e "$(git --exec-path)/git-send-email" ] ||
	    skip "git send-email (git-email) is not installed"
	local repo=$BATS_TEST_TMPDIR/repo
	git init -q "$repo"
	git -C "$repo" config user.name "Dev Eloper"
	git -C "$repo" config user.email dev@example.com
	echo hello >"$repo/file"
	git -C "$repo" add file
	git -C "$repo" commit -qm "add file"
	git -C "$repo" format-patch -q -1 -o "$BATS_TEST_TMPDIR/patches"
	run git -C "$repo" send-email --sendmail-cmd="$CFSENDMAIL -C $CONF" \
	    --to=a@example.org --cc=b@example.org --bcc=c@example.org \
	    --confirm=never --suppress-cc=all "$BATS_TEST_TMPDIR"/patches/*.patch
	assert_status 0
	assert_output_contains "Result: OK"
	[ "$(received_count)" -eq 1 ]
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	assert_rcpts 1 a@example.org b@example.org c@example.org
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_bcc_hidden "$m" c@example.org
	assert_has "$m" $'\r\nSubject: [PATCH] add file\r\n'
	assert_has "$m" $'From: Dev Eloper <dev@example.com>\r\n'
	assert_has "$m" $'\r\n+hello\r\n'
	# git's own Date and Message-Id are kept, not doubled
	[ "$(header_count "$m" Date)" -eq 1 ]
	[ "$(header_count "$m" Message-ID)" -eq 1 ]
}

# --- cron -------------------------------------------------------------------

@test "Debian cron: -FCronDaemon -i -B8BITMIME -oem root, aliased root" {
	run "$CFSENDMAIL" -C "$CONF" -FCronDaemon -i -B8BITMIME -oem root \
	    <"$FIXTURES/cron-debian.txt"
	assert_status 0
	[ "$(received_count)" -eq 1 ]
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	assert_rcpts 1 ops@example.com
	envelope_field 1 mail_options | grep -qx BODY=8BITMIME ||
	    _fail "no BODY=8BITMIME: $(envelope_field 1 mail_options)"
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_has "$m" $'From: alerts@example.com (Cron Daemon)\r\n'
	assert_has "$m" $'\r\nTo: root@example.com\r\n'
	assert_has "$m" $'\r\nSubject: Cron <root@myhost> /usr/local/bin/job\r\n'
	assert_has "$m" $'\r\nX-Cron-Env: <SHELL=/bin/sh>\r\n'
	# -i: the lone dot is data; the 8-bit body is unchanged
	assert_has "$m" $'\r\n\r\nSauvegarde terminée : 3 fichiers copiés ✓\r\n.\r\nla ligne'
	[ "$(header_count "$m" From)" -eq 1 ]
	assert_no_violations
}

@test "Debian cron: MAILTO=a@example.org,b@example.org as one word" {
	run "$CFSENDMAIL" -C "$CONF" -i -FCronDaemon -B8BITMIME -oem \
	    a@example.org,b@example.org <"$FIXTURES/cron-mailto.txt"
	assert_status 0
	assert_rcpts 1 a@example.org b@example.org
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_has "$m" $'To: a@example.org,b@example.org\r\n'
	assert_has "$m" $'From: alerts@example.com (Cron Daemon)\r\n'
}

@test "Debian cron to root without an alias: qualified with [sender] domain" {
	write_config
	run "$CFSENDMAIL" -C "$CONF" -FCronDaemon -i -B8BITMIME -oem root \
	    <"$FIXTURES/cron-debian.txt"
	assert_status 0
	assert_rcpts 1 root@example.com
	assert_has "$(received 1)" $'\r\nTo: root@example.com\r\n'
}

@test "cronie: -FCronDaemon -i -odi -oem -oi -t -f root" {
	run "$CFSENDMAIL" -C "$CONF" -FCronDaemon -i -odi -oem -oi -t -f root \
	    <"$FIXTURES/cronie.txt"
	assert_status 0
	[ "$(received_count)" -eq 1 ]
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	assert_rcpts 1 ops@example.com
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_has "$m" $'From: "(Cron Daemon)" <alerts@example.com>\r\n'
	assert_has "$m" $'\r\nTo: root@example.com\r\n'
	assert_has "$m" $'\r\njob output\r\n.\r\nafter a lone dot\r\n'
}

# --- mutt, mdadm, sudo, unattended-upgrades ------------------------------------

@test "mutt: -oem -oi -- rcpt... with the Bcc only in argv" {
	run "$CFSENDMAIL" -C "$CONF" -oem -oi -- a@example.org b@example.org \
	    hidden@example.org <"$FIXTURES/mutt.txt"
	assert_status 0
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	assert_rcpts 1 a@example.org b@example.org hidden@example.org
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_bcc_hidden "$m" hidden@example.org
	# mutt's own headers are kept byte for byte
	assert_has "$m" $'Date: Sun, 29 Nov 2026 03:04:05 +0100\r\nFrom: Mutt User <me@example.com>\r\n'
	assert_has "$m" $'\r\nMessage-ID: <20261129020405.GA1234@myhost>\r\n'
	[ "$(header_count "$m" Date)" -eq 1 ]
	[ "$(header_count "$m" Message-ID)" -eq 1 ]
}

@test "mdadm: -t without -i to bare root: a lone dot ends the message" {
	run "$CFSENDMAIL" -C "$CONF" -t <"$FIXTURES/mdadm.txt"
	assert_status 0
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	assert_rcpts 1 ops@example.com
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_has "$m" $'From: mdadm monitoring <alerts@example.com>\r\n'
	assert_has "$m" $'\r\nTo: root@example.com\r\n'
	refute_has "$m" "AFTER THE DOT"
	# what came before the dot is all there, and nothing after it
	[ "$(body_of "$m" | tail -n 1)" = $'A Fail event had been detected on md device /dev/md0.\r' ]
}

@test "sudo: -t, stdout and stderr to /dev/null, From: root rewritten" {
	"$CFSENDMAIL" -C "$CONF" -t <"$FIXTURES/sudo.txt" >/dev/null 2>&1
	assert_rcpts 1 ops@example.com
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_has "$m" $'To: root@example.com\r\nFrom: alerts@example.com\r\n'
	assert_has "$m" $'\r\nSubject: *** SECURITY information for myhost ***\r\n'
}

@test "sudo with stdout and stderr closed: still delivered, exit 0" {
	run bash -c '"$1" -C "$2" -t <"$3" >&- 2>&-' _ "$CFSENDMAIL" "$CONF" \
	    "$FIXTURES/sudo.txt"
	assert_status 0
	assert_rcpts 1 ops@example.com
}

@test "unattended-upgrades: -oi -t from Python's email package" {
	run "$PYTHON3" "$FIXTURES/unattended-upgrades.py" \
	    "$CFSENDMAIL" -C "$CONF"
	assert_status 0
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	assert_rcpts 1 ops@example.com
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_has "$m" $'\r\nFrom: alerts@example.com\r\n'
	assert_has "$m" $'\r\nTo: root@example.com\r\n'
	assert_has "$m" $'Subject: unattended-upgrades result for myhost: True\r\n'
	assert_has "$m" $'Content-Transfer-Encoding: quoted-printable\r\n'
	assert_no_violations
}

# --- host-local addresses: GNU mailutils, fail2ban (issue 14) ----------------

# GNU mailutils 3.15 (Debian 12, package mailutils) runs its sendmail
# mailer as "sendmail -oi -f LOGIN@FQDN -t", the FQDN from the host's own
# names; "set sendmail=sendmail://PATH" points it at the test wrapper.
@test "GNU mailutils mail: -oi -f root@FQDN -t to root@localhost" {
	mount_ns_or_skip
	need mail.mailutils
	run on_host web1 web1.example.org web1.example.org \
	    mail.mailutils -E "set sendmail=sendmail://$FIXTURES/sendmail-wrapper.sh" \
	    -s "disk report" root@localhost <<<'all fine'
	assert_status 0
	[ "$(received_count)" -eq 1 ]
	[ "$(envelope_field 1 mail_from)" = alerts@example.com ]
	assert_rcpts 1 ops@example.com
	local m
	m=$(received 1)
	assert_crlf "$m"
	assert_has "$m" $'Subject: disk report\r\n'
	assert_has "$m" $'\r\nTo: <root@example.com>\r\n'
	assert_has "$m" $'\r\nFrom: <alerts@example.com>\r\n'
	refute_has "$m" web1.example.org
	assert_has "$m" $'\r\n\r\nall fine\r\n'
	assert_no_violations
}

# The fixture's header says where its commands come from (fail2ban
# 1.0.2-2); fail2ban computes <fq-hostname> with socket.getfqdn().
@test "fail2ban sendmail-whois with the default jail: start and ban mails" {
	mount_ns_or_skip
	local fq
	fq=$(on_host web1 web1.example.org web1.example.org \
	    "$PYTHON3" -c 'import socket; print(socket.getfqdn())')
	[ "$fq" = web1.example.org ] || _fail "socket.getfqdn(): $fq"
	SENDMAIL=$FIXTURES/sendmail-wrapper.sh run on_host web1 \
	    web1.example.org web1.example.org "$FIXTURES/fail2ban.sh" start "$fq"
	assert_status 0
	SENDMAIL=$FIXTURES/sendmail-wrapper.sh run on_host web1 \
	    web1.example.org web1.example.org "$FIXTURES/fail2ban.sh" ban "$fq"
	assert_status 0
	[ "$(received_count)" -eq 2 ]
	local n m
	for n in 1 2; do
		[ "$(envelope_field $n mail_from)" = alerts@example.com ]
		assert_rcpts $n ops@example.com
		m=$(received $n)
		assert_crlf "$m"
		assert_has "$m" $'\r\nFrom: Fail2Ban <alerts@example.com>\r\n'
		assert_has "$m" $'\r\nTo: root@example.com\r\n'
		[ "$(header_count "$m" Date)" -eq 1 ]
	done
	assert_has "$(received 1)" $'Subject: [Fail2Ban] sshd: started on web1.example.org\r\n'
	assert_has "$(received 1)" $'\r\n\r\nHi,\r\n\r\nThe jail sshd has been started successfully.\r\n'
	assert_has "$(received 2)" $'Subject: [Fail2Ban] sshd: banned 192.0.2.10 from web1.example.org\r\n'
	assert_has "$(received 2)" $'The IP 192.0.2.10 has just been banned by Fail2Ban after\r\n5 attempts against sshd.\r\n'
	assert_no_violations
}
