// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
/*
 * printk.c: the target's kernel log, read from its printk ring buffer.
 *
 * DOC: Theory of operation
 *
 * Since 5.10 the kernel log is the lockless printk ring buffer that the
 * variable prb points to (struct printk_ringbuffer, the same in 6.1 and
 * 6.12). It is made of two rings:
 *
 * - desc_ring: 2^count_bits descriptors (struct prb_desc) and as many
 *   struct printk_info, in two arrays indexed alike. A descriptor's
 *   state_var holds its state in the top two bits and, in the others, the
 *   id of the record it holds; id & (count - 1) is its index. Records are
 *   the ids from tail_id to head_id, oldest first, and a record's sequence
 *   number is congruent to its id modulo the count. Only a committed or
 *   finalized descriptor whose state_var carries the id expected holds a
 *   record to read.
 *
 * - text_data_ring: 2^size_bits bytes of text at data. A descriptor's
 *   text_blk_lpos gives the logical positions (lpos) of its data block,
 *   [begin, next); lpos >> size_bits counts the wraps, the low bits index
 *   the data. A block starts with the id of its record, then the text,
 *   text_len bytes of it. A block that would not fit before the end of the
 *   data starts over at its beginning; then next is one wrap on from begin
 *   and the block is the DATA_INDEX(next) bytes at data[0]. An lpos with
 *   bit 0 set is no block: both at EMPTY_LINE_LPOS is an empty line, any
 *   other such record lost its text and is left out, as the kernel's
 *   readers (dmesg through /dev/kmsg) leave it out.
 *
 * Every offset and size comes from BTF; the ring's geometry is bounded and
 * every lpos, length and id is checked against it, so a corrupt or hostile
 * ring yields fewer records, never a read out of bounds or a loop without
 * end.
 *
 * The target writes the log while it is read. Records are read a batch at
 * a time, as the kernel's readers read one: the batch's descriptors and
 * infos first, then the text blocks they name (adjacent blocks read as one
 * chunk, so a batch's text is usually a single read), then the
 * descriptors again; a record whose descriptor changed
 * meanwhile was reused or reopened, and is left out. So is a record whose
 * block does not start with its id, or whose sequence number does not
 * follow the last one given.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lx.h"

/* descriptor states (kernel/printk/printk_ringbuffer.h, enum desc_state) */
#define SV_STATE_SHIFT	62	/* the state is state_var's top two bits */
#define SV_ID_MASK	((1ULL << SV_STATE_SHIFT) - 1)
#define DESC_COMMITTED	1
#define DESC_FINALIZED	2

#define LPOS_DATALESS	1ULL	/* bit 0 of an lpos: no data block */
#define LPOS_EMPTY_LINE	3ULL	/* EMPTY_LINE_LPOS (NO_LPOS before 6.9) */
#define BLK_ID_SIZE	8	/* a data block starts with an unsigned long id */

/* Bounds on what the target claims (real kernels: about 13 and 18 bits). */
#define COUNT_BITS_MAX	24
#define SIZE_BITS_MAX	28
#define PRB_SIZE_MAX	4096	/* struct printk_ringbuffer, at most */
#define DESC_SIZE_MAX	256	/* struct prb_desc (24 bytes on x86-64) */
#define INFO_SIZE_MAX	1024	/* struct printk_info (88 bytes on x86-64) */

#define BATCH		256	/* records read together */
#define CHUNK_GAP	4096	/* bytes between blocks still read as one chunk */

/*
 * printk_info's flags:5 and level:3 share a byte (BTF gives its offset);
 * GCC on x86-64 puts the first-declared bitfield in the low bits.
 */
#define LEVEL_SHIFT	5
#define LEVEL_MASK	7

/* Where the members are, from BTF; byte offsets into their structs. */
struct layout {
	long count_bits, descs, infos, head_id, tail_id;	/* printk_ringbuffer */
	long size_bits, data;
	long prb_size;
	long desc_size, state_var, begin, next;			/* prb_desc */
	long info_size, seq, ts, text_len, facility, level, caller_id;	/* printk_info */
};

