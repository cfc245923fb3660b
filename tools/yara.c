// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: kvmmem yara: YARA rules over a live target, zero-copy
 *
 * kvmmem yara RULES [--pid PID | --all | --kernel] scans with Debian's
 * libyara:
 *
 * - by default the target's guest-physical memory, a block per RAM range;
 * - with --pid, one process's virtual memory, through the Linux layer: its
 *   VMAs, page by page translated with its page tables;
 * - with --all, every process in turn (kernel threads have no user memory);
 * - with --kernel, the kernel's own virtual memory, translated with its
 *   page tables: its image (_text to _end) and the whole module area,
 *   where x86-64 loads modules and BPF programs, so that code that hides
 *   from the module list is scanned too. The direct map is physical
 *   memory (the default scan); vmalloc space is not swept.
 *
 * libyara never matches across memory blocks, so a block must hold
 * contiguous memory: the pages of a VMA are mapped, in order, into
 * consecutive slots of the handle's window, and libyara reads the window
 * itself, with no copy (one batch hypercall maps a window's worth of
 * pages). A page that is not present (never touched,
 * swapped out) ends a block, and the next present page starts another: an
 * empty slot reads as the revoked pattern, which must never be scanned. A
 * block is at most the window (WINDOW_PAGES); a longer run of pages is cut
 * there, and a match across the cut is not found.
 *
 * Each match prints the rule, the process (PID and COMM; "-" for physical
 * memory; 0 and "kernel" for the kernel), and the virtual and the physical
 * address of each matching string. A revocation during a scan (the status page counts it)
 * fails the scan: its slots read the revoked pattern.
 */
/* Copyright (C) 2026 The kvmmem authors */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yara.h>

#include "kvmmem_linux.h"
#include "linux-cmds.h"
#include "yara-cmd.h"

static const char *prog = "kvmmem";

#include "fail.h"

#define PG		4096ULL
/* x86-64's kernel image mapping (__START_KERNEL_map) and module area */
#define KERNEL_MAP	0xffffffff80000000ULL
#define MODULES_START	0xffffffffc0000000ULL
#define MODULES_END	0xffffffffff000000ULL
#define WINDOW_PAGES	16384		/* 64 MiB of window */
#define MAX_BLOCKS	1024		/* blocks in one pass over the window */

struct block {
	YR_MEMORY_BLOCK yb;
	size_t slot;			/* its first window slot */
};

struct scan {
	struct kvmmem *km;
	uint8_t *win;
	uint64_t gpa[WINDOW_PAGES];	/* the target page in each slot */
	size_t used;			/* slots filled */
	struct block b[MAX_BLOCKS];
	size_t nb, cur;
	/* the run of pages being added: its start (va) and first slot */
	uint64_t run_va;
	size_t run_slot, run_pages;
	YR_RULES *rules;
	int pid;			/* 0: physical memory or the kernel */
	const char *comm;		/* NULL: physical memory */
	unsigned long matches;
	int error;
};

/* the scan in progress, for libyara's fetch callback */
static struct scan *the_scan;

static const uint8_t *fetch_block(YR_MEMORY_BLOCK *yb)
{
	struct block *b = yb->context;

	return the_scan->win + b->slot * PG;
}

static YR_MEMORY_BLOCK *first(YR_MEMORY_BLOCK_ITERATOR *it)
{
	struct scan *s = it->context;

	s->cur = 0;
	return s->nb ? &s->b[0].yb : NULL;
}

static YR_MEMORY_BLOCK *next(YR_MEMORY_BLOCK_ITERATOR *it)
{
	struct scan *s = it->context;

	return ++s->cur < s->nb ? &s->b[s->cur].yb : NULL;
}

/* the physical address of virtual address @va of block @b */
static uint64_t pa_of(struct scan *s, const struct block *b, uint64_t va)
{
	return s->gpa[b->slot + (va - b->yb.base) / PG] + va % PG;
}

static int on_match(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *user)
{
	struct scan *s = user;
	YR_RULE *rule = data;
	YR_STRING *str;
	YR_MATCH *m;
	size_t i;

	if (msg != CALLBACK_MSG_RULE_MATCHING)
		return CALLBACK_CONTINUE;
	s->matches++;
	yr_rule_strings_foreach(rule, str) {
		yr_string_matches_foreach(ctx, str, m) {
			uint64_t va = m->base + m->offset;

			for (i = 0; i < s->nb && s->b[i].yb.base != (uint64_t)m->base; i++)
				;
			if (i == s->nb)
				continue;
			if (s->comm)
				printf("%s pid=%d comm=%s va=0x%" PRIx64 " pa=0x%" PRIx64 " %s\n",
				       rule->identifier, s->pid, s->comm, va,
				       pa_of(s, &s->b[i], va), str->identifier);
			else
				printf("%s pid=- comm=- va=- pa=0x%" PRIx64 " %s\n",
				       rule->identifier, va, str->identifier);
		}
	}
	return CALLBACK_CONTINUE;
}

