#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test suite. Prints TAP and ends with "N passed, N failed, N skipped".
# Expects the packages that scripts/check.sh installs. Sections can be
# chosen: tests/run.sh [unit] [build] [style] [dkms] [pkg] [lab]
# (KVMMEM_KERNEL and KVMMEM_LAB_TESTS narrow them: see make check-quick)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/kernels.sh
sections=${*:-unit build style dkms pkg lab}
version=$(cat VERSION)
n=0 pass=0 fail=0 skipped=0 last_rc=0
start=$SECONDS

# emit: number and count the TAP lines of a producer, pass the rest as
# diagnostics
emit() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"*)
			n=$((n + 1)) skipped=$((skipped + 1))
			echo "ok $n ${line#ok }" ;;
		"ok "*)
			n=$((n + 1)) pass=$((pass + 1))
			echo "ok $n ${line#ok }" ;;
		"not ok "*)
			n=$((n + 1)) fail=$((fail + 1))
			echo "not ok $n ${line#not ok }" ;;
		"#rc="*) last_rc=${line#\#rc=} ;;
		"#"*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done
}
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
has() { case " $sections " in *" $1 "*) return 0 ;; esac; return 1; }

kernels=()
k61=$(kver_61)
k612=$(kver_612)
echo "TAP version 13"
[ -n "$k61" ] && kernels+=("$k61") || emit <<<"ok - Debian 12 6.1 kernel # SKIP no linux-image 6.1 installed"
[ -n "$k612" ] && kernels+=("$k612") || emit <<<"ok - Debian 12 6.12 kernel # SKIP no linux-image-6.12.*+deb12 could be installed"
# make check-quick: one kernel (KVMMEM_KERNEL: 6.1 or 6.12) and chosen lab
# tests (KVMMEM_LAB_TESTS: names like t-core)
case ${KVMMEM_KERNEL:-} in
6.1) kernels=(${k61:+"$k61"}) ;;
6.12) kernels=(${k612:+"$k612"}) ;;
esac

make -s -C tests >/dev/null || emit <<<"not ok - build test programs"
make -s tools >/dev/null || emit <<<"not ok - build the tools"

if has unit; then
	echo "# --- unit: the original ABI, against literal numbers"
	emit < <(build/bin/abi_check)
	if build/bin/abi_check32 >/dev/null 2>&1 || [ $? != 126 ]; then
		emit < <(build/bin/abi_check32)
	else
		emit <<<"ok - the ABI as a 32-bit program sees it # SKIP this machine's kernel cannot run 32-bit programs (the lab's introspector runs the compat test)"
	fi
	echo "# --- unit: token text in byte order, the test vector through libkvmmem"
	emit < <(build/bin/token_vector)
	echo "# --- unit: kvmmem_pmem_callback, the Linux layer's backend interface"
	cb_img=$(mktemp)
	if zstd -dqf tests/data/linux-6.12.elf.zst -o "$cb_img" 2>/dev/null; then
		emit < <(build/bin/pmem_callback "$cb_img")
	else
		emit < <(build/bin/pmem_callback)
	fi
	rm -f "$cb_img"
	echo "# --- unit: the kvmmem command's arguments and errors"
	if [ -e /dev/kvmmem ]; then
		emit <<<"ok - kvmmem command line checks # SKIP this machine has a /dev/kvmmem"
	else
		emit < <(tests/unit/tools.sh build/bin/kvmmem)
	fi
	echo "# --- unit: kvmmem-host deliver against a stand-in QMP socket"
	emit < <(tests/unit/deliver.sh build/bin/kvmmem-host)
	echo "# --- unit: kvmmem-host's audit log (syslog) of refused grants and revokes"
	emit < <(tests/unit/audit.sh build/bin/kvmmem-host 2>&1)
	echo "# --- unit: evidence images (dump --format raw, lime, elf) of the seeds, read by crash and drgn"
	emit < <(tests/unit/evidence.sh build/bin/kvmmem 2>&1)
	echo "# --- unit: the lab's retry policy (deaths of the lab host or a VM, failed checks)"
	emit < <(tests/unit/retry.sh)
	echo "# --- unit: the Linux layer's parsers fuzzed over mutated images (ASan, UBSan)"
	emit < <(tests/unit/lx-fuzz.sh build/bin/lx_fuzz build/bin/kvmmem 2>&1)
