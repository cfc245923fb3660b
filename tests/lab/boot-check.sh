#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run by systemd (systemd.run=) in an introspector booted the way an
# installed system boots: records whether kvmmem_guest came up by itself.
{
	echo "virt: $(systemd-detect-virt)"
	echo "unit: $(systemctl is-active kvmmem-guest.service)"
	echo "module: $(grep -o '^kvmmem_guest' /proc/modules)"
	echo "device: $(stat -c '%a %U:%G' /dev/kvmmem 2>&1)"
	echo "rule: $(udevadm test /sys/class/misc/kvmmem 2>&1 | grep -c '60-kvmmem.rules:[0-9]* MODE 0600')"
	echo "failed units: $(systemctl --failed --no-legend | grep -c kvmmem)"
} > /mnt/boot.result 2>&1
# where the boot's time went, for the log (the nested lab's systemd boot
# takes about two minutes, and once took more than five): the longest
# silences of the kernel's log, to which systemd writes each unit
# (systemd-analyze cannot tell before the boot has finished)
dmesg 2>/dev/null | awk -F'[][]' '{ t = $2 + 0
	if (NR > 1 && t - p >= 1) printf "%6.1f s before: %s\n", t - p, $0
	p = t }' | sort -rn | head -n 12 > /mnt/blame.txt
