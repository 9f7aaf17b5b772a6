#!/usr/bin/env python3
"""A scripted SMTP client for "sendmail -bs": runs COMMAND with pipes on
its standard input and output, plays SCRIPT against it and checks each
reply.  tests/bs.bats and tests/security.bats use it.

    bs-chat.py [--pid-file FILE] SCRIPT -- COMMAND [ARG...]

SCRIPT ("-": standard input) has one step a line (blank lines and lines starting with "#" are
skipped):

    > TEXT      send TEXT and CRLF.  Consecutive sends go out in one write:
                a pipelined group (RFC 2920)
    >| TEXT     send TEXT as it is, no CRLF added
    >* N TEXT   send TEXT repeated N times, no CRLF added
    < CODE      read one reply (all its lines) and check its code...
    < CODE X    ...and that its last line starts with "CODE X"
    <~ TEXT     read one reply and check that it holds TEXT
    <! TEXT     read one reply and check that it does not hold TEXT
    close       close the command's standard input
    eof         the command writes nothing more (it closed its output)
    wait FILE   wait until FILE exists (another process's signal to go on)
    touch FILE  create FILE (a signal to another process)
    exit N      wait for the command to exit, with status N

TEXT takes the escapes \\r \\n \\t \\0 \\\\ and \\xHH.  Every wait is bounded
(30 s for a reply, 60 s for the exit, 30 s for a file): a step that times
out fails.  The transcript ("C: ...", "S: ...") goes to standard output;
a failed step prints what it wanted and exits 1, leaving the command to
be killed.  Exit 0 when every step passed.
"""

import os
import re
import select
import subprocess
import sys
import time

REPLY_WAIT = 30
EXIT_WAIT = 60


def unescape(text):
    def one(m):
        s = m.group(0)
        table = {"\\r": b"\r", "\\n": b"\n", "\\t": b"\t", "\\0": b"\0",
                 "\\\\": b"\\"}
        if s in table:
            return table[s].decode("latin-1")
        return chr(int(s[2:], 16))
    return re.sub(r"\\x[0-9a-fA-F]{2}|\\[rnt0\\]", one, text).encode(
        "latin-1")


def show(data):
    return data.decode("latin-1").encode("unicode_escape").decode("ascii")


class Chat:
    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        self.buf = b""
        self.pending = b""
        self.eof = False

    def fail(self, why):
        print("FAILED: " + why, flush=True)
        self.proc.kill()
        self.proc.wait()
        sys.exit(1)

    def send_pending(self):
        if not self.pending:
            return
        data, self.pending = self.pending, b""
        shown = data if len(data) <= 2000 else data[:2000] + b"..."
        print("C: " + show(shown), flush=True)
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            print("C: (broken pipe)", flush=True)

    def line(self):
        deadline = time.monotonic() + REPLY_WAIT
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            if self.eof:
                return None
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.fail("no reply within %d s" % REPLY_WAIT)
            chunk = os.read(fd, 65536)
            if not chunk:
                self.eof = True
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        print("S: " + show(line + b"\n"), flush=True)
        return line

    def reply(self):
        self.send_pending()
        lines = []
        while True:
            line = self.line()
            if line is None:
                self.fail("the command closed its output; wanted a reply")
            if not line.endswith(b"\r"):
                self.fail("reply line without CRLF: " + show(line))
            line = line[:-1].decode("latin-1")
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return lines

    def expect(self, want):
        lines = self.reply()
        last = lines[-1]
        if not last.startswith(want):
            self.fail("wanted a reply starting %r, got %r" % (want, last))
        for line in lines:
            if line[:3] != last[:3]:
                self.fail("reply lines with different codes: %r" % lines)

    def expect_text(self, want):
        lines = self.reply()
        if not any(want in line for line in lines):
            self.fail("wanted a reply holding %r, got %r" % (want, lines))

    def refute_text(self, bad):
        lines = self.reply()
        if any(bad in line for line in lines):
            self.fail("wanted a reply without %r, got %r" % (bad, lines))

    def expect_eof(self):
        self.send_pending()
        line = self.line()
        if line is not None or self.buf:
            self.fail("wanted the end of the output, got more: %s" %
                      show((line or b"") + self.buf))

    def close(self):
        self.send_pending()
        print("C: (close)", flush=True)
        self.proc.stdin.close()

    def wait_exit(self, status):
        self.send_pending()
        try:
            rc = self.proc.wait(EXIT_WAIT)
        except subprocess.TimeoutExpired:
            self.fail("no exit within %d s" % EXIT_WAIT)
        print("exit %d" % rc, flush=True)
        if rc != status:
            self.fail("wanted exit status %d, got %d" % (status, rc))


def wait_file(chat, path):
    chat.send_pending()
    deadline = time.monotonic() + 30
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            chat.fail("%s did not appear within 30 s" % path)
        time.sleep(0.01)


def step(chat, line):
    if line.startswith(">| "):
        chat.pending += unescape(line[3:])
    elif line.startswith(">* "):
        count, text = line[3:].split(" ", 1)
        chat.pending += unescape(text) * int(count)
    elif line.startswith("> ") or line == ">":
        chat.pending += unescape(line[2:]) + b"\r\n"
    elif line.startswith("<~ "):
        chat.expect_text(line[3:])
    elif line.startswith("<! "):
        chat.refute_text(line[3:])
    elif line.startswith("< "):
        chat.expect(line[2:])
    elif line == "close":
        chat.close()
    elif line == "eof":
        chat.expect_eof()
    elif line.startswith("wait "):
        wait_file(chat, line[5:])
    elif line.startswith("touch "):
        chat.send_pending()
        open(line[6:], "w").close()
    elif line.startswith("exit "):
        chat.wait_exit(int(line[5:]))
    else:
        chat.fail("bad script line: %r" % line)


def main():
    args = sys.argv[1:]
    pid_file = None
    if args[:1] == ["--pid-file"]:
        pid_file, args = args[1], args[2:]
    if len(args) < 3 or args[1] != "--":
        sys.exit(__doc__)
    with open(0 if args[0] == "-" else args[0], encoding="utf-8",
              closefd=args[0] != "-") as f:
        script = [line.rstrip("\n") for line in f]
    chat = Chat(args[2:])
    if pid_file:
        with open(pid_file + ".tmp", "w") as f:
            f.write("%d\n" % chat.proc.pid)
        os.rename(pid_file + ".tmp", pid_file)
    for line in script:
        if line.strip() and not line.startswith("#"):
            step(chat, line)
    chat.send_pending()
    if chat.proc.poll() is None:
        chat.proc.stdin.close()
        chat.wait_exit(chat.proc.wait(EXIT_WAIT))


if __name__ == "__main__":
    main()
