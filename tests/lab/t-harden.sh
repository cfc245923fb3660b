#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hardening, inside the lab host: ioctl fuzzers on both devices (threads,
# forked children sharing the descriptor, 32-bit callers), concurrent maps
# and unmaps, a revoke racing with maps, the target exiting under a tight
# read loop, and the introspector VM killed with a batch in flight. Each
# step has a time limit; afterwards nothing may be left pinned or mapped.
# lab-typical: 70
. "$(dirname "$0")/lib.sh"

M=0x100000		# patterned target region (seed 7)
NP=1024			# its pages
seed=${KVMMEM_FUZZ_SEED:-$RANDOM}
# the target's memory above its page tables, code and stack (which its
# vCPU writes itself)
tsum_all() { tvm tgt sum 0x10000 $((0x4000000 - 0x10000)); }
# has TEXT PATTERN...: TEXT matches every (extended) PATTERN
has() {
	local t=$1 p
	shift
	for p; do grep -qE -- "$p" <<<"$t" || return 1; done
}
diag "seed $seed"

load_kvm
load_host || { nok "kvmmem_host loads"; exit 1; }
pin0=$(pins)
grants0=$(stat_of grants)

# --- the host's control device ---------------------------------------------------
out=$(timeout 120 "$BIN/ioctl-fuzz" /dev/kvmmem-host 20000 "$seed" 4 2)
diag "ioctl fuzzer on /dev/kvmmem-host: $out"
expect "ioctl fuzzer on /dev/kvmmem-host: 4 threads in each of 3 processes, 240000 calls" \
	"calls=240000 workers_failed=0" "$(grep -o 'calls=[0-9]*' <<<"$out") $(grep -o 'workers_failed=[0-9]*' <<<"$out")"
expect "... no grant came of it" "$grants0" "$(stat_of grants)"
out=$(timeout 120 "$BIN/ioctl-fuzz32" /dev/kvmmem-host 5000 "$seed" 2 1 2>&1)
if [ $? = 126 ] || grep -q 'Exec format error' <<<"$out"; then
	skip "ioctl fuzzer on /dev/kvmmem-host, 32-bit" "this lab host cannot run 32-bit programs"
else
	expect "ioctl fuzzer on /dev/kvmmem-host, 32-bit: 20000 calls" "calls=20000 workers_failed=0" \
		"$(grep -o 'calls=[0-9]*' <<<"$out") $(grep -o 'workers_failed=[0-9]*' <<<"$out")"
fi

# --- the introspector's /dev/kvmmem ---------------------------------------------
tvm_start tgt 64
tvm tgt fill $M $((NP * 4096)) 7 >/dev/null
tsum=$(tsum_all)
tpid=$(tvm_pid tgt)
if ! intro_start; then
	nok "introspector VM boots"
	tvm_stop tgt
	exit 1
fi
S=$INTRO_SHARE
intro_run "modprobe kvmmem_guest" >/dev/null
cp "$BIN/ioctl-fuzz" "$BIN/ioctl-fuzz32" "$BIN/stress" "$BIN/probe" "$S/"
ro=$(grant "$S/ro.tok" "$tpid" "$(intro_pid)")

out=$(intro_run "/mnt/ioctl-fuzz /dev/kvmmem 4000 $seed 4 2 /mnt/ro.tok 0x4000000" 300)
diag "ioctl fuzzer on /dev/kvmmem: $out"
expect "ioctl fuzzer on /dev/kvmmem: 4 threads in each of 3 processes, 48000 calls" \
	"calls=48000 workers_failed=0" "$(grep -o 'calls=[0-9]*' <<<"$out") $(grep -o 'workers_failed=[0-9]*' <<<"$out")"
check "... some of its maps were granted" grep -q ' ok=[1-9]' <<<"$out"
expect "... forked children never succeed on the inherited descriptor (bound to its opener)" "child_ok=0" \
	"$(grep -o 'child_ok=[0-9]*' <<<"$out")"
out=$(intro_run "/mnt/ioctl-fuzz32 /dev/kvmmem 2000 $((seed + 1)) 2 1 /mnt/ro.tok 0x4000000" 300)
diag "ioctl fuzzer on /dev/kvmmem, 32-bit: $out"
expect "ioctl fuzzer on /dev/kvmmem from a 32-bit process (compat_ioctl): 8000 calls" \
	"calls=8000 workers_failed=0" "$(grep -o 'calls=[0-9]*' <<<"$out") $(grep -o 'workers_failed=[0-9]*' <<<"$out")"
