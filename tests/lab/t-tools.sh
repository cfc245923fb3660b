#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# t-tools: libkvmmem and the kvmmem command in a Linux introspector, end to
# end, with exact bytes: read, a 64 MiB dump compared with the target VMM's
# own memory (read through /proc/PID/mem; the target's vCPUs do not run),
# holes, RAM ranges (with a slot above 4 GiB), find across chunk
# boundaries, watch of a live counter, writes through the file view
# (kvmmem mount --rw) under a read-write grant, libkvmmem's
# single-page, batch and window calls, the token
# from a file, standard input and the environment, its delivery through a
# hot-added port (to a VM named by pid, and by libvirt domain name), and
# one clear line and the documented exit code for each error.
# lab-typical: 150
. "$(dirname "$0")/lib.sh"

MIB=64
P=0x100000		# patterned from here to the end of RAM
F1=0x1234560		# "kvmmemF!" here...
F2=$((P + (4 << 20) - 3))	# ...and across the end of the tool's first chunk
C=0x2000000		# a live counter
K=/mnt/kvmmem

load_kvm
load_host || { nok "kvmmem_host loads"; exit 1; }
pin0=$(pins)
# kvmmem-host status with the module loaded: through libkmod and sysfs
out=$("$BIN/kvmmem-host" status)
rc=$?
expect "kvmmem-host status with kvmmem_host loaded: state, version, device, parameters (exit 0)" \
	"kvmmem_host: loaded|state: live|version: $(cat "$TOP/VERSION")|refcount: 0|device: /dev/kvmmem-host|parameter bad_token_backoff_ms: 100|parameter bad_token_burst: 8|parameter stack_watch: N|rc=0" \
	"$(paste -sd '|' <<<"$out")|rc=$rc"
tvm_start tt $MIB || { nok "the target starts"; exit 1; }
tvm tt fill $P $(((MIB << 20) - P)) 11 >/dev/null
tvm tt poke $F1 0x21466d656d6d766b >/dev/null
tvm tt poke $F2 0x21466d656d6d766b >/dev/null
tpid=$(tvm_pid tt)
# no /dev/fd in the lab host: no process substitution
hva=$(tvm tt ram | sed 's/hva=//; s/ size=.*//')

if ! intro_start; then
	nok "introspector VM boots"
	tvm_stop tt
	exit 1
fi
S=$INTRO_SHARE
intro_run "modprobe kvmmem_guest" >/dev/null
cp "$BIN/kvmmem" "$S/"
grant "$S/t.tok" "$tpid" "$(intro_pid)" >/dev/null

# where the target's RAM is: its RAM at 0 and a slot added at 4 GiB (the
# ROM at 2 GiB is not RAM to map)
expect "the target gets a 2 MiB memslot at 4 GiB" ok "$(tvm tt addslot 0x100000000 2 21)"
expect "kvmmem ranges: the target's RAM ranges under the grant" \
	"0x0 0x$(printf '%x' $((MIB << 20)))|0x100000000 0x100200000" \
	"$(intro_run "$K --token-file /mnt/t.tok ranges" | paste -sd'|')"
want=$(for i in 0 1 2 3 4 5 6 7; do printf '%02x' $(((i * 131 + 21) & 255)); done)
expect "... and kvmmem reads the slot above 4 GiB" "$want" \
	"$(intro_run "$K --token-file /mnt/t.tok read 0x100000000 8 --raw | od -An -tx1 | tr -d ' \\n'")"

# read, with the token from each source
want=$(tvm tt peek $P 32)
expect "kvmmem read --raw (token file) gives the target's bytes" "$want" \
	"$(intro_run "$K --token-file /mnt/t.tok read $P 32 --raw | od -An -tx1 | tr -d ' \\n'")"
expect "... token from the environment (KVMMEM_TOKEN)" "$want" \
	"$(intro_run "KVMMEM_TOKEN=\$(cat /mnt/t.tok) $K read $P 32 --raw | od -An -tx1 | tr -d ' \\n'")"
expect "... token from standard input" "$want" \
	"$(intro_run "$K --token-stdin read $P 32 --raw < /mnt/t.tok | od -An -tx1 | tr -d ' \\n'")"
