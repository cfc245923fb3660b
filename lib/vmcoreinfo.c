// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
/*
 * vmcoreinfo.c: finding the target's kernel, and not a forgery of it.
 *
 * DOC: Theory of operation
 *
 * A Linux kernel keeps its VMCOREINFO text (what kdump tools read) in a
 * page of its own, which starts "OSRELEASE=". That page is found by
 * reading the first bytes of every page of RAM. Any process of the target
 * can plant a page like it, so a candidate is believed only when the
 * kernel it describes is there:
 *  - its symbol tables (kallsyms.c) decode, at the physical place that its
 *    phys_base gives, and put init_uts_ns and init_top_pgt exactly where
 *    the text says;
 *  - the release in init_uts_ns, and the linux_banner that kallsyms
 *    names, both match its OSRELEASE.
 * Candidates with the same text are one (the kernel keeps a second copy
 * inside its ELF note, which is not at a page start anyway). If more than
 * one different candidate passes, the layer refuses (ENOTUNIQ) rather than
 * guess which kernel is real; so it does when a target plants
 * CANDIDATES_MAX different texts or more (a forger can deny the view, not
 * fool it).
 *
 * The scan reads every page of RAM, which costs a page fault a page on a
 * live target. A caller that scanned this target before (in the same
 * boot) passes the page it found as an anchor: if the page there still
 * holds a text that checks, the scan is skipped. The real page stays where
 * it is for the life of the kernel, so this skips nothing but the search
 * for forgeries planted since, which could only make the view refuse.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "lx.h"

#define SCAN_PAGES	512	/* pages read at a time while scanning */
#define CANDIDATES_MAX	64	/* different candidates checked, at most */
#define MAGIC		"OSRELEASE="

/**
 * lx_info() - a value in a VMCOREINFO text
 * @info: the text
 * @key: what precedes '=' on its line, "SYMBOL(init_uts_ns)" say
 * @len: out: the value's length (up to the line's end)
 *
 * Return: the value (not NUL-terminated), or NULL.
 */
