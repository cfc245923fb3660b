// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
/*
 * linux.c: opening a view of a Linux target, and its simple questions.
 *
 * DOC: Theory of operation
 *
 * kvmmem_linux_open() finds the kernel (vmcoreinfo.c: the VMCOREINFO page,
 * checked against the symbols it points to), decodes its symbols
 * (kallsyms.c), loads its types (btf.c), reads the bases that
 * CONFIG_RANDOMIZE_MEMORY moves that the walks need (page_offset_base, a
 * variable that kallsyms names, since VMCOREINFO does not give it; vmalloc
 * and vmemmap addresses go through the page tables) and resolves, once,
 * the offsets of every member the walks use. A member that a kernel lacks has offset -1; a walk that needs it
 * fails with EOPNOTSUPP, the others still work.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "lx.h"

/**
 * lx_warn() - report something a walk met in the target's memory
 * @lx: the view
 * @fmt: printf format
 */
void lx_warn(struct kvmmem_linux *lx, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lx->warn)
		lx->warn(lx->warn_ctx, msg);
	else
		fprintf(stderr, "kvmmem: warning: %s\n", msg);
}

#define OFF(field, type, path)	(lx->o.field = lx_btf_off(lx, type, path))

static void offsets(struct kvmmem_linux *lx)
{
	long sz;

	OFF(task_tasks, "task_struct", "tasks");
	OFF(task_pid, "task_struct", "pid");
	OFF(task_tgid, "task_struct", "tgid");
	OFF(task_real_parent, "task_struct", "real_parent");
	OFF(task_cred, "task_struct", "cred");
	OFF(task_comm, "task_struct", "comm");
	OFF(task_state, "task_struct", "__state");
	OFF(task_exit_state, "task_struct", "exit_state");
	OFF(task_flags, "task_struct", "flags");
	/* /proc's start time is the boot-based one */
	OFF(task_start_time, "task_struct", "start_boottime");
	OFF(task_signal, "task_struct", "signal");
	OFF(task_thread_node, "task_struct", "thread_node");
	OFF(task_mm, "task_struct", "mm");
	OFF(task_pid_links, "task_struct", "pid_links");
	OFF(signal_thread_head, "signal_struct", "thread_head");
	OFF(cred_uid, "cred", "uid");
	OFF(cred_euid, "cred", "euid");
	OFF(mm_pgd, "mm_struct", "pgd");
	OFF(mm_mt, "mm_struct", "mm_mt");
	OFF(mm_brk, "mm_struct", "brk");
	OFF(mm_start_brk, "mm_struct", "start_brk");
	OFF(mm_start_stack, "mm_struct", "start_stack");
	OFF(mod_list, "module", "list");
	OFF(mod_name, "module", "name");
	OFF(mod_state, "module", "state");
	OFF(mod_mkobj, "module", "mkobj");
	/* 6.1: core_layout and init_layout; 6.4 on: mem[MOD_MEM_NUM_TYPES] */
	OFF(mod_core_size, "module", "core_layout.size");
	OFF(mod_init_size, "module", "init_layout.size");
	OFF(mod_mem, "module", "mem");
	OFF(mod_mem_size, "module_memory", "size");
	lx->o.mod_mem_stride = lx_btf_size(lx, "module_memory");
	sz = lx_btf_off(lx, "module", "mem") >= 0 ? lx_btf_size(lx, "module") : -1;
	lx->o.mod_mem_n = -1;
	if (lx->o.mod_mem >= 0 && lx->o.mod_mem_stride > 0 && sz > 0) {
		__s32 id = btf__find_by_name_kind(lx->btf, "module", BTF_KIND_STRUCT);
		const struct btf_type *t = btf__type_by_id(lx->btf, id);
		const struct btf_member *m = btf_members(t);
		int i;

		for (i = 0; i < btf_vlen(t); i++, m++) {
			const struct btf_type *a;

			if (strcmp(btf__name_by_offset(lx->btf, m->name_off), "mem"))
				continue;
			a = btf__type_by_id(lx->btf, m->type);
			if (a && btf_is_array(a))
				lx->o.mod_mem_n = btf_array(a)->nelems;
		}
	}
	OFF(mkobj_kobj, "module_kobject", "kobj");
	OFF(mkobj_mod, "module_kobject", "mod");
	OFF(kobj_entry, "kobject", "entry");
	OFF(kset_list, "kset", "list");
	OFF(pid_ns_idr, "pid_namespace", "idr");
	OFF(pid_tasks, "pid", "tasks");
	OFF(pid_numbers, "pid", "numbers");
	OFF(upid_nr, "upid", "nr");
}

/* Read an unsigned long variable of the kernel's, by name. */
static uint64_t kvar(struct kvmmem_linux *lx, const char *name)
{
	uint64_t va = lx_sym(lx, name), v = 0;

	if (!va || lx_ku64(lx, va, &v))
		return 0;
	return v;
}

