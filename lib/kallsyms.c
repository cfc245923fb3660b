// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
/*
 * kallsyms.c: the target kernel's symbol table, decoded from its memory.
 *
 * DOC: Theory of operation
 *
 * Since 6.0 the VMCOREINFO text names the kernel's compressed symbol
 * tables (SYMBOL(kallsyms_names) and the like). They live in the kernel
 * image's read-only data, which is at physical va - __START_KERNEL_map +
 * phys_base, so they are read before any page table is trusted:
 *  - kallsyms_names: per symbol a length (one byte, or two when the first
 *    has its top bit set) and that many token numbers;
 *  - kallsyms_token_table and kallsyms_token_index: the text of each of the
 *    256 tokens; the first character a symbol expands to is its type;
 *  - kallsyms_offsets and kallsyms_relative_base: each address as a 32-bit
 *    value, either relative to the base, or (with absolute per-CPU
 *    symbols) absolute when positive and base - 1 - value when negative.
 * Which of the two encodings the kernel uses is not in VMCOREINFO: the one
 * that puts init_uts_ns where VMCOREINFO says it is wins, and a table that
 * agrees with neither is refused. Every length is bounded and every read
 * checked, since the tables are the target's to forge.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lx.h"

#define SYMS_MAX	(1u << 21)	/* symbols, at most */
#define NAME_MAX_LEN	512		/* KSYM_NAME_LEN */
#define CHUNK		(64 * 1024)

/* A reader of the kernel image's bytes, a chunk at a time. */
struct cursor {
	struct kvmmem_linux *lx;
	uint64_t pa;		/* of buf[0] */
	size_t at, len;
	uint8_t buf[CHUNK];
};

static int cur_byte(struct cursor *c, uint8_t *b)
{
	if (c->at == c->len) {
		c->pa += c->len;
		if (lx_pread(c->lx, c->pa, c->buf, CHUNK))
			return -1;
		c->at = 0;
		c->len = CHUNK;
	}
	*b = c->buf[c->at++];
	return 0;
}

/* Physical address of a kernel image address, or 0 if it is not one. */
static uint64_t kimg_pa(const struct kvmmem_linux *lx, uint64_t va)
{
	if (va < LX_KMAP || va - LX_KMAP >= (1ULL << 30))
		return 0;
	return va - LX_KMAP + lx->phys_base;
}

struct tables {
	uint64_t names, offsets, tokens, token_index, relative_base;
	uint32_t num;
	char *tok[256];
	uint8_t toklen[256];
	char *tokbuf;
};

static int read_tokens(struct kvmmem_linux *lx, struct tables *t)
{
	uint16_t idx[256];
	unsigned int i, max = 0;
	size_t n;
	char *end;

	if (lx_pread(lx, kimg_pa(lx, t->token_index), idx, sizeof(idx)))
		return -1;
	for (i = 0; i < 256; i++)
		max = idx[i] > max ? idx[i] : max;
	n = max + 256;
	t->tokbuf = malloc(n + 1);
	if (!t->tokbuf || lx_pread(lx, kimg_pa(lx, t->tokens), t->tokbuf, n))
		return -1;
	t->tokbuf[n] = 0;
	for (i = 0; i < 256; i++) {
		t->tok[i] = t->tokbuf + idx[i];
		end = memchr(t->tok[i], 0, n + 1 - idx[i]);
		if (!end || end - t->tok[i] > 255)
			return -1;
		t->toklen[i] = end - t->tok[i];
	}
	return 0;
}

static uint64_t address(const struct tables *t, int32_t off, bool abs_percpu)
{
	if (!abs_percpu)
		return t->relative_base + (uint32_t)off;
	if (off >= 0)
		return off;
	return t->relative_base - 1 - off;
}

static int by_name(const void *a, const void *b, void *names)
{
	const struct lx_sym *x = a, *y = b;

	return strcmp((char *)names + x->name, (char *)names + y->name);
}

