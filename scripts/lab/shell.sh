#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# shell.sh [KVER]: boot the lab host for a person to use by hand. The
# machine's root is there read-only, /tmp is writable, the kvmmem modules
# installed by DKMS load with modprobe, and tests/lab/lib.sh has helpers
# (tvm_start, intro_start, intro_run...). Leave with "poweroff -f".
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/kernels.sh"
exec "$top/scripts/lab/run.sh" -i "${1:-$(kver_61)}"