/**
 * kvmmem_linux_open() - understand a Linux target from its memory
 * @pm: its physical memory (still the caller's: close it after the view)
 * @o: options, or NULL
 *
 * Return: the view, or NULL with errno set (ENOENT: no Linux kernel with
 * VMCOREINFO and kallsyms found; ENOTUNIQ: more than one, that is, a
 * forged one; ENOMSG: no BTF in the kernel and none given).
 */
struct kvmmem_linux *kvmmem_linux_open(struct kvmmem_pmem *pm,
				       const struct kvmmem_linux_opts *o)
{
	struct kvmmem_linux *lx = calloc(1, sizeof(*lx));
	int e;

	if (!lx)
		return NULL;
	lx->pm = pm;
	if (o) {
		lx->warn = o->warn;
		lx->warn_ctx = o->warn_ctx;
		lx->anchor = o->anchor;
		/* a file of the caller's: nothing kept is used */
		lx->cache_dir = o->btf_path || o->sysmap_path ? NULL : o->cache_dir;
		lx->sysmap = o->sysmap_path;
		if (!lx->anchor && lx->cache_dir && o->cache_key)
			lx->anchor = lx_anchor_load(lx->cache_dir, o->cache_key);
	}
	if (lx_find_kernel(lx))
		goto err;
	lx_info_u64(lx->info, "NUMBER(sme_mask)", 10, &lx->sme);
	lx->page_offset = kvar(lx, "page_offset_base");
	if (!lx->page_offset) {
		errno = ENOENT;
		goto err;
	}
	if (!lx->btf && lx_btf_load(lx, o ? o->btf_path : NULL)) {
		errno = ENOMSG;
		goto err;
	}
	if (lx_btf_index(lx))
		goto err;
	offsets(lx);
	if (lx->cache_dir && !lx->cached)
		lx_cache_save(lx, lx->cache_dir);
	if (lx->cache_dir && o->cache_key && lx->anchor != lx->info_pa + 1)
		lx_anchor_save(lx, lx->cache_dir, o->cache_key);
	return lx;
err:
	e = errno;
	kvmmem_linux_close(lx);
	errno = e;
	return NULL;
}

/**
 * kvmmem_linux_close() - free a view
 * @lx: the view (NULL is allowed)
 */
void kvmmem_linux_close(struct kvmmem_linux *lx)
{
	if (!lx)
		return;
	btf__free(lx->btf);
	free(lx->btf_ix);
	free(lx->syms);
	free(lx->names);
	free(lx->info);
	free(lx);
}

/**
 * kvmmem_linux_uname() - the target's uname, from init_uts_ns
 * @lx: the view
 * @u: out: the fields, NUL-terminated
 *
 * Return: 0, or -1 with errno set.
 */
int kvmmem_linux_uname(struct kvmmem_linux *lx, struct kvmmem_linux_uts *u)
{
	uint64_t uts = lx_sym(lx, "init_uts_ns");
	long name = lx_btf_off(lx, "uts_namespace", "name");
	char f[6][KVMMEM_LINUX_UTS_LEN];
	int i;

	if (!uts || name < 0 || lx_kread(lx, uts + name, f, sizeof(f)))
		return -1;
	for (i = 0; i < 6; i++)
		f[i][KVMMEM_LINUX_UTS_LEN - 1] = 0;
	memcpy(u->sysname, f[0], KVMMEM_LINUX_UTS_LEN);
	memcpy(u->nodename, f[1], KVMMEM_LINUX_UTS_LEN);
	memcpy(u->release, f[2], KVMMEM_LINUX_UTS_LEN);
	memcpy(u->version, f[3], KVMMEM_LINUX_UTS_LEN);
	memcpy(u->machine, f[4], KVMMEM_LINUX_UTS_LEN);
	return 0;
}

/**
 * kvmmem_linux_symbol() - a kernel symbol's address
 * @lx: the view
 * @name: the symbol, as /proc/kallsyms names it
 * @addr: out: its address
 *
 * Return: 0, or -1 with errno ENOENT.
 */
