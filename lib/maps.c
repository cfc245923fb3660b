// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
/*
 * maps.c: a process's mappings, as its /proc/PID/maps shows them.
 *
 * DOC: Theory of operation
 *
 * The VMAs of a process hang in a maple tree, mm->mm_mt, on 6.1 and 6.12
 * alike. BTF describes struct maple_tree but not how its nodes are
 * encoded, so that comes from include/linux/maple_tree.h and
 * lib/maple_tree.c of those kernels (it is the same in both):
 *  - the tree's root is a node when its low two bits are 2 and it is
 *    above 4096 (xa_is_node(); mte_mk_root() sets bit 1); a node's slots
 *    in an inner node have those bits clear (mt_mk_node() sets bit 2 and
 *    the type). Either way the node is at the entry with its low 8 bits
 *    cleared, and bits 3-6 of the entry give its type;
 *  - a node is 256 bytes: a parent pointer, then for maple_range_64 and
 *    maple_leaf_64 15 pivots and 16 slots, for maple_arange_64 9 pivots,
 *    10 slots, 10 gaps and metadata. Slot i covers the indices from the
 *    pivot before it plus one (the node's min for slot 0) to pivot i (the
 *    node's max for the last slot); a pivot of 0 after slot 0 or a pivot
 *    at the node's max ends the node's data;
 *  - a node's parent pointer is its parent node's address with type and
 *    slot bits, or, for the root node, the tree's address with bit 0 set;
 *    a dead node points to itself.
 * The walk goes down from mm_mt.ma_root with each slot's range as the
 * child's min and max, and takes the non-NULL slots of the leaves as
 * struct vm_area_struct pointers, in address order.
 *
 * The target is hostile and runs during the walk, so nothing read is
 * trusted: the walk stops, with a warning, at a node that is too deep, met
 * twice, of an unknown type, unreadable, not pointing back at its parent
 * or with pivots out of order, and at a VMA that is not of this mm, empty,
 * not exactly the range of its slot, or not above the VMA before it. The
 * number of nodes and VMAs is bounded. On a live target a walk cut short
 * is started again, at most WALK_TRIES times; after that what was found
 * is returned, with the warnings.
 *
 * Each VMA is then named as show_map_vma() (fs/proc/task_mmu.c) names it:
 *  - a file mapping: its path (the backing file's user path for overlayfs
 *    and the like, from 6.6 on), as d_path() builds it from the process's
 *    root (task->fs->root): up through dentry->d_parent, across mounts
 *    through struct mount's mnt_parent and mnt_mountpoint, with
 *    " (deleted)" for an unlinked dentry. Pseudo files name themselves
 *    through dentry->d_op->d_dname; the ones mmap() meets (memfd and
 *    shmem's simple_dname, anon inodes, sockets, pipes) are done here.
 *    A shared anonymous mapping named by prctl(PR_SET_VMA) is
 *    "[anon_shmem:NAME]" instead, on a kernel where anon_name is no longer
 *    in a union with what file VMAs use (6.6 on);
 *  - a special mapping ([vdso], [vvar], [uprobes]...): vm_ops->name is
 *    special_mapping_name() and vm_private_data a struct
 *    vm_special_mapping, whose name is a string;
 *  - [heap], [stack] by mm->brk, start_brk and start_stack; the heap test
 *    became strict (vma_is_initial_heap()) in 6.6;
 *  - "[anon:NAME]" for an anonymous mapping with an anon_vma_name.
 * A name that cannot be read (or a path that loops, is too deep or too
 * long) is left NULL, with a warning; the mapping is listed all the same.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "walk.h"

#define WALK_TRIES	3	/* walks of a changing tree (live target) */

