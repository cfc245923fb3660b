#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# t-scan: a read-only scan of a target's whole memory from a Linux
# introspector must not disturb the target: exact bytes, its RSS and its
# KSM sharing unchanged (untouched pages read as the zero page, shared
# pages stay shared). Then coherence: the mapping follows the target when
# it first writes a page it never touched, when it writes a KSM page
# (un-merging it), when its memory is reclaimed to a zram swap device, and
# when its memslot goes away; the host reports how long the old bytes
# stayed visible.
# lab-typical: 60
. "$(dirname "$0")/lib.sh"

MIB=64
A=0x100000		# 4 MiB of distinct pages
B=0x800000		# 4 MiB of identical pages, for KSM
U=0x2000000		# never touched
NB=1024			# pages at B
KSM=/sys/kernel/mm/ksm

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
sharing() { cat "$KSM/pages_sharing"; }
# hold NAME GPA: the introspector maps GPA and prints its first u64 every
# 100 ms for 30 s into NAME.log in the share; prints nothing
hold() {
	intro_run "(/mnt/probe hold /mnt/scan.tok $2 0 30 > /mnt/$1.log 2>&1 &); sleep 1; head -1 /mnt/$1.log" >/dev/null
}

load_kvm
load_host || { nok "kvmmem_host loads"; exit 1; }
pin0=$(pins)
tvm_start tr $MIB || { nok "the target starts"; exit 1; }
tvm tr fill $A 0x400000 5 >/dev/null
tvm tr dup $B $((NB * 4096)) 9 >/dev/null
tpid=$(tvm_pid tr)

ksm=0
if [ -w "$KSM/run" ]; then
	echo 4000 > "$KSM/pages_to_scan"
	echo 20 > "$KSM/sleep_millisecs"
	tvm tr merge >/dev/null
	echo 1 > "$KSM/run"
	wait_until 120 '[ "$(sharing)" -ge $((NB - 1)) ]'
	# freeze KSM: from here on, only what the scan does can change it
	echo 0 > "$KSM/run"
	if [ "$(sharing)" -ge $((NB - 1)) ]; then
		ok "KSM merged the target's $NB identical pages (pages_sharing $(sharing))"
		ksm=1
	else
		nok "KSM merged the target's $NB identical pages (pages_sharing $(sharing))"
	fi
else
	skip "KSM merged the target's identical pages" "this lab host has no KSM"
fi

tsum=$(tvm tr sum 0 $((MIB << 20)))
rss0=$(rss_kb "$tpid")
ksm0=$( ((ksm)) && sharing)

if ! intro_start; then
	nok "introspector VM boots"
	tvm_stop tr
	exit 1
fi
S=$INTRO_SHARE
intro_run "modprobe kvmmem_guest" >/dev/null
cp "$BIN/probe" "$S/"
grant "$S/scan.tok" "$tpid" "$(intro_pid)" >/dev/null

t0=$SECONDS
out=$(intro_run "/mnt/probe batch /mnt/scan.tok 0 $((MIB * 256)) ok" 400)
diag "read-only scan of $MIB MiB took $((SECONDS - t0)) s: $(tr '\n' ' ' <<<"$out")"
expect "a read-only scan of the target's whole memory ($MIB MiB, one batch) gives its exact bytes" \
	"map: OK done=$((MIB * 256))|$tsum|unmap: OK done=$((MIB * 256))" \
	"$(sed -n 1,3p <<<"$out" | paste -sd '|')"
wait_until 10 '[ "$(stat_of held_pages)" = 0 ]'
rss1=$(rss_kb "$tpid")
diag "target VMM RSS before and after the scan: $rss0 kB, $rss1 kB (a write-intent pin would add about $(((MIB << 10) - rss0)) kB)"
expect "... the target's RSS is unchanged: untouched pages were not populated" "$rss0" "$rss1"
if ((ksm)); then
	expect "... KSM still shares the target's pages (pages_sharing unchanged)" "$ksm0" "$(sharing)"
else
	skip "... KSM still shares the target's pages" "this lab host has no KSM"
fi
expect "... and nothing stays held or pinned" "0 0" "$(stat_of held_pages) $(stat_of pinned_pages)"

