// SPDX-License-Identifier: GPL-2.0
/*
 * bench: kvmmem's benchmark, run inside the introspector by `make bench`.
 *
 *   bench TOKENFILE GPA BIGPAGES NULLCALLS [WINPAGES]
 *
 * The target must have BIGPAGES + 512 pages (and WINPAGES + 512) of RAM from
 * GPA on, under the token's grant. The kvmmem_bench module must be loaded (the null
 * hypercall timer). Prints one "name=value" line per figure, all times in
 * nanoseconds per page or per call, bandwidths in bytes per microsecond:
 *
 *   null_ns        one null hypercall from the guest kernel (the unit)
 *   single_ns      KVM_INTRO_MEM_MAP + KVM_INTRO_MEM_UNMAP, per page
 *   batch_map_ns   KVM_INTRO_MEM_MAP_BATCH of 4096 pages, per page
 *   batch_unmap_ns KVM_INTRO_MEM_UNMAP_BATCH of them, per page
 *   read_mapped    reading 16 MiB of mapped target pages (best of 5)
 *   read_local     reading 16 MiB of the process's own memory (best of 5)
 *   map_at_1m_ns   batch map of 256 pages with 256 mapped, per page (median of 9)
 *   map_at_big_ns  the same with BIGPAGES mapped
 *   win_cold_ns    window batch map of 16384 pages, first time, per page
 *   win_map_ns     the same again (target pages already split), per page
 *   win_unmap_ns   window batch unmap of them, per page
 *   win_read       reading 16 MiB of window slots (best of 5)
 *   win_at_1m_ns   window batch map of 256 pages with 256 mapped, per page (median of 9)
 *   win_at_big_ns  the same with WINPAGES mapped
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

#define RUN_PAGES	4096	/* 16 MiB */
#define SMALL		256	/* 1 MiB */
#define SINGLES		256
#define WIN_RUN		16384	/* 64 MiB */
#define FLAT_RUNS	9

static int dev;
static struct kvmi_map_mem_token token;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what, int e)
{
	printf("error: %s: %s\n", what, ename(e));
	exit(1);
}

/*
 * Batch map (or unmap) @n pages: target gpa @gpa.. at @va.., in ioctls of
 * KVMMEM_BATCH_MAX entries.
 */
static void batch(int map, uint64_t gpa, uint8_t *va, uint32_t n)
{
	struct kvmmem_batch_entry *ent = calloc(n, sizeof(*ent));
	struct kvmmem_batch b = { .token = token };
	uint32_t i;

	if (!ent)
		die("calloc", ENOMEM);
	for (i = 0; i < n; i++) {
		ent[i].gpa = gpa + (uint64_t)i * PG;
		ent[i].gva = (uintptr_t)(va + (size_t)i * PG);
	}
	for (i = 0; i < n; i += b.count) {
		b.entries = (uintptr_t)(ent + i);
		b.count = n - i < KVMMEM_BATCH_MAX ? n - i : KVMMEM_BATCH_MAX;
		if (ioctl(dev, map ? KVM_INTRO_MEM_MAP_BATCH : KVM_INTRO_MEM_UNMAP_BATCH, &b))
			die(map ? "batch map" : "batch unmap", errno);
	}
	free(ent);
}

static uint8_t *area(size_t pages)
{
	void *p = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap", errno);
	return p;
}

/* Bytes per microsecond of the best of 5 passes summing @len bytes. */
static double read_bw(const uint8_t *p, size_t len, uint64_t *sink)
{
	long long best = 0, t;
	int pass;
	size_t i;

	for (pass = 0; pass < 5; pass++) {
		const volatile uint64_t *w = (const volatile uint64_t *)p;
		uint64_t s = 0;

		t = now_ns();
		for (i = 0; i < len / 8; i++)
			s += w[i];
		t = now_ns() - t;
		*sink += s;
		if (!best || t < best)
			best = t;
	}
	return (double)len * 1000 / best;
}

