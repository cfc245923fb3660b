/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * libkvmmem: read a target VM's memory from inside an introspector VM.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#ifndef LIBKVMMEM_H
#define LIBKVMMEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A handle owns an open /dev/kvmmem, the token it was given and a pool of
 * mapped target pages. Calls on one handle are serialised by a lock of its
 * own, so a handle may be shared by threads; calls on different handles
 * run in parallel. Every call that can fail returns -1 (or NULL) and sets
 * errno; kvmmem_strerror() turns that errno into a message that names the
 * likely cause. A handle must not be used after fork() in the child.
 */
struct kvmmem;

/*
 * A token's text: its 32 bytes in memory order (the bytes of struct
 * kvmi_map_mem_token, byte 0 first), two hex digits a byte. The bytes
 * 00 01 ... 1f are 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f,
 * token[0] == 0x0706050403020100 on a little-endian machine.
 */
#define KVMMEM_TOKEN_HEX	64	/* hex digits in a token */
#define KVMMEM_POOL_DEFAULT	1024	/* pages kept mapped by default */

struct kvmmem *kvmmem_open(const char *token_hex, unsigned int pool_pages);
void kvmmem_close(struct kvmmem *km);

int kvmmem_read(struct kvmmem *km, uint64_t gpa, void *buf, size_t len);
int kvmmem_write(struct kvmmem *km, uint64_t gpa, const void *buf, size_t len);

void *kvmmem_map(struct kvmmem *km, uint64_t gpa);
int kvmmem_unmap(struct kvmmem *km, void *addr);
int kvmmem_map_batch(struct kvmmem *km, const uint64_t *gpas, void **addrs,
		     size_t n, size_t *done);
int kvmmem_unmap_batch(struct kvmmem *km, void *const *addrs, size_t n,
		       size_t *done);

void *kvmmem_window(struct kvmmem *km, size_t pages);
int kvmmem_window_map(struct kvmmem *km, size_t slot, const uint64_t *gpas,
		      size_t n, size_t *done);
int kvmmem_window_unmap(struct kvmmem *km, size_t slot, size_t n, size_t *done);

/* A range of the target's guest-physical RAM, [start, end). */
#define KVMMEM_RAM_RANGES_MAX	253	/* most that kvmmem_ranges() returns */
struct kvmmem_ram_range {
	uint64_t start;
	uint64_t end;
};

int kvmmem_ranges(struct kvmmem *km, struct kvmmem_ram_range *r, size_t n);

uint64_t kvmmem_revocations(struct kvmmem *km);
int kvmmem_token_parse(const char *hex, uint64_t token[4]);
void kvmmem_token_format(const uint64_t token[4],
			 char hex[KVMMEM_TOKEN_HEX + 1]);
const char *kvmmem_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* LIBKVMMEM_H */