/* maple tree encoding (include/linux/maple_tree.h, lib/maple_tree.c) */
#define MT_NODE_SIZE	256		/* bytes of any node */
#define MT_NODE_MASK	255ULL		/* MAPLE_NODE_MASK */
#define MT_TYPE_SHIFT	3		/* MAPLE_NODE_TYPE_SHIFT */
#define MT_TYPE_MASK	0xf		/* MAPLE_NODE_TYPE_MASK */
#define MT_ROOT_PARENT	1ULL		/* MA_ROOT_PARENT */
#define MT_LEAF_64	1		/* enum maple_type: maple_leaf_64 */
#define MT_RANGE_64	2		/* maple_range_64 */
#define MT_ARANGE_64	3		/* maple_arange_64 */
#define MT_RANGE_PIVOTS	15		/* MAPLE_RANGE64_SLOTS - 1 */
#define MT_ARANGE_PIVOTS 9		/* MAPLE_ARANGE64_SLOTS - 1 */
#define MT_DEPTH_MAX	10		/* levels walked, at most */
#define MT_NODES_MAX	0x100000	/* nodes walked, at most: 1 << 20 */
#define XA_INTERNAL_MAX	4096		/* internal entries below: not nodes */

#define VMA_SIZE_MAX	1024	/* a larger vm_area_struct is not believed */
#define PATH_STEPS_MAX	320	/* components and mounts a path crosses */
#define SPECIAL_MAX	64	/* bytes of a special mapping's name */
#define ANON_NAME_MAX	80	/* ANON_VMA_NAME_MAX_LEN, with the NUL */
#define DNAME_MAX	64	/* dynamic_dname()'s buffer */
#define FMODE_BACKING	0x1000000	/* file->f_mode, from 6.6 on: 1 << 24 */
#define DEV_MINOR_BITS	20		/* MINORBITS */
#define DEV_MINOR_MASK	0xfffff		/* MINORMASK */

/* Offsets of what the walk and the naming read; -1: not in this kernel. */
struct moff {
	long root;				/* maple_tree.ma_root */
	long start, end, mm, flags, pgoff;	/* vm_area_struct */
	long file, ops, priv, anon;
	long vma_size;
	long ops_name;				/* vm_operations_struct.name */
	long sm_name;				/* vm_special_mapping.name */
	long anon_str;				/* anon_vma_name.name */
	long f_mnt, f_dentry, f_inode, f_mode;	/* file */
	long bf_mnt, bf_dentry;			/* backing_file.user_path */
	long d_parent, d_len, d_name, d_pprev;	/* dentry */
	long d_inode, d_op, dop_dname;
	long i_sb, i_ino, s_dev;		/* inode, super_block */
	long m_mnt, m_parent, m_point, mnt_root; /* mount, vfsmount */
	long task_fs, fs_mnt, fs_dentry;	/* task_struct, fs_struct */
};

/* A VMA as the tree walk found it. */
struct vent {
	uint64_t start, end, flags, pgoff;
	uint64_t file, ops, priv, anon;
};

struct walk {
	struct kvmmem_linux *lx;
	const struct moff *o;
	uint64_t mm, tree;
	struct lx_seen nodes;		/* nodes met */
	size_t nnodes;
	uint64_t next;			/* the least start of the next VMA */
	struct vent *v;
	size_t n, cap;
	bool broken;
};

/* The process's root and the kernel functions that name things. */
struct namer {
	struct kvmmem_linux *lx;
	const struct moff *o;
	uint64_t mm, brk, start_brk, start_stack;
	uint64_t root_mnt, root_dentry;
	uint64_t special_name;		/* special_mapping_name() */
	uint64_t simple, anon_inode, sock, pipe; /* d_dname functions */
	bool strict_heap;		/* vma_is_initial_heap(): 6.6 on */
	bool anon_shmem;		/* named shared anonymous: 6.6 on */
};

