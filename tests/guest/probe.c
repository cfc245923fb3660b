// SPDX-License-Identifier: GPL-2.0
/*
 * probe: drives /dev/kvmmem from inside the introspector for the lab tests.
 * Each command maps, acts and prints one line per result:
 *
 *   probe read  TOKENFILE GPA OFF LEN     map, print LEN bytes at OFF as hex,
 *                                         unmap, print the first 16 bytes again
 *   probe watch TOKENFILE GPA OFF N MS    print the u64 at OFF N times, MS apart
 *   probe write TOKENFILE GPA OFF VALUE   write a u64 through the mapping
 *   probe segv  TOKENFILE GPA             write to a read-only mapping
 *   probe map   TOKENFILE GPA [KIND]      map only; print the errno name;
 *                                         KIND: private (default), shared,
 *                                         zero, unaligned, twice, nommap
 *   probe dontneed TOKENFILE GPA          map, print 16 bytes, MADV_DONTNEED the
 *                                         page, print them again, unmap
 *   probe unmap ADDR                      unmap something never mapped
 *   probe status                          print the status page, and what a
 *                                         writable or private mmap of it gets
 *   probe hold  TOKENFILE GPA OFF SECS    map, print the u64 at OFF every
 *                                         100 ms for SECS seconds
 *   probe batch TOKENFILE GPA N MODE [K]  batch ioctls over N pages from GPA:
 *     ok      map all, print their FNV-1a sum, unmap all, check for zeros
 *     bad K   entry K has an unaligned gpa; dup K: entry K repeats entry 0's
 *             address; both then unmap what was done
 *     missing map all, unmap N + 1 entries whose last one is not mapped
 *     limits  count 0 and KVMMEM_BATCH_MAX + 1
 *     linger  map all, then keep the file 60 s
 *     kill K  a child maps N pages; it is killed (SIGKILL) after K ms
 *     bench   N single maps and unmaps, then one batch of each: times in us
 *   probe window TOKENFILE GPA N MODE [ARGS]  a window of N pages (whole
 *             chunks), filled from GPA in one batch:
 *     scan        print the word sum, unmap, check that the slots read the
 *                 revoked pattern; times in us
 *     hold K S    print the word sum, then the u64 of slot K every 100 ms
 *                 for S seconds
 *     write K V   write V into slot K (a read-write grant), then read it
 *     avx K V     read slot K, then store V, V+1, V+2, V+3 there with one
 *                 AVX store (vmovdqu), then read them
 *     refused R   try the map R times (each must fail); print how many did
 *     errors      the window's refusals, one line each (N: 1024)
 *     linger      only the mmap(): print its result, keep the file 60 s
 *     stop        wait for the reboot notifier (an unmap says ESHUTDOWN),
 *                 then 1 s more, then read slot N, never touched before
 *   probe memfree KB [halt]              wait (20 s at most) until MemFree has
 *                                         fallen by KB; then halt the VM
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvmmem.h>

#include "common.h"

static int dev;
static sigjmp_buf jb;

static void *page(int shared)
{
	void *p = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		       shared ? MAP_SHARED | MAP_ANONYMOUS | MAP_LOCKED | MAP_POPULATE :
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

static int do_map(const char *tf, uint64_t gpa, void *addr)
{
	struct kvmi_mem_map m = { .gpa = gpa, .gva = (uintptr_t)addr };

	read_token(tf, &m.token);
	return ioctl(dev, KVM_INTRO_MEM_MAP, &m) ? errno : 0;
}

static int do_unmap(void *addr)
{
	return ioctl(dev, KVM_INTRO_MEM_UNMAP, (unsigned long)addr) ? errno : 0;
}

static void hex(const uint8_t *p, size_t n)
{
	while (n--)
		printf("%02x", *p++);
	printf("\n");
}

/* One batch ioctl; prints "WHAT: ERR done=D" unless quiet. */
static int batch(const char *what, const char *tf, struct kvmmem_batch_entry *ent,
		 uint32_t n, int quiet)
{
	struct kvmmem_batch b = { .entries = (uintptr_t)ent, .count = n };
	int e;

	if (tf)
		read_token(tf, &b.token);
	e = ioctl(dev, tf ? KVM_INTRO_MEM_MAP_BATCH : KVM_INTRO_MEM_UNMAP_BATCH, &b) ? errno : 0;
	if (!quiet)
		printf("%s: %s done=%u\n", what, ename(e), b.done);
	return e;
}

