#!/usr/bin/env python3
"""body.py EML EXPECTED -- does the body of EML decode to the file EXPECTED?

EML is a message as the test server recorded it (CRLF line endings).  Its
body is decoded as its Content-Transfer-Encoding says (quoted-printable and
base64; 7bit, 8bit and binary as they are), line endings made LF, and
compared byte for byte with EXPECTED (LF line endings).  Also checks that
no line of EML is longer than 998 bytes (RFC 5322 section 2.1.1).  Exits 0
when both hold, 1 with the reason on stderr otherwise.

Used by tests/hostile.bats to tell a correct delivery of a hostile body (a
1 MB line re-encoded quoted-printable, invalid UTF-8) from a mangled one.
"""
import binascii
import quopri
import sys


def main():
    eml, expected = (open(p, "rb").read() for p in sys.argv[1:3])
    for n, line in enumerate(eml.split(b"\r\n"), 1):
        if len(line) > 998:
            print(f"line {n} of the message is {len(line)} bytes long",
                  file=sys.stderr)
            return 1
    head, sep, body = eml.partition(b"\r\n\r\n")
    if not sep:
        print("no blank line after the header section", file=sys.stderr)
        return 1
    cte = b""
    unfolded = head.replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    for line in unfolded.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-transfer-encoding":
            cte = value.strip().lower()
    if cte == b"quoted-printable":
        body = quopri.decodestring(body)
    elif cte == b"base64":
        body = binascii.a2b_base64(body)
    body = body.replace(b"\r\n", b"\n")
    if body != expected:
        i = next((i for i, (a, b) in enumerate(zip(body, expected))
                  if a != b), min(len(body), len(expected)))
        print(f"body differs at byte {i} (cte {cte.decode() or 'none'}; "
              f"{len(body)} bytes decoded, {len(expected)} expected): "
              f"{body[max(0, i - 20):i + 20]!r} vs "
              f"{expected[max(0, i - 20):i + 20]!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
