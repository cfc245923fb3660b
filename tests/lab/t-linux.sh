#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# t-linux: a Linux target understood from its memory alone. A Debian target
# with KASLR on (its default) and a Linux introspector; every answer of
# kvmmem's Linux commands is compared with what the target itself reports
# through its command channel: uname, ps (a non-root process with a
# distinctive name, a process reaped before the walk), lsmod, dmesg (a line
# written to /dev/kmsg just before), a stopped process's maps and buffer,
# linux_banner; a forged VMCOREINFO planted by a target process; a
# rootkit-like module that unlinks a task and itself (--hidden); the file
# view of the running target (live reads, YARA, revocation); YARA on
# processes and the kernel; and a target of the other kernel (the cross
# pair). Images of a paused target are t-image's.
# lab-typical: 220
# lab-memory: 3G
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/kernels.sh"

OTHER=$(kver_61)
[ "$OTHER" = "$GKVER" ] && OTHER=$(kver_612)
lx_setup || exit 1

# --- uname -----------------------------------------------------------------
t0=$SECONDS
expect "kvmmem uname is the target's uname -r ($GKVER, KASLR on)" \
	"$(lt_run tgt 'uname -r')" "$(kv uname)"
diag "kvmmem uname took $((SECONDS - t0)) s (the kernel found from the grant alone)"
check "the target runs with KASLR (a non-zero KERNELOFFSET)" \
	grep -qv '^KERNELOFFSET=0$' <<<"$(kv vmcoreinfo | grep '^KERNELOFFSET=')"
t0=$SECONDS
full=$(kv uname -a)
diag "kvmmem uname -a took $((SECONDS - t0)) s (the kernel's place kept from the first command)"
want=$(lt_run tgt 'uname -a')
expect "kvmmem uname -a is the target's uname -a (without the OS name)" \
	"${want% GNU/Linux}" "$full"

diag "t=$SECONDS s: ps"
# --- ps ----------------------------------------------------------------------
canary=$(lt_run tgt 'cp /bin/sleep /tmp/kvmmem-canary; setpriv --reuid=4242 --regid=4242 --clear-groups /tmp/kvmmem-canary 1000 >/dev/null 2>&1 & echo $!')
reaped=$(lt_run tgt 'cp /bin/sleep /tmp/kvmmem-reaped; /tmp/kvmmem-reaped 1000 & p=$!; kill $p; wait $p; echo $p')
lt_run tgt "sh $TOP/tests/lab/procs.sh" >"$LAB/ps-before"
kv "ps --json" >"$LAB/ps-kvmmem.json"
lt_run tgt "sh $TOP/tests/lab/procs.sh" >"$LAB/ps-after"
res=$(python3 "$TOP/tests/lab/ps-compare.py" "$LAB/ps-before" "$LAB/ps-after" \
	"$LAB/ps-kvmmem.json" 2>"$LAB/ps-compare.diag")
sed 's/^/# /' "$LAB/ps-compare.diag" | head -n 20
check "kvmmem ps: every process there before and after has the same PID, PPID, EUID and COMM ($res)" \
	grep -qE '^common=[1-9][0-9]+ missing=0 wrong=0$' <<<"$res"
kps=$(kv ps)
expect "kvmmem ps: the header" "PID PPID UID STATE COMM" "$(head -n 1 <<<"$kps" | xargs)"
expect "... the non-root process with a distinctive name (uid 4242)" \
	"$canary 4242 kvmmem-canary" "$(awk -v p="$canary" '$1 == p { print $1, $3, $5 }' <<<"$kps")"
expect "... a process killed and reaped before the walk is not listed" "" \
	"$(awk '$5 == "kvmmem-reaped"' <<<"$kps")"
expect "... the reaped process's pid is not listed as it" "" \
	"$(awk -v p="$reaped" '$1 == p && $5 == "kvmmem-reaped"' <<<"$kps")"

# --- lsmod ---------------------------------------------------------------------
expect "kvmmem lsmod: the target's modules, names and sizes as /proc/modules has them" \
	"$(lt_run tgt "cut -d' ' -f1,2 /proc/modules" | paste -sd' ')" \
	"$(kv lsmod | cut -d' ' -f1,2 | paste -sd' ')"

# --- dmesg -----------------------------------------------------------------------
mark="kvmmem t-linux mark $RANDOM$RANDOM"
lt_run tgt "echo '$mark' > /dev/kmsg; dmesg" >"$LAB/dmesg-target"
kv dmesg >"$LAB/dmesg-kvmmem"
check "kvmmem dmesg: the last lines are the target's dmesg, up to a line written to /dev/kmsg" \
	test -n "$(upto "$LAB/dmesg-target" "$mark")" -a \
	"$(upto "$LAB/dmesg-target" "$mark" | md5sum)" = "$(upto "$LAB/dmesg-kvmmem" "$mark" | md5sum)"
