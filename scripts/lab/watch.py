#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# watch.py QMPSOCKET OUT [DEADLINE [FILE]]: ends the lab host's QEMU, which runs
# with "-action shutdown=pause" so that a reset (a triple fault, say) stops
# it with the CPUs as the fault left them. On a power-off this only quits
# QEMU; on a guest reset it first writes every CPU's registers, the code at
# its RIP and the top of its stack ($esp: QEMU's name for RSP) to OUT, then
# quits. QEMU 7.2 exits at once on a signal, so for a lab host that hangs
# until run.sh's time limit, watch.py writes the same to OUT at DEADLINE
# (seconds since the epoch, a few seconds before the limit), three times a
# second apart, so that a CPU spinning in a loop shows where. FILE, when it
# exists, holds an earlier deadline, the current test's (run.sh writes it
# for a group of tests, scripts/lab/group.sh): watch.py reads it again
# every second, and once it has passed, writes the same samples to OUT and
# quits QEMU.
import json
import select
import socket
import sys
import time

QUIT_ONLY = ("guest-shutdown", "host-qmp-quit", "host-signal", "host-ui")


def connect(path):
    for _ in range(300):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            return s
        except OSError:
            time.sleep(0.1)
    sys.exit("watch.py: no QMP socket at " + path)


class Qmp:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self, timeout=None):
        """The next message, or None when TIMEOUT seconds pass first."""
        while b"\n" not in self.buf:
            if not select.select([self.sock], [], [], timeout)[0]:
                return None
            data = self.sock.recv(65536)
            if not data:
                raise OSError("QMP closed")
            self.buf += data
        raw, self.buf = self.buf.split(b"\n", 1)
        return json.loads(raw)

    def reply(self, cmd, **args):
        self.sock.sendall((json.dumps({"execute": cmd, "arguments": args}) +
                           "\n").encode())
        while True:
            msg = self.line()
            if "return" in msg or "error" in msg:
                return msg.get("return", msg.get("error"))

    def dump(self, out):
        for cpu in self.reply("query-cpus-fast") or []:
            n = cpu.get("cpu-index", 0)
            out.write("== cpu %d\n" % n)
            for cmd in ("info registers", "x/12i $pc", "x/32gx $esp"):
                text = self.reply("human-monitor-command",
                                  **{"command-line": cmd, "cpu-index": n})
                out.write("-- %s\n%s" % (cmd, text))


def test_deadline(path):
    """The deadline in PATH (seconds since the epoch), or None."""
    if path is None:
        return None
    try:
        with open(path) as f:
            return float(f.read().strip())
    except (OSError, ValueError):
        return None


def samples(q, what):
    with open(sys.argv[2], "w") as out:
        for i in range(3):
            out.write("lab host still running at %s (sample %d)\n" %
                      (what, i + 1))
            q.dump(out)
            time.sleep(1)


def main():
    q = Qmp(connect(sys.argv[1]))
    deadline = float(sys.argv[3]) if len(sys.argv) > 3 else None
    dfile = sys.argv[4] if len(sys.argv) > 4 else None
    q.line()  # the greeting
    q.reply("qmp_capabilities")
    while True:
        test = test_deadline(dfile)
        if test is not None and time.time() >= test:
            samples(q, "its test's time limit")
            try:
                q.reply("quit")
            except OSError:
                pass
            return
        wait = None if deadline is None else max(deadline - time.time(), 0)
        if dfile is not None:
            wait = 1 if wait is None else min(wait, 1)
        msg = q.line(wait)
        if msg is None:
            if deadline is not None and time.time() >= deadline:
                samples(q, "its time limit")
                deadline = None
            continue
        if msg.get("event") != "SHUTDOWN":
            continue
        reason = msg.get("data", {}).get("reason", "")
        if reason not in QUIT_ONLY:
            with open(sys.argv[2], "w") as out:
                out.write("lab host stopped by a %s\n" % reason)
                q.dump(out)
        try:
            q.reply("quit")
        except OSError:
            pass  # QEMU may close the socket before it answers
        return


if __name__ == "__main__":
    try:
        main()
    except OSError:
        pass  # QEMU went away (the time limit's kill)