out=$(intro_run "$K --token-file /mnt/t.tok read $P 20")
expect "kvmmem read: a hex dump with addresses" \
	"0000000000100000  $(sed 's/\(..\)/\1 /g; s/^\(.\{24\}\)/\1 /' <<<"${want:0:32}")" \
	"$(sed -n 1p <<<"$out" | cut -c1-67)"

# dump: 64 MiB, then a range that runs past the end of RAM
t0=$SECONDS
err=$(intro_run "$K --token-file /mnt/t.tok dump 0 ${MIB}M /mnt/d.bin 2>&1 >/dev/null" 600)
diag "dump of $MIB MiB: $err (lab host: $((SECONDS - t0)) s)"
dd if=/proc/$tpid/mem of="$LAB/ram.bin" bs=1M iflag=skip_bytes,count_bytes skip=$((hva)) count=$((MIB << 20)) 2>/dev/null
check "kvmmem dump of the target's whole $MIB MiB reproduces its bytes exactly" cmp -s "$S/d.bin" "$LAB/ram.bin"
check "... and reports no hole" grep -q ' 0 hole pages' <<<"$err"
err=$(intro_run "$K --token-file /mnt/t.tok dump $(((MIB << 20) - 0x10000)) 128K /mnt/h.bin 2>&1 >/dev/null")
expect "a dump that runs past the end of RAM skips the hole (16 pages) cleanly" "16 hole pages" \
	"$(grep -o '[0-9]* hole pages' <<<"$err")"
tail -c 65536 "$LAB/ram.bin" > "$LAB/want.bin"
head -c 65536 /dev/zero >> "$LAB/want.bin"
check "... RAM's last 64 KiB, then 64 KiB of zeros" cmp -s "$S/h.bin" "$LAB/want.bin"
rm -f "$S/d.bin" "$S/h.bin" "$LAB/ram.bin" "$LAB/want.bin"

# libkvmmem's mapping calls, outside its pool: one page, a batch, a window
N=600
cp "$BIN/libcheck" "$S/"
out=$(intro_run "/mnt/libcheck /mnt/t.tok $P $N 2>&1; echo rc=\$?")
diag "libcheck: $(paste -sd ' ' <<<"$out")"
lsum=$(tvm tt sum $P $((N * 4096)))
expect "libkvmmem: kvmmem_map gives the target's page, kvmmem_unmap undoes it" \
	"map=$(tvm tt sum $P 4096 | cut -d= -f2) unmap=0" "$(grep '^map=' <<<"$out")"
expect "... kvmmem_map_batch of $N pages: the target's exact bytes" "batch done=$N $lsum" \
	"$(grep '^batch' <<<"$out")"
expect "... kvmmem_unmap_batch unmaps all $N (batched ioctls)" "unbatch=0 done=$N" "$(grep '^unbatch=' <<<"$out")"
expect "... kvmmem_window, kvmmem_window_map of $N pages into slots 100..: exact bytes" \
	"window done=$N $lsum" "$(grep '^window' <<<"$out")"
expect "... kvmmem_window_unmap empties the slots: they read as the revoked pattern" \
	"emptied=kvmmem:revoked!" "$(grep '^emptied=' <<<"$out")"
expect "... a second window on a handle: EBUSY; slots past its end: EINVAL" \
	"again=EBUSY outside=EINVAL" "$(grep -E '^(again|outside)=' <<<"$out" | paste -sd ' ')"

# find
expect "kvmmem find: both matches, one across a 4 MiB chunk boundary" "$(printf '%#x\n%#x' $F2 $F1)" \
	"$(intro_run "$K --token-file /mnt/t.tok find $P $(((MIB << 20) - P)) 'kvmmemF!'")"
intro_run "$K --token-file /mnt/t.tok find $P 1M hex:00112233445566778899aabbccddeeff" >/dev/null
expect "... no match: exit 6" "6" "$?"

