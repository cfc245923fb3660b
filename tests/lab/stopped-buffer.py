#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# stopped-buffer.py FILE: fills a buffer with a known pattern, starts three
# more threads, writes "PID ADDRESS-IN-HEX LENGTH" to FILE, then stops
# itself (SIGSTOP), so that a test can read the buffer, the process's maps
# and its threads from outside.
import ctypes
import os
import signal
import sys
import threading
import time

buf = ctypes.create_string_buffer(b"KVMMEM-VREAD-" * 400)
for _ in range(3):
    threading.Thread(target=time.sleep, args=(100000,), daemon=True).start()
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %x %d\n" % (os.getpid(), ctypes.addressof(buf), len(buf) - 1))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
os.kill(os.getpid(), signal.SIGSTOP)
