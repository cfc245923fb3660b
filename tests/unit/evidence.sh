#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kvmmem dump --format raw|lime|elf, without the lab: the seeds in
# tests/data (small ELF cores of lab captures of a 6.1 and a 6.12 target)
# converted with --image, then read by Debian's own tools. drgn and crash
# open the ELF vmcore with no debug info; makedumpfile needs the kernel's
# page tables, which the seeds lack, so the lab's t-linux runs it on a whole
# live image. evidence.sh [KVMMEM]
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/tap.sh"
K=$(realpath -m "${1:-$top/build/bin/kvmmem}")
E="/usr/bin/python3 $top/tests/lab/evidence.py"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if ! command -v zstd >/dev/null; then
	skip "evidence images" "zstd is not installed"
	exit 0
fi
for s in linux-6.1 linux-6.12; do
	zstd -dqc "$top/tests/data/$s.elf.zst" >"$T/$s.src"
	rel=$(awk -F'|' '/^uname / { print $3 }' "$top/tests/data/$s.answers")
	for f in raw lime elf; do
		out=$("$K" --image "$T/$s.src" dump --format $f "$T/$s.$f" 2>"$T/err")
		rc=$?
		if [ $rc != 0 ]; then
			nok "$s: dump --format $f (exit $rc): $(head -c 300 "$T/err")"
			continue
		fi
		check "$s: dump --format $f prints the image's SHA-256, as sha256sum does" \
			test "$out" = "$(sha256sum "$T/$s.$f")"
		expect "$s: ... and its record (.json) has it, with the size" \
			"$(sha256sum <"$T/$s.$f" | cut -d' ' -f1) $(stat -c %s "$T/$s.$f")" \
			"$($E record "$T/$s.$f.json")"
	done
	ranges=$(/usr/bin/python3 -c 'import json, sys
print(" ".join("%x %x" % tuple(r) for r in json.load(open(sys.argv[1]))["ranges"]))' "$T/$s.raw.json")
	n=$(wc -w <<<"$ranges")
	expect "$s: the record lists the image's ranges (its PT_LOADs)" \
		"$(readelf -lW "$T/$s.src" | grep -c ' LOAD ')" "$((n / 2))"
	last=$(awk '{ print $NF }' <<<"$ranges")
	expect "$s: raw: the file ends where the last range ends" "$((16#$last))" "$(stat -c %s "$T/$s.raw")"
	check "$s: raw: holes are sparse (fewer blocks than bytes)" \
		test $(($(stat -c %b "$T/$s.raw") * 512)) -lt $((16#$last / 4))
	expect "$s: LiME: a 32-byte header per range (magic, version 1, inclusive end) and the raw image's bytes" \
		"ok $((n / 2)) ranges" "$($E lime "$T/$s.lime" "$T/$s.raw" "$ranges")"
	# the ELF vmcore's shape: what makedumpfile, crash and drgn need
	hdr=$(readelf -hW "$T/$s.elf")
	check "$s: elf: a 64-bit x86-64 core, program headers right after the ELF header" \
		grep -qE 'Start of program headers: +64 ' <<<"$hdr"
	ph=$(readelf -lW "$T/$s.elf" | awk '$1 == "NOTE" || $1 == "LOAD"')
	expect "$s: elf: the PT_NOTE first" "NOTE" "$(head -n 1 <<<"$ph" | awk '{ print $1 }')"
	check "$s: elf: a VMCOREINFO note" grep -q VMCOREINFO <<<"$(readelf -nW "$T/$s.elf")"
	expect "$s: elf: p_align 0 everywhere (crash takes it for a kdump core)" "" \
		"$(awk '$NF != "0"' <<<"$ph")"
	stext=$("$K" --image "$T/$s.src" kallsyms 2>/dev/null | awk '$3 == "_stext" { print $1 }')
	pb=$("$K" --image "$T/$s.src" vmcoreinfo 2>/dev/null | sed -n 's/^NUMBER(phys_base)=//p')
	# kernel image: virtual _stext.._end, physical = virtual - __START_KERNEL_map + phys_base
	expect "$s: elf: the kernel image's PT_LOADs map its virtual addresses to their physical ones" "ok" \
		"$(awk '$1 == "LOAD" { print $3, $4 }' <<<"$ph" | /usr/bin/python3 -c '
import sys
stext, pb = int(sys.argv[1], 16), int(sys.argv[2])
k = [(int(v, 16), int(p, 16)) for v, p in (l.split() for l in sys.stdin) if int(v, 16) >= 0xffffffff80000000]
bad = [v for v, p in k if v < stext or (v - 0xffffffff80000000 + pb) % 2**64 != p]
print("ok" if k and not bad else "%d kernel loads, wrong: %s" % (len(k), [hex(v) for v in bad[:3]]))
' "$stext" "$pb")"
	check "$s: elf: RAM at page_offset_base + gpa (virtual != physical)" \
		test "$(awk '$1 == "LOAD" && $3 !~ /^0xffffffff[89a-f]/ { print ($3 != $4) }' <<<"$ph" | sort -u)" = 1
	expect "$s: crash --osrelease names the release" "$rel" \
		"$(crash --osrelease "$T/$s.elf" 2>&1)"
	expect "$s: drgn reads init_uts_ns's release at its virtual and physical address" \
		"$rel $rel" "$($E drgn "$T/$s.elf" 2>&1 | tail -n 1)"
	rm -f "$T/$s".*
done
out=$("$K" --image /dev/null dump --format tar "$T/x" 2>&1)
expect "an unknown format: exit status 2" "2" "$?"
out=$("$K" --image "$T/none" dump --format raw "$T/x" 2>&1)
expect "a missing image: exit status 1, named" "1 yes" "$? $(grep -q "$T/none" <<<"$out" && echo yes)"