# watch a live counter
tvm tt counter $C >/dev/null
out=$(intro_run "$K --token-file /mnt/t.tok watch $C 16 -i 100 -n 5")
tvm tt stopcounter >/dev/null
diag "watch: $(grep -c '^round' <<<"$out") rounds, $(grep -c '\*' <<<"$out") lines with changed bytes"
check "kvmmem watch: 5 rounds of a live counter, changed bytes marked" \
	test "$(grep -c '^round' <<<"$out")" = 5 -a "$(grep -c '\*' <<<"$out")" -ge 3

# the file view's writes: kvmmem mount --rw under a read-write grant
W=0x3000ff8		# 16 bytes across a page boundary
rwgid=$(grant "$S/rw.tok" "$tpid" "$(intro_pid)" --rw)
kvmmem_mount /tmp/w /mnt/rw.tok --rw >/dev/null
kvmmem_mount /tmp/r /mnt/rw.tok >/dev/null
kvmmem_mount /tmp/x /mnt/t.tok --rw >/dev/null
intro_run "printf 0123456789abcdef | dd of=/tmp/w/pmem bs=16 count=1 seek=$((W)) oflag=seek_bytes conv=notrunc 2>/dev/null" >/dev/null
expect "kvmmem mount --rw: a write to DIR/pmem (dd conv=notrunc) lands in the target's RAM, across a page boundary" \
	"30313233343536373839616263646566" "$(tvm tt peek $W 16)"
expect "... and the next read() of DIR/pmem shows it" "0123456789abcdef" \
	"$(intro_run "dd if=/tmp/w/pmem bs=16 count=1 skip=$((W)) iflag=skip_bytes 2>/dev/null")"
out=$(intro_run "printf 0123456789abcdef | dd of=/tmp/w/pmem bs=16 count=1 seek=$(((MIB << 20) - 8)) oflag=seek_bytes conv=notrunc 2>&1; echo rc=\$?; grep -c 'write to pmem at .*: not RAM of the target' /tmp/w.log")
check "... a write that runs into a hole fails with EIO and a log line ($(paste -sd' ' <<<"$out"))" \
	grep -qz "Input/output error.*rc=1.*1" <<<"$out"
out=$(intro_run "printf xx | dd of=/tmp/r/pmem bs=2 count=1 seek=$((W)) oflag=seek_bytes conv=notrunc 2>&1; echo rc=\$?")
check "... without --rw the file view is read-only (EROFS) ($(paste -sd' ' <<<"$out"))" \
	grep -qz "Read-only file system.*rc=1" <<<"$out"
out=$(intro_run "printf xx | dd of=/tmp/x/pmem bs=2 count=1 seek=$((W)) oflag=seek_bytes conv=notrunc 2>&1; echo rc=\$?; grep -c 'the grant is read-only' /tmp/x.log")
check "... --rw under a read-only grant: EROFS and a log line ($(paste -sd' ' <<<"$out"))" \
	grep -qz "Read-only file system.*rc=1.*1" <<<"$out"
expect "... and the target's bytes are only what the read-write mount wrote" \
	"30313233343536373839616263646566" "$(tvm tt peek $W 16)"
"$BIN/kvmmem-host" revoke "$rwgid" >/dev/null
out=$(intro_run "printf xx | dd of=/tmp/w/pmem bs=2 count=1 seek=$((W)) oflag=seek_bytes conv=notrunc 2>&1; echo rc=\$?")
check "... after the grant is revoked, a write fails with EIO ($(paste -sd' ' <<<"$out"))" \
	grep -qz "Input/output error.*rc=1" <<<"$out"
intro_run "fusermount3 -u /tmp/w; fusermount3 -u /tmp/r; fusermount3 -u /tmp/x
for i in \$(seq 100); do pgrep -f 'mount /tmp/' >/dev/null || break; sleep 0.1; done" >/dev/null
expect "... unmounted: no daemon is left and nothing is mapped on the host" "0 0" \
	"$(intro_run "pgrep -fc 'mount /tmp/'") $(stat_of live_maps)"

# errors: one line each, documented exit codes
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$S/bad.tok"
out=$(intro_run "$K --token-file /mnt/bad.tok read $P 16 2>&1; echo rc=\$?")
expect "a wrong token: one line, exit 5" "kvmmem: read at 0x100000: wrong, revoked or expired token|rc=5" \
	"$(paste -sd '|' <<<"$out")"