/* Fill @o; 0, or -1 (EOPNOTSUPP) if a member the walk needs is missing. */
static int offsets(struct kvmmem_linux *lx, struct moff *o)
{
	o->root = lx_btf_off(lx, "maple_tree", "ma_root");
	o->start = lx_btf_off(lx, "vm_area_struct", "vm_start");
	o->end = lx_btf_off(lx, "vm_area_struct", "vm_end");
	o->mm = lx_btf_off(lx, "vm_area_struct", "vm_mm");
	o->flags = lx_btf_off(lx, "vm_area_struct", "vm_flags");
	o->pgoff = lx_btf_off(lx, "vm_area_struct", "vm_pgoff");
	o->file = lx_btf_off(lx, "vm_area_struct", "vm_file");
	o->ops = lx_btf_off(lx, "vm_area_struct", "vm_ops");
	o->priv = lx_btf_off(lx, "vm_area_struct", "vm_private_data");
	o->anon = lx_btf_off(lx, "vm_area_struct", "anon_name");
	o->vma_size = lx_btf_size(lx, "vm_area_struct");
	o->ops_name = lx_btf_off(lx, "vm_operations_struct", "name");
	o->sm_name = lx_btf_off(lx, "vm_special_mapping", "name");
	o->anon_str = lx_btf_off(lx, "anon_vma_name", "name");
	o->f_mnt = lx_btf_off(lx, "file", "f_path.mnt");
	o->f_dentry = lx_btf_off(lx, "file", "f_path.dentry");
	o->f_inode = lx_btf_off(lx, "file", "f_inode");
	o->f_mode = lx_btf_off(lx, "file", "f_mode");
	o->bf_mnt = lx_btf_off(lx, "backing_file", "user_path.mnt");
	o->bf_dentry = lx_btf_off(lx, "backing_file", "user_path.dentry");
	o->d_parent = lx_btf_off(lx, "dentry", "d_parent");
	o->d_len = lx_btf_off(lx, "dentry", "d_name.len");
	o->d_name = lx_btf_off(lx, "dentry", "d_name.name");
	o->d_pprev = lx_btf_off(lx, "dentry", "d_hash.pprev");
	o->d_inode = lx_btf_off(lx, "dentry", "d_inode");
	o->d_op = lx_btf_off(lx, "dentry", "d_op");
	o->dop_dname = lx_btf_off(lx, "dentry_operations", "d_dname");
	o->i_sb = lx_btf_off(lx, "inode", "i_sb");
	o->i_ino = lx_btf_off(lx, "inode", "i_ino");
	o->s_dev = lx_btf_off(lx, "super_block", "s_dev");
	o->m_mnt = lx_btf_off(lx, "mount", "mnt");
	o->m_parent = lx_btf_off(lx, "mount", "mnt_parent");
	o->m_point = lx_btf_off(lx, "mount", "mnt_mountpoint");
	o->mnt_root = lx_btf_off(lx, "vfsmount", "mnt_root");
	o->task_fs = lx_btf_off(lx, "task_struct", "fs");
	o->fs_mnt = lx_btf_off(lx, "fs_struct", "root.mnt");
	o->fs_dentry = lx_btf_off(lx, "fs_struct", "root.dentry");
	if (lx->o.mm_mt < 0 || lx->o.mm_brk < 0 || lx->o.mm_start_brk < 0 ||
	    lx->o.mm_start_stack < 0 || lx->o.task_mm < 0 || o->root < 0 ||
	    o->start < 0 || o->end < 0 || o->mm < 0 || o->flags < 0 ||
	    o->pgoff < 0 || o->file < 0 || o->ops < 0 || o->priv < 0 ||
	    o->vma_size <= 0 || o->vma_size > VMA_SIZE_MAX ||
	    o->f_mnt < 0 || o->f_dentry < 0 || o->f_inode < 0 ||
	    o->d_parent < 0 || o->d_len < 0 || o->d_name < 0 ||
	    o->d_pprev < 0 || o->i_sb < 0 || o->i_ino < 0 || o->s_dev < 0 ||
	    o->m_mnt < 0 || o->m_parent < 0 || o->m_point < 0 ||
	    o->mnt_root < 0) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return 0;
}

