#!/usr/bin/python3
"""bench/table.py WORK RUNS NQUEUED QUICK DRAINRUNS -- the table bench/run
prints.

Reads what bench/run measured in WORK: json/ID.ROUND.json (hyperfine, one
run of each client per round), raw ("ID CLIENT METRIC VALUE" lines: peak
RSS, callgrind instruction counts, server waits) and info.  Prints one
Markdown table; exits 1 when a target is missed, unless QUICK is 1.
"""

import glob
import json
import statistics
import sys

work, runs, nqueued, quick = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), sys.argv[4] == "1"
drain_runs = int(sys.argv[5])
CLIENTS = ("cfsendmail", "msmtp")

samples = {}   # (id, client, metric) -> [values]


def add(wid, client, metric, value):
    samples.setdefault((wid, client, metric), []).append(value)


for path in sorted(glob.glob(f"{work}/json/*.json")):
    wid = path.rsplit("/", 1)[1].split(".")[0]
    with open(path) as f:
        for r in json.load(f)["results"]:
            add(wid, r["command"], "wall", r["times"][0])
            add(wid, r["command"], "cpu", r["user"] + r["system"])
with open(f"{work}/raw") as f:
    for line in f:
        wid, client, metric, value = line.split()
        add(wid, client, metric, float(value))
info = {}
with open(f"{work}/info") as f:
    for line in f:
        k, _, v = line.rstrip("\n").partition(" ")
        info[k] = v


def median(wid, client, metric):
    v = samples.get((wid, client, metric))
    return statistics.median(v) if v else None


def fmt(x, unit):
    if x is None:
        return "–"
    if unit == "ms":
        x *= 1000
    elif unit == "M":
        x /= 1e6
    elif unit == "n":
        return f"{x:g}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


# workload, metric label, unit, (id, metric), target
#   target: ("ratio", max)  cfsendmail/msmtp at most max
#           ("cf", max)     cfsendmail's own figure at most max
#           None            shown for information
W1 = "1 · 1 KiB, 1 rcpt, CA file = test CA"
W1F = "1 · same, CA file = system store + test CA"
W2 = "2 · 1 KiB, 20 ms per reply"
W3 = "3 · 4.5 MiB message"
W4 = "4 · 120 rcpts, 20 ms per reply (1 call vs 3 × 40)"
W5 = f"5 · {nqueued} queued: `-q` vs {nqueued} msmtp calls"
W6 = "6 · `-odb` vs msmtp, 20 ms per reply"
W7 = (f"7 · {nqueued} queued, 20 ms per reply: `-q` vs {nqueued} msmtp "
      f"calls ({drain_runs} run{'s' if drain_runs != 1 else ''})")
FULL = "(full run)"
rows = [
    (W1, "wall (ms)", "ms", ("w1-test", "wall"), ("ratio", 0.3)),
    (W1, "CPU user+sys (ms)", "ms", ("w1-test", "cpu"), None),
    (W1, "instructions (M)", "M", ("w1-test", "instr"), None),
    (W1, "peak RSS (KiB)", "", ("w1-test", "rss"), ("ratio", 1.0)),
    (W1F, "wall (ms)", "ms", ("w1-full", "wall"), ("ratio", 0.3)),
    (W1F, "CPU user+sys (ms)", "ms", ("w1-full", "cpu"), None),
    (W1F, "instructions (M)", "M", ("w1-full", "instr"), ("ratio", 0.5)),
    (W1F, "peak RSS (KiB)", "", ("w1-full", "rss"), ("ratio", 1.0)),
    (W2, "wall (ms)", "ms", ("w2", "wall"), ("ratio", 0.6)),
    (W2, "server waits per message (all delayed replies)", "n",
     ("w2", "waits"), None),
    (W2, "waits the client sat through (QUIT's reply not awaited)", "n",
     ("w2", "awaited"), ("cf", 7)),
    (W3, "wall (ms)", "ms", ("w3", "wall"), ("ratio", 0.25)),
    (W3, "peak RSS (KiB)", "", ("w3", "rss"), None),
    (W3, "peak RSS growth over workload 1 (KiB)", "", ("w3", "rssgrowth"),
     ("cf", 1024)),
    (W4, "wall (s)", "", ("w4", "wall"), ("ratio", 0.5)),
    (W5, "wall (s)", "", ("w5", "wall"), ("ratio", 0.1)),
    (W6, "time to exit status (ms)", "ms", ("w6", "wall"), ("ratio", 0.05)),
    (W7, "wall (s)", "", ("w7", "wall"), None),
    (W7, "time per message (ms)", "ms", ("w7", "permsg"), ("ratio", 0.08)),
    (W7, f"wall / one-session floor ({nqueued} × 4 × 20 ms)", "",
     ("w7", "floor"), ("cf", 0.3)),
    (W7, "peak RSS draining 500 (KiB)", "", ("w7-500", "rss"), None),
    (W7, "peak RSS draining 5,000 (KiB)", "", ("w7-5000", "rss"), FULL),
    (W7, "peak RSS growth, 500 → 5,000 (KiB)", "", ("w7", "rssgrowth"),
     ("cf", 1024, FULL)),
    (W7, "`-bp` with 10,000 queued (s)", "", ("w7-bp", "wall"),
     ("cf", 0.5, FULL)),
]