static long long null_ns(long calls)
{
	char buf[32];
	FILE *f = fopen("/sys/module/kvmmem_bench/parameters/null_calls", "w");

	if (!f || fprintf(f, "%ld\n", calls) < 0 || fclose(f))
		die("kvmmem_bench null_calls", errno);
	f = fopen("/sys/module/kvmmem_bench/parameters/null_ns", "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		die("kvmmem_bench null_ns", errno);
	fclose(f);
	return atoll(buf);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * The median of FLAT_RUNS timings of a batch map of SMALL pages at slot
 * @at (each unmapped again after), in ns per page: one timing of 256
 * pages is at the mercy of nested TCG's noise.
 */
static double map_small(uint64_t gpa, uint8_t *va, uint64_t at)
{
	long long t[FLAT_RUNS];
	int i;

	for (i = 0; i < FLAT_RUNS; i++) {
		t[i] = now_ns();
		batch(1, gpa + at * PG, va + at * PG, SMALL);
		t[i] = now_ns() - t[i];
		batch(0, gpa + at * PG, va + at * PG, SMALL);
	}
	qsort(t, FLAT_RUNS, sizeof(t[0]), cmp_ll);
	return (double)t[FLAT_RUNS / 2] / SMALL;
}

/*
 * Map cost against what is mapped already: 256 pages with 1 MiB mapped,
 * then with @big pages mapped, at @va; prints NAME_at_1m_ns, NAME_at_big_ns.
 * A first pass maps and unmaps everything once, so that both figures see
 * target pages whose huge pages are split already (that one-time cost
 * does not depend on what is mapped; win_cold_ns shows it).
 */
static void flat(const char *name, uint64_t gpa, uint8_t *va, uint64_t big)
{
	batch(1, gpa, va, big + SMALL);
	batch(0, gpa, va, big + SMALL);
	batch(1, gpa, va, SMALL);
	printf("%s_at_1m_ns=%.1f\n", name, map_small(gpa, va, SMALL));
	batch(1, gpa + SMALL * PG, va + SMALL * PG, big - SMALL);
	printf("%s_at_big_ns=%.1f\n", name, map_small(gpa, va, big));
	batch(0, gpa, va, big);
}

/* The window figures: a window of @win + 512 pages. */
static void window(uint64_t gpa, uint64_t win, uint64_t *sink)
{
	size_t len = (win + 512) * PG;
	long long t;
	uint8_t *w;

	w = mmap(NULL, len, PROT_READ, MAP_SHARED, dev, KVMMEM_WINDOW_OFFSET);
	if (w == MAP_FAILED)
		die("window", errno);
	t = now_ns();
	batch(1, gpa, w, WIN_RUN);
	printf("win_cold_ns=%.1f\n", (double)(now_ns() - t) / WIN_RUN);
	batch(0, gpa, w, WIN_RUN);
	t = now_ns();
	batch(1, gpa, w, WIN_RUN);
	printf("win_map_ns=%.1f\n", (double)(now_ns() - t) / WIN_RUN);
	read_bw(w, (size_t)RUN_PAGES * PG, sink);
	printf("win_read=%.1f\n", read_bw(w, (size_t)RUN_PAGES * PG, sink));
	t = now_ns();
	batch(0, gpa, w, WIN_RUN);
	printf("win_unmap_ns=%.1f\n", (double)(now_ns() - t) / WIN_RUN);

	flat("win", gpa, w, win);
	munmap(w, len);
}

int main(int argc, char **argv)
{
	uint64_t gpa, big, win, sink = 0;
	struct kvmi_mem_map m;
	long long t, calls;
	uint8_t *a, *b;
	uint32_t i;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: bench TOKENFILE GPA BIGPAGES NULLCALLS [WINPAGES]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = open("/dev/kvmmem", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("/dev/kvmmem", errno);
	read_token(argv[1], &token);
	gpa = strtoull(argv[2], NULL, 0);
	big = strtoull(argv[3], NULL, 0);
	calls = atoll(argv[4]);
	win = argc > 5 ? strtoull(argv[5], NULL, 0) : 0;

	printf("null_ns=%.1f\n", (double)null_ns(calls) / calls);

	a = area(SINGLES);
	m.token = token;
	t = now_ns();
	for (i = 0; i < SINGLES; i++) {
		m.gpa = gpa + (uint64_t)i * PG;
		m.gva = (uintptr_t)(a + (size_t)i * PG);
		if (ioctl(dev, KVM_INTRO_MEM_MAP, &m))
			die("map", errno);
		if (ioctl(dev, KVM_INTRO_MEM_UNMAP, (unsigned long)m.gva))
			die("unmap", errno);
	}
	printf("single_ns=%.1f\n", (double)(now_ns() - t) / SINGLES);

	a = area(RUN_PAGES);
	t = now_ns();
	batch(1, gpa, a, RUN_PAGES);
	printf("batch_map_ns=%.1f\n", (double)(now_ns() - t) / RUN_PAGES);
	b = area(RUN_PAGES);
	memset(b, 0x5a, (size_t)RUN_PAGES * PG);
	/* touch the mapped pages once, as the local ones were */
	read_bw(a, (size_t)RUN_PAGES * PG, &sink);
	printf("read_mapped=%.1f\n", read_bw(a, (size_t)RUN_PAGES * PG, &sink));
	printf("read_local=%.1f\n", read_bw(b, (size_t)RUN_PAGES * PG, &sink));
	t = now_ns();
	batch(0, gpa, a, RUN_PAGES);
	printf("batch_unmap_ns=%.1f\n", (double)(now_ns() - t) / RUN_PAGES);
	munmap(b, (size_t)RUN_PAGES * PG);

	/* map cost against what is mapped already: 1 MiB, then BIGPAGES */
	flat("map", gpa, area(big + SMALL), big);
	if (win)
		window(gpa, win, &sink);
	printf("sink=%" PRIx64 "\n", sink);
	return 0;
}
