// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
/*
 * pmem.c: where a target's physical memory comes from.
 *
 * DOC: Theory of operation
 *
 * A source answers reads of physical addresses and lists the RAM ranges.
 * Three kinds exist:
 *  - live: a kvmmem handle; ranges come from the host, reads go through
 *    kvmmem_read(), whose pool of window slots keeps the pages it mapped
 *    (a walk maps each page once while they fit: open the handle with a
 *    pool as large as the walk) and never returns bytes of a revoked
 *    mapping;
 *  - image: a file mapped read-only, in one of three formats, told apart by
 *    their first bytes: an ELF core (one range per PT_LOAD with file
 *    bytes), LiME (its range headers) or raw (the file is RAM from 0);
 *  - buffer: the same formats in the caller's memory (the fuzzer uses it);
 *  - callback: the caller's function reads, over the ranges it gives (an
 *    acquisition of its own; `make bench` measures other ways to read a
 *    target through it).
 * An image file is untrusted like the target: every header is checked
 * against the size of what holds it before a byte is read through it.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lx.h"

#define LIME_MAGIC	0x4c694d45u
#define IMG_RANGES_MAX	4096	/* ranges an image may have */

struct live {
	struct kvmmem_pmem pm;
	struct kvmmem *km;
};

struct callback {
	struct kvmmem_pmem pm;
	int (*read)(void *ctx, uint64_t pa, void *buf, size_t len);
	void *ctx;
};

/* An image: ranges of RAM, each with where its bytes are in the data. */
struct image {
	struct kvmmem_pmem pm;
	const uint8_t *data;
	size_t len;
	size_t mapped;		/* bytes to munmap(), 0: the caller's buffer */
	uint64_t *off;		/* data offset of each range's first byte */
};

static int live_read(struct kvmmem_pmem *pm, uint64_t pa, void *buf, size_t len)
{
	return kvmmem_read(((struct live *)pm)->km, pa, buf, len);
}

static void live_close(struct kvmmem_pmem *pm)
{
	free(pm->r);
	free(pm);
}

static int callback_read(struct kvmmem_pmem *pm, uint64_t pa, void *buf,
			 size_t len)
{
	struct callback *c = (struct callback *)pm;

	return c->read(c->ctx, pa, buf, len);
}

/**
 * kvmmem_pmem_callback() - a source whose reads the caller makes
 * @read: reads @len bytes at physical address @pa into @buf; returns 0, or
 *	  -1 with errno set (ENXIO where there is no RAM)
 * @ctx: passed to @read
 * @r: the RAM ranges, sorted and not overlapping (copied)
 * @nr: how many, at most KVMMEM_RAM_RANGES_MAX
 *
 * Return: the source, or NULL with errno set (EINVAL: bad ranges).
 */
struct kvmmem_pmem *kvmmem_pmem_callback(int (*read)(void *ctx, uint64_t pa,
						     void *buf, size_t len),
					 void *ctx,
					 const struct kvmmem_ram_range *r,
					 size_t nr)
{
	struct callback *c;
	size_t i;

	for (i = 0; i < nr; i++)
		if (r[i].end <= r[i].start || (i && r[i].start < r[i - 1].end))
			break;
	if (!read || !nr || nr > KVMMEM_RAM_RANGES_MAX || i < nr) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->pm.r = malloc(nr * sizeof(*r));
	if (!c->pm.r) {
		free(c);
		return NULL;
	}
	memcpy(c->pm.r, r, nr * sizeof(*r));
	c->pm.nr = nr;
	c->pm.read = callback_read;
	c->pm.close = live_close;
	c->pm.kind = "callback";
	c->read = read;
	c->ctx = ctx;
	return &c->pm;
}

/**
 * kvmmem_pmem_live() - a live target's memory, through a handle
 * @km: the handle (still the caller's: close it after the source)
 *
 * Return: the source, or NULL with errno set.
 */
struct kvmmem_pmem *kvmmem_pmem_live(struct kvmmem *km)
{
	struct live *l = calloc(1, sizeof(*l));
	int n;

