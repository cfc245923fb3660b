#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark (make bench; scripts/bench.sh): a program, not a test. In
# the lab host: a tiny target VM with 1 GiB + 16 MiB of patterned RAM, the
# introspector (1.5 GiB) with the kvmmem_bench module (the null hypercall timer) and
# tests/guest/bench.c, which measures; this script prints the table. Then
# a Linux target (Debian, KASLR on) with about 500 processes: the time of
# `kvmmem ps` (its first command, which finds the kernel, and a later one)
# and the hypercalls it made, from the host's counters.
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
tvm_stop tgt

# --- kvmmem ps on a Linux target with about 500 processes --------------------
PROCS=${KVMMEM_BENCH_PROCS:-480}
unit=$(awk -F= '$1 == "null_ns" { print $2 }' <<<"$out")
lt_start lx "$GKVER" 512 || { echo "bench: the Linux target did not boot"; exit 1; }
# children forked from one Python process: no exec, little to copy
lt_run lx "python3 -c 'import os, signal
for i in range($PROCS):
    if os.fork() == 0:
        signal.pause()
' </dev/null >/dev/null 2>&1 &" >/dev/null
wait_until 600 "[ \"\$(lt_run lx 'ls -d /proc/[0-9]* | wc -l')\" -ge $PROCS ]" ||
	echo "bench: the target has only $(lt_run lx 'ls -d /proc/[0-9]* | wc -l') processes"
nproc=$(lt_run lx 'ls -d /proc/[0-9]* | wc -l')
cp "$BIN/kvmmem" "$S/"
grant "$S/lx.tok" "$(lt_pid lx)" "$(intro_pid)" >/dev/null
# ps RUN: kvmmem ps in the introspector; prints "ns hypercalls lines"
ps_run() {
	local hc0 r
	hc0=$(stat_of hypercalls)
	r=$(intro_run "t0=\$(date +%s%N); n=\$(/mnt/kvmmem --token-file /mnt/lx.tok ps 2>/dev/null | wc -l); echo \$((\$(date +%s%N) - t0)) \$n" 600)
	echo "$r $(($(stat_of hypercalls) - hc0))"
}
read -r cold_ns cold_lines cold_hc <<<"$(ps_run)"
read -r warm_ns warm_lines warm_hc <<<"$(ps_run)"
echo "# raw: target processes=$nproc; kvmmem ps: first $cold_ns ns $cold_lines lines $cold_hc hypercalls, later $warm_ns ns $warm_lines lines $warm_hc hypercalls"
awk -v u="$unit" -v c="$cold_ns" -v w="$warm_ns" -v ch="$cold_hc" -v wh="$warm_hc" -v p="$nproc" 'BEGIN {
	if (!u || !c || !w) exit 1
	printf "%-58s %10.0f %8s\n", sprintf("kvmmem ps (%d processes), first command / unit", p), c / u, ""
	printf "%-58s %10d %8s\n", "... hypercalls it made", ch, ""
	printf "%-58s %10.0f %8s\n", "kvmmem ps, a later command (kernel found) / unit", w / u, ""
	printf "%-58s %10d %8s\n", "... hypercalls it made", wh, ""
}' || { echo "bench: no kvmmem ps figures"; exit 1; }
intro_stop
lt_stop lx
