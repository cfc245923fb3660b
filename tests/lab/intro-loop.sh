#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Init of the introspector VM in the lab (and of Linux targets): runs
# commands that the lab host drops into the shared directory (/mnt): once
# go.N appears, cmd.N runs and its output goes to out.N, then its exit
# status to rc.N in one write. Halts when /mnt/halt appears.
#
# Nothing here forks or execs but the command's own subshell: in a nested
# guest, a fork and exec of sleep(1) or mv(1) took about 0.1 s, and each
# command paid several. The commands were written for sh (dash): echo
# takes backslash escapes here as dash's does.
shopt -s xpg_echo
mkfifo /tmp/nap.$$
exec {nap}<>/tmp/nap.$$
rm -f /tmp/nap.$$
touch /mnt/ready
n=0
while :; do
	if [ -e /mnt/go.$n ]; then
		(
			exec {nap}>&-
			. /mnt/cmd.$n
		) >/mnt/out.$n 2>&1
		echo $? >/mnt/rc.$n
		n=$((n + 1))
	elif [ -e /mnt/halt ]; then
		break
	else
		read -r -t 0.05 -u $nap _
	fi
done
