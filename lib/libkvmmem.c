// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
/*
 * libkvmmem: read a target VM's memory from inside an introspector VM.
 *
 * DOC: Theory of operation
 *
 * The pool: a handle reserves pool_pages consecutive pages of its address
 * space ("slots"). Target page number p lives, while mapped, in slot
 * p % pool_pages, so a lookup is one comparison and a read of up to
 * pool_pages consecutive pages never evicts its own pages. Misses are
 * mapped with one KVM_INTRO_MEM_MAP_BATCH call per read, after one
 * KVM_INTRO_MEM_UNMAP_BATCH for the pages they evict.
 *
 * Reads use a pool whose slots are a window (see below) of a second open
 * file of /dev/kvmmem, made at the first read: a window batch costs a few
 * hundredths of a hypercall a page, a page batch several hypercalls. The
 * handle's own window stays the caller's. Writes, and reads on a host
 * without windows, use a pool of anonymous pages that page batches fill,
 * whose protection tells a read-only grant (a write to a read-only window
 * slot would raise SIGBUS instead).
 *
 * Revocation: the guest module's status page counts the VM's revocations
 * (see "Status page" in <linux/kvmmem.h>). The pool remembers the count it
 * was filled under. A read checks the count before and after copying; if
 * it moved, the whole pool is unmapped and the read done again, so bytes of
 * a revoked mapping are never returned. Without a status page (an older
 * host) the pool is not used: every read maps, copies and unmaps.
 *
 * The window (kvmmem_window()): the handle's /dev/kvmmem mapped at
 * KVMMEM_WINDOW_OFFSET, whose pages are slots that the batch calls fill
 * with target pages and empty again, with no new mapping per page on either
 * side (see "Window ABI" in <linux/kvmmem.h>). The caller owns its slots;
 * the pool does not use them.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvmmem.h>

#include "libkvmmem.h"

#define PG		4096UL
#define RETRIES		8	/* reads redone after revocations, at most */

/* A pool of slots (see above). */
struct pool {
	int fd;			/* the open file its batches go to */
	uint8_t *slots;
	uint64_t *slot_pfn;	/* target page + 1 in each slot; 0: empty */
	unsigned int nslots;
	uint64_t gen;		/* revocations when the pool was filled */
	struct kvmmem_batch_entry *ent;	/* scratch, nslots entries */
};

#define REFUSED_MAX	32
#define REFUSED_BLOCK	(2ULL << 20)	/* hugetlb pages are this or larger */

struct kvmmem {
	int fd;
	pthread_mutex_t lock;
	struct kvmi_map_mem_token token;
	const volatile struct kvmmem_status *status;	/* NULL: none */
	struct pool anon;	/* anonymous slots: writes, and reads without rd */
	struct pool rd;		/* window slots for reads; rd.slots NULL: none */
	bool rd_tried;		/* the read window was tried */
	uint8_t *win;		/* the window, or NULL */
	size_t win_pages;
	/*
	 * Target RAM that the host refused as hugetlb (EMEDIUMTYPE), in
	 * merged 2 MiB blocks: a read there fails at once, not with one
	 * hypercall a page (a scan of a hugetlbfs target's RAM would take
	 * hours). Forgotten when the revocation count moves: a memslot
	 * change revokes.
	 */
	uint64_t refused[REFUSED_MAX][2];
	unsigned int nrefused;
	uint64_t refused_gen;
};

/* White space that may surround a token's digits (a file's line end). */
static bool token_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The value of hex digit @c, either case, or -1. */
static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/**
 * kvmmem_token_parse() - a token from its text
 * @hex: 64 hex digits, upper or lower case: the token's 32 bytes in memory
 *	 order, byte 0 first, two digits a byte; white space around them is
 *	 allowed
 * @token: out: the token as &struct kvmi_map_mem_token holds it (only its
 *	   bytes are written; nothing is written on failure)
 *
 * The text does not depend on the machine's byte order: the digits
 * 000102...1f are the bytes 00 01 ... 1f, which is token[0] ==
 * 0x0706050403020100 on a little-endian machine. kvmmem_token_format()
 * writes the same text back.
 *
 * Return: 0, or -1 with errno EINVAL.
 */
