/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * lx.h: what the files of the Linux layer share (not installed).
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#ifndef KVMMEM_LX_H
#define KVMMEM_LX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmmem_linux.h"

#define LX_PAGE		4096ULL
#define LX_KMAP		0xffffffff80000000ULL	/* __START_KERNEL_map */
#define LX_WALK_MAX	(1u << 20)	/* elements of any list, at most */

struct btf;

/* A physical memory source: the backends' common part. */
struct kvmmem_pmem {
	int (*read)(struct kvmmem_pmem *pm, uint64_t pa, void *buf, size_t len);
	void (*close)(struct kvmmem_pmem *pm);
	const char *kind;
	struct kvmmem_ram_range *r;
	size_t nr;
};

/* A kallsyms entry: its address and its name in the string pool. */
struct lx_sym {
	uint64_t addr;
	uint32_t name;
	char type;		/* as /proc/kallsyms shows it */
};

/* Offsets (bytes) of the members the walks use; -1: not in this kernel. */
struct lx_offsets {
	long task_tasks, task_pid, task_tgid, task_real_parent, task_cred;
	long task_comm, task_state, task_exit_state, task_flags;
	long task_start_time, task_signal, task_thread_node, task_mm;
	long task_pid_links;
	long signal_thread_head;
	long cred_uid, cred_euid;
	long mm_pgd, mm_mt, mm_brk, mm_start_brk, mm_start_stack;
	long mod_list, mod_name, mod_state, mod_mkobj, mod_core_size;
	long mod_init_size, mod_mem, mod_mem_size, mod_mem_stride, mod_mem_n;
	long mkobj_kobj, mkobj_mod, kobj_entry, kset_list;
	long pid_ns_idr, pid_tasks, hlist_size;
	long upid_nr, pid_numbers;
};

struct kvmmem_linux {
	struct kvmmem_pmem *pm;
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
	char *info;		/* the VMCOREINFO text, NUL-terminated */
	uint64_t info_pa;	/* its page */
	uint64_t anchor;	/* opts.anchor */
	const char *cache_dir;	/* opts.cache_dir */
	const char *sysmap;	/* opts.sysmap_path */
	bool cached;		/* the symbols and BTF came from the cache */
	uint64_t phys_base;
	uint64_t kaslr;
	uint64_t pgd;		/* physical address of init_top_pgt */
	bool l5;
	uint64_t sme;		/* memory encryption mask of frame addresses */
	uint64_t page_offset;	/* page_offset_base */
	struct lx_sym *syms;	/* sorted by name */
	size_t nsyms;
	char *names;
	struct btf *btf;
	uint32_t *btf_ix;	/* struct and union ids by name (btf.c) */
	size_t btf_ix_cap;
	struct lx_offsets o;
};

/* vmcoreinfo.c */
int lx_find_kernel(struct kvmmem_linux *lx);
const char *lx_info(const char *info, const char *key, size_t *len);
bool lx_info_u64(const char *info, const char *key, int base, uint64_t *v);

/* cache.c */
bool lx_cache_load(struct kvmmem_linux *lx, const char *dir, const char *text);
void lx_cache_save(struct kvmmem_linux *lx, const char *dir);
uint64_t lx_anchor_load(const char *dir, const char *key);
void lx_anchor_save(struct kvmmem_linux *lx, const char *dir, const char *key);

/* kallsyms.c */
int lx_kallsyms_load(struct kvmmem_linux *lx, const char *info,
		     struct lx_sym **syms, size_t *nsyms, char **names);
uint64_t lx_sym(const struct kvmmem_linux *lx, const char *name);
int lx_sysmap_load(struct kvmmem_linux *lx, const char *path, uint64_t offset);

/* btf.c */
int lx_btf_load(struct kvmmem_linux *lx, const char *path);
long lx_btf_off(const struct kvmmem_linux *lx, const char *type,
		const char *path);
long lx_btf_size(const struct kvmmem_linux *lx, const char *type);
int lx_btf_index(struct kvmmem_linux *lx);

/* vtop.c */
int lx_pread(struct kvmmem_linux *lx, uint64_t pa, void *buf, size_t len);
int lx_vtop(struct kvmmem_linux *lx, uint64_t pgd, uint64_t va, uint64_t *pa);
int lx_vread(struct kvmmem_linux *lx, uint64_t pgd, uint64_t va, void *buf,
	     size_t len);
int lx_kread(struct kvmmem_linux *lx, uint64_t va, void *buf, size_t len);
int lx_ku64(struct kvmmem_linux *lx, uint64_t va, uint64_t *v);
int lx_ku32(struct kvmmem_linux *lx, uint64_t va, uint32_t *v);
bool lx_kptr(const struct kvmmem_linux *lx, uint64_t va);

/* tasks.c */
int lx_task_pgd(struct kvmmem_linux *lx, int pid, uint64_t *pgd,
		uint64_t *mm);

/* linux.c */
void lx_warn(struct kvmmem_linux *lx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* KVMMEM_LX_H */
