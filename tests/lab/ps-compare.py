#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# ps-compare.py BEFORE AFTER KVMMEM_JSON: compares `kvmmem ps --json` with
# what the target's /proc said just before and just after (procs.sh lines:
# PID PPID EUID STARTTIME COMM). Every process present in both, keyed on
# PID and start time, must be in kvmmem's list with the same PID, PPID,
# effective UID and COMM (/proc/PID/comm's text: kvmmem's "name").
# A workqueue worker's name ends with what it last worked for ("-events"),
# which changes from one moment to the next: it is compared without that.
# Prints "common=N missing=N wrong=N"; the details go to standard error.
import json
import re
import sys

USER_HZ = 100


def norm(name):
    if name.startswith("kworker/") and not name.startswith("kworker/R-"):
        return re.split("[+-]", name, maxsplit=1)[0]
    return name


def snap(path):
    out = {}
    for line in open(path):
        f = line.rstrip("\n").split(" ", 4)
        if len(f) == 5 and f[0].isdigit():
            out[(int(f[0]), int(f[3]))] = (int(f[1]), int(f[2]), norm(f[4]))
    return out


before, after = snap(sys.argv[1]), snap(sys.argv[2])
got = {}
for t in json.load(open(sys.argv[3])):
    key = (t["pid"], t["start_ns"] // (10**9 // USER_HZ))
    got[key] = (t["ppid"], t["uid"], norm(t["name"]))
common = [k for k in before if k in after and before[k] == after[k]]
missing = [k for k in common if k not in got]
wrong = [k for k in common if k in got and got[k] != before[k]]
for k in missing:
    print("# missing: pid %d start %d %s" % (k[0], k[1], before[k]), file=sys.stderr)
for k in wrong:
    print("# wrong: pid %d: target %s, kvmmem %s" % (k[0], before[k], got[k]),
          file=sys.stderr)
print("common=%d missing=%d wrong=%d" % (len(common), len(missing), len(wrong)))
