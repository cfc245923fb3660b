#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Runs in a Linux target of the lab (t-linux): holds two 64-byte markers
# that it derives inside itself, for kvmmem yara to find:
#   m1 in its heap (a bytearray), inside one page;
#   m2 across two virtually adjacent pages of an anonymous mapping that are
#      not physically adjacent (checked in /proc/self/pagemap), written half
#      by half, so that m2 is nowhere whole in one page.
# It writes "m1 HEX", "m2 HEX VA PA1 PA2" (hex) to the file it is given,
# then waits to be killed.
import ctypes
import hashlib
import mmap
import os
import sys
import time


def pfn(va):
    with open("/proc/self/pagemap", "rb") as f:
        f.seek(va // 4096 * 8)
        e = int.from_bytes(f.read(8), "little")
    return e & ((1 << 55) - 1) if e >> 63 else None


seed = os.urandom(32)
# m1 in a heap buffer (malloc'd: smaller than glibc's mmap threshold), at an
# offset where it does not cross a page: a physical scan finds it too
heap = bytearray(8192)
base = ctypes.addressof(ctypes.c_char.from_buffer(heap))
off = (-base) % 4096 + 1024
heap[off:off + 64] = hashlib.sha512(b"m1" + seed).digest()
h1 = hashlib.sha256(b"m2a" + seed).digest()
h2 = hashlib.sha256(b"m2b" + seed).digest()
keep = []
for _ in range(64):
    mm = mmap.mmap(-1, 8192)
    # the second page first: the allocator tends to hand out ascending
    # frames to back-to-back faults, which would make the pages adjacent
    mm[4096:4096 + 32] = h2
    mm[4096 - 32:4096] = h1
    va = ctypes.addressof(ctypes.c_char.from_buffer(mm))
    p1, p2 = pfn(va), pfn(va + 4096)
    if p1 is not None and p2 is not None and p2 != p1 + 1:
        break
    # physically adjacent: m2 would be whole in physical memory; wipe it,
    # and keep the mapping, so that the next try gets other pages
    mm[4096 - 32:4096 + 32] = bytes(64)
    keep.append(mm)
else:
    sys.exit("no two virtually adjacent pages that are not physically adjacent")
with open(sys.argv[1] + ".tmp", "w") as f:
    # m2 is never whole in one bytes object: its halves are written apart
    f.write(f"m1 {heap[off:off + 64].hex()}\n")
    f.write(f"m2 {h1.hex()}{h2.hex()} {va + 4096 - 32:x} {p1 * 4096 + 4096 - 32:x} {p2 * 4096:x}\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    time.sleep(60)
