#!/usr/bin/env python3
"""tally.py REC... -- which numbered test messages the test server received.

Used by tests/queue.bats.  Every test message carries a header
"X-Seq: K".  For each K found in the record directories given (a test that
restarts the server has rec, rec2, ...), prints one line

    K RECEIVED UNCONFIRMED

RECEIVED is how many times the server accepted it (recorded NNNN.eml);
UNCONFIRMED is how many of those receipts the client never confirmed:
the server answered 250 to the final dot, and the client sent nothing more
on that connection (no QUIT, RSET or next MAIL) -- it was killed, or it
lost the connection, right after the dot.  The server records a message
before it sends the 250 (and, with --delay-ms, waits in between): a
receipt whose 250 never made it to the transcript is unconfirmed too.  Only such a receipt can leave
the queue entry in place and be sent again (cfsendmail removes an entry
after the 250 and before it sends anything else on the session), so a
duplicate is legitimate only when all receipts but one are unconfirmed.

Lines "? FILE" report a received message without an X-Seq header.
"""

import collections
import glob
import json
import os
import re
import sys


def seq_of(path):
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\r\n")
            if not line:
                break
            m = re.match(rb"(?i)x-seq:\s*(\d+)\s*$", line)
            if m:
                return int(m.group(1))
    return None


def unconfirmed_receipts(rec):
    """The 250-after-DATA events per session, each True when unconfirmed."""
    events = collections.defaultdict(list)   # session -> [confirmed?]
    after_data = {}                          # session -> awaiting dot reply
    path = os.path.join(rec, "transcript.log")
    if not os.path.exists(path):
        return events
    with open(path, "rb") as f:
        for raw in f:
            parts = raw.rstrip(b"\r\n").split(b" ", 2)
            if len(parts) < 3:
                continue
            try:
                session = int(parts[0])
            except ValueError:
                continue
            tag, text = parts[1], parts[2]
            if tag == b"C:":
                # any client line confirms the receipts before it
                events[session] = [False] * len(events[session])
                after_data[session] = text.startswith(b"<DATA ")
            elif tag == b"S:" and after_data.get(session):
                after_data[session] = False
                if text.startswith(b"250"):
                    events[session].append(True)
    return events


def main(recs):
    received = collections.Counter()
    unconfirmed = collections.Counter()
    for rec in recs:
        flags = unconfirmed_receipts(rec)
        by_session = collections.defaultdict(list)
        for eml in sorted(glob.glob(os.path.join(rec, "[0-9]*.eml"))):
            with open(eml[:-4] + ".json") as f:
                session = json.load(f)["session"]
            by_session[session].append(eml)
        for session, emls in by_session.items():
            marks = flags.get(session, [])
            for i, eml in enumerate(emls):
                k = seq_of(eml)
                if k is None:
                    print("?", eml)
                    continue
                received[k] += 1
                if i >= len(marks) or marks[i]:
                    unconfirmed[k] += 1
    for k in sorted(received):
        print(k, received[k], unconfirmed[k])


if __name__ == "__main__":
    main(sys.argv[1:])
