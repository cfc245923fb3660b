#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# t-image: evidence images of a paused Linux target, each checked against
# the live target. A Debian target with KASLR on and a Linux introspector:
# kvmmem's Linux commands on a raw image of the paused target answer as
# they do live; the raw, LiME and ELF (a live vmcore) images and the file
# view (kvmmem mount) of the paused target are read by makedumpfile, crash
# and drgn; consistent images through kvmmem-host pause-port (a pause held
# while a dump waits, broken by a kill, another monitor or a revocation).
# lab-typical: 180
# lab-memory: 3G
. "$(dirname "$0")/lib.sh"

KVMMEM_PAUSE_PORT=org.kvmmem.pause
lx_setup || exit 1
lx_stopped

diag "t=$SECONDS s: image"
# --- the same commands on a raw image of the paused target --------------------------
# the target's log up to a mark, just before the pause (for makedumpfile below)
mark2="kvmmem t-image pause $RANDOM$RANDOM"
lt_run tgt "echo '$mark2' > /dev/kmsg; dmesg" >"$LAB/dmesg-paused"
lt_monitor tgt stop >/dev/null
upto "$LAB/dmesg-paused" "$mark2" >"$LAB/dmesg-paused.end"
end=$(kv ranges | tail -n 1 | awk '{ print $2 }')
out=$(intro_run "$K --token-file /mnt/t.tok dump 0 $end /tmp/img.raw; echo rc=\$?" 300)
diag "dump of the paused target: $(tr '\n' ' ' <<<"$out")"
expect "kvmmem dump of the paused target: exit status 0" "rc=0" "$(tail -n 1 <<<"$out")"
for c in "uname -a" "ps -T" "lsmod" "dmesg" "maps $VPID"; do
	want=$(kv "$c" | md5sum)
	got=$(intro_run "$K --image /tmp/img.raw $c 2>/tmp/img.err | md5sum")
	expect "kvmmem $c on a raw image of the paused target: as live" "$want" "$got"
	[ "$want" = "$got" ] && continue
	intro_run "head -c 600 /tmp/img.err; ls -l /tmp/img.raw; free -m; dmesg | tail -n 5" | diag
done