/* batch() over any number of entries, KVMMEM_BATCH_MAX at a time. */
static int batch_all(const char *what, const char *tf,
		     struct kvmmem_batch_entry *ent, uint32_t n)
{
	struct kvmmem_batch b = { 0 };
	uint32_t done = 0, k;
	int e = 0;

	if (tf)
		read_token(tf, &b.token);
	while (!e && done < n) {
		k = n - done < KVMMEM_BATCH_MAX ? n - done : KVMMEM_BATCH_MAX;
		b.entries = (uintptr_t)(ent + done);
		b.count = k;
		b.done = 0;
		e = ioctl(dev, tf ? KVM_INTRO_MEM_MAP_BATCH : KVM_INTRO_MEM_UNMAP_BATCH,
			  &b) ? errno : 0;
		done += b.done;
	}
	printf("%s: %s done=%u\n", what, ename(e), done);
	return e;
}

static int batch_cmd(int argc, char **argv, uint64_t gpa)
{
	uint32_t n = strtoul(argv[4], NULL, 0), k = argc > 6 ? strtoul(argv[6], NULL, 0) : 0;
	const char *mode = argv[5], *tf = argv[2];
	struct kvmmem_batch_entry *ent = calloc(n + 1, sizeof(*ent));
	uint8_t *r = mmap(NULL, (size_t)(n + 1) * PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long long t0, t1, t2;
	uint32_t i;
	int st;

	if (!ent || r == MAP_FAILED)
		return 2;
	for (i = 0; i <= n; i++) {
		ent[i].gpa = gpa + (uint64_t)i * PG;
		ent[i].gva = (uintptr_t)(r + (size_t)i * PG);
	}
	if (!strcmp(mode, "ok")) {
		if (batch("map", tf, ent, n, 0))
			return 1;
		printf("sum=0x%016" PRIx64 "\n", fnv(r, (uint64_t)n * PG));
		batch("unmap", NULL, ent, n, 0);
		for (i = 0; i < n * PG && !r[i]; i++)
			;
		printf("%s\n", i == n * PG ? "zeros" : "not zeros");
	} else if (!strcmp(mode, "linger")) {
		/* keep the file open with whatever the batch mapped */
		batch("map", tf, ent, n, 0);
		nap(60000);
	} else if (!strcmp(mode, "bad") || !strcmp(mode, "dup")) {
		if (mode[0] == 'b')
			ent[k].gpa += 8;
		else
			ent[k].gva = ent[0].gva;
		batch("map", tf, ent, n, 0);
		printf("sum=0x%016" PRIx64 "\n", fnv(r, (uint64_t)k * PG));
		batch("unmap", NULL, ent, k, 0);
	} else if (!strcmp(mode, "missing")) {
		batch("map", tf, ent, n, 0);
		batch("unmap", NULL, ent, n + 1, 0);
	} else if (!strcmp(mode, "limits")) {
		batch("zero", tf, ent, 0, 0);
		batch("over", tf, ent, KVMMEM_BATCH_MAX + 1, 0);
	} else if (!strcmp(mode, "kill")) {
		pid_t pid = fork();

		if (!pid) {
			/* a file is only for the process that opened it */
			close(dev);
			dev = open("/dev/kvmmem", O_RDWR | O_CLOEXEC);
			_exit(batch("map", tf, ent, n, 1));
		}
		nap(k);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		printf("%s\n", WIFSIGNALED(st) ? "killed" : "finished first");
	} else if (!strcmp(mode, "bench")) {
		struct kvmi_mem_map m;

		read_token(tf, &m.token);
		t0 = now_us();
		for (i = 0; i < n; i++) {
			m.gpa = ent[i].gpa;
			m.gva = ent[i].gva;
			if (ioctl(dev, KVM_INTRO_MEM_MAP, &m) ||
			    do_unmap((void *)(uintptr_t)ent[i].gva))
				return 1;
		}
		t1 = now_us();
		if (batch("map", tf, ent, n, 1) || batch("unmap", NULL, ent, n, 1))
			return 1;
		t2 = now_us();
		printf("single_us=%lld batch_us=%lld\n", t1 - t0, t2 - t1);
	} else {
		return 2;
	}
	return 0;
}

static void on_segv(int sig)
{
	siglongjmp(jb, sig);
}

/* Write a byte at @p; the signal it got, or "OK". */
/* A write of 0x5a to @p, or a read of it into @b: "OK", "SIGBUS" or "SIGSEGV". */
static const char *try_access(volatile uint8_t *p, uint8_t *b)
{
	int sig;

	signal(SIGSEGV, on_segv);
	signal(SIGBUS, on_segv);
	sig = sigsetjmp(jb, 1);
	if (!sig && b)
		*b = *p;
	else if (!sig)
		*p = 0x5a;
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	return !sig ? "OK" : sig == SIGBUS ? "SIGBUS" : "SIGSEGV";
}

static const char *try_write(volatile uint8_t *p)
{
	return try_access(p, NULL);
}

static int is_pattern(const uint8_t *p)
{
	int i;

	for (i = 0; i < PG; i += 16)
		if (memcmp(p + i, KVMMEM_REVOKED_PATTERN, 16))
			return 0;
	return 1;
}

static void *window_map(size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		    KVMMEM_WINDOW_OFFSET);
}

