#!/usr/bin/env python3
"""check_rooms.py -- the worker's folders ("rooms") depend on each other in
one direction only (docs/architecture.md).

Reads every #include "<room>/..." of worker/<room>/*.[ch] and fails when
  - a room includes a room that is not below it in LAYERS (this also rules
    out every cycle between folders), or
  - a source file is longer than MAX_LINES (one file, one responsibility).
Prints the room graph it found. Python 3 standard library only.

    check_rooms.py SOURCE_DIR
"""
import os
import re
import sys

# Each room may include the rooms listed after it, never one before it.
# lib is libpayatom (include/payatom, no Kafka), core the mechanisms.
LAYERS = ["cmd", "sandbox", "ingress", "reports", "kafka", "store", "gateway",
          "serde", "orders", "core", "lib", "payatom"]
# rooms of the same layer that must not see each other either
SAME = {("ingress", "reports"), ("reports", "ingress"), ("gateway", "serde"),
        ("serde", "gateway"), ("sandbox", "kafka"), ("sandbox", "ingress"),
        ("sandbox", "reports"), ("sandbox", "gateway"), ("sandbox", "serde"),
        ("sandbox", "orders"), ("sandbox", "store"), ("store", "gateway"),
        ("store", "serde")}
MAX_LINES = 800
# files still over the limit, each with the issue that splits it; an entry
# that is no longer needed fails the check too, so the list only shrinks
OVER_LIMIT = set()

INC = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"', re.M)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "."
    root = os.path.join(src, "worker")
    edges, bad, long_files = {}, [], []
    for room in sorted(os.listdir(root)):
        d = os.path.join(root, room)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if not f.endswith((".c", ".h")):
                continue
            rel = "worker/%s/%s" % (room, f)
            text = open(os.path.join(d, f), encoding="utf-8").read()
            n = text.count("\n")
            if n > MAX_LINES and rel not in OVER_LIMIT:
                long_files.append("%s: %d lines (over %d)" % (rel, n, MAX_LINES))
            if n <= MAX_LINES and rel in OVER_LIMIT:
                long_files.append("%s: %d lines, drop it from OVER_LIMIT" % (rel, n))
            for dep in INC.findall(text):
                if dep == room:
                    continue
                edges.setdefault(room, set()).add(dep)
                if room not in LAYERS or dep not in LAYERS:
                    bad.append("%s includes %s/: a room check_rooms.py does not know" % (rel, dep))
                elif (LAYERS.index(dep) <= LAYERS.index(room)) or (room, dep) in SAME:
                    bad.append("%s includes %s/ (%s may not depend on %s)" % (rel, dep, room, dep))
    for room in sorted(edges):
        print("rooms: %-8s -> %s" % (room, " ".join(sorted(edges[room]))))
    for line in bad + long_files:
        print("rooms: FAIL: " + line)
    return 1 if bad or long_files else 0


if __name__ == "__main__":
    sys.exit(main())
