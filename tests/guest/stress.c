// SPDX-License-Identifier: GPL-2.0
/*
 * stress: concurrency tests of /dev/kvmmem, inside the introspector. The
 * target's pages hold tvm's fill pattern (fill GPA LEN SEED), so every byte
 * read through a mapping can be checked.
 *
 *   stress threads TOKENFILE GPA NPAGES SEED SECONDS THREADS
 *	THREADS threads map and unmap pages among NPAGES target pages from GPA
 *	for SECONDS: mostly into pages of their own (the same target page is
 *	often mapped by several threads at once), sometimes into four pages
 *	that all threads share (so maps meet EEXIST and unmaps ENOENT). Each
 *	fresh mapping of its own is checked: the target's bytes or, once the
 *	grant is revoked, the revoked pattern. Prints
 *	"maps=N unmaps=N eexist=N enoent=N refused=N revoked=N mismatches=N
 *	other=N" (refused: EACCES or EAGAIN, after a revoke);
 *	exits 1 if a mismatch or an unexpected error was seen.
 *   stress readloop TOKENFILE GPA SEED SECONDS
 *	maps one page (retrying while the host answers EAGAIN), prints
 *	"mapped", then reads it in a tight loop for SECONDS, and prints
 *	"reads=N target=N revoked=N other=N revocations=N unsignalled=N".
 *	Each read follows the status page's protocol (the count of
 *	revocations, the read, the count again): "unsignalled" counts reads
 *	of the revoked pattern after which the count had not moved since the
 *	map, "revocations" is how far it moved.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

#define SHARED_SLOTS	4

static int dev;
static struct kvmi_map_mem_token token;
static uint64_t base, npages, seed;
static long long end_us;
static uint8_t *shared_pages;
static atomic_ulong maps, unmaps, eexist, enoent, refused, revoked, mismatches, other;
static atomic_int first_other;

/* What a word read through a mapping of target @gpa is. */
enum seen { SEEN_TARGET, SEEN_REVOKED, SEEN_OTHER };

static enum seen classify(const uint8_t *p, uint64_t gpa, unsigned int off,
			  unsigned int len)
{
	static const char pat[] = KVMMEM_REVOKED_PATTERN;
	unsigned int i, t = 1, r = 1;

	for (i = off; i < off + len; i++) {
		t &= p[i] == fill_byte(gpa + i, seed);
		r &= p[i] == (uint8_t)pat[i % 16];
	}
	return t ? SEEN_TARGET : r ? SEEN_REVOKED : SEEN_OTHER;
}

static void count_err(int e)
{
	switch (e) {
	case EEXIST: eexist++; break;
	case ENOENT: enoent++; break;
	case EACCES:
	case EAGAIN: refused++; break;
	default:
		other++;
		atomic_store(&first_other, e);
	}
}

static int map(uint64_t gpa, void *addr)
{
	struct kvmi_mem_map m = { .token = token, .gpa = gpa, .gva = (uintptr_t)addr };

	return ioctl(dev, KVM_INTRO_MEM_MAP, &m) ? errno : 0;
}

static int unmap(void *addr)
{
	return ioctl(dev, KVM_INTRO_MEM_UNMAP, (unsigned long)addr) ? errno : 0;
}

static void *thread_fn(void *arg)
{
	uint64_t r = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL | 1, gpa;
	uint8_t *own = mmap(NULL, PG, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned int off;
	uint8_t *p;
	int e;

	if (own == MAP_FAILED) {
		count_err(ENOMEM);
		return NULL;
	}
	while (now_us() < end_us) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		gpa = base + (r >> 8) % npages * PG;
		p = r % 4 ? own : shared_pages + (r >> 40) % SHARED_SLOTS * PG;
		e = map(gpa, p);
		if (e) {
			count_err(e);
		} else {
			maps++;
			off = (r >> 20) % (PG / 64) * 64;
			if (p == own) {
				switch (classify(p, gpa, off, 64)) {
				case SEEN_TARGET: break;
				case SEEN_REVOKED: revoked++; break;
				default: mismatches++;
				}
			}
		}
		/* unmap what we (or, for a shared slot, anyone) mapped */
		if (p == own && e)
			continue;
		e = unmap(p);
		if (e)
			count_err(e);
		else
			unmaps++;
	}
	return NULL;
}