/* The ring buffer as read at the start. */
struct ring {
	struct kvmmem_linux *lx;
	struct layout l;
	uint64_t descs, infos, data;	/* kernel addresses of the arrays */
	unsigned int size_bits;
	uint64_t count, size;		/* descriptors; bytes of data */
	uint64_t tail, head;		/* ids */
};

/* One record of a batch, as its descriptor and info said. */
struct rec {
	uint64_t sv, begin, next;	/* the descriptor */
	uint64_t tb;			/* lpos of the block that holds the text */
	size_t len;			/* text bytes */
	size_t at;			/* where its block is in the arena */
	int ch;				/* in which chunk */
	bool ok;
	struct kvmmem_linux_logrec r;
};

/* A chunk of the data ring, [lo, hi) in lpos, read into the arena at @at. */
struct chunk {
	uint64_t lo, hi;
	size_t at;
};

/* What one batch needs, allocated once. */
struct batch {
	uint8_t *descs, *descs2, *infos;
	struct rec rec[BATCH];
	struct chunk ch[BATCH];
	int nch;
	uint8_t *arena;
	size_t arena_cap;
};

static uint64_t get_u64(const uint8_t *p, long off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint32_t get_u32(const uint8_t *p, long off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint16_t get_u16(const uint8_t *p, long off)
{
	uint16_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

/* Is a member of @width bytes at @off inside a struct of @size bytes? */
static bool fits(long off, long width, long size)
{
	return off >= 0 && off + width <= size;
}

static int get_layout(struct kvmmem_linux *lx, struct layout *l)
{
	const char *rb = "printk_ringbuffer", *d = "prb_desc", *i = "printk_info";
	long flags;

	l->prb_size = lx_btf_size(lx, rb);
	l->count_bits = lx_btf_off(lx, rb, "desc_ring.count_bits");
	l->descs = lx_btf_off(lx, rb, "desc_ring.descs");
	l->infos = lx_btf_off(lx, rb, "desc_ring.infos");
	l->head_id = lx_btf_off(lx, rb, "desc_ring.head_id");
	l->tail_id = lx_btf_off(lx, rb, "desc_ring.tail_id");
	l->size_bits = lx_btf_off(lx, rb, "text_data_ring.size_bits");
	l->data = lx_btf_off(lx, rb, "text_data_ring.data");
	l->desc_size = lx_btf_size(lx, d);
	l->state_var = lx_btf_off(lx, d, "state_var");
	l->begin = lx_btf_off(lx, d, "text_blk_lpos.begin");
	l->next = lx_btf_off(lx, d, "text_blk_lpos.next");
	l->info_size = lx_btf_size(lx, i);
	l->seq = lx_btf_off(lx, i, "seq");
	l->ts = lx_btf_off(lx, i, "ts_nsec");
	l->text_len = lx_btf_off(lx, i, "text_len");
	l->facility = lx_btf_off(lx, i, "facility");
	l->level = lx_btf_off(lx, i, "level");
	l->caller_id = lx_btf_off(lx, i, "caller_id");
	flags = lx_btf_off(lx, i, "flags");

	if (l->prb_size <= 0 || l->prb_size > PRB_SIZE_MAX ||
	    l->desc_size <= 0 || l->desc_size > DESC_SIZE_MAX ||
	    l->info_size <= 0 || l->info_size > INFO_SIZE_MAX)
		return -1;
	if (!fits(l->count_bits, 4, l->prb_size) || !fits(l->descs, 8, l->prb_size) ||
	    !fits(l->infos, 8, l->prb_size) || !fits(l->head_id, 8, l->prb_size) ||
	    !fits(l->tail_id, 8, l->prb_size) || !fits(l->size_bits, 4, l->prb_size) ||
	    !fits(l->data, 8, l->prb_size))
		return -1;
	if (!fits(l->state_var, 8, l->desc_size) || !fits(l->begin, 8, l->desc_size) ||
	    !fits(l->next, 8, l->desc_size))
		return -1;
	/* flags and level: the same byte, as LEVEL_SHIFT expects */
	return fits(l->seq, 8, l->info_size) && fits(l->ts, 8, l->info_size) &&
	       fits(l->text_len, 2, l->info_size) && fits(l->facility, 1, l->info_size) &&
	       fits(l->level, 1, l->info_size) && fits(l->caller_id, 4, l->info_size) &&
	       flags == l->level ? 0 : -1;
}

/* Read the ring's header through prb and check its geometry. */
static int get_ring(struct kvmmem_linux *lx, struct ring *rg)
{
	uint64_t prb = lx_sym(lx, "prb"), p;
	uint8_t hdr[PRB_SIZE_MAX];
	unsigned int count_bits;
	const struct layout *l = &rg->l;

	memset(rg, 0, sizeof(*rg));
	rg->lx = lx;
	if (!prb || get_layout(lx, &rg->l)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (lx_ku64(lx, prb, &p) || !lx_kptr(lx, p) ||
	    lx_kread(lx, p, hdr, l->prb_size)) {
		lx_warn(lx, "printk: cannot read the ring buffer that prb points to");
		errno = EIO;
		return -1;
	}
	count_bits = get_u32(hdr, l->count_bits);
	rg->size_bits = get_u32(hdr, l->size_bits);
	rg->descs = get_u64(hdr, l->descs);
	rg->infos = get_u64(hdr, l->infos);
	rg->data = get_u64(hdr, l->data);
	rg->head = get_u64(hdr, l->head_id) & SV_ID_MASK;
	rg->tail = get_u64(hdr, l->tail_id) & SV_ID_MASK;
	/* a block holds at least an id, so the data is at least that big */
	if (count_bits > COUNT_BITS_MAX || rg->size_bits > SIZE_BITS_MAX ||
	    (1ULL << rg->size_bits) < 2 * BLK_ID_SIZE ||
	    !lx_kptr(lx, rg->descs) || !lx_kptr(lx, rg->infos) ||
	    !lx_kptr(lx, rg->data)) {
		lx_warn(lx, "printk: the ring buffer's header is corrupt (count_bits %u, size_bits %u)",
			count_bits, rg->size_bits);
		errno = EIO;
		return -1;
	}
	rg->count = 1ULL << count_bits;
	rg->size = 1ULL << rg->size_bits;
	return 0;
}

/* Read @n elements of @esize bytes from the ring array @base from @id on. */
static int read_elems(struct ring *rg, uint64_t base, long esize, uint64_t id,
		      size_t n, uint8_t *buf)
{
	uint64_t idx = id & (rg->count - 1);
	size_t first = n < rg->count - idx ? n : rg->count - idx;

	if (lx_kread(rg->lx, base + idx * esize, buf, first * esize))
		return -1;
	return n > first ? lx_kread(rg->lx, base, buf + first * esize, (n - first) * esize) : 0;
}

/* Read @len bytes (at most the ring's size) of data from @lpos on. */
static int read_data(struct ring *rg, uint64_t lpos, size_t len, uint8_t *buf)
{
	uint64_t idx = lpos & (rg->size - 1);
	size_t first = len < rg->size - idx ? len : rg->size - idx;

	if (lx_kread(rg->lx, rg->data + idx, buf, first))
		return -1;
	return len > first ? lx_kread(rg->lx, rg->data, buf + first, len - first) : 0;
}

/*
 * Take in record @k of the batch (id @id) from its descriptor and info;
 * it is left out (ok false) unless they describe a record to read.
 */
static void parse(struct ring *rg, struct batch *b, int k, uint64_t id)
{
	const struct layout *l = &rg->l;
	const uint8_t *d = b->descs + k * l->desc_size;
	const uint8_t *in = b->infos + k * l->info_size;
	struct rec *r = &b->rec[k];
	uint64_t state, blk;
	uint8_t lv;

	memset(r, 0, sizeof(*r));
	r->sv = get_u64(d, l->state_var);
	r->begin = get_u64(d, l->begin);
	r->next = get_u64(d, l->next);
	state = r->sv >> SV_STATE_SHIFT;
	if ((r->sv & SV_ID_MASK) != id ||
	    (state != DESC_COMMITTED && state != DESC_FINALIZED))
		return;
	r->r.seq = get_u64(in, l->seq);
	if ((r->r.seq & (rg->count - 1)) != (id & (rg->count - 1)))
		return;
	r->r.ts_ns = get_u64(in, l->ts);
	r->r.facility = in[l->facility];
	lv = in[l->level];
	r->r.level = (lv >> LEVEL_SHIFT) & LEVEL_MASK;
	r->r.caller_id = get_u32(in, l->caller_id);

	if (r->begin & LPOS_DATALESS) {
		/* an empty line, or a record whose text was lost */
		r->ok = r->begin == LPOS_EMPTY_LINE && r->next == LPOS_EMPTY_LINE;
		return;
	}
	if (r->begin >> rg->size_bits == r->next >> rg->size_bits) {
		r->tb = r->begin;
		blk = r->next - r->begin;
	} else if ((r->begin >> rg->size_bits) + 1 == r->next >> rg->size_bits) {
		/* the block wrapped: it is at the start of the data */
		r->tb = r->next & ~(rg->size - 1);
		blk = r->next & (rg->size - 1);
	} else {
		return;
	}
	if (blk < BLK_ID_SIZE)
		return;
	r->len = get_u16(in, l->text_len);
	if (r->len > blk - BLK_ID_SIZE)
		r->len = blk - BLK_ID_SIZE;
	r->ok = true;
}

/* Group the batch's blocks into chunks of adjacent data; size the arena. */
static int plan_chunks(struct ring *rg, struct batch *b, int n)
{
	struct chunk *c = NULL;
	size_t total = 0;
	uint64_t end;
	void *p;
	int k;

	b->nch = 0;
	for (k = 0; k < n; k++) {
		struct rec *r = &b->rec[k];

		if (!r->ok || r->begin & LPOS_DATALESS)
			continue;
		end = r->tb + BLK_ID_SIZE + r->len;
		/* lpos differences are signed: blocks are not always in order */
		if (c && (int64_t)(r->tb - c->lo) >= 0 &&
		    (int64_t)(r->tb - c->hi) <= CHUNK_GAP &&
		    (end - c->lo) <= rg->size) {
			if ((int64_t)(end - c->hi) > 0) {
				total += end - c->hi;
				c->hi = end;
			}
		} else {
			c = &b->ch[b->nch++];
			c->lo = r->tb;
			c->hi = end;
			c->at = total;
			total += end - r->tb;
		}
		r->at = c->at + (r->tb - c->lo);
		r->ch = c - b->ch;
	}
	if (total > b->arena_cap) {
		p = realloc(b->arena, total);
		if (!p)
			return -1;
		b->arena = p;
		b->arena_cap = total;
	}
	return 0;
}

/* Read the chunks; leave out the records whose block is not theirs. */
static void read_chunks(struct ring *rg, struct batch *b, int n, uint64_t id0)
{
	uint64_t bid;
	int k, i;

	for (i = 0; i < b->nch; i++) {
		struct chunk *c = &b->ch[i];

		if (!read_data(rg, c->lo, c->hi - c->lo, b->arena + c->at))
			continue;
		lx_warn(rg->lx, "printk: cannot read the log's text at lpos 0x%llx",
			(unsigned long long)c->lo);
		c->hi = c->lo;	/* mark it unread */
	}
	for (k = 0; k < n; k++) {
		struct rec *r = &b->rec[k];

		if (!r->ok || r->begin & LPOS_DATALESS)
			continue;
		if (b->ch[r->ch].hi == b->ch[r->ch].lo) {
			r->ok = false;
			continue;
		}
		memcpy(&bid, b->arena + r->at, sizeof(bid));
		if (bid != ((id0 + k) & SV_ID_MASK))
			r->ok = false;
	}
}

/*
 * Read the @n records from id @id0 on; give the good ones to @fn.
 * Return: 0, 1 if @fn asked to stop, -1 if the descriptors are unreadable,
 * -2 if out of memory.
 */
static int do_batch(struct ring *rg, struct batch *b, uint64_t id0, int n,
		    uint64_t *last_seq, bool *any,
		    int (*fn)(void *ctx, const struct kvmmem_linux_logrec *r),
		    void *ctx)
{
	const struct layout *l = &rg->l;
	int k;

	if (read_elems(rg, rg->descs, l->desc_size, id0, n, b->descs) ||
	    read_elems(rg, rg->infos, l->info_size, id0, n, b->infos))
		return -1;
	for (k = 0; k < n; k++)
		parse(rg, b, k, (id0 + k) & SV_ID_MASK);
	if (plan_chunks(rg, b, n))
		return -2;
	read_chunks(rg, b, n, id0);
	/* what changed while the text was read is left out */
	if (read_elems(rg, rg->descs, l->desc_size, id0, n, b->descs2))
		return -1;
	for (k = 0; k < n; k++) {
		struct rec *r = &b->rec[k];
		const uint8_t *d = b->descs2 + k * l->desc_size;

		if (!r->ok || get_u64(d, l->state_var) != r->sv ||
		    get_u64(d, l->begin) != r->begin || get_u64(d, l->next) != r->next)
			continue;
		if (*any && r->r.seq <= *last_seq)
			continue;
		r->r.text = r->len ? (const char *)b->arena + r->at + BLK_ID_SIZE : "";
		r->r.len = r->len;
		*last_seq = r->r.seq;
		*any = true;
		if (fn(ctx, &r->r))
			return 1;
	}
	return 0;
}

/**
 * kvmmem_linux_log() - the target's kernel log, record by record
 * @lx: the view
 * @fn: called for each record, oldest first, in sequence order; its text
 *	is valid during the call only. A non-zero return ends the walk.
 * @ctx: passed to @fn
 *
 * Records whose text was lost, and records that changed while they were
 * read, are left out. If the ring cannot be read to its end, the records
 * read are given and a warning is issued.
 *
 * Return: 0 (also when @fn ended the walk), or -1 with errno set
 * (EOPNOTSUPP: no printk ring buffer that BTF describes; EIO: it cannot
 * be read; ENOMEM).
 */
int kvmmem_linux_log(struct kvmmem_linux *lx,
		     int (*fn)(void *ctx, const struct kvmmem_linux_logrec *r),
		     void *ctx)
{
	struct batch *b = NULL;
	uint64_t id, left, last_seq = 0;
	bool any = false;
	struct ring rg;
	int ret = -1, n, e;

	if (get_ring(lx, &rg))
		return -1;
	/* ids from tail to head, both in: at most one per descriptor */
	left = ((rg.head - rg.tail) & SV_ID_MASK) + 1;
	if (left > rg.count) {
		lx_warn(lx, "printk: tail_id 0x%llx and head_id 0x%llx are more than %llu apart",
			(unsigned long long)rg.tail, (unsigned long long)rg.head,
			(unsigned long long)rg.count);
		left = rg.count;
	}
	id = (rg.head - left + 1) & SV_ID_MASK;
	b = calloc(1, sizeof(*b));
	if (!b)
		goto out;
	b->descs = malloc(BATCH * rg.l.desc_size);
	b->descs2 = malloc(BATCH * rg.l.desc_size);
	b->infos = malloc(BATCH * rg.l.info_size);
	if (!b->descs || !b->descs2 || !b->infos)
		goto out;
	for (; left; left -= n, id = (id + n) & SV_ID_MASK) {
		n = left < BATCH ? left : BATCH;
		ret = do_batch(&rg, b, id, n, &last_seq, &any, fn, ctx);
		if (ret == -1) {
			lx_warn(lx, "printk: cannot read the descriptors of ids 0x%llx on",
				(unsigned long long)id);
			/* the records read so far are the answer */
			errno = EIO;
			ret = any ? 0 : -1;
			break;
		}
		if (ret)
			break;
	}
	if (ret == -2)
		ret = -1;	/* errno is ENOMEM */
	else if (ret > 0)
		ret = 0;	/* @fn ended the walk */
out:
	e = errno;
	if (b) {
		free(b->descs);
		free(b->descs2);
		free(b->infos);
		free(b->arena);
	}
	free(b);
	errno = e;
	return ret;
}