static uint64_t get64(const uint8_t *buf, long off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

/* --- the maple tree ------------------------------------------------------ */

static int broken(struct walk *w, const char *what)
{
	lx_warn(w->lx, "the VMAs of mm %#llx: %s: walk cut short",
		(unsigned long long)w->mm, what);
	w->broken = true;
	return 1;
}

/* A leaf's slot for [@lo, @hi]; 0, 1: the walk ends, -1: no memory. */
static int on_vma(struct walk *w, uint64_t vma, uint64_t lo, uint64_t hi)
{
	const struct moff *o = w->o;
	uint8_t buf[VMA_SIZE_MAX];
	struct vent *e;

	if (w->n >= LX_WALK_MAX)
		return broken(w, "too many VMAs");
	if ((vma & 7) || lx_kread(w->lx, vma, buf, o->vma_size))
		return broken(w, "an unreadable VMA");
	if (get64(buf, o->mm) != w->mm)
		return broken(w, "a VMA of another mm");
	if (get64(buf, o->start) != lo || get64(buf, o->end) - 1 != hi ||
	    lo > hi || lo < w->next)
		return broken(w, "a VMA that does not fit its place");
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		e = realloc(w->v, w->cap * sizeof(*e));
		if (!e)
			return -1;
		w->v = e;
	}
	e = &w->v[w->n++];
	e->start = lo;
	e->end = hi + 1;
	e->flags = get64(buf, o->flags);
	e->pgoff = get64(buf, o->pgoff);
	e->file = get64(buf, o->file);
	e->ops = get64(buf, o->ops);
	e->priv = get64(buf, o->priv);
	e->anon = o->anon >= 0 ? get64(buf, o->anon) : 0;
	w->next = hi + 1;
	return 0;
}

/* mm_mt.ma_root: a node (xa_is_node()), else a single entry or NULL */
static bool root_is_node(uint64_t entry)
{
	return (entry & 3) == 2 && entry > XA_INTERNAL_MAX;
}

/* an inner node's slot: a node, encoded by mt_mk_node() */
static bool child_is_node(uint64_t entry)
{
	return !(entry & 3) && entry > XA_INTERNAL_MAX;
}

/*
 * The node @enode covering [@min, @max], whose parent pointer must be
 * @parent (masked as the kernel masks it). 0: walked, 1: the walk ends,
 * -1: no memory.
 */
static int walk_node(struct walk *w, uint64_t enode, uint64_t min,
		     uint64_t max, int depth, uint64_t parent)
{
	uint64_t node = enode & ~MT_NODE_MASK, buf[MT_NODE_SIZE / 8];
	unsigned int type = (enode >> MT_TYPE_SHIFT) & MT_TYPE_MASK;
	unsigned int npiv, i;
	uint64_t lo = min, hi, *piv, *slot;
	int r;

	if (depth > MT_DEPTH_MAX || ++w->nnodes > MT_NODES_MAX)
		return broken(w, "a tree too deep or too large");
	if (type != MT_LEAF_64 && type != MT_RANGE_64 && type != MT_ARANGE_64)
		return broken(w, "a node of an unknown type");
	r = lx_seen_add(&w->nodes, node);
	if (r <= 0)
		return r < 0 ? -1 : broken(w, "a node met twice");
	if (lx_kread(w->lx, node, buf, sizeof(buf)))
		return broken(w, "an unreadable node");
	if (depth ? (buf[0] & ~MT_NODE_MASK) != parent || (buf[0] & 1) :
	    buf[0] != parent)
		return broken(w, "a node that is dead or not its parent's");
	npiv = type == MT_ARANGE_64 ? MT_ARANGE_PIVOTS : MT_RANGE_PIVOTS;
	piv = buf + 1;
	slot = buf + 1 + npiv;
	for (i = 0; i <= npiv; i++) {
		hi = i < npiv ? piv[i] : max;
		if (i && i < npiv && !hi)
			break;	/* the end of the node's data */
		if (hi < lo || hi > max)
			return broken(w, "pivots out of order");
		r = 0;
		if (slot[i] && type == MT_LEAF_64)
			r = on_vma(w, slot[i], lo, hi);
		else if (slot[i] && child_is_node(slot[i]))
			r = walk_node(w, slot[i], lo, hi, depth + 1, node);
		else if (slot[i])
			r = broken(w, "a node's child that is not a node");
		if (r)
			return r;
		if (hi == max)
			break;
		lo = hi + 1;
	}
	return 0;
}

