#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make flake-stats [N=5] [TESTS="t-core t-window"] [KVER=6.1|6.12]: runs the
# chosen lab tests N times each on one kernel, without retries, and counts
# the runs that failed, per test and per signature: what the run's end
# looked like (the lab host timed out, triple-faulted or stopped early; an
# introspector or a tiny VM died; or the first test line that failed). The
# lab's variants (scripts/lab/run.sh: KVMMEM_LAB_SMP, KVMMEM_LAB_TCG_THREAD,
# KVMMEM_LAB_CPU, KVMMEM_LAB_APPEND) are passed on, so that each can be
# measured on its own. Size N so that a run fits in an hour: a run of a
# test takes about its "# lab-typical:" seconds.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/kernels.sh
n=${N:-5}
tests=${TESTS:-t-core t-window}
case ${KVER:-6.1} in
6.1) k=$(kver_61) ;;
6.12) k=$(kver_612) ;;
*) k=$KVER ;;
esac
[ -n "$k" ] || { echo "flake-stats: no such kernel installed" >&2; exit 2; }
tests/run.sh dkms >/dev/null
make -s -C tests >/dev/null && make -s tools >/dev/null || exit 2
tests/kmod/build.sh "$k" >/dev/null 2>&1
. tests/lab/limit.sh

# signature LOGDIR RC OUTPUT: one line that names how a failed run ended
signature() {
	local d=$1 rc=$2 out=$3
	if [ "$rc" = 124 ] && grep -q "timer wakeup didn't happen" "$d/console.log" 2>/dev/null; then
		echo "lab host: timed out, its timers stopped (RCU: timer wakeup didn't happen)"
	elif [ "$rc" = 124 ]; then
		echo "lab host: timed out"
	elif grep -q 'Triple fault' "$d/qemu-debug.log" 2>/dev/null; then
		echo "lab host: triple fault"
	elif [ "$rc" = 125 ]; then
		echo "lab host: ended before the test"
	elif grep -q 'shutdown exit (a triple fault)' <<<"$out"; then
		echo "introspector: triple fault ($(grep -o 'rip 0x[0-9a-f]*' <<<"$out" | head -n 1))"
	elif grep -q 'introspector did not come up' <<<"$out"; then
		echo "introspector: did not boot in time"
	elif grep -q 'VMM has exited\|introspector died' <<<"$out"; then
		echo "a VM's QEMU exited"
	elif grep -qE 'Oops|BUG:|WARNING:|KASAN' "$d/console.log" 2>/dev/null; then
		echo "lab host: $(grep -oE '(Oops|BUG:|WARNING:|KASAN)[^]]{0,60}' "$d/console.log" | head -n 1)"
	else
		# a "not ok" may follow a console line that had no line end
		echo "test: $(grep -m 1 -o 'not ok.*' <<<"$out" | sed 's/^not ok [0-9]* *- *//' | cut -c1-70)"
	fi
}

variant="smp=${KVMMEM_LAB_SMP:-2} tcg=${KVMMEM_LAB_TCG_THREAD:-multi} cpu=${KVMMEM_LAB_CPU:-max,la57=off} append=${KVMMEM_LAB_APPEND:-}"
# each variant's runs keep their own logs, in a directory named by the
# variant's checksum: QEMU's option syntax takes no '=' or ',' in a path,
# and a unix socket's path (the lab's QMP socket there) fits in 107 bytes
tag=v$(cksum <<<"$variant" | cut -d' ' -f1)
echo "# flake-stats: $n runs of: $tests; kernel $k; $variant"
declare -A runs fails sigs
start=$SECONDS
for i in $(seq "$n"); do
	for t in $tests; do
		[ -f "tests/lab/$t.sh" ] || { echo "flake-stats: no test $t" >&2; exit 2; }
		tmo=$(lab_limit "$t")
		mem=$(lab_header "$t" memory)
		t0=$SECONDS
		out=$(scripts/lab/run.sh -n "flake-$tag-$t-$i" -t "$tmo" -m "${mem:-2G}" "$k" "$top/tests/lab/$t.sh" 2>&1)
		rc=$?
		runs[$t]=$((${runs[$t]:-0} + 1))
		if [ $rc = 0 ] && ! grep -q '^not ok' <<<"$out"; then
			echo "# $t run $i: passed in $((SECONDS - t0)) s"
			continue
		fi
		s=$(signature "build/lab/$k/logs/flake-$tag-$t-$i" "$rc" "$out")
		fails[$t]=$((${fails[$t]:-0} + 1))
		sigs["$t|$s"]=$((${sigs["$t|$s"]:-0} + 1))
		echo "# $t run $i: FAILED in $((SECONDS - t0)) s: $s (logs: build/lab/$k/logs/flake-$tag-$t-$i)"
	done
done
echo "# $variant; $((SECONDS - start)) s"
printf '%-14s %5s %6s\n' test runs failed
for t in $tests; do
	printf '%-14s %5d %6d\n' "$t" "${runs[$t]:-0}" "${fails[$t]:-0}"
done
for key in "${!sigs[@]}"; do
	printf '%4d  %s: %s\n' "${sigs[$key]}" "${key%%|*}" "${key#*|}"
done | sort -rn
