#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The core map path, inside the lab host: grants and tokens, the hypercall
# checks with their exact error codes, live zero-copy views, read-only and
# read-write mappings, 32-bit callers, reset and teardown.
# lab-typical: 150
. "$(dirname "$0")/lib.sh"

M=0x100000		# patterned target region
C=0x200000		# target counter
W=0x300000		# written by read-write tests
# target_runs WHAT: the target VM is undisturbed (its vCPU still runs)
target_runs() {
	if tvm tgt gread $C | grep -q '^val='; then
		ok "the target VM still runs after $1"
	else
		nok "the target VM still runs after $1"
		sed 's/^/# tgt: /' "$LAB/tgt.err"
	fi
}

load_kvm
load_host || { nok "kvmmem_host loads"; exit 1; }
pin0=$(pins)
expect "/dev/kvmmem-host is root-only" "600 root:root" "$(stat -c '%a %U:%G' /dev/kvmmem-host)"

tvm_start tgt 64
tvm tgt fill $M 0x100000 7 >/dev/null
tvm tgt counter $C >/dev/null
tsum=$(tvm tgt sum $M 0x100000)
tpid=$(tvm_pid tgt)

# --- host-side checks with a tiny introspector -------------------------------
tvm_start ti 64
ipid=$(tvm_pid ti)
TOK=0x7000		# where the tiny introspector keeps its token
# The hypercalls' answers (map, unmap, batch, RAM ranges, tokens) and the
# grant ioctl are checked by the C selftests (tests/selftests/, run by
# t-selftests). Here: grants by pid through kvmmem-host, for what follows.
ro=$(grant $LAB/ti-ro.tok $tpid $ipid)
rw=$(grant $LAB/ti-rw.tok $tpid $ipid --rw)
check "kvmmem-host grants by pid" test -n "$ro" -a -n "$rw"
tvm_token ti $LAB/ti-ro.tok $TOK
expect "a map under the read-only grant" "rax=0x0" "$(tvm ti hc 32 $TOK $M 0x400000)"
expect "the introspector's guest reads the target's bytes" "$(tvm tgt gread $M)" "$(tvm ti gread 0x400000)"
expect "... and its VMM too (the same page)" "$(tvm tgt peek $M 64)" "$(tvm ti peek 0x400000 64)"
expect "... unmap" "rax=0x0" "$(tvm ti hc 33 0x400000 0 0)"
tvm_token ti $LAB/ti-rw.tok $TOK

# drop_follows VM DROP WHAT: a read-write mapping of page X of target VM
# follows the target's VMM dropping the page with DROP (a tvm command)
drop_follows() {
	local vm=$1 drop=$2 rs

	tvm $vm gwrite $X 0x1111111111111111 >/dev/null
	expect "$3: map a page the target will drop" "rax=0x1" "$(tvm ti hc 32 $TOK $X 0x404000)"
	expect "... the introspector sees the target's value" "val=0x1111111111111111" "$(tvm ti gread 0x404000)"
	rs=$(stat_of resyncs)
	expect "... the target's VMM drops the page ($drop)" "ok" "$(tvm $vm $drop $X)"
	wait_until 10 '[ "$(tvm ti gread 0x404000)" = "val=0x0" ]'
	expect "... the introspector then reads what the target reads: zeros" "val=0x0|val=0x0" \
		"$(tvm ti gread 0x404000)|$(tvm $vm gread $X)"
	tvm $vm gwrite $X 0x2222222222222222 >/dev/null
	wait_until 10 '[ "$(tvm ti gread 0x404000)" = "val=0x2222222222222222" ]'
	expect "... the target's next write shows through the mapping" "val=0x2222222222222222" \
		"$(tvm ti gread 0x404000)"
	check "... through the target's MMU notifier (resyncs counter moved)" test "$(stat_of resyncs)" -gt "$rs"
	tvm ti gwrite 0x404000 0x3333333333333333 >/dev/null
	expect "... and the introspector's writes reach the target's new page" "val=0x3333333333333333" "$(tvm $vm gread $X)"
	expect "... unmap" "rax=0x0" "$(tvm ti hc 33 0x404000 0 0)"
	wait_until 5 '[ "$(stat_of pinned_pages)" = 0 ]'
	expect "... after which neither the old nor the new page stays pinned" "0" "$(stat_of pinned_pages)"
}

