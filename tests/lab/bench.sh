#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark (make bench; scripts/bench.sh): a program, not a test. In
# the lab host: a tiny target VM with 1 GiB + 16 MiB of patterned RAM, the
# introspector (1.5 GiB) with the kvmmem_bench module (the null hypercall
# timer) and tests/guest/bench.c, which measures; this script prints the
# table. Then a Linux target (Debian, KASLR on) with about 500 processes:
# the time of `kvmmem ps` (a grant's first command, which finds the kernel,
# and a later one) and the hypercalls it made, from the host's counters.
# Then YARA over a tiny target's 256 MiB of RAM: the plain yara command on
# the file view (kvmmem mount DIR; DIR/pmem) against kvmmem yara (window
# slots, no copy), in bytes per second, and their ratio.
# Then (PARTS=alt) kvmmem against what a stock KVM host offers instead, on
# one Linux target: QMP pmemsave, copy and ship (the target VMM's
# /proc/PID/mem) and QEMU's dump-guest-memory, each through an agent in
# the introspector and a server in the lab host over vsock (tests/alt/),
# with "# plot:" lines that scripts/bench.sh draws.
# Each figure is the median of KVMMEM_BENCH_REPS repetitions within the
# run (5), printed with its minimum and maximum. Everything is measured in
# the introspector, in one run, and quoted as a ratio: nested TCG makes
# absolute times meaningless. A part whose introspector dies (the nested
# lab's fault, docs/lab.md) runs again once, in a new one, and says so.
. "$(dirname "$0")/lib.sh"
INTRO_WATCH=0	# a part whose introspector dies is run again, below

BIG=${KVMMEM_BENCH_BIG:-16384}		# pages mapped for the "flat" figure
NULLS=${KVMMEM_BENCH_NULLS:-20000}
WIN=${KVMMEM_BENCH_WIN:-262144}		# window pages mapped for its "flat" figure

# the parts to run, comma-separated (make bench PARTS=yara): maps is the
# table and kvmmem ps. Their bodies are not indented: a Python program in
# maps must start at column 0.
PARTS=${KVMMEM_BENCH_PARTS:-maps,yara}
# the repetitions of each measure within the run (their median is quoted)
MREPS=${KVMMEM_BENCH_REPS:-5}
# MED: an awk function for the programs below: sorts a[1..n] and returns
# the median (a[1] and a[n] are then the extremes)
MED='function med(a, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}'

load_kvm
load_host || { echo "bench: kvmmem_host does not load"; exit 1; }
case ",$PARTS," in
*,alt,*)
	# the alternatives' channel (tests/alt/): vsock, the introspector's CID 3
	modprobe vhost_vsock || { echo "bench: no vhost_vsock"; exit 1; }
	INTRO_QEMU_ARGS="-device vhost-vsock-pci,guest-cid=3"
	;;
esac
# intro_boot: the introspector with the benchmark's programs and modules
intro_boot() {
	if ! intro_start 1536; then
		echo "bench: the introspector did not boot"
		return 1
	fi
	S=$INTRO_SHARE
	cp "$BIN/bench" "$BIN/kvmmem" "$S/"
	intro_run "modprobe kvmmem_guest && insmod $TOP/build/bench/$GKVER/kvmmem_bench.ko" >/dev/null ||
		{ echo "bench: the guest modules do not load"; return 1; }
}
intro_boot || exit 1

# part_cleanup: stop what a part that failed left running
part_cleanup() {
	local n p
	pkill -f "$BIN/alt-host" 2>/dev/null
	for n in tgt yt; do
		p=TVM_PID_$n
		[ -n "${!p:-}" ] && kill -0 "${!p}" 2>/dev/null && tvm_kill "$n"
	done
	for n in lx alt; do
		p=LT_PID_$n
		[ -n "${!p:-}" ] && kill -0 "${!p}" 2>/dev/null && lt_stop "$n"
	done
	intro_stop
}
intro_died() { [ -e "$LAB/intro.dead" ] || ! kill -0 "$(intro_pid)" 2>/dev/null; }