const char *lx_info(const char *info, const char *key, size_t *len)
{
	size_t k = strlen(key);
	const char *p = info, *e;

	while (p && *p) {
		if (!strncmp(p, key, k) && p[k] == '=') {
			p += k + 1;
			e = strchr(p, '\n');
			*len = e ? (size_t)(e - p) : strlen(p);
			return p;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/**
 * lx_info_u64() - a number in a VMCOREINFO text
 * @info: the text
 * @key: the key
 * @base: 16 for SYMBOL() and KERNELOFFSET, 10 for NUMBER()
 * @v: out: the value
 *
 * Return: whether the key is there with a whole number as its value.
 */
bool lx_info_u64(const char *info, const char *key, int base, uint64_t *v)
{
	char tmp[32], *end;
	const char *p;
	size_t len;

	p = lx_info(info, key, &len);
	if (!p || !len || len >= sizeof(tmp))
		return false;
	memcpy(tmp, p, len);
	tmp[len] = 0;
	errno = 0;
	if (base == 10 && tmp[0] == '-')
		*v = (uint64_t)strtoll(tmp, &end, 10);
	else
		*v = strtoull(tmp, &end, base);
	return !errno && !*end;
}

/* A page that may be a VMCOREINFO text: printable lines, NUL after. */
static char *candidate_text(struct kvmmem_linux *lx, uint64_t pa)
{
	char *t = malloc(LX_PAGE + 1);
	size_t i;

	if (!t || lx_pread(lx, pa, t, LX_PAGE))
		goto bad;
	t[LX_PAGE] = 0;
	for (i = 0; i < LX_PAGE && t[i]; i++)
		if ((t[i] < ' ' || t[i] > '~') && t[i] != '\n')
			goto bad;
	if (i < 64 || !memchr(t, '\n', i))
		goto bad;
	return t;
bad:
	free(t);
	return NULL;
}

static void free_syms(struct kvmmem_linux *lx)
{
	free(lx->syms);
	free(lx->names);
	lx->syms = NULL;
	lx->names = NULL;
	lx->nsyms = 0;
}

/* Drop what the cache gave (the BTF too). */
static void forget(struct kvmmem_linux *lx)
{
	free_syms(lx);
	btf__free(lx->btf);
	lx->btf = NULL;
	lx->cached = false;
}

/* Does a string at kernel image address @va start with @want? */
static bool kimg_has(struct kvmmem_linux *lx, uint64_t va, const char *want,
		     size_t len)
{
	char buf[128];

	if (!va || len > sizeof(buf) || va < LX_KMAP)
		return false;
	if (lx_pread(lx, va - LX_KMAP + lx->phys_base, buf, len))
		return false;
	return !memcmp(buf, want, len);
}

/*
 * Check candidate @t; on success, fill @lx's kernel fields and symbols
 * from it. On failure, @lx is left without symbols.
 */
static bool believe(struct kvmmem_linux *lx, const char *t)
{
	uint64_t pb, off, top, uts, l5 = 0, banner;
	char want[96];
	const char *rel;
	size_t len;
	int n;

	rel = lx_info(t, "OSRELEASE", &len);
	if (!rel || !len || len >= KVMMEM_LINUX_UTS_LEN ||
	    !lx_info_u64(t, "NUMBER(phys_base)", 10, &pb) ||
	    !lx_info_u64(t, "KERNELOFFSET", 16, &off) ||
	    !lx_info_u64(t, "SYMBOL(init_top_pgt)", 16, &top) ||
	    !lx_info_u64(t, "SYMBOL(init_uts_ns)", 16, &uts))
		return false;
	lx_info_u64(t, "NUMBER(pgtable_l5_enabled)", 10, &l5);
	lx->phys_base = pb;
	/* a System.map of the user's replaces the kernel's own tables */
	if (!lx->syms && lx->sysmap && lx_sysmap_load(lx, lx->sysmap, off))
		return false;
	if (!lx->syms && lx_kallsyms_load(lx, t, &lx->syms, &lx->nsyms, &lx->names))
		return false;
	/* the text's symbols and the tables agree */
	if (lx_sym(lx, "init_top_pgt") != top || lx_sym(lx, "init_uts_ns") != uts)
		goto bad;
	/* the release, in init_uts_ns.name.release and in linux_banner */
	n = snprintf(want, sizeof(want), "Linux version %.*s ", (int)len, rel);
	banner = lx_sym(lx, "linux_banner");
	if (!kimg_has(lx, banner, want, n))
		goto bad;
	/* struct uts_namespace starts with its new_utsname: release is third */
	memcpy(want, rel, len);
	want[len] = 0;
	if (!kimg_has(lx, uts + 2 * KVMMEM_LINUX_UTS_LEN, want, len + 1))
		goto bad;
	lx->kaslr = off;
	lx->l5 = l5 == 1;
	lx->pgd = top - LX_KMAP + pb;
	return true;
bad:
	free_syms(lx);
	return false;
}

/* Is text @t one of the @n candidates already found? */
static bool known(char *const *cand, size_t n, const char *t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(cand[i], t))
			return true;
	return false;
}

/**
 * lx_find_kernel() - find and check the target's VMCOREINFO
 * @lx: the view, with its memory source
 *
 * Fills lx->info, phys_base, kaslr, l5, pgd and the symbols.
 *
 * Return: 0, or -1 with errno set (ENOENT: no Linux kernel found;
 * ENOTUNIQ: more than one consistent kernel, which means a forgery).
 */
int lx_find_kernel(struct kvmmem_linux *lx)
{
	char *cand[CANDIDATES_MAX], *good = NULL, *t;
	uint64_t cand_pa[CANDIDATES_MAX], good_pa = 0;
	const struct kvmmem_ram_range *r;
	size_t nc = 0, i, k, nr;
	uint8_t *buf;
	uint64_t pa, n;
	int ret = -1, e = ENOENT;

	if (lx->anchor && !((lx->anchor - 1) & (LX_PAGE - 1))) {
		t = candidate_text(lx, lx->anchor - 1);
		/* the symbols (and BTF) kept for this very text, if any */
		lx->cached = t && lx->cache_dir && lx_cache_load(lx, lx->cache_dir, t);
		if (t && believe(lx, t)) {
			lx->info = t;
			lx->info_pa = lx->anchor - 1;
			return 0;
		}
		free(t);
		forget(lx);
	}
	buf = malloc(SCAN_PAGES * LX_PAGE);
	if (!buf)
		return -1;
	nr = kvmmem_pmem_ranges(lx->pm, &r);
	for (i = 0; i < nr && nc < CANDIDATES_MAX; i++) {
		for (pa = (r[i].start + LX_PAGE - 1) & ~(LX_PAGE - 1);
		     pa < r[i].end && nc < CANDIDATES_MAX; pa += n * LX_PAGE) {
			n = (r[i].end - pa) / LX_PAGE;
			if (n > SCAN_PAGES)
				n = SCAN_PAGES;
			if (!n)
				break;
			if (lx_pread(lx, pa, buf, n * LX_PAGE)) {
				/* page by page: one unreadable page hides no other */
				for (k = 0; k < n; k++)
					if (lx_pread(lx, pa + k * LX_PAGE,
						     buf + k * LX_PAGE, sizeof(MAGIC)))
						memset(buf + k * LX_PAGE, 0, sizeof(MAGIC));
			}
			for (k = 0; k < n && nc < CANDIDATES_MAX; k++) {
				if (memcmp(buf + k * LX_PAGE, MAGIC, sizeof(MAGIC) - 1))
					continue;
				t = candidate_text(lx, pa + k * LX_PAGE);
				if (t && known(cand, nc, t)) {
					free(t);
				} else if (t) {
					cand_pa[nc] = pa + k * LX_PAGE;
					cand[nc++] = t;
				}
			}
		}
	}
	if (nc == CANDIDATES_MAX) {
		lx_warn(lx, "%d or more different VMCOREINFO pages: refusing to look further",
			CANDIDATES_MAX);
		e = ENOTUNIQ;
		nc = 0;
	}
	for (i = 0; i < nc; i++) {
		if (!believe(lx, cand[i])) {
			lx_warn(lx, "a VMCOREINFO page that does not match the kernel in memory was ignored");
			continue;
		}
		if (good) {
			lx_warn(lx, "two different, consistent VMCOREINFO pages: refusing to guess which kernel is real");
			free_syms(lx);
			e = ENOTUNIQ;
			good = NULL;
			break;
		}
		good = cand[i];
		good_pa = cand_pa[i];
		free_syms(lx);
	}
	if (good && believe(lx, good)) {
		lx->info_pa = good_pa;
		lx->info = strdup(good);
		ret = lx->info ? 0 : -1;
		e = lx->info ? 0 : ENOMEM;
	}
	for (i = 0; i < nc; i++)
		free(cand[i]);
	free(buf);
	if (ret)
		errno = e;
	return ret;
}