/* Slots 0 and 1 hold the target's first two pages. */
static void window_errors(const char *tf, uint64_t gpa, uint8_t *w,
			  struct kvmmem_batch_entry *ent)
{
	struct kvmmem_batch_entry e[2] = {
		{ gpa + 10 * PG, (uintptr_t)(w + 10 * PG) },
		{ gpa + 11 * PG, (uintptr_t)page(0) },
	};
	struct kvmmem_batch b = { .entries = (uintptr_t)e, .count = 2 };
	void *x;
	int r;

	x = window_map(2 * KVMMEM_WINDOW_CHUNK);
	printf("second: %s\n", ename(x == MAP_FAILED ? errno : 0));
	read_token(tf, &b.token);
	r = ioctl(dev, KVM_INTRO_MEM_MAP_BATCH, &b) ? errno : 0;
	printf("mixed: %s done=%u\n", ename(r), b.done);
	printf("twice: %s\n", ename(batch("map", tf, ent, 1, 1)));
	printf("empty unmap: %s\n", ename(do_unmap(w + 5 * PG)));
	printf("single: %s ", ename(do_map(tf, gpa + 2 * PG, w + 2 * PG)));
	hex(w + 2 * PG, 8);
	printf("read-only write: %s\n", try_write(w));
	printf("empty read: %s\n", is_pattern(w + 7 * PG) ? "pattern" : "not pattern");
	printf("empty write: %s\n", try_write(w + 7 * PG));
	e[0].gpa = gpa + 3 * PG;
	e[0].gva = (uintptr_t)(w + KVMMEM_WINDOW_CHUNK - PG);
	e[1].gpa = gpa + 4 * PG;
	e[1].gva = (uintptr_t)(w + KVMMEM_WINDOW_CHUNK);
	printf("across chunks: %s ", ename(batch("map", tf, e, 2, 1)));
	hex(w + KVMMEM_WINDOW_CHUNK, 8);
	printf("single unmap: %s\n", ename(do_unmap(w + 2 * PG)));
	printf("after unmap: %s\n", is_pattern(w + 2 * PG) ? "pattern" : "not pattern");
	printf("unaligned: %s\n", ename(do_map(tf, gpa + 8, w + 9 * PG)));
}