/* Decode every name into a pool; syms[i].addr holds raw offset i for now. */
static int decode_names(struct kvmmem_linux *lx, struct tables *t,
			struct lx_sym *syms, char **pool, size_t *used)
{
	struct cursor *c = calloc(1, sizeof(*c));
	size_t cap = (size_t)t->num * 24, o;
	uint8_t b, b2;
	unsigned int len, k;
	uint32_t i;
	char *p;

	if (!c)
		return -1;
	c->lx = lx;
	c->pa = kimg_pa(lx, t->names);
	*pool = malloc(cap);
	if (!*pool || lx_pread(lx, c->pa, c->buf, CHUNK))
		goto err;
	c->len = CHUNK;
	*used = 0;
	for (i = 0; i < t->num; i++) {
		if (cur_byte(c, &b))
			goto err;
		len = b;
		if (b & 0x80) {
			if (cur_byte(c, &b2))
				goto err;
			len = (b & 0x7f) | (unsigned int)b2 << 7;
		}
		if (cap - *used < NAME_MAX_LEN * 2) {
			cap *= 2;
			p = realloc(*pool, cap);
			if (!p)
				goto err;
			*pool = p;
		}
		o = *used;
		for (k = 0; k < len; k++) {
			if (cur_byte(c, &b))
				goto err;
			if (o - *used + t->toklen[b] >= NAME_MAX_LEN)
				goto err;
			memcpy(*pool + o, t->tok[b], t->toklen[b]);
			o += t->toklen[b];
		}
		/* the first character is the type; the name follows */
		if (o == *used)
			goto err;
		(*pool)[o] = 0;
		syms[i].type = (*pool)[*used];
		memmove(*pool + *used, *pool + *used + 1, o - *used);
		syms[i].name = *used;
		*used = o;
	}
	free(c);
	return 0;
err:
	free(c);
	return -1;
}

/**
 * lx_kallsyms_load() - decode the symbol table that a VMCOREINFO names
 * @lx: the view (phys_base set)
 * @info: the VMCOREINFO text
 * @syms: out: the symbols, sorted by name
 * @nsyms: out: how many
 * @names: out: the string pool of their names
 *
 * Return: 0, or -1 with errno set (ENOENT: the text names no tables;
 * EINVAL: the tables are inconsistent with the text).
 */
int lx_kallsyms_load(struct kvmmem_linux *lx, const char *info,
		     struct lx_sym **syms, size_t *nsyms, char **names)
{
	struct tables t = { 0 };
	struct lx_sym *s = NULL;
	int32_t *off = NULL;
	uint64_t uts, num, base;
	char *pool = NULL;
	size_t used = 0;
	uint32_t i, hit = 0;
	int mode;