# the target's VMM drops the page under a live mapping (as a balloon does)
X=$((W + 0x4000))
drop_follows tgt discard "MADV_DONTNEED"

# the same with memfd-backed RAM (QEMU's memory-backend-memfd): the target's
# VMM punches a hole in the memfd
tvm_start tm 64 memfd
tmrw=$(grant $LAB/tm-rw.tok "$(tvm_pid tm)" $ipid --rw)
tmro=$(grant $LAB/tm-ro.tok "$(tvm_pid tm)" $ipid)
tvm_token ti $LAB/tm-rw.tok $TOK
drop_follows tm punch "memfd-backed target"
# read-only: a hole has no zero page whose replacement would notify us, so
# holding the page fills the hole with one zeroed page (see the README)
Y=$((X + 0x1000))
tvm_token ti $LAB/tm-ro.tok $TOK
b=$(tvm tm blocks)
h=$(stat_of held_pages)
expect "memfd-backed target, read-only: map a page it never touched" "rax=0x0" "$(tvm ti hc 32 $TOK $Y 0x404000)"
expect "... reads zeros" "val=0x0" "$(tvm ti gread 0x404000)"
expect "... the memfd gains exactly that one page (blocks of 512 bytes)" "blocks=$((${b#blocks=} + 8))" "$(tvm tm blocks)"
expect "... which the module holds" "$((h + 1))" "$(stat_of held_pages)"
tvm tm gwrite $Y 0x7777777777777777 >/dev/null
expect "... the target's first write is visible at once (the same page)" "val=0x7777777777777777" "$(tvm ti gread 0x404000)"
expect "... the target punches it out under the read-only mapping" "ok" "$(tvm tm punch $Y)"
wait_until 10 '[ "$(tvm ti gread 0x404000)" = "val=0x0" ]'
expect "... the introspector reads zeros" "val=0x0" "$(tvm ti gread 0x404000)"
tvm tm gwrite $Y 0x0808080808080808 >/dev/null
wait_until 10 '[ "$(tvm ti gread 0x404000)" = "val=0x808080808080808" ]'
expect "... and then the target's next write" "val=0x808080808080808" "$(tvm ti gread 0x404000)"
expect "... unmap" "rax=0x0" "$(tvm ti hc 33 0x404000 0 0)"
wait_until 5 '[ "$(stat_of held_pages)" = "$h" ]'
expect "... after which nothing more is held" "$h" "$(stat_of held_pages)"
"$BIN/kvmmem-host" revoke "$tmrw"
"$BIN/kvmmem-host" revoke "$tmro"
tvm_stop tm
tvm_token ti $LAB/ti-rw.tok $TOK

# read-only, a page inside a transparent huge page that the target's VMM
# shares copy-on-write with a child (after fork): we split the huge page to
# map one of its pages, and the target must keep that very page (a fault
# with write intent would break the sharing and give it a copy)
tvm_start th 64
thro=$(grant $LAB/th-ro.tok "$(tvm_pid th)" $ipid)
tvm th fill 0x800000 0x800000 5 >/dev/null
# the gpa of the first 2 MiB-aligned hva from 12 MiB on: its own huge page
hva=$(tvm th ram | sed -n 's/^hva=\(0x[0-9a-f]*\) .*/\1/p')
P=$(( ((hva + 0xc00000 + 0x1fffff) & ~0x1fffff) - hva ))
H=
for g in 0x800000 0x900000 0xa00000 0xb00000; do
	[ "$(tvm th page $g | sed -n 's/.* thp=//p')" = 1 ] && H=$g && break
done
check "a target page inside a transparent huge page (4 MiB written)" test -n "$H"
H=${H:-0x900000}
expect "... its VMM forks: the huge page is shared copy-on-write" "ok" "$(tvm th fork)"
pg=$(tvm th page $H)
s0=$(stat_of thp_splits)
tvm_token ti $LAB/th-ro.tok $TOK
expect "read-only map of a page in a copy-on-write huge page" "rax=0x0" "$(tvm ti hc 32 $TOK $H 0x405000)"
expect "... reads the target's bytes" "$(tvm th gread $H)" "$(tvm ti gread 0x405000)"
expect "... the huge page was split once" "$((s0 + 1))" "$(stat_of thp_splits)"
expect "... the target keeps its very page, no longer huge (no copy-on-write break)" \
	"${pg% thp=*} thp=0" "$(tvm th page $H)"