fi

# build: both modules against each kernel's headers, warning-free. When the
# dkms section runs too, its builds (the same Makefile, the same sources)
# are the ones checked, so each kernel's modules are built once here.
build_check() {	# KVER LOG DIR...: LOG has no warning, the DIRs both modules
	local k=$1 log=$2 warn
	shift 2
	warn=$(grep -E 'warning:|error:' "$log")
	if [ -z "$warn" ] && [ "$(find "$@" -maxdepth 1 -name 'kvmmem_guest.ko*' -o \
				  -name 'kvmmem_host.ko*' 2>/dev/null | wc -l)" = 2 ]; then
		ok "make KERNELRELEASE=$k builds both modules, warning-free"
	else
		nok "make KERNELRELEASE=$k"
		tail -n 20 "$log"
	fi
}
if has build && ! has dkms; then
	for k in "${kernels[@]}"; do
		echo "# --- build: both modules against $k headers"
		log=$(mktemp)
		{ make -s modules-clean; make KERNELRELEASE="$k"; } >"$log" 2>&1
		emit < <(build_check "$k" "$log" guest-module host-module)
		rm -f "$log"
		make -s modules-clean >/dev/null 2>&1
	done
fi

if has style; then
	echo "# --- style"
	emit < <(scripts/style.sh 2>&1)
fi

if has dkms; then
	echo "# --- dkms: add, build, install for every kernel"
	dkms remove "kvmmem/$version" --all >/dev/null 2>&1
	rm -rf "/usr/src/kvmmem-$version"
	if make -s dkms-install >/dev/null && dkms add "kvmmem/$version" >/dev/null 2>&1; then
		emit < <(ok "dkms add kvmmem/$version")
	else
		emit < <(nok "dkms add kvmmem/$version")
	fi
	if make -s install-system >/dev/null 2>&1 &&
	   [ -f /lib/udev/rules.d/60-kvmmem.rules ] &&
	   [ -f /etc/modprobe.d/kvmmem-host.conf ] &&
	   [ "$(readlink /etc/systemd/system/sysinit.target.wants/kvmmem-guest.service)" = \
	     /lib/systemd/system/kvmmem-guest.service ]; then
		emit <<<"ok - make install-system: udev rule, kvmmem-guest.service, modprobe.d softdep"
	else
		emit <<<"not ok - make install-system"
	fi
	for k in "${kernels[@]}"; do
		if out=$(dkms build "kvmmem/$version" -k "$k" 2>&1); then
			emit < <(ok "dkms build -k $k")
		else
			emit < <(nok "dkms build -k $k"; tail -n 20 <<<"$out"
				 tail -n 30 "/var/lib/dkms/kvmmem/$version/build/make.log" 2>/dev/null)
		fi
		d=/var/lib/dkms/kvmmem/$version/$k/x86_64
		has build && emit < <(build_check "$k" "$d/log/make.log" "$d/module")
		if dkms install "kvmmem/$version" -k "$k" >/dev/null 2>&1 &&
		   modinfo -k "$k" -n kvmmem_host | grep -q /updates/dkms/ &&
		   modinfo -k "$k" -n kvmmem_guest | grep -q /updates/dkms/; then
			emit < <(ok "dkms install -k $k puts both modules where modprobe finds them")
		else
			emit < <(nok "dkms install -k $k")
		fi
	done
fi

if has pkg; then
	echo "# --- pkg: make install, pkg-config, kvmmem-host without the module, the Debian packages"
	emit < <(tests/unit/pkg.sh build/bin/kvmmem-host 2>&1)
	echo "# --- pkg: the packages installed into a fresh root (booted by the lab's t-pkg)"
	emit < <(tests/unit/pkg-root.sh "${kernels[@]}" 2>&1)
fi

