#!/usr/bin/env python3
"""qenv.py -- change a queue envelope (ID.env) the way cfsendmail writes it.

Used by tests/queue.bats and tests/queue/crash.py.  A version 2 envelope
ends with "end CRC" (the CRC-32 of every byte before that line; the format
is in src/envfile.h), so an edit by hand makes it damaged unless the end
line is written again:

    qenv.py set FILE KEY VALUE   replace the value of the first KEY line
                                 (added before the rcpt lines when there
                                 is none), then seal
    qenv.py seal FILE            write the end line again for what the
                                 file holds now
    qenv.py write FILE [LINE...] write the lines (no version line
                                 implied) as a sealed version 2 envelope;
                                 msglen and msgcrc lines for the data file
                                 beside it (ID.msg) are added unless given

LINE arguments are raw bytes (surrogate escapes keep invalid UTF-8).
"""

import os
import sys
import zlib


def body_of(data):
    """The envelope without its end line."""
    lines = data.split(b"\n")
    if len(lines) >= 2 and lines[-1] == b"" and lines[-2].startswith(b"end "):
        return b"\n".join(lines[:-2]) + b"\n"
    return data


def sealed(body):
    return body + b"end %08x\n" % zlib.crc32(body)


def set_key(body, key, value):
    lines = body.split(b"\n")[:-1]
    new = key + b" " + value
    for i, line in enumerate(lines):
        if line.split(b" ", 1)[0] == key:
            lines[i] = new
            break
    else:
        at = next((i for i, l in enumerate(lines) if l.startswith(b"rcpt ")),
                  len(lines))
        lines.insert(at, new)
    return b"\n".join(lines) + b"\n"


def main(argv):
    args = [os.fsencode(a) for a in argv[1:]]
    if len(args) < 2:
        sys.exit(__doc__)
    cmd, path = args[0], args[1]
    if cmd == b"write":
        body = b"".join(line + b"\n" for line in args[2:])
        msg = path[:-4] + b".msg"
        if b"\nmsglen " not in b"\n" + body and os.path.exists(msg):
            with open(msg, "rb") as f:
                data = f.read()
            body = set_key(set_key(body, b"msglen", b"%d" % len(data)),
                           b"msgcrc", b"%08x" % zlib.crc32(data))
    else:
        with open(path, "rb") as f:
            body = body_of(f.read())
    if cmd == b"set" and len(args) == 4:
        body = set_key(body, args[2], args[3])
    elif cmd not in (b"seal", b"write") or (cmd == b"seal" and len(args) != 2):
        sys.exit(__doc__)
    with open(path, "wb") as f:
        f.write(sealed(body))


if __name__ == "__main__":
    main(sys.argv)