/* Walk the tree of @w->mm into @w->v; 0, or -1 (no memory). */
static int walk_tree(struct walk *w)
{
	uint64_t root;

	w->broken = false;
	w->n = 0;
	w->nnodes = 0;
	w->next = 0;
	lx_seen_free(&w->nodes);
	if (lx_ku64(w->lx, w->tree + w->o->root, &root)) {
		broken(w, "an unreadable tree");
		return 0;
	}
	if (!root)
		return 0;
	if (!root_is_node(root)) {
		/* a single entry at index 0: never a VMA */
		broken(w, "a root that is no node");
		return 0;
	}
	return walk_node(w, root, 0, ~0ULL, 0, w->tree | MT_ROOT_PARENT) < 0 ?
	       -1 : 0;
}

/* --- names --------------------------------------------------------------- */

/* Read a NUL-terminated string of at most @size - 1 bytes at @va. */
static int kstr(struct kvmmem_linux *lx, uint64_t va, char *buf, size_t size)
{
	size_t got = 0, chunk;
	char *nul;

	while (got + 1 < size) {
		chunk = LX_PAGE - ((va + got) & (LX_PAGE - 1));
		if (chunk > size - 1 - got)
			chunk = size - 1 - got;
		if (lx_kread(lx, va + got, buf + got, chunk))
			return -1;
		nul = memchr(buf + got, 0, chunk);
		if (nul)
			return 0;
		got += chunk;
	}
	buf[got] = 0;
	return 0;
}

/* A path built backwards from the end of a buffer, as d_path() does. */
struct pbuf {
	char b[KVMMEM_LINUX_PATH_MAX];
	size_t pos;			/* where the text starts */
};

static int prepend(struct pbuf *p, const char *s, size_t len)
{
	if (len > p->pos) {
		errno = ENAMETOOLONG;
		return -1;
	}
	p->pos -= len;
	memcpy(p->b + p->pos, s, len);
	return 0;
}

/* Prepend "/" and the name of @dentry (d_name), read from the target. */
static int prepend_name(struct namer *nm, struct pbuf *p, uint64_t dentry)
{
	const struct moff *o = nm->o;
	uint64_t name;
	uint32_t len;

	if (lx_ku32(nm->lx, dentry + o->d_len, &len) ||
	    lx_ku64(nm->lx, dentry + o->d_name, &name))
		return -1;
	if (len >= p->pos) {
		errno = ENAMETOOLONG;
		return -1;
	}
	p->pos -= len;
	if (lx_kread(nm->lx, name, p->b + p->pos, len))
		return -1;
	if (memchr(p->b + p->pos, 0, len)) {
		errno = EINVAL;
		return -1;
	}
	return prepend(p, "/", 1);
}

static bool dentry_is_root(struct namer *nm, uint64_t dentry, bool *root)
{
	uint64_t parent;

	if (lx_ku64(nm->lx, dentry + nm->o->d_parent, &parent))
		return false;
	*root = parent == dentry;
	return true;
}

/*
 * A pseudo file's name, from its dentry's d_dname (d_path()'s first
 * case). 1: not such a file, 0: named, -1: unreadable.
 */
static int dname(struct namer *nm, uint64_t mnt, uint64_t dentry,
		 struct pbuf *p)
{
	const struct moff *o = nm->o;
	uint64_t ops, fn, mroot, inode, ino;
	char s[DNAME_MAX + 32];
	struct pbuf n;
	bool root;
	int len;

