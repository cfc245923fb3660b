#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, inside the lab host: a Linux target VM and a Linux introspector
# VM under KVM. The host grants the introspector a read-only token and
# delivers it into the running introspector through a virtio-serial port that
# QEMU adds over QMP. From inside the introspector, through /dev/kvmmem, the
# kvmmem command understands the target from its memory alone (KASLR on,
# no debug info, nothing from the host): its release, processes, modules,
# kernel log, and a kernel variable (jiffies) read by symbol as it changes.
. "$(dirname "$0")/lib.sh"

say() { printf '\n== %s\n' "$*"; }
die() { echo "demo: $*"; exit 1; }

say "lab host: $(uname -r), $(grep -m1 -o 'model name.*' /proc/cpuinfo)"
load_kvm || die "kvm does not load"
modprobe kvmmem_host || die "kvmmem_host does not load"
dmesg | grep -m1 'hook armed'

say "starting the target: Linux $KVER, 256 MiB, under KVM, KASLR on"
lt_start target "$KVER" 256 || die "the target did not boot"
TARGET=$(lt_pid target)
echo "  the target's own uname -r: $(lt_run target 'uname -r')"
say "starting the introspector: Linux $KVER, 512 MiB, under KVM"
intro_start || die "the introspector did not boot"
intro_run "modprobe kvmmem_guest && ls -l /dev/kvmmem"
intro_run "modprobe virtio_console"
cp "$BIN/kvmmem" "$INTRO_SHARE/"

say "host: kvmmem-host grant --target $TARGET --introspector $(intro_pid) --deliver (read-only)"
"$BIN/kvmmem-host" grant --target "$TARGET" --introspector "$(intro_pid)" --deliver ||
	die "no grant"
"$BIN/kvmmem-host" list
say "introspector: kvmmem --token-port save-token /tmp/token"
intro_run "/mnt/kvmmem --token-port save-token /tmp/token && ls -l /tmp/token" 90 ||
	die "the token did not arrive"

K="/mnt/kvmmem --token-file /tmp/token"
say "introspector: kvmmem uname -a (the kernel found in the target's RAM: VMCOREINFO, kallsyms, BTF)"
intro_run "$K uname -a" 180 | sed 's/^/  /'
say "introspector: kvmmem ps (the target's processes, from its task list)"
intro_run "$K ps 2>&1 | awk 'NR == 1 || \$2 != 2' | head -n 25" | sed 's/^/  /'
say "introspector: kvmmem lsmod"
intro_run "$K lsmod" | sed 's/^/  /'
lt_run target "echo 'kvmmem demo: hello from the target' > /dev/kmsg" >/dev/null
say "introspector: kvmmem dmesg | tail (a line the target just logged is last)"
intro_run "$K dmesg | tail -n 8" | sed 's/^/  /'
say "introspector: the target's jiffies_64, by symbol, every 0.5 s"
for i in 1 2 3 4 5; do
	intro_run "$K vread jiffies_64 8 --raw | od -An -tu8" | awk '{ printf "  jiffies = %s\n", $1 }'
	sleep 0.5
done

say "cleaning up"
intro_stop
lt_stop target
wait_until 10 '[ "$(stat_of live_maps)" = 0 ]'
rmmod kvmmem_host && echo "kvmmem_host unloaded; all mappings gone"
