#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# t-revoke: access ends when the grant ends, and the introspector never sees
# memory it was not granted, on the paths that a review found open:
# an unmap whose RAM cannot be restored, a VMM that closes its VM and
# creates another over the same memory, a window chunk whose range the VMM
# reused, GUP's references on the zero page, a map racing an invalidation
# already under way, a map racing the deletion of its memslot, and a
# read-write window slot read first and then written with an AVX store.
# lab-typical: 50
. "$(dirname "$0")/lib.sh"

M=0x100000		# patterned target region
W=0x300000		# target region that the introspector writes
Z=0x1000000		# target region never touched: reads as the zero page
CH=0x800000		# the tiny introspector's window chunk (2 MiB aligned)
TOK=0x7000		# where the tiny introspector keeps its token
D=0xa000		# its batch descriptor
HCB=0x4b4d4201
HCW=0x4b4d4203
PATTERN=0x723a6d656d6d766b	# "kvmmem:r", the revoked pattern's first word

load_kvm
load_host || { nok "kvmmem_host loads"; exit 1; }
pin0=$(pins)
tvm_start tgt 64
tvm tgt fill $M 0x100000 7 >/dev/null
tvm tgt fill $W 0x10000 9 >/dev/null
tpid=$(tvm_pid tgt)
tvm_start ti 64
ipid=$(tvm_pid ti)
rw=$(grant $LAB/rw.tok $tpid $ipid --rw)
ro=$(grant $LAB/ro.tok $tpid $ipid)
check "grants are made" test -n "$rw" -a -n "$ro"

# --- an unmap whose RAM cannot be restored ---------------------------------
# With vm.max_map_count below what the VMM has, the MAP_FIXED that gives the
# gpa its RAM back fails. The mapping must be harmless before that: no
# target page reachable, nothing pinned, and the error reaches the guest.
tvm_token ti $LAB/rw.tok $TOK
expect "read-write map" "rax=0x1" "$(tvm ti hc 32 $TOK $M 0x400000)"
expect "... shows the target's bytes" "$(tvm tgt gread $M)" "$(tvm ti gread 0x400000)"
expect "an unmap that cannot restore RAM (vm.max_map_count) answers -ENOMEM" \
	"$(neg 12)" "$(tvm ti maplimit 33 0x400000 1)"
expect "... the page reads as the revoked pattern, not the target" \
	"val=$PATTERN" "$(tvm ti gread 0x400000)"
expect "... the target page is no longer pinned (our count)" 0 "$(stat_of pinned_pages)"
# /proc/vmstat folds each CPU's pin counts in within vm.stat_interval (1 s)
wait_until 3 '[ "$(pins)" = "$pin0" ]'
expect "... nor by the kernel's count" "$pin0" "$(pins)"
expect "... the mapping is still known (a later unmap can finish it)" 1 "$(stat_of live_maps)"
before=$(tvm tgt gread $M)
tvm ti gwrite 0x400000 0x5555 >/dev/null
expect "... a write there does not reach the target" "$before" "$(tvm tgt gread $M)"
expect "the next unmap restores RAM" "rax=0x0" "$(tvm ti hc 33 0x400000 0 0)"
expect "... the gpa is the introspector's own memory again" "val=0x0" "$(tvm ti gread 0x400000)"
expect "... and nothing is mapped" 0 "$(stat_of live_maps)"

# --- a window chunk whose range the VMM has reused --------------------------
expect "the tiny introspector registers a window chunk" "rax=0x0" "$(tvm ti hc $HCW $CH 512 0)"
expect "its VMM maps memory of its own over the chunk" ok "$(tvm ti replace $CH 0x200000 3)"
vsum=$(tvm ti sum $CH 0x200000)
expect "unregistering the chunk" "rax=0x0" "$(tvm ti hc $HCW $CH 0 0)"
expect "... leaves the VMM's own memory there untouched" "$vsum" "$(tvm ti sum $CH 0x200000)"
expect "... and no chunk is left" 0 "$(stat_of window_chunks)"

