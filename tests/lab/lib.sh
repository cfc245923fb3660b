# SPDX-License-Identifier: GPL-2.0
#
# Helpers for tests that run inside the lab host. Sourced. Every wait has a
# time limit, so a hang becomes a failure, never a stuck run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$TOP/build/bin
LAB=/tmp/lab
KVER=$(uname -r)
# The VMs inside the lab boot a Debian kernel: the lab host's own, except
# on the debug lab host (scripts/debug/), where it is Debian's newest 6.1.
GKVER=$KVER
case $KVER in *-kvmmem-debug) . "$TOP/scripts/kernels.sh"; GKVER=$(kver_61) ;; esac
mkdir -p "$LAB"
# A write to a dead tiny VM's pipe must fail the test, not kill the script.
trap '' PIPE

# --- TAP (numbered by the runner outside the lab) -------------------------
. "$TOP/tests/tap.sh"

# neg ERRNO: a tiny VM's answer line for a hypercall that returned -ERRNO
neg() { printf 'rax=0x%x' $((-$1)); }
# sees FILE LINE DESC [SECONDS]: ok once FILE has the line LINE (20 s at
# most), else not ok with FILE's last lines
sees() {
	if wait_until "${4:-20}" "grep -q '^$2\$' '$1'"; then
		ok "$3"
	else
		nok "$3: $(tail -n 3 "$1" | tr '\n' ' ')"
	fi
}

# nap SECONDS: sleep without a fork. A lab host under TCG takes about 25 ms
# to fork and exec sleep(1), and the polls below run thousands of times:
# read -t on a FIFO that nobody writes waits in the shell itself.
mkfifo "$LAB/nap.$$" 2>/dev/null
exec {NAP_FD}<>"$LAB/nap.$$"
rm -f "$LAB/nap.$$"
nap() { read -r -t "$1" -u "$NAP_FD" _; return 0; }
# wait_for SECONDS CMD...: poll CMD until it succeeds
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		nap 0.05
	done
	return 0
}

