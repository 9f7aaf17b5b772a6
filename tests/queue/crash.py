#!/usr/bin/env python3
"""crash.py -- the randomized crash-consistency test of the queue.

Driven by tests/queue.bats ("crash consistency: ..."), in three steps:

    crash.py relay SEED
        print the options of a relay that drops connections and answers
        421, 451 and 550 at random points (one option per line), for
        tests/helpers.bash server_start

    crash.py run --state FILE --seconds N --seed SEED --queue DIR
                 --root 'CMD...' [--user 'CMD...']
        for N seconds, run at once (at most 5 processes): submitters
        (foreground, -odb, -odq), queue runs (-q, -q5m), as root (CMD)
        and as an unprivileged user (--user, the set-group-ID install),
        each killed with -9 at a random moment or not; and between them,
        damage to queue entries nobody holds locked (a data file or an
        envelope cut, deleted, or a line of the envelope garbled or
        removed).  What was submitted, acknowledged (exit 0) and damaged
        goes to FILE (JSON).

    crash.py damage --state FILE --queue DIR [--keep N] ID HOW
        damage the entry ID of DIR/new as the run does, with HOW (one of
        the run's: cut_msg, rm_msg, rm_env, cut_env, garble_env,
        drop_rcpt), a cut file keeping N bytes; recorded in FILE, a state
        as the run writes it (for tests of this bookkeeping)

    crash.py check --state FILE --queue DIR --listing JSONFILE REC...
        after the queue was run until empty on a well-behaved relay
        (JSONFILE: the output of cfsendmail -bp --json), check:
          - every message that got exit 0 was received by a relay (REC:
            the record directories), or is listed by -bp, or is in
            failed/ with a reason;
          - every message received was submitted by a caller, and is
            whole: its body is the one submitted (a damaged data file is
            never sent);
          - every entry in failed/ is listed by -bp --json with a reason,
            and each line of that listing is valid JSON;
          - an entry the test damaged is the message it damaged (its
            number as noted then: the data file may be cut inside its
            X-Seq line), and holds no other;
          - no process died otherwise than by the test's kill -9 or with
            an exit code its caller may get.
        Prints one line of counts; exits 1 with the reasons otherwise.

The random choices come from SEED alone, so a seed replays the same
actions; the moments at which processes happen to be killed depend on the
machine, so a failure seen once is not always seen again with its seed.
The seed is printed first.  Maintainers: tests/queue.bats takes
CRASH_SECONDS (default 25) and CRASH_SEED (default: random) from the
environment, e.g. CRASH_SECONDS=1800 for a long run.
"""

import argparse
import base64
import fcntl
import hashlib
import json
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import time

MAX_PROCS = 5
DAMAGE = ("cut_msg", "rm_msg", "rm_env", "cut_env", "garble_env",
          "drop_rcpt")
# the exit codes a caller may get (sysexits.h); any other is a finding
SUBMIT_OK = {0, 67}                 # 67: the relay refused the recipient
RUN_OK = {0, 65, 67, 69, 75, 76}    # 65: damaged entries moved to failed/


def relay_options(seed):
    """Failure points spread over the phases' occurrences."""
    rng = random.Random(seed)
    opts = []
    for phase in ("connect", "ehlo", "auth", "mail", "rcpt", "data",
                  "midata", "dot"):
        n = 0
        while n < 3000:
            n += rng.randint(4, 40)
            opts.append(f"--drop={phase}#{n}")
    replies = [("greeting", "421 4.3.2 Service not available"),
               ("mail", "451 4.3.0 Try again"),
               ("rcpt", "451 4.2.1 Mailbox busy"),
               ("rcpt", "550 5.1.1 User unknown"),
               ("data", "451 4.3.0 Try again"),
               ("dot", "451 4.3.0 Local error"),
               ("dot", "421 4.3.2 Shutting down")]
    n = {}
    for _ in range(400):
        phase, text = rng.choice(replies)
        n[phase] = n.get(phase, 0) + rng.randint(3, 30)
        opts.append(f"--reply={phase}#{n[phase]}={text}")
    return opts


