#!/usr/bin/python3
# How unattended-upgrades (Debian 12, 2.9.1) mails its report:
# _send_mail_using_sendmail() from /usr/bin/unattended-upgrade, with the
# sendmail command line taken from argv instead of SENDMAIL_BINARY.
#   unattended-upgrades.py SENDMAIL [ARG...]  runs SENDMAIL ARG... -oi -t
import email.charset
import subprocess
import sys
from email.message import Message


def _send_mail_using_sendmail(from_address, to_address, subject, body):
    # format as a proper mail
    msg = Message()
    msg['Subject'] = subject
    msg['From'] = from_address
    msg['To'] = to_address
    msg['Auto-Submitted'] = "auto-generated"
    # order is important here, Message() first, then Charset()
    #  then msg.set_charset()
    charset = email.charset.Charset("utf-8")
    charset.body_encoding = email.charset.QP  # type: ignore
    msg.set_payload(body, charset)
    # and send it away
    sendmail = subprocess.Popen(
        sys.argv[1:] + ["-oi", "-t"],
        stdin=subprocess.PIPE, universal_newlines=True)
    assert sendmail.stdin  # mypy
    sendmail.stdin.write(msg.as_string())
    sendmail.stdin.close()
    ret = sendmail.wait()
    return ret


sys.exit(_send_mail_using_sendmail(
    "root", "root",
    "unattended-upgrades result for myhost: True",
    "Unattended upgrade result: All upgrades installed\n\n"
    "Packages that were upgraded:\n libssl3 openssl \u2713\n"))