out=$(intro_run "$K read $P 16 2>&1; echo rc=\$?")
expect "no token: one line, exit 3" "kvmmem: no token: use --token-file FILE, --token-stdin, --token-port or KVMMEM_TOKEN|rc=3" \
	"$(paste -sd '|' <<<"$out")"
out=$(intro_run "$K --token-file /mnt/t.tok read 0x10000000 16 2>&1; echo rc=\$?")
expect "not RAM of the target: one line, exit 1" \
	"kvmmem: read at 0x10000000: not RAM of the target (a hole or device memory)|rc=1" "$(paste -sd '|' <<<"$out")"
intro_run "rmmod kvmmem_guest" >/dev/null
out=$(intro_run "$K --token-file /mnt/t.tok read $P 16 2>&1; echo rc=\$?")
expect "module not loaded: one line, exit 4" "kvmmem: no /dev/kvmmem: is the kvmmem_guest module loaded?|rc=4" \
	"$(paste -sd '|' <<<"$out")"
intro_run "modprobe kvmmem_guest" >/dev/null
"$BIN/kvmmem-host" revoke "$("$BIN/kvmmem-host" list | awk 'NR == 2 { print $1 }')" >/dev/null
out=$(intro_run "$K --token-file /mnt/t.tok read $P 16 2>&1; echo rc=\$?")
expect "its only grant revoked: one line, exit 5" \
	"kvmmem: read at 0x100000: the host grants this VM nothing (no grant, or kvmmem_host is not loaded)|rc=5" \
	"$(paste -sd '|' <<<"$out")"

# the token channel: QEMU adds a virtio-serial port to the running
# introspector (no network), which reads the token once
intro_run "modprobe virtio_console" >/dev/null
out=$("$BIN/kvmmem-host" grant --target "$tpid" --introspector "$(intro_pid)" --deliver \
	--token-file "$LAB/d.tok" 2>&1)
check "kvmmem-host grant --deliver: the token goes into the running introspector ($out)" \
	grep -qx 'grant [0-9]*' <<<"$out"
expect "... kvmmem --token-port save-token keeps it (mode 0600); kvmmem read with it gives the target's bytes" \
	"600 $want" "$(intro_run "$K --token-port save-token /tmp/p.tok && stat -c '%a ' /tmp/p.tok | tr -d '\n' &&
	$K --token-file /tmp/p.tok read $P 32 --raw | od -An -tx1 | tr -d ' \\n'" 90)"
expect "... it is the granted token (same sha256)" "$(sha256sum < "$LAB/d.tok")" \
	"$(intro_run "sha256sum < /tmp/p.tok")"
s0=$SECONDS
out=$(intro_run "KVMMEM_PORT_WAIT=3 $K --token-port read $P 16 2>&1; echo rc=\$?" 90)
expect "... the port gives it once: one line, exit 3 (after KVMMEM_PORT_WAIT=3 s, not 30: $((SECONDS - s0)) s)" \
	"kvmmem: the token port org.kvmmem.token gave nothing (it is read once)|rc=3|short" \
	"$(paste -sd '|' <<<"$out")|$( [ $((SECONDS - s0)) -lt 20 ] && echo short)"
# again, as for a VM that libvirt runs: named through libvirt's pid file,
# its QMP socket given with --qmp (libvirt keeps the VM's own monitor)
mkdir -p "$LAB/libvirt"
printf '%s' "$(intro_pid)" >"$LAB/libvirt/intro.pid"
check "kvmmem-host deliver sends it again to libvirt:NAME --qmp PATH (a new port replaces the old one)" \
	env KVMMEM_LIBVIRT_RUNDIR="$LAB/libvirt" "$BIN/kvmmem-host" deliver --introspector libvirt:intro \
	--qmp "$LAB/intro.qmp" --token-file "$LAB/d.tok"
expect "... and kvmmem --token-port read gives the target's bytes" "$want" \
	"$(intro_run "$K --token-port read $P 32 --raw | od -An -tx1 | tr -d ' \\n'" 90)"

intro_stop
tvm_stop tt
end_checks "$pin0"
