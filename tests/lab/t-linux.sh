#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# t-linux: a Linux target understood from its memory alone. A Debian target
# with KASLR on (its default) and a Linux introspector; every answer of
# kvmmem's Linux commands is compared with what the target itself reports
# through its command channel: uname, ps (a non-root process with a
# distinctive name, a process reaped before the walk), lsmod, dmesg (a line
# written to /dev/kmsg just before), a stopped process's maps and buffer,
# linux_banner; the same commands on a raw image of the paused target; a
# forged VMCOREINFO planted by a target process; a rootkit-like module
# that unlinks a task and itself (--hidden); and a target of the other
# kernel (the cross pair).
# lab-typical: 260
# lab-memory: 3G
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/kernels.sh"

K=/mnt/kvmmem
TS=$LAB/tgt-share
OTHER=$(kver_61)
[ "$OTHER" = "$GKVER" ] && OTHER=$(kver_612)

load_kvm
load_host || { nok "kvmmem_host loads"; exit 1; }
pin0=$(pins)
lt_start tgt "$GKVER" 160 || { nok "the Linux target boots"; exit 1; }
if ! intro_start 768; then
	nok "the introspector boots"
	exit 1
fi
intro_run "modprobe kvmmem_guest" >/dev/null
cp "$BIN/kvmmem" "$INTRO_SHARE/"
grant "$INTRO_SHARE/t.tok" "$(lt_pid tgt)" "$(intro_pid)" >/dev/null
# kv ARGS: kvmmem in the introspector on the target; standard output only
kv() { intro_run "$K --token-file /mnt/t.tok $* 2>/dev/null" 120; }

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
upto() { awk -v m="$2" '{ l[NR] = $0 } index($0, m) { n = NR } END { for (i = n - 40; i <= n; i++) if (i > 0) print l[i] }' "$1"; }
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
lt_run tgt "python3 $TOP/tests/lab/stopped-buffer.py /mnt/vbuf >/dev/null 2>&1 &" >/dev/null
wait_for 120 test -s "$TS/vbuf" || diag "the stopped process did not start"
read -r vpid vaddr vlen <"$TS/vbuf"
expect "kvmmem maps PID of a stopped process is its /proc/PID/maps" \
	"$(lt_run tgt "cat /proc/$vpid/maps" | md5sum)" "$(kv maps "$vpid" | md5sum)"
lt_run tgt "cat /proc/$vpid/maps" >"$LAB/maps-target"
kv maps "$vpid" >"$LAB/maps-kvmmem"
diff "$LAB/maps-target" "$LAB/maps-kvmmem" | head -n 10 | sed 's/^/# /'
expect "kvmmem ps -T: that process's threads, as its /proc/PID/task lists them" \
	"$(lt_run tgt "ls /proc/$vpid/task" | sort -n | paste -sd' ')" \
	"$(kv "ps -T" | awk -v p="$vpid" '$1 == p { print $2 }' | sort -n | paste -sd' ')"
expect "kvmmem vread --pid: the buffer that process filled" \
	"$(for i in $(seq 400); do printf KVMMEM-VREAD-; done | md5sum)" \
	"$(kv "vread --pid $vpid 0x$vaddr $vlen --raw" | md5sum)"
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

diag "t=$SECONDS s: image"
# --- the same commands on a raw image of the paused target --------------------------
lt_monitor tgt stop >/dev/null
end=$(kv ranges | tail -n 1 | awk '{ print $2 }')
out=$(intro_run "$K --token-file /mnt/t.tok dump 0 $end /tmp/img.raw; echo rc=\$?" 300)
diag "dump of the paused target: $(tr '\n' ' ' <<<"$out")"
expect "kvmmem dump of the paused target: exit status 0" "rc=0" "$(tail -n 1 <<<"$out")"
for c in "uname -a" "ps -T" "lsmod" "dmesg" "maps $vpid"; do
	want=$(kv "$c" | md5sum)
	got=$(intro_run "$K --image /tmp/img.raw $c 2>/tmp/img.err | md5sum")
	expect "kvmmem $c on a raw image of the paused target: as live" "$want" "$got"
	[ "$want" = "$got" ] && continue
	intro_run "head -c 600 /tmp/img.err; ls -l /tmp/img.raw; free -m; dmesg | tail -n 5" | diag
done
intro_run "rm -f /tmp/img.raw" >/dev/null
lt_monitor tgt cont >/dev/null
alive=$(lt_run tgt 'echo ok')
expect "the target runs on after the pause" ok "$alive"
[ "$alive" = ok ] || lt_log tgt

diag "t=$SECONDS s: cross pair"
# --- the cross pair: a target of the other kernel -----------------------------------
if [ "$GKVER" != "$(kver_61)" ]; then
	# one cross pair is enough: the 6.1 lab reads a 6.12 target
	skip "the cross pair" "it runs in the 6.1 lab host (a $OTHER target, a $GKVER introspector)"
elif [ -z "$OTHER" ] || ! [ -s "$TOP/build/lab/$OTHER/initramfs.cpio" ]; then
	skip "the cross pair" "no other kernel's lab initramfs (build/lab/$OTHER)"
elif lt_start x "$OTHER" 160; then
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
end_checks "$pin0"
