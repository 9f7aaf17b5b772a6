#!/usr/bin/python3
"""Scriptable SMTPS test server standing in for smtp.mx.cloudflare.net.

By default it answers exactly like Cloudflare Email Service (see
reference/cloudflare-smtp.md): implicit TLS (1.2 minimum), AUTH PLAIN/LOGIN
with user "api_token", SIZE 5242880, at most 50 recipients per session.
Options script deviations (error replies, drops, stalls, delays, and the
ways of a hostile relay: dripped, endless or over-long replies, stray bytes,
early replies, TLS tricks) and record what the client did, so that a test reads "deviation in; transcript,
delivered bytes and exit code out".

Usage: smtpd.py --port-file FILE --cert PEM --key PEM [options]

The options, the phases they apply to and the record directory's files are
described in one place: tests/server/README.

Stderr is silent unless something is wrong with the server itself; a client
that disconnects at any point is an event in the transcript, not an error.
SIGTERM and SIGINT stop the server cleanly (exit status 0).

Why not aiosmtpd's SMTP class: its replies are hard-coded inside its
command methods (the first EHLO line, "354 End data with...", "221 Bye",
the 552 texts), it refuses DSN parameters before any hook runs, it reads AUTH
continuation lines and message bodies outside its main loop, cancels the
session on EOF, and offers no way to see read-ahead bytes for the
pipelining check or to drop the connection mid-body.  Subclassing would
mean overriding _handle_client and every smtp_* method, leaving nothing of
it, so this is written directly on asyncio streams and the ssl module.
"""

import argparse
import asyncio
import base64
import binascii
import collections
import io
import json
import math
import os
import re
import secrets
import selectors
import signal
import socket
import ssl
import string
import struct
import sys
import traceback
import warnings

HOST = "mx.cloudflare.net"
GREETING = f"220 {HOST} Cloudflare Email ESMTP Service ready"
CLOSING = (f"221 {HOST} Cloudflare Email ESMTP Service closing "
           "transmission channel")
DEFAULT_CAPS = "AUTH PLAIN LOGIN,SIZE 5242880,8BITMIME,ENHANCEDSTATUSCODES"

REPLY_PHASES = ("greeting", "ehlo", "helo", "starttls", "auth", "mail",
                "rcpt", "data", "dot", "rset", "noop", "quit")
CUT_PHASES = ("connect",) + REPLY_PHASES + ("midata",)

# RFC 2920 section 3.1: these end a pipelined group, so the client must wait
# for their reply even when PIPELINING is advertised.  None is the greeting;
# AUTH is added because its SASL exchange is a dialogue (RFC 4954).
LAST_IN_GROUP = {None, "EHLO", "HELO", "AUTH", "DATA", "STARTTLS", "NOOP",
                 "VRFY", "EXPN"}

# MAIL/RCPT parameters and the EHLO keyword that allows each of them.
MAIL_PARAMS = {"SIZE": "SIZE", "BODY": "8BITMIME", "SMTPUTF8": "SMTPUTF8",
               "RET": "DSN", "ENVID": "DSN", "AUTH": "AUTH"}
RCPT_PARAMS = {"NOTIFY": "DSN", "ORCPT": "DSN"}

ID_CHARS = string.ascii_letters + string.digits


class Closed(Exception):
    """The session is over (QUIT, 421, drop, client gone): unwind quietly."""