# stacks [PID]: kernel stacks of PID's threads and of every task asleep
# in D state (uninterruptible or killable), for a hang report
stacks() {
	local t
	for t in ${1:+/proc/$1/task/*} /proc/[0-9]*/task/*; do
		case $t in /proc/"$1"/task/*) ;; *) grep -q '^State:.*D' "$t/status" 2>/dev/null || continue ;; esac
		echo "# task $t $(cat "$t/comm" 2>/dev/null) $(grep '^State' "$t/status" 2>/dev/null)"
		sed 's/^/#   /' "$t/stack" 2>/dev/null | head -n 30
	done
}

# wait_until SECONDS 'CONDITION': evaluate the shell condition (command
# substitutions included) again and again until it holds
wait_until() {
	local end=$((SECONDS + $1))
	until eval "$2"; do
		[ $SECONDS -ge $end ] && return 1
		nap 0.05
	done
	return 0
}

# --- host side -------------------------------------------------------------
load_kvm() {
	if ! [ -d /sys/module/kvm_amd ] && ! [ -d /sys/module/kvm_intel ]; then
		if grep -qw svm /proc/cpuinfo; then modprobe kvm_amd; else modprobe kvm_intel; fi || return 1
	fi
	trace_shutdowns
	keep_vm
}
# A VM that triple-faults leaves nothing on its console: KVM sees a
# shutdown exit (SVM's 0x7f; VMX's triple-fault exit is 2) and resets the
# vCPU. Trace those exits, with the RIP, for vm_deaths.
TRACE=/sys/kernel/tracing
# With KVMMEM_LAB_TRACE_FAULTS=1 (by hand, to study a death) the nested
# page faults and the exceptions injected are traced too, and vm_deaths
# prints the dying vCPU's last events.
trace_shutdowns() {
	local e=$TRACE/events/kvm/kvm_exit code=2

	[ -d "$e" ] || return 0
	grep -qw svm /proc/cpuinfo && code=127
	echo "exit_reason == $code" >"$e/filter" && echo 1 >"$e/enable"
	[ "${KVMMEM_LAB_TRACE_FAULTS:-0}" = 1 ] || return 0
	echo 16384 >"$TRACE/buffer_size_kb"
	echo 1 >"$TRACE/events/kvm/kvm_inj_exception/enable"
	echo 1 >"$TRACE/events/kvm/kvm_page_fault/enable"
}
# vm_deaths: the traced shutdown exits, each with the symbol of its RIP in
# the introspector's kernel (it boots with nokaslr)
vm_deaths() {
	local l rip

	grep -a 'kvm_exit:' "$TRACE/trace" 2>/dev/null | tail -n 3 | while read -r l; do
		rip=$(sed -n 's/.* rip 0x\([0-9a-f]*\).*/\1/p' <<<"$l")
		echo "# shutdown exit (a triple fault): $l${rip:+ [$(sym_of "$rip")]}"
		[ "${KVMMEM_LAB_TRACE_FAULTS:-0}" = 1 ] || continue
		grep -a -B 40 -F "$l" "$TRACE/trace" | grep -a -F "${l%% *}" |
			sed 's/^ */# before it: /'
	done
}
# sym_of HEX: the kernel symbol at or below address HEX of a nokaslr
# introspector: the lab host runs the same kernel, so its kallsyms shifted
# by its own KASLR offset (Debian's System.map is a stub); "user" for a user address
sym_of() {
	local text

	case $1 in ffff*) ;; *) echo "user"; return ;; esac
	[ "$GKVER" = "$KVER" ] || { echo "?"; return; }
	text=$(awk '$3 == "_text" { print $1; exit }' /proc/kallsyms)
	sort /proc/kallsyms | awk -v r="$(printf '%016x' $((0x$1 - 0xffffffff81000000 + 0x$text)))" \
		'$1 > r { past = 1 } !past { s = $3 } END { print s ? s : "?" }'
}
# keep_vm: an idle tiny VM for the whole lab. Creating the first VM and
# vCPU (and destroying the last) flips static keys (preempt notifiers, "a
# vCPU without in-kernel APIC"), that is, patches kernel text; in the
# nested TCG lab a CPU running that text at the moment has been seen to
# die on a stray int3. With one VM always there, the text is patched once,
# here, while nothing else runs.
keep_vm() {
	[ -n "${KEEPER_PID:-}" ] && return 0
	sleep 1000000 2>/dev/null | "$BIN/tvm" 8 >/dev/null 2>&1 &
	KEEPER_PID=$!
	trap 'kill "$KEEPER_PID" 2>/dev/null' EXIT
}
# load_host: the host module (DKMS-installed; on the debug lab host, the
# one built against it)
load_host() {
	case $KVER in
	*-kvmmem-debug) insmod "$TOP/build/debug-kernel/out/kvmmem_host.ko" ;;
	*) modprobe kvmmem_host ;;
	esac
}
stat_of() {
	awk -v k="$1" '$1 == k { print $2 }' /sys/kernel/debug/kvmmem/stats 2>/dev/null
}

