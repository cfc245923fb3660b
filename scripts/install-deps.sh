#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs, with apt, what building and testing kvmmem needs on Debian 12:
# QEMU, DKMS, the toolchain, and the two kernels (images and headers) the
# project supports: Debian 12's default 6.1 and its newest 6.12 (security
# suite). Does nothing that is already done.
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive

pkgs=(qemu-system-x86 busybox-static cpio kmod dkms openssl make gcc libc6-dev
      gcc-multilib xz-utils zstd python3 initramfs-tools linux-source-6.1
      systemd udev flex bison bc libelf-dev libssl-dev libkmod-dev pkg-config
      debhelper dh-dkms dpkg-dev fakeroot lintian git binutils
      linux-image-amd64 linux-headers-amd64)

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			echo "$p"
	done
}

todo=$(missing "${pkgs[@]}")
if [ -n "$todo" ] || [ -z "$(ls /var/lib/apt/lists/ | grep _Packages)" ]; then
	echo "# apt-get update"
	apt-get update -qq || exit 1
fi

# The newest 6.12 kernel of Debian 12 (bookworm-security), if there is one.
k612=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' |
	awk '{ print $1 }' | sort -V | tail -1)
if [ -n "$k612" ]; then
	pkgs+=("$k612" "${k612/linux-image/linux-headers}")
else
	echo "# no linux-image-6.12.*+deb12-amd64 in the archive: 6.12 will be skipped"
fi

todo=$(missing "${pkgs[@]}")
if [ -n "$todo" ]; then
	echo "# installing:" $todo
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $todo >/tmp/kvmmem-apt.log 2>&1 ||
		{ tail -n 30 /tmp/kvmmem-apt.log; exit 1; }
fi
