#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# t-backing: the memory backings production VMs use, in one Debian target
# (QEMU, KASLR on) whose RAM comes from five of them: its boot RAM is
# anonymous memory in transparent huge pages, and four DIMMs are a memfd
# shared and private (memory-backend-memfd share=on/off) and hugetlbfs
# shared and private (memory-backend-file on /dev/hugepages, 2 MiB pages).
# The target boots with the DIMMs offline and onlines one at a time as
# movable memory, where the kernel puts user pages first: so a process
# started then has its pages on that backing. Under a read-write grant,
# from a Linux introspector:
#   - exact bytes: kvmmem uname walks the target kernel's memory (boot RAM)
#     and must give the target's own uname -r;
#   - coherence both ways, on each backing: alt-pong in the target copies
#     a word that the introspector writes through a window slot into the
#     next word, which the introspector then reads there;
#   - a backing kvmmem cannot map (hugetlbfs) is refused with its own
#     documented error (EMEDIUMTYPE), and kvmmem says why;
#   - teardown: the grant's end, then the target's, gives back every pin
#     (end_checks) and every huge page (HugePages_Free).
# Anonymous memory in 4 KiB pages is every other lab test's target.
# lab-typical: 70
# lab-memory: 3G
. "$(dirname "$0")/lib.sh"

K=/mnt/kvmmem
THP=/sys/kernel/mm/transparent_hugepage/enabled
DIMM=128	# MiB: a whole memory block of the target's, as hotplug needs

load_kvm
load_host || { nok "kvmmem_host loads"; exit 1; }
pin0=$(pins)
thp0=$(sed 's/.*\[\(.*\)\].*/\1/' "$THP")
mkdir -p /dev/hugepages
mountpoint -q /dev/hugepages || mount -t hugetlbfs hugetlbfs /dev/hugepages
echo $((2 * DIMM / 2)) >/proc/sys/vm/nr_hugepages	# two DIMMs of 2 MiB pages
huge_free() { awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo; }
free0=$(huge_free)
diag "huge pages: $(awk '/^HugePages_(Total|Free)|^Hugepagesize/ { printf "%s %s ", $1, $2 }' /proc/meminfo)"

# the backings: NAME, the DIMM's backend (none: the boot RAM), kvmmem's answer
names=("anonymous, THP" "memfd shared" "memfd private" "hugetlbfs shared" "hugetlbfs private")
backends=("" "memfd,share=on" "memfd,share=off" "file,mem-path=/dev/hugepages,share=on" "file,mem-path=/dev/hugepages,share=off")
answers=(ok ok ok refused refused)
args="-m 256M,slots=4,maxmem=$((256 + 4 * DIMM))M"
for n in 1 2 3 4; do
	args+=" -object memory-backend-${backends[n]},id=m$n,size=${DIMM}M -device pc-dimm,id=d$n,memdev=m$n"
done

echo always >"$THP"
if ! LT_QEMU_ARGS=$args LT_APPEND=memhp_default_state=offline lt_start tgt "$GKVER" 256; then
	nok "the target boots with its memory on five backings"
	echo "$thp0" >"$THP"
	exit 1
