// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
/*
 * modules.c: the target's loaded kernel modules, and the ones it hides.
 *
 * DOC: Theory of operation
 *
 * The module list (the static list_head "modules", through module.list) is
 * what /proc/modules shows; modules still in MODULE_STATE_UNFORMED are
 * skipped, as there. A module's size is what /proc/modules prints: the
 * sizes of its core and init layouts on 6.1, the sum of its mem[] regions
 * from 6.4 on; BTF says which of the two the kernel has.
 *
 * The cross-view (KVMMEM_LINUX_HIDDEN): every module kobject in the
 * module kset (module_kset, the /sys/module directory) belongs to a
 * struct module_kobject embedded in its struct module (built-in modules
 * have one with no module). A module whose kobject is there but that the
 * module list does not hold was unlinked from the list, which is what a
 * rootkit hiding itself does. A kobject is believed only if the module it
 * points to embeds it.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "walk.h"

#define MODULE_STATE_UNFORMED	3

/* What usage() reads, looked up once per walk (see tasks.c's name_offs). */
struct use_offs {
	long use_list, use_source, refcnt, users, base;
};

struct macc {
	struct kvmmem_linux *lx;
	struct use_offs uo;
	struct kvmmem_linux_module *m;
	size_t n, cap;
	struct lx_seen seen;
	bool hidden;
};

static int mod_size(struct kvmmem_linux *lx, uint64_t mod, uint64_t *size)
{
	const struct lx_offsets *o = &lx->o;
	uint32_t s;
	long i;

	*size = 0;
	if (o->mod_core_size >= 0) {
		if (lx_ku32(lx, mod + o->mod_core_size, &s))
			return -1;
		*size = s;
		if (o->mod_init_size >= 0 && !lx_ku32(lx, mod + o->mod_init_size, &s))
			*size += s;
		return 0;
	}
	if (o->mod_mem < 0 || o->mod_mem_size < 0 || o->mod_mem_n <= 0)
		return -1;
	for (i = 0; i < o->mod_mem_n; i++) {
		if (lx_ku32(lx, mod + o->mod_mem + i * o->mod_mem_stride +
			    o->mod_mem_size, &s))
			return -1;
		*size += s;
	}
	return 0;
}

struct deps {
	struct kvmmem_linux *lx;
	struct kvmmem_linux_module *m;
	long use_list, use_source, name;
};

static int on_use(void *ctx, uint64_t node)
{
	struct deps *d = ctx;
	char name[KVMMEM_LINUX_MODNAME_LEN];
	size_t at = strlen(d->m->deps);
	uint64_t src;

	if (lx_ku64(d->lx, node - d->use_list + d->use_source, &src) ||
	    !lx_kptr(d->lx, src) ||
	    lx_kread(d->lx, src + d->name, name, sizeof(name)))
		return 1;
	name[sizeof(name) - 1] = 0;
	if (at + strlen(name) + 2 > sizeof(d->m->deps))
		return 1;
	strcat(d->m->deps, name);
	strcat(d->m->deps, ",");
	return 0;
}

/* What /proc/modules adds: the users, the reference count and the base. */
static void use_offs(struct kvmmem_linux *lx, struct use_offs *uo)
{
	uo->use_list = lx_btf_off(lx, "module_use", "source_list");
	uo->use_source = lx_btf_off(lx, "module_use", "source");
	uo->refcnt = lx_btf_off(lx, "module", "refcnt");
	uo->users = lx_btf_off(lx, "module", "source_list");
	uo->base = lx_btf_off(lx, "module", "core_layout.base");
	if (uo->base < 0)
		uo->base = lx_btf_off(lx, "module", "mem.base");	/* mem[MOD_TEXT] */
}

static void usage(struct kvmmem_linux *lx, const struct use_offs *uo,
		  uint64_t mod, struct kvmmem_linux_module *m)
{
	struct deps d = {
		.lx = lx, .m = m, .name = lx->o.mod_name,
		.use_list = uo->use_list, .use_source = uo->use_source,
	};
	long refcnt = uo->refcnt, users = uo->users, base = uo->base;
	uint32_t r = 0;

	if (base >= 0)
		lx_ku64(lx, mod + base, &m->base);
	/* the count starts at MODULE_REF_BASE, 1 */
	if (refcnt >= 0 && !lx_ku32(lx, mod + refcnt, &r))
		m->refcnt = (int32_t)r - 1;
	if (users >= 0 && d.use_list >= 0 && d.use_source >= 0)
		lx_list_walk(lx, mod + users, "a module's users", on_use, &d);
}