# no /dev/fd in the lab host: no process substitution
upto "$LAB/dmesg-target" "$mark" >"$LAB/dmesg-target.end"
upto "$LAB/dmesg-kvmmem" "$mark" >"$LAB/dmesg-kvmmem.end"
diff "$LAB/dmesg-target.end" "$LAB/dmesg-kvmmem.end" | head -n 10 | sed 's/^/# /'
expect "... the whole log: as many lines as the target's up to there" \
	"$(grep -n -F "$mark" "$LAB/dmesg-target" | tail -n 1 | cut -d: -f1)" \
	"$(grep -n -F "$mark" "$LAB/dmesg-kvmmem" | tail -n 1 | cut -d: -f1)"

# --- a stopped process: maps and its buffer -----------------------------------------
lx_stopped
expect "kvmmem maps PID of a stopped process is its /proc/PID/maps" \
	"$(lt_run tgt "cat /proc/$VPID/maps" | md5sum)" "$(kv maps "$VPID" | md5sum)"
lt_run tgt "cat /proc/$VPID/maps" >"$LAB/maps-target"
kv maps "$VPID" >"$LAB/maps-kvmmem"
diff "$LAB/maps-target" "$LAB/maps-kvmmem" | head -n 10 | sed 's/^/# /'
expect "kvmmem ps -T: that process's threads, as its /proc/PID/task lists them" \
	"$(lt_run tgt "ls /proc/$VPID/task" | sort -n | paste -sd' ')" \
	"$(kv "ps -T" | awk -v p="$VPID" '$1 == p { print $2 }' | sort -n | paste -sd' ')"
expect "kvmmem vread --pid: the buffer that process filled" \
	"$(for i in $(seq 400); do printf KVMMEM-VREAD-; done | md5sum)" \
	"$(kv "vread --pid $VPID 0x$VADDR $VLEN --raw" | md5sum)"
expect "kvmmem vread linux_banner: the target's /proc/version" \
	"$(lt_run tgt 'cat /proc/version')" \
	"$(kv "vread linux_banner 512 --raw" | tr '\0' '\n' | head -n 1)"

diag "t=$SECONDS s: forged"
# --- a forged VMCOREINFO, planted by a process of the target -------------------------
kv vmcoreinfo >"$LAB/vmcoreinfo"
sed 's/^OSRELEASE=.*/OSRELEASE=6.6.6-forged/' "$LAB/vmcoreinfo" >"$TS/forged1"
sed -e 's/^NUMBER(phys_base)=.*/NUMBER(phys_base)=0/' -e 's/^KERNELOFFSET=.*/KERNELOFFSET=0/' \
	"$LAB/vmcoreinfo" >"$TS/forged2"
for f in 1 2; do
	lt_run tgt "python3 $TOP/tests/lab/plant.py /mnt/forged$f /mnt/planted$f >/dev/null 2>&1 &" >/dev/null
	wait_for 120 test -s "$TS/planted$f"
done
out=$(intro_run "$K --token-file /mnt/t.tok --rescan uname 2>&1" 120)
expect "two forged VMCOREINFO pages in a target process: kvmmem uname still names the real kernel" \
	"$GKVER" "$(grep -v '^kvmmem: warning' <<<"$out")"
expect "... and says it ignored the forgeries" 2 \
	"$(grep -c 'VMCOREINFO page that does not match' <<<"$out")"

diag "t=$SECONDS s: rootkit"
# --- a rootkit: a task and a module unlinked ---------------------------------------
expect "kvmmem ps --hidden and lsmod --hidden: nothing hidden before" "1|" \
	"$(kv "ps --hidden" | wc -l)|$(kv "lsmod --hidden")"
hpid=$(lt_run tgt 'cp /bin/sleep /tmp/kvmmem-hidden; /tmp/kvmmem-hidden 100000 >/dev/null 2>&1 & echo $!')
check "the rootkit-like module loads in the target (hides pid $hpid and itself)" \
	lt_run tgt "insmod $TOP/build/kmod/$GKVER/kvmmem_hide.ko pid=$hpid"
expect "... the target's /proc/modules no longer lists it" "" \
	"$(lt_run tgt 'grep kvmmem_hide /proc/modules')"
expect "kvmmem ps: the unlinked task is not in the task list" "" \
	"$(kv ps | awk '$5 == "kvmmem-hidden"')"
