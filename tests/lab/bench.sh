#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark (make bench; scripts/bench.sh): a program, not a test. In
# the lab host: a tiny target VM with 1 GiB + 16 MiB of patterned RAM, the
# introspector (1.5 GiB) with the kvmmem_bench module (the null hypercall timer) and
# tests/guest/bench.c, which measures; this script prints the table.
# Everything is measured in the introspector, in one run, and quoted as a
# ratio: nested TCG makes absolute times meaningless.
. "$(dirname "$0")/lib.sh"

BIG=${KVMMEM_BENCH_BIG:-16384}		# pages mapped for the "flat" figure
NULLS=${KVMMEM_BENCH_NULLS:-20000}
WIN=${KVMMEM_BENCH_WIN:-262144}		# window pages mapped for its "flat" figure

load_kvm
load_host || { echo "bench: kvmmem_host does not load"; exit 1; }
tvm_start tgt 1040 || exit 1
TVM_WAIT=300 tvm tgt fill 0 $((1040 << 20)) 7 >/dev/null
if ! intro_start 1536; then
	echo "bench: the introspector did not boot"
	exit 1
fi
S=$INTRO_SHARE
cp "$BIN/bench" "$S/"
intro_run "modprobe kvmmem_guest && insmod $TOP/build/bench/$GKVER/kvmmem_bench.ko" >/dev/null ||
	{ echo "bench: the guest modules do not load"; exit 1; }
grant "$S/b.tok" "$(tvm_pid tgt)" "$(intro_pid)" --quota $((WIN + 1024)) >/dev/null
out=$(intro_run "/mnt/bench /mnt/b.tok 0x100000 $BIG $NULLS $WIN" 1200)
sed 's/^/# raw: /' <<<"$out"
grep -q '^error' <<<"$out" && exit 1

awk -v big="$BIG" -v win="$WIN" -F= '{ v[$1] = $2 }
END {
	u = v["null_ns"]
	if (!u) exit 1
	printf "%-58s %10s %8s\n", "kvmmem benchmark (nested lab; ratios only)", "ratio", "goal"
	printf "%-58s %10.2f %8s\n", "null hypercall round trip from the guest kernel (unit)", 1, ""
	printf "%-58s %10.2f %8s\n", "seed ABI: one map + unmap ioctl per page / unit", v["single_ns"] / u, ""
	printf "%-58s %10.2f %8s\n", "page batch map per page (4096 pages, no window) / unit", v["batch_map_ns"] / u, ""
	printf "%-58s %10.2f %8s\n", "page batch unmap per page / unit", v["batch_unmap_ns"] / u, ""
	printf "%-58s %10.2f %8s\n", "window batch map per page (64 MiB) / unit", v["win_map_ns"] / u, "<= 0.25"
	printf "%-58s %10.2f %8s\n", "... the first time (target huge pages split) / unit", v["win_cold_ns"] / u, ""
	printf "%-58s %10.2f %8s\n", "window batch unmap per page / unit", v["win_unmap_ns"] / u, ""
	printf "%-58s %10.2f %8s\n", "read bandwidth, window slots / local memory", v["win_read"] / v["read_local"], ">= 0.9"
	printf "%-58s %10.2f %8s\n", "read bandwidth, page-mode mappings / local memory", v["read_mapped"] / v["read_local"], ""
	printf "%-58s %10.2f %8s\n", sprintf("window map cost with %d MiB mapped / with 1 MiB mapped", win * 4 / 1024), v["win_at_big_ns"] / v["win_at_1m_ns"], "<= 1.5"
	printf "%-58s %10.2f %8s\n", sprintf("page map cost with %d MiB mapped / with 1 MiB mapped", big * 4 / 1024), v["map_at_big_ns"] / v["map_at_1m_ns"], ""
}' <<<"$out" || { echo "bench: no figures"; exit 1; }
intro_stop
tvm_stop tgt
