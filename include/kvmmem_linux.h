/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * kvmmem_linux.h: a Linux target understood from its memory alone.
 *
 * A view of a Linux target is built from nothing but its physical memory:
 * the VMCOREINFO text that the target's kernel keeps in RAM, the kernel's
 * own symbol table (kallsyms) and type information (BTF) found through it,
 * and the target's page tables. No debug package, System.map or profile is
 * needed on the stock kernels kvmmem supports (Debian 12's 6.1 and 6.12).
 *
 * Physical memory comes from a source (struct kvmmem_pmem): a live target
 * through a kvmmem handle, or an image file (raw, LiME or ELF core). The
 * same code walks both.
 *
 * The target's memory is untrusted: every list walk is bounded and checked,
 * every pointer is checked against the kernel's address ranges, and a walk
 * that meets something inconsistent stops with a warning. Calls return -1
 * with errno set on failure; arrays they return are the caller's to free().
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#ifndef KVMMEM_LINUX_H
#define KVMMEM_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "libkvmmem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- physical memory sources ------------------------------------------- */
struct kvmmem_pmem;

struct kvmmem_pmem *kvmmem_pmem_live(struct kvmmem *km);
struct kvmmem_pmem *kvmmem_pmem_image(const char *path);
struct kvmmem_pmem *kvmmem_pmem_buffer(const void *data, size_t len);
/* reads by the caller's function (0, or -1 with errno), over its ranges */
struct kvmmem_pmem *kvmmem_pmem_callback(int (*read)(void *ctx, uint64_t pa,
						     void *buf, size_t len),
					 void *ctx,
					 const struct kvmmem_ram_range *r,
					 size_t nr);
int kvmmem_pmem_read(struct kvmmem_pmem *pm, uint64_t pa, void *buf,
		     size_t len);
int kvmmem_pmem_ranges(struct kvmmem_pmem *pm,
		       const struct kvmmem_ram_range **r);
const char *kvmmem_pmem_kind(struct kvmmem_pmem *pm);
void kvmmem_pmem_close(struct kvmmem_pmem *pm);

/* --- a view of a Linux target ------------------------------------------- */
struct kvmmem_linux;

/* What the caller may add; every field is optional (NULL or 0). */
struct kvmmem_linux_opts {
	const char *btf_path;	/* a BTF file, for a kernel without BTF */
	/* a System.map, for a kernel without kallsyms in its VMCOREINFO */
	const char *sysmap_path;
	/*
	 * Physical address + 1 of the VMCOREINFO page that an earlier full
	 * scan of this target (same boot) found, from kvmmem_linux_anchor();
	 * 0: none. If the page there still checks, the scan is skipped.
	 */
	uint64_t anchor;
	/*
	 * A directory of the caller's (root's, say /run/kvmmem) where the
	 * symbols and BTF of a kernel are kept between views, keyed by its
	 * VMCOREINFO text; NULL: none.
	 */
	const char *cache_dir;
	/*
	 * With cache_dir: a name for the grant (or image) the view is of,
	 * under which the place of its VMCOREINFO page is kept, so that the
	 * next view of it skips the scan (as anchor does); NULL: none.
	 */
	const char *cache_key;
	/* called for each warning (a walk cut short, say); default: stderr */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

struct kvmmem_linux *kvmmem_linux_open(struct kvmmem_pmem *pm,
				       const struct kvmmem_linux_opts *o);
void kvmmem_linux_close(struct kvmmem_linux *lx);

#define KVMMEM_LINUX_UTS_LEN	65
struct kvmmem_linux_uts {
	char sysname[KVMMEM_LINUX_UTS_LEN];
	char nodename[KVMMEM_LINUX_UTS_LEN];
	char release[KVMMEM_LINUX_UTS_LEN];
	char version[KVMMEM_LINUX_UTS_LEN];
	char machine[KVMMEM_LINUX_UTS_LEN];
};

int kvmmem_linux_uname(struct kvmmem_linux *lx, struct kvmmem_linux_uts *u);
int kvmmem_linux_symbol(struct kvmmem_linux *lx, const char *name,
			uint64_t *addr);
/* every kernel symbol, in address order, as /proc/kallsyms lists them */
int kvmmem_linux_symbols(struct kvmmem_linux *lx,
			 int (*fn)(void *ctx, uint64_t addr, char type,
				   const char *name),
			 void *ctx);
/* where the VMCOREINFO page is (physical address), for opts.anchor - 1 */
uint64_t kvmmem_linux_anchor(struct kvmmem_linux *lx);
/* the target's VMCOREINFO text, as /sys/kernel/vmcoreinfo's note holds it */
const char *kvmmem_linux_vmcoreinfo(struct kvmmem_linux *lx);
/* the KASLR slide and where the kernel image starts in physical memory */
int kvmmem_linux_layout(struct kvmmem_linux *lx, uint64_t *kaslr_offset,
			uint64_t *phys_base);

/* Virtual memory: @pid 0 is the kernel's address space. */
int kvmmem_linux_vtop(struct kvmmem_linux *lx, int pid, uint64_t va,
		      uint64_t *pa);
int kvmmem_linux_vread(struct kvmmem_linux *lx, int pid, uint64_t va,
		       void *buf, size_t len);
/* each page of [va, va + n * 4096): its physical address, or NO_PAGE */
#define KVMMEM_LINUX_NO_PAGE	(~0ULL)
int kvmmem_linux_vtop_range(struct kvmmem_linux *lx, int pid, uint64_t va,
			    size_t n, uint64_t *pa);

#define KVMMEM_LINUX_COMM_LEN	16
#define KVMMEM_LINUX_NAME_LEN	64
struct kvmmem_linux_task {
	uint64_t addr;		/* its task_struct */
	int32_t pid;		/* thread id */
	int32_t tgid;		/* process id */
	int32_t ppid;		/* the real parent's process id */
	uint32_t uid;		/* real */
	uint32_t euid;		/* effective */
	char state;		/* as ps shows it: R S D T t X Z P I */
	uint8_t kthread;	/* a kernel thread */
	uint8_t hidden;		/* in the pid table, not in the task list */
	uint64_t start_ns;	/* start time (start_boottime), in ns */
	char comm[KVMMEM_LINUX_COMM_LEN];
	/*
	 * what /proc/PID/comm shows: the comm, a kernel thread's full name,
	 * or a workqueue worker's comm and what it works for
	 */
	char name[KVMMEM_LINUX_NAME_LEN];
};

#define KVMMEM_LINUX_THREADS	1	/* every thread, not only leaders */
#define KVMMEM_LINUX_HIDDEN	2	/* only what the cross-view finds */

int kvmmem_linux_tasks(struct kvmmem_linux *lx, unsigned int flags,
		       struct kvmmem_linux_task **tasks, size_t *n);

#define KVMMEM_LINUX_MODNAME_LEN	56
#define KVMMEM_LINUX_DEPS_LEN	256
struct kvmmem_linux_module {
	uint64_t addr;		/* its struct module */
	uint64_t base;		/* its code, as /proc/modules shows it */
	uint64_t size;		/* as /proc/modules shows it */
	int32_t state;		/* 0 live, 1 coming, 2 going */
	int32_t refcnt;		/* users, as /proc/modules shows it */
	uint8_t hidden;		/* in the module kset, not in the module list */
	char name[KVMMEM_LINUX_MODNAME_LEN];
	/* the modules that use it, each followed by ',' (cut if too long) */
	char deps[KVMMEM_LINUX_DEPS_LEN];
};

int kvmmem_linux_modules(struct kvmmem_linux *lx, unsigned int flags,
			 struct kvmmem_linux_module **mods, size_t *n);

/* One record of the kernel log. */
struct kvmmem_linux_logrec {
	uint64_t seq;
	uint64_t ts_ns;		/* local_clock() when it was logged */
	uint8_t level;		/* 0 emerg .. 7 debug */
	uint8_t facility;	/* 0 kernel, 1 user, ... */
	uint32_t caller_id;
	const char *text;	/* not NUL-terminated inside the record */
	size_t len;
};

int kvmmem_linux_log(struct kvmmem_linux *lx,
		     int (*fn)(void *ctx, const struct kvmmem_linux_logrec *r),
		     void *ctx);

#define KVMMEM_LINUX_PATH_MAX	4096
struct kvmmem_linux_vma {
	uint64_t start;
	uint64_t end;
	uint64_t pgoff;		/* in pages */
	uint64_t flags;		/* the kernel's vm_flags */
	uint32_t dev_major;
	uint32_t dev_minor;
	uint64_t ino;
	char *name;		/* path or [heap] and the like; NULL: none */
};

int kvmmem_linux_maps(struct kvmmem_linux *lx, int pid,
		      struct kvmmem_linux_vma **vmas, size_t *n);
void kvmmem_linux_maps_free(struct kvmmem_linux_vma *vmas, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* KVMMEM_LINUX_H */
