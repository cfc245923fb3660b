# SPDX-License-Identifier: GPL-2.0
# Helpers for the unit scripts that need stand-in processes (sourced): a
# scratch directory $T, removed at exit together with the processes listed
# in pids, and fake, which starts a process that looks like a VMM.
T=$(mktemp -d)
pids=()
cleanup() {
	[ ${#pids[@]} = 0 ] || kill "${pids[@]}" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# fake ARGV0 ARGS...: a process whose command line is ARGV0 -c 'read...'
# ARGS, waiting (with no child) for at most 60 s; sets $fpid
fake() {
	local a0=$1 i
	shift
	[ -p "$T/fifo" ] || mkfifo "$T/fifo"
	(exec -a "$a0" bash -c "read -t 60 <>'$T/fifo'; exit" "$@") &
	fpid=$!
	pids+=("$fpid")
	for i in $(seq 50); do
		tr '\0' '\n' <"/proc/$fpid/cmdline" 2>/dev/null | head -1 | grep -qxF -- "$a0" && return
		sleep 0.1
	done
}