	if (!l)
		return NULL;
	l->pm.r = calloc(KVMMEM_RAM_RANGES_MAX, sizeof(*l->pm.r));
	if (!l->pm.r)
		goto err_free;
	n = kvmmem_ranges(km, l->pm.r, KVMMEM_RAM_RANGES_MAX);
	if (n < 0)
		goto err_free_ranges;
	l->pm.nr = n < KVMMEM_RAM_RANGES_MAX ? n : KVMMEM_RAM_RANGES_MAX;
	l->km = km;
	l->pm.read = live_read;
	l->pm.close = live_close;
	l->pm.kind = "live";
	return &l->pm;

err_free_ranges:
	n = errno;
	free(l->pm.r);
	errno = n;
err_free:
	free(l);
	return NULL;
}

/* Binary search of the range that holds @pa; -1 if none. */
static long range_of(const struct kvmmem_pmem *pm, uint64_t pa)
{
	size_t lo = 0, hi = pm->nr, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (pa < pm->r[mid].start)
			hi = mid;
		else if (pa >= pm->r[mid].end)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

static int image_read(struct kvmmem_pmem *pm, uint64_t pa, void *buf, size_t len)
{
	struct image *im = (struct image *)pm;
	uint8_t *out = buf;
	uint64_t n;
	long i;

	while (len) {
		i = range_of(pm, pa);
		if (i < 0) {
			errno = ENXIO;
			return -1;
		}
		n = pm->r[i].end - pa;
		if (n > len)
			n = len;
		memcpy(out, im->data + im->off[i] + (pa - pm->r[i].start), n);
		out += n;
		pa += n;
		len -= n;
	}
	return 0;
}

static void image_close(struct kvmmem_pmem *pm)
{
	struct image *im = (struct image *)pm;

	if (im->mapped)
		munmap((void *)im->data, im->mapped);
	free(im->off);
	free(pm->r);
	free(im);
}

/* Add RAM [start, start + len) at data offset @off; checked by the caller. */
static int image_add(struct image *im, uint64_t start, uint64_t len,
		     uint64_t off)
{
	size_t n = im->pm.nr;

	if (!len)
		return 0;
	if (n == IMG_RANGES_MAX)
		return -1;
	im->pm.r[n].start = start;
	im->pm.r[n].end = start + len;
	im->off[n] = off;
	im->pm.nr++;
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct kvmmem_ram_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort the ranges (with their offsets) and refuse overlaps. */
static int image_sort(struct image *im)
{
	struct { struct kvmmem_ram_range r; uint64_t off; } *t;
	size_t i;

	t = calloc(im->pm.nr ? im->pm.nr : 1, sizeof(*t));
	if (!t)
		return -1;
	for (i = 0; i < im->pm.nr; i++) {
		t[i].r = im->pm.r[i];
		t[i].off = im->off[i];
	}
	qsort(t, im->pm.nr, sizeof(*t), by_start);
	for (i = 0; i < im->pm.nr; i++) {
		im->pm.r[i] = t[i].r;
		im->off[i] = t[i].off;
		if (i && t[i].r.start < t[i - 1].r.end) {
			free(t);
			return -1;
		}
	}
	free(t);
	return 0;
}

static int parse_elf(struct image *im)
{
	const Elf64_Ehdr *eh = (const void *)im->data;
	const Elf64_Phdr *ph;
	uint64_t end;
	unsigned int i;

	if (im->len < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phentsize != sizeof(*ph) || eh->e_phoff > im->len ||
	    (uint64_t)eh->e_phnum * sizeof(*ph) > im->len - eh->e_phoff)
		return -1;
	ph = (const void *)(im->data + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_filesz)
			continue;
		if (ph[i].p_offset > im->len ||
		    ph[i].p_filesz > im->len - ph[i].p_offset ||
		    __builtin_add_overflow(ph[i].p_paddr, ph[i].p_filesz, &end))
			return -1;
		/* the kernel image's extra PT_LOAD repeats RAM: skip overlaps */
		if (range_of(&im->pm, ph[i].p_paddr) >= 0)
			continue;
		if (image_add(im, ph[i].p_paddr, ph[i].p_filesz, ph[i].p_offset))
			return -1;
		if (image_sort(im))
			return -1;
	}
	return 0;
}

static int parse_lime(struct image *im)
{
	struct {
		uint32_t magic, version;
		uint64_t s, e;
		uint8_t reserved[8];
	} h;
	uint64_t at = 0, n;

	while (at < im->len) {
		if (im->len - at < sizeof(h))
			return -1;
		memcpy(&h, im->data + at, sizeof(h));
		at += sizeof(h);
		if (h.magic != LIME_MAGIC || h.version != 1 || h.e < h.s ||
		    h.e == UINT64_MAX)
			return -1;
		n = h.e - h.s + 1;
		if (n > im->len - at || image_add(im, h.s, n, at))
			return -1;
		at += n;
	}
	return image_sort(im);
}

static struct kvmmem_pmem *image_new(const void *data, size_t len,
				     size_t mapped)
{
	struct image *im = calloc(1, sizeof(*im));
	uint32_t magic = 0;
	int ret;

	if (!im)
		return NULL;
	im->data = data;
	im->len = len;
	im->mapped = mapped;
	im->pm.r = calloc(IMG_RANGES_MAX, sizeof(*im->pm.r));
	im->off = calloc(IMG_RANGES_MAX, sizeof(*im->off));
	if (!im->pm.r || !im->off)
		goto err_free;
	if (len >= 4)
		memcpy(&magic, data, 4);
	if (len >= 4 && !memcmp(data, ELFMAG, SELFMAG)) {
		im->pm.kind = "elf";
		ret = parse_elf(im);
	} else if (magic == LIME_MAGIC) {
		im->pm.kind = "lime";
		ret = parse_lime(im);
	} else {
		im->pm.kind = "raw";
		ret = image_add(im, 0, len & ~(LX_PAGE - 1), 0);
	}
	if (ret) {
		errno = EINVAL;
		goto err_free;
	}
	im->pm.read = image_read;
	im->pm.close = image_close;
	return &im->pm;

err_free:
	ret = errno;
	free(im->pm.r);
	free(im->off);
	free(im);
	errno = ret;
	return NULL;
}

/**
 * kvmmem_pmem_buffer() - an image in memory
 * @data: its bytes (raw, LiME or ELF core), kept by the caller while the
 *	  source lives
 * @len: its size
 *
 * Return: the source, or NULL with errno set (EINVAL: a malformed header).
 */
struct kvmmem_pmem *kvmmem_pmem_buffer(const void *data, size_t len)
{
	return image_new(data, len, 0);
}

/**
 * kvmmem_pmem_image() - an image file
 * @path: a raw image (RAM from physical address 0), a LiME file or an
 *	  ELF core (kvmmem's vmcore, QEMU's dump-guest-memory, /proc/vmcore)
 *
 * Return: the source, or NULL with errno set (EINVAL: a malformed header).
 */
struct kvmmem_pmem *kvmmem_pmem_image(const char *path)
{
	struct kvmmem_pmem *pm;
	struct stat st;
	void *p;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !st.st_size) {
		e = st.st_size ? errno : EINVAL;
		close(fd);
		errno = e;
		return NULL;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	e = errno;
	close(fd);
	if (p == MAP_FAILED) {
		errno = e;
		return NULL;
	}
	pm = image_new(p, st.st_size, st.st_size);
	if (!pm) {
		e = errno;
		munmap(p, st.st_size);
		errno = e;
	}
	return pm;
}

/**
 * kvmmem_pmem_read() - read physical memory
 * @pm: the source
 * @pa: physical address
 * @buf: destination
 * @len: bytes
 *
 * Return: 0, or -1 with errno set (ENXIO: not RAM).
 */
int kvmmem_pmem_read(struct kvmmem_pmem *pm, uint64_t pa, void *buf,
		     size_t len)
{
	return pm->read(pm, pa, buf, len);
}

/**
 * kvmmem_pmem_ranges() - the source's RAM ranges
 * @pm: the source
 * @r: out: the ranges, sorted, owned by the source
 *
 * Return: how many.
 */
int kvmmem_pmem_ranges(struct kvmmem_pmem *pm,
		       const struct kvmmem_ram_range **r)
{
	*r = pm->r;
	return pm->nr;
}

/**
 * kvmmem_pmem_kind() - "live", "raw", "lime", "elf" or "callback"
 * @pm: the source
 *
 * Return: a static string.
 */
const char *kvmmem_pmem_kind(struct kvmmem_pmem *pm)
{
	return pm->kind;
}

/**
 * kvmmem_pmem_close() - free a source
 * @pm: the source (NULL is allowed)
 */
void kvmmem_pmem_close(struct kvmmem_pmem *pm)
{
	if (pm)
		pm->close(pm);
}
