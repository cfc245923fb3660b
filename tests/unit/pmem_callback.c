// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: a physical memory source of the caller's own, checked
 *
 * kvmmem_pmem_callback() is the Linux layer's backend interface: the
 * caller's function makes each read, over the RAM ranges it gives. This
 * program checks that a read reaches the function with its address and
 * length and fails with its errno, that the ranges are copied and bad ones
 * refused with EINVAL, and that a view of a Linux target can be opened on
 * such a source (an image's reads passed through the callback give the
 * same uname as the image itself). No device or module is needed. Prints TAP
 * lines; exits 1 if any failed.
 *
 *   pmem_callback [IMAGE]
 */
/* Copyright (C) 2026 The kvmmem authors */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libkvmmem.h>
#include <kvmmem_linux.h>

static int failed;
static uint64_t last_pa;
static size_t last_len;

static void check(int good, const char *what)
{
	printf("%sok - kvmmem_pmem_callback: %s\n", good ? "" : "not ", what);
	failed |= !good;
}

/* RAM is [0, 1 MiB) and [4 GiB, 4 GiB + 1 MiB); a byte is its address's low byte */
static int fake_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	size_t i;

	last_pa = pa;
	last_len = len;
	if (ctx != (void *)&failed) {
		errno = EIO;
		return -1;
	}
	for (i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)(pa + i);
	return 0;
}

/* reads of another source: an image */
static int image_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	return kvmmem_pmem_read(ctx, pa, buf, len);
}

static void view_of(const char *path)
{
	struct kvmmem_linux *lx1 = NULL, *lx2 = NULL;
	struct kvmmem_pmem *p1 = NULL, *p2;
	const struct kvmmem_ram_range *r;
	struct kvmmem_linux_uts a, b;
	int n;

	p2 = kvmmem_pmem_image(path);
	if (!p2) {
		printf("ok - kvmmem_pmem_callback: a view of a Linux image # SKIP %s: %s\n",
		       path, strerror(errno));
		return;
	}
	n = kvmmem_pmem_ranges(p2, &r);
	p1 = kvmmem_pmem_callback(image_read, p2, r, n);
	lx1 = p1 ? kvmmem_linux_open(p1, NULL) : NULL;
	lx2 = kvmmem_linux_open(p2, NULL);
	check(lx1 && lx2, "a view of a Linux image opens through the callback");
	if (lx1 && lx2)
		check(!kvmmem_linux_uname(lx1, &a) && !kvmmem_linux_uname(lx2, &b) &&
		      !strcmp(a.release, b.release) && !strcmp(a.version, b.version),
		      "... and its uname is the image source's");
	kvmmem_linux_close(lx1);
	kvmmem_linux_close(lx2);
	kvmmem_pmem_close(p1);
	kvmmem_pmem_close(p2);
}

int main(int argc, char **argv)
{
	struct kvmmem_ram_range r[2] = {
		{ 0, 1 << 20 }, { 1ULL << 32, (1ULL << 32) + (1 << 20) },
	};
	struct kvmmem_ram_range bad[2] = { { 0, 2 << 20 }, { 1 << 20, 3 << 20 } };
	const struct kvmmem_ram_range *got;
	struct kvmmem_pmem *pm;
	uint8_t buf[16];

	pm = kvmmem_pmem_callback(fake_read, &failed, r, 2);
	check(pm != NULL, "a source of two ranges");
	if (!pm)
		return 1;
	r[0].end = 5;	/* copied: this changes nothing */
	check(kvmmem_pmem_ranges(pm, &got) == 2 && got[0].end == 1 << 20 &&
	      got[1].start == 1ULL << 32, "... its ranges, copied");
	check(!strcmp(kvmmem_pmem_kind(pm), "callback"), "... its kind is \"callback\"");
	check(!kvmmem_pmem_read(pm, (1ULL << 32) + 0x1234, buf, sizeof(buf)) &&
	      last_pa == (1ULL << 32) + 0x1234 && last_len == sizeof(buf) &&
	      buf[0] == 0x34 && buf[15] == 0x43, "a read reaches the function, with its bytes");
	kvmmem_pmem_close(pm);

	pm = kvmmem_pmem_callback(fake_read, NULL, r, 1);
	errno = 0;
	check(pm && kvmmem_pmem_read(pm, 0, buf, 8) == -1 && errno == EIO,
	      "a failed read fails with the function's errno");
	kvmmem_pmem_close(pm);

	errno = 0;
	check(!kvmmem_pmem_callback(fake_read, NULL, bad, 2) && errno == EINVAL,
	      "overlapping ranges: EINVAL");
	errno = 0;
	check(!kvmmem_pmem_callback(fake_read, NULL, r, 0) && errno == EINVAL,
	      "no range: EINVAL");
	errno = 0;
	check(!kvmmem_pmem_callback(NULL, NULL, r, 1) && errno == EINVAL,
	      "no function: EINVAL");
	bad[0].end = 0;
	errno = 0;
	check(!kvmmem_pmem_callback(fake_read, NULL, bad, 1) && errno == EINVAL,
	      "an empty range: EINVAL");
	if (argc > 1)
		view_of(argv[1]);
	return failed;
}