int kvmmem_token_parse(const char *hex, uint64_t token[4])
{
	uint8_t b[KVMMEM_TOKEN_HEX / 2] = { 0 };
	unsigned int i;
	int d;

	while (token_space(*hex))
		hex++;
	for (i = 0; i < KVMMEM_TOKEN_HEX; i++) {
		d = hex_digit(hex[i]);
		if (d < 0)
			goto bad;
		b[i / 2] = b[i / 2] << 4 | d;
	}
	for (hex += i; *hex; hex++)
		if (!token_space(*hex))
			goto bad;
	memcpy(token, b, sizeof(b));
	explicit_bzero(b, sizeof(b));
	return 0;
bad:
	explicit_bzero(b, sizeof(b));
	errno = EINVAL;
	return -1;
}

/**
 * kvmmem_token_format() - a token's text
 * @token: the token as &struct kvmi_map_mem_token holds it (only its bytes
 *	   are read)
 * @hex: out: its 32 bytes in memory order, byte 0 first, as 64 lower-case
 *	 hex digits, and a NUL
 *
 * The text that kvmmem_token_parse() reads, and that kvmmem-host writes.
 */
void kvmmem_token_format(const uint64_t token[4],
			 char hex[KVMMEM_TOKEN_HEX + 1])
{
	static const char digit[] = "0123456789abcdef";
	const uint8_t *b = (const uint8_t *)token;
	unsigned int i;

	for (i = 0; i < KVMMEM_TOKEN_HEX / 2; i++) {
		hex[2 * i] = digit[b[i] >> 4];
		hex[2 * i + 1] = digit[b[i] & 15];
	}
	hex[KVMMEM_TOKEN_HEX] = 0;
}

/**
 * kvmmem_strerror() - what an errno from this library most likely means
 * @err: the errno
 *
 * Return: a static string.
 */
const char *kvmmem_strerror(int err)
{
	switch (err) {
	case ENOENT:	return "no /dev/kvmmem: is the kvmmem_guest module loaded?";
	case ENODEV:	return "/dev/kvmmem is not the kvmmem device";
	case EOPNOTSUPP: return "the host grants this VM nothing (no grant, or kvmmem_host is not loaded)";
	case EACCES:	return "wrong, revoked or expired token";
	case EAGAIN:	return "too many wrong tokens: the host refuses for a while";
	case ERANGE:	return "address outside the granted range";
	case ENXIO:	return "not RAM of the target (a hole or device memory)";
	case EDQUOT:	return "the grant's page quota is used up";
	case EMEDIUMTYPE: return "the target's RAM there is hugetlbfs, which kvmmem cannot map";
	case EPERM:	return "the grant is read-only";
	case EINVAL:	return "invalid argument";
	case EIO:	return "the host failed to unmap a page";
	case ESTALE:	return "mappings kept being revoked during the read";
	default:	return strerror(err);
	}
}

/* Does the host keep the status page current? */
static bool tracked(const struct kvmmem *km)
{
	return km->status && km->status->registered;
}

static uint64_t revocations(const struct kvmmem *km)
{
	uint64_t n = km->status ? km->status->revocations : 0;

	atomic_thread_fence(memory_order_acquire);
	return n;
}

/**
 * kvmmem_revocations() - the VM's revocation count (see <linux/kvmmem.h>)
 * @km: the handle
 *
 * Return: the count, or 0 without a status page.
 */
uint64_t kvmmem_revocations(struct kvmmem *km)
{
	return revocations(km);
}

/**
 * kvmmem_open() - open /dev/kvmmem with a token
 * @token_hex: the token, 64 hex digits
 * @pool_pages: pages to keep mapped (0: KVMMEM_POOL_DEFAULT; at most
 *		KVMMEM_BATCH_MAX)
 *
 * Return: a handle, or NULL with errno set (ENOENT: no device).
 */
struct kvmmem *kvmmem_open(const char *token_hex, unsigned int pool_pages)
{
	struct kvmmem *km = calloc(1, sizeof(*km));
	uint64_t tok[4];
	void *st;
	int e;

	if (!km)
		return NULL;

