#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages that tests/unit/pkg.sh built (build/debs), installed
# by dpkg into a fresh root on this machine: an overlay of its root, in a
# private mount namespace, with every trace of kvmmem removed
# (tests/fresh-root.sh) and the headers of the kernels under test, as on a
# Debian machine with two kernels. In that chroot DKMS does not find the
# running kernel, so it builds for every kernel with headers, as it does
# when a root is prepared with debootstrap. What dpkg changed (the
# overlay's upper layer, without its whiteouts) is kept in build/pkgroot;
# tests/lab/t-pkg.sh lays it over a fresh root in the lab and boots an
# introspector from it. (Under the lab's TCG, DKMS took five minutes a
# kernel; here it takes seconds.) Prints TAP lines.
#
#   tests/unit/pkg-root.sh KVER...
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$top/build/pkgroot

. "$top/tests/tap.sh"

if [ "${1:-}" != --ns ]; then
	rm -rf "$OUT"
	exec unshare -m --propagation private "$0" --ns "$@"
fi
shift
tools=$(ls "$top"/build/debs/kvmmem-tools_*_amd64.deb 2>/dev/null | tail -n 1)
dkms=$(ls "$top"/build/debs/kvmmem-dkms_*_all.deb 2>/dev/null | tail -n 1)
if [ -z "$tools" ] || [ -z "$dkms" ] || [ $# = 0 ]; then
	nok "the Debian packages in a fresh root: no packages in build/debs, or no kernel"
	exit 1
fi
T=$(mktemp -d)
# every way out: the mounts go with the namespace, the directory with this
trap 'umount -R "$T" 2>/dev/null; rmdir "$T"' EXIT
R=$T/root
mount -t tmpfs tmpfs "$T" && mkdir -p "$T/upper" "$T/work" "$R" &&
	mount -t overlay overlay -o "lowerdir=/,upperdir=$T/upper,workdir=$T/work" "$R" ||
	{ nok "an overlay of this machine's root to install into"; exit 1; }
left=$("$top/tests/fresh-root.sh" "$R")
check "a fresh root: no kvmmem file outside the project${left:+ (left: $left)}" test -z "$left"
# man-db's trigger would rebuild the manual database for a minute
rm -f "$R"/var/lib/man-db/auto-update
for k in "$R"/lib/modules/*; do
	case " $* " in *" ${k##*/} "*) ;; *) rm -f "$k/build" ;; esac
done
mkdir -p "$R/root/debs"
cp "$tools" "$dkms" "$R/root/debs/"
mount -t proc proc "$R/proc" && mount -t sysfs sysfs "$R/sys" &&
	mount --bind /dev "$R/dev" && mount --bind /dev/pts "$R/dev/pts" &&
	mount -t tmpfs tmpfs "$R/tmp" || { nok "mounts for the chroot"; exit 1; }
t0=$SECONDS
out=$(chroot "$R" env DEBIAN_FRONTEND=noninteractive dpkg -i \
	"/root/debs/${dkms##*/}" "/root/debs/${tools##*/}" 2>&1)
rc=$?
echo "# dpkg -i (DKMS builds for $*): $((SECONDS - t0)) s"
check "dpkg -i kvmmem-dkms kvmmem-tools into a fresh root" test "$rc" = 0
[ "$rc" = 0 ] || tail -n 30 <<<"$out" | sed 's/^/# dpkg: /'
for k in "$@"; do
	st=$(chroot "$R" dkms status -k "$k" kvmmem 2>/dev/null)
	check "... DKMS built and installed the modules for $k ($st)" \
		test "$(grep -c ': installed$' <<<"$st")" = 1
done
for m in tmp dev/pts dev sys proc; do umount "$R/$m"; done
rm -rf "$R/root/debs"
mkdir -p "$OUT" &&
	(cd "$T/upper" && find . ! -type c -print0 | tar --null --no-recursion -cf - -T -) |
	tar -xpf - -C "$OUT"
check "what dpkg changed is kept for the lab ($(du -sh "$OUT" | cut -f1) in build/pkgroot)" \
	test -f "$OUT/usr/bin/kvmmem"