/* map the window's slots, scan them, then empty them */
static int flush(struct scan *s)
{
	YR_MEMORY_BLOCK_ITERATOR it = {
		.context = s, .first = first, .next = next,
	};
	uint64_t rev = kvmmem_revocations(s->km);
	size_t done = 0, undone;
	int ret;

	if (!s->nb)
		return 0;
	/* every slot in use holds a page of some block: one batch maps them */
	if (kvmmem_window_map(s->km, 0, s->gpa, s->used, &done)) {
		ret = fail(EX_LFAIL, "yara: map of 0x%" PRIx64 ": %s", s->gpa[done],
			   kvmmem_strerror(errno));
	} else {
		ret = yr_rules_scan_mem_blocks(s->rules, &it,
					       SCAN_FLAGS_REPORT_RULES_MATCHING,
					       on_match, s, 0);
		fflush(stdout);
		if (ret != ERROR_SUCCESS)
			ret = fail(EX_LFAIL, "yara: libyara error %d", ret);
		else if (kvmmem_revocations(s->km) != rev)
			ret = fail(EX_LFAIL, "yara: the grant's mappings were revoked during the scan");
	}
	if (done && kvmmem_window_unmap(s->km, 0, done, &undone))
		ret = fail(EX_LFAIL, "yara: window unmap: %s", kvmmem_strerror(errno));
	s->used = 0;
	s->nb = 0;
	return ret ? -1 : 0;
}

/* end the run of pages being added: it becomes a block */
static void end_run(struct scan *s)
{
	struct block *b;

	if (!s->run_pages)
		return;
	b = &s->b[s->nb++];
	b->slot = s->run_slot;
	b->yb.base = s->run_va;
	b->yb.size = s->run_pages * PG;
	b->yb.context = b;
	b->yb.fetch_data = fetch_block;
	s->run_pages = 0;
}

/* the page at @pa goes into the next slot, as virtual address @va */
static int add_page(struct scan *s, uint64_t va, uint64_t pa)
{
	if (s->run_pages && s->run_va + s->run_pages * PG != va)
		end_run(s);
	if (s->used == WINDOW_PAGES || (!s->run_pages && s->nb == MAX_BLOCKS)) {
		end_run(s);
		if (flush(s))
			return -1;
	}
	if (!s->run_pages) {
		s->run_va = va;
		s->run_slot = s->used;
	}
	s->gpa[s->used++] = pa;
	s->run_pages++;
	return 0;
}

static int scan_physical(struct scan *s, struct kvmmem_pmem *pm)
{
	const struct kvmmem_ram_range *r;
	uint64_t pa;
	int n, i;

	n = kvmmem_pmem_ranges(pm, &r);
	for (i = 0; i < n; i++) {
		for (pa = r[i].start; pa < r[i].end; pa += PG)
			if (add_page(s, pa, pa))
				return -1;
		end_run(s);
	}
	return flush(s);
}

#define VTOP_BATCH	4096		/* pages translated at a time */

/* add the present pages of [start, end) of @pid's address space (0: the kernel's) */
static int add_va_range(struct scan *s, struct kvmmem_linux *lx, int pid,
			uint64_t start, uint64_t end)
{
	static uint64_t pa[VTOP_BATCH];
	uint64_t va;
	size_t k, j;

	for (va = start; va < end; va += k * PG) {
		k = (end - va) / PG < VTOP_BATCH ? (end - va) / PG : VTOP_BATCH;
		if (kvmmem_linux_vtop_range(lx, pid, va, k, pa))
			return -1;
		for (j = 0; j < k; j++) {
			if (pa[j] == KVMMEM_LINUX_NO_PAGE)
				end_run(s);	/* not present: the block ends */
			else if (add_page(s, va + j * PG, pa[j] & ~(PG - 1)))
				return -1;
		}
	}
	end_run(s);
	return 0;
}

static int scan_process(struct scan *s, struct kvmmem_linux *lx, int pid,
			const char *comm)
{
	struct kvmmem_linux_vma *v;
	size_t n, i;
	int ret = 0;

	if (kvmmem_linux_maps(lx, pid, &v, &n)) {
		fail(EX_LFAIL, "yara: maps of %d: %s", pid, strerror(errno));
		return -1;
	}
	s->pid = pid;
	s->comm = comm;
	for (i = 0; i < n && !ret; i++)
		ret = add_va_range(s, lx, pid, v[i].start, v[i].end);
	kvmmem_linux_maps_free(v, n);
	return ret ? ret : flush(s);
}