def message(rng, k):
    """Message k: a header with X-Seq, a body of random size."""
    size = rng.choice((rng.randint(0, 2000), rng.randint(0, 120000)))
    body = base64.encodebytes(rng.randbytes(size * 3 // 4))
    body += b"end of %d\n" % k
    return b"Subject: crash test %d\nX-Seq: %d\n\n" % (k, k) + body, body


def seq_of(data):
    """The X-Seq of a message's header, or None."""
    head = data.split(b"\n\n", 1)[0].replace(b"\r", b"")
    m = re.search(rb"(?mi)^x-seq:\s*(\d+)\s*$", head)
    return int(m.group(1)) if m else None


def damage_entry(queue, state, rng, qid, how, keep=None):
    """Damage qid with how if nobody holds its data file; note it in state.

    A cut file keeps keep bytes, or a random number of them.  True when
    the entry was damaged."""
    new = os.path.join(queue, "new")
    msg, env = (os.path.join(new, qid + ext) for ext in (".msg", ".env"))
    try:
        fd = os.open(msg, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.stat(msg).st_ino != os.fstat(fd).st_ino:
            return False
        with open(env, "rb") as f:
            text = f.read()
        with open(msg, "rb") as f:
            data = f.read()
        apply_damage(how, rng, msg, env, data, text, keep)
        # the number its data file had before the first damage: a later
        # one may find that file cut before its X-Seq line
        note = state["damaged"].setdefault(qid, {"k": seq_of(data),
                                                 "how": []})
        note["how"].append(how)
        return True
    except (BlockingIOError, FileNotFoundError):
        return False
    finally:
        os.close(fd)


def apply_damage(how, rng, msg, env, data, text, keep):
    if how == "cut_msg":
        os.truncate(msg, rng.randrange(max(1, len(data)))
                    if keep is None else keep)
    elif how == "rm_msg":
        os.unlink(msg)
    elif how == "rm_env":
        os.unlink(env)
    elif how == "cut_env":
        os.truncate(env, rng.randrange(max(1, len(text)))
                    if keep is None else keep)
    elif how == "garble_env":
        lines = text.split(b"\n")
        i = rng.randrange(max(1, len(lines) - 1))
        line = bytearray(lines[i] or b"x")
        line[rng.randrange(len(line))] ^= 1 << rng.randrange(7)
        lines[i] = bytes(line)
        with open(env, "r+b") as f:
            f.write(b"\n".join(lines))
    else:
        kept = [l for l in text.split(b"\n") if not l.startswith(b"rcpt ")]
        with open(env, "wb") as f:
            f.write(b"\n".join(kept))


class Run:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.root = shlex.split(a.root)
        self.user = shlex.split(a.user) if a.user else None
        self.work = os.path.dirname(os.path.abspath(a.state))
        self.procs = []
        self.k = 0
        self.state = {"seed": a.seed, "messages": {}, "runs": [],
                      "damaged": {}}

    def cmd(self, as_user):
        return list(self.user if as_user else self.root)

    def spawn(self, argv, kind, data, kill_after, info):
        out = open(os.path.join(self.work, f"p{len(self.state['runs'])}"
                                f"-{self.k}.err"), "w+b")
        p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=out,
                             start_new_session=False)
        try:
            p.stdin.write(data)
            p.stdin.close()
        except BrokenPipeError:
            pass
        deadline = time.monotonic() + kill_after if kill_after else None
        self.procs.append((p, kind, info, deadline, out))

    def submit(self):
        rng = self.rng
        self.k += 1
        k = self.k
        data, body = message(rng, k)
        mode = rng.choices(["", "-odb", "-odq"], [5, 2, 3])[0]
        as_user = self.user is not None and rng.random() < 0.3
        argv = self.cmd(as_user) + ["-i"] + ([mode] if mode else [])
        argv += ["--", f"k{k}@example.org"]
        if rng.random() < 0.2:
            argv.append(f"k{k}b@example.org")
        kill = rng.uniform(0, 0.15) if rng.random() < 0.35 else None
        info = {"k": k, "mode": mode or "-odi", "user": as_user,
                "sha": hashlib.sha256(body).hexdigest(), "exit": None}
        self.state["messages"][str(k)] = info
        self.spawn(argv, "submit", data, kill, info)

    def queue_run(self):
        rng = self.rng
        as_user = self.user is not None and rng.random() < 0.4
        flag = rng.choices(["-q", "-q5m"], [7, 3])[0]
        kill = rng.uniform(0, 0.6) if rng.random() < 0.3 else None
        info = {"flag": flag, "user": as_user, "exit": None}
        self.state["runs"].append(info)
        self.spawn(self.cmd(as_user) + [flag], "run", b"", kill, info)

    def damage(self):
        """Damage an entry at rest: one whose data file nobody locks."""
        rng = self.rng
        how = rng.choice(DAMAGE)
        new = os.path.join(self.a.queue, "new")
        ids = sorted(f[:-4] for f in os.listdir(new) if f.endswith(".env"))
        if ids:
            damage_entry(self.a.queue, self.state, rng, rng.choice(ids), how)

    def reap(self, final=False):
        now = time.monotonic()
        left = []
        for p, kind, info, deadline, out in self.procs:
            if p.poll() is None and deadline is not None and now >= deadline:
                p.send_signal(signal.SIGKILL)
                info["killed"] = True
            if p.poll() is None and final:
                try:
                    p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                    info["hung"] = True
            if p.poll() is None:
                left.append((p, kind, info, deadline, out))
                continue
            info["exit"] = p.returncode
            out.seek(0)
            err = out.read().decode("utf-8", "replace").strip()
            out.close()
            os.unlink(out.name)
            if not self.exit_ok(kind, info):
                info["stderr"] = err[-2000:]
        self.procs = left

    @staticmethod
    def exit_ok(kind, info):
        code = info["exit"]
        if code == -signal.SIGKILL and info.get("killed"):
            return True
        return code in (SUBMIT_OK if kind == "submit" else RUN_OK)

    def main(self):
        end = time.monotonic() + self.a.seconds
        while time.monotonic() < end:
            self.reap()
            if len(self.procs) < MAX_PROCS:
                what = self.rng.choices(["submit", "run", "damage"],
                                        [12, 5, 3])[0]
                getattr(self, "queue_run" if what == "run" else what)()
            time.sleep(self.rng.uniform(0.002, 0.03))
        self.reap(final=True)
        with open(self.a.state, "w") as f:
            json.dump(self.state, f)


def received(recs):
    """K -> list of bodies' sha256, for every message the relays got."""
    got = {}
    strays = []
    for rec in recs:
        if not os.path.isdir(rec):
            continue
        for name in sorted(os.listdir(rec)):
            if not re.fullmatch(r"\d+\.eml", name):
                continue
            with open(os.path.join(rec, name), "rb") as f:
                data = f.read().replace(b"\r\n", b"\n")
            k = seq_of(data)
            if k is None:
                strays.append(name)
                continue
            body = data.split(b"\n\n", 1)[1] if b"\n\n" in data else b""
            got.setdefault(k, []).append(hashlib.sha256(body).hexdigest())
    return got, strays


def damage_one(a):
    """The damage subcommand: 0 when the entry was damaged."""
    with open(a.state) as f:
        st = json.load(f)
    done = damage_entry(a.queue, st, random.Random(0), a.id, a.how, a.keep)
    with open(a.state, "w") as f:
        json.dump(st, f)
    if not done:
        print(f"{a.id}: not damaged (no such entry, or locked)")
        return 1
    return 0


def check(a):
    with open(a.state) as f:
        st = json.load(f)
    msgs = st["messages"]
    problems = []
    got, strays = received(a.recs)
    problems += [f"received a message without X-Seq: {s}" for s in strays]
    for k, shas in sorted(got.items()):
        m = msgs.get(str(k))
        if m is None:
            problems.append(f"received message {k}, which nobody submitted")
        elif any(s != m["sha"] for s in shas):
            problems.append(f"message {k} was received with another body "
                            "than the one submitted (sent damaged?)")

    listing = {}
    with open(a.listing, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                obj = json.loads(raw.decode("utf-8"))
            except ValueError as e:
                problems.append(f"-bp --json line {n} is not JSON: {e}")
                continue
            listing[obj["id"]] = obj

    # where each K is, besides the relays: listed in new/, or failed/
    kept = {}
    for sub in ("new", "failed"):
        d = os.path.join(a.queue, sub)
        for name in os.listdir(d):
            if not name.endswith(".env"):
                continue
            qid = name[:-4]
            obj = listing.get(qid)
            if obj is None:
                problems.append(f"{sub}/{qid} is not listed by -bp --json")
                continue
            if sub == "failed" and not obj.get("reason"):
                problems.append(f"failed/{qid} is listed without a reason")
                continue
            k = None
            try:
                with open(os.path.join(d, qid + ".msg"), "rb") as f:
                    k = seq_of(f.read(4096))
            except FileNotFoundError:
                pass
            # what the test damaged is the message it noted: a data file
            # cut inside "X-Seq: 340" reads as message 3 or 34
            noted = st["damaged"].get(qid, {}).get("k")
            if noted is not None and k is not None and \
                    not str(noted).startswith(str(k)):
                problems.append(f"{sub}/{qid} holds message {k}, but "
                                f"message {noted} was damaged there")
            k = noted if noted is not None else k
            if k is not None:
                kept.setdefault(k, []).append(f"{sub}/{qid} "
                                              f"({obj['state']})")

    acked = lost = 0
    for k, m in msgs.items():
        if m["exit"] != 0:
            continue
        acked += 1
        if int(k) not in got and int(k) not in kept:
            lost += 1
            problems.append(f"message {k} ({m['mode']}"
                            f"{', user' if m['user'] else ''}) got exit 0 "
                            "but was neither received nor kept")

    for m in list(msgs.values()) + st["runs"]:
        if "stderr" in m or m.get("hung"):
            problems.append(f"a process ended badly: {m}")

    damaged_failed = sum(1 for o in listing.values()
                         if o["state"] == "damaged")
    killed = sum(1 for m in list(msgs.values()) + st["runs"]
                 if m.get("killed"))
    dups = sum(1 for shas in got.values() if len(shas) > 1)
    print(f"seed {st['seed']}: {len(msgs)} submitted, {acked} exit 0, "
          f"{len(st['runs'])} queue runs, {killed} killed, "
          f"{len(st['damaged'])} entries damaged, {len(got)} received "
          f"({dups} more than once), {damaged_failed} listed damaged, "
          f"{sum(1 for o in listing.values() if o['state'] == 'failed')} "
          f"failed")
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("relay")
    r.add_argument("seed", type=int)
    r = sub.add_parser("run")
    r.add_argument("--state", required=True)
    r.add_argument("--seconds", type=float, required=True)
    r.add_argument("--seed", type=int, required=True)
    r.add_argument("--queue", required=True)
    r.add_argument("--root", required=True)
    r.add_argument("--user")
    d = sub.add_parser("damage")
    d.add_argument("--state", required=True)
    d.add_argument("--queue", required=True)
    d.add_argument("--keep", type=int)
    d.add_argument("id")
    d.add_argument("how", choices=DAMAGE)
    c = sub.add_parser("check")
    c.add_argument("--state", required=True)
    c.add_argument("--queue", required=True)
    c.add_argument("--listing", required=True)
    c.add_argument("recs", nargs="*")
    a = p.parse_args(argv[1:])
    if a.cmd == "relay":
        print("\n".join(relay_options(a.seed)))
        return 0
    if a.cmd == "run":
        Run(a).main()
        return 0
    if a.cmd == "damage":
        return damage_one(a)
    return check(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