# --- GUP's references on the zero page ---------------------------------------
# A run of never-touched target pages whose last page is PROT_NONE: GUP takes
# the zero page for the first 15, then stops. Each try must give those
# references back.
expect "the target makes the last page of a run PROT_NONE" ok "$(tvm tgt protect $((Z + 15 * 4096)) 4096 0)"
expect "a window chunk again" "rax=0x0" "$(tvm ti hc $HCW $CH 512 0)"
tvm_token ti $LAB/ro.tok $D
tvm ti poke $((D + 32)) $(((1 << 32) | 3)) >/dev/null	# op MAP_RUN, count 1
tvm ti poke $((D + 40)) 0 >/dev/null
tvm ti poke $((D + 48)) 0 >/dev/null
tvm ti poke $((D + 56)) $Z >/dev/null
tvm ti poke $((D + 64)) $((CH | 15)) >/dev/null		# 16 pages
z0=$(stat_of zero_page_refs)
bad=0
for i in $(seq 64); do
	[ "$(tvm ti hc $HCB $D 0 0)" = "rax=0x0" ] || bad=$((bad + 1))
done
z1=$(stat_of zero_page_refs)
expect "64 maps of the run are refused (nothing done)" 0 "$bad"
expect "... with -ENXIO" "val=0xfffffffa00000000" "$(tvm ti gread $((D + 40)))"
diag "zero page references: $z0 before, $z1 after (each try took 15)"
check "... and the zero page's references are given back (moved by $((z1 - z0)))" \
	test $((z1 - z0)) -lt 16 -a $((z0 - z1)) -lt 16
expect "unregister the chunk" "rax=0x0" "$(tvm ti hc $HCW $CH 0 0)"

# --- a map that races an invalidation already under way ----------------------
# kvmmem_stall (tests/kmod) holds the target's MADV_DONTNEED of page X for
# 3 s after the interval notifiers were called and before the PTEs go: a
# map made then must wait for it to end, not take the page it removes.
STALL=$TOP/build/kmod/$KVER/kvmmem_stall.ko
stalls() { cat /sys/module/kvmmem_stall/parameters/stalls 2>/dev/null; }
X=0x2000000		# in 4K pages: no huge page to split on the way
tvm_token ti $LAB/rw.tok $TOK
expect "the target's RAM at X is not to use huge pages" ok "$(tvm tgt advise $X 0x200000 15)"
tvm tgt poke $X 0xaaaa >/dev/null
expect "... X is a 4K page" 0 "$(tvm tgt page $X | sed -n 's/.*thp=//p')"
thva=$(tvm tgt ram | sed 's/hva=\(0x[0-9a-f]*\).*/\1/')
check "the stall module loads (mode inval)" insmod "$STALL" pid="$tpid" hva=$((thva + X)) ms=3000
( tvm tgt discard $X >"$LAB/discard.out" ) &
dpid=$!
wait_until 10 '[ "$(stalls)" = 1 ]'
expect "the target's MADV_DONTNEED of the page is under way, held" 1 "$(stalls)"
map=$(tvm ti hc 32 $TOK $X 0x430000)
wait $dpid
expect "a map made meanwhile (read-write)" "rax=0x1" "$map"
expect "... the MADV_DONTNEED completes" ok "$(cat "$LAB/discard.out")"
tvm tgt poke $X 0xbbbb >/dev/null
expect "... the mapping shows the target's page after it, not the page it removed" \
	"val=0xbbbb" "$(tvm ti gread 0x430000)"
expect "... unmap" "rax=0x0" "$(tvm ti hc 33 0x430000 0 0)"
check "the stall module unloads" rmmod kvmmem_stall

