# SPDX-License-Identifier: GPL-2.0
# TAP helpers for the test scripts (sourced). The runner, tests/run.sh,
# numbers the lines and counts them.
ok()   { echo "ok - $*"; }
nok()  { echo "not ok - $*"; }
skip() { echo "ok - $1 # SKIP $2"; }
# diag [TEXT...]: TEXT, or standard input, as TAP comments
diag() { if [ $# -gt 0 ]; then echo "# $*"; else sed 's/^/# /'; fi; }
# expect DESC WANT GOT
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 (want '$2', got '$3')"; fi
}
# check DESC CMD...: ok if CMD succeeds
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
