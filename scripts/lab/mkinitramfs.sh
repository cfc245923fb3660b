#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh KVER OUT: the small initramfs that every lab VM boots (the
# lab host and the VMs inside it). It holds busybox, the modules needed to
# mount the 9p root, and init.sh, which mounts the exported root read-only,
# puts tmpfs on /tmp and /run and runs the command named by kvmmem.run= on
# the kernel command line.
set -euo pipefail

kver=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work"/{bin,dev,proc,sys,newroot,mods}
cp /bin/busybox "$work/bin/busybox"
cp "$here/init.sh" "$work/init"
chmod 755 "$work/init"

: > "$work/mods/order"
# a kernel without modules (the debug lab host) has all of them built in
[ -d "/lib/modules/$kver" ] &&
for m in virtio_pci 9pnet_virtio 9p overlay; do
	modprobe -S "$kver" --show-depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
while read -r ko; do
	name=$(basename "$ko")
	case "$name" in
	*.xz) xz -dc "$ko" > "$work/mods/${name%.xz}"; name=${name%.xz} ;;
	*.zst) zstd -qdc "$ko" > "$work/mods/${name%.zst}"; name=${name%.zst} ;;
	*) cp "$ko" "$work/mods/$name" ;;
	esac
	echo "$name" >> "$work/mods/order"
done

(cd "$work" && find . | cpio -o -H newc --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