# coherence: the target's first write to a page it never touched
resyncs=$(stat_of resyncs)
hold hz $U
expect "an untouched page maps (the zero page, nothing held but the mapping)" "0000000000000000" "$(sed -n 2p "$S/hz.log")"
expect "... while the target's RSS stays the same" "$rss0" "$(rss_kb "$tpid")"
tvm tr poke $U 0x5ca11ab1e0000001 >/dev/null
sees "$S/hz.log" 5ca11ab1e0000001 "... the target's first write to it shows in the introspector"
check "... through the target's MMU notifier (resyncs counter moved)" test "$(stat_of resyncs)" -gt "$resyncs"
diag "stale window of that write: $(stat_of stale_last_us) us (from the target's invalidation to the switch)"

# coherence: the target writes a KSM page that the introspector maps
if ((ksm)); then
	P=$((B + 7 * 4096))
	resyncs=$(stat_of resyncs)
	want=$(tvm tr peek $P 8)
	hold hk $P
	expect "a KSM-merged page maps and stays shared" "$ksm0" "$(sharing)"
	tvm tr poke $P 0x0123456789abcdef >/dev/null
	sees "$S/hk.log" 0123456789abcdef "... the target's write un-merges it and shows in the introspector"
	check "... through the notifier (resyncs counter moved)" test "$(stat_of resyncs)" -gt "$resyncs"
	diag "the merged page read $want before; stale window of that write: $(stat_of stale_last_us) us"
else
	skip "the target writes a KSM page that the introspector maps" "this lab host has no KSM"
fi
diag "longest stale window in this run: $(stat_of stale_max_us) us"

# memory pressure: a target's pages are reclaimed to a zram swap device
# (MADV_PAGEOUT) while the introspector maps some of them. Its own target:
# on 6.1 pages that ksmd has scanned were not paged out.
if modprobe zram num_devices=1 2>/dev/null && echo 256M > /sys/block/zram0/disksize &&
   mkswap /dev/zram0 >/dev/null && swapon /dev/zram0 && tvm_start tz 16; then
	zpid=$(tvm_pid tz)
	tvm tz fill $A 0x400000 3 >/dev/null
	asum=$(tvm tz sum $A 0x400000)
	H=$((A + 3 * 4096))
	grant "$S/z.tok" "$zpid" "$(intro_pid)" >/dev/null
	intro_run "(/mnt/probe hold /mnt/z.tok $H 0 30 > /mnt/hp.log 2>&1 &); sleep 1; head -1 /mnt/hp.log" >/dev/null
	want=$(sed -n 2p "$S/hp.log")
	sw0=$(awk '/^SwapFree/ { print $2 }' /proc/meminfo)
	rssp=$(rss_kb "$zpid")
	expect "a target's memory is reclaimed to zram swap (MADV_PAGEOUT, 4 MiB)" "ok" "$(tvm tz pageout $A 0x400000)"
	sw1=$(awk '/^SwapFree/ { print $2 }' /proc/meminfo)
	diag "target RSS $rssp kB -> $(rss_kb "$zpid") kB; swap used: $((sw0 - sw1)) kB"
	check "... its RSS went down and swap was used" test "$(rss_kb "$zpid")" -lt "$rssp" -a "$sw1" -lt "$sw0"
	expect "... the page the introspector maps still reads the same" "$want" "$(tail -n 1 "$S/hp.log")"
	out=$(intro_run "/mnt/probe batch /mnt/z.tok $A 1024 ok" 120)
	expect "... a scan of the reclaimed range gives its exact bytes" "$asum" "$(sed -n 2p <<<"$out")"
	tvm tz poke $H 0x00c0ffee00c0ffee >/dev/null
	sees "$S/hp.log" 00c0ffee00c0ffee "... the target's write to the mapped page, after reclaim, shows in the introspector"
	intro_run "pkill -f 'hold /mnt/z.tok'; sleep 1" >/dev/null
	tvm_stop tz
else
	skip "a target's memory is reclaimed to zram swap" "no zram swap device on this lab host"
fi

# the target's memslot goes away (memory unplug) while its memory stays
# mapped in its VMM: the gpa no longer names it, so the mapping is revoked
revoked=$(stat_of revoked)
hold hu $A
expect "a mapped page of the target" "$(tvm tr peek $A 8 | sed 's/\(..\)/\1 /g' | awk '{ for (i = NF; i; i--) printf "%s", $i }')" \
	"$(sed -n 2p "$S/hu.log")"
live=$(stat_of live_maps)
expect "... its memslot is deleted (unplug), its memory still in its VMM" "ok" "$(tvm tr unplug)"
sees "$S/hu.log" 723a6d656d6d766b "... the mapping is revoked: it reads the revoked pattern"
expect "... as is every live mapping of that slot ($live): the revocations are counted" "$((revoked + live))" "$(stat_of revoked)"

intro_stop
tvm_stop tr
end_checks "$pin0"
