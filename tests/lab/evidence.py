#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Checks of kvmmem's evidence images, run in the lab's introspector by
# t-linux (Debian's /usr/bin/python3, for drgn):
#   evidence.py lime IMAGE RAW "START END ..."  the LiME headers (magic,
#       version 1, start, inclusive end, reserved zeros) are the ranges, in
#       order, and each range's bytes are the raw image's at the same offsets;
#       prints "ok N ranges" or what differs
#   evidence.py drgn ELF    drgn opens the vmcore with no debug info; prints
#       init_uts_ns's release read at its virtual address (from the
#       VMCOREINFO note), then at its physical address
#   evidence.py record JSON  prints the record's sha256 and size
#   evidence.py pause JSON   prints the record's "paused" and "consistent",
#       and whether it gives a paused_ms above 0, separated by "|"
#   evidence.py seek FILE   the data ranges that SEEK_DATA and SEEK_HOLE give,
#       as kvmmem ranges prints them
#   evidence.py live PMEM SYMBOL_HEX PHYS_BASE  reads a kernel variable of
#       the target (jiffies_64, say) twice, a second apart, through one open
#       file, at its physical address; prints "changed" or "same"
import json
import os
import struct
import sys
import time

LIME_MAGIC = 0x4C694D45


def lime(image, raw, ranges):
    want = [int(x, 16) for x in ranges.split()]
    want = list(zip(want[0::2], want[1::2]))
    with open(image, "rb") as f, open(raw, "rb") as r:
        for i, (start, end) in enumerate(want):
            h = f.read(32)
            if len(h) != 32:
                return f"range {i}: no header"
            magic, version, s, e = struct.unpack("<IIQQ", h[:24])
            if (magic, version, s, e, h[24:]) != (LIME_MAGIC, 1, start, end - 1, bytes(8)):
                return f"range {i}: header {magic:#x} {version} {s:#x} {e:#x} {h[24:].hex()}"
            r.seek(start)
            left = end - start
            while left:
                n = min(left, 1 << 20)
                if f.read(n) != r.read(n):
                    return f"range {i}: bytes differ near {end - left:#x}"
                left -= n
        if f.read(1):
            return "bytes after the last range"
    return f"ok {len(want)} ranges"


def release_of(elf):
    import drgn

    prog = drgn.Program()
    prog.set_core_dump(elf)
    info = {}
    note = read_vmcoreinfo(elf)
    for line in note.splitlines():
        k, _, v = line.partition("=")
        info[k] = v
    uts = int(info["SYMBOL(init_uts_ns)"], 16) + int(info.get("OFFSET(uts_namespace.name)", "0"))
    # struct new_utsname: sysname, nodename, release, each 65 bytes
    va = prog.read(uts + 130, 65, False).split(b"\0")[0].decode()
    phys_base = int(info["NUMBER(phys_base)"]) & (2**64 - 1)
    pa = (uts + 130 - 0xffffffff80000000 + phys_base) & (2**64 - 1)
    pr = prog.read(pa, 65, True).split(b"\0")[0].decode()
    return f"{va} {pr}"


def read_vmcoreinfo(elf):
    with open(elf, "rb") as f:
        eh = f.read(64)
        phoff, = struct.unpack("<Q", eh[32:40])
        phnum, = struct.unpack("<H", eh[56:58])
        f.seek(phoff)
        for _ in range(phnum):
            ph = f.read(56)
            typ, = struct.unpack("<I", ph[:4])
            if typ != 4:  # PT_NOTE
                continue
            off, = struct.unpack("<Q", ph[8:16])
            size, = struct.unpack("<Q", ph[32:40])
            here = f.tell()
            f.seek(off)
            note = f.read(size)
            f.seek(here)
            namesz, descsz, _ = struct.unpack("<III", note[:12])
            name = note[12:12 + namesz].rstrip(b"\0")
            desc = note[12 + ((namesz + 3) & ~3):][:descsz]
            if name == b"VMCOREINFO":
                return desc.decode()
    return ""


def seek(path):
    out = []
    with open(path, "rb") as f:
        fd, off = f.fileno(), 0
        while True:
            try:
                start = os.lseek(fd, off, os.SEEK_DATA)
            except OSError:
                break
            end = os.lseek(fd, start, os.SEEK_HOLE)
            out.append(f"{start:#x} {end:#x}")
            off = end
    return "\n".join(out)


def live(path, sym, phys_base):
    pa = (int(sym, 16) - 0xffffffff80000000 + int(phys_base)) % 2**64
    with open(path, "rb") as f:
        a = os.pread(f.fileno(), 8, pa)
        time.sleep(1)
        b = os.pread(f.fileno(), 8, pa)
    return "changed" if a != b else "same"


def main():
    if sys.argv[1] == "lime":
        print(lime(sys.argv[2], sys.argv[3], sys.argv[4]))
    elif sys.argv[1] == "drgn":
        print(release_of(sys.argv[2]))
    elif sys.argv[1] == "seek":
        print(seek(sys.argv[2]))
    elif sys.argv[1] == "live":
        print(live(sys.argv[2], sys.argv[3], sys.argv[4]))
    elif sys.argv[1] == "pause":
        with open(sys.argv[2]) as f:
            r = json.load(f)
        print(f"{r['paused']}|{r['consistent']}|{r.get('paused_ms', 0) > 0}")
    elif sys.argv[1] == "record":
        with open(sys.argv[2]) as f:
            r = json.load(f)
        print(r["sha256"], r["size"])


main()
