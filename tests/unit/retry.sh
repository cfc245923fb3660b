#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The lab's retry policy (tests/lab/limit.sh), without the lab: which failed
# runs count as deaths of the lab host or a VM, and how many runs a test
# gets: three after a failed check, five while every failure was a death.
# Prints TAP lines.
. "$(dirname "$0")/../lab/limit.sh"
n=0
# is WHAT EXPECTED CMD...: CMD's status is EXPECTED (0 or 1)
is() {
	local what=$1 want=$2 got=0
	shift 2
	"$@" || got=1
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok - retry policy: $what"
	else
		echo "not ok - retry policy: $what (status $got, wanted $want)"
	fi
}
host='ok 1 - grants are made
not ok - lab 6.1.0-57-amd64 t-linux ended with status 125
# console: [   11.691158] kvm [185]: vcpu0 ...'
watch='not ok - the introspector VM stayed up for the whole test (it died; the test ends here)'
shut='not ok - kvmmem ps: the header
# the introspector'"'"'s VMM has exited
# shutdown exit (a triple fault): pid 412 rip 0x402ff0 [xfer]'
glued='[  40.1] random: crng init donenot ok - the Linux target tgt stayed up for the whole test (it died; the test ends here)'
check='ok 1 - grants are made
not ok - kvmmem uname is the target'"'"'s uname -r
# expected 6.1.0-57-amd64, got 6.12.118+deb12-amd64'
okline='ok - t-foundation: the introspector VM stayed up for the whole test'
is "a lab host that ended under the test is a death" 0 lab_died "$host"
is "a VM that its watcher saw die is a death" 0 lab_died "$watch"
is "a VM's shutdown exit is a death" 0 lab_died "$shut"
is "a watcher's line after console text with no line end is a death" 0 lab_died "$glued"
is "a failed check is not a death" 1 lab_died "$check"
is "a passing line that names a VM is not a death" 1 lab_died "$okline"
# runs RESULTS...: how many runs a test gets whose runs end as RESULTS
# (death, check or pass), as tests/run.sh's loop runs them
runs() {
	local r=1 res out
	lab_all_deaths=1
	for res in "$@"; do
		[ "$res" = pass ] && break
		out=$check
		[ "$res" = death ] && out=$shut
		lab_next $((r + 1)) "$out" || break
		r=$((r + 1))
	done
	echo $r
}
eq() { is "$1" 0 test "$2" = "$3"; }
eq "a test that passes runs once" "$(runs pass)" 1
eq "a failed check, then a pass: two runs" "$(runs check pass)" 2
eq "failed checks only: three runs, no more" "$(runs check check check check check)" 3
eq "deaths only: five runs, no more" "$(runs death death death death death death)" 5
eq "four deaths, then a pass: five runs" "$(runs death death death death pass)" 5
eq "a death, then failed checks: three runs" "$(runs death check check check)" 3
eq "failed checks, then deaths: three runs" "$(runs check death death death)" 3
eq "three deaths and a failed check: four runs" "$(runs death death death check death)" 4
echo "# $n checks"