expect "... unmap" "rax=0x0" "$(tvm ti hc 33 0x405000 0 0)"
# the target writes into a huge page it shares: its PMD is split and that
# page copied, the rest stays one huge page mapped by PTEs, which we cannot
# split; a read-only map then copies the page it maps (see hold.c)
tvm th poke $P 0x5555 >/dev/null
Q=$((P + 0x1000))
pg=$(tvm th page $Q)
expect "a page of a shared huge page that the target mapped by PTEs (its write beside it)" \
	"thp=1" "${pg#* }"
s0=$(stat_of thp_splits) c0=$(stat_of thp_copies)
expect "... a read-only map of it succeeds" "rax=0x0" "$(tvm ti hc 32 $TOK $Q 0x405000)"
expect "... and reads the target's bytes" "$(tvm th gread $Q)" "$(tvm ti gread 0x405000)"
expect "... by a copy of that page (thp_copies +1, thp_splits +0)" "$((c0 + 1)) $s0" \
	"$(stat_of thp_copies) $(stat_of thp_splits)"
expect "... the target now has that copy, a 4K page" "thp=0" "$(tvm th page $Q | sed 's/.* //')"
expect "... unmap" "rax=0x0" "$(tvm ti hc 33 0x405000 0 0)"
expect "... the child goes" "ok" "$(tvm th unfork)"
"$BIN/kvmmem-host" revoke "$thro"
tvm_stop th
tvm_token ti $LAB/ti-rw.tok $TOK

# dirty logging, chaining, revoke and expiry while mapped, and a page the
# target never touched: tests/selftests/hc_life.c (t-selftests)
tvm_start tj 64
oth=$(grant $LAB/tj.tok $tpid "$(tvm_pid tj)")

target_runs "the tiny introspector's tests"

# token abuse and a hypercall fuzzer, from a tiny introspector of its own
tvm_start tf 64
gf=$(grant $LAB/tf.tok $tpid "$(tvm_pid tf)")
tvm_token tf $LAB/tf.tok $TOK
P=/sys/module/kvmmem_host/parameters
echo 0 > $P/bad_token_burst
expect "each of the 256 one-bit flips of a valid token: -EACCES (throttle off)" "eacces=256 eagain=0 other=0" \
	"$(tvm tf flips $TOK $M 0x400000)"
# the throttle: after bad_token_burst failures in a row, -EAGAIN for a while
echo 8 > $P/bad_token_burst
echo 3000 > $P/bad_token_backoff_ms
thr=$(stat_of throttled)
expect "with the throttle on, 8 flips get -EACCES, then the VM is refused with -EAGAIN" \
	"eacces=8 eagain=248 other=0" "$(tvm tf flips $TOK $M 0x400000)"
expect "... during the back-off even the valid token is refused at once: -EAGAIN" "$(neg 11)" \
	"$(tvm tf hc 32 $TOK $M 0x400000)"
expect "... unmaps are not throttled (-ENOENT, not -EAGAIN)" "$(neg 2)" "$(tvm tf hc 33 0x400000 0 0)"
expect "... the refusals are counted" "249" "$(($(stat_of throttled) - thr))"
tfpid=$(tvm_pid tf)
expect "... and per introspector in debugfs" "kvm-$tfpid bad_tokens 264 throttled 249" \
	"$(grep "^kvm-$tfpid " /sys/kernel/debug/kvmmem/introspectors | cut -d' ' -f1-5)"
expect "... with one log line naming the VM" "1" \
	"$(dmesg | grep -c "introspector kvm-$tfpid: 8 bad tokens in a row")"
wait_until 10 '[ "$(tvm tf hc 32 $TOK $M 0x400000)" = "rax=0x0" ]'
expect "after the back-off the valid token maps again" "rax=0x0|rax=0x0" \
	"$(tvm tf hc 33 0x400000 0 0)|$(tvm tf hc 32 $TOK $M 0x400000)"
