#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run by systemd (systemd.run=) in an introspector booted from a root where
# only the Debian packages installed kvmmem: what boot-check.sh records,
# then the token from the token port and a read through the installed
# kvmmem command. The target's address comes in /mnt/pkg.gpa.
sh /mnt/boot-check.sh
{
	echo "installed: $(command -v kvmmem) $(dpkg -S "$(command -v kvmmem)" 2>&1 | cut -d: -f1)"
	if kvmmem --token-port save-token /run/kvmmem.tok 2>&1; then
		echo "port: $(readlink /dev/virtio-ports/org.kvmmem.token 2>&1)"
		echo "read: $(kvmmem --token-file /run/kvmmem.tok read "$(cat /mnt/pkg.gpa)" 32 --raw |
			od -An -v -tx1 | tr -d ' \n')"
	fi
} >> /mnt/boot.result 2>&1
