#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# t-pkg: the Debian packages in a fresh root, booted. tests/unit/pkg-root.sh
# installed them with dpkg into a fresh root on the machine (DKMS built the
# modules there for each kernel) and kept what dpkg changed in
# build/pkgroot. Here, inside the lab host, that is laid over a fresh root
# (an overlay of the machine's root with every trace of kvmmem removed) and
# an introspector boots it with systemd: kvmmem_guest loads at boot,
# /dev/kvmmem has the documented owner and mode, the token arrives through
# the token port, and the installed kvmmem command reads the target's
# bytes. The host module comes from that root too. (This is the suite's
# one systemd boot: `make install-system` installs the same unit and udev
# rule from packaging/, and tests/run.sh checks where it puts them.)
# lab-typical: 150
# lab-boot: first
# (its systemd boot is the suite's most fragile step in the nested lab: once,
# after the other tests had run in the same lab host, the introspector
# ended silently right after systemd's banner; alone it passed)
. "$(dirname "$0")/lib.sh"

PR=$TOP/build/pkgroot
if [ ! -f "$PR/usr/bin/kvmmem" ]; then
	skip "the Debian packages in a fresh root" "no build/pkgroot (tests/run.sh pkg makes it)"
	exit 0
fi
if [ "$GKVER" != "$KVER" ]; then
	skip "the Debian packages in a fresh root" "the introspector runs $GKVER, not the lab host's $KVER"
	exit 0
fi
P=$LAB/pkg
R=$P/root
mkdir -p "$P"
mount -t tmpfs tmpfs "$P" && mkdir -p "$P/upper" "$P/work" "$R" &&
	mount -t overlay overlay -o "lowerdir=/,upperdir=$P/upper,workdir=$P/work" "$R" ||
	{ nok "an overlay of the root"; exit 1; }
expect "a fresh root: no kvmmem file where make install, install-system and DKMS put them (pkg-root searched the whole root)" "" \
	"$("$TOP/tests/fresh-root.sh" "$R" --known)"
cp -a "$PR/." "$R/" || { nok "build/pkgroot laid over the fresh root"; exit 1; }
expect "... the packages are installed in it" "install ok installed|install ok installed" \
	"$(chroot "$R" dpkg-query -W -f '${Status}|' kvmmem-dkms kvmmem-tools | sed 's/|$//')"
st=$(chroot "$R" dkms status -k "$KVER" kvmmem 2>/dev/null)
check "... DKMS built and installed the modules for $KVER ($st)" grep -q ': installed$' <<<"$st"
check "... kvmmem_guest and kvmmem_host are in updates/dkms" test \
	"$(ls "$R/lib/modules/$KVER/updates/dkms/" | grep -c '^kvmmem_\(guest\|host\)\.ko')" = 2
check "... kvmmem-guest.service is enabled" \
	test -L "$R/etc/systemd/system/sysinit.target.wants/kvmmem-guest.service"

# an introspector boots that root; the token arrives through the port
load_kvm
if ! modprobe -d "$R" kvmmem_host; then
	nok "kvmmem_host (from the packages) loads"
	dmesg | tail -n 5 | sed 's/^/# dmesg: /'
	exit 1
fi
pin0=$(pins)
tvm_start tp 16 || { nok "the target starts"; exit 1; }
tvm tp fill 0x100000 0x200000 21 >/dev/null
want=$(tvm tp peek 0x200000 32)
rm -f "$LAB/intro.qmp"
tboot=$SECONDS
INTRO_ROOT=$R intro_boot_systemd "$TOP/tests/lab/pkg-check.sh" &
boot=$!
wait_for 60 test -S "$LAB/intro.qmp"
# deliver into the booted introspector, as a user would (pkg-check.sh
# says when it is up)
wait_for 250 test -e "$INTRO_SHARE/pkg.booted"
ipid=$(pgrep -n -f "qemu-system-x86_64.*intro-console-systemd")
echo 0x200000 > "$INTRO_SHARE/pkg.gpa"
out=$("$R/usr/sbin/kvmmem-host" grant --target "$(tvm_pid tp)" --introspector "$ipid" --deliver 2>&1)
check "kvmmem-host grant --deliver into the booting introspector ($out)" grep -qx 'grant [0-9]*' <<<"$out"
wait "$boot"
r() { boot_result "$1"; }
diag "the systemd boot took $((SECONDS - tboot)) s; the longest silences of its log, and what came after each:"
sed 's/^/#   /' "$INTRO_SHARE/blame.txt" 2>/dev/null | head -n 12
expect "the introspector booted the packaged root: systemd sees a KVM guest" "kvm" "$(r virt)"
expect "... kvmmem-guest.service ran" "active" "$(r unit)"
expect "... kvmmem_guest loaded at boot" "kvmmem_guest" "$(r module)"
expect "... /dev/kvmmem is 600 root:root, by the packaged udev rule" "600 root:root 1" "$(r device) $(r rule)"
expect "... kvmmem is the packaged one" "/usr/bin/kvmmem kvmmem-tools" "$(r installed)"
check "... the token port is there through udev ($(r port))" grep -q vport <<<"$(r port)"
expect "... kvmmem --token-port and kvmmem read give the target's bytes" "$want" "$(r read)"
expect "... no kvmmem unit failed" "0" "$(r 'failed units')"
if [ "$(r read)" != "$want" ]; then
	sed 's/^/# boot.result: /' "$INTRO_SHARE/boot.result"
	intro_systemd_log
fi

# Not a KVM guest (the lab host is a TCG machine): systemd evaluates the
# packaged unit's condition to false and skips the unit instead of failing
# the boot.
out=$(chroot "$R" systemd-analyze condition --unit=kvmmem-guest.service 2>&1)
rc=$?
expect "on a machine that is not a KVM guest, systemd skips the packaged unit" \
	"1 kvmmem-guest.service: ConditionVirtualization=kvm failed." "$rc $(head -1 <<<"$out")"

tvm_stop tp
end_checks "$pin0"
umount "$R" "$P"
