#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [-i] [-t SECONDS] [-m MEM] [-k IMAGE] [-a ARGS] KVER [CMD...]
#
# Boots the lab host: Debian kernel KVER under QEMU TCG with -cpu max (SVM
# and nested paging) without LA57 (KVMMEM_LAB_CPU to change that: see the
# docs/lab.md), the machine's root exported read-only over 9p, and
# runs CMD inside it (as root, chrooted into that root, /tmp on tmpfs).
# CMD's output is streamed to our stdout; files it writes under /tmp/lab-out
# land in build/lab/KVER/logs/NAME/out/; we exit with CMD's exit status,
# 124 on timeout. Logs stay in build/lab/KVER/logs/NAME/.
#   -i  interactive: a shell on this terminal instead of CMD
#   -t  time limit for the whole run (default 900 s)
#   -m  lab host memory (default 2G)
#   -a  more kernel parameters for the lab host (page_poison=1, say)
#   -k  boot IMAGE, a kernel of release KVER with all it needs built in,
#       instead of /boot/vmlinuz-KVER (the debug lab host, scripts/debug/)
# The lab's variants, for measuring its faults (scripts/flake-stats.sh):
# KVMMEM_LAB_CPU (QEMU's -cpu), KVMMEM_LAB_SMP (-smp, 2), KVMMEM_LAB_TCG_THREAD
# (multi or single) and KVMMEM_LAB_APPEND (more lab host kernel parameters,
# kvm_amd.npt=0 say).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
interactive=0 limit=900 mem=2G name=run kernel=
while getopts "a:it:m:n:k:" o; do
	case $o in
	a) append=$OPTARG ;;
	i) interactive=1 ;;
	t) limit=$OPTARG ;;
	m) mem=$OPTARG ;;
	n) name=$OPTARG ;;
	k) kernel=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
kver=${1:?usage: run.sh [-i] KVER [CMD...]}
shift