expect "kvmmem ps --hidden: it is in the pid table" "$hpid kvmmem-hidden" \
	"$(kv "ps --hidden" | awk 'NR > 1 { print $1, $5 }')"
expect "kvmmem lsmod --hidden: the module that unlinked itself" "kvmmem_hide" \
	"$(kv "lsmod --hidden" | cut -d' ' -f1)"

diag "t=$SECONDS s: file view"
expect "kvmmem mount of the running target: DIR/pmem, DIR/ranges and DIR/vmcore" \
	"pmem ranges vmcore" "$(kvmmem_mount /tmp/m /mnt/t.tok)"
# --- the file view of the running target: live reads, revocation, unmount -------
jiffies=$(kv "kallsyms | awk '\$3 == \"jiffies_64\" { print \$1 }'")
pbase=$(kv "vmcoreinfo | sed -n 's/^NUMBER(phys_base)=//p'")
expect "kvmmem mount: the next read() of DIR/pmem shows the target's writes (jiffies_64 by its physical address)" \
	"changed" "$(intro_run "$E live /tmp/m/pmem $jiffies $pbase")"
# --- YARA: a 64-byte marker that a target process derives and holds in its heap,
# and another split across two pages that are not physically adjacent
mpid=$(lt_run tgt "/usr/bin/python3 $TOP/tests/lab/marker.py /mnt/marker >/dev/null 2>/mnt/marker.err & echo \$!")
wait_for 60 test -s "$TS/marker" || diag "the marker process did not start: $(cat "$TS/marker.err")"
m1=$(awk '$1 == "m1" { print $2 }' "$TS/marker")
read -r m2 m2va m2pa m2pb <<<"$(awk '$1 == "m2" { print $2, $3, $4, $5 }' "$TS/marker")"
printf 'rule m1 { strings: $a = { %s } condition: $a }\nrule m2 { strings: $a = { %s } condition: $a }\n' \
	"$m1" "$m2" >"$INTRO_SHARE/rules.yar"
expect "yara on DIR/pmem finds the marker in the process's heap" "m1 /tmp/m/pmem" \
	"$(intro_run "yara /mnt/rules.yar /tmp/m/pmem 2>&1 | sort -u" 300)"
expect "kvmmem yara (physical memory) finds it" "m1 pid=- comm=- va=-" \
	"$(intro_run "$K --token-file /mnt/t.tok yara /mnt/rules.yar 2>&1 | cut -d' ' -f1-4 | sort -u" 300)"
out=$(intro_run "$K --token-file /mnt/t.tok yara /mnt/rules.yar --pid $mpid 2>&1" 300)
expect "kvmmem yara --pid: in that process" "m1 pid=$mpid comm=python3" \
	"$(grep '^m1 ' <<<"$out" | cut -d' ' -f1-3 | sort -u)"
expect "kvmmem yara --pid: the marker across two pages that are not physically adjacent (0x$m2pa, next page 0x$m2pb)" \
	"m2 pid=$mpid comm=python3 va=0x$m2va pa=0x$m2pa" "$(grep '^m2 ' <<<"$out" | cut -d' ' -f1-5)"
[ -n "$(grep '^m2 ' <<<"$out")" ] || diag <<<"$out"
out=$(intro_run "$K --token-file /mnt/t.tok yara /mnt/rules.yar --all 2>&1" 600)
expect "kvmmem yara --all names the process, and only it" "m1 pid=$mpid comm=python3" \
	"$(grep '^m1 ' <<<"$out" | cut -d' ' -f1-3 | sort -u | paste -sd' ')"
lt_run tgt "kill $mpid" >/dev/null
# the kernel's virtual memory: linux_banner in its image, and the module
# that unlinked itself from the module list (its format string, which no
# log line holds as it is), in the module area
banner=$(kv "kallsyms | awk '\$3 == \"linux_banner\" { print \$1 }'")
printf 'rule k1 { strings: $a = "Linux version %s (" condition: $a }\nrule k2 { strings: $a = "from the task list and module %%s from the module list" condition: $a }\n' \
	"$(lt_run tgt 'uname -r')" >"$INTRO_SHARE/kernel.yar"
out=$(intro_run "$K --token-file /mnt/t.tok yara /mnt/kernel.yar --kernel 2>&1" 600)
expect "kvmmem yara --kernel: linux_banner, at its address in the image and its physical address" \
	"k1 pid=0 comm=kernel va=0x$banner pa=0x$(printf '%x' $((0x$banner - 0xffffffff80000000 + pbase)))" \
	"$(grep "^k1 .* va=0x$banner " <<<"$out" | cut -d' ' -f1-5)"
