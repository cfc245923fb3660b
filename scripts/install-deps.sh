#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs, with apt, what building and testing kvmmem needs on Debian 12:
# QEMU, DKMS, the toolchain, and the two kernels (images and headers) the
# project supports: Debian 12's default 6.1 and its newest 6.12 (security
# suite). Does nothing that is already done.
#
# QEMU comes from bookworm-backports (10.0), not from bookworm (7.2): the
# lab runs KVM inside QEMU's emulated SVM, and 7.2's faulted there often
# enough to fail whole CI runs (docs/lab.md).
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive

pkgs=(busybox-static cpio kmod dkms openssl make gcc libc6-dev
      gcc-multilib xz-utils zstd python3 initramfs-tools linux-source-6.1
      systemd udev flex bison bc libelf-dev libssl-dev libkmod-dev pkg-config
      debhelper dh-dkms dpkg-dev fakeroot lintian git binutils libbpf-dev zlib1g-dev
      nettle-dev libfuse3-dev fuse3 libyara-dev yara makedumpfile crash python3-drgn
      gnuplot-nox linux-image-amd64 linux-headers-amd64)

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			echo "$p"
	done
}

bpo=/etc/apt/sources.list.d/bookworm-backports.sources
qemu_new() {
	dpkg --compare-versions "$(dpkg-query -W -f '${Version}' qemu-system-x86 \
		2>/dev/null)" ge 1:10
}
# QEMU to install: the apt lists must be current, backports included
fresh=
if ! qemu_new; then
	fresh=1
	if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		echo "# adding bookworm-backports (for QEMU 10) in $bpo"
		printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' \
			'Suites: bookworm-backports' 'Components: main' \
			'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' > "$bpo" || exit 1
	fi
fi

todo=$(missing "${pkgs[@]}")
if [ -n "$todo" ] || [ -n "$fresh" ] || [ -z "$(ls /var/lib/apt/lists/ | grep _Packages)" ]; then
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

if ! qemu_new; then
	echo "# installing QEMU from bookworm-backports"
	apt-get install -y -qq --no-install-recommends -t bookworm-backports \
		qemu-system-x86 >/tmp/kvmmem-apt.log 2>&1 ||
		{ tail -n 30 /tmp/kvmmem-apt.log; exit 1; }
	qemu_new || { echo "# QEMU is still older than 10"; exit 1; }
fi
