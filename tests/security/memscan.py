#!/usr/bin/env python3
"""memscan.py [--flags] PID NEEDLE... -- count each NEEDLE in the memory of PID.

Reads the writable and readable mappings of /proc/PID/smaps through
/proc/PID/mem (needs ptrace access: root, or CAP_SYS_PTRACE) and prints one
line per needle, "COUNT NEEDLE", in the order given.  With --flags the line
is "COUNT DUMPED UNLOCKED NEEDLE": how many of the copies lie in mappings
that a core file would include (no "dd" in VmFlags) and in mappings not
locked in RAM (no "lo").  NEEDLE is taken as text (UTF-8).  Exits 2 when
the memory cannot be read at all.

Used by tests/security.bats to check that the credential derived from the
token (the AUTH payload) does not outlive AUTH in the process memory, and
that the token lives only in memory kept out of swap and core files.
"""
import sys


def regions(pid):
    """(start, end, VmFlags) of each readable, writable mapping."""
    current = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and not parts[0].endswith(":"):
                if current:
                    yield current
                current = None
                perms = parts[1]
                path = parts[5] if len(parts) > 5 else ""
                # code and read-only data of the binary and libraries
                # cannot hold a secret that was computed at run time
                if "r" not in perms or "w" not in perms or \
                        path in ("[vvar]", "[vsyscall]"):
                    continue
                start, end = (int(x, 16) for x in parts[0].split("-"))
                current = [start, end, set()]
            elif parts[0] == "VmFlags:" and current:
                current[2] = set(parts[1:])
    if current:
        yield current


def main():
    args = sys.argv[1:]
    flags = args[:1] == ["--flags"]
    args = args[1:] if flags else args
    if len(args) < 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 64
    pid = int(args[0])
    needles = [n.encode() for n in args[1:]]
    counts = [[0, 0, 0] for _ in needles]
    readable = 0
    try:
        mem = open(f"/proc/{pid}/mem", "rb", buffering=0)
    except OSError as e:
        print(f"memscan: {e}", file=sys.stderr)
        return 2
    with mem:
        for start, end, vmflags in regions(pid):
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue
            readable += 1
            for i, n in enumerate(needles):
                c = data.count(n)
                counts[i][0] += c
                counts[i][1] += c if "dd" not in vmflags else 0
                counts[i][2] += c if "lo" not in vmflags else 0
    if readable == 0:
        print("memscan: no readable region", file=sys.stderr)
        return 2
    for c, n in zip(counts, needles):
        print(*(c if flags else c[:1]), n.decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
