#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# t-trace: the audit trail. With the kvmmem trace events on, tiny VMs make
# grants, single and batch maps and unmaps (a window run too), maps under
# a wrong token until the throttle refuses them, a revoke and an expiry;
# then every event in the trace is checked, field by field, against what
# was done, and no token (nor any 8 bytes in a row of one, in either byte
# order) may appear in it.
# lab-typical: 45
. "$(dirname "$0")/lib.sh"

M=0x100000		# target region
TOK=0x7000		# the tiny introspector's token
D=0xa000		# a batch descriptor under a good token
BAD=0xb000		# a wrong token
BD=0xc000		# a batch descriptor under the wrong token
WIN=0x1000000		# a window chunk (2 MiB aligned)
HCB=0x4b4d4201
HCW=0x4b4d4203
PARAMS=/sys/module/kvmmem_host/parameters
# ev NAME: the payload of every NAME event of the trace snapshot, in order
ev() { grep -a " $1: " "$LAB/trace.txt" | sed "s/.* $1: //"; }
# ended ID: grant ID's end event in the live trace, once there is one
ended() { grep -a " kvmmem_grant_end: grant=$1 " "$TRACE/trace" | tail -n 1; }
# batch GPA OP COUNT TGPA IGPA...: a batch descriptor's header and entries
# (its token, if any, is already at GPA)
batch() {
	local g=$1 i=0
	tvm ti poke $((g + 32)) $((($3 << 32) | $2)) >/dev/null
	tvm ti poke $((g + 40)) 0 >/dev/null
	tvm ti poke $((g + 48)) 0 >/dev/null
	shift 3
	while [ $# -ge 2 ]; do
		tvm ti poke $((g + 56 + 16 * i)) "$1" >/dev/null
		tvm ti poke $((g + 64 + 16 * i)) "$2" >/dev/null
		i=$((i + 1))
		shift 2
	done
}
# leaks HEX: the pieces of the bytes HEX (all of them; any 8 in a row, as
# they are and byte reversed) whose hex text is in the trace snapshot
leaks() {
	local hex i p r j
	hex=$(tr -d ' \t\r\n' <<<"$1" | tr 'A-F' 'a-f')
	grep -qaiF -- "$hex" "$LAB/trace.txt" && echo "whole"
	for ((i = 0; i + 16 <= ${#hex}; i += 2)); do
		p=${hex:$i:16}
		r=
		for ((j = 0; j < ${#p}; j += 2)); do r=${p:$j:2}$r; done
		grep -qaiF -- "$p" "$LAB/trace.txt" && echo "$p"
		grep -qaiF -- "$r" "$LAB/trace.txt" && echo "$r"
	done
}

load_kvm
load_host || { nok "kvmmem_host loads"; exit 1; }
pin0=$(pins)

missing=
for e in kvmmem_grant kvmmem_grant_end kvmmem_map kvmmem_unmap kvmmem_batch_refused kvmmem_token_refused; do
	[ -e "$TRACE/events/kvmmem/$e/enable" ] || missing="$missing $e"
done
expect "the kvmmem events are in tracefs" "" "$missing"
echo 0 >"$TRACE/events/kvmmem/enable"
: >"$TRACE/trace"
echo 1 >"$TRACE/events/kvmmem/enable"
echo 1 >"$TRACE/tracing_on"
expect "... and enabled" "1" "$(cat "$TRACE/events/kvmmem/enable")"

tvm_start tgt 64
tvm tgt fill $M 0x100000 7 >/dev/null
tpid=$(tvm_pid tgt)
tvm_start ti 64
ipid=$(tvm_pid ti)

ro=$(grant "$LAB/tr-ro.tok" "$tpid" "$ipid" --range 0x100000-0x200000 --quota 5)
rw=$(grant "$LAB/tr-rw.tok" "$tpid" "$ipid" --rw)
check "grants are made" test -n "$ro" -a -n "$rw"

tvm_token ti "$LAB/tr-ro.tok" $TOK
expect "map (32) under the read-only grant" "rax=0x0" "$(tvm ti hc 32 $TOK $M 0x400000)"
expect "unmap (33)" "rax=0x0" "$(tvm ti hc 33 0x400000 0 0)"

tvm_token ti "$LAB/tr-rw.tok" $D
batch $D 1 2 $((M + 0x1000)) 0x405000 $((M + 0x2000)) 0x406000
expect "batch map of 2 pages under the read-write grant" "rax=0x2" "$(tvm ti hc $HCB $D 0 0)"
batch $D 2 2 0 0x405000 0 0x406000
expect "batch unmap of both" "rax=0x2" "$(tvm ti hc $HCB $D 0 0)"

expect "a window chunk is registered" "rax=0x0" "$(tvm ti hc $HCW $WIN 512 0)"
batch $D 3 1 $((M + 0x10000)) $((WIN | 1))
expect "a run of 2 pages is mapped in one batch entry" "rax=0x1" "$(tvm ti hc $HCB $D 0 0)"
batch $D 4 1 0 $((WIN | 1))
expect "... and unmapped" "rax=0x1" "$(tvm ti hc $HCB $D 0 0)"
expect "... and the chunk unregistered" "rax=0x0" "$(tvm ti hc $HCW $WIN 0 0)"

expect "map outside the read-only grant's range: -ERANGE" "$(neg 34)" \
	"$(tvm ti hc 32 $TOK 0x300000 0x402000)"
expect "unmap of what is not mapped: -ENOENT" "$(neg 2)" "$(tvm ti hc 33 0x403000 0 0)"

# a wrong token: its words must not show up in the trace either
badw=(0x5eedbad0c0ffee01 0x5eedbad0c0ffee02 0x5eedbad0c0ffee03 0x5eedbad0c0ffee04)
for i in 0 1 2 3; do
	tvm ti poke $((BAD + 8 * i)) "${badw[$i]}" >/dev/null
	tvm ti poke $((BD + 8 * i)) "${badw[$i]}" >/dev/null
done
batch $BD 1 1 $M 0x404000
expect "map with a wrong token: -EACCES" "$(neg 13)" "$(tvm ti hc 32 $BAD $M 0x401000)"
expect "batch map with a wrong token: -EACCES" "$(neg 13)" "$(tvm ti hc $HCB $BD 0 0)"
burst=$(cat $PARAMS/bad_token_burst)
backoff=$(cat $PARAMS/bad_token_backoff_ms)
echo 1 >$PARAMS/bad_token_burst
echo 5000 >$PARAMS/bad_token_backoff_ms
expect "a third wrong token: -EACCES, and the throttle starts" "$(neg 13)" "$(tvm ti hc 32 $BAD $M 0x401000)"
expect "... the next map is throttled: -EAGAIN" "$(neg 11)" "$(tvm ti hc 32 $BAD $M 0x401000)"
echo "$burst" >$PARAMS/bad_token_burst
echo "$backoff" >$PARAMS/bad_token_backoff_ms

# kvmmem-host's syslog lines, copied to standard error (no syslog daemon here)
KVMMEM_HOST_LOG_STDERR=1 "$BIN/kvmmem-host" revoke "$ro" 2>"$LAB/audit.log" >/dev/null
expect "kvmmem-host revoke, logged with the grant's terms" 1 \
	"$(grep -cE "^kvmmem-host\[[0-9]+\]: revoke id=$ro target=$tpid .*introspector=$ipid .*range=0x100000-0x200000 rights=ro quota=5 .*uid=0 " "$LAB/audit.log")"
rm -f "$LAB/tr-ex.tok"
ex=$(KVMMEM_HOST_LOG_STDERR=1 "$BIN/kvmmem-host" grant --target "$tpid" --introspector "$ipid" \
	--token-file "$LAB/tr-ex.tok" --expire 1500 2>>"$LAB/audit.log" | awk '/^grant/ { print $2 }')
check "a grant with a 1.5 s expiry is made" test -n "$ex"
expect "... logged: id, pids, range, rights, quota, expiry, uid" 1 \
	"$(grep -cE "^kvmmem-host\[[0-9]+\]: grant id=$ex target=$tpid .*introspector=$ipid .*range=0x0-0x0 rights=ro quota=0 expires_in_ms=1500 uid=0 " "$LAB/audit.log")"
pieces=$(grep -oh '.\{16\}' "$LAB"/tr-*.tok | paste -sd'|')
check "... and no log line holds 8 bytes of a token" test -n "$pieces" -a \
	-z "$(grep -iE "$pieces" "$LAB/audit.log")"
wait_until 20 '[ -n "$(ended "$ex")" ]'
tvm_stop ti
wait_until 20 '[ -n "$(ended "$rw")" ]'
tvm_stop tgt
echo 0 >"$TRACE/events/kvmmem/enable"
cp "$TRACE/trace" "$LAB/trace.txt"
grep -a ' kvmmem_' "$LAB/trace.txt" | sed 's/.* \(kvmmem_[a-z_]*: \)/trace: \1/' | diag

expect "grant events: id, pids, range, rights, quota, expiry" \
"grant=$ro target=$tpid intro=$ipid gpa_start=0x100000 gpa_end=0x200000 rights=ro quota=5 expire_ms=0
grant=$rw target=$tpid intro=$ipid gpa_start=0x0 gpa_end=0xffffffffffffffff rights=rw quota=65536 expire_ms=0
grant=$ex target=$tpid intro=$ipid gpa_start=0x0 gpa_end=0xffffffffffffffff rights=ro quota=65536 expire_ms=1500" \
	"$(ev kvmmem_grant)"

expect "map events: one per hypercall, batch entry or run; grant, pids, gpas, pages, rights, errno" \
"grant=$ro intro=$ipid target=$tpid target_gpa=0x100000 intro_gpa=0x400000 pages=1 op=single rights=ro ret=0
grant=$rw intro=$ipid target=$tpid target_gpa=0x101000 intro_gpa=0x405000 pages=1 op=batch_map rights=rw ret=0
grant=$rw intro=$ipid target=$tpid target_gpa=0x102000 intro_gpa=0x406000 pages=1 op=batch_map rights=rw ret=0
grant=$rw intro=$ipid target=$tpid target_gpa=0x110000 intro_gpa=0x1000000 pages=2 op=batch_map_run rights=rw ret=0
grant=$ro intro=$ipid target=$tpid target_gpa=0x300000 intro_gpa=0x402000 pages=1 op=single rights=none ret=-34
grant=0 intro=$ipid target=-1 target_gpa=0x100000 intro_gpa=0x401000 pages=1 op=single rights=none ret=-13
grant=0 intro=$ipid target=-1 target_gpa=0x100000 intro_gpa=0x401000 pages=1 op=single rights=none ret=-13
grant=0 intro=$ipid target=-1 target_gpa=0x100000 intro_gpa=0x401000 pages=1 op=single rights=none ret=-11" \
	"$(ev kvmmem_map)"

expect "unmap events: the same, without grant (unknown to the decoder)" \
"intro=$ipid intro_gpa=0x400000 pages=1 op=single ret=0
intro=$ipid intro_gpa=0x405000 pages=1 op=batch_unmap ret=0
intro=$ipid intro_gpa=0x406000 pages=1 op=batch_unmap ret=0
intro=$ipid intro_gpa=0x1000000 pages=2 op=batch_unmap_run ret=0
intro=$ipid intro_gpa=0x403000 pages=1 op=single ret=-2" \
	"$(ev kvmmem_unmap)"

expect "refused-token events: three wrong tokens, then the throttle" \
"intro=$ipid errno=13 reason=no grant for this token
intro=$ipid errno=13 reason=no grant for this token
intro=$ipid errno=13 reason=no grant for this token
intro=$ipid errno=11 reason=too many bad tokens, backing off" \
	"$(ev kvmmem_token_refused)"

expect "the batch under the wrong token is refused whole" \
	"intro=$ipid descriptor_gpa=0xc000 op=1 count=1 ret=-13" "$(ev kvmmem_batch_refused)"

# the read-write grant ends when its introspector's VMM quits: by the
# reaper ("introspector VM gone") or, where the module sees the VM file's
# release, "VM released"
rwend=$(ev kvmmem_grant_end | grep "^grant=$rw ")
case $rwend in
"grant=$rw target=$tpid intro=$ipid maps_total=4 reason=introspector VM gone" | \
"grant=$rw target=$tpid intro=$ipid maps_total=4 reason=VM released")
	rwend=ok ;;
esac
expect "grant end events: revoke, expiry (with the pages mapped under each)" \
"grant=$ro target=$tpid intro=$ipid maps_total=1 reason=revoked
grant=$ex target=$tpid intro=$ipid maps_total=0 reason=expired" \
	"$(ev kvmmem_grant_end | grep -v "^grant=$rw ")"
expect "... and the end of the read-write grant with its introspector (4 pages mapped)" "ok" "$rwend"

out=
for f in "$LAB"/tr-ro.tok "$LAB"/tr-rw.tok "$LAB"/tr-ex.tok; do
	[ -s "$f" ] || { out="$out $f:empty"; continue; }
	l=$(leaks "$(cat "$f")" | tr '\n' ' ')
	[ -n "$l" ] && out="$out $(basename "$f"): $l"
done
l=$(leaks "$(printf '%s' "${badw[@]#0x}")" | tr '\n' ' ')
[ -n "$l" ] && out="$out wrong token: $l"
expect "no token, nor a piece of one, is in the trace ($(grep -ac ' kvmmem_' "$LAB/trace.txt") kvmmem events)" "" "$out"

end_checks "$pin0"