	if (!lx_info_u64(info, "SYMBOL(kallsyms_names)", 16, &t.names) ||
	    !lx_info_u64(info, "SYMBOL(kallsyms_num_syms)", 16, &num) ||
	    !lx_info_u64(info, "SYMBOL(kallsyms_token_table)", 16, &t.tokens) ||
	    !lx_info_u64(info, "SYMBOL(kallsyms_token_index)", 16, &t.token_index) ||
	    !lx_info_u64(info, "SYMBOL(kallsyms_offsets)", 16, &t.offsets) ||
	    !lx_info_u64(info, "SYMBOL(kallsyms_relative_base)", 16, &base) ||
	    !lx_info_u64(info, "SYMBOL(init_uts_ns)", 16, &uts)) {
		errno = ENOENT;
		return -1;
	}
	errno = EINVAL;
	if (!kimg_pa(lx, t.names) || !kimg_pa(lx, num) || !kimg_pa(lx, t.tokens) ||
	    !kimg_pa(lx, t.token_index) || !kimg_pa(lx, t.offsets) ||
	    !kimg_pa(lx, base))
		return -1;
	if (lx_pread(lx, kimg_pa(lx, num), &t.num, sizeof(t.num)) ||
	    lx_pread(lx, kimg_pa(lx, base), &t.relative_base, 8) ||
	    !t.num || t.num > SYMS_MAX || read_tokens(lx, &t))
		goto err;
	s = calloc(t.num, sizeof(*s));
	off = calloc(t.num, sizeof(*off));
	if (!s || !off ||
	    lx_pread(lx, kimg_pa(lx, t.offsets), off, t.num * sizeof(*off)) ||
	    decode_names(lx, &t, s, &pool, &used))
		goto err;
	/* which encoding puts init_uts_ns where VMCOREINFO says? */
	for (mode = 0; mode < 2 && !hit; mode++)
		for (i = 0; i < t.num; i++)
			if (!strcmp(pool + s[i].name, "init_uts_ns") &&
			    address(&t, off[i], mode) == uts) {
				hit = mode + 1;
				break;
			}
	if (!hit)
		goto err;
	for (i = 0; i < t.num; i++)
		s[i].addr = address(&t, off[i], hit == 2);
	qsort_r(s, t.num, sizeof(*s), by_name, pool);
	free(off);
	free(t.tokbuf);
	*syms = s;
	*nsyms = t.num;
	*names = pool;
	return 0;
err:
	free(s);
	free(off);
	free(pool);
	free(t.tokbuf);
	errno = errno == ENOMEM ? ENOMEM : EINVAL;
	return -1;
}

static int sym_cmp(const void *a, const void *b, void *names)
{
	return by_name(a, b, names);
}

/**
 * lx_sysmap_load() - the symbols of a System.map file instead of kallsyms
 * @lx: the view (no symbols yet)
 * @path: the file: lines "ADDRESS TYPE NAME", as the kernel build writes it
 * @offset: the KASLR offset, added to every address of the kernel image
 *	    (per-CPU symbols, below it, are not moved)
 *
 * For a kernel whose VMCOREINFO names no kallsyms tables (before 6.0), or
 * whose tables the user does not want to trust. The file is the user's;
 * its lines are still checked (a malformed line is an error).
 *
 * Return: 0, or -1 with errno set (EINVAL: a malformed line).
 */
int lx_sysmap_load(struct kvmmem_linux *lx, const char *path, uint64_t offset)
{
	size_t cap = 1 << 16, n = 0, used = 0, pcap = 1 << 20, l;
	struct lx_sym *s = malloc(cap * sizeof(*s)), *ns;
	char *pool = malloc(pcap), *np, line[600], name[520], type;
	unsigned long long a;
	FILE *f = fopen(path, "re");
	int e = EINVAL;

	if (!f || !s || !pool)
		goto err;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %511s", &a, &type, name) != 3)
			goto err;
		if (n == cap) {
			cap *= 2;
			ns = realloc(s, cap * sizeof(*s));
			if (!ns)
				goto err;
			s = ns;
		}
		l = strlen(name) + 1;
		if (used + l > pcap) {
			pcap *= 2;
			np = realloc(pool, pcap);
			if (!np)
				goto err;
			pool = np;
		}
		memcpy(pool + used, name, l);
		s[n].name = used;
		s[n].type = type;
		s[n].addr = a >= LX_KMAP ? a + offset : a;
		used += l;
		n++;
	}
	if (!n)
		goto err;
	fclose(f);
	qsort_r(s, n, sizeof(*s), sym_cmp, pool);
	lx->syms = s;
	lx->nsyms = n;
	lx->names = pool;
	return 0;
err:
	e = f ? e : errno;
	if (f)
		fclose(f);
	free(s);
	free(pool);
	errno = e;
	return -1;
}

/**
 * lx_sym() - a kernel symbol's address
 * @lx: the view
 * @name: the symbol
 *
 * Return: its address, or 0 if the kernel has no such symbol.
 */
uint64_t lx_sym(const struct kvmmem_linux *lx, const char *name)
{
	size_t lo = 0, hi = lx->nsyms, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(name, lx->names + lx->syms[mid].name);
		if (!c)
			return lx->syms[mid].addr;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}
