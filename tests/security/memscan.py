#!/usr/bin/env python3
"""memscan.py PID NEEDLE... -- count each NEEDLE in the memory of PID.

Reads the writable and readable mappings of /proc/PID/maps through
/proc/PID/mem (needs ptrace access: root, or CAP_SYS_PTRACE) and prints one
line per needle, "COUNT NEEDLE", in the order given.  NEEDLE is taken as
text (UTF-8).  Exits 2 when the memory cannot be read at all.

Used by tests/security.bats to check that the credential derived from the
token (the AUTH payload) does not outlive AUTH in the process memory.
"""
import sys


def regions(pid):
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            addr, perms = parts[0], parts[1]
            path = parts[5] if len(parts) > 5 else ""
            if "r" not in perms or path in ("[vvar]", "[vsyscall]"):
                continue
            # code and read-only data of the binary and libraries cannot
            # hold a secret that was computed at run time
            if "w" not in perms:
                continue
            start, end = (int(x, 16) for x in addr.split("-"))
            yield start, end


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 64
    pid = int(sys.argv[1])
    needles = [n.encode() for n in sys.argv[2:]]
    counts = [0] * len(needles)
    readable = 0
    try:
        mem = open(f"/proc/{pid}/mem", "rb", buffering=0)
    except OSError as e:
        print(f"memscan: {e}", file=sys.stderr)
        return 2
    with mem:
        for start, end in regions(pid):
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue
            readable += 1
            for i, n in enumerate(needles):
                counts[i] += data.count(n)
    if readable == 0:
        print("memscan: no readable region", file=sys.stderr)
        return 2
    for c, n in zip(counts, needles):
        print(c, n.decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