bench_maps() {
tvm_start tgt 1040 || return 1
TVM_WAIT=300 tvm tgt fill 0 $((1040 << 20)) 7 >/dev/null
grant "$S/b.tok" "$(tvm_pid tgt)" "$(intro_pid)" --quota $((WIN + 1024)) >/dev/null
# the program REPS times; its lines, after a "rep=N" line for each run
out=
for r in $(seq "$MREPS"); do
	o=$(intro_run "/mnt/bench /mnt/b.tok 0x100000 $BIG $NULLS $WIN" 1200)
	sed "s/^/# raw $r: /" <<<"$o"
	grep -q '^error' <<<"$o" && return 1
	out+="rep=$r"$'\n'"$o"$'\n'
done

awk -v big="$BIG" -v win="$WIN" -F= "$MED"'
$1 == "rep" { r = $2; reps = r; next }
{ v[r, $1] = $2 }
# a row: NUM / DEN of each run (DEN "unit": the run s null hypercall)
function row(label, num, den, goal, first,   k, n, x) {
	n = 0
	for (k = 1; k <= (first ? 1 : reps); k++) {
		d = den == "unit" ? v[k, "null_ns"] : v[k, den]
		if (d && v[k, num] != "") x[++n] = v[k, num] / d
	}
	if (!n) { printf "%-58s %10s\n", label, "none"; bad = 1; return }
	m = med(x, n)
	printf "%-58s %10.2f %8.2f %8.2f %8s\n", label, m, x[1], x[n], goal
}
END {
	printf "%-58s %10s %8s %8s %8s\n", sprintf("kvmmem benchmark (nested lab; median of %d runs)", reps), "ratio", "min", "max", "goal"
	printf "%-58s %10.2f %8s %8s %8s\n", "null hypercall round trip from the guest kernel (unit)", 1, "", "", ""
	row("seed ABI: one map + unmap ioctl per page / unit", "single_ns", "unit", "")
	row("page batch map per page (4096 pages, no window) / unit", "batch_map_ns", "unit", "")
	row("page batch unmap per page / unit", "batch_unmap_ns", "unit", "")
	row("window batch map per page (64 MiB) / unit", "win_map_ns", "unit", "<= 0.25")
	row("... the first time (target huge pages split; run 1) / unit", "win_cold_ns", "unit", "", 1)
	row("window batch unmap per page / unit", "win_unmap_ns", "unit", "")
	row("read bandwidth, window slots / local memory", "win_read", "read_local", ">= 0.9")
	row("read bandwidth, page-mode mappings / local memory", "read_mapped", "read_local", "")
	row(sprintf("window map cost with %d MiB mapped / with 1 MiB mapped", win * 4 / 1024), "win_at_big_ns", "win_at_1m_ns", "<= 1.5")
	row(sprintf("page map cost with %d MiB mapped / with 1 MiB mapped", big * 4 / 1024), "map_at_big_ns", "map_at_1m_ns", "")
	exit bad
}' <<<"$out" || { echo "bench: no figures"; return 1; }
tvm_stop tgt

# --- kvmmem ps on a Linux target with about 500 processes --------------------
PROCS=${KVMMEM_BENCH_PROCS:-480}
unit=$(awk -F= '$1 == "null_ns" { print $2 }' <<<"$out" | sort -g | awk '{ n[NR] = $1 } END { print n[int((NR + 1) / 2)] }')
lt_start lx "$GKVER" 512 || { echo "bench: the Linux target did not boot"; return 1; }
# children forked from one Python process: no exec, little to copy
lt_run lx "python3 -c 'import os, signal
for i in range($PROCS):
    if os.fork() == 0:
        signal.pause()
' </dev/null >/dev/null 2>&1 &" >/dev/null
wait_until 600 "[ \"\$(lt_run lx 'ls -d /proc/[0-9]* 2>/dev/null | wc -l')\" -ge $PROCS ]" ||
	echo "bench: the target has only $(lt_run lx 'ls -d /proc/[0-9]* 2>/dev/null | wc -l') processes"
nproc=$(lt_run lx 'ls -d /proc/[0-9]* 2>/dev/null | wc -l')
grant "$S/lx.tok" "$(lt_pid lx)" "$(intro_pid)" >/dev/null
# ps_run [cold]: kvmmem ps in the introspector; cold: as a grant's first
# command, with nothing kept in /run/kvmmem (it finds the kernel, reads its
# symbols and BTF); prints "ns lines hypercalls"
ps_run() {
	local hc0 r pre=
	[ "${1:-}" = cold ] && pre="rm -rf /run/kvmmem;"
	hc0=$(stat_of hypercalls)
	r=$(intro_run "$pre t0=\$(date +%s%N); n=\$(/mnt/kvmmem --token-file /mnt/lx.tok ps 2>/dev/null | wc -l); echo \$((\$(date +%s%N) - t0)) \$n" 600)
	echo "$r $(($(stat_of hypercalls) - hc0))"
}
ps_runs=
for r in $(seq "$MREPS"); do
	read -r cold_ns cold_lines cold_hc <<<"$(ps_run cold)"
	read -r warm_ns warm_lines warm_hc <<<"$(ps_run)"
	echo "# raw: target processes=$nproc; kvmmem ps: first $cold_ns ns $cold_lines lines $cold_hc hypercalls, later $warm_ns ns $warm_lines lines $warm_hc hypercalls"
	ps_runs+="$cold_ns $cold_hc $warm_ns $warm_hc"$'\n'
done
awk -v u="$unit" -v p="$nproc" "$MED"'
NF == 4 && $1 && $3 { n++; c[n] = $1 / u; ch[n] = $2; w[n] = $3 / u; wh[n] = $4 }
END {
	if (!u || !n) exit 1
	m = med(c, n); printf "%-58s %10.0f %8.0f %8.0f %8s\n", sprintf("kvmmem ps (%d processes), first command / unit", p), m, c[1], c[n], ""
	m = med(ch, n); printf "%-58s %10d %8d %8d %8s\n", "... hypercalls it made", m, ch[1], ch[n], ""
	m = med(w, n); printf "%-58s %10.0f %8.0f %8.0f %8s\n", "kvmmem ps, a later command (kernel found) / unit", m, w[1], w[n], ""
	m = med(wh, n); printf "%-58s %10d %8d %8d %8s\n", "... hypercalls it made", m, wh[1], wh[n], ""
}' <<<"$ps_runs" || { echo "bench: no kvmmem ps figures"; return 1; }
lt_stop lx
}

