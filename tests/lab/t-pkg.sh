#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# t-pkg: the Debian packages that tests/run.sh pkg built (build/debs),
# installed with dpkg into a fresh root (an overlay of the machine's root
# with every trace of kvmmem removed), inside the lab host: DKMS builds the
# modules for the running kernel. An introspector then boots that root with
# systemd: kvmmem_guest loads at boot, /dev/kvmmem has the documented owner
# and mode, the token arrives through the token port, and the installed
# kvmmem command reads the target's bytes.
# lab-timeout: 1200
# lab-typical: 660
. "$(dirname "$0")/lib.sh"

D=$TOP/build/debs
tools=$(ls "$D"/kvmmem-tools_*_amd64.deb 2>/dev/null | tail -n 1)
dkms=$(ls "$D"/kvmmem-dkms_*_all.deb 2>/dev/null | tail -n 1)
if [ -z "$tools" ] || [ -z "$dkms" ]; then
	skip "the Debian packages in a fresh root" "no packages in build/debs (tests/run.sh pkg builds them)"
	exit 0
fi
if [ "$GKVER" != "$KVER" ]; then
	skip "the Debian packages in a fresh root" "the introspector runs $GKVER, not the lab host's $KVER (DKMS builds for the running kernel)"
	exit 0
fi
P=$LAB/pkg
R=$P/root
mkdir -p "$P"
mount -t tmpfs tmpfs "$P" && mkdir -p "$P/upper" "$P/work" "$R" &&
	mount -t overlay overlay -o "lowerdir=/,upperdir=$P/upper,workdir=$P/work" "$R" ||
	{ nok "an overlay of the root to install into"; exit 1; }
# Fresh: nothing of kvmmem, as on a machine that never had it
rm -rf "$R"/var/lib/dkms/kvmmem "$R"/usr/src/kvmmem-* "$R"/lib/modules/*/updates/dkms/kvmmem_* \
	"$R"/lib/udev/rules.d/60-kvmmem.rules "$R"/etc/udev/rules.d/60-kvmmem.rules \
	"$R"/lib/systemd/system/kvmmem-guest.service "$R"/etc/systemd/system/*/kvmmem-guest.service \
	"$R"/etc/modprobe.d/kvmmem-host.conf "$R"/usr/local/bin/kvmmem* "$R"/usr/local/sbin/kvmmem* \
	"$R"/usr/local/lib/libkvmmem* "$R"/usr/local/include/libkvmmem.h "$R"/usr/local/include/kvmmem \
	"$R"/usr/lib/*/libkvmmem* "$R"/usr/lib/*/pkgconfig/libkvmmem.pc "$R"/usr/include/libkvmmem.h \
	"$R"/usr/include/kvmmem "$R"/usr/bin/kvmmem "$R"/usr/sbin/kvmmem-host
left=$(find "$R"/lib "$R"/etc "$R"/usr/bin "$R"/usr/sbin "$R"/usr/lib "$R"/usr/local "$R"/usr/src \
	"$R"/var/lib/dkms "$R"/usr/include -name '*kvmmem*' 2>/dev/null | sed "s|^$R||")
expect "a fresh root: no kvmmem file outside the project" "" "$left"
# man-db's trigger would rebuild the manual database under TCG for minutes
rm -f "$R"/var/lib/man-db/auto-update
mkdir -p "$R/root/debs"
cp "$tools" "$dkms" "$R/root/debs/"
# one kernel's headers, as on a machine that runs one kernel: DKMS would
# build for each kernel with headers, twice as long under TCG
for k in "$R"/lib/modules/*; do
	[ "${k##*/}" = "$KVER" ] || rm -f "$k/build"
done
mount -t proc proc "$R/proc" && mount -t sysfs sysfs "$R/sys" &&
	mount --bind /dev "$R/dev" && mount --bind /dev/pts "$R/dev/pts" &&
	mount -t tmpfs tmpfs "$R/tmp" || { nok "mounts for the chroot"; exit 1; }
# bash's process substitution (dkms uses it) needs /dev/fd
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
# the build reads the headers through overlayfs on 9p on a TCG host: one
# read may wait minutes under load, which the hung-task watchdog (120 s)
# would report; give it 10 minutes here, as the lab's own limit
ht=$(cat /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null)
echo 600 > /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
t0=$SECONDS
out=$(chroot "$R" env DEBIAN_FRONTEND=noninteractive dpkg -i \
	"/root/debs/$(basename "$dkms")" "/root/debs/$(basename "$tools")" 2>&1)
rc=$?
[ -n "$ht" ] && echo "$ht" > /proc/sys/kernel/hung_task_timeout_secs
diag "dpkg -i (DKMS builds the modules for $KVER): $((SECONDS - t0)) s"
check "dpkg -i kvmmem-dkms kvmmem-tools into the fresh root" test "$rc" = 0
[ "$rc" = 0 ] || tail -n 20 <<<"$out" | sed 's/^/# dpkg: /'
expect "... both are installed" "install ok installed|install ok installed" \
	"$(chroot "$R" dpkg-query -W -f '${Status}|' kvmmem-dkms kvmmem-tools | sed 's/|$//')"
st=$(chroot "$R" dkms status -k "$KVER" kvmmem 2>/dev/null)
check "... DKMS built and installed the modules for $KVER ($st)" grep -q ': installed' <<<"$st"
check "... kvmmem_guest and kvmmem_host are in updates/dkms" test \
	"$(ls "$R/lib/modules/$KVER/updates/dkms/" | grep -c '^kvmmem_\(guest\|host\)\.ko')" = 2
check "... kvmmem-guest.service is enabled" \
	test -L "$R/etc/systemd/system/sysinit.target.wants/kvmmem-guest.service"
for m in tmp dev/pts dev sys proc; do umount "$R/$m"; done

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
INTRO_ROOT=$R intro_boot_systemd "$TOP/tests/lab/pkg-check.sh" &
boot=$!
wait_for 60 test -S "$LAB/intro.qmp"
ipid=$(pgrep -n -f "qemu-system-x86_64.*intro-console-systemd")
echo 0x200000 > "$INTRO_SHARE/pkg.gpa"
out=$("$BIN/kvmmem-host" grant --target "$(tvm_pid tp)" --introspector "$ipid" --deliver 2>&1)
check "kvmmem-host grant --deliver into the booting introspector ($out)" grep -qx 'grant [0-9]*' <<<"$out"
wait "$boot"
if [ ! -s "$INTRO_SHARE/boot.result" ]; then
	diag "the introspector's systemd boot recorded nothing; its console:"
	sed 's/^/# intro: /' "$LAB/intro-console-systemd.log" | tail -n 40
fi
r() { sed -n "s/^$1: //p" "$INTRO_SHARE/boot.result" 2>/dev/null; }
expect "the introspector booted the packaged root: kvmmem-guest.service ran" "active" "$(r unit)"
expect "... kvmmem_guest loaded at boot" "kvmmem_guest" "$(r module)"
expect "... /dev/kvmmem is 600 root:root, by the packaged udev rule" "600 root:root 1" "$(r device) $(r rule)"
expect "... kvmmem is the packaged one" "/usr/bin/kvmmem kvmmem-tools" "$(r installed)"
check "... the token port is there through udev ($(r port))" grep -q vport <<<"$(r port)"
expect "... kvmmem --token-port and kvmmem read give the target's bytes" "$want" "$(r read)"
[ "$(r read)" = "$want" ] || sed 's/^/# boot.result: /' "$INTRO_SHARE/boot.result"

tvm_stop tp
end_checks "$pin0"
umount "$R" "$P"
