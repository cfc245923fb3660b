#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of every lab VM. Kernel command line:
#   kvmmem.run=CMD      what to run, chrooted into the exported root
#   kvmmem.out=DEV      where CMD's output goes (default /dev/console)
#   kvmmem.share=1      also mount the 9p share "share" on /mnt (read-write)
#   kvmmem.init=systemd exec the root's systemd instead of running CMD
#   kvmmem.proj=DIR     the project's directory, kept visible over the tmpfs
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /mods/order); do
	insmod "/mods/$m" || echo "lab-init: insmod $m failed"
done

arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
run=$(arg kvmmem.run)
out=$(arg kvmmem.out)
out=${out:-/dev/console}
r=/newroot

if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose rootfs $r; then
	echo "lab-init: cannot mount the 9p root" > "$out"
	poweroff -f
fi
# The project may live under a directory that gets a tmpfs below (a CI
# clone in /tmp): keep a bind of it and put it back on top afterwards.
proj=$(arg kvmmem.proj)
if [ -n "$proj" ]; then
	mkdir -p /proj
	mount --bind "$r$proj" /proj
fi
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t devtmpfs devtmpfs $r/dev
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts devpts $r/dev/pts
mount -t tmpfs tmpfs $r/dev/shm
mount -t tmpfs -o size=75% tmpfs $r/tmp
mount -t tmpfs tmpfs $r/run
# the lab host's way out for files (run.sh's out/ directory)
mkdir -p $r/tmp/lab-out
mount -t 9p -o trans=virtio,version=9p2000.L,rw,msize=512000 labout $r/tmp/lab-out 2>/dev/null ||
	rmdir $r/tmp/lab-out
mount -t debugfs debugfs $r/sys/kernel/debug
mount -t tracefs tracefs $r/sys/kernel/tracing 2>/dev/null
[ "$(arg kvmmem.share)" = 1 ] &&
	mount -t 9p -o trans=virtio,version=9p2000.L,rw,msize=512000 share $r/mnt
if [ -n "$proj" ]; then
	mkdir -p "$r$proj" 2>/dev/null
	mount --bind /proj "$r$proj"
fi
hostname lab
# khugepaged's collapses need TLB-flush IPIs that a lab CPU running a nested
# guest has been seen never to answer (a soft lockup in the lab host, from
# QEMU's emulation). Keep THP at fault time, which the tests need (target
# huge pages are split), but stop the collapsing scans.
echo 4294967295 > /sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs 2>/dev/null
echo 4294967295 > /sys/kernel/mm/transparent_hugepage/khugepaged/alloc_sleep_millisecs 2>/dev/null
# kvmmem.thp_defrag=never|defer|madvise|always: THP's compaction at fault
# time (a variant of the lab: scripts/flake-stats.sh, docs/lab.md)
d=$(arg kvmmem.thp_defrag)
[ -n "$d" ] && echo "$d" > /sys/kernel/mm/transparent_hugepage/defrag

# kvmmem.init=systemd: boot the exported root's systemd as PID 1 instead,
# on a writable overlay of it without the build machine's container
# markers (systemd would take the VM for a container otherwise).
if [ "$(arg kvmmem.init)" = systemd ]; then
	o=/overlay
	mkdir -p $o
	mount -t tmpfs tmpfs $o
	mkdir -p $o/upper $o/work $o/root
	mount -t overlay overlay -o lowerdir=$r,upperdir=$o/upper,workdir=$o/work $o/root
	rm -f $o/root/.dockerenv $o/root/run/.containerenv
	# a fresh /tmp, as a real boot has (tmpfiles would otherwise walk and
	# empty the build machine's /tmp through the overlay, for minutes)
	mount -t tmpfs tmpfs $o/root/tmp
	[ "$(arg kvmmem.share)" = 1 ] && mount --move $r/mnt $o/root/mnt
	exec chroot $o/root /lib/systemd/systemd
fi

HOME=/root TERM=${TERM:-linux} PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	chroot $r /bin/sh -c "cd /tmp && $run" < /dev/console > "$out" 2>&1
echo "KVMMEM-EXIT $?" > "$out"
sync
poweroff -f
