#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# t-window: window mode. A Linux introspector maps 1 GiB of a target at
# once through one window (mmap of /dev/kvmmem) and reads its exact bytes;
# the host needs one mapping per 2 MiB chunk and at most 128 bytes per
# mapped page. The refusals, coherence with the target's writes, a write
# through a read-write grant, revocation while mapped, unmap, the process's
# exit and kill -9 of the introspector's VMM, each with exact counters.
# lab-memory: 6G
# lab-typical: 160
. "$(dirname "$0")/lib.sh"

MIB=1024
NP=$((MIB * 256))
CHUNKS=$((MIB / 2))
K=5			# the slot the coherence checks watch
SEED=13

vmas() { wc -l < "/proc/$1/maps"; }
le64() { tvm tw peek "$1" 8 | sed 's/\(..\)/\1 /g' | awk '{ for (i = NF; i; i--) printf "%s", $i }'; }

load_kvm
load_host || { nok "kvmmem_host loads"; exit 1; }
echo 1 > /sys/module/kvmmem_host/parameters/stack_watch
pin0=$(pins)
tvm_start tw $((MIB + 16)) || { nok "the target starts"; exit 1; }
t0=$SECONDS
TVM_WAIT=600 tvm tw fill 0 $((MIB << 20)) $SEED >/dev/null
tsum=$(TVM_WAIT=600 tvm tw wsum 0 $((MIB << 20)))
diag "target: $MIB MiB filled and summed in $((SECONDS - t0)) s ($tsum)"
tpid=$(tvm_pid tw)

if ! intro_start 1536; then
	nok "introspector VM boots"
	tvm_stop tw
	exit 1
fi
S=$INTRO_SHARE
P="/mnt/probe window"
intro_run "modprobe kvmmem_guest" >/dev/null
cp "$BIN/probe" "$S/"
ipid=$(intro_pid)
gid=$(grant "$S/w.tok" "$tpid" "$ipid" --quota $NP)

# the refusals, and what an empty or read-only slot does
out=$(intro_run "$P /mnt/w.tok 0 1024 errors" 120)
want="map: OK done=2
second: EBUSY
mixed: EINVAL done=1
twice: EEXIST
empty unmap: ENOENT
single: OK $(tvm tw peek 0x2000 8)
read-only write: SIGBUS
empty read: pattern
empty write: SIGBUS
across chunks: OK $(tvm tw peek 0x4000 8)
single unmap: OK
after unmap: pattern
unaligned: EINVAL"
expect "window refusals and slot rights (second window, mixed batch, taken and empty slots, read-only and empty writes, runs across chunks)" \
	"$want" "$out"
wait_until 10 '[ "$(stat_of window_chunks)" = 0 ]'
expect "... closing the device gives both chunks back, nothing stays mapped" "0 0 0" \
	"$(stat_of window_chunks) $(stat_of live_maps) $(stat_of held_pages)"

# 1 GiB at once: map it all in one batch and read every byte
vma0=$(vmas "$ipid")
bytes0=$(stat_of window_bytes)
t0=$SECONDS
intro_run "($P /mnt/w.tok 0 $NP hold $K 300 > /mnt/wh.log 2>&1 &)" >/dev/null
wait_until 900 "grep -q '^wsum=\\|^window\\|^map: E' '$S/wh.log' 2>/dev/null || grep -qs '^State:.*Z' /proc/$ipid/status || ! kill -0 $ipid 2>/dev/null"
if grep -qs '^State:.*Z' "/proc/$ipid/status" || ! kill -0 "$ipid" 2>/dev/null; then
	diag "the introspector died"
	intro_log
fi
diag "$MIB MiB window: mapped and read in $((SECONDS - t0)) s: $(sed -n 3p "$S/wh.log")"
expect "$MIB MiB of the target mapped at once through one window (batch ioctls of $NP pages)" \
	"map: OK done=$NP" "$(sed -n 1p "$S/wh.log")"
expect "... every byte equals the target's (word sums over $MIB MiB)" "$tsum" "$(sed -n 2p "$S/wh.log")"
expect "... the host counts $NP live mappings and $NP held pages, in $CHUNKS chunks" \
	"$NP $NP $CHUNKS" "$(stat_of live_maps) $(stat_of held_pages) $(stat_of window_chunks)"