	if (o->d_op < 0 || o->dop_dname < 0 ||
	    lx_ku64(nm->lx, dentry + o->d_op, &ops) || !ops)
		return 1;
	if (lx_ku64(nm->lx, ops + o->dop_dname, &fn) || !fn)
		return 1;
	if (!dentry_is_root(nm, dentry, &root) ||
	    lx_ku64(nm->lx, mnt + o->mnt_root, &mroot))
		return -1;
	if (root && dentry == mroot)
		return 1;	/* a mounted pseudo inode: its path */
	if (fn == nm->simple) {
		/* "/NAME (deleted)": memfd, shmem files, ... */
		p->pos = sizeof(p->b);
		return prepend(p, " (deleted)", 11) ||
		       prepend_name(nm, p, dentry) ? -1 : 0;
	}
	if (fn == nm->anon_inode) {
		n.pos = sizeof(n.b);
		if (prepend(&n, "", 1) || prepend_name(nm, &n, dentry))
			return -1;
		len = snprintf(s, sizeof(s), "anon_inode:%s", n.b + n.pos + 1);
	} else if (fn == nm->sock || fn == nm->pipe) {
		if (lx_ku64(nm->lx, dentry + o->d_inode, &inode) ||
		    lx_ku64(nm->lx, inode + o->i_ino, &ino))
			return -1;
		len = snprintf(s, sizeof(s), "%s:[%llu]",
			       fn == nm->sock ? "socket" : "pipe",
			       (unsigned long long)ino);
	} else {
		return 1;	/* not one of these: its path, as it comes */
	}
	if (len < 0 || len >= DNAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	p->pos = sizeof(p->b);
	return prepend(p, s, len + 1);
}

/*
 * d_path() of (@mnt, @dentry) from the process's root, into @p
 * (NUL-terminated). 0, or -1 with errno set.
 */
static int d_path(struct namer *nm, uint64_t mnt, uint64_t dentry,
		  struct pbuf *p)
{
	const struct moff *o = nm->o;
	uint64_t seen[PATH_STEPS_MAX][2], mount, parent, mroot, pprev, m;
	size_t steps, i, end;
	bool root;
	int r;

	r = dname(nm, mnt, dentry, p);
	if (r <= 0)
		return r;
	p->pos = sizeof(p->b);
	if (!dentry_is_root(nm, dentry, &root) ||
	    lx_ku64(nm->lx, dentry + o->d_pprev, &pprev))
		return -1;
	if (prepend(p, !pprev && !root ? " (deleted)" : "",
		    !pprev && !root ? 11 : 1))
		return -1;
	end = p->pos;
	mount = mnt - o->m_mnt;
	for (steps = 0; dentry != nm->root_dentry || mnt != nm->root_mnt;
	     steps++) {
		if (steps == PATH_STEPS_MAX) {
			errno = ELOOP;
			return -1;
		}
		for (i = 0; i < steps; i++)
			if (seen[i][0] == dentry && seen[i][1] == mount)
				break;
		if (i < steps) {
			errno = ELOOP;
			return -1;
		}
		seen[steps][0] = dentry;
		seen[steps][1] = mount;
		if (lx_ku64(nm->lx, dentry + o->d_parent, &parent) ||
		    lx_ku64(nm->lx, mnt + o->mnt_root, &mroot))
			return -1;
		if (dentry == mroot) {
			if (lx_ku64(nm->lx, mount + o->m_parent, &m))
				return -1;
			if (m == mount)
				break;	/* the global root: the path so far */
			if (lx_ku64(nm->lx, mount + o->m_point, &dentry))
				return -1;
			mount = m;
			mnt = m + o->m_mnt;
			continue;
		}
		if (dentry == parent) {
			p->pos = end;	/* escaped: "/" */
			break;
		}
		if (prepend_name(nm, p, dentry))
			return -1;
		dentry = parent;
	}
	if (p->pos == end)
		return prepend(p, "/", 1);
	return 0;
}

/* The name of @e as show_map_vma() gives it; *@name stays NULL if none. */
static int name_vma(struct namer *nm, const struct vent *e,
		    struct kvmmem_linux_vma *v)
{
	const struct moff *o = nm->o;
	uint64_t mnt, dentry, inode, sb, fn, s, mode = 0;
	char str[ANON_NAME_MAX + 16];
	struct pbuf *p;
	uint32_t dev;
	int r;