fi
echo "$thp0" >"$THP"
# each DIMM's first byte, from QEMU; the target's memory blocks
lt_monitor tgt "info memory-devices" >"$LAB/dimms"
mapfile -t base <<<"$(tr -d '\r' <"$LAB/dimms" | awk '/^ *addr:/ { print $2 }')"
bsize=$(lt_run tgt "cat /sys/devices/system/memory/block_size_bytes")
diag "the DIMMs at ${base[*]}; the target's memory blocks: 0x$bsize bytes"
if [ ${#base[@]} != 4 ] || [ -z "$bsize" ]; then
	nok "QEMU places the four DIMMs: $(tr '\n' ' ' <"$LAB/dimms")"
	exit 1
fi
# blocks N STATE: put DIMM N's memory blocks in STATE (online_movable, offline)
blocks() {
	local b=$((${base[$1 - 1]} / 0x$bsize)) e=$(((${base[$1 - 1]} + (DIMM << 20)) / 0x$bsize))
	lt_run tgt "for b in \$(seq $b $((e - 1))); do echo $2 >/sys/devices/system/memory/memory\$b/state || exit 1; done"
}
diag "the target VMM: $(awk '/^(Rss|AnonHugePages|Shared_Hugetlb|Private_Hugetlb):/ { printf "%s %s ", $1, $2 }' "/proc/$(lt_pid tgt)/smaps_rollup")"
if ! intro_start 512; then
	nok "the introspector boots"
	exit 1
fi
intro_run "modprobe kvmmem_guest" >/dev/null
cp "$BIN/kvmmem" "$INTRO_SHARE/"
gid=$(grant "$INTRO_SHARE/t.tok" "$(lt_pid tgt)" "$(intro_pid)" --rw)
expect "anonymous, THP: kvmmem uname is the target's own (exact bytes across its kernel)" \
	"$(lt_run tgt 'uname -r')" "$(intro_run "$K --token-file /mnt/t.tok uname 2>&1" 120)"
cp "$BIN/probe" "$INTRO_SHARE/"

checked=0
for n in 0 1 2 3 4; do
	name=${names[n]}
	checked=$((checked + 1))
	if [ $n -gt 0 ] && ! blocks $n online_movable; then
		nok "$name: the target onlines the DIMM"
		continue
	fi
	out=$(lt_run tgt "($TOP/build/bin/alt-pong 60 >/tmp/pong.out 2>&1 &); for i in \$(seq 50); do [ -s /tmp/pong.out ] && break; sleep 0.1; done; cat /tmp/pong.out")
	gpa=$(awk '/^pong-gpa/ { print $2 }' <<<"$out")
	if [ $n = 0 ]; then
		where=$([ -n "$gpa" ] && [ $((gpa)) -lt $((256 << 20)) ] && echo yes)
	else
		where=$([ -n "$gpa" ] && [ $((gpa - ${base[n - 1]})) -ge 0 ] &&
			[ $((gpa - ${base[n - 1]})) -lt $((DIMM << 20)) ] && echo yes)
	fi
	if [ -z "$where" ]; then
		nok "$name: alt-pong's page is on that backing: $out"
		lt_run tgt "pkill -x alt-pong" >/dev/null
		[ $n -gt 0 ] && blocks $n offline >/dev/null
		continue
	fi
	diag "$name: the page at gpa $gpa"
	if [ "${answers[n]}" = refused ]; then
		out=$(intro_run "$K --token-file /mnt/t.tok read $gpa 16 2>&1; echo rc=\$?" 60)
		expect "$name: refused with its own error (EMEDIUMTYPE: kvmmem says why, exit 5)" \
			"yes rc=5" "$(grep -q "hugetlbfs, which kvmmem cannot map" <<<"$out" && echo yes) $(tail -n 1 <<<"$out")"
		lt_run tgt "pkill -x alt-pong" >/dev/null
	else
		# through a window slot: write the ping, wait for the pong
		ping=$(printf '%04x%04x%04x%04x' $RANDOM $RANDOM $RANDOM $RANDOM)
		expect "$name: the target copies what the introspector writes, and the introspector reads it back" \
			"pong $ping" "$(intro_run "/mnt/probe window /mnt/t.tok $gpa 1 pingpong 0x$ping" 60 | grep "^pong\\|^map: E\\|^window")"
	fi
	lt_run tgt "for i in \$(seq 50); do pgrep -x alt-pong >/dev/null || break; sleep 0.1; done" >/dev/null
	[ $n -gt 0 ] && { blocks $n offline >/dev/null || diag "$name: the DIMM stays online"; }
done
expect "every backing was tried" 5 "$checked"

"$BIN/kvmmem-host" revoke "$gid" >/dev/null
wait_until 10 '[ "$(stat_of live_maps)" = 0 ]'
lt_stop tgt
wait_until 10 '[ "$(huge_free)" = "$free0" ]'
expect "after the grant and the target end, every huge page is free again" \
	"$free0" "$(huge_free)"
intro_stop
echo 0 >/proc/sys/vm/nr_hugepages
end_checks "$pin0"