# --- tvm: tiny VMs ----------------------------------------------------------
# tvm_start NAME [MiB [memfd]]; tvm NAME COMMAND... prints the answer line
# (waits TVM_WAIT seconds at most, 30 by default).
tvm_start() {
	local n=$1 fd
	rm -f "$LAB/$n.in" "$LAB/$n.out"
	mkfifo "$LAB/$n.in"
	"$BIN/tvm" "${2:-64}" ${3:+"$3"} <"$LAB/$n.in" >"$LAB/$n.out" 2>"$LAB/$n.err" &
	eval "TVM_PID_$n=$!"
	exec {fd}>"$LAB/$n.in"
	eval "TVM_FD_$n=$fd"
	wait_for 20 grep -q '^ready' "$LAB/$n.out" || { cat "$LAB/$n.err"; return 1; }
}
tvm() {
	local n=$1 fd lines
	shift
	fd=TVM_FD_$n
	tvm_read "$n"
	lines=$TVM_N
	echo "$*" >&"${!fd}"
	if ! wait_until "${TVM_WAIT:-30}" 'tvm_read "$n"; [ "$TVM_N" -gt "$lines" ]'; then
		echo "timeout"
		stacks "$(tvm_pid "$n")" >&2
		return 1
	fi
	printf '%s\n' "$TVM_LAST"
}
# tvm_read NAME: TVM_N, how many whole lines NAME's answers hold, and
# TVM_LAST, the last of them, read by the shell itself (a poll that forks
# wc and tail costs more than the tiny VM's answer)
tvm_read() {
	local -a l
	mapfile l <"$LAB/$1.out"
	TVM_N=${#l[@]}
	[ "$TVM_N" -gt 0 ] && [ "${l[-1]: -1}" != $'\n' ] && TVM_N=$((TVM_N - 1))
	TVM_LAST=
	[ "$TVM_N" -gt 0 ] && TVM_LAST=${l[TVM_N - 1]%$'\n'}
	return 0
}
tvm_pid() { local p=TVM_PID_$1; echo "${!p}"; }
tvm_stop() {
	local fd=TVM_FD_$1 p=TVM_PID_$1
	echo quit >&"${!fd}" 2>/dev/null
	exec {fd}>&-
	wait_for 10 sh -c "! kill -0 ${!p} 2>/dev/null" || kill -9 "${!p}"
	wait "${!p}" 2>/dev/null
	return 0
}

# tvm_kill NAME: kill -9 a tiny VM's VMM (never write to its pipe again)
tvm_kill() {
	local fd=TVM_FD_$1 p=TVM_PID_$1
	kill -9 "${!p}"
	exec {fd}>&-
	wait "${!p}" 2>/dev/null
	return 0
}

# --- Linux VMs' command channel ---------------------------------------------
# A Linux VM of the lab (the introspector, a Linux target) runs
# intro-loop.sh on a shared directory: a command written to cmd.N runs once
# go.N appears, its output lands in out.N and its exit status in rc.N
# (written whole, by one write). The next N is kept in a file, SEQ (callers
# are often subshells). Nothing here forks but the callers' $(...): a
# command's round trip was 0.8 s when each step ran cat, mv and sleep.
# vm_send SHARE SEQ CMD: hand the VM a command; VM_N is its N
vm_send() {
	read -r VM_N <"$2"
	echo $((VM_N + 1)) >"$2"
	printf '%s\n' "$3" >"$1/cmd.$VM_N"
	: >"$1/go.$VM_N"
}
# vm_cmd WHO SHARE SEQ CMD SECONDS [ONTIMEOUT [PID]]: run CMD in the VM and
# print its output; the exit status is CMD's. After SECONDS with no answer,
# or as soon as the VM's VMM (PID) has exited, it prints "WHO: timeout
# after ..." or "WHO: the VM's VMM exited ...", runs ONTIMEOUT and returns
# 124. A VM that died costs a test seconds, not the command's time limit.
vm_cmd() {
	local rc
	vm_send "$2" "$3" "$4"
	wait_for "$5" vm_answered "$2/rc.$VM_N" "${7:-}"
	if [ ! -s "$2/rc.$VM_N" ]; then
		if vm_gone "${7:-}"; then
			echo "$1: the VM's VMM exited before answering: $4"
		else
			echo "$1: timeout after ${5}s: $4"
		fi
		[ -n "${6:-}" ] && "$6"
		return 124
	fi
	vm_out "$2/out.$VM_N"
	read -r rc <"$2/rc.$VM_N"
	return "$rc"
}
# vm_gone PID: the VMM PID has exited. A zombie has: its parent, the test's
# shell, may be busy in a command substitution and not have reaped it yet.
vm_gone() {
	local s
	[ -n "$1" ] || return 1
	read -r s 2>/dev/null <"/proc/$1/stat" || return 0
	s=${s##*) }
	[ "${s%% *}" = Z ]
}
# vm_answered FILE PID: the answer FILE is there, or the VMM PID is gone
vm_answered() { [ -s "$1" ] || vm_gone "$2"; }
# vm_up FILE PID: the VM says it is ready (FILE), or its VMM PID is gone
vm_up() { [ -e "$1" ] || vm_gone "$2"; }
# vm_out FILE: FILE as it is, as cat prints it, without a fork
vm_out() {
	local -a l
	mapfile l <"$1"
	[ ${#l[@]} -gt 0 ] && printf '%s' "${l[@]}"
	return 0
}

# --- the introspector: a Linux VM under KVM ---------------------------------
# intro_start [MEM]: boots it (INTRO_REBOOT=1: a reset reboots it instead of
# ending QEMU; INTRO_CPU: its -cpu, qemu64 without SVM and VMX by default);
# its init runs intro-loop.sh, which takes
# commands from the shared directory. intro_run CMD runs one and prints its
# output; the exit status is CMD's.
INTRO_SHARE=$LAB/share
# intro_qemu MEM REBOOTFLAG CMDLINE LOGSUFFIX: replaces the calling (sub)shell
intro_qemu() {
	exec qemu-system-x86_64 -enable-kvm -cpu "${INTRO_CPU:-qemu64,-svm,-vmx}" -smp 1 -m "$1" \
		-nodefaults -nographic $2 \
		-kernel "/boot/vmlinuz-$GKVER" -initrd "$TOP/build/lab/$GKVER/initramfs.cpio" \
		-append "console=ttyS0 nokaslr panic=-1 loglevel=5 rcupdate.rcu_cpu_stall_timeout=300 watchdog_thresh=60 kvmmem.share=1 kvmmem.proj=$TOP $3" \
		-virtfs "local,path=${INTRO_ROOT:-/},mount_tag=rootfs,security_model=none,readonly=on,multidevs=remap" \
		-virtfs "local,path=$INTRO_SHARE,mount_tag=share,security_model=none,multidevs=remap" \
		-serial "file:$LAB/intro-console$4.log" \
		-monitor "unix:$LAB/intro.mon,server,nowait" \
		-qmp "unix:$LAB/intro.qmp,server=on,wait=off" \
		>"$LAB/intro-qemu.log" 2>&1
}
# intro_boot_systemd [SCRIPT]: boot the introspector with systemd as init,
# as an installed system boots (its root: INTRO_ROOT, default /); SCRIPT
# (default tests/lab/boot-check.sh) records what it finds in the shared
# directory, then systemd powers the VM off. Fails, showing the end of the
# introspector's console and its QEMU's own messages, if SCRIPT recorded
# nothing.
intro_boot_systemd() {
	local s=${1:-$TOP/tests/lab/boot-check.sh}
	rm -rf "$INTRO_SHARE"
	mkdir -p "$INTRO_SHARE"
	# the scripts go through the share: under systemd the project may not
	# be visible where it lives (a clone under /tmp, say)
	cp "$TOP/tests/lab/boot-check.sh" "$INTRO_SHARE/"
	cp "$s" "$INTRO_SHARE/"
	timeout 300 bash -c "$(declare -f intro_qemu); LAB=$LAB TOP=$TOP GKVER=$GKVER INTRO_SHARE=$INTRO_SHARE INTRO_ROOT=${INTRO_ROOT:-/} intro_qemu 512 -no-reboot 'kvmmem.init=systemd systemd.unit=kernel-command-line.target systemd.run=/mnt/$(basename "$s") systemd.run_success_action=poweroff systemd.show_status=1 systemd.log_level=info systemd.log_target=kmsg loglevel=6' -systemd"
	local rc=$?
	[ -s "$INTRO_SHARE/boot.result" ] && return 0
	diag "the introspector's systemd boot recorded nothing (its QEMU ended with status $rc; 124 is the time limit); its console and QEMU's messages:"
	intro_systemd_log
	return 1
}
# intro_systemd_log: the end of that boot's console (systemd logs each
# unit to the kernel's log, at level info, which the console shows with
# its time, so a stalled boot shows where), and its QEMU's messages
intro_systemd_log() {
	tail -n 60 "$LAB/intro-console-systemd.log" | sed 's/^/# intro: /'
	sed 's/^/# intro-qemu: /' "$LAB/intro-qemu.log"
	vm_deaths
}
# boot_result KEY: what the systemd boot's script recorded for KEY
boot_result() { sed -n "s/^$1: //p" "$INTRO_SHARE/boot.result" 2>/dev/null; }
intro_start() {
	rm -rf "$INTRO_SHARE"
	mkdir -p "$INTRO_SHARE"
	echo 0 >"$LAB/intro.seq"
	rm -f "$LAB/intro.dead"
	local noreboot=-no-reboot
	[ "${INTRO_REBOOT:-0}" = 1 ] && noreboot=
	# INTRO_QEMU_ARGS: more of QEMU's options (a device, say)
	intro_qemu "${1:-512}" "$noreboot ${INTRO_QEMU_ARGS:-}" "kvmmem.run=$TOP/tests/lab/intro-loop.sh" &
	INTRO_PID=$!
	if [ "${INTRO_WATCH:-1}" = 1 ]; then
		trap vm_lost USR1
		vm_watch "the introspector VM" "$INTRO_PID" "$LAB/intro.dead" &
		INTRO_WATCHER=$!
	fi
	if ! wait_for 180 vm_up "$INTRO_SHARE/ready" "$INTRO_PID" ||
	   vm_gone "$INTRO_PID"; then
		diag "introspector did not come up"
		intro_log
		return 1
	fi
}
# An introspector or a Linux target that dies under a test (the nested
# lab's faults kill VMs) ends the test at once, not after every later
# step's time limit: its watcher notes which VM it was (and MARK), and
# signals the test's shell, whose trap reports it. intro_stop, intro_kill
# and lt_stop, the ends a test means, stop the watcher first.
# INTRO_WATCH=0: no watchers (make bench handles deaths itself).
# vm_watch WHO PID [MARK]
vm_watch() {
	while ! vm_gone "$2"; do
		kill -0 $$ 2>/dev/null || exit 0
		nap 0.5
	done
	[ -n "${3:-}" ] && touch "$3"
	echo "$1" >"$LAB/lost"
	kill -0 $$ 2>/dev/null && kill -USR1 $$
}
# A VM's death can be found before its watcher, which looks every 0.5 s,
# sees it: by a command to it (vm_cmd polls faster) or by the stop that
# comes next. Either reports it as the watcher would (vm_died), so that
# the test still ends at once, with the VM's logs, as a death.
#
# vm_unwatch VAR [PID WHO]: stop the watcher whose pid VAR holds; if the
# VM (its VMM PID, named WHO) died before, the test ends as vm_lost ends it
vm_unwatch() {
	local w=${!1:-} gone=
	[ -n "$w" ] || return 0
	[ -n "${2:-}" ] && vm_gone "$2" && gone=1
	kill "$w" 2>/dev/null
	wait "$w" 2>/dev/null
	eval "$1="
	if [ -n "$gone" ]; then
		echo "$3" >"$LAB/lost"
		vm_lost
	fi
	return 0
}
intro_unwatch() { vm_unwatch INTRO_WATCHER "${INTRO_PID:-}" "the introspector VM"; }
# vm_died VAR PID WHO: from a command substitution too, when the VM whose
# watcher VAR holds is gone, has the test's shell end as vm_lost ends it
vm_died() {
	[ -n "${!1:-}" ] && vm_gone "$2" || return 1
	echo "$3" >"$LAB/lost"
	kill -USR1 $$
}
vm_lost() {
	local who
	read -r who <"$LAB/lost"
	nok "$who stayed up for the whole test (it died; the test ends here)"
	case $who in
	"the introspector VM") intro_log ;;
	*) lt_log "${who##* }" ;;
	esac
	exit 1
}
# intro_kill: kill -9 of the introspector's VMM, as a test means it
intro_kill() {
	intro_unwatch
	kill -9 "$INTRO_PID"
	wait "$INTRO_PID" 2>/dev/null
	return 0
}
# The sequence number and the "dead" mark live in files: intro_run is
# usually called in a command substitution, a subshell.
intro_run() {
	if [ -e "$LAB/intro.dead" ]; then
		echo "intro_run: the introspector stopped answering earlier"
		return 125
	fi
	vm_cmd intro_run "$INTRO_SHARE" "$LAB/intro.seq" "$1" "${2:-60}" intro_dead "${INTRO_PID:-}"
}
# intro_dead: what intro_run does when the introspector did not answer
intro_dead() {
	touch "$LAB/intro.dead"
	vm_died INTRO_WATCHER "${INTRO_PID:-}" "the introspector VM" && return 0
	intro_log >&2
	vm_gone "${INTRO_PID:-}" || intro_hang_report >&2
}
# intro_send CMD: hand the introspector a command and wait only until it
# has started (for one that reboots it, say)
intro_send() {
	vm_send "$INTRO_SHARE" "$LAB/intro.seq" "$1"
	wait_for 30 test -e "$INTRO_SHARE/out.$VM_N"
}
# intro_rebooting: the introspector is being reset; its loop starts again.
intro_rebooting() {
	rm -f "$INTRO_SHARE"/ready "$INTRO_SHARE"/cmd.* "$INTRO_SHARE"/go.* "$INTRO_SHARE"/out.* "$INTRO_SHARE"/rc.*
	echo 0 >"$LAB/intro.seq"
}
intro_pid() { echo "$INTRO_PID"; }
# vmm_flag_kb PID FLAG: kB of PID's mappings whose smaps VmFlags have FLAG
vmm_flag_kb() {
	awk -v f="$2" '/^Size:/ { sz = $2 }
		/^VmFlags:/ { for (i = 2; i <= NF; i++) if ($i == f) t += sz }
		END { print t + 0 }' "/proc/$1/smaps"
}
intro_monitor() {
	echo "$1" | timeout 10 socat - "UNIX-CONNECT:$LAB/intro.mon" >/dev/null 2>&1 ||
		python3 - "$LAB/intro.mon" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode()); time.sleep(0.5); s.close()
PY
}
# intro_hang_report: where the introspector is stuck, seen from the lab
# host: its VMM's threads (kernel stacks) and its vCPU's registers.
intro_hang_report() {
	local t
	echo "# --- introspector hang report"
	stacks "$INTRO_PID"
	python3 - "$LAB/intro.mon" <<'PY' 2>&1 | grep -aE 'RIP|CR0|CR3|EFL|HLT' | sed 's/^/#   /'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
time.sleep(0.3); s.recv(65536)
s.sendall(b"info registers\n"); time.sleep(1)
print(s.recv(65536).decode(errors="replace"))
PY
	dmesg | tail -n 15 | sed 's/^/# dmesg: /'
}
intro_log() {
	sed 's/^/# intro: /' "$LAB/intro-console.log" | tail -n 40
	sed 's/^/# intro VMM: /' "$LAB/intro-qemu.log" 2>/dev/null | tail -n 20
	vm_gone "$INTRO_PID" && { echo "# the introspector's VMM has exited"; vm_deaths; }
	return 0
}
intro_stop() {
	intro_unwatch
	touch "$INTRO_SHARE/halt"
	wait_for 60 vm_gone "$INTRO_PID" || kill -9 "$INTRO_PID"
	wait "$INTRO_PID" 2>/dev/null
	return 0
}

# --- Linux targets: Linux VMs under KVM with a command channel -------------
# lt_start NAME [KVER [MiB]]: boots a Linux target with KASLR on (Debian's
# default) that runs intro-loop.sh on its own share ($LAB/NAME-share), so
# that lt_run NAME CMD runs a command in it and prints its output. Its
# VMM's pid is lt_pid NAME; lt_monitor NAME CMD talks to its QEMU monitor
# (and $LAB/NAME.qmp is its QMP socket). LT_QEMU_ARGS: more of QEMU's
# options (a memory backend, say); LT_APPEND: more kernel parameters.
lt_start() {
	local n=$1 k=${2:-$GKVER} share=$LAB/$1-share
	rm -rf "$share"
	mkdir -p "$share"
	echo 0 >"$LAB/$n.seq"
	[ -s "$TOP/build/lab/$k/initramfs.cpio" ] || { diag "no initramfs for $k"; return 1; }
	qemu-system-x86_64 -enable-kvm -cpu qemu64,-svm,-vmx -smp 1 -m "${3:-256}" \
		-nodefaults -nographic -no-reboot \
		-kernel "/boot/vmlinuz-$k" -initrd "$TOP/build/lab/$k/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 loglevel=5 rcupdate.rcu_cpu_stall_timeout=300 watchdog_thresh=60 kvmmem.share=1 kvmmem.proj=$TOP kvmmem.run=$TOP/tests/lab/intro-loop.sh ${LT_APPEND:-}" \
		-virtfs "local,path=/,mount_tag=rootfs,security_model=none,readonly=on,multidevs=remap" \
		-virtfs "local,path=$share,mount_tag=share,security_model=none,multidevs=remap" \
		-serial "file:$LAB/$n-console.log" -monitor "unix:$LAB/$n.mon,server,nowait" \
		-qmp "unix:$LAB/$n.qmp,server=on,wait=off" ${LT_QEMU_ARGS:-} \
		>"$LAB/$n-qemu.log" 2>&1 &
	eval "LT_PID_$n=$!"
	if [ "${INTRO_WATCH:-1}" = 1 ]; then
		trap vm_lost USR1
		vm_watch "the Linux target $n" $! &
		eval "LT_WATCHER_$n=$!"
	fi
	if ! wait_for 180 vm_up "$share/ready" "$(lt_pid "$n")" || vm_gone "$(lt_pid "$n")"; then
		diag "the Linux target $n did not come up"
		sed 's/^/# target: /' "$LAB/$n-console.log" | tail -n 30
		return 1
	fi
}
lt_pid() { local p=LT_PID_$1; echo "${!p}"; }
# lt_log NAME: the end of a Linux target's console and its QEMU's messages
lt_log() {
	tail -n 40 "$LAB/$1-console.log" | sed "s/^/# $1: /"
	sed "s/^/# $1 VMM: /" "$LAB/$1-qemu.log" 2>/dev/null | tail -n 20
	vm_gone "$(lt_pid "$1")" && { echo "# the $1 VMM has exited"; vm_deaths; }
	return 0
}
lt_run() {
	local p=LT_PID_$1 lt_name=$1
	vm_cmd lt_run "$LAB/$1-share" "$LAB/$1.seq" "$2" "${3:-60}" lt_dead "${!p:-}"
}
# lt_dead: what lt_run does when the target did not answer (lt_name, its
# caller's, names it)
lt_dead() {
	local p=LT_PID_$lt_name
	vm_died "LT_WATCHER_$lt_name" "${!p:-}" "the Linux target $lt_name"
	return 0
}
lt_monitor() {
	python3 - "$LAB/$1.mon" "$2" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(120); s.connect(sys.argv[1])
time.sleep(0.2); s.recv(65536)
s.sendall((sys.argv[2] + "\n").encode())
out = b""
while not out.rstrip().endswith(b"(qemu)"):
    d = s.recv(65536)
    if not d:
        break
    out += d
print(out.decode(errors="replace").split("\n", 1)[-1].rsplit("(qemu)", 1)[0].strip())
PY
}
lt_stop() {
	local p=LT_PID_$1
	vm_unwatch "LT_WATCHER_$1" "${!p}" "the Linux target $1"
	touch "$LAB/$1-share/halt"
	wait_for 30 vm_gone "${!p}" || kill -9 "${!p}"
	wait "${!p}" 2>/dev/null
	return 0
}

# --- kvmmem on a Linux target (t-linux, t-image) --------------------------
# lx_setup: kvmmem_host, a Debian target "tgt" of the lab host's kernel
# (160 MiB, its share $TS), an introspector (768 MiB) with kvmmem_guest
# and the kvmmem command ($K) in its share, and a grant of the target to
# it in /mnt/t.tok (its id $GID); $PIN0 is the host's pins before. Prints
# the failed step and returns 1 when one fails.
lx_setup() {
	K=/mnt/kvmmem
	TS=$LAB/tgt-share
	E="/usr/bin/python3 $TOP/tests/lab/evidence.py"
	load_kvm
	load_host || { nok "kvmmem_host loads"; return 1; }
	PIN0=$(pins)
	lt_start tgt "$GKVER" 160 || { nok "the Linux target boots"; return 1; }
	intro_start 768 || { nok "the introspector boots"; return 1; }
	intro_run "modprobe kvmmem_guest" >/dev/null
	cp "$BIN/kvmmem" "$INTRO_SHARE/"
	GID=$(grant "$INTRO_SHARE/t.tok" "$(lt_pid tgt)" "$(intro_pid)")
}
# kv ARGS: kvmmem in the introspector on the target; standard output only
kv() { intro_run "$K --token-file /mnt/t.tok $* 2>/dev/null" 120; }
# lx_stopped: a target process that filled a buffer and stopped itself
# (tests/lab/stopped-buffer.py); sets VPID, VADDR and VLEN
lx_stopped() {
	lt_run tgt "python3 $TOP/tests/lab/stopped-buffer.py /mnt/vbuf >/dev/null 2>&1 &" >/dev/null
	wait_for 120 test -s "$TS/vbuf" || diag "the stopped process did not start"
	read -r VPID VADDR VLEN <"$TS/vbuf"
}
# upto FILE MARK: FILE's 41 lines up to its last line with MARK (a log's
# end, compared where the logs of two readers may go on differently)
upto() {
	awk -v m="$2" '{ l[NR] = $0 } index($0, m) { n = NR }
		END { for (i = n - 40; i <= n; i++) if (i > 0) print l[i] }' "$1"
}
# kvmmem_mount DIR TOKENFILE [OPTIONS]: kvmmem mount of the target at DIR
# in the introspector, in the background (its log in DIR.log); prints
# DIR's files on one line once DIR/pmem is there
kvmmem_mount() {
	intro_run "modprobe fuse 2>/dev/null; mkdir -p $1; setsid $K --token-file $2 mount $1 --foreground ${3:-} </dev/null >$1.log 2>&1 &
for i in \$(seq 300); do [ -e $1/pmem ] && break; sleep 0.2; done; ls $1 | paste -sd' '" 120
}

# Kernel log check at the end of a lab: prints a TAP line and appends the
# log of every level to the console, where the runner keeps it.
logs_clean() {
	local bad
	dmesg > "$LAB/dmesg-host.log"
	bad=$(cat "$LAB/dmesg-host.log" "$LAB"/intro-console*.log 2>/dev/null |
		grep -E 'Oops|BUG:|WARNING:|KASAN|Call Trace' | head -5)
	if [ -w /sys/kernel/debug/kmemleak ]; then
		# a debug kernel: two scans, as kmemleak's documentation advises
		echo scan > /sys/kernel/debug/kmemleak
		sleep 6
		echo scan > /sys/kernel/debug/kmemleak
		cat /sys/kernel/debug/kmemleak > "$LAB/kmemleak.log"
		diag "kmemleak: $(grep -c '^unreferenced object' "$LAB/kmemleak.log") suspected leaks in all"
		if grep -q kvmmem "$LAB/kmemleak.log"; then
			nok "kmemleak finds no leak from kvmmem"
			grep -B4 -A20 kvmmem "$LAB/kmemleak.log" | head -60 | sed 's/^/# /'
		else
			ok "kmemleak finds no leak from kvmmem"
		fi
	fi
	if [ -z "$bad" ]; then
		ok "no Oops, BUG, WARNING or KASAN report at any level"
	else
		nok "kernel reports found"
		echo "$bad" | sed 's/^/# /'
		sed 's/^/# dmesg: /' "$LAB/dmesg-host.log" | tail -n 60
	fi
}

# end_checks PIN0: once the VMs are gone, nothing of kvmmem is left (PIN0:
# the host's pins before the test), the module unloads, the logs are clean
end_checks() {
	wait_until 10 '[ "$(stat_of live_maps)" = 0 ]'
	expect "no mapping is left" "0" "$(stat_of live_maps)"
	wait_until 10 '[ "$(stat_of held_pages) $(stat_of pinned_pages) $(stat_of status_pages) $(stat_of window_chunks)" = "0 0 0 0" ]'
	expect "nothing is held, pinned, kept as a status page or a window chunk" "0 0 0 0" \
		"$(stat_of held_pages) $(stat_of pinned_pages) $(stat_of status_pages) $(stat_of window_chunks)"
	# /proc/vmstat folds each CPU's pin counts in within vm.stat_interval (1 s)
	wait_until 3 '[ "$(pins)" = "$1" ]'
	expect "the host's pin counters are back to their baseline" "$1" "$(pins)"
	check "kvmmem_host unloads" rmmod kvmmem_host
	grep -h . "$LAB"/*.err 2>/dev/null | head -n 20 | sed 's/^/# tiny VM log: /'
	logs_clean
}

# --- grants ----------------------------------------------------------------
# grant FILE TARGET_PID INTRO_PID [kvmmem-host options]: prints the grant id
grant() {
	local f=$1 t=$2 i=$3
	shift 3
	rm -f "$f"
	"$BIN/kvmmem-host" grant --target "$t" --introspector "$i" --token-file "$f" "$@" |
		awk '/^grant/ { print $2 }'
}
# tvm_token NAME FILE GPA: write a token file into a tiny VM's RAM at GPA.
# The file holds the token's 32 bytes in memory order, two hex digits a
# byte; tvm pokes little-endian u64s, so each 8-byte group is reversed into
# the value whose bytes, stored, are the group's (digits 0001...07 -> poke
# 0x0706050403020100).
tvm_token() {
	local n=$1 f=$2 gpa=$3 hex i j w
	hex=$(tr -d ' \t\r\n' <"$f")
	for i in 0 1 2 3; do
		w=
		for j in 0 1 2 3 4 5 6 7; do
			w=${hex:$((16 * i + 2 * j)):2}$w
		done
		tvm "$n" poke $((gpa + 8 * i)) "0x$w" >/dev/null
	done
}
pins() {
	awk '/^nr_foll_pin_acquired/ { a = $2 } /^nr_foll_pin_released/ { r = $2 }
	     END { print a - r }' /proc/vmstat
}
