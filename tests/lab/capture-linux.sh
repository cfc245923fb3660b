#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# capture-linux.sh [KVER]: a developer's tool, not a test. Boots a Linux
# target (KASLR on) in the lab, records what the target itself reports
# (uname, ps, modules, dmesg, a stopped process's maps and buffer) and
# saves its RAM with QEMU's pmemsave into /tmp/lab-out (run.sh's out/),
# for offline work on the Linux layer.
. "$(dirname "$0")/lib.sh"
k=${1:-$GKVER}
o=/tmp/lab-out
load_kvm || exit 1
lt_start tgt "$k" 256 || exit 1
lt_run tgt 'cp /bin/sleep /tmp/kvmmem-canary; setpriv --reuid=4242 --regid=4242 --clear-groups /tmp/kvmmem-canary 1000 & sleep 0.5; echo started' 
lt_run tgt "python3 $TOP/tests/lab/stopped-buffer.py /mnt/vbuf >/dev/null 2>&1 &"
wait_for 20 test -e "$LAB/tgt-share/vbuf" || echo "no stopped buffer"
read -r vpid vaddr vlen <"$LAB/tgt-share/vbuf"
lt_run tgt "echo kvmmem-capture-mark > /dev/kmsg"
lt_run tgt "uname -r" >"$o/uname"
lt_run tgt "uname -a" >"$o/uname-a"
lt_run tgt "ps -eLo pid,ppid,euid,stat,lwp,comm" >"$o/ps"
lt_run tgt "cat /proc/modules" >"$o/modules"
lt_run tgt "dmesg" >"$o/dmesg"
lt_run tgt "cat /proc/$vpid/maps" >"$o/maps"
echo "$vpid $vaddr $vlen" >"$o/vbuf"
lt_monitor tgt stop
lt_monitor tgt 'pmemsave 0 268435456 "/tmp/lab-out/ram.raw"'
lt_monitor tgt cont
lt_run tgt "ps -eLo pid,ppid,euid,stat,lwp,comm" >"$o/ps-after"
lt_stop tgt
ls -l "$o"
