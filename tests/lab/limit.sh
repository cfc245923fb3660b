# SPDX-License-Identifier: GPL-2.0
# Sourced. A lab test (a name like t-core) states what it needs in header
# lines "# lab-KEY: VALUE": typical (its usual time, measured, seconds),
# memory (a larger lab host, 4G say) and boot (first: run it first in its
# lab host boot).

# lab_header TEST KEY: the value of TEST's "# lab-KEY:" line
lab_header() {
	sed -n "s/^# lab-$2: //p" "$(dirname "${BASH_SOURCE[0]}")/$1.sh"
}
# lab_limit TEST: its time limit in seconds: three times its usual time,
# 4 to 15 minutes. tests/lab/group.sh runs each test under it,
# scripts/lab/run.sh keeps it as a deadline outside the lab host, and
# tests/run.sh and scripts/flake-stats.sh size their runs by it.
lab_limit() {
	local ty
	ty=$(lab_header "$1" typical)
	ty=$((3 * ${ty:-200}))
	[ $ty -lt 240 ] && ty=240
	[ $ty -gt 900 ] && ty=900
	echo $ty
}

# A lab test that failed runs again in a fresh lab host boot (tests/run.sh),
# three runs in all; five when every failed run so far was a death of the
# lab host or of one of its VMs, the nested emulator's faults (docs/lab.md)
# that no check of ours decides.
#
# lab_died OUT: OUT, a failed run's output, says the lab host ended under
# the test (tests/run.sh), a VM's watcher saw its QEMU exit, or a VM shut
# down (tests/lab/lib.sh)
lab_died() {
	grep -q -e 'not ok .*ended with status' \
		-e 'not ok .*stayed up for the whole test' \
		-e '^# shutdown exit (a triple fault)' <<<"$1"
}
# lab_run_again RUN DEATHS: whether run number RUN (2 to 5) may start;
# DEATHS is 1 when every failed run before it was a death
lab_run_again() {
	[ "$1" -le 3 ] || { [ "$2" = 1 ] && [ "$1" -le 5 ]; }
}
# lab_next RUN OUT: run RUN - 1 failed with output OUT; whether run RUN may
# start. Sets lab_death (1: that run was a death) and keeps lab_all_deaths
# (1 while every failed run of the test was; the caller sets it to 1
# before the test's first retry).
lab_next() {
	lab_death=0
	if lab_died "$2"; then
		lab_death=1
	else
		lab_all_deaths=0
	fi
	lab_run_again "$1" "$lab_all_deaths"
}
