#!/usr/bin/env python3
"""flood.py COUNTFILE BYTES [PREFIX] -- write an endless header to stdout.

Writes PREFIX (default: none) and then "X-Filler: aaa...a" lines (72 bytes
each, no blank line) until BYTES bytes are out or the reader closes the
pipe; then writes the number of bytes it got rid of to COUNTFILE.  The
pipe buffer holds 64 KiB at most, so the count tells how much the reader
read before it gave up.
"""
import os
import signal
import sys


def main():
    countfile, limit = sys.argv[1], int(sys.argv[2])
    prefix = sys.argv[3].encode() if len(sys.argv) > 3 else b""
    chunk = (b"X-Filler: " + b"a" * 61 + b"\n") * 1024
    total = 0
    try:
        if prefix:
            total += os.write(1, prefix)
        while total < limit:
            total += os.write(1, chunk[:limit - total])
    except BrokenPipeError:
        pass
    with open(countfile, "w") as f:
        f.write(f"{total}\n")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    sys.exit(main())