def write_atomic(path, data):
    """Write a file so that a reader sees either nothing or all of it."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.replace(tmp, path)


class Recorder:
    """The --record-dir files; every method is a no-op without that option."""

    def __init__(self, path):
        self.dir = path
        self.transcript = None
        if path:
            os.makedirs(path, exist_ok=True)
            # Unbuffered: each line is one write(2), on disk before the
            # reply it precedes is sent.
            self.transcript = open(os.path.join(path, "transcript.log"),
                                   "ab", buffering=0)

    def log(self, session, tag, text):
        if self.transcript:
            if isinstance(text, str):
                text = text.encode("utf-8", "surrogateescape")
            self.transcript.write(b"%d %s %s\n" % (session, tag.encode(),
                                                   text))

    def counter(self, name, value):
        if self.dir:
            write_atomic(os.path.join(self.dir, name), f"{value}\n")

    def violation(self, text):
        if self.dir:
            # the text may hold a client's invalid UTF-8 (surrogate
            # escapes): written as \udcXX rather than crashing the session
            with open(os.path.join(self.dir, "violations"), "a",
                      encoding="utf-8", errors="backslashreplace") as f:
                f.write(f"VIOLATION {text}\n")

    def message(self, number, data, envelope):
        if self.dir:
            base = os.path.join(self.dir, f"{number:04d}")
            write_atomic(base + ".eml", data)
            write_atomic(base + ".json",
                         json.dumps(envelope, indent=2) + "\n")


class Server:
    """Options, lifetime counters and the script shared by all sessions."""

    def __init__(self, opts):
        self.opts = opts
        self.rec = Recorder(opts.record_dir)
        self.caps = [c.strip() for c in opts.caps.split(",") if c.strip()]
        self.size_limit = None
        for cap in self.caps:
            word, _, arg = cap.partition(" ")
            if word.upper() == "SIZE" and arg.strip().isdigit():
                self.size_limit = int(arg) or None
        self.replies = dict(opts.reply)
        self.drops = dict.fromkeys(opts.drop, True)
        self.stalls = dict.fromkeys(opts.stall, True)
        self.hostile = {name: dict(getattr(opts, name))
                        for name in HOSTILE_OPTIONS}
        self.rcpt_replies = {a.lower(): r for a, r in opts.rcpt_reply}
        self.phase_counts = collections.Counter()
        self.sessions = 0
        self.active = 0
        self.peak = 0
        self.waits = 0
        self.messages = 0
        self.tasks = set()
        self.ctx = make_tls_context(opts, opts.cert, opts.key)
        # the certificate of the second and later connections
        self.next_ctx = self.ctx
        if opts.next_cert:
            self.next_ctx = make_tls_context(opts, opts.next_cert,
                                             opts.next_key)
        if opts.renegotiate or opts.key_update:
            OpenSSL.check(self.ctx)

    def occurrence(self, phase):
        """Count one more occurrence of phase; return its 1-based number."""
        self.phase_counts[phase] += 1
        return self.phase_counts[phase]

    @staticmethod
    def scripted(table, phase, n):
        """The entry for the nth occurrence of phase, else for all of them."""
        return table.get((phase, n)) or table.get((phase, None))

    async def accept(self, reader, writer):
        """asyncio.start_server callback: one TCP connection."""
        task = asyncio.current_task()
        self.tasks.add(task)
        self.sessions += 1
        self.rec.counter("sessions", self.sessions)
        self.active += 1
        self.rec.counter("active", self.active)
        if self.active > self.peak:
            self.peak = self.active
            self.rec.counter("peak", self.peak)
        session = Session(self, self.sessions, reader, writer)
        try:
            await session.run()
        except asyncio.CancelledError:
            # serve() stops the sessions still open.  End the task
            # normally: from Python 3.11.5 on, asyncio's stream protocol
            # asks a finished connection task for its exception, and a
            # cancelled one's is printed as a traceback on stderr.
            pass
        except Exception:
            # A bug in this server, never a client's doing: say so loudly.
            print(f"smtpd.py: session {session.number}:", file=sys.stderr)
            traceback.print_exc()
        finally:
            session.settled()
            self.tasks.discard(task)


class Session:
    """One SMTP connection.

    A read pump moves everything the client sends into self.buf as soon as
    it arrives; commands are taken from there line by line.  Whatever is
    still in self.buf when a reply is about to be sent was therefore sent
    by the client before it saw that reply: that is the pipelining check.
    """

    def __init__(self, srv, number, reader, writer):
        self.srv = srv
        self.rec = srv.rec
        self.number = number
        self.reader = reader
        self.writer = writer
        self.buf = bytearray()
        self.eof = False
        self.arrived = asyncio.Event()
        self.heard()
        self.pump = None
        self.aborted = False
        self.is_settled = False
        self.tls = None
        self.ctx = None           # the TLS context of this connection
        self.sni = None
        self.verb = None          # command being answered; None = greeting
        self.helo = None
        self.esmtp = False
        self.auth = None          # mechanism, once authenticated
        self.accepted_rcpts = 0   # per session: Cloudflare's limit is
        self.reset()              # "50 per session", not per message

    def heard(self):
        """The client's last bytes came now (or the session, or its TLS,
        began): --delay-ms counts from here."""
        self.input_at = asyncio.get_running_loop().time()

    def reset(self):
        """Forget the mail transaction (RSET, EHLO, after the final dot)."""
        self.mail_from = None
        self.mail_options = []
        self.rcpt_tos = []
        self.rcpt_options = []

    def settled(self):
        """This session will process nothing more: update DIR/active."""
        if not self.is_settled:
            self.is_settled = True
            self.srv.active -= 1
            self.rec.counter("active", self.srv.active)

    def note(self, text):
        self.rec.log(self.number, "--", text)

    def violation(self, kind, what):
        self.rec.violation(f"{kind} {self.number} {what}")

    # --- connection ---------------------------------------------------

    async def run(self):
        try:
            await self.cut("connect")
            if not self.srv.opts.starttls:
                await self.start_tls()
            self.pump = asyncio.create_task(self.read_pump())
            await self.respond("greeting", [GREETING])
            while True:
                line = await self.readline()
                if line is None:
                    self.note("client closed the connection")
                    break
                await self.command(line)
        except Closed:
            pass
        except OSError as e:   # ssl.SSLError and ConnectionError included
            self.note(f"connection error: {e}")
        finally:
            if self.pump:
                self.pump.cancel()
            if not self.aborted:
                self.writer.close()

    async def start_tls(self):
        self.ctx = self.srv.ctx if self.number == 1 else self.srv.next_ctx
        try:
            await self.writer.start_tls(self.ctx)
        except (OSError, asyncio.TimeoutError) as e:
            self.note(f"TLS handshake failed: {e or type(e).__name__}")
            self.aborted = True   # start_tls closed the transport already
            raise Closed
        self.heard()
        sslobj = self.writer.get_extra_info("ssl_object")
        self.tls = sslobj.version()
        self.sni = getattr(sslobj, "cf_sni", None)
        self.note(f"TLS {self.tls} {sslobj.cipher()[0]} "
                  f"sni={self.sni or '-'}")

    def abort(self):
        """Close abruptly: RST instead of FIN, no TLS close_notify."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
        self.writer.transport.abort()
        self.aborted = True

    async def read_pump(self):
        try:
            while True:
                chunk = await self.reader.read(65536)
                if not chunk:
                    break
                self.buf += chunk
                self.heard()
                self.arrived.set()
        except OSError as e:
            self.note(f"read error: {e}")
        finally:
            self.eof = True
            self.arrived.set()

    async def readline(self):
        """The next line including its ending, or None at end of input."""
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                return line
            if self.eof:
                if self.buf:
                    self.note(f"{len(self.buf)} bytes without a line end "
                              "before the end of input")
                return None
            self.arrived.clear()
            await self.arrived.wait()

    # --- replies --------------------------------------------------------

    async def cut(self, phase):
        """Count an occurrence of a phase that has no reply of its own."""
        await self.drop_or_stall(phase, self.srv.occurrence(phase))

    async def drop_or_stall(self, phase, n):
        if self.srv.scripted(self.srv.drops, phase, n):
            self.note(f"dropping the connection at {phase}#{n}")
            self.abort()
            raise Closed
        if self.srv.scripted(self.srv.stalls, phase, n):
            self.note(f"stalling at {phase}#{n}")
            if self.pump:
                self.pump.cancel()
            self.settled()
            await asyncio.Event().wait()   # until the server stops

    async def respond(self, phase, lines, before_send=None):
        """Reply at phase: the scripted drop, stall or reply, else lines.

        before_send(lines) runs before a 2xx reply goes out (to record the
        message first).  The hostile options change how the reply goes
        out (Session.send).  Returns the reply code.
        """
        n = self.srv.occurrence(phase)
        await self.drop_or_stall(phase, n)
        lines = self.srv.scripted(self.srv.replies, phase, n) or lines
        how = {name: self.srv.scripted(table, phase, n)
               for name, table in self.srv.hostile.items()}
        code = reply_code(how["raw"]) if how["raw"] else int(lines[-1][:3])
        if before_send and 200 <= code < 300:
            before_send(lines)
        await self.send(lines, how)
        return code

    async def send(self, lines, how=None):
        """Send a reply; how (from respond) may make it a hostile one."""
        how = how or {}
        if self.srv.opts.delay_ms:
            # A round trip of delay_ms: the reply leaves that long after
            # the client's last bytes came, the time this server spent on
            # them included, as a remote server's would.
            self.srv.waits += 1
            self.rec.counter("waits", self.srv.waits)
            loop = asyncio.get_running_loop()
            due = self.input_at + self.srv.opts.delay_ms / 1000
            await asyncio.sleep(max(0.0, due - loop.time()))
        else:
            # Let the read pump take in what the client has already sent.
            await asyncio.sleep(0)
        self.check_pipelining()
        # a reply may echo a client's invalid UTF-8 (surrogate escapes):
        # its bytes go back as they came
        data = how.get("raw") or "".join(l + "\r\n" for l in lines).encode(
            "utf-8", "surrogateescape")
        code = data[:3].decode("ascii", "replace")
        pieces = hostile_prefix(code, how) + [data]
        if how.get("early"):
            # the unsolicited reply leaves with this one, in one write
            pieces[-1] += "".join(l + "\r\n" for l in how["early"]).encode()
        for line in b"".join(pieces).splitlines():
            self.rec.log(self.number, "S:", line)
        if how.get("renegotiate"):
            self.note("asking for TLS renegotiation")
            OpenSSL.renegotiate(self.writer, self.ctx)
        if how.get("close_mid"):
            await self.close_mid_reply(b"".join(pieces))
        await self.write_pieces(pieces, how)
        if code == "421":
            self.note("closing after 421")
            raise Closed

    async def write_pieces(self, pieces, how):
        """Write the reply's pieces: each its own write (TLS record)."""
        drip = how.get("drip")
        if drip is not None or how.get("key_update"):
            # one byte at a time
            pieces = [bytes([b]) for b in b"".join(pieces)]
        pause = (drip or 0) / 1000
        for i, piece in enumerate(pieces):
            if how.get("key_update"):
                OpenSSL.key_update(self.writer, self.ctx)
            self.writer.write(piece)
            await self.writer.drain()
            if i + 1 < len(pieces):
                await asyncio.sleep(pause or self.pause_after(how, i))

    @staticmethod
    def pause_after(how, i):
        """The pause after piece i when the reply is not dripped: between
        --flood lines given a pause (they are the first pieces)."""
        flood = how.get("flood")
        if flood and flood[1] and i < flood[0]:
            return flood[1] / 1000
        return 0

    async def close_mid_reply(self, data):
        """Send the reply without its last line (a one-line reply: the
        first half of it), then a TLS close_notify and FIN."""
        lines = data.splitlines(keepends=True)
        cut = b"".join(lines[:-1]) if len(lines) > 1 else data[:len(data) // 2]
        self.writer.write(cut)
        await self.writer.drain()
        self.note("closing (TLS close_notify) in the middle of a reply")
        self.writer.close()
        self.aborted = True
        raise Closed

    def check_pipelining(self):
        if not self.buf or self.verb == "QUIT":
            return
        if self.has_cap("PIPELINING") and self.verb not in LAST_IN_GROUP:
            return
        nxt = bytes(self.buf).split(b"\n", 1)[0].strip().split(b" ", 1)[0]
        nxt = nxt.decode("ascii", "replace")[:20] or "?"
        self.violation("pipelining",
                       f"{self.verb or 'greeting'} (next: {nxt})")

    # --- capabilities ---------------------------------------------------

    def caps(self):
        caps = self.srv.caps
        if self.srv.opts.starttls and not self.tls:
            return ["STARTTLS"] + [c for c in caps
                                   if not c.upper().startswith("AUTH")]
        return caps

    def has_cap(self, keyword):
        return any(c.split()[0].upper() == keyword for c in self.caps())

    def auth_mechanisms(self):
        for cap in self.caps():
            words = cap.upper().split()
            if words[0] == "AUTH":
                return words[1:]
        return []

    # --- commands -------------------------------------------------------

    async def command(self, raw):
        self.check_line_end(raw, None)
        text = raw.rstrip(b"\r\n")
        self.rec.log(self.number, "C:", text)
        line = text.decode("utf-8", "surrogateescape")
        verb, _, arg = line.partition(" ")
        self.verb = verb.upper()
        handler = None
        if self.verb.isalpha():
            handler = getattr(self, "smtp_" + self.verb, None)
        if handler is None:
            await self.send(["500 5.5.2 Syntax error, command unrecognized"])
        else:
            await handler(arg.strip())

    def check_line_end(self, line, where):
        """Flag a line not ended by CRLF, or with a CR inside it."""
        fault = self.line_end_fault(line)
        if fault:
            self.violation(fault, where or self.verb_of(line))
        return fault is not None

    @staticmethod
    def line_end_fault(line):
        if not line.endswith(b"\r\n"):
            return "bare-lf"
        if b"\r" in line[:-2]:
            return "bare-cr"
        return None

    @staticmethod
    def verb_of(line):
        verb = line.strip().split(b" ", 1)[0][:20]
        return verb.decode("ascii", "replace").upper() or "?"

    async def smtp_EHLO(self, arg):
        if not arg:
            await self.respond("ehlo", ["501 5.5.4 Syntax: EHLO hostname"])
            return
        first = f"{HOST} greets {arg}"
        lines = [first] + self.caps()
        lines = ([f"250-{l}" for l in lines[:-1]] + [f"250 {lines[-1]}"])
        if await self.respond("ehlo", lines) // 100 == 2:
            self.helo, self.esmtp = arg, True
            self.reset()

    async def smtp_HELO(self, arg):
        if not arg:
            await self.respond("helo", ["501 5.5.4 Syntax: HELO hostname"])
            return
        code = await self.respond("helo", [f"250 {HOST} greets {arg}"])
        if code // 100 == 2:
            self.helo, self.esmtp = arg, False
            self.reset()

    async def smtp_STARTTLS(self, arg):
        if self.tls or not self.srv.opts.starttls:
            reply = "503 5.5.1 STARTTLS not available"
        elif arg:
            reply = "501 5.5.4 Syntax: STARTTLS"
        elif self.srv.opts.starttls_broken:
            reply = "454 4.7.0 TLS not available due to temporary reason"
        else:
            reply = "220 2.0.0 Ready to start TLS"
        if await self.respond("starttls", [reply]) != 220 or self.tls:
            return
        # RFC 3207 section 4.2: forget everything from before TLS,
        # including plaintext the client sent after the command (already
        # reported by the pipelining check).
        self.buf.clear()
        await self.start_tls()
        self.helo, self.esmtp, self.auth = None, False, None
        self.reset()

    async def smtp_AUTH(self, arg):
        words = arg.split()
        if not self.esmtp:
            reply = "503 5.5.1 EHLO first"
        elif self.auth:
            reply = "503 5.5.1 Already authenticated"
        elif len(words) not in (1, 2):
            reply = "501 5.5.4 Syntax: AUTH mechanism [initial-response]"
        elif words[0].upper() not in self.auth_mechanisms() or \
                words[0].upper() not in ("PLAIN", "LOGIN"):
            reply = "504 5.5.4 Unrecognized authentication type"
        else:
            mech = words[0].upper()
            reply = await self.sasl(mech, words[1] if len(words) > 1
                                    else None)
        if await self.respond("auth", [reply]) // 100 == 2:
            self.auth = words[0].upper() if words else "?"

    async def sasl(self, mech, initial):
        """Run the SASL exchange (RFC 4954); return the final reply."""
        try:
            if mech == "PLAIN":
                if initial is None:
                    initial = await self.challenge("")
                parts = self.b64(initial).split(b"\0")
                if len(parts) != 3:
                    return "501 5.5.2 Malformed PLAIN response"
                authzid, user, password = parts
                if authzid not in (b"", user):
                    return "535 5.7.8 Authentication failed"
            else:
                if initial is None:
                    initial = await self.challenge("VXNlcm5hbWU6")  # User...
                user = self.b64(initial)
                password = self.b64(await self.challenge("UGFzc3dvcmQ6"))
        except ValueError as e:   # the error reply from b64() or challenge()
            return str(e)
        if user == self.srv.opts.user.encode() and \
                password == self.srv.opts.token.encode():
            return "235 2.7.0 Authentication successful"
        return "535 5.7.8 Authentication failed"

    async def challenge(self, text):
        """Send a 334 challenge; return the client's response line."""
        await self.send([f"334 {text}"])
        raw = await self.readline()
        if raw is None:
            self.note("client closed the connection during AUTH")
            raise Closed
        self.check_line_end(raw, "AUTH")
        line = raw.rstrip(b"\r\n")
        self.rec.log(self.number, "C:", line)
        if line == b"*":
            raise ValueError("501 5.0.0 Authentication cancelled")
        return line.decode("ascii", "replace")

    @staticmethod
    def b64(text):
        if text == "=":   # RFC 4954: "=" is an empty initial response
            return b""
        try:
            return base64.b64decode(text, validate=True)
        except binascii.Error:
            raise ValueError("501 5.5.2 Cannot decode response") from None

    def parse_path(self, arg, keyword, allowed):
        """Parse "FROM:<addr> params" / "TO:<addr> params".

        Returns (address, params, None) or (None, None, error reply).
        """
        m = re.fullmatch(keyword + r":\s*<([^<>]*)>((?:\s+\S+)*)\s*", arg,
                         re.IGNORECASE)
        if not m:
            return None, None, f"501 5.5.4 Syntax: {keyword}:<address>"
        addr, params = m.group(1), m.group(2).split()
        for p in params:
            name = p.partition("=")[0].upper()
            if name not in allowed or not self.has_cap(allowed[name]):
                self.violation("param", f"{self.verb} {p}")
                return None, None, f"555 5.5.4 Unsupported parameter {p}"
        if not addr.isascii() and "SMTPUTF8" not in (
                p.upper() for p in (params if keyword == "FROM"
                                    else self.mail_options)):
            self.violation("smtputf8", self.verb)
        return addr, params, None

    async def smtp_MAIL(self, arg):
        addr = None
        if not self.auth:
            reply = "530 5.7.0 Authentication required"
        elif self.mail_from is not None:
            reply = "503 5.5.1 Nested MAIL command"
        else:
            addr, params, reply = self.parse_path(arg, "FROM", MAIL_PARAMS)
            if reply is None:
                reply = ("552 5.3.4 Message too big" if self.too_big(params)
                         else "250 2.1.0 Ok")
        if await self.respond("mail", [reply]) // 100 == 2 and \
                addr is not None:
            self.mail_from, self.mail_options = addr, params

    def too_big(self, params):
        """Does the SIZE= parameter (RFC 1870) exceed the limit?"""
        for p in params:
            name, _, value = p.partition("=")
            if name.upper() == "SIZE" and value.isdigit() and \
                    self.srv.size_limit:
                return int(value) > self.srv.size_limit
        return False

    async def smtp_RCPT(self, arg):
        addr = None
        if not self.auth:
            reply = "530 5.7.0 Authentication required"
        elif self.mail_from is None:
            reply = "503 5.5.1 Bad sequence of commands"
        else:
            addr, params, reply = self.parse_path(arg, "TO", RCPT_PARAMS)
            if reply is None:
                reply = self.srv.rcpt_replies.get(addr.lower())
            if reply is None:
                reply = ("452 4.5.3 Too many recipients"
                         if self.accepted_rcpts >= self.srv.opts.max_rcpt
                         else "250 2.1.5 Ok")
        lines = reply if isinstance(reply, list) else [reply]   # scripted
        if await self.respond("rcpt", lines) // 100 == 2 and \
                addr is not None:
            self.rcpt_tos.append(addr)
            self.rcpt_options.append(params)
            self.accepted_rcpts += 1

    async def smtp_DATA(self, arg):
        if arg:
            reply = "501 5.5.4 Syntax: DATA"
        elif not self.auth:
            reply = "530 5.7.0 Authentication required"
        elif self.mail_from is None:
            reply = "503 5.5.1 Bad sequence of commands"
        elif not self.rcpt_tos:
            reply = "554 5.5.1 No valid recipients"
        else:
            reply = "354 Start mail input; end with <CR><LF>.<CR><LF>"
        if await self.respond("data", [reply]) != 354:
            return
        data = await self.read_body()
        self.rec.log(self.number, "C:", f"<DATA {len(data)} bytes>")
        self.verb = "end-of-data"
        limit = self.srv.size_limit
        if limit and len(data) > limit:
            reply = "552 5.3.4 Message too big"
        else:
            qid = "".join(secrets.choice(ID_CHARS) for _ in range(36))
            domain = self.mail_from.rpartition("@")[2] or HOST
            reply = f"250 2.0.0 Ok <{qid}@{domain}>"
        await self.respond("dot", [reply],
                           before_send=lambda lines: self.record(data, lines))
        self.reset()

    async def read_body(self):
        """Read the message up to CRLF.CRLF; return it dot-unstuffed.

        Whole lines are taken as they arrive, many at a time, with one
        C-level scan for each check: a 4.5 MiB message is 60,000 lines,
        and per-line Python work made this server slower than the clients
        it measures (bench/README, workload 3).  What is reported, and
        when, is what a line-by-line reader would report.
        """
        parts, reported = [], set()
        scanned, begun = 0, False
        while True:
            end = self.final_dot(scanned)
            upto = end if end >= 0 else self.buf.rfind(b"\n") + 1
            if upto > 0:
                if not begun:   # the first line is in, and is no final dot
                    begun = True
                    await self.cut("midata")
                lines = bytes(self.buf[:upto])
                del self.buf[:upto]
                self.check_body(lines, reported)
                parts.append(self.unstuff(lines))
            if end >= 0:
                del self.buf[:3]
                break
            if self.eof:
                if self.buf:
                    self.note(f"{len(self.buf)} bytes without a line end "
                              "before the end of input")
                self.note("client closed the connection during DATA")
                raise Closed
            # a final dot may straddle what is here and what comes next
            scanned = max(0, len(self.buf) - 3)
            self.arrived.clear()
            await self.arrived.wait()
        data = b"".join(parts)
        if not data.isascii() and "BODY=8BITMIME" not in (
                p.upper() for p in self.mail_options):
            self.violation("8bit", "DATA")
        return data

    def final_dot(self, start):
        """Offset of the line ".\r\n" in self.buf, from start on, or -1.

        self.buf begins with a line (read_body takes whole lines), and
        lines end at LF as readline() has them: ".\r\n" after a bare LF
        ends the data too.
        """
        if self.buf.startswith(b".\r\n"):
            return 0
        i = self.buf.find(b"\n.\r\n", start)
        return i + 1 if i >= 0 else -1

    @staticmethod
    def unstuff(lines):
        """Whole lines without the dot that begins any of them."""
        lines = lines.replace(b"\n.", b"\n")
        return lines[1:] if lines.startswith(b".") else lines

    def check_body(self, lines, reported):
        """Line-end and line-length violations, one of each per message.

        lines are whole lines; reported holds the kinds this message has
        had.  Both found here are reported in the order of their lines.
        """
        found = []   # (offset, rank on the same line, kind, violation)
        if "end" not in reported:
            bad = self.first_bad_line_end(lines)
            if bad:
                found.append((bad[0], 0, "end", bad[1]))
        if "length" not in reported:
            too_long = self.first_long_line(lines)
            if too_long >= 0:   # RFC 5321 4.5.3.1.6
                found.append((too_long, 1, "length", "line-length"))
        for _, _, kind, violation in sorted(found):
            reported.add(kind)
            self.violation(violation, "DATA")

    def first_bad_line_end(self, lines):
        """(offset, fault) of the first line not ended by CRLF, or None.

        Only lines with a bare CR or LF somewhere are gone through one by
        one.
        """
        rest = lines.replace(b"\r\n", b"")
        if b"\r" not in rest and b"\n" not in rest:
            return None
        offset = 0
        for line in io.BytesIO(lines):
            fault = self.line_end_fault(line)
            if fault:
                return offset, fault
            offset += len(line)
        return None

    @staticmethod
    def first_long_line(lines):
        """Offset of the first line over 1000 octets with its CR LF, or -1.

        Such a line has 1000 octets without an LF.  Each step jumps to the
        last LF of the next 1000 octets: a few thousand C-level searches
        for a 4.5 MiB body, not one Python step per line.
        """
        start = 0
        while len(lines) - start >= 1000:
            nl = lines.rfind(b"\n", start, start + 1000)
            if nl < 0:
                return start
            start = nl + 1
        return -1

    def record(self, data, lines):
        self.srv.messages += 1
        self.rec.message(self.srv.messages, data, {
            "mail_from": self.mail_from,
            "mail_options": self.mail_options,
            "rcpt_tos": self.rcpt_tos,
            "rcpt_options": self.rcpt_options,
            "session": self.number,
            "helo": self.helo,
            "auth": self.auth,
            "tls": self.tls,
            "sni": self.sni,
            "size": len(data),
            "reply": "\n".join(lines),
        })

    async def smtp_RSET(self, arg):
        if await self.respond("rset", ["250 2.0.0 Ok"]) // 100 == 2:
            self.reset()

    async def smtp_NOOP(self, arg):
        await self.respond("noop", ["250 2.0.0 Ok"])

    async def smtp_QUIT(self, arg):
        await self.respond("quit", [CLOSING])
        raise Closed

    async def smtp_VRFY(self, arg):
        await self.send(["502 5.5.1 Command not implemented"])

    smtp_EXPN = smtp_VRFY


# --- hostile replies ------------------------------------------------------

# The options that change how a reply goes out (README: "A hostile relay").
HOSTILE_OPTIONS = ("drip", "flood", "long_line", "raw", "early", "close_mid",
                   "renegotiate", "key_update")


def hostile_prefix(code, how):
    """The pieces --flood and --long-line put before a reply of code."""
    pieces = []
    flood = how.get("flood")
    if flood:
        count, pause = flood
        lines = [f"{code}-flood line {k}\r\n".encode()
                 for k in range(1, count + 1)]
        pieces += lines if pause else [b"".join(lines)]
    long_line = how.get("long_line")
    if long_line:
        size, chunk = long_line
        line = f"{code}-".encode() + b"x" * max(0, size - 6) + b"\r\n"
        chunk = chunk or len(line)
        pieces += [line[i:i + chunk] for i in range(0, len(line), chunk)]
    return pieces


def reply_code(data):
    """The code of the last line of a raw reply; 500 when it has none."""
    last = data.rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
    return int(last[:3]) if last[:3].isdigit() else 500


class OpenSSL:
    """TLS renegotiation and KeyUpdate, which the ssl module cannot start.

    Python's ssl module has no call for either, so these reach OpenSSL's
    own SSL_renegotiate() and SSL_key_update() through ctypes, on the SSL
    object of the connection: real messages of the real session, nothing
    imitated.  The SSL pointer is read out of CPython's _ssl objects;
    check() proves the layout (the SSL object must point back to the
    SSL_CTX of the context) before any session relies on it.
    """

    lib = None

    @classmethod
    def load(cls):
        if cls.lib is None:
            import ctypes
            cls.ctypes = ctypes
            # the very libssl the ssl module is linked with
            with open("/proc/self/maps") as f:
                paths = {l.split()[-1] for l in f if "/libssl.so" in l}
            if len(paths) != 1:
                raise SystemExit(f"smtpd.py: libssl not found: {paths}")
            lib = ctypes.CDLL(paths.pop())
            ptr = ctypes.c_void_p
            lib.SSL_get_SSL_CTX.argtypes = [ptr]
            lib.SSL_get_SSL_CTX.restype = ptr
            lib.SSL_renegotiate.argtypes = [ptr]
            lib.SSL_key_update.argtypes = [ptr, ctypes.c_int]
            cls.lib = lib
        return cls.lib

    @classmethod
    def pointer(cls, sslobj, ctx):
        """OpenSSL's SSL * of an ssl.SSLObject made from ctx."""
        lib, ct = cls.load(), cls.ctypes
        # PySSLSocket: PyObject_HEAD, Socket, ssl; PySSLContext:
        # PyObject_HEAD, ctx (Modules/_ssl.c)
        ssl_p = ct.cast(id(sslobj._sslobj), ct.POINTER(ct.c_void_p))[3]
        ctx_p = ct.cast(id(ctx), ct.POINTER(ct.c_void_p))[2]
        if not ssl_p or lib.SSL_get_SSL_CTX(ssl_p) != ctx_p:
            raise SystemExit("smtpd.py: cannot find OpenSSL's SSL object "
                             "in this Python's ssl module")
        return ssl_p

    @classmethod
    def check(cls, ctx):
        cls.pointer(ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(),
                                 server_side=True), ctx)

    @classmethod
    def renegotiate(cls, writer, ctx):
        """Send a HelloRequest (TLS 1.2) with the next write."""
        p = cls.pointer(writer.get_extra_info("ssl_object"), ctx)
        if cls.lib.SSL_renegotiate(p) != 1:
            raise OSError("SSL_renegotiate failed")

    @classmethod
    def key_update(cls, writer, ctx):
        """Send a KeyUpdate asking for one back (TLS 1.3) with the next
        write."""
        p = cls.pointer(writer.get_extra_info("ssl_object"), ctx)
        if cls.lib.SSL_key_update(p, 1) != 1:   # SSL_KEY_UPDATE_REQUESTED
            raise OSError("SSL_key_update failed")