static int window_cmd(int argc, char **argv, uint64_t gpa)
{
	uint32_t n = strtoul(argv[4], NULL, 0), i;
	size_t len = (((size_t)n * PG + KVMMEM_WINDOW_CHUNK - 1) / KVMMEM_WINDOW_CHUNK) *
		     KVMMEM_WINDOW_CHUNK;
	struct kvmmem_batch_entry *ent = calloc(n, sizeof(*ent));
	const char *mode = argv[5], *tf = argv[2];
	long long t0, t1, t2, t3;
	uint64_t sum;
	uint8_t *w;
	int e;

	t0 = now_us();
	w = window_map(len);
	if (!strcmp(mode, "linger")) {
		/* keep the file open, with whatever the mmap() left behind */
		printf("window: %s\n", ename(w == MAP_FAILED ? errno : 0));
		nap(60000);
		return 0;
	}
	if (!ent || w == MAP_FAILED) {
		printf("window: %s\n", ename(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		ent[i].gpa = gpa + (uint64_t)i * PG;
		ent[i].gva = (uintptr_t)(w + (size_t)i * PG);
	}
	t1 = now_us();
	if (!strcmp(mode, "refused") && argc > 6) {
		uint32_t tries = strtoul(argv[6], NULL, 0), no = 0;

		for (i = 0, e = 0; i < tries; i++)
			if ((e = batch("map", tf, ent, n, 1)))
				no++;
		printf("refused %u of %u: %s\n", no, tries, ename(e));
		return 0;
	}
	if (!strcmp(mode, "errors")) {
		if (!batch("map", tf, ent, 2, 0))
			window_errors(tf, gpa, w, ent);
		return 0;
	}
	e = batch_all("map", tf, ent, n);
	t2 = now_us();
	if (e)
		return 1;
	sum = wsum((uint64_t *)w, (uint64_t)n * PG);
	t3 = now_us();
	printf("wsum=0x%016" PRIx64 "\n", sum);
	if (strcmp(mode, "scan"))
		printf("setup_us=%lld map_us=%lld sum_us=%lld\n", t1 - t0, t2 - t1, t3 - t2);
	if (!strcmp(mode, "scan")) {
		long long t4, t5;

		t4 = now_us();
		batch_all("unmap", NULL, ent, n);
		t5 = now_us();
		for (i = 0; i < n && is_pattern(w + (size_t)i * PG); i++)
			;
		printf("%s\n", i == n ? "pattern" : "not pattern");
		printf("setup_us=%lld map_us=%lld sum_us=%lld unmap_us=%lld\n",
		       t1 - t0, t2 - t1, t3 - t2, t5 - t4);
	} else if (!strcmp(mode, "hold") && argc > 7) {
		volatile uint64_t *k = (uint64_t *)(w + strtoul(argv[6], NULL, 0) * PG);
		uint32_t secs = strtoul(argv[7], NULL, 0);

		for (i = 0; i < secs * 10; i++) {
			printf("%016" PRIx64 "\n", *k);
			nap(100);
		}
	} else if (!strcmp(mode, "stop") && n < KVMMEM_WINDOW_CHUNK_PAGES) {
		/* wait for the reboot notifier, then touch a slot never touched */
		uint8_t *fresh = w + (size_t)n * PG, b = 0;

		for (i = 0; i < 120000 && do_unmap(fresh) != ESHUTDOWN; i++)
			nap(1);
		printf("stopped: %s\n", i < 120000 ? "ESHUTDOWN" : "not in 120 s");
		/* the unmap saw the module's flag; the notifier then stops each file */
		nap(1000);
		printf("a fresh slot after the stop: %s", try_access(fresh, &b));
		printf(" %02x\n", b);
	} else if (!strcmp(mode, "write") && argc > 7) {
		volatile uint64_t *k = (uint64_t *)(w + strtoul(argv[6], NULL, 0) * PG);

		*k = strtoull(argv[7], NULL, 0);
		printf("wrote %016" PRIx64 "\n", *k);
	} else if (!strcmp(mode, "pingpong") && argc > 6) {
		/* alt-pong's page: ping at word 0, its pong at word 1 */
		volatile uint64_t *k = (uint64_t *)w;
		uint64_t v = strtoull(argv[6], NULL, 0);

		k[0] = v;
		for (i = 0; i < 1000 && k[1] != v; i++)
			nap(10);
		printf("pong %016" PRIx64 "\n", k[1]);
		k[0] = ~0ULL;	/* ALT_PONG_QUIT */
#ifdef __x86_64__
	} else if (!strcmp(mode, "avx") && argc > 7) {
		volatile uint64_t *k = (uint64_t *)(w + strtoul(argv[6], NULL, 0) * PG);
		uint64_t v = strtoull(argv[7], NULL, 0), was;
		uint64_t src[4] = { v, v + 1, v + 2, v + 3 };

		if (!__builtin_cpu_supports("avx")) {
			printf("avx: this CPU has no AVX\n");
			return 1;
		}
		was = *k;	/* a read first: the slot's PTE comes from a read fault */
		/* a VEX store, which KVM's instruction emulator cannot decode */
		asm volatile("vmovdqu (%0), %%ymm0\n\tvmovdqu %%ymm0, (%1)"
			     : : "r"(src), "r"((uint64_t *)k) : "memory", "xmm0");
		printf("read %016" PRIx64 " avx wrote %016" PRIx64 " %016" PRIx64
		       " %016" PRIx64 " %016" PRIx64 "\n", was, k[0], k[1], k[2], k[3]);
#endif
	} else {
		return 2;
	}
	return 0;
}

static long memfree_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/*
 * Wait until MemFree has fallen by @kb (a map under way allocates as it
 * goes); then halt at once if @halt, so that the reboot notifier meets
 * that map half done.
 */
static int memfree_cmd(long kb, int halt)
{
	long m0 = memfree_kb(), m = m0;
	long long t0 = now_us();

	while (m0 - m < kb && now_us() - t0 < 20000000LL)
		m = memfree_kb();
	printf("MemFree fell by %ld kB in %lld us\n", m0 - m, now_us() - t0);
	if (halt) {
		sync();
		reboot(RB_HALT_SYSTEM);
		printf("halt: %s\n", ename(errno));
		return 1;
	}
	return m0 - m < kb;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	uint64_t gpa = argc > 3 ? strtoull(argv[3], NULL, 0) : 0;
	uint8_t *p;
	int e, i, st;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "memfree") && argc > 2)
		return memfree_cmd(strtol(argv[2], NULL, 0), argc > 3 && !strcmp(argv[3], "halt"));
	dev = open("/dev/kvmmem", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		printf("open: %s\n", ename(errno));
		return 1;
	}
	if (!strcmp(cmd, "status")) {
		const volatile struct kvmmem_status *s = status_map(dev);
		void *w;

		if (!s) {
			printf("status: %s\n", ename(errno));
			return 1;
		}
		printf("version=%u registered=%u revocations=%llu\n", s->version,
		       s->registered, (unsigned long long)s->revocations);
		w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
		printf("writable: %s\n", ename(w == MAP_FAILED ? errno : 0));
		w = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, dev, 0);
		printf("private: %s\n", ename(w == MAP_FAILED ? errno : 0));
		w = mmap(NULL, PG, PROT_READ, MAP_SHARED, dev, PG);
		printf("offset: %s\n", ename(w == MAP_FAILED ? errno : 0));
		return 0;
	}
	if (!strcmp(cmd, "unmap") && argc > 2) {
		printf("unmap: %s\n", ename(do_unmap((void *)(uintptr_t)strtoull(argv[2], NULL, 0))));
		return 0;
	}
	if (argc < 4)
		return 2;
	if (!strcmp(cmd, "read") && argc > 5) {
		size_t off = strtoul(argv[4], NULL, 0), len = strtoul(argv[5], NULL, 0);

		p = page(0);
		if ((e = do_map(argv[2], gpa, p))) {
			printf("map: %s\n", ename(e));
			return 1;
		}
		hex(p + off, len);
		printf("unmap: %s\n", ename(do_unmap(p)));
		hex(p, 16);
	} else if (!strcmp(cmd, "dontneed")) {
		p = page(0);
		if ((e = do_map(argv[2], gpa, p))) {
			printf("map: %s\n", ename(e));
			return 1;
		}
		hex(p, 16);
		printf("madvise: %s\n", ename(madvise(p, PG, MADV_DONTNEED) ? errno : 0));
		hex(p, 16);
		printf("unmap: %s\n", ename(do_unmap(p)));
	} else if (!strcmp(cmd, "watch") && argc > 6) {
		size_t off = strtoul(argv[4], NULL, 0);
		int n = atoi(argv[5]), ms = atoi(argv[6]);

		p = page(0);
		if ((e = do_map(argv[2], gpa, p))) {
			printf("map: %s\n", ename(e));
			return 1;
		}
		for (i = 0; i < n; i++) {
			printf("%" PRIu64 "\n", *(volatile uint64_t *)(p + off));
			nap(ms);
		}
		printf("unmap: %s\n", ename(do_unmap(p)));
	} else if (!strcmp(cmd, "hold") && argc > 5) {
		size_t off = strtoul(argv[4], NULL, 0);
		int secs = atoi(argv[5]);

		p = page(0);
		if ((e = do_map(argv[2], gpa, p))) {
			printf("map: %s\n", ename(e));
			return 1;
		}
		printf("mapped\n");
		for (i = 0; i < secs * 10; i++) {
			printf("%016" PRIx64 "\n", *(volatile uint64_t *)(p + off));
			nap(100);
		}
	} else if (!strcmp(cmd, "write") && argc > 5) {
		size_t off = strtoul(argv[4], NULL, 0);
		uint64_t v = strtoull(argv[5], NULL, 0);

		p = page(0);
		if ((e = do_map(argv[2], gpa, p))) {
			printf("map: %s\n", ename(e));
			return 1;
		}
		*(volatile uint64_t *)(p + off) = v;
		printf("wrote\n");
		printf("unmap: %s\n", ename(do_unmap(p)));
	} else if (!strcmp(cmd, "segv")) {
		p = page(0);
		if ((e = do_map(argv[2], gpa, p))) {
			printf("map: %s\n", ename(e));
			return 1;
		}
		signal(SIGSEGV, on_segv);
		if (sigsetjmp(jb, 1) == 0) {
			*(volatile uint8_t *)p = 0x5a;
			printf("write went through\n");
		} else {
			printf("SIGSEGV\n");
		}
		printf("unmap: %s\n", ename(do_unmap(p)));
	} else if (!strcmp(cmd, "batch") && argc > 5) {
		return batch_cmd(argc, argv, gpa);
	} else if (!strcmp(cmd, "window") && argc > 5) {
		return window_cmd(argc, argv, gpa);
	} else if (!strcmp(cmd, "map")) {
		const char *kind = argc > 4 ? argv[4] : "private";

		if (!strcmp(kind, "shared")) {
			p = page(1);
		} else if (!strcmp(kind, "unaligned")) {
			p = page(0) + 8;
		} else if (!strcmp(kind, "nommap")) {
			p = (uint8_t *)(uintptr_t)0x10000;
		} else {
			p = page(0);
		}
		e = do_map(argv[2], gpa, p);
		printf("map: %s\n", ename(e));
		if (!e && !strcmp(kind, "twice"))
			printf("again: %s\n", ename(do_map(argv[2], gpa, p)));
		if (!e && !strcmp(kind, "zero")) {
			/* another process's untouched page must still read zeros */
			pid_t pid = fork();

			if (!pid) {
				uint8_t *q = page(0);

				for (i = 0; i < PG && !q[i]; i++)
					;
				_exit(i == PG ? 0 : 1);
			}
			waitpid(pid, &st, 0);
			printf("other process: %s\n", st ? "sees non-zero" : "zeros");
		}
		if (!e)
			printf("head: "), hex(p, 16);
	} else {
		return 2;
	}
	return 0;
}
