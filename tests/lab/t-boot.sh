#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot-time load, inside the lab host: an introspector booted the way an
# installed system boots (systemd as PID 1 on the machine's root, where
# `make install-system` put kvmmem-guest.service and the udev rule, and
# DKMS the modules) has /dev/kvmmem with no manual step. The same unit on
# a machine that is not a KVM guest is skipped, and no unit fails.
# lab-typical: 100
. "$(dirname "$0")/lib.sh"

load_kvm
t0=$SECONDS
if intro_boot_systemd; then
	ok "the introspector boots with systemd ($((SECONDS - t0)) s)"
else
	nok "the introspector boots with systemd"
fi
r() { boot_result "$1"; }
expect "systemd sees a KVM guest" "kvm" "$(r virt)"
expect "kvmmem-guest.service ran at boot" "active" "$(r unit)"
expect "kvmmem_guest is loaded" "kvmmem_guest" "$(r module)"
expect "/dev/kvmmem is root-only (600 root:root)" "600 root:root" "$(r device)"
expect "... as udev's rule 60-kvmmem.rules sets it" "1" "$(r rule)"
expect "no kvmmem unit failed" "0" "$(r 'failed units')"

# Not a KVM guest (the lab host is a TCG machine): systemd evaluates the
# unit's condition to false and skips the unit instead of failing the boot.
out=$(systemd-analyze condition --unit=kvmmem-guest.service 2>&1)
rc=$?
expect "on a machine that is not a KVM guest, systemd skips the unit" \
	"1 kvmmem-guest.service: ConditionVirtualization=kvm failed." "$rc $(head -1 <<<"$out")"
logs_clean