	if (kvmmem_token_parse(token_hex, tok))
		goto err_free;
	memcpy(km->token.token, tok, sizeof(tok));
	memset(tok, 0, sizeof(tok));
	km->anon.nslots = pool_pages ? pool_pages : KVMMEM_POOL_DEFAULT;
	if (km->anon.nslots > KVMMEM_BATCH_MAX)
		km->anon.nslots = KVMMEM_BATCH_MAX;
	km->fd = open("/dev/kvmmem", O_RDWR | O_CLOEXEC);
	if (km->fd < 0)
		goto err_free;
	km->anon.fd = km->fd;
	st = mmap(NULL, PG, PROT_READ, MAP_SHARED, km->fd, KVMMEM_STATUS_OFFSET);
	km->status = st == MAP_FAILED ? NULL : st;
	km->anon.slots = mmap(NULL, km->anon.nslots * PG, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	km->anon.slot_pfn = calloc(km->anon.nslots, sizeof(*km->anon.slot_pfn));
	km->anon.ent = calloc(km->anon.nslots, sizeof(*km->anon.ent));
	if (km->anon.slots == MAP_FAILED || !km->anon.slot_pfn || !km->anon.ent)
		goto err_close;
	pthread_mutex_init(&km->lock, NULL);
	return km;

err_close:
	e = errno;
	if (km->anon.slots != MAP_FAILED)
		munmap(km->anon.slots, km->anon.nslots * PG);
	free(km->anon.slot_pfn);
	free(km->anon.ent);
	close(km->fd);
	errno = e;
err_free:
	e = errno;
	memset(&km->token, 0, sizeof(km->token));
	free(km);
	errno = e;
	return NULL;
}

/*
 * Issue @cmd (a map or unmap batch) over @ent[0..@n), at most
 * KVMMEM_BATCH_MAX entries an ioctl; stops at the first error. *@done:
 * entries done, from the first. The one place that talks batches.
 */
static int ioctl_batches_fd(struct kvmmem *km, int fd, unsigned long cmd,
			    struct kvmmem_batch_entry *ent, size_t n, size_t *done)
{
	struct kvmmem_batch b = { 0 };
	int ret = 0, e = 0;

