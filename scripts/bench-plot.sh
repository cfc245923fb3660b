#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-plot.sh LOG PNG: the alternatives' ratios that `make bench` printed
# ("# plot: MEASURE|ALTERNATIVE|MEDIAN|MIN|MAX" lines of LOG) as a bar
# chart, one group of bars per measure, on a log scale, with the range of
# the repetitions; its title names the kernel, QEMU and the date (LOG's
# "# the alternatives:" line).
set -euo pipefail
log=$1 png=$2
data=$(mktemp)
trap 'rm -f "$data"' EXIT
title=$(sed -n 's/^# the alternatives: //p' "$log" | tail -n 1)
# one row per measure: its name, then median, min and max per alternative
sed -n 's/^# plot: //p' "$log" | awk -F'|' '
{ if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
  v[$1, $2] = $3 " " $4 " " $5 }
END {
	split("QMP pmemsave|copy and ship|host dump", a, "|")
	for (i = 1; i <= n; i++) {
		line = "\"" order[i] "\""
		for (j = 1; j <= 3; j++)
			line = line " " ((order[i], a[j]) in v ? v[order[i], a[j]] : "NaN NaN NaN")
		print line
	}
}' >"$data"
# a series for each alternative with a figure
plots=
col=2
for t in "QMP pmemsave" "copy and ship (/proc/PID/mem)" "host dump (dump-guest-memory)"; do
	# the values are the last 9 fields; gnuplot's column c is field NF - 10 + c
	if awk -v c=$col '$(NF - 10 + c) != "NaN" { f = 1 } END { exit !f }' "$data"; then
		plots+="${plots:+, }\"$data\" using $col:$((col + 1)):$((col + 2)):xtic(1) title \"$t\""
	fi
	col=$((col + 3))
done
[ -n "$plots" ] || { echo "bench-plot: no figures in $log" >&2; exit 1; }
gnuplot <<GP
set terminal pngcairo size 1000,560 font "sans,10"
set output "$png"
set title "kvmmem against the alternatives: their time / kvmmem's (median, range of runs)\n$title"
set logscale y
set yrange [0.2:*]
set ylabel "times slower than kvmmem (log scale)"
set grid ytics
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.8 border -1
set key top left
set xtics nomirror
plot $plots, 1 with lines lc rgb "black" dt 2 notitle
GP