tvm tf hc 33 0x400000 0 0 >/dev/null
echo 100 > $P/bad_token_backoff_ms
# (releases are asynchronous: let the earlier ones finish first)
wait_until 10 '[ "$(pins)" = "$(($(stat_of pinned_pages) + pin0))" ]'
pinf=$(pins) live=$(stat_of live_maps) t0=$SECONDS seed=${KVMMEM_FUZZ_SEED:-$RANDOM}
calls=${KVMMEM_FUZZ_CALLS:-100000}
# the debug lab host (KASAN, lockdep) is about ten times slower
case $KVER in *-kvmmem-debug) calls=20000 ;; esac
out=$(TVM_WAIT=300 tvm tf fuzz "$calls" "$seed" $TOK)
diag "hypercall fuzzer (seed $seed): $out in $((SECONDS - t0)) s"
sed 's/^/# tf: /' "$LAB/tf.err"
check "hypercall fuzzer: every answer is one the ABI allows, KVM's own for other numbers" \
	grep -q "unexpected=0" <<<"$out"
diag "fuzzer: throttled $(grep "^kvm-$tfpid " /sys/kernel/debug/kvmmem/introspectors)"
expect "... the target's bytes are unchanged (read-only grant)" "$tsum" "$(tvm tgt sum $M 0x100000)"
target_runs "the fuzzer"
tvm_stop tf
wait_until 10 '[ "$(stat_of live_maps)" = "$live" ]'
expect "... after its VM exits no mapping of it is left" "$live" "$(stat_of live_maps)"
wait_until 10 '[ "$(pins)" = "$pinf" ]'
expect "... and the host's pin counters are back where they were" "$pinf" "$(pins)"

# grants that must be refused
"$BIN/kvmmem-host" grant --target $$ --introspector "$ipid" --token-file $LAB/x.tok >/dev/null 2>&1
expect "a grant naming a process that is not a VM is refused (exit 3)" "3" "$?"
"$BIN/kvmmem-host" grant --target "$ipid" --introspector "$ipid" --token-file $LAB/y.tok >/dev/null 2>&1
expect "a grant naming the same VM twice is refused (exit 1)" "1" "$?"
out=$(python3 - "$tpid" <<'PY'
import errno, fcntl, os, struct, sys
fd = os.open("/dev/kvmmem-host", os.O_RDWR)
null = os.open("/dev/null", os.O_RDONLY)
pidfd = os.pidfd_open(int(sys.argv[1]))
vm = [l for l in os.listdir(f"/proc/{sys.argv[1]}/fd") if os.readlink(f"/proc/{sys.argv[1]}/fd/{l}") == "anon_inode:kvm-vm"][0]
vmfd = __import__("ctypes").CDLL(None).syscall(438, pidfd, int(vm), 0)
buf = bytearray(struct.pack("iiIIQQQQ32s", vmfd, null, 0, 0, 0, 0, 0, 0, b"\0" * 32))
try:
    fcntl.ioctl(fd, 0xc050b701, buf)
    print("accepted")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
)
expect "the module itself refuses a descriptor that is not a KVM VM" "EINVAL" "$out"
"$BIN/kvmmem-host" grant --target "$(tvm_pid tj)" --introspector "$tpid" --token-file $LAB/mut3.tok >/dev/null 2>&1
expect "mutual introspection (a grant the other way round) is refused" "1" "$?"

tvm_token ti $LAB/ti-ro.tok $TOK
# teardown while mapped: the host module cannot be unloaded under an overlay
tvm ti hc 32 $TOK $M 0x400000 >/dev/null
rmmod kvmmem_host 2>/dev/null
expect "rmmod kvmmem_host is refused while an overlay exists (module in use)" "1 kvmmem_host" \
	"$? $(grep -o '^kvmmem_host' /proc/modules)"
expect "... the mapping is intact" "$(tvm tgt peek $M 16)" "$(tvm ti peek 0x400000 16)"
tvm ti hc 33 0x400000 0 0 >/dev/null

