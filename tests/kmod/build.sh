#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh KVER: build the lab tests' own modules (kvmmem_stall.ko and
# kvmmem_hide.ko) for KVER into build/kmod/KVER/, outside the source tree.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
k=${1:?usage: build.sh KVER}
out=$top/build/kmod/$k
rm -rf "$out"
mkdir -p "$out"
cp "$top"/tests/kmod/Kbuild "$top"/tests/kmod/*.c "$out"/
make -s -C "/lib/modules/$k/build" M="$out" modules 2>&1 | grep -v 'Skipping BTF'
[ -f "$out/kvmmem_stall.ko" ] && [ -f "$out/kvmmem_hide.ko" ]
