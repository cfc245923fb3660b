#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# churn.sh: the nested lab's own faults, with no kvmmem at all (a lab
# program, not a test; docs/lab.md). In the lab host: an introspector and a
# Linux target, each writing a page of every 4 KiB of 384 MiB in a loop,
# while the lab host merges equal pages (KSM: QEMU's guest RAM is
# MADV_MERGEABLE) and compacts its memory every 2 s, so that the pages
# under two running nested guests are merged, migrated and freed, as the
# host module's overlays do to an introspector's RAM. Runs CHURN_SECS
# (default 600) or until a VM or the lab host dies.
#
#   scripts/lab/run.sh -n churn -t 900 -m 6G KVER env CHURN_SECS=600 tests/lab/churn.sh
. "$(dirname "$0")/lib.sh"

SECS=${CHURN_SECS:-600}
load_kvm
grep -q '^kvmmem' /proc/modules && { echo "churn: kvmmem is loaded"; exit 1; }
intro_start 1536 || exit 1
lt_start lx "$GKVER" 512 || exit 1
loop="setsid sh -c 'while :; do python3 -c \"b = bytearray(384 << 20)
for i in range(0, len(b), 4096): b[i] = 1\"; done' </dev/null >/dev/null 2>&1 &"
intro_run "$loop" >/dev/null
lt_run lx "$loop" >/dev/null
echo 2000 >/sys/kernel/mm/ksm/pages_to_scan
echo 10 >/sys/kernel/mm/ksm/sleep_millisecs
echo 1 >/sys/kernel/mm/ksm/run
figures() {
	echo "$(grep -E '^(pgmigrate_success|compact_stall) ' /proc/vmstat | tr '\n' ' ')ksm_sharing $(cat /sys/kernel/mm/ksm/pages_sharing)"
}
t0=$SECONDS n=0
while [ $((SECONDS - t0)) -lt "$SECS" ]; do
	echo 1 >/proc/sys/vm/compact_memory
	n=$((n + 1))
	nap 2
	if ! kill -0 "$(intro_pid)" 2>/dev/null || ! kill -0 "$(lt_pid lx)" 2>/dev/null; then
		echo "# churn: a VM died at $((SECONDS - t0)) s, after $n compactions"
		vm_deaths
		break
	fi
	[ $((n % 30)) = 0 ] && echo "# churn: $((SECONDS - t0)) s, $n compactions: $(figures)"
done
echo "# churn: ended at $((SECONDS - t0)) s, $n compactions: $(figures); kernel $(cat /proc/sys/kernel/tainted) tainted"
lt_stop lx
intro_stop
