#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# group.sh TEST...: runs lab tests (names like t-core) one after the other
# in one lab host boot, so that the lab host boots once for all of them.
# Before each test it prints "KVMMEM-LIMIT S", the test's time limit (three
# times its "# lab-typical:" seconds, 4 to 15 minutes), which
# scripts/lab/run.sh turns into a deadline kept outside the lab host: a
# wedged lab host is stopped then, not at the group's end. Each test runs
# under that limit here too, and its output is framed by
# "KVMMEM-TEST-BEGIN NAME" and "KVMMEM-TEST-END NAME RC SECONDS".
#
# Between tests, what a test may leave behind goes: its VMs (a test that
# fails early exits with them running), kvmmem_host, /tmp/lab, the trace of
# shutdown exits, KSM's run, huge pages and the THP mode (t-backing); a kernel report (Oops, BUG, WARNING, KASAN) that came
# while that was cleared fails the test before it, and the kernel log is
# then emptied, so that each test reads its own (the console keeps all).
# The group stops after the first test that failed: tests/run.sh runs that
# test again on its own and the rest of the group in a fresh boot.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)

. "$top/tests/lab/limit.sh"

# tidy: stop what a test left running and unload the host module
tidy() {
	local i
	pkill -f qemu-system-x86_64
	pkill -x tvm
	for i in $(seq 50); do
		pgrep -f qemu-system-x86_64 >/dev/null || pgrep -x tvm >/dev/null || break
		sleep 0.2
	done
	pkill -9 -f qemu-system-x86_64
	pkill -9 -x tvm
	for i in $(seq 50); do
		[ -d /sys/module/kvmmem_host ] || break
		rmmod kvmmem_host 2>/dev/null && break
		sleep 0.2
	done
	rm -rf /tmp/lab
	[ -w /sys/kernel/tracing/trace ] && : >/sys/kernel/tracing/trace
	# KSM as at boot: stopped, nothing merged (t-scan starts it)
	[ -w /sys/kernel/mm/ksm/run ] && echo 2 >/sys/kernel/mm/ksm/run
	# no huge page reserved, THP as at boot (t-backing changes both)
	echo 0 >/proc/sys/vm/nr_hugepages
	[ -n "$thp_boot" ] && echo "$thp_boot" >/sys/kernel/mm/transparent_hugepage/enabled
}
thp_boot=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)

for t in "$@"; do
	lim=$(lab_limit "$t")
	echo "KVMMEM-LIMIT $lim"
	echo "KVMMEM-TEST-BEGIN $t"
	t0=$SECONDS
	timeout -k 10 "$lim" bash "$top/tests/lab/$t.sh" 2>&1 | tee /tmp/lab-test.out
	rc=${PIPESTATUS[0]}
	tidy
	if [ -d /sys/module/kvmmem_host ]; then
		echo "not ok - $t: kvmmem_host unloads after the test's VMs are gone"
		rc=1
	fi
	bad=$(dmesg | grep -E 'Oops|BUG:|WARNING:|KASAN' | head -n 3)
	if [ -n "$bad" ]; then
		echo "not ok - $t: no kernel report while its VMs stopped and kvmmem_host unloaded"
		sed 's/^/# dmesg: /' <<<"$bad"
		rc=1
	fi
	dmesg -C
	echo "KVMMEM-TEST-END $t $rc $((SECONDS - t0))"
	[ "$rc" = 0 ] && ! grep -q '^not ok' /tmp/lab-test.out || exit 1
done
exit 0