# --- YARA over 256 MiB: plain yara on DIR/pmem, kvmmem yara ------------------
bench_yara() {
YMIB=${KVMMEM_BENCH_YARA_MIB:-256}
tvm_start yt "$YMIB" || { echo "bench: the YARA target did not start"; return 1; }
TVM_WAIT=300 tvm yt fill 0 $((YMIB << 20)) 5 >/dev/null
grant "$S/y.tok" "$(tvm_pid yt)" "$(intro_pid)" >/dev/null
# a rule that matches nowhere: both scan every byte
printf 'rule absent { strings: $a = "kvmmem-bench: no such string" $b = { 6b 76 6d 6d 00 ?? ff 00 65 6d } condition: any of them }\n' \
	>"$S/bench.yar"
intro_run "modprobe fuse; mkdir -p /tmp/ym; setsid /mnt/kvmmem --token-file /mnt/y.tok mount /tmp/ym --foreground </dev/null >/tmp/ym.log 2>&1 &
for i in \$(seq 300); do [ -e /tmp/ym/pmem ] && break; sleep 0.2; done" 120 >/dev/null
# yara_run CMD: CMD's time in ns, then its exit status and line count
yara_run() {
	intro_run "t0=\$(date +%s%N); o=\$($1 2>&1); rc=\$?; echo \$((\$(date +%s%N) - t0)) \$rc \$(printf '%s' \"\$o\" | grep -c .)" 1200
}
yruns=
for r in $(seq "$MREPS"); do
	read -r plain_ns plain_rc plain_n <<<"$(yara_run "yara /mnt/bench.yar /tmp/ym/pmem")"
	read -r kv_ns kv_rc kv_n <<<"$(yara_run "/mnt/kvmmem --token-file /mnt/y.tok yara /mnt/bench.yar")"
	echo "# raw: YARA run $r: yara on DIR/pmem $plain_ns ns (exit $plain_rc, $plain_n lines), kvmmem yara $kv_ns ns (exit $kv_rc, $kv_n lines)"
	yruns+="$plain_ns $kv_ns"$'\n'
done
bytes=$(intro_run "stat -c %s /tmp/ym/pmem")
intro_run "fusermount3 -u /tmp/ym" >/dev/null
echo "# raw: YARA over $bytes bytes"
awk -v b="$bytes" -v m="$YMIB" "$MED"'
NF == 2 && $1 > 0 && $2 > 0 { n++; p[n] = b / $1 * 1e9 / 1048576; k[n] = b / $2 * 1e9 / 1048576; r[n] = $1 / $2 }
END {
	if (!b || !n) exit 1
	x = med(p, n); printf "%-58s %10.1f %8.1f %8.1f %8s\n", sprintf("yara on kvmmem mount DIR/pmem (%d MiB), MiB/s", m), x, p[1], p[n], ""
	x = med(k, n); printf "%-58s %10.1f %8.1f %8.1f %8s\n", "kvmmem yara (window slots, no copy), MiB/s", x, k[1], k[n], ""
	x = med(r, n); printf "%-58s %10.2f %8.2f %8.2f %8s\n", "... kvmmem yara / yara on DIR/pmem (bytes per second)", x, r[1], r[n], ""
}' <<<"$yruns" || { echo "bench: no YARA figures"; return 1; }
tvm_stop yt
}

