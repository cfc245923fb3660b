// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: kvmmem mount: a live target as files (FUSE)
 *
 * kvmmem mount DIR shows one target through libfuse3, read-only unless
 * --rw asks for writes to DIR/pmem:
 *
 * - DIR/pmem: its guest-physical memory; the file offset is the gpa, the
 *   size the end of its highest RAM range, holes between ranges read as
 *   zeros, and SEEK_DATA / SEEK_HOLE give the ranges;
 * - DIR/ranges: the RAM ranges, as kvmmem ranges prints them;
 * - DIR/vmcore (a Linux target): the ELF vmcore of evidence.c, its bytes
 *   read live.
 *
 * Files are opened with direct I/O: every read() is served by the daemon
 * from the target's memory now, never from the page cache. FUSE lets such
 * a file be mapped private only (what yara and other readers of files do);
 * a mapping fills the page cache as it faults, so a mapped view is as old
 * as its last fault. The cache is dropped on every open and whenever the
 * guest's status page counts a revocation. After a revocation or the
 * target's exit a read fails with EIO and a log line (standard error and
 * syslog), never with stale bytes or the revoked pattern.
 *
 * With --rw, a write() to DIR/pmem goes to the target's memory at once
 * (kvmmem_write(), page by page), and only inside its RAM ranges: a write
 * that touches a hole fails with EIO, as does any write after a
 * revocation; under a read-only grant every write fails with EROFS. The
 * file cannot be truncated (dd needs conv=notrunc). Each failure has its
 * log line. DIR/ranges and DIR/vmcore stay read-only.
 *
 * The daemon is single-threaded (libkvmmem's handle is not shared between
 * threads); a second thread only watches the status page. Unmounting
 * (fusermount3 -u DIR), the daemon's exit or its kill -9 close the handle,
 * and the guest module then unmaps everything it had mapped.
 */
/* Copyright (C) 2026 The kvmmem authors */
#define _GNU_SOURCE
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fuse.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "evidence.h"
#include "kvmmem_linux.h"
#include "linux-cmds.h"
#include "mount.h"

static const char *prog = "kvmmem";

#include "fail.h"

struct mnt {
	struct kvmmem *km;
	struct kvmmem_pmem *pm;
	const struct kvmmem_ram_range *r;
	int n;
	struct evidence_elf elf;	/* hdr NULL: no vmcore */
	char ranges[64 * KVMMEM_RAM_RANGES_MAX];
	size_t ranges_len;
	uint64_t pmem_size;
	int rw;
	unsigned long failures;
	struct fuse *fuse;
	pthread_t watcher;
	volatile int stop;
};

static struct mnt m;

/* one log line for the first failed read or write, then one in a hundred */
static void io_failed(const char *what, uint64_t off, int err)
{
	if (m.failures++ % 100)
		return;
	syslog(LOG_WARNING, "%s at %#" PRIx64 ": %s (%lu failures)", what, off,
	       kvmmem_strerror(err), m.failures);
	fprintf(stderr, "kvmmem mount: %s at %#" PRIx64 ": %s (%lu failures)\n",
		what, off, kvmmem_strerror(err), m.failures);
}

/* the range that holds @gpa, or the first one after it; m.n if none */
static int range_at(uint64_t gpa)
{
	int i;

	for (i = 0; i < m.n && m.r[i].end <= gpa; i++)
		;
	return i;
}

/* whether [gpa, gpa + len) lies in RAM ranges, holes nowhere */
static int all_ram(uint64_t gpa, uint64_t len)
{
	uint64_t at = gpa;
	int i;

	while (at < gpa + len) {
		i = range_at(at);
		if (i == m.n || at < m.r[i].start)
			return 0;
		at = m.r[i].end;
	}
	return 1;
}

/* read guest-physical [gpa, gpa + len): RAM from the target, holes zeros */
static int read_gpa(uint64_t gpa, uint8_t *buf, uint64_t len)
{
	uint64_t at = gpa, n;
	int i;

	while (at < gpa + len) {
		i = range_at(at);
		if (i == m.n || at < m.r[i].start) {
			n = (i == m.n ? gpa + len : m.r[i].start) - at;
			if (n > gpa + len - at)
				n = gpa + len - at;
			memset(buf + (at - gpa), 0, n);
		} else {
			n = m.r[i].end - at;
			if (n > gpa + len - at)
				n = gpa + len - at;
			if (kvmmem_read(m.km, at, buf + (at - gpa), n))
				return -errno;
		}
		at += n;
	}
	return 0;
}

