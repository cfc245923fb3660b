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

# A lab run that fails is run again, up to three runs, and only the last
# counts: the nested TCG lab (KVM inside an emulated CPU) sometimes wedges a
# VM or the lab host with none of our code involved. Failed runs' output is
# kept as diagnostics, and the retries are counted at the end, so a flaky
# failure stays visible; a real bug fails all three runs. (Two retries: a
# lab host that died twice in a row, a systemd boot and then a triple
# fault, was seen once in a full run.)
#
# Retries must not push the suite past CI's limit (90 minutes from make
# check). The suite has a budget (KVMMEM_TEST_BUDGET, seconds, counted from
# make check's start): a retry runs only if it and the usual time of every
# lab test still to come ("# lab-typical: S" in each test, measured) fit
# in what is left, and its time limit is cut to what is left. A failure
# that is not retried stays a failure.
budget=${KVMMEM_TEST_BUDGET:-4800}
begin=${KVMMEM_CHECK_START:-$(($(date +%s) - SECONDS))}
lab_retries=0 lab_unretried=0
header() { sed -n "s/^# lab-$2: //p" "$1"; }
lab_once() {	# KVER NAME TEST ATTEMPT [MAXSECONDS]: run, print TAP and "#rc=N"
	# a test may ask for a larger lab host ("# lab-memory: 4G"); its time
	# limit is three times its usual time (4 to 15 minutes), so that a
	# wedged lab host costs little and leaves time for the retry
	local mem tmo ty
	mem=$(header "$3" memory)
	ty=$(header "$3" typical)
	tmo=$((3 * ${ty:-200}))
	[ $tmo -lt 240 ] && tmo=240
	[ $tmo -gt 900 ] && tmo=900
	[ -n "${5:-}" ] && [ "$5" -lt "$tmo" ] && tmo=$5
	scripts/lab/run.sh -n "$2-$4" -t "$tmo" -m "${mem:-2G}" "$1" "$top/$3" 2>&1
	local rc=$?
	[ $rc != 0 ] && nok "lab $1 $2 ended with status $rc" &&
		tail -n 60 "build/lab/$1/logs/$2-$4/console.log" | sed 's/^/# console: /'
	echo "#rc=$rc"
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
	runs=()
	for k in "${kernels[@]}"; do
		for t in tests/lab/t-*.sh; do
			case " ${KVMMEM_LAB_TESTS:-$(basename "$t" .sh)} " in
			*" $(basename "$t" .sh) "*) ;;
			*) continue ;;
			esac
			runs+=("$k $t")
		done
	done
	for i in "${!runs[@]}"; do
		read -r k t <<<"${runs[$i]}"
		name=$(basename "$t" .sh)
		echo "# --- lab $k: $name"
		ahead=0
		for r in "${runs[@]:$((i + 1))}"; do
			ty=$(header "${r#* }" typical)
			ahead=$((ahead + ${ty:-300}))
		done
		t0=$SECONDS
		out=$(lab_once "$k" "$name" "$t" 1)
		for try in 2 3; do
			grep -q '^not ok' <<<"$out" || break
			left=$((budget - ($(date +%s) - begin) - ahead))
			if [ $((SECONDS - t0)) -gt "$left" ]; then
				lab_unretried=$((lab_unretried + 1))
				echo "# lab $k $name failed on run $((try - 1)); not run again: ${left} s of the suite's budget are left after the usual time of the lab tests still to come"
				break
			fi
			lab_retries=$((lab_retries + 1))
			echo "# lab $k $name failed on run $((try - 1)); its output, then run $try:"
			sed "s/^/# run $((try - 1)): /" <<<"$out"
			t0=$SECONDS
			out=$(lab_once "$k" "$name" "$t" "$try" "$left")
		done
		emit <<<"$out"
		echo "# lab $k $name took $((SECONDS - t0)) s (last run)"
	done
	echo "# lab runs retried after a failure: $lab_retries; failures not retried for time: $lab_unretried"
fi

echo "1..$n"
echo "# wall time $((SECONDS - start)) s"
echo "$pass passed, $fail failed, $skipped skipped"
[ $fail = 0 ]