expect "... the hidden module's string, in the module area" "k2 pid=0 comm=kernel va=MODULES" \
	"$(grep '^k2 ' <<<"$out" | cut -d' ' -f1-4 | sed 's/va=0xffffffff[c-f][0-9a-f]\{7\}$/va=MODULES/' | sort -u)"
[ -n "$(grep '^k2 ' <<<"$out")" ] || diag <<<"$out"
intro_run "cat /tmp/m/pmem >/dev/null & sleep 1; pkill -9 -f 'mount /tmp/m'; sleep 0.5; fusermount3 -u /tmp/m 2>/dev/null || umount -l /tmp/m" >/dev/null
wait_until 10 '[ "$(stat_of live_maps)" = 0 ]'
expect "... kill -9 of the daemon during a read: nothing is mapped on the host" "0" "$(stat_of live_maps)"
expect "... mounted again" "pmem ranges vmcore" "$(kvmmem_mount /tmp/m /mnt/t.tok)"
"$BIN/kvmmem-host" revoke "$GID" >/dev/null
out=$(intro_run "dd if=/tmp/m/pmem of=/dev/null bs=4096 count=1 skip=256 2>&1; echo rc=\$?")
check "... after the grant is revoked, a read fails with EIO ($(tail -n 1 <<<"$out"))" \
	grep -q "Input/output error" <<<"$out"
check "... with a log line" intro_run "grep -q 'read of pmem at .*: ' /tmp/m.log"
intro_run "fusermount3 -u /tmp/m; for i in \$(seq 100); do pgrep -f 'mount /tmp/m' >/dev/null || break; sleep 0.1; done" >/dev/null
wait_until 10 '[ "$(stat_of live_maps)" = 0 ]'
expect "... unmounted (fusermount3 -u): the daemon is gone and nothing is mapped on the host" "0 0" \
	"$(intro_run "pgrep -fc 'mount /tmp/m'") $(stat_of live_maps)"

diag "t=$SECONDS s: cross pair"
# --- the cross pair: a target of the other kernel -----------------------------------
if [ "$GKVER" != "$(kver_61)" ]; then
	# one cross pair is enough: the 6.1 lab reads a 6.12 target
	skip "the cross pair" "it runs in the 6.1 lab host (a $OTHER target, a $GKVER introspector)"
elif [ -z "$OTHER" ] || ! [ -s "$TOP/build/lab/$OTHER/initramfs.cpio" ]; then
	skip "the cross pair" "no other kernel's lab initramfs (build/lab/$OTHER)"
elif lt_start x "$OTHER" 256; then
	grant "$INTRO_SHARE/x.tok" "$(lt_pid x)" "$(intro_pid)" >/dev/null
	kx() { intro_run "$K --token-file /mnt/x.tok $* 2>/dev/null" 120; }
	expect "cross pair: kvmmem uname on a $OTHER target from a $GKVER introspector" \
		"$OTHER" "$(kx uname)"
	lt_run x "sh $TOP/tests/lab/procs.sh" >"$LAB/x-before"
	kx "ps --json" >"$LAB/x-kvmmem.json"
	lt_run x "sh $TOP/tests/lab/procs.sh" >"$LAB/x-after"
	res=$(python3 "$TOP/tests/lab/ps-compare.py" "$LAB/x-before" "$LAB/x-after" \
		"$LAB/x-kvmmem.json" 2>"$LAB/x-compare.diag")
	sed 's/^/# /' "$LAB/x-compare.diag" | head -n 20
	check "cross pair: kvmmem ps ($res)" grep -qE '^common=[1-9][0-9]+ missing=0 wrong=0$' <<<"$res"
	expect "cross pair: kvmmem lsmod" "$(lt_run x "cut -d' ' -f1,2 /proc/modules" | paste -sd' ')" \
		"$(kx lsmod | cut -d' ' -f1,2 | paste -sd' ')"
	mark="kvmmem cross mark $RANDOM$RANDOM"
	lt_run x "echo '$mark' > /dev/kmsg; dmesg" >"$LAB/x-dmesg-target"
	kx dmesg >"$LAB/x-dmesg-kvmmem"
	check "cross pair: kvmmem dmesg up to a line written to /dev/kmsg" \
		test "$(upto "$LAB/x-dmesg-target" "$mark" | md5sum)" = "$(upto "$LAB/x-dmesg-kvmmem" "$mark" | md5sum)"
	lt_stop x
else
	nok "cross pair: the $OTHER target boots"
fi


diag "t=$SECONDS s: end"
intro_stop
lt_stop tgt
end_checks "$PIN0"
