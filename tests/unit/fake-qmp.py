#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A stand-in for QEMU's QMP socket, for tests of kvmmem-host deliver.

fake-qmp.py SOCKET LOG [MODE [QEMU-LIKE ARGS...]]: serves connections one after the other and
keeps QEMU's state between them (the controller, the port). It logs each
command as "execute NAME [details]" and, for add-fd, the bytes that came
through the passed pipe ("token HEX"). Further arguments are ignored: they
make the process's command line look like a QEMU's. MODE: "ok" (default), "hmp" (greets
like the human monitor), "refuse-chardev" (chardev-add fails), "vser" (the
controller exists already: device_add of it says Duplicate).
"""
import json
import os
import socket
import sys

path, log, mode = sys.argv[1], sys.argv[2], (sys.argv[3:] or ["ok"])[0]
state = {"vser": mode == "vser", "port": False, "chardev": False}


def out(conn, obj):
    conn.sendall((json.dumps(obj) + "\r\n").encode())


def note(line):
    with open(log, "a") as f:
        f.write(line + "\n")


def serve(conn):
    if mode == "hmp":
        conn.sendall(b"QEMU 7.2.0 monitor - type 'help' for more information\r\n(qemu) ")
        return
    out(conn, {"QMP": {"version": {"qemu": {"major": 7}}, "capabilities": []}})
    buf, dec = "", json.JSONDecoder()
    while True:
        data, fds, _, _ = socket.recv_fds(conn, 4096, 4)
        if not data:
            return
        buf += data.decode()
        while buf.strip():
            try:
                cmd, end = dec.raw_decode(buf.lstrip())
            except ValueError:
                break
            buf = buf.lstrip()[end:]
            handle(conn, cmd, fds)
            fds = []


def error(conn, desc):
    out(conn, {"error": {"class": "GenericError", "desc": desc}})


def handle(conn, cmd, fds):
    name, args = cmd.get("execute"), cmd.get("arguments", {})
    note("execute %s %s" % (name, json.dumps(args, sort_keys=True)))
    if name == "device_add" and args.get("driver") == "virtio-serial-pci":
        if state["vser"]:
            return error(conn, "Duplicate device ID '%s' for device" % args["id"])
        state["vser"] = True
    elif name == "device_del":
        if not state["port"] or args.get("id") != "kvmmem-token":
            return error(conn, "Device '%s' not found" % args.get("id"))
        state["port"] = False
        out(conn, {"timestamp": {"seconds": 1, "microseconds": 0},
                   "event": "DEVICE_DELETED",
                   "data": {"device": "kvmmem-token", "path": "/machine/peripheral/kvmmem-token"}})
    elif name == "chardev-remove":
        if not state["chardev"]:
            return error(conn, "Chardev '%s' not found" % args.get("id"))
        state["chardev"] = False
    elif name == "add-fd":
        if len(fds) != 1:
            return error(conn, "No file descriptor supplied via SCM_RIGHTS")
        note("token %s" % os.read(fds[0], 4096).decode().rstrip("\n"))
        note("eof %s" % (os.read(fds[0], 1) == b""))
        os.close(fds[0])
        return out(conn, {"return": {"fdset-id": 3, "fd": 42}})
    elif name == "chardev-add":
        if mode == "refuse-chardev":
            return error(conn, "Could not open '/dev/fdset/3': No such file or directory")
        if state["chardev"]:
            return error(conn, "attempt to add duplicate property 'kvmmem-token'")
        state["chardev"] = True
    elif name == "device_add" and args.get("driver") == "virtserialport":
        if not state["vser"] or not state["chardev"] or state["port"]:
            return error(conn, "port: bad state %s" % state)
        state["port"] = True
    out(conn, {"return": {}})


srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(1)
while True:
    c, _ = srv.accept()
    try:
        serve(c)
    except OSError:
        pass
    finally:
        c.close()
