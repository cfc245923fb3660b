#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# watch.py QMPSOCKET OUT: ends the lab host's QEMU, which runs with
# "-action shutdown=pause" so that a reset (a triple fault, say) stops it
# with the CPUs as the fault left them. On a power-off this only quits
# QEMU; on a guest reset it first writes every CPU's registers, the code at
# its RIP and the top of its stack ($esp: QEMU's name for RSP) to OUT, then
# quits. (QEMU 7.2 exits at once on a signal, so a lab host that hangs
# until run.sh's time limit leaves no such record.)
import json
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


def main():
    sock = connect(sys.argv[1])
    f = sock.makefile("rw")

    def reply(cmd, **args):
        f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
        f.flush()
        for line in f:
            msg = json.loads(line)
            if "return" in msg or "error" in msg:
                return msg.get("return", msg.get("error"))
        return None

    def hmp(line, cpu):
        return reply("human-monitor-command",
                     **{"command-line": line, "cpu-index": cpu})

    f.readline()  # the greeting
    reply("qmp_capabilities")
    for line in f:
        msg = json.loads(line)
        if msg.get("event") != "SHUTDOWN":
            continue
        reason = msg.get("data", {}).get("reason", "")
        if reason not in QUIT_ONLY:
            with open(sys.argv[2], "w") as out:
                out.write("lab host stopped by a %s\n" % reason)
                cpus = reply("query-cpus-fast") or []
                for cpu in cpus:
                    n = cpu.get("cpu-index", 0)
                    out.write("== cpu %d\n" % n)
                    for cmd in ("info registers", "x/12i $pc", "x/32gx $esp"):
                        out.write("-- %s\n%s" % (cmd, hmp(cmd, n)))
        try:
            reply("quit")
        except OSError:
            pass  # QEMU may close the socket before it answers
        return


if __name__ == "__main__":
    main()
