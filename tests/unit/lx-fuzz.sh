#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Linux layer's parsers fuzzed over mutated images, without the lab:
# build/bin/lx_fuzz (tests/unit/lx_fuzz.c, built with ASan and UBSan) on
# the seeds in tests/data, small ELF cores of lab captures. First, the
# seeds still give the answers they gave when they were made (a regression
# check of the layer, and a check that the seeds still hold every page the
# walks read). Prints TAP lines.
#
# usage: lx-fuzz.sh [LX_FUZZ [KVMMEM]]
# KVMMEM_FUZZ_SECONDS: the budget of each seed (25 s; 15 s on a slow
# machine), so that the whole test stays under 80 s.
#
# The seeds are made from a lab capture (a 256 MiB raw image) with
#   lx_fuzz seed ram.raw linux-6.12.elf &&
#   lx_fuzz answers linux-6.12.elf > tests/data/linux-6.12.answers &&
#   zstd -19 linux-6.12.elf -o tests/data/linux-6.12.elf.zst
# and must be made again when a walk starts to read memory that they do
# not hold (the answers check below then fails).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/tap.sh"
# absolute: the fuzzer runs in a directory of its own
F=$(realpath -m "${1:-$top/build/bin/lx_fuzz}")
K=$(realpath -m "${2:-$top/build/bin/kvmmem}")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if [ ! -x "$F" ]; then
	nok "lx_fuzz is built ($F)"
	exit 0
fi
if ! command -v zstd >/dev/null; then
	skip "lx_fuzz" "zstd is not installed"
	exit 0
fi

# system_map SEED: a kernel whose VMCOREINFO names no kallsyms tables (the
# seed with SYMBOL(kallsyms_...) renamed) is refused, and understood with a
# System.map (made from the seed's own symbols, moved back by its KASLR
# offset, as the kernel build writes it)
system_map() {
	local s=$1 e=$T/$1.elf n=$T/$1-noksyms.elf m=$T/$1.map want got
	"$K" --image "$e" kallsyms >"$T/$s.kallsyms" 2>/dev/null &&
	python3 - "$T/$s.kallsyms" "$("$K" --image "$e" vmcoreinfo | sed -n 's/^KERNELOFFSET=//p')" \
		>"$m" <<-'PY'
	import sys
	off = int(sys.argv[2], 16)
	for line in open(sys.argv[1]):
	    a, t, name = line.split()
	    a = int(a, 16)
	    print("%016x %s %s" % (a - off if a >= 0xffffffff80000000 else a, t, name))
	PY
	perl -pe 's/SYMBOL\(kallsyms_/SYMBOL(xallsyms_/g' "$e" >"$n"
	got=$("$K" --image "$n" uname 2>&1)
	if grep -q 'give --system-map' <<<"$got"; then
		ok "$s without kallsyms in its VMCOREINFO: kvmmem refuses, and names --system-map"
	else
		nok "$s without kallsyms in its VMCOREINFO: refused (got: $got)"
	fi
	want=$("$K" --image "$e" ps 2>&1)
	got=$("$K" --image "$n" --system-map "$m" ps 2>&1)
	if [ -s "$m" ] && [ "$got" = "$want" ]; then
		ok "... with a System.map (--system-map), the same ps as with kallsyms"
	else
		nok "... with a System.map, the same ps"
		diff <(echo "$want") <(echo "$got") | head -n 5 | diag
	fi
}

# seed file, release, 6.1 or 6.12
seeds=(linux-6.12 linux-6.1)
declare -A release=([linux-6.12]=6.12.118+deb12-amd64 [linux-6.1]=6.1.0-57-amd64)
slow=0
for s in "${seeds[@]}"; do
	if ! zstd -q -d "$top/tests/data/$s.elf.zst" -o "$T/$s.elf"; then
		nok "lx_fuzz: $s.elf.zst decompresses"
		continue
	fi
	t0=$SECONDS
	if "$F" answers "$T/$s.elf" >"$T/$s.answers" 2>"$T/$s.err" &&
	   cmp -s "$T/$s.answers" "$top/tests/data/$s.answers"; then
		ok "lx_fuzz: the $s seed answers as when it was made (uname, ps, lsmod, dmesg, maps)"
	else
		nok "lx_fuzz: the $s seed answers as when it was made"
		diff "$top/tests/data/$s.answers" "$T/$s.answers" | head -n 20 | diag
		diag <"$T/$s.err"
	fi
	[ $((SECONDS - t0)) -gt 8 ] && slow=1
	if [ -x "$K" ]; then
		got=$("$K" --image "$T/$s.elf" uname 2>&1)
		if [ "$got" = "${release[$s]}" ]; then
			ok "kvmmem --image $s.elf uname: $got"
		else
			nok "kvmmem --image $s.elf uname: want ${release[$s]}, got: $got"
		fi
		system_map "$s"
	fi
done

secs=${KVMMEM_FUZZ_SECONDS:-$([ $slow = 1 ] && echo 15 || echo 25)}
diag "lx_fuzz: $secs s a seed"
for s in "${seeds[@]}"; do
	[ -f "$T/$s.elf" ] || continue
	# a sanitizer report, a hang or an RSS over the bound prints "not ok"
	# with the iteration to replay; a crash without one is caught here
	out=$(cd "$T" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1 "$F" run "$s.elf" "$secs" 2>&1)
	rc=$?
	grep -E '^(ok|not ok|#)' <<<"$out"
	if [ $rc != 0 ]; then
		grep -qE '^not ok' <<<"$out" || nok "lx_fuzz run $s.elf: exit status $rc"
		grep -vE '^(ok|not ok|#)' <<<"$out" | tail -n 40 | diag
	fi
done