# teardown while mapped: kill -9 of the target's VMM
tvm_start t2 64
tvm t2 fill 0 0x10000 3 >/dev/null
g2=$(grant $LAB/t2.tok "$(tvm_pid t2)" "$ipid")
tvm_token ti $LAB/t2.tok $TOK
expect "map from a second target" "rax=0x0" "$(tvm ti hc 32 $TOK 0x1000 0x408000)"
expect "... its bytes" "$(tvm t2 peek 0x1000 16)" "$(tvm ti peek 0x408000 16)"
ended=$(stat_of grants_ended)
tvm_kill t2
wait_until 10 '[ "$(stat_of grants_ended)" -gt "$ended" ]'
check "kill -9 of the target's VMM ends its grant" test "$(stat_of grants_ended)" -gt "$ended"
expect "... the mapping reads the revoked pattern, not the dead VM's memory" "val=0x723a6d656d6d766b" \
	"$(tvm ti gread 0x408000)"
expect "... and the introspector unmaps it" "rax=0x0" "$(tvm ti hc 33 0x408000 0 0)"
check "... the grant is gone from the list" sh -c "! '$BIN/kvmmem-host' list | awk '{ print \$1 }' | grep -qx '$g2'"

# teardown while mapped: kill -9 of the introspector's VMM
tvm_start t3 64
g3=$(grant $LAB/t3.tok "$tpid" "$(tvm_pid t3)")
tvm_token t3 $LAB/t3.tok $TOK
expect "a third VM maps as introspector" "rax=0x0" "$(tvm t3 hc 32 $TOK $M 0x400000)"
live=$(stat_of live_maps)
tvm_kill t3
wait_until 10 '[ "$(stat_of live_maps)" -lt "$live" ]'
expect "kill -9 of the introspector's VMM drops its mapping" "$((live - 1))" "$(stat_of live_maps)"
check "... and ends its grant" sh -c "! '$BIN/kvmmem-host' list | awk '{ print \$1 }' | grep -qx '$g3'"
target_runs "the teardown tests"

# --- the Linux introspector through /dev/kvmmem -------------------------------
if ! INTRO_REBOOT=1 intro_start; then
	nok "introspector VM boots"
