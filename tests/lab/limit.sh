# SPDX-License-Identifier: GPL-2.0
# Sourced. lab_limit TEST: the time limit of lab test TEST (a name like
# t-core), in seconds: three times its usual time (its "# lab-typical: S"
# line, measured), 4 to 15 minutes. tests/lab/group.sh runs each test
# under it, scripts/lab/run.sh keeps it as a deadline outside the lab
# host, and tests/run.sh and scripts/flake-stats.sh size their runs by it.
lab_limit() {
	local ty
	ty=$(sed -n 's/^# lab-typical: //p' "$(dirname "${BASH_SOURCE[0]}")/$1.sh")
	ty=$((3 * ${ty:-200}))
	[ $ty -lt 240 ] && ty=240
	[ $ty -gt 900 ] && ty=900
	echo $ty
}
