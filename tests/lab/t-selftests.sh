#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The C selftests (tests/selftests/), inside the lab host: the hypercall ABI,
# the grant ioctl, a VM file released by a kernel thread (hc_release), the
# probes' works when their allocation fails (hc_nomem) and the lock
# benchmark (hc_flood: another VM's flood of hypercalls), each program a
# guest and its host in one file. They
# print TAP of their own; a program that ends other than with status 0 or 1
# (its checks failed) failed as a whole.
# lab-typical: 30
. "$(dirname "$0")/lib.sh"

load_kvm
load_host || { nok "kvmmem_host loads"; exit 1; }
pin0=$(pins)
for t in "$BIN"/selftest-*; do
	name=$(basename "$t")
	diag "$name"
	timeout 120 "$t" 2>&1
	rc=$?
	[ $rc -le 1 ] || nok "$name ends (exit status $rc)"
done
end_checks "$pin0"