/* read the vmcore's bytes [off, off + len) */
static int read_vmcore(uint64_t off, uint8_t *buf, uint64_t len)
{
	uint64_t at = off, base = m.elf.data_off, n;
	int i, ret;

	for (; at < off + len && at < m.elf.data_off; at++)
		buf[at - off] = at < m.elf.hdr_len ? m.elf.hdr[at] : 0;
	for (i = 0; i < m.n && at < off + len; i++) {
		uint64_t size = m.r[i].end - m.r[i].start;

		if (at >= base + size) {
			base += size;
			continue;
		}
		n = base + size - at;
		if (n > off + len - at)
			n = off + len - at;
		ret = kvmmem_read(m.km, m.r[i].start + (at - base), buf + (at - off), n);
		if (ret)
			return -errno;
		at += n;
		base += size;
	}
	return 0;
}

enum file { F_NONE, F_ROOT, F_PMEM, F_RANGES, F_VMCORE };

static enum file file_of(const char *path)
{
	if (!strcmp(path, "/"))
		return F_ROOT;
	if (!strcmp(path, "/pmem"))
		return F_PMEM;
	if (!strcmp(path, "/ranges"))
		return F_RANGES;
	if (!strcmp(path, "/vmcore") && m.elf.hdr)
		return F_VMCORE;
	return F_NONE;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	enum file f = file_of(path);

	(void)fi;
	memset(st, 0, sizeof(*st));
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_mtime = time(NULL);
	switch (f) {
	case F_ROOT:
		st->st_mode = S_IFDIR | 0500;
		st->st_nlink = 2;
		return 0;
	case F_PMEM:
		st->st_size = m.pmem_size;
		break;
	case F_RANGES:
		st->st_size = m.ranges_len;
		break;
	case F_VMCORE:
		st->st_size = m.elf.size;
		break;
	default:
		return -ENOENT;
	}
	st->st_mode = S_IFREG | (f == F_PMEM && m.rw ? 0600 : 0400);
	st->st_nlink = 1;
	st->st_blocks = (st->st_size + 511) / 512;
	return 0;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (file_of(path) != F_ROOT)
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, "pmem", NULL, 0, 0);
	fill(buf, "ranges", NULL, 0, 0);
	if (m.elf.hdr)
		fill(buf, "vmcore", NULL, 0, 0);
	return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	enum file f = file_of(path);

	if (f == F_NONE || f == F_ROOT)
		return -ENOENT;
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		if (!m.rw)
			return -EROFS;
		if (f != F_PMEM)
			return -EACCES;
	}
	/* every read() is the target's memory now; mappings are private */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	return 0;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	enum file f = file_of(path);
	uint64_t end;
	int ret;

	(void)fi;
	end = f == F_PMEM ? m.pmem_size : f == F_VMCORE ? m.elf.size :
	      f == F_RANGES ? m.ranges_len : 0;
	if (f == F_NONE || f == F_ROOT)
		return -ENOENT;
	if (off < 0 || (uint64_t)off >= end)
		return 0;
	if (size > end - off)
		size = end - off;
	if (f == F_RANGES) {
		memcpy(buf, m.ranges + off, size);
		return size;
	}
	ret = f == F_PMEM ? read_gpa(off, (uint8_t *)buf, size) :
	      read_vmcore(off, (uint8_t *)buf, size);
	if (ret) {
		io_failed(f == F_PMEM ? "read of pmem" : "read of vmcore", off, -ret);
		return -EIO;
	}
	return size;
}

static int fs_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)fi;
	if (file_of(path) != F_PMEM || !m.rw)
		return -EROFS;
	if (off < 0 || (uint64_t)off >= m.pmem_size || size > m.pmem_size - off ||
	    !all_ram(off, size)) {
		io_failed("write to pmem", off < 0 ? 0 : off, ENXIO);
		return -EIO;
	}
	if (kvmmem_write(m.km, off, buf, size)) {
		int err = errno;

		io_failed("write to pmem", off, err);
		return err == EPERM ? -EROFS : -EIO;
	}
	return size;
}

static off_t fs_lseek(const char *path, off_t off, int whence,
		      struct fuse_file_info *fi)
{
	int i;

	(void)fi;
	if (file_of(path) != F_PMEM || (whence != SEEK_DATA && whence != SEEK_HOLE))
		return -EINVAL;
	if (off < 0 || (uint64_t)off >= m.pmem_size)
		return -ENXIO;
	i = range_at(off);
	if (whence == SEEK_DATA)
		return i == m.n ? -ENXIO : (off_t)((uint64_t)off > m.r[i].start ? (uint64_t)off :
						   m.r[i].start);
	/* SEEK_HOLE: the end of the range that holds off, else off */
	if (i < m.n && (uint64_t)off >= m.r[i].start)
		return m.r[i].end;
	return off;
}

/* reads of up to 1 MiB (FUSE's most): a few large batches of maps */
static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	conn->max_write = 1 << 20;
	conn->max_read = 1 << 20;
	conn->max_readahead = 1 << 20;
	cfg->direct_io = 1;
	return NULL;
}

static const struct fuse_operations ops = {
	.init = fs_init,
	.getattr = fs_getattr,
	.readdir = fs_readdir,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	.lseek = fs_lseek,
};

