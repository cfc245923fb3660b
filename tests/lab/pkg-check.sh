#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run by systemd (systemd.run=) in an introspector booted from a root where
# only the Debian packages installed kvmmem: what boot-check.sh records,
# then the token from the token port and a read through the installed
# kvmmem command. The target's address comes in /mnt/pkg.gpa.
sh /mnt/boot-check.sh
touch /mnt/pkg.booted
{
	echo "installed: $(command -v kvmmem) $(dpkg -S "$(command -v kvmmem)" 2>&1 | cut -d: -f1)"
	# the host delivers now; each try waits up to 30 s for the port
	for try in 1 2 3; do
		kvmmem --token-port save-token /run/kvmmem.tok 2>&1 && break
	done
	if [ -s /run/kvmmem.tok ]; then
		echo "port: $(readlink /dev/virtio-ports/org.kvmmem.token 2>&1)"
		echo "read: $(kvmmem --token-file /run/kvmmem.tok read "$(cat /mnt/pkg.gpa)" 32 --raw |
			od -An -v -tx1 | tr -d ' \n')"
	fi
} >> /mnt/boot.result 2>&1