else
	intro_run "modprobe kvmmem_guest" >/dev/null
	S=$INTRO_SHARE
	flags0="dc=$(vmm_flag_kb "$(intro_pid)" dc) hg=$(vmm_flag_kb "$(intro_pid)" hg)"
	cp "$BIN/probe" "$BIN/probe32" "$S/"
	grant $S/ro.tok $tpid "$(intro_pid)" >/dev/null
	grant $S/rw.tok $tpid "$(intro_pid)" --rw >/dev/null
	out=$(intro_run "/mnt/probe read /mnt/ro.tok $M 0 32")
	want=$(tvm tgt peek $M 32)
	expect "introspector process reads the target's bytes" "$want" "$(sed -n 1p <<<"$out")"
	expect "unmap succeeds" "unmap: OK" "$(sed -n 2p <<<"$out")"
	expect "after unmap the caller's page reads zeros" "00000000000000000000000000000000" "$(sed -n 3p <<<"$out")"
	c0=$(tvm tgt gread $C)
	out=$(intro_run "/mnt/probe watch /mnt/ro.tok $C 0 5 300")
	c1=$(tvm tgt gread $C)
	if awk 'NR <= 5 { if (NR > 1 && $1 <= prev) bad = 1; prev = $1 } END { exit bad || NR < 5 }' <<<"$out"; then
		ok "the target's live counter changes in the introspector: $(head -5 <<<"$out" | tr '\n' ' ')"
	else
		nok "live counter: $(tr '\n' ' ' <<<"$out")"
		diag "the target's own view before and after: $c0 $c1 (VMM: $(tvm tgt peek $C 8))"
		sed 's/^/# tgt: /' "$LAB/tgt.err"
	fi
	out=$(intro_run "/mnt/probe write /mnt/rw.tok $W 16 0x0102030405060708")
	expect "read-write: the introspector's write is read back by the target" "val=0x102030405060708" "$(tvm tgt gread $((W + 16)))"
	out=$(intro_run "/mnt/probe segv /mnt/ro.tok $M")
	expect "read-only: a write gets SIGSEGV in the writer" "SIGSEGV" "$(sed -n 1p <<<"$out")"
	expect "... the target's bytes are unchanged" "$tsum" "$(tvm tgt sum $M 0x100000)"
	check "... and the introspector VM keeps running" intro_run "true"
	expect "mapping a never-written private page" "map: OK" "$(intro_run "/mnt/probe map /mnt/ro.tok $M zero" | sed -n 1p)"
	expect "... another process still reads zeros from its own untouched page" "other process: zeros" \
		"$(intro_run "/mnt/probe map /mnt/ro.tok $M zero" | sed -n 2p)"
	expect "a MAP_SHARED|MAP_ANONYMOUS|MAP_LOCKED|MAP_POPULATE page maps" "map: OK" \
		"$(intro_run "/mnt/probe map /mnt/ro.tok $M shared" | sed -n 1p)"
	expect "guest: same address twice: EEXIST" "again: EEXIST" "$(intro_run "/mnt/probe map /mnt/ro.tok $M twice" | sed -n 2p)"
	expect "guest: unaligned address: EINVAL" "map: EINVAL" "$(intro_run "/mnt/probe map /mnt/ro.tok $M unaligned")"
	expect "guest: unmapping what is not mapped: ENOENT" "unmap: ENOENT" "$(intro_run "/mnt/probe unmap 0x12345000")"
	out=$(intro_run "/mnt/probe status")
	expect "the status page maps read-only: version 1, known to the host, nothing revoked yet" \
		"version=1 registered=1 revocations=0" "$(sed -n 1p <<<"$out")"
	expect "... a writable, private or other-offset mmap of it is refused" "writable: EPERM|private: EINVAL|offset: EINVAL" \
		"$(sed -n 2,4p <<<"$out" | paste -sd '|')"
	expect "... the host pins one status page" "1" "$(stat_of status_pages)"
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $LAB/wrong.tok
	expect "guest: wrong token: EACCES" "map: EACCES" "$(cp $LAB/wrong.tok $S/; intro_run "/mnt/probe map /mnt/wrong.tok $M")"
	out=$(intro_run "/mnt/probe32 read /mnt/ro.tok $M 0 16")
	expect "32-bit caller (compat_ioctl) maps and unmaps" "$(tvm tgt peek $M 16)|unmap: OK" "$(sed -n 1p <<<"$out")|$(sed -n 2p <<<"$out")"

	# batch ioctls: many pages per hypercall, partial progress, limits
	out=$(intro_run "/mnt/probe batch /mnt/ro.tok $M 200 ok")
	expect "batch map of 200 pages (4 hypercalls)" "map: OK done=200" "$(sed -n 1p <<<"$out")"
	expect "... the caller sees all 200 target pages" "$(tvm tgt sum $M $((200 * 4096)))" "$(sed -n 2p <<<"$out")"
	expect "... batch unmap" "unmap: OK done=200" "$(sed -n 3p <<<"$out")"
	expect "... after which the pages read zeros" "zeros" "$(sed -n 4p <<<"$out")"
	out=$(intro_run "/mnt/probe batch /mnt/ro.tok $M 100 bad 70")
	expect "a bad entry stops a batch there: EINVAL, done=70" "map: EINVAL done=70" "$(sed -n 1p <<<"$out")"
	expect "... the 70 pages before it are mapped" "$(tvm tgt sum $M $((70 * 4096)))" "$(sed -n 2p <<<"$out")"
	expect "... and unmap" "unmap: OK done=70" "$(sed -n 3p <<<"$out")"
	out=$(intro_run "/mnt/probe batch /mnt/ro.tok $M 10 dup 5")
	expect "one address twice in a batch: EEXIST at the second, done=5" "map: EEXIST done=5" "$(sed -n 1p <<<"$out")"
	out=$(intro_run "/mnt/probe batch /mnt/ro.tok $M 10 missing")
	expect "a batch unmap stops at an address that is not mapped: ENOENT, done=10" "unmap: ENOENT done=10" "$(sed -n 2p <<<"$out")"
	out=$(intro_run "/mnt/probe batch /mnt/ro.tok $M 1 limits")
	expect "batch counts 0 and KVMMEM_BATCH_MAX + 1: EINVAL" "zero: EINVAL done=0|over: EINVAL done=0" \
		"$(sed -n 1p <<<"$out")|$(sed -n 2p <<<"$out")"
	out=$(intro_run "/mnt/probe32 batch /mnt/ro.tok $M 10 ok")
	expect "32-bit caller: batch map and unmap" "map: OK done=10|$(tvm tgt sum $M $((10 * 4096)))|unmap: OK done=10" \
		"$(sed -n 1p <<<"$out")|$(sed -n 2p <<<"$out")|$(sed -n 3p <<<"$out")"
	hc0=$(stat_of hypercalls)
	expect "SIGKILL during a long batch (8192 pages) kills the caller" "killed" \
		"$(intro_run "/mnt/probe batch /mnt/ro.tok 0 8192 kill 300" 120)"
	diag "hypercalls during the killed batch and its cleanup: $(($(stat_of hypercalls) - hc0))"
	wait_until 60 '[ "$(stat_of live_maps)" = 0 ]'
	expect "... everything it had mapped is unmapped" "0" "$(stat_of live_maps)"
	expect "... and no page is quarantined" "0" "$(intro_run "cat /sys/module/kvmmem_guest/parameters/quarantined_pages")"
	out=$(intro_run "/mnt/probe batch /mnt/ro.tok $M 256 bench" 120)
	diag "256 pages mapped and unmapped one by one vs in one batch: $out"
	expect "nothing stays mapped after the processes exit" "0" "$(stat_of live_maps)"

	expect "the introspector VMM's RAM keeps its madvise flags (kB with DONTFORK, HUGEPAGE)" "$flags0" \
		"dc=$(vmm_flag_kb "$(intro_pid)" dc) hg=$(vmm_flag_kb "$(intro_pid)" hg)"

	# reset with a read-write page mapped: revoked before the firmware runs
	tvm tgt gwrite $W 0x5555aaaa5555aaaa >/dev/null
	wsum=$(tvm tgt sum $W 0x1000)
	intro_run "(/mnt/probe hold /mnt/rw.tok $W 0 60 > /mnt/hold.log 2>&1 &); sleep 1; head -1 /mnt/hold.log" >/dev/null
	expect "introspector holds a read-write mapping" "1" "$(stat_of live_maps)"
	resets=$(stat_of resets)
	intro_rebooting
	intro_monitor system_reset
	if wait_for 180 test -e "$S/ready"; then
		ok "introspector rebooted after system_reset"
	else
		nok "introspector rebooted after system_reset"
	fi
	check "the reset was seen" test "$(stat_of resets)" -gt "$resets"
	expect "the reset revoked the mapping" "0" "$(stat_of live_maps)"
	expect "... and made the host forget the status page (its next kernel owns that frame)" "0" "$(stat_of status_pages)"
	expect "the target's bytes are unchanged after the introspector rebooted" "$wsum" "$(tvm tgt sum $W 0x1000)"

	intro_run "modprobe kvmmem_guest" >/dev/null

	# a host unmap that fails: the guest never frees the page. Only an
	# unmap of a mapped page by this introspector may use the failure up.
	echo "$(intro_pid)" > /sys/kernel/debug/kvmmem/fail_unmaps_pid
	echo 1 > /sys/kernel/debug/kvmmem/fail_unmaps
	expect "an unmap by another introspector does not use the injected failure up (ENOENT)" \
		"$(neg 2)" "$(tvm tj hc 33 0x500000 0 0)"
	out=$(intro_run "/mnt/probe read /mnt/ro.tok $M 0 16")
	expect "a host unmap that fails reaches the caller (EIO, injected)" "unmap: EIO" "$(sed -n 2p <<<"$out")"
	[ "$(sed -n 2p <<<"$out")" = "unmap: EIO" ] ||
		diag "fault injection: $(cat /sys/kernel/debug/kvmmem/fail_unmaps) left; $(dmesg | grep 'fails on purpose' | tail -n 2)"
	echo 0 > /sys/kernel/debug/kvmmem/fail_unmaps
	echo 0 > /sys/kernel/debug/kvmmem/fail_unmaps_pid
	expect "... the caller's range reads zeros again" "00000000000000000000000000000000" "$(sed -n 3p <<<"$out")"
	expect "... and the guest quarantines the page instead of freeing it" "1" \
		"$(intro_run "cat /sys/module/kvmmem_guest/parameters/quarantined_pages")"

	# halt from inside: the guest's reboot notifier (it runs alike for halt,
	# power-off, restart and kexec) unmaps through the host before the
	# kernel stops, so that the next kernel (kexec) gets plain RAM. Maps
	# are under way meanwhile: a long batch, and a window's set-up (256
	# MiB, a chunk registered at a time). kvmmem_stall (tests/kmod) keeps
	# the kernel going for 3 s after the notifier, so that a map the
	# notifier missed would land. A guest-initiated restart is not used
	# here: in the nested TCG lab it can wedge the lab host itself.
	live0=$(stat_of live_maps) chunks0=$(stat_of window_chunks)
	expect "the reboot stall module loads in the introspector" "loaded" \
		"$(intro_run "insmod $TOP/build/kmod/$KVER/kvmmem_stall.ko mode=reboot ms=3000 && echo loaded")"
	intro_run "(/mnt/probe hold /mnt/rw.tok $W 0 60 > /mnt/hold2.log 2>&1 &); sleep 1; head -1 /mnt/hold2.log" >/dev/null
	intro_run "(/mnt/probe window /mnt/ro.tok $M 16 stop > /mnt/stop.log 2>&1 &); sleep 1; head -1 /mnt/stop.log" >/dev/null
	unmaps=$(stat_of unmaps)
	halted=$(grep -c "System halted" "$LAB/intro-console.log")
	# MemFree falls by 2 MiB a window chunk and 4 KiB a batch page; the
	# window registers its 128 chunks in well under a second, so probe
	# halts from its own loop once the first two are in. The processes
	# stay: a file's close would unregister what the notifier missed.
	cat > "$S/halt-busy.sh" <<-'EOS'
	/mnt/probe batch /mnt/ro.tok 0 8192 linger > /mnt/batch.log 2>&1 &
	/mnt/probe memfree 2048 > /mnt/halt.log
	/mnt/probe window /mnt/ro.tok 0 65536 linger > /mnt/wmap.log 2>&1 &
	/mnt/probe memfree 4096 halt >> /mnt/halt.log
	EOS
	intro_send "sh /mnt/halt-busy.sh"
	wait_until 90 '[ "$(grep -c "System halted" "$LAB/intro-console.log")" -gt "$halted" ]' ||
		diag "the introspector did not say 'System halted' in 90 s"
	diag "$(tr '\n' ' ' < "$S/halt.log") | window: $(tr '\n' ' ' < "$S/wmap.log") | batch: $(tr '\n' ' ' < "$S/batch.log")"
	# the checks below would also pass if both maps had ended before the
	# halt: show that the notifier met them under way
	expect "the halt came while the window's set-up and the batch were under way (both refused)" \
		"window: ESHUTDOWN|map: ESHUTDOWN" \
		"$(head -n 1 "$S/wmap.log")|$(head -n 1 "$S/batch.log" | sed 's/ done=.*//')"
	expect "on halt the guest's reboot notifier unmaps every page through the host, the batch's under way too" \
		"$live0" "$(stat_of live_maps)"
	check "... the held page among them" test "$(stat_of unmaps)" -gt "$unmaps"
	expect "... and unregisters every window chunk, the one being set up too" \
		"$chunks0" "$(stat_of window_chunks)"
	expect "... a window slot touched after the notifier gives SIGBUS, not the frame's old bytes" \
		"stopped: ESHUTDOWN|a fresh slot after the stop: SIGBUS 00" \
		"$(sed -n '/^stopped/,$p' "$S/stop.log" | paste -sd'|')"
	wait_until 10 '[ "$(stat_of status_pages)" = 0 ]'
	expect "... and has the host forget its status page" "0" "$(stat_of status_pages)"
	intro_kill
fi

# --- teardown -------------------------------------------------------------------
for g in $("$BIN/kvmmem-host" list | awk 'NR > 1 { print $1 }'); do
	"$BIN/kvmmem-host" revoke "$g"
done
tvm_stop tj; tvm_stop ti; tvm_stop tgt
end_checks "$pin0"