kernel=${kernel:-/boot/vmlinuz-$kver}
[ -r "$kernel" ] || { echo "lab: no kernel $kernel" >&2; exit 2; }
build=$top/build/lab/$kver
logs=$build/logs/$name
mkdir -p "$logs"
rm -rf "$logs"/*
mkdir -p "$logs/out"

initrd=$build/initramfs.cpio
if [ ! -s "$initrd" ] || [ "$initrd" -ot "$top/scripts/lab/init.sh" ] ||
   [ "$initrd" -ot "$top/scripts/lab/mkinitramfs.sh" ]; then
	"$top/scripts/lab/mkinitramfs.sh" "$kver" "$initrd" || exit 2
fi

# Nested TCG is slow: relax the stall detectors so that slowness alone is
# not reported as a bug. Real bugs still print Oops/BUG/WARNING. A soft
# lockup (120 s on one CPU) fails the test anyway ("BUG:"), and in the lab
# it is mostly a CPU that stopped taking IPIs (docs/lab.md), which never
# ends: panic then, with its report on the console, instead of waiting for
# the test's time limit.
cmdline="console=ttyS0 panic=-1 loglevel=5 rcupdate.rcu_cpu_stall_timeout=300"
cmdline+=" watchdog_thresh=60 softlockup_panic=1 nmi_watchdog=0 tsc=unstable kvmmem.proj=$top"
cmdline+=${append:+ $append}${KVMMEM_LAB_APPEND:+ $KVMMEM_LAB_APPEND}

qemu=(qemu-system-x86_64 -accel "tcg,thread=${KVMMEM_LAB_TCG_THREAD:-multi}" -cpu "${KVMMEM_LAB_CPU:-max,la57=off}" -smp "${KVMMEM_LAB_SMP:-2}" -m "$mem"
      -nodefaults -nographic -no-reboot -kernel "$kernel" -initrd "$initrd"
      -d cpu_reset,guest_errors -D "$logs/qemu-debug.log"
      -virtfs "local,path=/,mount_tag=rootfs,security_model=none,readonly=on,multidevs=remap"
      -virtfs "local,path=$logs/out,mount_tag=labout,security_model=none")

if [ $interactive = 1 ]; then
	exec "${qemu[@]}" -serial mon:stdio \
		-append "$cmdline kvmmem.run=/bin/bash"
fi

# Hang reports, so that a hang leaves a trace to read: when CMD has printed
# nothing for 150 s, when the kernel first reports a hung task, and a
# minute before the limit, the kernel stacks of every task of the lab's
# programs and of every task asleep in D state go to the console.
cat > "$logs/cmd.sh" <<EOF
#!/bin/sh
report() {
	echo "== lab hang report (\$1)"
	for t in /proc/[0-9]*/task/*; do
		c=\$(cat \$t/comm 2>/dev/null)
		case \$c in tvm|qemu-system-x86|probe|bash|t-*.sh) ;;
		*) grep -q '^State:.*D' \$t/status 2>/dev/null || continue ;;
		esac
		echo "== \$t \$c \$(grep '^State' \$t/status 2>/dev/null)"
		cat \$t/stack 2>/dev/null
	done
	echo w > /proc/sysrq-trigger
	dmesg | grep -v 'kvmmem_host: .* refused' | tail -n 150
}
(
	while ! dmesg | grep -q 'blocked for more than'; do sleep 5; done
	report "hung task" > /dev/console 2>&1
) &
(
	touch /tmp/lab-progress
	while sleep 10; do
		[ -n "\$(find /tmp/lab-progress -mmin -2.5 2>/dev/null)" ] && continue
		report "no output for 150 s" > /dev/console 2>&1
		# once a silence, until the next output (a group runs many tests)
		touch /tmp/lab-reported
		until [ /tmp/lab-progress -nt /tmp/lab-reported ]; do
			touch /tmp/lab-reported
			sleep 10
		done
	done
) &
(
	sleep $((limit - 60))
	report "time limit near" > /dev/console 2>&1
) &
{ $*; echo \$? > /tmp/lab-rc; } 2>&1 | while IFS= read -r l; do
	printf '%s\n' "\$l"
	touch /tmp/lab-progress
done
exit \$(cat /tmp/lab-rc)
EOF
chmod +x "$logs/cmd.sh"
: > "$logs/results.log"
: > "$logs/timing.log"	# the same lines, each with the time it came (for the usual times)
# A reset of the lab host (a triple fault leaves no kernel message) stops
# it instead of ending QEMU; watch.py then keeps its CPUs' state in
# stopped.log and quits QEMU, as it does at once on a power-off. A lab host
# still running 8 s before the limit gets its CPUs' state kept the same way.
#
# A command that prints "KVMMEM-LIMIT S" (scripts/lab/group.sh, before each
# test) sets a deadline S seconds (and 30 more) from then, kept here,
# outside the lab host: watch.py stops a lab host still running at it.
rm -f "$logs/qmp.sock" "$logs/stopped.log" "$logs/deadline"
timeout --foreground -k 10 "$limit" "${qemu[@]}" \
	-action shutdown=pause -qmp "unix:$logs/qmp.sock,server=on,wait=off" \
	-serial "file:$logs/console.log" -serial "file:$logs/results.log" \
	-append "$cmdline kvmmem.run=$logs/cmd.sh kvmmem.out=/dev/ttyS1" \
	</dev/null >"$logs/qemu.log" 2>&1 &
qpid=$!
python3 "$top/scripts/lab/watch.py" "$logs/qmp.sock" "$logs/stopped.log" \
	$(($(date +%s) + limit - 8)) "$logs/deadline" 2>>"$logs/qemu.log" &
wpid=$!
tail -n +1 -f --pid=$qpid "$logs/results.log" | while IFS= read -r l; do
	l=${l%$'\r'}
	case $l in
	KVMMEM-EXIT\ *) ;;
	KVMMEM-LIMIT\ *)
		echo $(($(date +%s) + ${l#KVMMEM-LIMIT } + 30)) >"$logs/deadline.tmp"
		mv "$logs/deadline.tmp" "$logs/deadline" ;;
	*) printf '%s\n' "$l"
	   printf '%(%s)T %s\n' -1 "$l" >>"$logs/timing.log" ;;
	esac
done &
tpid=$!
wait $qpid
qrc=$?
wait $wpid 2>/dev/null
wait $tpid 2>/dev/null

rc=$(sed -n 's/^KVMMEM-EXIT \([0-9]*\).*/\1/p' "$logs/results.log" | tail -1)
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	echo "# lab: timed out after ${limit}s; logs in $logs"
	rc=124
elif [ -z "$rc" ] && grep -q "at its test's time limit" "$logs/stopped.log" 2>/dev/null; then
	echo "# lab: stopped at the running test's time limit; logs in $logs"
	rc=124
elif [ -z "$rc" ]; then
	echo "# lab: QEMU ended (rc $qrc) before the command finished; logs in $logs"
	# a triple fault resets the lab host silently
	grep -q 'Triple fault' "$logs/qemu-debug.log" 2>/dev/null &&
		echo "# lab: the lab host triple-faulted"
	rc=125
fi
# where the lab host's CPUs were when it reset or hung
[ -s "$logs/stopped.log" ] &&
	grep -aE '^(lab host|== cpu|RSI|RIP|CS |GS |CR0|EFER)' "$logs/stopped.log" |
	head -n 45 | sed 's/^/# /'
exit "$rc"
