/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the programs that run inside the introspector.
 * Copyright (C) 2026 The kvmmem authors
 */
#ifndef KVMMEM_TESTS_GUEST_COMMON_H
#define KVMMEM_TESTS_GUEST_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <linux/kvmmem.h>
#include <libkvmmem.h>

#define PG 4096

static inline const char *ename(int e)
{
	static char buf[16];

	switch (e) {
	case 0: return "OK";
	case EACCES: return "EACCES";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case ENXIO: return "ENXIO";
	case ERANGE: return "ERANGE";
	case ELOOP: return "ELOOP";
	case EEXIST: return "EEXIST";
	case ENOENT: return "ENOENT";
	case EDQUOT: return "EDQUOT";
	case EBUSY: return "EBUSY";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	case EIO: return "EIO";
	case EINTR: return "EINTR";
	case EAGAIN: return "EAGAIN";
	case ESHUTDOWN: return "ESHUTDOWN";
	case EXDEV: return "EXDEV";
	}
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/*
 * The token in the first line of @file, as kvmmem-host wrote it (its bytes
 * in memory order), parsed by libkvmmem, which each program links.
 */
static inline void read_token(const char *file, struct kvmi_map_mem_token *t)
{
	char hex[80] = "";
	FILE *f = fopen(file, "r");

	if (!f || !fgets(hex, sizeof(hex), f)) {
		perror(file);
		exit(2);
	}
	fclose(f);
	/* the library reads and writes the token as bytes only */
	if (kvmmem_token_parse(hex, (uint64_t *)t->token)) {
		fprintf(stderr, "%s: not a token (%d hex digits)\n", file,
			KVMMEM_TOKEN_HEX);
		exit(2);
	}
}

static inline void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static inline uint64_t fnv(const uint8_t *p, uint64_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* FNV-1a over 64-bit words: eight times fewer steps for large ranges. */
static inline uint64_t wsum(const volatile uint64_t *p, uint64_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (len /= 8; len--; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return h;
}

static inline long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* The byte that tvm's "fill GPA LEN SEED" puts at @gpa. */
static inline uint8_t fill_byte(uint64_t gpa, uint64_t seed)
{
	return (uint8_t)(gpa * 131 + seed + (gpa >> 12));
}

/* The status page of /dev/kvmmem (open as @dev), read-only; NULL on error. */
static inline const volatile struct kvmmem_status *status_map(int dev)
{
	void *p = mmap(NULL, PG, PROT_READ, MAP_SHARED, dev, KVMMEM_STATUS_OFFSET);

	return p == MAP_FAILED ? NULL : p;
}

#endif