/* the kernel image, then the module area */
static int scan_kernel(struct scan *s, struct kvmmem_linux *lx)
{
	uint64_t text, end;

	/* the target's symbols are not trusted: the image lies below the module area */
	if (kvmmem_linux_symbol(lx, "_text", &text) || kvmmem_linux_symbol(lx, "_end", &end) ||
	    text < KERNEL_MAP || end <= text || end > MODULES_START) {
		fail(EX_LFAIL, "yara: the kernel image's bounds (_text, _end) are not known");
		return -1;
	}
	s->pid = 0;
	s->comm = "kernel";
	if (add_va_range(s, lx, 0, text & ~(PG - 1), (end + PG - 1) & ~(PG - 1)) ||
	    add_va_range(s, lx, 0, MODULES_START, MODULES_END))
		return -1;
	return flush(s);
}

static void compile_error(int level, const char *file, int line,
			  const YR_RULE *rule, const char *msg, void *user)
{
	(void)rule;
	(void)user;
	fprintf(stderr, "kvmmem: yara: %s:%d: %s: %s\n", file ? file : "rules", line,
		level == YARA_ERROR_LEVEL_ERROR ? "error" : "warning", msg);
}

static YR_RULES *compile(const char *path)
{
	YR_COMPILER *c;
	YR_RULES *rules = NULL;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (yr_compiler_create(&c) == ERROR_SUCCESS) {
		yr_compiler_set_callback(c, compile_error, NULL);
		if (!yr_compiler_add_file(c, f, NULL, path))
			yr_compiler_get_rules(c, &rules);
		yr_compiler_destroy(c);
	}
	fclose(f);
	return rules;
}

/**
 * yara_cmd() - kvmmem yara RULES [--pid PID | --all | --kernel]
 * @km: the live target's handle
 * @rules: the rules file
 * @scope: what to scan
 * @pid: the process, for YARA_PROCESS
 * @key: the grant's name for the Linux view's cache
 *
 * Return: kvmmem's exit code: 0 (whether or not a rule matched; matches
 * are printed), 1 on a failure.
 */
int yara_cmd(struct kvmmem *km, const char *rules, enum yara_scope scope, int pid,
	     const char *key)
{
	struct kvmmem_linux_opts lo = {
		.cache_dir = CACHE_DIR, .cache_key = key, .warn = linux_warn_quiet,
	};
	struct kvmmem_linux_task *t = NULL;
	struct kvmmem_linux *lx = NULL;
	struct kvmmem_pmem *pm;
	struct scan *s;
	size_t n = 0, i;
	int ret = EX_LFAIL;

	if (yr_initialize() != ERROR_SUCCESS)
		return fail(EX_LFAIL, "yara: libyara does not start");
	s = calloc(1, sizeof(*s));
	if (!s) {
		ret = fail(EX_LFAIL, "out of memory");
		goto out_yara;
	}
	the_scan = s;
	s->km = km;
	s->rules = compile(rules);
	if (!s->rules) {
		ret = fail(EX_LUSE, "yara: %s: %s", rules, errno ? strerror(errno) :
			   "the rules do not compile");
		goto out_free;
	}
	s->win = kvmmem_window(km, WINDOW_PAGES);
	if (!s->win) {
		ret = fail(EX_LFAIL, "yara: window: %s", kvmmem_strerror(errno));
		goto out_rules;
	}
	pm = kvmmem_pmem_live(km);
	if (!pm) {
		ret = fail(EX_LFAIL, "yara: the target's RAM ranges: %s", strerror(errno));
		goto out_rules;
	}
	if (scope == YARA_PHYSICAL) {
		ret = scan_physical(s, pm) ? EX_LFAIL : EX_LDONE;
		goto out_pmem;
	}
	lx = kvmmem_linux_open(pm, &lo);
	if (!lx) {
		ret = fail(EX_LFAIL, "yara: no Linux kernel understood in the target's memory");
		goto out_pmem;
	}
	if (scope == YARA_KERNEL) {
		ret = scan_kernel(s, lx) ? EX_LFAIL : EX_LDONE;
		goto out_linux;
	}
	if (scope != YARA_PROCESS)
		pid = 0;
	if (kvmmem_linux_tasks(lx, 0, &t, &n)) {
		ret = fail(EX_LFAIL, "yara: processes: %s", strerror(errno));
		goto out_linux;
	}
	ret = EX_LDONE;
	for (i = 0; i < n; i++) {
		if (t[i].kthread || (pid && t[i].tgid != pid))
			continue;
		if (scan_process(s, lx, t[i].tgid, t[i].comm))
			ret = EX_LFAIL;
		if (pid)
			break;
	}
	if (pid && i == n)
		ret = fail(EX_LFAIL, "yara: no process %d in the target", pid);
	free(t);
out_linux:
	kvmmem_linux_close(lx);
out_pmem:
	kvmmem_pmem_close(pm);
out_rules:
	yr_rules_destroy(s->rules);
out_free:
	free(s);
out_yara:
	yr_finalize();
	return ret;
}