	if (cmd == KVM_INTRO_MEM_MAP_BATCH)
		b.token = km->token;
	*done = 0;
	while (*done < n) {
		b.entries = (uintptr_t)(ent + *done);
		b.count = n - *done < KVMMEM_BATCH_MAX ? n - *done : KVMMEM_BATCH_MAX;
		b.done = 0;
		ret = ioctl(fd, cmd, &b);
		e = errno;
		*done += b.done;
		if (ret)
			break;
	}
	memset(&b.token, 0, sizeof(b.token));
	errno = e;
	return ret ? -1 : 0;
}

/* Batches on the handle's own file. */
static int ioctl_batches(struct kvmmem *km, unsigned long cmd,
			 struct kvmmem_batch_entry *ent, size_t n, size_t *done)
{
	return ioctl_batches_fd(km, km->fd, cmd, ent, n, done);
}

/* Did the host refuse the 2 MiB block of @gpa as hugetlb? Lock held. */
static bool refused_at(struct kvmmem *km, uint64_t gpa)
{
	uint64_t rev = revocations(km);
	unsigned int i;

	if (rev != km->refused_gen) {
		km->nrefused = 0;
		km->refused_gen = rev;
	}
	for (i = 0; i < km->nrefused; i++)
		if (gpa >= km->refused[i][0] && gpa < km->refused[i][1])
			return true;
	return false;
}

/* The host refused @gpa as hugetlb: remember its 2 MiB block. Lock held. */
static void refuse(struct kvmmem *km, uint64_t gpa)
{
	uint64_t lo = gpa & ~(REFUSED_BLOCK - 1), hi = lo + REFUSED_BLOCK;
	unsigned int i;

	for (i = 0; i < km->nrefused; i++) {
		if (km->refused[i][1] == lo) {
			km->refused[i][1] = hi;
			return;
		}
		if (km->refused[i][0] == hi) {
			km->refused[i][0] = lo;
			return;
		}
	}
	if (km->nrefused < REFUSED_MAX) {
		km->refused[km->nrefused][0] = lo;
		km->refused[km->nrefused++][1] = hi;
	}
}

/* Unmap every slot of @pl. Lock held. */
static int flush(struct kvmmem *km, struct pool *pl)
{
	uint32_t i, n = 0;
	size_t done;

	for (i = 0; i < pl->nslots && pl->slots; i++) {
		if (!pl->slot_pfn[i])
			continue;
		pl->ent[n++].gva = (uintptr_t)(pl->slots + i * PG);
		pl->slot_pfn[i] = 0;
	}
	return n ? ioctl_batches_fd(km, pl->fd, KVM_INTRO_MEM_UNMAP_BATCH,
				    pl->ent, n, &done) : 0;
}

/* Map target pages [pfn, pfn + n) into their slots of @pl (n <= nslots). */
static int fill(struct kvmmem *km, struct pool *pl, uint64_t pfn, uint32_t n)
{
	uint32_t i, k = 0, miss = 0;
	size_t done;
	uint64_t p;

	for (i = 0; i < n; i++) {
		p = (pfn + i) % pl->nslots;
		if (pl->slot_pfn[p] && pl->slot_pfn[p] != pfn + i + 1) {
			pl->ent[k++].gva = (uintptr_t)(pl->slots + p * PG);
			pl->slot_pfn[p] = 0;
		}
	}
	if (k && ioctl_batches_fd(km, pl->fd, KVM_INTRO_MEM_UNMAP_BATCH, pl->ent, k,
				  &done))
		return -1;
	for (i = 0; i < n; i++) {
		p = (pfn + i) % pl->nslots;
		if (pl->slot_pfn[p])
			continue;
		pl->ent[miss].gpa = (pfn + i) * PG;
		pl->ent[miss++].gva = (uintptr_t)(pl->slots + p * PG);
	}
	if (!miss)
		return 0;
	i = ioctl_batches_fd(km, pl->fd, KVM_INTRO_MEM_MAP_BATCH, pl->ent, miss,
			     &done);
	for (k = 0; k < done; k++)
		pl->slot_pfn[(pl->ent[k].gpa / PG) % pl->nslots] = pl->ent[k].gpa / PG + 1;
	if (i && errno == EMEDIUMTYPE && done < miss)
		refuse(km, pl->ent[done].gpa);
	return i ? -1 : 0;
}

/*
 * The read pool: window slots on a file of its own, as many as the
 * anonymous pool has, in whole chunks. Lock held. Without it (no window
 * on this host, or no memory), reads use the anonymous pool.
 */
static void rd_setup(struct kvmmem *km)
{
	struct pool *pl = &km->rd;
	unsigned int n;
	void *w;

	km->rd_tried = true;
	n = (km->anon.nslots + KVMMEM_WINDOW_CHUNK_PAGES - 1) /
	    KVMMEM_WINDOW_CHUNK_PAGES * KVMMEM_WINDOW_CHUNK_PAGES;
	pl->fd = open("/dev/kvmmem", O_RDWR | O_CLOEXEC);
	if (pl->fd < 0)
		return;
	pl->slot_pfn = calloc(n, sizeof(*pl->slot_pfn));
	pl->ent = calloc(n, sizeof(*pl->ent));
	w = mmap(NULL, n * PG, PROT_READ | PROT_WRITE, MAP_SHARED, pl->fd,
		 KVMMEM_WINDOW_OFFSET);
	if (w == MAP_FAILED || !pl->slot_pfn || !pl->ent) {
		if (w != MAP_FAILED)
			munmap(w, n * PG);
		free(pl->slot_pfn);
		free(pl->ent);
		close(pl->fd);
		memset(pl, 0, sizeof(*pl));
		return;
	}
	pl->slots = w;
	pl->nslots = n;
	pl->gen = km->anon.gen;
}

/* Tear the read pool down. Lock held, or the handle closing. */
static void rd_close(struct kvmmem *km)
{
	if (!km->rd.slots)
		return;
	flush(km, &km->rd);
	munmap(km->rd.slots, km->rd.nslots * PG);
	close(km->rd.fd);
	free(km->rd.slot_pfn);
	free(km->rd.ent);
	memset(&km->rd, 0, sizeof(km->rd));
}

/* Copy between @buf and target memory at @gpa, through a pool. */
static int xfer(struct kvmmem *km, uint64_t gpa, uint8_t *buf, size_t len,
		bool to_target)
{
	uint64_t pfn, end = gpa + len, at, rev;
	size_t off, n, tries = 0;
	struct pool *pl;
	uint8_t *slot;
	uint32_t pages;

	if (end < gpa) {
		errno = EINVAL;
		return -1;
	}
	if (!to_target && !km->rd_tried && tracked(km))
		rd_setup(km);
	pl = !to_target && km->rd.slots ? &km->rd : &km->anon;
	while (gpa < end) {
		pfn = gpa / PG;
		pages = (end - pfn * PG + PG - 1) / PG;
		if (pages > pl->nslots)
			pages = pl->nslots;
		rev = revocations(km);
		if (rev != pl->gen) {
			if (flush(km, pl))
				return -1;
			pl->gen = rev;
		}
		if (refused_at(km, pfn * PG)) {
			errno = EMEDIUMTYPE;
			return -1;
		}
		if (fill(km, pl, pfn, pages))
			return -1;
		for (at = gpa; at < end && at < (pfn + pages) * PG; at += n) {
			off = at % PG;
			n = PG - off < end - at ? PG - off : end - at;
			slot = pl->slots + ((at / PG) % pl->nslots) * PG + off;
			if (to_target &&
			    mprotect(slot - off, PG, PROT_READ | PROT_WRITE)) {
				errno = EPERM;
				return -1;
			}
			if (to_target)
				memcpy(slot, buf + (at - gpa), n);
			else
				memcpy(buf + (at - gpa), slot, n);
		}
		if (revocations(km) != pl->gen || !tracked(km)) {
			/* some mapping was revoked meanwhile, or no way to know */
			rev = revocations(km);
			if (flush(km, pl))
				return -1;
			if (tracked(km) && rev != pl->gen) {
				pl->gen = rev;
				if (++tries < RETRIES)
					continue;
				errno = ESTALE;
				return -1;
			}
		}
		buf += at - gpa;
		gpa = at;
	}
	return 0;
}

/**
 * kvmmem_read() - copy target memory into a buffer
 * @km: the handle
 * @gpa: target guest-physical address (any alignment)
 * @buf: destination
 * @len: bytes
 *
 * Return: 0, or -1 with errno set (ENXIO: part of the range is not RAM;
 * EMEDIUMTYPE: part of it is hugetlb, which the host cannot map, and then
 * every read in the same 2 MiB fails at once; ESTALE: mappings were
 * revoked again and again during the read).
 */
int kvmmem_read(struct kvmmem *km, uint64_t gpa, void *buf, size_t len)
{
	int ret;

	pthread_mutex_lock(&km->lock);
	ret = xfer(km, gpa, buf, len, false);
	pthread_mutex_unlock(&km->lock);
	return ret;
}

/**
 * kvmmem_write() - copy a buffer into target memory (read-write grants)
 * @km: the handle
 * @gpa: target guest-physical address
 * @buf: source
 * @len: bytes
 *
 * Return: 0, or -1 with errno set (EPERM: the grant is read-only).
 */
int kvmmem_write(struct kvmmem *km, uint64_t gpa, const void *buf, size_t len)
{
	int ret;

	pthread_mutex_lock(&km->lock);
	ret = xfer(km, gpa, (uint8_t *)buf, len, true);
	pthread_mutex_unlock(&km->lock);
	return ret;
}

/**
 * kvmmem_map_batch() - map target pages at new addresses of the caller's
 * @km: the handle
 * @gpas: page-aligned target addresses
 * @addrs: out: where each is mapped
 * @n: how many
 * @done: out: how many were mapped, from the first
 *
 * The mappings are the caller's: they are not in the pool and are not
 * checked for revocation (see kvmmem_revocations()).
 *
 * Return: 0, or -1 with errno set for entry *@done.
 */
int kvmmem_map_batch(struct kvmmem *km, const uint64_t *gpas, void **addrs,
		     size_t n, size_t *done)
{
	struct kvmmem_batch_entry *ent;
	uint8_t *area;
	int ret, e;
	size_t i;

	*done = 0;
	if (!n)		/* mmap() of 0 bytes fails: nothing to map is not ENOMEM */
		return 0;
	ent = calloc(n, sizeof(*ent));
	area = mmap(NULL, n * PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!ent || area == MAP_FAILED) {
		if (area != MAP_FAILED)
			munmap(area, n * PG);
		free(ent);
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < n; i++) {
		ent[i].gpa = gpas[i];
		ent[i].gva = (uintptr_t)(area + i * PG);
		addrs[i] = area + i * PG;
	}
	ret = ioctl_batches(km, KVM_INTRO_MEM_MAP_BATCH, ent, n, done);
	if (*done < n) {
		e = errno;
		munmap(area + *done * PG, (n - *done) * PG);
		errno = e;
	}
	free(ent);
	return ret;
}

/**
 * kvmmem_map() - map one target page at a new address of the caller's
 * @km: the handle
 * @gpa: page-aligned target address
 *
 * Return: the address, or NULL with errno set.
 */
void *kvmmem_map(struct kvmmem *km, uint64_t gpa)
{
	void *addr;
	size_t done;

	return kvmmem_map_batch(km, &gpa, &addr, 1, &done) ? NULL : addr;
}

/**
 * kvmmem_unmap_batch() - undo kvmmem_map() or kvmmem_map_batch()
 * @km: the handle
 * @addrs: the addresses
 * @n: how many
 * @done: out: how many were unmapped, from the first
 *
 * Return: 0, or -1 with errno set for entry *@done.
 */
int kvmmem_unmap_batch(struct kvmmem *km, void *const *addrs, size_t n,
		       size_t *done)
{
	struct kvmmem_batch_entry *ent = calloc(n ? n : 1, sizeof(*ent));
	size_t i;
	int ret, e;

	*done = 0;
	if (!ent) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < n; i++)
		ent[i].gva = (uintptr_t)addrs[i];
	ret = ioctl_batches(km, KVM_INTRO_MEM_UNMAP_BATCH, ent, n, done);
	e = errno;
	for (i = 0; i < *done; i++)
		munmap(addrs[i], PG);
	free(ent);
	errno = e;
	return ret;
}

