#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Init of the introspector VM in the lab: runs commands that the lab host
# drops into the shared directory (/mnt) and leaves their output and exit
# status there. Halts when /mnt/halt appears.
touch /mnt/ready
n=0
while :; do
	if [ -e /mnt/cmd.$n ]; then
		sh /mnt/cmd.$n >/mnt/out.$n 2>&1
		echo $? >/mnt/rc.$n.tmp
		mv /mnt/rc.$n.tmp /mnt/rc.$n
		n=$((n + 1))
	elif [ -e /mnt/halt ]; then
		break
	else
		sleep 0.1
	fi
done
