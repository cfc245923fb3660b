// SPDX-License-Identifier: GPL-2.0
/*
 * alt-pong: the target's half of the ping-pong that `make bench PARTS=alt`
 * times (the delay before a change shows), run in a Linux target as root.
 *
 *   alt-pong SECONDS
 *
 * Locks one page of its own, prints "pong-gpa 0x..." (the page's
 * guest-physical address, from /proc/self/pagemap) and answers: the page
 * holds two little-endian u64s, ping at offset 0 (the introspector's) and
 * pong at offset 8 (ours). While ping is 0 it looks every 10 ms; from the
 * first ping on it spins and copies each new ping into pong, until ping is
 * ALT_PONG_QUIT or SECONDS have passed. The two VMs' clocks differ, so the
 * introspector times the round trip on its own clock.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "alt.h"

static void die(const char *what)
{
	fprintf(stderr, "alt-pong: %s: %s\n", what, strerror(errno));
	exit(1);
}

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* the page's frame from pagemap: bit 63 present, bits 0-54 the frame */
static uint64_t gpa_of(const void *p)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t e;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0 || pread(fd, &e, sizeof(e), (uintptr_t)p / pg * sizeof(e)) != sizeof(e))
		die("/proc/self/pagemap");
	close(fd);
	if (!(e >> 63) || !(e & ((1ULL << 55) - 1))) {
		errno = ENXIO;
		die("the page's frame (not root?)");
	}
	return (e & ((1ULL << 55) - 1)) * pg;
}

int main(int argc, char **argv)
{
	volatile uint64_t *w;
	time_t end;
	uint64_t i;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: alt-pong SECONDS\n");
		return 2;
	}
	end = now_s() + atoi(argv[1]);
	/* the frame must not move: no compaction of locked pages, no THP */
	fd = open("/proc/sys/vm/compact_unevictable_allowed", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "0", 1) != 1)
			fprintf(stderr, "alt-pong: compact_unevictable_allowed not set\n");
		close(fd);
	}
	w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED)
		die("mmap");
	madvise((void *)w, 4096, MADV_NOHUGEPAGE);
	if (mlock((void *)w, 4096))
		die("mlock");
	w[0] = 0;
	w[1] = 0;
	printf("pong-gpa %#" PRIx64 "\n", gpa_of((const void *)w));
	fflush(stdout);

	while (!w[0] && now_s() < end)
		usleep(10000);
	for (i = 0; w[0] != ALT_PONG_QUIT; i++) {
		if (w[1] != w[0])
			w[1] = w[0];
		else
			__builtin_ia32_pause();
		if (!(i & 0xfffff) && now_s() >= end)
			break;
	}
	return 0;
}