wait_until 30 '[ "$(stat_of live_maps)" = 0 ]'
expect "... when the fuzzers exit, nothing stays mapped" "0" "$(stat_of live_maps)"
expect "... no page is quarantined in the guest" "0" "$(intro_run "cat /sys/module/kvmmem_guest/parameters/quarantined_pages")"
expect "... the target's memory is unchanged (read-only grant)" "$tsum" "$(tsum_all)"
diag "host counters: $(tr '\n' ' ' < /sys/kernel/debug/kvmmem/stats)"

out=$(intro_run "/mnt/probe dontneed /mnt/ro.tok $M")
expect "MADV_DONTNEED on a mapped page: the next read faults the same target page back in" \
	"$(tvm tgt peek $M 16)|madvise: OK|$(tvm tgt peek $M 16)|unmap: OK" "$(tr '\n' '|' <<<"$out" | sed 's/|$//')"

# --- concurrency -----------------------------------------------------------------
out=$(intro_run "/mnt/stress threads /mnt/ro.tok $M 64 7 8 8" 120)
diag "8 threads, 64 target pages, 8 s: $out"
check "concurrent maps and unmaps (same and different pages): every mapping shows the target's bytes" \
	grep -q 'mismatches=0 other=0' <<<"$out"
check "... threads met on shared addresses (EEXIST and ENOENT seen)" \
	has "$out" 'eexist=[1-9]' 'enoent=[1-9]'
wait_until 10 '[ "$(stat_of live_maps)" = 0 ]'
expect "... nothing stays mapped" "0" "$(stat_of live_maps)"
check "... and the introspector VM still runs" intro_run "true"

rv=$(grant "$S/rv.tok" "$tpid" "$(intro_pid)")
intro_run "(/mnt/stress threads /mnt/rv.tok $M 64 7 10 8 > /mnt/rv.out 2>&1; echo rc=\$? >> /mnt/rv.out) &" >/dev/null
wait_until 30 '[ "$(stat_of maps)" -gt 0 ] && [ "$(stat_of live_maps)" -gt 0 ]'
sleep 3
"$BIN/kvmmem-host" revoke "$rv"
wait_until 60 'grep -q "^rc=" "$S/rv.out" 2>/dev/null'
out=$(tr '\n' ' ' < "$S/rv.out")
diag "revoke during 8 threads' maps: $out"
check "a revoke racing with maps: the maps after it are refused, none shows wrong bytes" \
	has "$out" 'refused=[1-9]' 'mismatches=0 other=0' 'rc=0'
wait_until 10 '[ "$(stat_of live_maps)" = 0 ]'
expect "... nothing stays mapped" "0" "$(stat_of live_maps)"

tvm_start t2 64
tvm t2 fill 0 0x10000 3 >/dev/null
grant "$S/t2.tok" "$(tvm_pid t2)" "$(intro_pid)" >/dev/null
intro_run "(/mnt/stress readloop /mnt/t2.tok 0x1000 3 12 > /mnt/rl.out 2>&1 &)" >/dev/null
if wait_until 30 'grep -q mapped "$S/rl.out" 2>/dev/null'; then
	sleep 2
	tvm_kill t2
	wait_until 40 'grep -q "^reads=" "$S/rl.out"'
	out=$(tail -n 1 "$S/rl.out")
	diag "tight read loop while the target's VMM is killed: $out"
	check "the target exits under a tight read loop: the reader sees its bytes, then the revoked pattern, nothing else" \
		has "$out" 'target=[1-9][0-9]* revoked=[1-9][0-9]* other=0'
	check "... the status page counted that one revocation before the pattern showed (registered=1 revocations=1 unsignalled=0)" \
		has "$(head -n 1 "$S/rl.out") $out" 'registered=1' 'revocations=1 unsignalled=0'
else
	nok "the reader mapped the second target's page: $(cat "$S/rl.out")"
	tvm_kill t2
fi
check "... and the introspector VM still runs" intro_run "true"

# the introspector VM is killed while a batch map is in flight
intro_run "(/mnt/probe batch /mnt/ro.tok 0 8192 ok > /mnt/kb.out 2>&1 &)" >/dev/null
wait_until 60 '[ "$(stat_of live_maps)" -gt 64 ]'
inflight=$(stat_of live_maps)
intro_kill
diag "introspector VM killed with $inflight pages mapped by a batch in flight"
wait_until 30 '[ "$(stat_of live_maps)" = 0 ]'
expect "the introspector VM killed during a batch map: every mapping is gone" "0" "$(stat_of live_maps)"
wait_until 10 '[ -z "$("$BIN/kvmmem-host" list | awk "NR > 1")" ]'
expect "... and so are its grants" "" "$("$BIN/kvmmem-host" list | awk 'NR > 1')"
expect "... the target's memory is unchanged" "$tsum" "$(tsum_all)"
check "... and the target VM still runs" has "$(tvm tgt gread 0x100000)" '^val='

tvm_stop tgt
end_checks "$pin0"
