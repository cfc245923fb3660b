#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# procs.sh: inside a Linux target, one line per process as the target's
# own /proc shows it: PID PPID EUID STARTTIME(clock ticks) COMM. Shell
# built-ins only: a fork a process would take minutes in the nested lab.
for d in /proc/[0-9]*; do
	read -r s <"$d/stat" 2>/dev/null || continue
	euid=
	while read -r k real eff rest; do
		[ "$k" = Uid: ] && { euid=$eff; break; }
	done <"$d/status" 2>/dev/null
	read -r comm <"$d/comm" 2>/dev/null || continue
	# the fields after the comm's closing parenthesis: state is the 3rd
	# field of the line, ppid the 4th, starttime the 22nd
	set -- ${s##*) }
	[ -n "$euid" ] && echo "${d#/proc/} $2 $euid ${20} $comm"
done
