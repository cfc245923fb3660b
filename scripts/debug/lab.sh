#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lab.sh [TEST...]: the core, hardening and scan lab tests (default: t-core,
# t-harden and t-scan) on the debug lab host: Debian 12's 6.1 built with
# KASAN, lockdep, kmemleak, DEBUG_VM and DEBUG_ATOMIC_SLEEP (build.sh,
# cached). The VMs inside run Debian's own 6.1. Each test ends with a
# kmemleak scan and a check of the kernel log for KASAN, lockdep and WARNING reports. Far too
# slow for CI on two cores: `make debug-lab` runs it. Prints TAP and
# "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. scripts/kernels.sh
tests=${*:-t-core t-harden t-scan}
scripts/install-deps.sh >/dev/null || { echo "debug: install-deps failed" >&2; exit 1; }
tests/run.sh dkms >/dev/null || { echo "debug: dkms install failed" >&2; exit 1; }
k61=$(kver_61)
dkver=$(scripts/debug/build.sh | tail -n 1) || exit 1
[ -f "build/lab/$k61/initramfs.cpio" ] ||
	scripts/lab/mkinitramfs.sh "$k61" "build/lab/$k61/initramfs.cpio" || exit 1

pass=0 fail=0 n=0
echo "TAP version 13"
for t in $tests; do
	echo "# --- debug lab host $dkver: $t"
	t0=$SECONDS
	while IFS= read -r l; do
		case $l in
		"ok "*) n=$((n + 1)) pass=$((pass + 1)); echo "ok $n ${l#ok }" ;;
		"not ok "*) n=$((n + 1)) fail=$((fail + 1)); echo "not ok $n ${l#not ok }" ;;
		*) echo "$l" ;;
		esac
	done < <(scripts/lab/run.sh -k build/debug-kernel/out/vmlinuz -m 3G -t 5400 \
			-n "debug-$t" "$dkver" "$top/tests/lab/$t.sh" 2>&1)
	echo "# $t took $((SECONDS - t0)) s"
done
echo "1..$n"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
