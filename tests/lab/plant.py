#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# plant.py TEXTFILE READYFILE: a hostile process of a target. Puts the text
# at the start of eight pages of its own memory, locked there, then says so
# in READYFILE and waits to be killed. A forged VMCOREINFO, say.
import mmap
import sys
import time

text = open(sys.argv[1], "rb").read()[:4095]
m = mmap.mmap(-1, 8 * 4096)
for i in range(8):
    m[i * 4096:i * 4096 + len(text)] = text
open(sys.argv[2], "w").write("planted\n")
while True:
    time.sleep(1000)
