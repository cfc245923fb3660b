// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
/*
 * btf.c: the target kernel's types, from its own BTF.
 *
 * DOC: Theory of operation
 *
 * A kernel built with CONFIG_DEBUG_INFO_BTF (Debian's are) carries the
 * layout of its types in the image's read-only data, between the symbols
 * __start_BTF and __stop_BTF. Those symbols come from kallsyms; the blob
 * is found by them, never by scanning for its magic, which module BTF
 * matches too. libbpf parses it (btf__new() checks every header and
 * offset of the blob against its size). A member is named by a dotted
 * path, "signal.thread_head" or "core_layout.size"; members of anonymous
 * structs and unions are found through them, and an array member's path
 * goes on into its first element. A user may give a BTF file instead, for
 * a kernel without BTF.
 *
 * libbpf finds a type by name with a walk over every type (about 100,000
 * in a kernel): the walks ask for offsets thousands of times, so the
 * struct and union names are indexed once, in a hash table.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lx.h"

#define BTF_MAX		(64u << 20)	/* a kernel's BTF, at most */
#define NEST_MAX	8		/* anonymous members inside each other */

static int quiet(enum libbpf_print_level l, const char *f, va_list a)
{
	(void)l;
	(void)f;
	(void)a;
	return 0;
}

/**
 * lx_btf_load() - load the kernel's BTF
 * @lx: the view, with its symbols
 * @path: a BTF file to use instead, or NULL
 *
 * Return: 0, or -1 with errno set (ENOENT: no BTF in the kernel).
 */
int lx_btf_load(struct kvmmem_linux *lx, const char *path)
{
	uint64_t start, stop;
	void *buf;
	int e;

	libbpf_set_print(quiet);
	if (path) {
		lx->btf = btf__parse(path, NULL);
		return lx->btf ? 0 : -1;
	}
	start = lx_sym(lx, "__start_BTF");
	stop = lx_sym(lx, "__stop_BTF");
	if (!start || stop <= start || stop - start > BTF_MAX) {
		errno = ENOENT;
		return -1;
	}
	buf = malloc(stop - start);
	if (!buf)
		return -1;
	if (lx_kread(lx, start, buf, stop - start)) {
		e = errno;
		free(buf);
		errno = e;
		return -1;
	}
	lx->btf = btf__new(buf, stop - start);
	e = errno;
	free(buf);
	errno = e;
	return lx->btf ? 0 : -1;
}

/* Find member @name of struct or union @id, looking into anonymous ones. */
static long member(const struct btf *btf, __u32 id, const char *name,
		   size_t nlen, __u32 *type, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;
	const char *mn;
	long off;
	int i;

	if (!t || depth > NEST_MAX || (!btf_is_struct(t) && !btf_is_union(t)))
		return -1;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		mn = btf__name_by_offset(btf, m->name_off);
		if (mn && *mn) {
			if (strlen(mn) == nlen && !strncmp(mn, name, nlen)) {
				*type = m->type;
				return btf_member_bit_offset(t, i) / 8;
			}
			continue;
		}
		/* an anonymous struct or union: look inside */
		off = member(btf, btf__resolve_type(btf, m->type) < 0 ? 0 :
			     btf__resolve_type(btf, m->type), name, nlen, type,
			     depth + 1);
		if (off >= 0)
			return off + btf_member_bit_offset(t, i) / 8;
	}
	return -1;
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ULL;
	return h;
}

/* The index: struct and union ids by name; a struct wins over a union. */
static int index_types(struct kvmmem_linux *lx)
{
	const struct btf_type *t;
	__u32 i, n = btf__type_cnt(lx->btf);
	const char *name;
	size_t k, cap = 1;
	__u32 *ix;

	while (cap < 2 * (size_t)n)
		cap *= 2;
	ix = calloc(cap, sizeof(*ix));
	if (!ix)
		return -1;
	for (i = 1; i < n; i++) {
		t = btf__type_by_id(lx->btf, i);
		if (!t || (!btf_is_struct(t) && !btf_is_union(t)))
			continue;
		name = btf__name_by_offset(lx->btf, t->name_off);
		if (!name || !*name)
			continue;
		for (k = name_hash(name) & (cap - 1); ix[k]; k = (k + 1) & (cap - 1))
			if (!strcmp(btf__name_by_offset(lx->btf,
				btf__type_by_id(lx->btf, ix[k])->name_off), name))
				break;
		if (!ix[k] || (btf_is_struct(t) &&
			       !btf_is_struct(btf__type_by_id(lx->btf, ix[k]))))
			ix[k] = i;
	}
	lx->btf_ix = ix;
	lx->btf_ix_cap = cap;
	return 0;
}

static __s32 struct_id(const struct kvmmem_linux *lx, const char *type)
{
	size_t k, cap = lx->btf_ix_cap;

	if (!lx->btf_ix)
		return -1;
	for (k = name_hash(type) & (cap - 1); lx->btf_ix[k]; k = (k + 1) & (cap - 1))
		if (!strcmp(btf__name_by_offset(lx->btf,
			btf__type_by_id(lx->btf, lx->btf_ix[k])->name_off), type))
			return lx->btf_ix[k];
	return -1;
}

/**
 * lx_btf_index() - index the BTF's struct and union names
 * @lx: the view, with its BTF
 *
 * Return: 0, or -1 with errno ENOMEM.
 */
int lx_btf_index(struct kvmmem_linux *lx)
{
	free(lx->btf_ix);
	lx->btf_ix = NULL;
	return index_types(lx);
}

/**
 * lx_btf_off() - the offset of a member, by path
 * @lx: the view, with its BTF
 * @type: a struct or union's name, "task_struct"
 * @path: a member, or members joined by dots
 *
 * Return: the byte offset, or -1 if the kernel's type has no such member.
 */
long lx_btf_off(const struct kvmmem_linux *lx, const char *type,
		const char *path)
{
	const struct btf_type *t;
	long total = 0, off;
	const char *dot;
	__s32 id;
	__u32 m;

	if (!lx->btf)
		return -1;
	id = struct_id(lx, type);
	if (id <= 0)
		return -1;
	for (;;) {
		dot = strchr(path, '.');
		off = member(lx->btf, id, path, dot ? (size_t)(dot - path) : strlen(path),
			     &m, 0);
		if (off < 0)
			return -1;
		total += off;
		if (!dot)
			return total;
		path = dot + 1;
		id = btf__resolve_type(lx->btf, m);
		t = id > 0 ? btf__type_by_id(lx->btf, id) : NULL;
		if (t && btf_is_array(t))
			id = btf__resolve_type(lx->btf, btf_array(t)->type);
		if (id <= 0)
			return -1;
	}
}

/**
 * lx_btf_size() - the size of a struct or union
 * @lx: the view, with its BTF
 * @type: its name
 *
 * Return: the size in bytes, or -1.
 */
long lx_btf_size(const struct kvmmem_linux *lx, const char *type)
{
	__s32 id;

	if (!lx->btf)
		return -1;
	id = struct_id(lx, type);
	return id > 0 ? btf__resolve_size(lx->btf, id) : -1;
}
