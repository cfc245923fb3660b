#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch.pl --strict --no-tree over every kernel source file, one TAP
# line per file. checkpatch comes from Debian's linux-source-6.1 package
# (or $CHECKPATCH).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cp=${CHECKPATCH:-$top/build/checkpatch/scripts/checkpatch.pl}
if [ ! -x "$cp" ]; then
	tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -1)
	if [ -z "$tarball" ]; then
		echo "ok - checkpatch # SKIP linux-source-6.1 is not installed"
		exit 0
	fi
	mkdir -p "$top/build/checkpatch"
	tar -xf "$tarball" -C "$top/build/checkpatch" --strip-components=1 \
		--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
fi
cd "$top"
for f in guest-module/*.[ch] host-module/*.[ch] include/kvmmem_compat.h include/uapi/linux/*.h tests/bench/*.c \
	 tests/kmod/*.c tests/selftests/*.[ch]; do
	ignore=
	# The compat header exists to hold the version tests, and only it.
	[ "$f" = include/kvmmem_compat.h ] && ignore=--ignore=LINUX_VERSION_CODE,CONSTANT_COMPARISON
	# The selftests' header defines the attribute macros that user space
	# lacks, as the kernel's compiler_attributes.h does.
	[ "$f" = tests/selftests/selftest.h ] && ignore=--ignore=PREFER_DEFINED_ATTRIBUTE_MACRO
	out=$("$cp" --strict --no-tree --quiet --show-types $ignore -f "$f" 2>&1)
	if [ -z "$out" ]; then
		echo "ok - checkpatch --strict $f"
	else
		echo "not ok - checkpatch --strict $f"
		sed 's/^/# /' <<<"$out" | head -n 30
	fi
done