# --- TLS ----------------------------------------------------------------

TLS_VERSIONS = {"1.1": ssl.TLSVersion.TLSv1_1, "1.2": ssl.TLSVersion.TLSv1_2,
                "1.3": ssl.TLSVersion.TLSv1_3}


def make_tls_context(opts, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.load_cert_chain(cert, key)
    except OSError as e:   # ssl.SSLError included
        raise SystemExit(f"smtpd.py: cannot load certificate {cert} "
                         f"and key {key}: {e}")
    if opts.renegotiate:
        ctx.options &= ~ssl.OP_NO_RENEGOTIATION
    # Remember the client's SNI on the SSLObject for the transcript.
    ctx.sni_callback = lambda obj, name, _ctx: setattr(obj, "cf_sni", name)
    top = TLS_VERSIONS[opts.tls_max]
    with warnings.catch_warnings():   # TLS 1.1 is deprecated, on purpose
        warnings.simplefilter("ignore", DeprecationWarning)
        if top < ssl.TLSVersion.TLSv1_2:
            # OpenSSL 3 refuses TLS < 1.2 above security level 0.
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        else:
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = top
        if top < ssl.TLSVersion.TLSv1_2:
            check_old_tls(ctx, top, opts.tls_max)
    return ctx


def check_old_tls(server_ctx, version, name):
    """Handshake in memory to prove this OpenSSL can still speak version."""
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.check_hostname = False
    client_ctx.verify_mode = ssl.CERT_NONE
    client_ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    client_ctx.minimum_version = version
    client_ctx.maximum_version = version
    bios = [ssl.MemoryBIO() for _ in range(4)]
    client = client_ctx.wrap_bio(bios[0], bios[1])
    server = server_ctx.wrap_bio(bios[2], bios[3], server_side=True)
    try:
        for _ in range(10):
            done = 0
            for obj in (client, server):
                try:
                    obj.do_handshake()
                    done += 1
                except ssl.SSLWantReadError:
                    pass
            bios[2].write(bios[1].read())
            bios[0].write(bios[3].read())
            if done == 2:
                return
        raise ssl.SSLError("handshake did not finish")
    except ssl.SSLError as e:
        raise SystemExit(f"smtpd.py: --tls-max {name}: this OpenSSL cannot "
                         f"negotiate TLS {name} ({e})")


# --- command line ---------------------------------------------------------

def phase_spec(phases):
    """argparse type for PHASE[#N]: returns (phase, N or None)."""
    def parse(text):
        name, sep, num = text.partition("#")
        if name not in phases:
            raise argparse.ArgumentTypeError(
                f"unknown phase {name!r} (one of {', '.join(phases)})")
        if not sep:
            return name, None
        if not num.isdigit() or int(num) < 1:
            raise argparse.ArgumentTypeError(f"bad occurrence in {text!r}")
        return name, int(num)
    return parse


def reply_lines(text):
    """ "CODE TEXT" (literal \\n between lines) -> list of reply lines."""
    lines = text.split("\\n")
    for line in lines:
        if not re.fullmatch(r"[2-5]\d\d([ -].*)?", line):
            raise argparse.ArgumentTypeError(f"not an SMTP reply: {line!r}")
    return lines


def reply_spec(text):
    """argparse type for PHASE[#N]="CODE TEXT"."""
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected PHASE[#N]=REPLY: {text!r}")
    return phase_spec(REPLY_PHASES)(key), reply_lines(value)


def rcpt_reply_spec(text):
    """argparse type for ADDRESS="CODE TEXT"."""
    # The address and the reply text may both hold "=": split at the "="
    # that precedes the reply code.
    m = re.match(r"(.*?)=([2-5]\d\d([ -].*)?)$", text)
    if not m:
        raise argparse.ArgumentTypeError(f"expected ADDRESS=REPLY: {text!r}")
    return m.group(1), reply_lines(m.group(2))


def phase_value(convert):
    """argparse type for PHASE[#N]=VALUE: ((phase, N or None), value)."""
    def parse(text):
        key, sep, value = text.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(
                f"expected PHASE[#N]=VALUE: {text!r}")
        return phase_spec(REPLY_PHASES)(key), convert(value)
    return parse


def phase_flag(text):
    """argparse type for PHASE[#N] of a hostile flag."""
    return phase_spec(REPLY_PHASES)(text), True


def numbers(text):
    """ "A" or "A/B" (non-negative integers) -> (A, B or 0)."""
    first, sep, second = text.partition("/")
    if not first.isdigit() or (sep and not second.isdigit()):
        raise argparse.ArgumentTypeError(f"expected N or N/M: {text!r}")
    return int(first), int(second or 0)


def milliseconds(text):
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a number of ms: {text!r}")
    return int(text)


ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "e": b"\x1b",
           "\\": b"\\"}


def unescape(text):
    """--raw's TEXT -> bytes: \\r \\n \\t \\0 \\e (ESC) \\\\, \\xHH (one byte),
    \\uHHHH (a character, in UTF-8); anything else as UTF-8."""
    out = bytearray()
    pos = 0
    for m in re.finditer(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)", text):
        out += text[pos:m.start()].encode()
        esc = m.group(1)
        if esc[0] == "x" and len(esc) == 3:
            out.append(int(esc[1:], 16))
        elif esc[0] == "u" and len(esc) == 5:
            out += chr(int(esc[1:], 16)).encode()
        elif esc in ESCAPES:
            out += ESCAPES[esc]
        else:
            raise argparse.ArgumentTypeError(f"unknown escape \\{esc}")
        pos = m.end()
    return bytes(out + text[pos:].encode())


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="smtpd.py", description="Scriptable SMTPS test server "
        "(see the module docstring for details).")
    p.add_argument("--port-file", required=True, metavar="FILE")
    p.add_argument("--host", default="127.0.0.1", metavar="ADDR")
    p.add_argument("--cert", required=True, metavar="PEM")
    p.add_argument("--key", required=True, metavar="PEM")
    p.add_argument("--record-dir", metavar="DIR")
    p.add_argument("--user", default="api_token", metavar="NAME")
    p.add_argument("--token", default="test-token", metavar="TOKEN")
    p.add_argument("--caps", default=DEFAULT_CAPS, metavar="C1,C2,...")
    p.add_argument("--reply", type=reply_spec, action="append", default=[],
                   metavar="PHASE[#N]=REPLY")
    p.add_argument("--rcpt-reply", type=rcpt_reply_spec, action="append",
                   default=[], metavar="ADDR=REPLY")
    p.add_argument("--max-rcpt", type=int, default=50, metavar="N")
    p.add_argument("--drop", type=phase_spec(CUT_PHASES), action="append",
                   default=[], metavar="PHASE[#N]")
    p.add_argument("--stall", type=phase_spec(CUT_PHASES), action="append",
                   default=[], metavar="PHASE[#N]")
    p.add_argument("--delay-ms", type=int, default=0, metavar="MS")
    p.add_argument("--tls-max", choices=sorted(TLS_VERSIONS), default="1.3")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--starttls-broken", action="store_true")
    # a hostile relay (README); dict(option) is the script
    for name, kind, meta in (("--drip", phase_value(milliseconds), "=MS"),
                             ("--flood", phase_value(numbers),
                              "=COUNT[/MS]"),
                             ("--long-line", phase_value(numbers),
                              "=BYTES[/CHUNK]"),
                             ("--raw", phase_value(unescape), "=TEXT"),
                             ("--early", phase_value(reply_lines),
                              "=REPLY"),
                             ("--close-mid", phase_flag, ""),
                             ("--renegotiate", phase_flag, ""),
                             ("--key-update", phase_flag, "")):
        p.add_argument(name, type=kind, action="append", default=[],
                       metavar="PHASE[#N]" + meta)
    p.add_argument("--next-cert", metavar="PEM")
    p.add_argument("--next-key", metavar="PEM")
    opts = p.parse_args(argv)
    opts.starttls = opts.starttls or opts.starttls_broken
    if opts.renegotiate and opts.tls_max != "1.2":
        p.error("--renegotiate needs --tls-max 1.2 (TLS 1.3 has no "
                "renegotiation)")
    if opts.key_update and opts.tls_max != "1.3":
        p.error("--key-update needs TLS 1.3 (the default --tls-max)")
    if bool(opts.next_cert) != bool(opts.next_key):
        p.error("--next-cert and --next-key go together")
    return opts