# --- a map that races the deletion of its memslot ---------------------------
# kvmmem_stall holds the second target's mmap_lock for 5 s, so the map waits
# for it (for its notifier or GUP) after it looked the memslot up; meanwhile
# the VMM deletes the
# memslot, then writes the memory that is no longer guest RAM. No mapping
# of it must reach the introspector.
Y=0x100000
TOK2=0x7100
tvm_start tu 64
upid=$(tvm_pid tu)
tvm tu fill $Y 0x1000 5 >/dev/null
ru=$(grant $LAB/tu.tok $upid $ipid)
tvm_token ti $LAB/tu.tok $TOK2
expect "no mapping exists before the race" 0 "$(stat_of live_maps)"
insmod "$STALL" pid="$upid" mode=mmaplock ms=5000 &
spid=$!
wait_until 10 '[ "$(stalls)" = 1 ]'
expect "the second target's mmap_lock is held" 1 "$(stalls)"
( tvm ti hc 32 $TOK2 $Y 0x440000 >"$LAB/racemap.out" ) &
mpid=$!
wait_until 4 'grep -qs kvmmem_remap_map /proc/$ipid/task/*/stack'
check "... the map waits for it" grep -qs kvmmem_remap_map /proc/$ipid/task/*/stack
expect "the target's VMM deletes the memslot meanwhile" ok "$(tvm tu unplug)"
wait $mpid
wait $spid
expect "... the map fails: the gfn no longer names that memory (-ENXIO)" \
	"$(neg 6)" "$(cat "$LAB/racemap.out")"
tvm tu poke $Y 0x7777 >/dev/null
expect "... the introspector's gpa is its own memory, not the VMM's" "val=0x0" \
	"$(tvm ti gread 0x440000)"
expect "... and nothing is mapped" 0 "$(stat_of live_maps)"
check "the stall module unloads" rmmod kvmmem_stall
"$BIN/kvmmem-host" revoke "$ru" >/dev/null
tvm_stop tu

# --- the VMM closes its VM and creates another over the same memory ---------
tvm_token ti $LAB/ro.tok $TOK
expect "map a target page" "rax=0x0" "$(tvm ti hc 32 $TOK $M 0x410000)"
expect "... the introspector reads it" "$(tvm tgt gread $M)" "$(tvm ti gread 0x410000)"
ended0=$(stat_of grants_ended)
rel0=$(stat_of vm_releases)
expect "the introspector's VMM closes its VM and creates a new one" ok "$(tvm ti newvm)"
expect "... the release probe fired once" $((rel0 + 1)) "$(stat_of vm_releases)"
expect "... the new VM reads its own memory there, not the target" "val=0x0" \
	"$(tvm ti gread 0x410000)"
expect "... both grants of the old VM have ended" $((ended0 + 2)) "$(stat_of grants_ended)"
expect "... no grant is left" "$(stat_of grants)" "$(stat_of grants_ended)"
expect "... and nothing of it is mapped or held" "0 0" "$(stat_of live_maps) $(stat_of held_pages)"
expect "the new VM holds no grant: -KVM_ENOSYS" "rax=0xfffffffffffffc18" \
	"$(tvm ti hc 32 $TOK $M 0x400000)"
tvm_stop ti

# --- a read-write window slot read first, then written with an AVX store ----
# A read fault must already give a writable PTE: KVM never upgrades a
# present read-only PFNMAP PTE, so the store would go to its instruction
# emulator, which cannot decode VEX (the process would get SIGILL).
if INTRO_CPU=max intro_start 512; then
	S=$INTRO_SHARE
	intro_run "modprobe kvmmem_guest" >/dev/null
	cp "$BIN/probe" "$S/"
	ipid=$(intro_pid)
	gid=$(grant "$S/w.tok" "$tpid" "$ipid" --rw)
	old=$(tvm tgt gread $((W + 3 * 4096)))
	old=$(printf '%016x' "${old#val=}")
	out=$(intro_run "/mnt/probe window /mnt/w.tok $W 512 avx 3 0x1111222233334444" 120)
	grep -qa '^read' <<<"$out" ||
		diag "probe: $out; $(grep -E 'hold_retries|thp_' /sys/kernel/debug/kvmmem/stats | tr '\n' ' ')"
	expect "a slot read, then an AVX store through it, then read back" \
		"read $old avx wrote 1111222233334444 1111222233334445 1111222233334446 1111222233334447" \
		"$(grep -a '^read\|avx:' <<<"$out")"
	expect "... the target sees the stored bytes" "val=0x1111222233334446" \
		"$(tvm tgt gread $((W + 3 * 4096 + 16)))"
	check "... and the introspector VM still runs" intro_run true
	"$BIN/kvmmem-host" revoke "$gid" >/dev/null
	intro_stop
else
	nok "the introspector (-cpu max) boots"
fi

tvm_stop tgt
end_checks "$pin0"