diag "t=$SECONDS s: evidence images"
# --- evidence images of the paused target, read by Debian's forensic tools ---------
# (tests/unit/evidence.sh checks their shape on the seeds; here, a whole image)
ev() {	# FORMAT [OPTION]: kvmmem dump --format FORMAT /tmp/ev.FORMAT; its exit status
	intro_run "$K --token-file /mnt/t.tok dump --format $1 ${2:-} /tmp/ev.$1 >/tmp/ev.out 2>/tmp/ev.err; echo rc=\$?; head -c 300 /tmp/ev.err" 300
}
# kvmmem-host pause-port on a grant of its own lets the introspector pause
# the target (consistent images, below); the target's state comes from its
# human monitor, which the agent does not use
tstate() { lt_monitor tgt "info status" | sed -n 's/^VM status: //p'; }
gid2=$(grant "$INTRO_SHARE/p.tok" "$(lt_pid tgt)" "$(intro_pid)")
intro_run "modprobe virtio_console" >/dev/null
KVMMEM_HOST_LOG_STDERR=1 "$BIN/kvmmem-host" pause-port "$gid2" --lease 2000 >"$LAB/pause.log" 2>&1 &
agent=$!
port=$(intro_run "for i in \$(seq 100); do grep -qsx $KVMMEM_PAUSE_PORT /sys/class/virtio-ports/*/name && break; sleep 0.1; done
grep -lsx $KVMMEM_PAUSE_PORT /sys/class/virtio-ports/*/name | wc -l" 60)
expect "kvmmem-host pause-port ID: the introspector has the port $KVMMEM_PAUSE_PORT" 1 "$port"
out=$(ev raw --pause)
expect "kvmmem dump --format raw --pause of the paused target: exit status 0" "rc=0" "$(head -n 1 <<<"$out")"
[ "$(head -n 1 <<<"$out")" = rc=0 ] || diag <<<"$out"
expect "... its owner paused it: the record says so, and consistent; it is left paused" \
	"already (by its owner)|True|True paused" "$(intro_run "$E pause /tmp/ev.raw.json") $(tstate)"
expect "... cmp: the same bytes as kvmmem dump 0 END" "same" \
	"$(intro_run "cmp /tmp/img.raw /tmp/ev.raw 2>&1 && echo same")"
intro_run "rm -f /tmp/img.raw" >/dev/null
expect "... its SHA-256, printed and in its record, is sha256sum's" "3 1" \
	"$(intro_run "(cat /tmp/ev.out; sha256sum /tmp/ev.raw; $E record /tmp/ev.raw.json | awk '{ print \$1 \"  /tmp/ev.raw\" }') | sort | uniq -c | awk '{ print \$1, NR }'")"
# --- kvmmem mount: the paused target as files (FUSE) -----------------------------
expect "kvmmem mount: DIR/pmem, DIR/ranges and DIR/vmcore" "pmem ranges vmcore" "$(kvmmem_mount /tmp/m /mnt/t.tok)"
expect "... DIR/ranges is kvmmem ranges" "$(kv ranges)" "$(intro_run "cat /tmp/m/ranges")"
expect "... DIR/pmem ends where the last range ends" "$((end))" "$(intro_run "stat -c %s /tmp/m/pmem")"
expect "... SEEK_DATA and SEEK_HOLE give the ranges" "$(kv ranges)" "$(intro_run "$E seek /tmp/m/pmem")"
expect "... cmp: DIR/pmem has the bytes of kvmmem dump --format raw (32 MiB of RAM from 16 MiB)" "same" \
	"$(intro_run "cmp -n 33554432 -i 16777216 /tmp/m/pmem /tmp/ev.raw 2>&1 && echo same" 300)"
intro_run "makedumpfile --dump-dmesg /tmp/m/vmcore /tmp/m.dmesg >/tmp/md.out 2>&1; cat /tmp/m.dmesg; rm -f /tmp/m.dmesg" 300 \
	>"$LAB/dmesg-mount"
upto "$LAB/dmesg-mount" "$mark2" >"$LAB/dmesg-mount.end"
check "... makedumpfile --dump-dmesg DIR/vmcore: the target's dmesg" \
	test -s "$LAB/dmesg-paused.end" -a "$(md5sum <"$LAB/dmesg-paused.end")" = "$(md5sum <"$LAB/dmesg-mount.end")"
expect "... crash --osrelease DIR/vmcore" "$GKVER" "$(intro_run "crash --osrelease /tmp/m/vmcore 2>&1")"
expect "... drgn reads DIR/vmcore" "$GKVER $GKVER" "$(intro_run "$E drgn /tmp/m/vmcore 2>&1 | tail -n 1" 120)"
out=$(ev lime)
expect "kvmmem dump --format lime: exit status 0" "rc=0" "$(head -n 1 <<<"$out")"
expect "... a LiME header per RAM range, with the raw image's bytes" \
	"ok $(kv ranges | wc -l) ranges" \
	"$(intro_run "$E lime /tmp/ev.lime /tmp/ev.raw '$(kv ranges | paste -sd' ')'; rm -f /tmp/ev.lime /tmp/ev.raw")"
out=$(ev elf)
expect "kvmmem dump --format elf (a live vmcore): exit status 0" "rc=0" "$(head -n 1 <<<"$out")"
intro_run "makedumpfile --dump-dmesg /tmp/ev.elf /tmp/ev.dmesg >/tmp/md.out 2>&1; cat /tmp/ev.dmesg" 300 \
	>"$LAB/dmesg-makedumpfile"
upto "$LAB/dmesg-makedumpfile" "$mark2" >"$LAB/dmesg-makedumpfile.end"
check "makedumpfile --dump-dmesg on it (no vmlinux): the target's dmesg, up to a line written before the pause" \
	test -s "$LAB/dmesg-paused.end" -a "$(md5sum <"$LAB/dmesg-paused.end")" = "$(md5sum <"$LAB/dmesg-makedumpfile.end")"
diff "$LAB/dmesg-paused.end" "$LAB/dmesg-makedumpfile.end" | head -n 6 | diag
intro_run "tail -n 3 /tmp/md.out" | diag
expect "makedumpfile -d 31 -c on it writes a filtered kdump image" "rc=0 KDUMP" \
	"$(intro_run "makedumpfile -d 31 -c /tmp/ev.elf /tmp/ev.kdump >/tmp/md.out 2>&1; echo rc=\$? \$(head -c 5 /tmp/ev.kdump); rm -f /tmp/ev.kdump" 300)"
expect "drgn reads init_uts_ns's release, at its virtual and its physical address" "$GKVER $GKVER" \
	"$(intro_run "$E drgn /tmp/ev.elf 2>&1 | tail -n 1; rm -f /tmp/ev.elf" 120)"
lt_monitor tgt cont >/dev/null
alive=$(lt_run tgt 'echo ok')
expect "the target runs on after the pause" ok "$alive"
[ "$alive" = ok ] || lt_log tgt

diag "t=$SECONDS s: consistent images"
# --- a consistent image: kvmmem dump --pause, through kvmmem-host pause-port
pdump() {	# FILE: kvmmem dump --pause of the target into FILE, in the background
	intro_run "setsid $K --token-file /mnt/p.tok dump --format raw --pause $1 </dev/null >/tmp/pd.out 2>&1 & echo \$!"
}
out=$(intro_run "$K --token-file /mnt/p.tok dump --format raw --pause /tmp/pz.raw >/dev/null 2>/tmp/pz.err; echo rc=\$?; $E pause /tmp/pz.raw.json; rm -f /tmp/pz.raw /tmp/pz.raw.json" 300)
expect "kvmmem dump --pause: exit status 0; the record says paused by kvmmem-host, consistent, for a time" \
	"rc=0 by kvmmem-host|True|True" "$(paste -sd' ' <<<"$out")"
[ "$(head -n 1 <<<"$out")" = rc=0 ] || intro_run "cat /tmp/pz.err" | diag
expect "... and the target runs again after it" running "$(tstate)"
# a dump into a FIFO holds its pause while open() waits for a reader
intro_run "rm -f /tmp/pf; mkfifo /tmp/pf" >/dev/null
dpid=$(pdump /tmp/pf)
wait_until 60 '[ "$(tstate)" = paused ]'
expect "a dump that waits holds the pause (the target's monitor: paused)" paused "$(tstate)"
t0=$SECONDS
intro_run "kill -9 $dpid" >/dev/null
wait_until 20 '[ "$(tstate)" = running ]'
expect "... killed, the target runs again within the lease (2 s; took $((SECONDS - t0)) s)" running "$(tstate)"
check "... and the agent logs the broken pause" grep -q 'pause-broken .*no word from the introspector' "$LAB/pause.log"
dpid=$(pdump /tmp/pf)
wait_until 60 '[ "$(tstate)" = paused ]'
lt_monitor tgt cont >/dev/null
check "a target resumed by another monitor during a pause: the agent sees it (RESUME) and logs the pause broken" \
	wait_until 20 'grep -q "pause-broken .*ran again without us" "$LAB/pause.log"'
intro_run "kill -9 $dpid" >/dev/null
dpid=$(pdump /tmp/pf)
wait_until 60 '[ "$(tstate)" = paused ]'
"$BIN/kvmmem-host" revoke "$gid2" >/dev/null
check "the grant revoked during a pause: the agent resumes the target and ends" \
	wait_until 20 '! kill -0 $agent 2>/dev/null && [ "$(tstate)" = running ]'
wait "$agent"; arc=$?
expect "... with exit status 0, saying why" "0 1" "$arc $(grep -c 'pause-port-end .*the grant has ended' "$LAB/pause.log")"
intro_run "kill -9 $dpid; rm -f /tmp/pf" >/dev/null
out=$(intro_run "$K --token-file /mnt/t.tok dump --format raw --pause /tmp/pz.raw >/dev/null 2>/tmp/pz.err; echo rc=\$?; ls /tmp/pz.raw* 2>/dev/null | wc -l; grep -c 'no port $KVMMEM_PAUSE_PORT' /tmp/pz.err" 60)
expect "... and it removed the port: dump --pause fails at once, with no image" "rc=1 0 1" "$(paste -sd' ' <<<"$out")"
sed 's/^/# agent: /' "$LAB/pause.log" | tail -n 12
intro_run "fusermount3 -u /tmp/m" >/dev/null

diag "t=$SECONDS s: end"
intro_stop
lt_stop tgt
end_checks "$PIN0"
