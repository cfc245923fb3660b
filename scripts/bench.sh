#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: builds what the benchmark needs (the modules with DKMS, the
# test programs, the kvmmem_bench null-hypercall module for the guest
# kernel), boots the lab on Debian 12's 6.1 kernel (KVER=... to choose
# another) and runs tests/lab/bench.sh, which prints a table of ratios
# (PARTS=maps,yara,alt: the parts to run; all by default; REPS and SWEEPS:
# the alternatives' repetitions), and draws the alternatives' ratios
# (build/bench/KVER/alternatives.png, with gnuplot).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/kernels.sh
scripts/install-deps.sh >/dev/null
kver=${KVER:-$(kver_61)}
tests/run.sh dkms >/dev/null
make -s -C tests >/dev/null
make -s tools >/dev/null
out=build/bench/$kver
mkdir -p "$out"
cp tests/bench/Kbuild tests/bench/kvmmem_bench.c "$out/"
make -s -C "/lib/modules/$kver/build" M="$top/$out" modules >/dev/null 2>&1 ||
	{ echo "bench: kvmmem_bench does not build for $kver" >&2; exit 1; }
log=$out/bench.log
set +e
scripts/lab/run.sh -n bench -t 4800 -m 6G "$kver" env KVMMEM_BENCH_PARTS="${PARTS:-maps,yara,alt}" \
	KVMMEM_BENCH_REPS="${REPS:-5}" KVMMEM_BENCH_SWEEPS="${SWEEPS:-5}" \
	"$top/tests/lab/bench.sh" | tee "$log"
rc=${PIPESTATUS[0]}
if grep -q '^# plot:' "$log"; then
	scripts/bench-plot.sh "$log" "$out/alternatives.png" &&
		echo "# the plot: $out/alternatives.png"
fi
exit "$rc"