	if (e->file) {
		if (lx_ku64(nm->lx, e->file + o->f_mnt, &mnt) ||
		    lx_ku64(nm->lx, e->file + o->f_dentry, &dentry) ||
		    lx_ku64(nm->lx, e->file + o->f_inode, &inode))
			return -1;
		if (o->bf_mnt >= 0 && o->bf_dentry >= 0 && o->f_mode >= 0 &&
		    o->d_inode >= 0 &&
		    !lx_kread(nm->lx, e->file + o->f_mode, &mode, 4) &&
		    (mode & FMODE_BACKING) &&
		    (lx_ku64(nm->lx, e->file + o->bf_mnt, &mnt) ||
		     lx_ku64(nm->lx, e->file + o->bf_dentry, &dentry) ||
		     lx_ku64(nm->lx, dentry + o->d_inode, &inode)))
			return -1;
		if (lx_ku64(nm->lx, inode + o->i_sb, &sb) ||
		    lx_ku32(nm->lx, sb + o->s_dev, &dev) ||
		    lx_ku64(nm->lx, inode + o->i_ino, &v->ino))
			return -1;
		v->dev_major = dev >> DEV_MINOR_BITS;
		v->dev_minor = dev & DEV_MINOR_MASK;
		v->pgoff = e->pgoff;
		if (e->anon && nm->anon_shmem && o->anon_str >= 0) {
			memcpy(str, "[anon_shmem:", 12);
			if (kstr(nm->lx, e->anon + o->anon_str, str + 12,
				 ANON_NAME_MAX))
				return -1;
			strcat(str, "]");
			goto copy;
		}
		p = malloc(sizeof(*p));
		if (!p)
			return -1;
		r = d_path(nm, mnt, dentry, p);
		if (!r)
			v->name = strdup(p->b + p->pos);
		free(p);
		return r || !v->name ? -1 : 0;
	}
	if (e->ops && o->ops_name >= 0 && o->sm_name >= 0 && e->priv &&
	    !lx_ku64(nm->lx, e->ops + o->ops_name, &fn) &&
	    fn && fn == nm->special_name) {
		if (lx_ku64(nm->lx, e->priv + o->sm_name, &s))
			return -1;
		if (s) {
			if (kstr(nm->lx, s, str, SPECIAL_MAX))
				return -1;
			goto copy;
		}
	}
	if (nm->strict_heap ? e->start < nm->brk && e->end > nm->start_brk :
	    e->start <= nm->brk && e->end >= nm->start_brk) {
		strcpy(str, "[heap]");
		goto copy;
	}
	if (e->start <= nm->start_stack && e->end >= nm->start_stack) {
		strcpy(str, "[stack]");
		goto copy;
	}
	if (e->anon && o->anon_str >= 0) {
		memcpy(str, "[anon:", 6);
		if (kstr(nm->lx, e->anon + o->anon_str, str + 6, ANON_NAME_MAX))
			return -1;
		strcat(str, "]");
		goto copy;
	}
	return 0;
copy:
	v->name = strdup(str);
	return v->name ? 0 : -1;
}

/* Whether the target's kernel is @maj.@min or later (its OSRELEASE). */
static bool kernel_at_least(struct kvmmem_linux *lx, unsigned int maj,
			    unsigned int min)
{
	unsigned int a = 0, b = 0;
	char rel[32];
	const char *r;
	size_t len;

	r = lx->info ? lx_info(lx->info, "OSRELEASE", &len) : NULL;
	if (!r)
		return true;
	if (len >= sizeof(rel))
		len = sizeof(rel) - 1;
	memcpy(rel, r, len);
	rel[len] = 0;
	if (sscanf(rel, "%u.%u", &a, &b) != 2)
		return true;
	return a > maj || (a == maj && b >= min);
}

/* The task @pid: its mm and root, into @nm. 0, or -1 with errno set. */
static int find_task(struct kvmmem_linux *lx, int pid, struct namer *nm)
{
	const struct moff *o = nm->o;
	struct kvmmem_linux_task *t;
	uint64_t fs = 0, mm = 0;
	size_t n, i;

	if (kvmmem_linux_tasks(lx, KVMMEM_LINUX_THREADS, &t, &n))
		return -1;
	for (i = 0; i < n && t[i].pid != pid; i++)
		;
	if (i == n || lx_ku64(lx, t[i].addr + lx->o.task_mm, &mm) ||
	    !lx_kptr(lx, mm)) {
		free(t);
		errno = ESRCH;
		return -1;
	}
	if (o->task_fs >= 0 && o->fs_mnt >= 0 && o->fs_dentry >= 0 &&
	    !lx_ku64(lx, t[i].addr + o->task_fs, &fs) && lx_kptr(lx, fs) &&
	    (lx_ku64(lx, fs + o->fs_mnt, &nm->root_mnt) ||
	     lx_ku64(lx, fs + o->fs_dentry, &nm->root_dentry))) {
		nm->root_mnt = 0;
		nm->root_dentry = 0;
	}
	free(t);
	nm->mm = mm;
	if (lx_ku64(lx, mm + lx->o.mm_brk, &nm->brk) ||
	    lx_ku64(lx, mm + lx->o.mm_start_brk, &nm->start_brk) ||
	    lx_ku64(lx, mm + lx->o.mm_start_stack, &nm->start_stack)) {
		errno = ESRCH;
		return -1;
	}
	return 0;
}

/**
 * kvmmem_linux_maps() - a process's mappings, like /proc/PID/maps
 * @lx: the view
 * @pid: a process or thread id
 * @vmas: out: the mappings in address order (kvmmem_linux_maps_free()
 *	  them)
 * @n: out: how many
 *
 * Each mapping's pgoff is vm_pgoff for a file mapping and 0 for any
 * other, as /proc/PID/maps shows it (in bytes there). A walk that meets
 * something inconsistent in the target's memory stops with a warning and
 * returns what it found before; a name that cannot be read is left NULL,
 * with a warning.
 *
 * Return: 0, or -1 with errno set (ESRCH: no such process, or a kernel
 * thread; EOPNOTSUPP: the kernel lacks a member the walk needs).
 */
int kvmmem_linux_maps(struct kvmmem_linux *lx, int pid,
		      struct kvmmem_linux_vma **vmas, size_t *n)
{
	struct moff o;
	struct walk w = { .lx = lx, .o = &o };
	struct namer nm = { .lx = lx, .o = &o };
	struct kvmmem_linux_vma *v = NULL;
	bool live;
	size_t i;
	int tries, e;