static int threads(int n)
{
	pthread_t *t = calloc(n, sizeof(*t));
	int i, started = 0;

	shared_pages = mmap(NULL, SHARED_SLOTS * PG, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!t || shared_pages == MAP_FAILED)
		return 2;
	for (i = 0; i < n; i++)
		started += !pthread_create(&t[i], NULL, thread_fn, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	/* whatever a shared slot still holds */
	for (i = 0; i < SHARED_SLOTS; i++)
		unmap(shared_pages + i * PG);
	printf("maps=%lu unmaps=%lu eexist=%lu enoent=%lu refused=%lu revoked=%lu mismatches=%lu other=%lu",
	       maps, unmaps, eexist, enoent, refused, revoked, mismatches, other);
	if (other)
		printf(" (first: %s)", ename(first_other));
	printf(" threads=%d\n", started);
	return mismatches || other || started != n;
}

static int readloop(void)
{
	uint8_t *p = mmap(NULL, PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const volatile struct kvmmem_status *st = status_map(dev);
	uint64_t reads = 0, n[3] = { 0 }, unsignalled = 0, rev0;
	unsigned int off = 0;
	enum seen seen;
	int e;

	if (p == MAP_FAILED || !st)
		return 2;
	/* a well-behaved client waits out a throttle (EAGAIN) */
	while ((e = map(base, p)) == EAGAIN && now_us() < end_us)
		nap(100);
	if (e) {
		printf("map: %s\n", ename(e));
		return 1;
	}
	rev0 = st->revocations;
	printf("mapped registered=%u\n", st->registered);
	fflush(stdout);
	while (now_us() < end_us) {
		seen = classify(p, base, off, 8);
		atomic_thread_fence(memory_order_acquire);
		if (seen == SEEN_REVOKED && st->revocations == rev0)
			unsignalled++;
		n[seen]++;
		reads++;
		off = (off + 8) % PG;
	}
	printf("reads=%" PRIu64 " target=%" PRIu64 " revoked=%" PRIu64 " other=%" PRIu64
	       " revocations=%" PRIu64 " unsignalled=%" PRIu64 "\n",
	       reads, n[SEEN_TARGET], n[SEEN_REVOKED], n[SEEN_OTHER],
	       (uint64_t)(st->revocations - rev0), unsignalled);
	e = unmap(p);
	return n[SEEN_OTHER] || unsignalled || e;
}

int main(int argc, char **argv)
{
	int loop = argc == 6 && !strcmp(argv[1], "readloop");

	if (!loop && (argc != 8 || strcmp(argv[1], "threads"))) {
		fprintf(stderr, "usage: stress threads TOKENFILE GPA NPAGES SEED SECONDS THREADS\n"
				"       stress readloop TOKENFILE GPA SEED SECONDS\n");
		return 2;
	}
	dev = open("/dev/kvmmem", O_RDWR);
	if (dev < 0) {
		perror("/dev/kvmmem");
		return 2;
	}
	read_token(argv[2], &token);
	base = strtoull(argv[3], NULL, 0);
	if (loop) {
		seed = strtoull(argv[4], NULL, 0);
		end_us = now_us() + atoll(argv[5]) * 1000000LL;
		return readloop();
	}
	npages = strtoull(argv[4], NULL, 0) ?: 1;
	seed = strtoull(argv[5], NULL, 0);
	end_us = now_us() + atoll(argv[6]) * 1000000LL;
	return threads(atoi(argv[7]));
}