/**
 * kvmmem_unmap() - undo kvmmem_map()
 * @km: the handle
 * @addr: the address it returned
 *
 * Return: 0, or -1 with errno set.
 */
int kvmmem_unmap(struct kvmmem *km, void *addr)
{
	size_t done;

	return kvmmem_unmap_batch(km, &addr, 1, &done);
}

_Static_assert(KVMMEM_RAM_RANGES_MAX == KVMMEM_RANGES_MAX,
	       "libkvmmem.h and the uapi header agree");

/**
 * kvmmem_ranges() - where the target's RAM is, under the handle's grant
 * @km: the handle
 * @r: out: the first @n ranges, lowest first
 * @n: room in @r (0: only count them)
 *
 * The target's RAM that a map accepts (its ordinary memslots, cut to the
 * grant's range), as the host sees it now. Asks for at most
 * KVMMEM_RANGES_MAX ranges.
 *
 * Return: how many ranges there are (more than @n: call again with more
 * room), or -1 with errno set.
 */
int kvmmem_ranges(struct kvmmem *km, struct kvmmem_ram_range *r, size_t n)
{
	struct kvmmem_range kr[KVMMEM_RANGES_MAX];
	struct kvmmem_ranges req = {
		.ranges = (uintptr_t)kr,
		.count = n < KVMMEM_RANGES_MAX ? n : KVMMEM_RANGES_MAX,
	};
	uint32_t i;
	int ret;

	pthread_mutex_lock(&km->lock);
	req.token = km->token;
	ret = ioctl(km->fd, KVM_INTRO_MEM_RANGES, &req);
	pthread_mutex_unlock(&km->lock);
	memset(&req.token, 0, sizeof(req.token));
	if (ret)
		return -1;
	for (i = 0; i < req.count && i < req.total; i++) {
		r[i].start = kr[i].start;
		r[i].end = kr[i].end;
	}
	return req.total;
}