class PreciseSelector(selectors.DefaultSelector):
    """epoll with its timeout rounded down to the millisecond, not up.

    epoll counts whole milliseconds and the selectors module rounds a
    timeout up: a reply due in 19.1 ms would wake the loop at 20 ms and
    every --delay-ms round trip would run long by up to a millisecond.
    Rounded down, the loop wakes just before and polls for the rest.
    """

    def select(self, timeout=None):
        if timeout is not None and timeout > 0:
            # minus a nanosecond: the base class's ceil must not round
            # a float such as 0.019 back up to 20 ms
            timeout = max(0.0, math.floor(timeout * 1e3) / 1e3 - 1e-9)
        return super().select(timeout)


def quiet_exception_handler(loop, context):
    """Connection errors are the clients' business; report anything else."""
    if isinstance(context.get("exception"), OSError):
        return
    loop.default_exception_handler(context)


async def serve(srv):
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(quiet_exception_handler)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await asyncio.start_server(srv.accept, srv.opts.host, 0)
    port = server.sockets[0].getsockname()[1]
    write_atomic(srv.opts.port_file, f"{port}\n")
    await stop.wait()
    server.close()
    for task in list(srv.tasks):
        task.cancel()
    await asyncio.gather(*srv.tasks, return_exceptions=True)


def main(argv):
    opts = parse_args(argv)
    srv = Server(opts)
    try:
        with asyncio.Runner(loop_factory=lambda: asyncio.SelectorEventLoop(
                PreciseSelector())) as runner:
            runner.run(serve(srv))
    except OSError as e:   # cannot listen, cannot write the port file
        sys.exit(f"smtpd.py: {e}")


if __name__ == "__main__":
    main(sys.argv[1:])