	if (offsets(lx, &o) || find_task(lx, pid, &nm))
		return -1;
	nm.special_name = lx_sym(lx, "special_mapping_name");
	nm.simple = lx_sym(lx, "simple_dname");
	nm.anon_inode = lx_sym(lx, "anon_inodefs_dname");
	nm.sock = lx_sym(lx, "sockfs_dname");
	nm.pipe = lx_sym(lx, "pipefs_dname");
	nm.strict_heap = kernel_at_least(lx, 6, 6);
	/* named shmem VMAs came when anon_name left its union with shared */
	nm.anon_shmem = o.anon >= 0 &&
			o.anon != lx_btf_off(lx, "vm_area_struct", "shared");
	w.mm = nm.mm;
	w.tree = nm.mm + lx->o.mm_mt;
	live = !strcmp(kvmmem_pmem_kind(lx->pm), "live");
	for (tries = 0; tries < (live ? WALK_TRIES : 1); tries++) {
		if (walk_tree(&w))
			goto err;
		if (!w.broken)
			break;
	}
	v = calloc(w.n ? w.n : 1, sizeof(*v));
	if (!v)
		goto err;
	for (i = 0; i < w.n; i++) {
		v[i].start = w.v[i].start;
		v[i].end = w.v[i].end;
		v[i].flags = w.v[i].flags;
		errno = 0;
		if (!name_vma(&nm, &w.v[i], &v[i]))
			continue;
		if (errno == ENOMEM)
			goto err;
		lx_warn(lx, "the mapping at %#llx: its name: %s",
			(unsigned long long)v[i].start,
			strerror(errno ? errno : EFAULT));
	}
	lx_seen_free(&w.nodes);
	free(w.v);
	*vmas = v;
	*n = w.n;
	return 0;
err:
	e = errno;
	if (v)
		kvmmem_linux_maps_free(v, w.n);
	lx_seen_free(&w.nodes);
	free(w.v);
	errno = e;
	return -1;
}

/**
 * kvmmem_linux_maps_free() - free what kvmmem_linux_maps() returned
 * @vmas: the mappings
 * @n: how many
 */
void kvmmem_linux_maps_free(struct kvmmem_linux_vma *vmas, size_t n)
{
	size_t i;

	if (!vmas)
		return;
	for (i = 0; i < n; i++)
		free(vmas[i].name);
	free(vmas);
}