int kvmmem_linux_symbol(struct kvmmem_linux *lx, const char *name,
			uint64_t *addr)
{
	*addr = lx_sym(lx, name);
	if (!*addr) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

static int by_addr(const void *a, const void *b)
{
	const struct lx_sym *x = *(const struct lx_sym *const *)a;
	const struct lx_sym *y = *(const struct lx_sym *const *)b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/**
 * kvmmem_linux_symbols() - call @fn for every kernel symbol
 * @lx: the view
 * @fn: called with each symbol's address, type and name, lowest address
 *	first; a non-zero return stops the walk
 * @ctx: passed to @fn
 *
 * Return: 0, or -1 with errno ENOMEM.
 */
int kvmmem_linux_symbols(struct kvmmem_linux *lx,
			 int (*fn)(void *ctx, uint64_t addr, char type,
				   const char *name),
			 void *ctx)
{
	const struct lx_sym **v = malloc((lx->nsyms + 1) * sizeof(*v));
	size_t i;

	if (!v)
		return -1;
	for (i = 0; i < lx->nsyms; i++)
		v[i] = &lx->syms[i];
	qsort(v, lx->nsyms, sizeof(*v), by_addr);
	for (i = 0; i < lx->nsyms; i++)
		if (fn(ctx, v[i]->addr, v[i]->type, lx->names + v[i]->name))
			break;
	free(v);
	return 0;
}

/**
 * kvmmem_linux_anchor() - where the view's VMCOREINFO page is
 * @lx: the view
 *
 * Pass it + 1 as &struct kvmmem_linux_opts.anchor to open the same target
 * (same boot) again without scanning its memory.
 *
 * Return: its physical address.
 */
uint64_t kvmmem_linux_anchor(struct kvmmem_linux *lx)
{
	return lx->info_pa;
}

/**
 * kvmmem_linux_vmcoreinfo() - the VMCOREINFO text the view was built on
 * @lx: the view
 *
 * Return: the text, NUL-terminated, owned by the view.
 */
const char *kvmmem_linux_vmcoreinfo(struct kvmmem_linux *lx)
{
	return lx->info;
}

/**
 * kvmmem_linux_layout() - where the kernel is
 * @lx: the view
 * @kaslr_offset: out: the KASLR slide of its image (KERNELOFFSET)
 * @phys_base: out: the physical offset of its image
 *
 * Return: 0.
 */
int kvmmem_linux_layout(struct kvmmem_linux *lx, uint64_t *kaslr_offset,
			uint64_t *phys_base)
{
	*kaslr_offset = lx->kaslr;
	*phys_base = lx->phys_base;
	return 0;
}

/* The top page table of @pid's address space (0: the kernel's). */
static int root_of(struct kvmmem_linux *lx, int pid, uint64_t *pgd)
{
	if (!pid) {
		*pgd = 0;
		return 0;
	}
	return lx_task_pgd(lx, pid, pgd, NULL);
}

/**
 * kvmmem_linux_vtop() - translate a virtual address
 * @lx: the view
 * @pid: a process, or 0 for the kernel
 * @va: the address
 * @pa: out: its physical address
 *
 * Return: 0, or -1 with errno set (ESRCH: no such process, or one without
 * memory; EFAULT: not mapped; ENODATA: swapped out).
 */
int kvmmem_linux_vtop(struct kvmmem_linux *lx, int pid, uint64_t va,
		      uint64_t *pa)
{
	uint64_t pgd;

	if (root_of(lx, pid, &pgd))
		return -1;
	return lx_vtop(lx, pgd ? pgd : lx->pgd, va, pa);
}

/**
 * kvmmem_linux_vtop_range() - translate the pages of a virtual range
 * @lx: the view
 * @pid: a process, or 0 for the kernel
 * @va: the first page's address (page-aligned)
 * @n: pages
 * @pa: out: each page's physical address, or KVMMEM_LINUX_NO_PAGE where
 *	it is not present (not mapped, swapped out)
 *
 * The process is looked up once, not once a page as kvmmem_linux_vtop()
 * does.
 *
 * Return: 0, or -1 with errno set (ESRCH: no such process, or one without
 * memory; EINVAL: @va not page-aligned).
 */
int kvmmem_linux_vtop_range(struct kvmmem_linux *lx, int pid, uint64_t va,
			    size_t n, uint64_t *pa)
{
	uint64_t pgd;
	size_t i;

	if (va & 4095) {
		errno = EINVAL;
		return -1;
	}
	if (root_of(lx, pid, &pgd))
		return -1;
	for (i = 0; i < n; i++)
		if (lx_vtop(lx, pgd ? pgd : lx->pgd, va + i * 4096, &pa[i]))
			pa[i] = KVMMEM_LINUX_NO_PAGE;
	return 0;
}

/**
 * kvmmem_linux_vread() - read virtual memory
 * @lx: the view
 * @pid: a process, or 0 for the kernel
 * @va: the address
 * @buf: destination
 * @len: bytes
 *
 * Return: 0, or -1 with errno set (see kvmmem_linux_vtop()).
 */
int kvmmem_linux_vread(struct kvmmem_linux *lx, int pid, uint64_t va,
		       void *buf, size_t len)
{
	uint64_t pgd;

	if (root_of(lx, pid, &pgd))
		return -1;
	return lx_vread(lx, pgd, va, buf, len);
}