# The lab tests of each kernel run in groups: one lab host boot runs them
# one after the other (tests/lab/group.sh), and stops after the first that
# fails; the rest of the group goes on in a fresh boot. Each test has a
# time limit, three times its usual time ("# lab-typical: S" in each test,
# measured; 4 to 15 minutes), kept outside the lab host, so that a wedged
# lab host costs little.
#
# A lab test that fails is run again on its own, up to three runs, and only
# the last counts: the nested TCG lab (KVM inside an emulated CPU)
# sometimes wedges a VM or the lab host with none of our code involved.
# Failed runs' output is kept as diagnostics, and the retries are counted
# at the end, so a flaky failure stays visible; a real bug fails all three
# runs. A test whose every failed run was a death, of the lab host or of
# one of its VMs (the faults docs/lab.md reproduces with no kvmmem), gets
# up to five runs: t-linux on 6.1 lost its lab host in three runs in a
# row in CI (session 19), each time while its introspector read the
# target. A failed check is never run a fourth time.
#
# Retries must not push the suite past CI's limit (90 minutes from make
# check). The suite has a budget (KVMMEM_TEST_BUDGET, seconds, counted from
# make check's start): a retry runs only if it and the usual time of every
# lab test still to come fit in what is left. A failure that is not
# retried stays a failure.
budget=${KVMMEM_TEST_BUDGET:-4800}
begin=${KVMMEM_CHECK_START:-$(($(date +%s) - SECONDS))}
lab_retries=0 lab_deaths=0 lab_unretried=0 boots=0
. tests/lab/limit.sh
# lab_group KVER NAME TEST...: one lab host boot for the TESTs (the largest
# lab host that one of them asks for, "# lab-memory: 4G"); the output, then
# "#rc=N"
lab_group() {
	local k=$1 name=$2 mem=2 tmo=60 t m
	shift 2
	for t in "$@"; do
		m=$(lab_header "$t" memory)
		m=${m%G}
		[ "${m:-2}" -gt $mem ] && mem=$m
		tmo=$((tmo + $(lab_limit "$t")))
	done
	scripts/lab/run.sh -n "$name" -t "$tmo" -m "${mem}G" "$k" "$top/tests/lab/group.sh" "$@" 2>&1
	echo "#rc=$?"
}
# split OUT: per test of a group's output, into out_of[T], rc_of[T] and
# secs_of[T]; ended=(the tests that ended), running= the one that did not
declare -A out_of rc_of secs_of
split() {
	local l cur=
	ended=() running= out_of=() rc_of=() secs_of=()
	while IFS= read -r l; do
		case $l in
		"KVMMEM-TEST-BEGIN "*) cur=${l#KVMMEM-TEST-BEGIN }; out_of[$cur]= ;;
		"KVMMEM-TEST-END "*)
			read -r _ t rc secs <<<"$l"
			rc_of[$t]=$rc secs_of[$t]=$secs
			ended+=("$t") cur= ;;
		"#rc="*) group_rc=${l#\#rc=} ;;
		*) [ -n "$cur" ] && out_of[$cur]+=$l$'\n' ;;
		esac
	done <<<"$1"
	running=$cur
}
# result KVER GROUPNAME TEST: the test's output from the last split, with a
# failure when the lab host ended while it ran; sets rc
result() {
	rc=${rc_of[$3]:-1}
	printf '%s' "${out_of[$3]:-}"
	if [ "$3" = "$running" ]; then
		nok "lab $1 $3 ended with status $group_rc"
		tail -n 60 "build/lab/$1/logs/$2/console.log" | sed 's/^/# console: /'
	fi
}
failed() { [ "$1" != 0 ] || grep -q '^not ok' <<<"$2"; }
# run_group KVER TEST...: one lab host boot for the TESTs, its output split;
# a lab host that ended before its first test began failed that test
run_group() {
	g=$((g + 1)) boots=$((boots + 1))
	split "$(lab_group "$1" "group-$g" "${@:2}")"
	[ ${#ended[@]} = 0 ] && [ -z "$running" ] && running=$2
}
# take KVER TEST: TEST's output and status from the last run_group, in out
# and rc
take() {
	out=$(result "$1" "group-$g" "$2"; echo "#rc=$rc")
	rc=${out##*#rc=} out=${out%#rc=*}
	out=${out%$'\n'}
}
# ahead I: the usual time of the lab tests after runs[I]
ahead() {
	local r ty sum=0
	for r in "${runs[@]:$(($1 + 1))}"; do
		ty=$(lab_header "${r#* }" typical)
		sum=$((sum + ${ty:-300}))
	done
	echo $sum
}
if has lab; then
	# every kernel's lab initramfs first: t-linux boots a target of the
	# other kernel (the cross pair) from inside a lab host
	for k in "${kernels[@]}"; do
		i=build/lab/$k/initramfs.cpio
		if [ ! -s "$i" ] || [ "$i" -ot scripts/lab/init.sh ] ||
		   [ "$i" -ot scripts/lab/mkinitramfs.sh ]; then
			mkdir -p "build/lab/$k"
			scripts/lab/mkinitramfs.sh "$k" "$i" >/dev/null 2>&1 ||
				emit <<<"not ok - the lab initramfs builds for $k"
		fi
	done
	for k in "${kernels[@]}"; do
		if out=$(tests/kmod/build.sh "$k" 2>&1); then
			emit <<<"ok - the lab tests' own module builds for $k"
		else
			emit < <(nok "the lab tests' own module builds for $k"; tail -n 20 <<<"$out")
		fi
	done
	# a test with "# lab-boot: first" runs first in its group, on a lab
	# host that has run no nested guest yet
	runs=()
	for k in "${kernels[@]}"; do
		for first in first ""; do
			for t in tests/lab/t-*.sh; do
				t=$(basename "$t" .sh)
				[ "$(lab_header "$t" boot)" = "$first" ] || continue
				case " ${KVMMEM_LAB_TESTS:-$t} " in
				*" $t "*) runs+=("$k $t") ;;
				esac
			done
		done
	done
	i=0 g=0
	while [ $i -lt ${#runs[@]} ]; do
		read -r k _ <<<"${runs[$i]}"
		group=()
		for r in "${runs[@]:$i}"; do
			[ "${r% *}" = "$k" ] && group+=("${r#* }")
		done
		echo "# --- lab $k: one lab host boot for ${group[*]}"
		group_rc=0
		t0=$SECONDS
		run_group "$k" "${group[@]}"
		# the tests after the one that failed go on in the next boot
		todo=("${ended[@]}" ${running:+"$running"})
		declare -A res=() rcs=() secs=()
		for t in "${todo[@]}"; do
			take "$k" "$t"
			res[$t]=$out rcs[$t]=$rc secs[$t]=${secs_of[$t]:-$((SECONDS - t0))}
		done
		for name in "${todo[@]}"; do
			echo "# --- lab $k: $name"
			out=${res[$name]} rc=${rcs[$name]} took=${secs[$name]}
			lab_all_deaths=1
			for try in 2 3 4 5; do
				failed "$rc" "$out" || break
				lab_next "$try" "$out" || break
				left=$((budget - ($(date +%s) - begin) - $(ahead "$i")))
				if [ "$(lab_limit "$name")" -gt "$left" ]; then
					lab_unretried=$((lab_unretried + 1))
					echo "# lab $k $name failed on run $((try - 1)); not run again: ${left} s of the suite's budget are left after the usual time of the lab tests still to come"
					break
				fi
				lab_retries=$((lab_retries + 1))
				how=
				[ "$lab_death" = 1 ] && lab_deaths=$((lab_deaths + 1)) how=" (the lab host or a VM died)"
				echo "# lab $k $name failed on run $((try - 1))$how; its output, then run $try:"
				sed "s/^/# run $((try - 1)): /" <<<"$out"
				t1=$SECONDS
				run_group "$k" "$name"
				take "$k" "$name"
				took=${secs_of[$name]:-$((SECONDS - t1))}
			done
			emit <<<"$out"
			echo "# lab $k $name took $took s (last run)"
			i=$((i + 1))
		done
	done
	echo "# lab host boots: $boots; lab runs retried after a failure: $lab_retries ($lab_deaths after a lab host or VM died); failures not retried for time: $lab_unretried"
fi

echo "1..$n"
echo "# wall time $((SECONDS - start)) s"
echo "$pass passed, $fail failed, $skipped skipped"
[ $fail = 0 ]