/**
 * kvmmem_window() - map the handle's window
 * @km: the handle
 * @pages: slots wanted; rounded up to whole KVMMEM_WINDOW_CHUNK_PAGES
 *
 * One window per handle, for its life (kvmmem_close() unmaps it). Every
 * slot starts empty and reads as KVMMEM_REVOKED_PATTERN.
 *
 * Return: the window's first slot, or NULL with errno set (EBUSY: the
 * handle has one; EINVAL: 0 or more than KVMMEM_WINDOW_MAX bytes;
 * EOPNOTSUPP: the host has no grant for this VM).
 */
void *kvmmem_window(struct kvmmem *km, size_t pages)
{
	size_t chunks = pages / KVMMEM_WINDOW_CHUNK_PAGES +
			!!(pages % KVMMEM_WINDOW_CHUNK_PAGES);
	void *w;

	if (!pages || chunks > KVMMEM_WINDOW_MAX / KVMMEM_WINDOW_CHUNK) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&km->lock);
	if (km->win) {
		pthread_mutex_unlock(&km->lock);
		errno = EBUSY;
		return NULL;
	}
	w = mmap(NULL, chunks * KVMMEM_WINDOW_CHUNK, PROT_READ | PROT_WRITE,
		 MAP_SHARED, km->fd, KVMMEM_WINDOW_OFFSET);
	if (w != MAP_FAILED) {
		km->win = w;
		km->win_pages = chunks * KVMMEM_WINDOW_CHUNK_PAGES;
	}
	pthread_mutex_unlock(&km->lock);
	return w == MAP_FAILED ? NULL : w;
}

