#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Foundation, inside the lab host: the DKMS-installed modules load with
# modprobe, the hook is armed and seen firing, /dev/kvmmem appears in the
# introspector, and everything unloads.
# lab-typical: 30
. "$(dirname "$0")/lib.sh"

diag "lab host $KVER, $(grep -c ^processor /proc/cpuinfo) CPUs"
check "kvm loads ($(grep -qw svm /proc/cpuinfo && echo kvm_amd || echo kvm_intel))" load_kvm

out=$(modprobe kvmmem_guest 2>&1)
if [ $? -ne 0 ] && dmesg | grep -q 'kvmmem_guest: not running as a KVM guest'; then
	ok "guest module declines to load outside a KVM guest, with one line"
else
	nok "guest module outside KVM: $out"
fi

check "kvmmem_host loads with modprobe" modprobe kvmmem_host
path=$(modinfo -n kvmmem_host)
case $path in
*/updates/dkms/*) ok "modprobe took the DKMS-installed module" ;;
*) nok "kvmmem_host came from $path" ;;
esac
check "kvmmem_host holds a reference on kvm" grep -q '^kvm .*kvmmem_host' /proc/modules
expect "udev's rule 60-kvmmem.rules makes /dev/kvmmem-host root-only" "1" \
	"$(udevadm test /sys/class/misc/kvmmem-host 2>&1 | grep -c '60-kvmmem.rules:[0-9]* MODE 0600')"
check "probe on kvm_emulate_hypercall is armed on ftrace" \
	grep -qE 'kvm_emulate_hypercall.*\[FTRACE\]' /sys/kernel/debug/kprobes/list
sed 's/^/# kprobes: /' /sys/kernel/debug/kprobes/list

tvm_start vm || nok "tiny VM starts"
before=$(stat_of hypercalls)
expect "hypercall 32 without a grant gets -KVM_ENOSYS" \
	"rax=0xfffffffffffffc18" "$(tvm vm hc 32 0x1000 0 0x2000)"
expect "hypercall 33 without a grant gets -KVM_ENOSYS" \
	"rax=0xfffffffffffffc18" "$(tvm vm hc 33 0x2000 0 0)"
expect "the hook fired once per hypercall" "2" "$(($(stat_of hypercalls) - before))"
expect "other hypercalls are untouched (KVM_HC_VAPIC_POLL_IRQ = 0)" \
	"rax=0x0" "$(tvm vm hc 1 0 0 0)"
expect "unknown hypercall 34 still -KVM_ENOSYS" \
	"rax=0xfffffffffffffc18" "$(tvm vm hc 34 0 0 0)"
expect "vCPU switched to user mode" "cpl=3" "$(tvm vm cpl 3)"
expect "hypercall 32 from guest user mode gets -KVM_EPERM" \
	"rax=0xffffffffffffffff" "$(tvm vm hc 32 0 0 0)"
expect "vCPU back in kernel mode" "cpl=0" "$(tvm vm cpl 0)"
expect "the hook counts only kernel-mode 32/33" "2" "$(($(stat_of hypercalls) - before))"

# dies_at_once DESC START PID WHO [NEXT]: in a shell of its own (it exits,
# failed), START boots a VM, whose VMM (PID, evaluated there) is killed
# 2 s later under a wait of 100 s: the test ends within seconds, saying
# that WHO died. With NEXT, the VMM is killed at once and NEXT (a stop, a
# command) runs as soon as it is gone, before its watcher can see it: the
# same end.
dies_at_once() {
	local out rc took t0=$SECONDS

	out=$(bash -c '. "$1/tests/lab/lib.sh"
		eval "$2" >/dev/null 2>&1 || { echo "no VM"; exit 9; }
		if [ -n "$4" ]; then
			eval "kill -9 $3; wait_for 10 vm_gone $3; $4"
			echo "the test went on after $4"
			exit 0
		fi
		(sleep 2; eval "kill -9 $3") &
		wait_until 100 false
		echo "the wait ran to its end"' _ "$TOP" "$2" "$3" "${5:-}" 2>&1)
	rc=$?
	took=$((SECONDS - t0))
	expect "$1 (status, seconds under 60, line)" "1 yes yes" \
		"$rc $([ $took -lt 60 ] && echo yes || echo "no: $took s") $(grep -q "^not ok - $4 stayed up" <<<"$out" && echo yes || echo "no: $out")"
}

if intro_start; then
	ok "introspector VM boots under KVM"
	out=$(intro_run "modprobe kvmmem_guest && modinfo -n kvmmem_guest && stat -c '%a %U:%G %F' /dev/kvmmem")
	case $out in
	*/updates/dkms/kvmmem_guest.ko*"600 root:root character special file"*)
		ok "introspector: modprobe kvmmem_guest gives /dev/kvmmem (0600 root:root)" ;;
	*) nok "introspector: /dev/kvmmem: $out" ;;
	esac
	check "introspector: kvmmem_guest unloads" intro_run "rmmod kvmmem_guest && test ! -e /dev/kvmmem"
	# a VM that dies under a command costs the test seconds, not the
	# command's time limit (the lab's own faults kill VMs)
	intro_unwatch
	t0=$SECONDS
	(sleep 2; kill -9 "$INTRO_PID") &
	out=$(intro_run "sleep 100" 90 2>/dev/null)
	rc=$?
	took=$((SECONDS - t0))
	wait $!
	expect "a command whose introspector is killed under it ends at once (status, seconds under 15)" \
		"124 yes" "$rc $([ $took -lt 15 ] && echo yes || echo "no: $took s")"
	expect "... and says why" "intro_run: the VM's VMM exited before answering: sleep 100" "$out"
	expect "... and the next command is refused at once" "125" \
		"$(intro_run true >/dev/null; echo $?)"
	intro_stop
	# its watcher ends a test whose introspector dies under a wait, and
	# so does a Linux target's
	dies_at_once "a test whose introspector dies under a wait ends at once, failed" \
		'intro_start' '$INTRO_PID' "the introspector VM"
	dies_at_once "... and a test whose Linux target dies likewise" \
		'lt_start x "$GKVER" 160' '$(lt_pid x)' "the Linux target x"
	dies_at_once "... and one whose target dies just before its stop" \
		'lt_start x "$GKVER" 160' '$(lt_pid x)' "the Linux target x" 'lt_stop x'
	dies_at_once "... or just before a command to it" \
		'lt_start x "$GKVER" 160' '$(lt_pid x)' "the Linux target x" 'lt_run x true'
else
	nok "introspector VM boots under KVM"
fi

tvm_stop vm
check "kvmmem_host unloads" rmmod kvmmem_host
tvm_start vm2
expect "after unload, hypercall 32 is plain -KVM_ENOSYS" \
	"rax=0xfffffffffffffc18" "$(tvm vm2 hc 32 0x1000 0 0x2000)"
tvm_stop vm2
logs_clean