vma1=$(vmas "$ipid")
diag "introspector VMM mappings: $vma0 before, $vma1 with the window"
stk=$(stat_of stack_max_used)
diag "deepest kernel stack of a vCPU thread in our hypercall or faults: $stk of 16384 bytes"
check "... it stays below 12 KiB" test "${stk:-99999}" -gt 0 -a "${stk:-99999}" -lt 12288
check "... at most two host mappings per chunk ($((vma1 - vma0)) for $CHUNKS chunks), not one per page" \
	test $((vma1 - vma0)) -le $((2 * CHUNKS))
bytes=$(( $(stat_of window_bytes) - bytes0 ))
diag "window host memory: $bytes bytes for $NP pages = $((bytes / NP)) bytes per page (+ the overlay's page tables: 8 per page)"
check "... host memory per mapped page is at most 128 bytes ($(((bytes + 8 * NP) / NP)) with page tables)" \
	test "$bytes" -gt 0 -a $(((bytes + 8 * NP) / NP)) -le 128

# coherence: the target writes the page slot K shows
sees "$S/wh.log" "$(le64 $((K * 4096)))" "... slot $K shows the target's page" 30
tvm tw poke $((K * 4096)) 0x00c0ffee5107f00d >/dev/null
sees "$S/wh.log" 00c0ffee5107f00d "... the target's write to it shows in the window" 30

# revocation while 1 GiB is mapped
rev=$(stat_of revoked)
"$BIN/kvmmem-host" revoke "$gid" >/dev/null
sees "$S/wh.log" 723a6d656d6d766b "revoking the grant: the window's slots read the revoked pattern" 30
expect "... all $NP slots were revoked, nothing stays held" "$((rev + NP)) 0" \
	"$(stat_of revoked) $(stat_of held_pages)"
intro_run "pkill -f 'probe window'; sleep 1" >/dev/null
wait_until 30 '[ "$(stat_of window_chunks)" = 0 ]'
expect "... the process exits: its chunks are unregistered, no slot is left" "0 0" \
	"$(stat_of window_chunks) $(stat_of live_maps)"
diag "introspector VMM mappings after the window: $(vmas "$ipid") (the restored RAM stays split)"

# scan and unmap (64 MiB), timings; then a read-write grant
grant "$S/w.tok" "$tpid" "$ipid" >/dev/null
out=$(intro_run "$P /mnt/w.tok 0 16384 scan" 300)
expect "a scan of 64 MiB through a window: mapped, read, unmapped; the slots then read the pattern" \
	"map: OK done=16384|$(tvm tw wsum 0 $((64 << 20)))|unmap: OK done=16384|pattern" \
	"$(sed -n 1,4p <<<"$out" | paste -sd '|')"
diag "64 MiB window scan: $(sed -n 5p <<<"$out")"
grant "$S/rw.tok" "$tpid" "$ipid" --rw >/dev/null
want="map: OK done=512|$(tvm tw wsum 0x100000 0x200000)|wrote 0123456789abcdef|0123456789abcdef"
out=$(intro_run "$P /mnt/rw.tok 0x100000 512 write 3 0x0123456789abcdef")
expect "a read-write grant: a write through a slot reaches the target" \
	"$want" "$(grep -v '^setup_us=' <<<"$out" | paste -sd '|')|$(le64 $((0x100000 + 3 * 4096)))"

# kill -9 of the introspector's VMM while a window is mapped
intro_run "($P /mnt/w.tok 0 4096 hold 0 300 > /mnt/wk.log 2>&1 &)" >/dev/null
wait_until 120 "grep -q '^wsum' '$S/wk.log' 2>/dev/null"
expect "a window of 16 MiB is mapped" "4096 8" "$(stat_of live_maps) $(stat_of window_chunks)"
intro_kill
wait_until 30 '[ "$(stat_of window_chunks) $(stat_of live_maps)" = "0 0" ]'
expect "kill -9 of the introspector's VMM: the reaper forgets its chunks and slots" "0 0" \
	"$(stat_of window_chunks) $(stat_of live_maps)"
tvm_stop tw
end_checks "$pin0"