/* Window slots @slot.. as batch entries (gpas from @gpas, or 0), and call @cmd. */
static int window_batch(struct kvmmem *km, unsigned long cmd, size_t slot,
			const uint64_t *gpas, size_t n, size_t *done)
{
	struct kvmmem_batch_entry *ent;
	size_t i;
	int ret, e;

	*done = 0;
	if (!km->win || slot > km->win_pages || n > km->win_pages - slot) {
		errno = EINVAL;
		return -1;
	}
	ent = calloc(n ? n : 1, sizeof(*ent));
	if (!ent) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < n; i++) {
		ent[i].gpa = gpas ? gpas[i] : 0;
		ent[i].gva = (uintptr_t)(km->win + (slot + i) * PG);
	}
	ret = ioctl_batches(km, cmd, ent, n, done);
	e = errno;
	free(ent);
	errno = e;
	return ret;
}

/**
 * kvmmem_window_map() - map target pages into window slots
 * @km: the handle, with a window
 * @slot: the first slot (page index in the window)
 * @gpas: page-aligned target addresses, one per slot from @slot on
 * @n: how many
 * @done: out: how many were mapped, from the first
 *
 * The bytes are read where kvmmem_window() said, at slot * 4096. A slot
 * must be empty; a chunk of KVMMEM_WINDOW_CHUNK_PAGES slots holds pages of
 * one grant at a time. Writes to a slot that does not hold a page of a
 * read-write grant raise SIGBUS. Unlike kvmmem_read(), a slot does not
 * tell whether its mapping was revoked: it then reads as
 * KVMMEM_REVOKED_PATTERN, and kvmmem_revocations() counts up.
 *
 * Return: 0, or -1 with errno set for entry *@done (EINVAL: no window, or
 * slots outside it).
 */
int kvmmem_window_map(struct kvmmem *km, size_t slot, const uint64_t *gpas,
		      size_t n, size_t *done)
{
	int ret;

	pthread_mutex_lock(&km->lock);
	ret = window_batch(km, KVM_INTRO_MEM_MAP_BATCH, slot, gpas, n, done);
	pthread_mutex_unlock(&km->lock);
	return ret;
}

/**
 * kvmmem_window_unmap() - empty window slots
 * @km: the handle, with a window
 * @slot: the first slot
 * @n: how many
 * @done: out: how many were emptied, from the first
 *
 * Return: 0, or -1 with errno set for slot @slot + *@done.
 */
int kvmmem_window_unmap(struct kvmmem *km, size_t slot, size_t n, size_t *done)
{
	int ret;

	pthread_mutex_lock(&km->lock);
	ret = window_batch(km, KVM_INTRO_MEM_UNMAP_BATCH, slot, NULL, n, done);
	pthread_mutex_unlock(&km->lock);
	return ret;
}

/**
 * kvmmem_close() - unmap the pool and close the handle
 * @km: the handle (NULL is allowed)
 */
void kvmmem_close(struct kvmmem *km)
{
	if (!km)
		return;
	rd_close(km);
	flush(km, &km->anon);
	munmap(km->anon.slots, km->anon.nslots * PG);
	if (km->win)
		munmap(km->win, km->win_pages * PG);
	if (km->status)
		munmap((void *)km->status, PG);
	close(km->fd);
	pthread_mutex_destroy(&km->lock);
	memset(&km->token, 0, sizeof(km->token));
	free(km->anon.slot_pfn);
	free(km->anon.ent);
	free(km);
}