for c in CLIENTS:
    a, b = median("w3", c, "rss"), median("w1-test", c, "rss")
    if a is not None and b is not None:
        add("w3", c, "rssgrowth", a - b)
    for w in samples.get(("w7", c, "wall"), []):
        add("w7", c, "permsg", w / nqueued)
        if c == "cfsendmail":
            add("w7", c, "floor", w / (nqueued * 4 * 0.020))
a, b = median("w7-5000", "cfsendmail", "rss"), \
    median("w7-500", "cfsendmail", "rss")
if a is not None and b is not None:
    add("w7", "cfsendmail", "rssgrowth", a - b)

out = []
missed = []
out.append("| workload | metric | cfsendmail | msmtp | ratio | target | met |")
out.append("|---|---|---:|---:|---:|---|---|")
last = None
for wl, label, unit, (wid, metric), target in rows:
    cfv, msv = (median(wid, c, metric) for c in CLIENTS)
    ratio = cfv / msv if cfv is not None and msv and metric != "rssgrowth" \
        else None
    tcell, met = "", ""
    full_only = target == FULL or (target and target[-1] == FULL)
    if full_only and quick and cfv is None:
        target, tcell = None, "full run only"
    elif target == FULL:
        target = None
    if target:
        kind, limit = target[:2]
        if kind == "ratio":
            tcell = f"≤ {limit:.2f}"
            ok = ratio is not None and ratio <= limit
        else:
            tcell = f"cfsendmail ≤ {limit:g}"
            ok = cfv is not None and cfv <= limit
        met = "yes" if ok else "**NO**"
        if not ok:
            missed.append(f"workload {wl.split(' ')[0]}, {label}: "
                          f"cfsendmail {fmt(cfv, unit)}, msmtp {fmt(msv, unit)}"
                          f", ratio {fmt(ratio, '')}, target {tcell}")
    out.append(f"| {wl if wl != last else ''} | {label} | {fmt(cfv, unit)} | "
               f"{fmt(msv, unit)} | {fmt(ratio, '')} | {tcell} | {met} |")
    last = wl

print(f"cfsendmail vs msmtp, {info.get('date', '')}: "
      f"{'quick run (CI), ' if quick else ''}"
      f"median of {runs} alternating runs per timing")
print(f"{info.get('cpu', '')}, {info.get('kernel', '')}")
print(f"{info.get('cfsendmail', '')}; {info.get('msmtp', '')}; "
      f"GnuTLS {info.get('gnutls', '')}; {info.get('hyperfine', '')}; "
      f"{info.get('valgrind', '')}")
print()
print("\n".join(out))
print()
print("wall, CPU: hyperfine; instructions: valgrind --tool=callgrind (1 run);"
      " peak RSS: /usr/bin/time -v (median of 3); waits: the test server's "
      "count (median of 3).")
print(f"reproduce: bench/run{' --quick' if quick else ''}   "
      f"(took {info.get('runtime', '?')} s)")
if missed:
    print()
    print(f"targets missed ({len(missed)}):")
    for m in missed:
        print(f"  - {m}")
    sys.exit(0 if quick else 1)
print()
print("every target met")