/* drop the page cache of the mapped files whenever a revocation is counted */
static void *watch(void *arg)
{
	uint64_t seen = kvmmem_revocations(m.km), now;
	struct timespec nap = { 0, 50 * 1000 * 1000 };

	(void)arg;
	while (!m.stop) {
		nanosleep(&nap, NULL);
		now = kvmmem_revocations(m.km);
		if (now == seen)
			continue;
		seen = now;
		fuse_invalidate_path(m.fuse, "/pmem");
		if (m.elf.hdr)
			fuse_invalidate_path(m.fuse, "/vmcore");
	}
	return NULL;
}

/*
 * open the handle and learn the ranges, the pmem size and, for a Linux
 * target, the vmcore's headers
 */
static int setup(const char *hex, const char *key)
{
	struct kvmmem_linux_opts lo = {
		.cache_dir = CACHE_DIR, .cache_key = key, .warn = linux_warn_quiet,
	};
	struct kvmmem_linux *lx;
	size_t len = 0;
	int i;

	m.km = kvmmem_open(hex, LINUX_POOL);
	if (!m.km)
		return -1;
	m.pm = kvmmem_pmem_live(m.km);
	if (!m.pm)
		return -1;
	m.n = kvmmem_pmem_ranges(m.pm, &m.r);
	if (m.n <= 0) {
		errno = ENXIO;
		return -1;
	}
	for (i = 0; i < m.n && len < sizeof(m.ranges) - 40; i++)
		len += snprintf(m.ranges + len, sizeof(m.ranges) - len,
				"0x%" PRIx64 " 0x%" PRIx64 "\n", m.r[i].start, m.r[i].end);
	m.ranges_len = len;
	m.pmem_size = m.r[m.n - 1].end;
	lx = kvmmem_linux_open(m.pm, &lo);
	if (lx) {
		if (evidence_elf_build(lx, m.r, m.n, &m.elf))
			fprintf(stderr, "kvmmem mount: no vmcore: the kernel's layout is not all known\n");
		kvmmem_linux_close(lx);
	} else {
		fprintf(stderr, "kvmmem mount: no vmcore: no Linux kernel understood in the target's memory\n");
	}
	return 0;
}

/* close what setup() opened */
static void teardown(void)
{
	evidence_elf_free(&m.elf);
	if (m.pm)
		kvmmem_pmem_close(m.pm);
	if (m.km)
		kvmmem_close(m.km);
	m.pm = NULL;
	m.km = NULL;
}

/**
 * mount_target() - kvmmem mount DIR
 * @hex: the grant's token, as text
 * @dir: the mount point
 * @key: the grant's name for the Linux view's cache
 * @foreground: stay in the foreground (else daemonize once mounted)
 * @rw: let DIR/pmem be written (the grant must be read-write too)
 *
 * The handle is opened before the mount, so that a bad token or target is
 * an error on the terminal; a daemon opens it again after its fork, since
 * the guest module's mappings are not inherited (VM_DONTCOPY).
 *
 * Return: kvmmem's exit code, once unmounted.
 */
int mount_target(const char *hex, const char *dir, const char *key, int foreground, int rw)
{
	char *argv[] = { "kvmmem", "-o", rw ? "rw,default_permissions,fsname=kvmmem,subtype=kvmmem,max_read=1048576" :
			 "ro,default_permissions,fsname=kvmmem,subtype=kvmmem,max_read=1048576", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	int ret = EX_LFAIL;

	m.rw = rw;
	if (setup(hex, key)) {
		ret = fail(EX_LFAIL, "mount: %s", kvmmem_strerror(errno));
		goto out_teardown;
	}
	if (!foreground)
		teardown();
	m.fuse = fuse_new(&args, &ops, sizeof(ops), NULL);
	if (!m.fuse) {
		ret = fail(EX_LFAIL, "mount: fuse_new failed");
		goto out_teardown;
	}
	if (fuse_mount(m.fuse, dir)) {
		ret = fail(EX_LFAIL, "mount: %s: cannot mount (is /dev/fuse there?)", dir);
		goto out_destroy;
	}
	openlog("kvmmem-mount", LOG_PID, LOG_DAEMON);
	if (fuse_daemonize(foreground)) {
		ret = fail(EX_LFAIL, "mount: cannot daemonize");
		goto out_unmount;
	}
	if (!foreground && setup(hex, key)) {
		syslog(LOG_ERR, "%s: %s", dir, kvmmem_strerror(errno));
		goto out_unmount;
	}
	if (pthread_create(&m.watcher, NULL, watch, NULL)) {
		ret = fail(EX_LFAIL, "mount: no watcher thread");
		goto out_unmount;
	}
	ret = fuse_loop(m.fuse) ? EX_LFAIL : EX_LDONE;
	m.stop = 1;
	pthread_join(m.watcher, NULL);
out_unmount:
	fuse_unmount(m.fuse);
out_destroy:
	fuse_destroy(m.fuse);
out_teardown:
	teardown();
	fuse_opt_free_args(&args);
	return ret;
}