static int push(struct macc *a, uint64_t mod)
{
	struct kvmmem_linux *lx = a->lx;
	struct kvmmem_linux_module m = { .addr = mod, .hidden = a->hidden }, *p;
	int r = lx_seen_add(&a->seen, mod);

	if (r <= 0)
		return r;
	if (lx_kread(lx, mod + lx->o.mod_state, &m.state, 4) ||
	    lx_kread(lx, mod + lx->o.mod_name, m.name, sizeof(m.name)) ||
	    mod_size(lx, mod, &m.size)) {
		lx_warn(lx, "a module at %#llx cannot be read", (unsigned long long)mod);
		return 0;
	}
	if (m.state == MODULE_STATE_UNFORMED || m.state < 0 || m.state > 3)
		return 0;
	m.name[sizeof(m.name) - 1] = 0;
	usage(lx, &a->uo, mod, &m);
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		p = realloc(a->m, a->cap * sizeof(*p));
		if (!p)
			return -1;
		a->m = p;
	}
	a->m[a->n++] = m;
	return 0;
}

static int on_module(void *ctx, uint64_t node)
{
	struct macc *a = ctx;

	return push(a, node - a->lx->o.mod_list);
}

static int on_kobject(void *ctx, uint64_t node)
{
	struct macc *a = ctx;
	struct kvmmem_linux *lx = a->lx;
	const struct lx_offsets *o = &lx->o;
	uint64_t kobj = node - o->kobj_entry, mk = kobj - o->mkobj_kobj, mod;

	if (lx_ku64(lx, mk + o->mkobj_mod, &mod) || !lx_kptr(lx, mod))
		return 0;	/* built in, or not a module's kobject */
	if (mod + o->mod_mkobj + o->mkobj_kobj != kobj)
		return 0;	/* does not embed it: not believed */
	if (lx_seen_has(&a->seen, mod))
		return 0;
	return push(a, mod);
}

/**
 * kvmmem_linux_modules() - the target's loaded modules
 * @lx: the view
 * @flags: KVMMEM_LINUX_HIDDEN for only the modules that the module kset
 *	   has and the module list does not
 * @mods: out: the modules (free() them), in list order
 * @n: out: how many
 *
 * Return: 0, or -1 with errno set.
 */
int kvmmem_linux_modules(struct kvmmem_linux *lx, unsigned int flags,
			 struct kvmmem_linux_module **mods, size_t *n)
{
	const struct lx_offsets *o = &lx->o;
	uint64_t head = lx_sym(lx, "modules"), kset_p = lx_sym(lx, "module_kset");
	struct macc a = { .lx = lx };
	uint64_t kset;
	size_t listed, i;
	int e;

	if (!head || o->mod_list < 0 || o->mod_name < 0 || o->mod_state < 0) {
		errno = EOPNOTSUPP;
		return -1;
	}
	use_offs(lx, &a.uo);
	if (lx_list_walk(lx, head, "the module list", on_module, &a) < 0)
		goto err;
	if (flags & KVMMEM_LINUX_HIDDEN) {
		if (!kset_p || o->kset_list < 0 || o->kobj_entry < 0 ||
		    o->mkobj_kobj < 0 || o->mkobj_mod < 0 || o->mod_mkobj < 0) {
			errno = EOPNOTSUPP;
			goto err;
		}
		listed = a.n;
		a.hidden = true;
		if (lx_ku64(lx, kset_p, &kset) || !lx_kptr(lx, kset) ||
		    lx_list_walk(lx, kset + o->kset_list, "the module kset",
				 on_kobject, &a) < 0)
			goto err;
		for (i = listed; i < a.n; i++)
			a.m[i - listed] = a.m[i];
		a.n -= listed;
	}
	lx_seen_free(&a.seen);
	*mods = a.m;
	*n = a.n;
	return 0;
err:
	e = errno;
	lx_seen_free(&a.seen);
	free(a.m);
	errno = e;
	return -1;
}
