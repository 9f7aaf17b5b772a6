#!/bin/sh
# fail2ban 1.0.2 (Debian 12, package fail2ban 1.0.2-2) mailing with its
# default jail settings: jail.conf's destemail = root@localhost, sender =
# root@<fq-hostname>, mta = sendmail, and "action = %(action_mw)s" (ban
# and mail, with whois) for the sshd jail.  The two commands below are
# the actionstart of action.d/sendmail-common.conf and the actionban of
# action.d/sendmail-whois.conf exactly as "fail2ban-client -d" prints
# them after interpolation; fail2ban runs them with /bin/sh -c after
# replacing <fq-hostname> (socket.getfqdn()), <ip> and <failures>.  The
# only change: /usr/sbin/sendmail is the test's wrapper, $SENDMAIL.
#
#   usage: fail2ban.sh start|ban FQ-HOSTNAME
set -u
fq=$2
case $1 in
start)
	printf %b "Subject: [Fail2Ban] sshd: started on $fq
Date: `LC_ALL=C date +"%a, %d %h %Y %T %z"`
From: Fail2Ban <root@$fq>
To: root@localhost\n
Hi,\n
The jail sshd has been started successfully.\n
Regards,\n
Fail2Ban" | "$SENDMAIL" -f "root@$fq" "root@localhost"
	;;
ban)
	printf %b "Subject: [Fail2Ban] sshd: banned 192.0.2.10 from $fq
Date: `LC_ALL=C date +"%a, %d %h %Y %T %z"`
From: Fail2Ban <root@$fq>
To: root@localhost\n
Hi,\n
The IP 192.0.2.10 has just been banned by Fail2Ban after
5 attempts against sshd.\n\n
Here is more information about 192.0.2.10 :\n
`whois 192.0.2.10 || echo "missing whois program"`\n
Regards,\n
Fail2Ban" | "$SENDMAIL" -f "root@$fq" "root@localhost"
	;;
esac