# --- the alternatives, on a Linux target with about 500 processes -----------
bench_alt() {
REPS=${KVMMEM_BENCH_REPS:-5}
SWEEPS=${KVMMEM_BENCH_SWEEPS:-5}
AMIB=512
lt_start alt "$GKVER" $AMIB || { echo "bench: the Linux target did not boot"; return 1; }
lt_run alt "python3 -c 'import os, signal
for i in range(${KVMMEM_BENCH_PROCS:-480}):
    if os.fork() == 0:
        signal.pause()
' </dev/null >/dev/null 2>&1 &" >/dev/null
wait_until 600 "[ \"\$(lt_run alt 'ls -d /proc/[0-9]* 2>/dev/null | wc -l')\" -ge ${KVMMEM_BENCH_PROCS:-480} ]"
nproc=$(lt_run alt 'ls -d /proc/[0-9]* 2>/dev/null | wc -l')
# the ping-pong's answerer (tests/alt/pong.c), which needs a read-write grant
lt_run alt "setsid $BIN/alt-pong 3600 </dev/null >/tmp/pong.out 2>&1 &" >/dev/null
wait_until 30 "lt_run alt 'cat /tmp/pong.out' | grep -q '^pong-gpa '"
pong=$(lt_run alt 'cat /tmp/pong.out' | awk '$1 == "pong-gpa" { print $2 }')
[ -n "$pong" ] || { echo "bench: alt-pong did not start: $(lt_run alt 'cat /tmp/pong.out')"; return 1; }
grant "$S/alt.tok" "$(lt_pid alt)" "$(intro_pid)" --rw >/dev/null
cp "$BIN/alt-agent" "$S/"
"$BIN/alt-host" "$LAB/alt.qmp" "$(lt_pid alt)" $((AMIB << 20)) 2>"$LAB/alt-host.log" &
local server=$!
intro_run "modprobe vmw_vsock_virtio_transport" >/dev/null
# the agent in the background, its lines shown as they come
intro_run "setsid /mnt/alt-agent /mnt/alt.tok $REPS $SWEEPS $pong </dev/null >/mnt/alt.out 2>&1 &" >/dev/null
local shown=0 t0=$SECONDS lines
while [ $((SECONDS - t0)) -lt 2400 ]; do
	nap 5
	lines=$(wc -l <"$S/alt.out")
	if [ "$lines" -gt "$shown" ]; then
		sed -n "$((shown + 1)),${lines}p" "$S/alt.out" | sed 's/^/# raw: /'
		shown=$lines
	fi
	grep -q '^alt-done\|^alt-agent:' "$S/alt.out" && break
	kill -0 "$server" 2>/dev/null || { echo "# raw: alt-host has ended"; break; }
done
kill "$server" 2>/dev/null
out=$(cat "$S/alt.out")
if ! grep -q '^alt-done' <<<"$out"; then
	echo "# raw: the agent did not finish; the introspector's kernel log and console:"
	intro_run "dmesg | tail -n 30" 30 | sed 's/^/# intro dmesg: /'
	intro_log
fi
sed 's/^/# alt-host: /' "$LAB/alt-host.log"
grep -q '^alt-agent:' <<<"$out" && { echo "bench: the agent failed"; return 1; }
grep -q '^alt-done' <<<"$out" || { echo "bench: the agent did not finish"; return 1; }
qv=$(qemu-system-x86_64 --version | awk 'NR == 1 { print $4 }')
echo "# the alternatives: kernel $(uname -r), QEMU $qv, $(date -u +%Y-%m-%d); target: $AMIB MiB, $nproc processes"
awk -v reps="$REPS" "$MED"'
$1 == "alt-same" { same[$2] = $3 }
$1 == "alt" { n[$2, $3]++; t[$2, $3, n[$2, $3]] = $4 }
END {
	split("page 16mib scatter sweep ps pingpong", ms, " ")
	split("one 4 KiB read|16 MiB contiguous|512 scattered pages|whole-RAM sweep|process list (walk)|a change seen (ping-pong)", label, "|")
	split("4 KiB read|16 MiB|512 scattered|whole RAM|process list|ping-pong", short, "|")
	split("qmp mem dump", alts, " ")
	split("QMP pmemsave|copy and ship|host dump", aname, "|")
	goal["scatter", "qmp"] = 100; goal["ps", "qmp"] = 100; goal["scatter", "mem"] = 10; goal["sweep", "dump"] = 1
	printf "%-44s %9s %9s %9s %8s %s\n", "alternative time / kvmmem time (median of runs)", "ratio", "min", "max", "goal", ""
	for (i = 1; i <= 6; i++) {
		m = ms[i]
		nk = n[m, "kvmmem"]
		if (!nk) continue
		for (k = 1; k <= nk; k++) kv[k] = t[m, "kvmmem", k]
		kmed = med(kv, nk)
		printf "# kvmmem, %s: median %.0f us (%d runs)\n", label[i], kmed / 1000, nk
		for (j = 1; j <= 3; j++) {
			a = alts[j]
			na = n[m, a]
			if (!na) continue
			# ratios of the same repetition
			for (k = 1; k <= na && k <= nk; k++) r[k] = t[m, a, k] / t[m, "kvmmem", k]
			nr = k - 1
			rm = med(r, nr)
			g = goal[m, a]
			printf "%-44s %9.1f %9.1f %9.1f %8s %s\n", aname[j] ", " label[i], rm, r[1], r[nr],
				g ? ">= " g : "", g ? (rm >= g ? "met" : "missed") : ""
			printf "# plot: %s|%s|%.3f|%.3f|%.3f\n", short[i], aname[j], rm, r[1], r[nr]
		}
	}
	for (a in same) if (same[a] != "yes") printf "# %s did not read the same bytes as kvmmem\n", a
}' <<<"$out" || { echo "bench: no alternatives figures"; return 1; }
grep -q '^alt-same .* no' <<<"$out" && { echo "bench: an alternative read other bytes"; return 1; }
lt_stop alt
}

# A part whose introspector dies (the nested lab's fault: docs/lab.md) runs
# once more in a new one, and says so; any other failure ends the run.
retried=
for p in ${PARTS//,/ }; do
	for try in 1 2; do
		"bench_$p" && continue 2
		intro_died && [ "$try" = 1 ] || exit 1
		echo "# bench: the introspector died during part $p:"
		vm_deaths
		echo "# bench: part $p runs again in a new introspector (the nested lab's fault, docs/lab.md)"
		retried+=" $p"
		part_cleanup
		intro_boot || exit 1
	done
done
echo "# bench: parts run again after an introspector's death:${retried:- none}"
intro_stop
