#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh [DIR]: build the debug lab host kernel (Debian 12's 6.1 source
# with KASAN, lockdep, kmemleak, DEBUG_VM and DEBUG_ATOMIC_SLEEP) in DIR
# (default build/debug-kernel) and kvmmem_host.ko against it. The build is
# cached: it is redone only when the source or debug.config changes.
# Prints the kernel release on its last line.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$top/build/debug-kernel}
src=/usr/src/linux-source-6.1.tar.xz
frag=$top/scripts/debug/debug.config
[ -r "$src" ] || { echo "debug: no $src (apt install linux-source-6.1)" >&2; exit 2; }
mkdir -p "$dir"
tree=$dir/linux-source-6.1
stamp="$(stat -c %Y:%s "$src") $(sha256sum < "$frag")"
if [ "$(cat "$dir/stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$tree"
	echo "debug: unpacking $src" >&2
	tar -C "$dir" -xJf "$src"
	make -s -C "$tree" x86_64_defconfig
	make -s -C "$tree" kvm_guest.config
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" \
		"$tree/.config" "$frag" >/dev/null
	make -s -C "$tree" olddefconfig
	# every line of the fragment must have taken
	grep -E '^CONFIG_' "$frag" | while IFS= read -r l; do
		case $l in
		*=n) grep -qx "# ${l%=n} is not set" "$tree/.config" ||
			! grep -q "^${l%=n}=" "$tree/.config" ;;
		*) grep -qxF "$l" "$tree/.config" ;;
		esac || echo "debug: config: '$l' did not take" >&2
	done
	echo "$stamp" > "$dir/stamp"
fi
echo "debug: building the kernel (about 30 minutes on two cores)" >&2
make -s -C "$tree" -j"$(nproc)" bzImage modules
make -s -C "$top" modules-clean
make -s -C "$tree" M="$top/host-module" KVMMEM_VERSION="$(cat "$top/VERSION")" modules
mkdir -p "$dir/out"
cp "$tree/arch/x86/boot/bzImage" "$dir/out/vmlinuz"
cp "$top/host-module/kvmmem_host.ko" "$dir/out/"
make -s -C "$top" modules-clean
make -s -C "$tree" kernelrelease
