#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, inside the lab host: a Linux target VM and a Linux introspector
# VM under KVM. The host grants the introspector a read-only token and
# delivers it into the running introspector through a virtio-serial port that
# QEMU adds over QMP. From inside the introspector, through /dev/kvmmem, the
# kvmmem command reads the target kernel's version banner and we watch
# the target's jiffies counter change, both found at their physical
# addresses (the target boots with nokaslr; see phys() below).
. "$(dirname "$0")/lib.sh"

say() { printf '\n== %s\n' "$*"; }
die() { echo "demo: $*"; exit 1; }

say "lab host: $(uname -r), $(grep -m1 -o 'model name.*' /proc/cpuinfo)"
load_kvm || die "kvm does not load"
modprobe kvmmem_host || die "kvmmem_host does not load"
dmesg | grep -m1 'hook armed'

say "starting the target: Linux $KVER, 256 MiB, under KVM"
qemu-system-x86_64 -enable-kvm -cpu qemu64,-svm,-vmx -smp 1 -m 256 -nodefaults -nographic \
	-no-reboot -kernel "/boot/vmlinuz-$KVER" \
	-initrd "$TOP/build/lab/$KVER/initramfs.cpio" \
	-append "console=ttyS0 nokaslr loglevel=4 kvmmem.proj=$TOP kvmmem.run=$TOP/tests/lab/idle.sh" \
	-virtfs "local,path=/,mount_tag=rootfs,security_model=none,readonly=on,multidevs=remap" \
	-serial "file:$LAB/target-console.log" >/dev/null 2>&1 &
TARGET=$!
wait_for 240 grep -q 'kvmmem-target: up' "$LAB/target-console.log" || die "the target did not boot"
grep -a 'kvmmem-target: up' "$LAB/target-console.log"
say "starting the introspector: Linux $KVER, 512 MiB, under KVM"
intro_start || die "the introspector did not boot"
intro_run "modprobe kvmmem_guest && ls -l /dev/kvmmem"
intro_run "modprobe virtio_console"
cp "$BIN/probe" "$BIN/kvmmem" "$INTRO_SHARE/"

say "host: kvmmem-host grant --target $TARGET --introspector $(intro_pid) --deliver (read-only)"
"$BIN/kvmmem-host" grant --target "$TARGET" --introspector "$(intro_pid)" --deliver ||
	die "no grant"
"$BIN/kvmmem-host" list
say "introspector: kvmmem --token-port save-token /tmp/token"
intro_run "/mnt/kvmmem --token-port save-token /tmp/token && ls -l /tmp/token" 90 ||
	die "the token did not arrive"

# Physical address of a symbol of the target's kernel: the target runs the
# same kernel build as this lab host, loaded at its default physical address
# (CONFIG_PHYSICAL_START, 16 MiB) because of nokaslr, so the symbol's offset
# from _text in our own /proc/kallsyms is its offset there too.
ksym() { awk -v s="$1" '$3 == s { print $1; exit }' /proc/kallsyms; }
phys() {
	printf '0x%x' $((0x$(ksym "$1") - 0x$(ksym _text) + 0x1000000))
}
banner=$(phys linux_banner)
jiffies=$(phys jiffies_64)
page() { printf '0x%x' $(($1 & ~0xfff)); }
off() { printf '%d' $(($1 & 0xfff)); }

say "introspector: reading the target's linux_banner at gpa $banner"
echo "  \$ kvmmem --token-file /tmp/token read $banner 240 --raw"
text=$(intro_run "/mnt/kvmmem --token-file /tmp/token read $banner 240 --raw | tr '\\0' '\\n' | head -n 1")
echo "  $text"
case $text in "Linux version $KVER"*) ;; *) die "that is not the target's banner" ;; esac

say "introspector: watching the target's jiffies at gpa $jiffies (every 0.5 s)"
intro_run "/mnt/probe watch /tmp/token $(page "$jiffies") $(off "$jiffies") 8 500" |
	awk '/^[0-9]+$/ { printf "  jiffies = %s%s\n", $1, prev ? sprintf("  (+%d)", $1 - prev) : ""; prev = $1 }'

say "cleaning up"
intro_stop
kill "$TARGET"; wait "$TARGET" 2>/dev/null
wait_until 10 '[ "$(stat_of live_maps)" = 0 ]'
rmmod kvmmem_host && echo "kvmmem_host unloaded; all mappings gone"
