#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/fresh-root.sh ROOT [--known]: makes ROOT, a writable overlay of
# this machine's root, look like a machine that never had kvmmem (removes
# what make install, make install-system and dkms install put there), then
# prints, one per line, any kvmmem file still left: nothing if it is fresh.
# Used by tests/unit/pkg-root.sh (the packages installed on this machine)
# and tests/lab/t-pkg.sh (that root booted in the lab). With --known, only
# the places it removes are looked at, not every file of the system's
# directories: the lab uses it, because its search over 9p under TCG takes
# a minute, and pkg-root.sh has searched the same root just before.
set -u
R=${1:?usage: fresh-root.sh ROOT [--known]}
known=("$R"/var/lib/dkms/kvmmem "$R"/usr/src/kvmmem-* "$R"/lib/modules/*/updates/dkms/kvmmem_* \
	"$R"/lib/udev/rules.d/60-kvmmem.rules "$R"/etc/udev/rules.d/60-kvmmem.rules \
	"$R"/lib/systemd/system/kvmmem-guest.service "$R"/etc/systemd/system/*/kvmmem-guest.service \
	"$R"/etc/modprobe.d/kvmmem-host.conf "$R"/usr/local/bin/kvmmem* "$R"/usr/local/sbin/kvmmem* \
	"$R"/usr/local/lib/libkvmmem* "$R"/usr/local/include/libkvmmem.h "$R"/usr/local/include/kvmmem \
	"$R"/usr/lib/*/libkvmmem* "$R"/usr/lib/*/pkgconfig/libkvmmem.pc "$R"/usr/include/libkvmmem.h \
	"$R"/usr/include/kvmmem "$R"/usr/bin/kvmmem "$R"/usr/sbin/kvmmem-host)
rm -rf "${known[@]}"
if [ "${2:-}" = --known ]; then
	ls -d "${known[@]}" 2>/dev/null | sed "s|^$R||"
	exit 0
fi
find "$R"/lib "$R"/etc "$R"/usr/bin "$R"/usr/sbin "$R"/usr/lib "$R"/usr/local "$R"/usr/src \
	"$R"/var/lib/dkms "$R"/usr/include -name '*kvmmem*' 2>/dev/null | sed "s|^$R||"
exit 0
