#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's demo command (make demo): installs what it needs, builds
# and installs the modules with DKMS, then boots the lab on Debian 12's 6.1
# kernel (KVER=... to choose another) and runs tests/lab/demo.sh in it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/kernels.sh
scripts/install-deps.sh
kver=${KVER:-$(kver_61)}
version=$(cat VERSION)
make -s -C tests >/dev/null
make -s tools >/dev/null
dkms remove "kvmmem/$version" --all >/dev/null 2>&1 || true
rm -rf "/usr/src/kvmmem-$version"
make -s dkms-install >/dev/null
dkms add "kvmmem/$version" >/dev/null
dkms install "kvmmem/$version" -k "$kver" >/dev/null
exec scripts/lab/run.sh -n demo -t 600 "$kver" "$top/tests/lab/demo.sh"
