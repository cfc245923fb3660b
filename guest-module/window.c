// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem guest: the window, target pages in slots of one mapping.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/kvmmem.h>
#include <asm/io.h>
#include <kvmmem_compat.h>

#include "hypercall.h"
#include "window.h"

/**
 * DOC: Guest window, theory of operation
 *
 * mmap() of /dev/kvmmem at KVMMEM_WINDOW_OFFSET allocates the window's
 * memory in guest-physically contiguous, naturally aligned 2 MiB chunks
 * (one buddy allocation each) and registers each chunk with the host
 * (KVM_HC_MEM_WINDOW), which from then on backs the chunk's frames with its
 * window: each page is a slot that shows a target page or the revoked
 * pattern. The process's mapping is VM_PFNMAP over those frames and never
 * changes; what a slot shows changes on the host.
 *
 * Map and unmap gather the caller's entries into runs (consecutive slots
 * of one chunk showing consecutive target pages) and send up to
 * KVMMEM_HC_BATCH_MAX runs per KVM_HC_MEM_BATCH hypercall. Scanning a VM
 * front to back thus costs one hypercall per 32,768 pages.
 *
 * Rights: a slot is writable in the process only while it holds a page of
 * a read-write grant. The mapping has a pfn_mkwrite handler, so every PTE
 * starts read-only and a write asks first; unmap zaps the slots' PTEs so
 * that no writable PTE outlives its page. A read-only slot is therefore
 * never written by the guest, which the host would refuse.
 *
 * The window lives as long as the open file. On close (or before reboot)
 * each chunk is unregistered, which empties its slots on the host and gives
 * the frames ordinary memory back, and then freed. A chunk the host fails
 * to unregister may still show a target: it is never freed (quarantined).
 * Before reboot the process may still hold the mapping: a fault in a chunk
 * that is no longer registered gives SIGBUS. A PTE made before that (or by
 * a fault racing with it) shows the chunk's own frames, which were zeroed
 * when allocated: no stale bytes of this kernel.
 */

#define SLOTS	KVMMEM_WINDOW_CHUNK_PAGES
#define ORDER	9	/* KVMMEM_WINDOW_CHUNK */

struct kvmmem_wchunk {
	struct page *page;		/* first frame (NULL: not allocated) */
	bool registered;		/* the host backs it (faults read it) */
	bool kept;			/* the host kept it: never freed */
	DECLARE_BITMAP(used, SLOTS);	/* taken (ctx lock) */
	DECLARE_BITMAP(rw, SLOTS);	/* writable in the process */
};

struct kvmmem_window {
	unsigned long start;
	unsigned long nr_chunks;
	bool gone;			/* the process unmapped it */
	struct kvmmem_wchunk chunk[];
};

static atomic_long_t *quarantine_count;

/* Slot @i of @w: its chunk and index there. */
static struct kvmmem_wchunk *slot_chunk(struct kvmmem_window *w,
					unsigned long i, unsigned long *idx)
{
	*idx = i % SLOTS;
	return &w->chunk[i / SLOTS];
}

static vm_fault_t window_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct kvmmem_window *w = vma->vm_private_data;
	unsigned long i = (vmf->address - vma->vm_start) >> PAGE_SHIFT, idx;
	struct kvmmem_wchunk *c = slot_chunk(w, i, &idx);
	pgprot_t prot = vma->vm_page_prot;

	/* stopped for a reboot: the frames are no longer the host's window */
	if (!READ_ONCE(c->registered))
		return VM_FAULT_SIGBUS;
	if (vmf->flags & FAULT_FLAG_WRITE) {
		if (!test_bit(idx, c->rw))
			return VM_FAULT_SIGBUS;
		prot = vm_get_page_prot(vma->vm_flags);
	}
	return vmf_insert_pfn_prot(vma, vmf->address,
				   page_to_pfn(c->page) + idx, prot);
}

static vm_fault_t window_pfn_mkwrite(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long i = (vmf->address - vma->vm_start) >> PAGE_SHIFT, idx;
	struct kvmmem_wchunk *c = slot_chunk(vma->vm_private_data, i, &idx);

	return READ_ONCE(c->registered) && test_bit(idx, c->rw) ? 0 : VM_FAULT_SIGBUS;
}

static void window_close(struct vm_area_struct *vma)
{
	struct kvmmem_window *w = vma->vm_private_data;

	WRITE_ONCE(w->gone, true);
}

static int window_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

static int window_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static const struct vm_operations_struct window_vm_ops = {
	.close		= window_close,
	.fault		= window_fault,
	.pfn_mkwrite	= window_pfn_mkwrite,
	.may_split	= window_may_split,
	.mremap		= window_mremap,
};

/* Unregister @w's chunks; a chunk the host keeps is never freed. */
static void window_stop(struct kvmmem_window *w)
{
	struct kvmmem_wchunk *c;
	unsigned long i;
	int ret;

	for (i = 0; i < w->nr_chunks; i++) {
		c = &w->chunk[i];
		if (!c->registered)
			continue;
		/* faults from here on give SIGBUS */
		WRITE_ONCE(c->registered, false);
		ret = kvmmem_hc_window(page_to_phys(c->page), false);
		if (!ret)
			continue;
		atomic_long_add(SLOTS, quarantine_count);
		pr_warn_ratelimited("host kept window chunk %pa (%d): quarantined\n",
				    &(phys_addr_t){ page_to_phys(c->page) }, ret);
		c->kept = true;
	}
}

static void window_free(struct kvmmem_window *w)
{
	unsigned long i;

	window_stop(w);
	for (i = 0; i < w->nr_chunks; i++)
		if (w->chunk[i].page && !w->chunk[i].kept)
			__free_pages(w->chunk[i].page, ORDER);
	kvfree(w);
}

/**
 * kvmmem_window_mmap() - set up the window for a new mapping
 * @wp: where the file keeps its window; set on success
 * @vma: the mapping, at KVMMEM_WINDOW_OFFSET
 * @stop: set when the system goes down; checked before each chunk
 *
 * The caller makes sure that only one mmap() of its file gets here.
 *
 * Return: 0, -EINVAL (length, private mapping), -ENOMEM, -ESHUTDOWN (@stop
 * was set: what was registered is unregistered, or quarantined if the host
 * keeps it), or the host's refusal (-EOPNOTSUPP: no grant, or no host).
 */
int kvmmem_window_mmap(struct kvmmem_window **wp, struct vm_area_struct *vma,
		       const bool *stop)
{
	unsigned long len = vma->vm_end - vma->vm_start, i;
	struct kvmmem_window *w;
	int ret;

	if (!(vma->vm_flags & VM_SHARED) || len % KVMMEM_WINDOW_CHUNK ||
	    len > KVMMEM_WINDOW_MAX)
		return -EINVAL;
	w = kvzalloc(struct_size(w, chunk, len / KVMMEM_WINDOW_CHUNK), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	w->start = vma->vm_start;
	w->nr_chunks = len / KVMMEM_WINDOW_CHUNK;
	for (i = 0; i < w->nr_chunks; i++) {
		struct page *page;

		ret = -ESHUTDOWN;
		if (READ_ONCE(*stop))
			goto out_free;
		ret = -ENOMEM;
		page = alloc_pages(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN |
				   __GFP_ZERO, ORDER);
		if (!page)
			goto out_free;
		w->chunk[i].page = page;
		ret = kvmmem_hc_window(page_to_phys(page), true);
		if (ret)
			goto out_free;
		w->chunk[i].registered = true;
	}
	kvmmem_vma_set_flags(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND |
			     VM_DONTDUMP | VM_DONTCOPY, 0);
	vma->vm_private_data = w;
	vma->vm_ops = &window_vm_ops;
	*wp = w;
	return 0;

out_free:
	window_free(w);
	return ret;
}

/**
 * kvmmem_window_release() - unregister and free a window (file release)
 * @w: the window, or NULL
 */
void kvmmem_window_release(struct kvmmem_window *w)
{
	if (w)
		window_free(w);
}

/**
 * kvmmem_window_stop() - unregister a window's chunks (reboot)
 * @w: the window, or NULL
 *
 * The memory stays allocated: the process may still map it, and a fault
 * there now gives SIGBUS.
 */
void kvmmem_window_stop(struct kvmmem_window *w)
{
	if (w)
		window_stop(w);
}

/**
 * kvmmem_window_slot() - is @gva a slot of @w?
 * @w: the window, or NULL
 * @gva: an address of the process
 *
 * Return: true if it is (the window is still mapped).
 */
bool kvmmem_window_slot(struct kvmmem_window *w, u64 gva)
{
	return w && !READ_ONCE(w->gone) && gva >= w->start &&
	       gva - w->start < w->nr_chunks * KVMMEM_WINDOW_CHUNK;
}

/* Let no writable PTE of the process outlive a slot's page. */
static void zap_slots(struct kvmmem_window *w, struct mm_struct *mm,
		      unsigned long first, unsigned long n)
{
	struct vm_area_struct *vma;

	if (current->mm != mm)
		return;		/* release or reboot: no mapping is left */
	mmap_read_lock(mm);
	vma = vma_lookup(mm, w->start);
	if (vma && vma->vm_ops == &window_vm_ops && vma->vm_private_data == w)
		zap_vma_ptes(vma, w->start + first * PAGE_SIZE, n * PAGE_SIZE);
	mmap_read_unlock(mm);
}

struct run {
	u64 tgpa;
	unsigned long slot;	/* window slot of the first page */
	u32 len;
	u32 entries;
};

/* Check entry @e for @map and give its slot. */
static int check_entry(struct kvmmem_window *w, const struct kvmmem_batch_entry *e,
		       bool map, unsigned long *slot)
{
	struct kvmmem_wchunk *c;
	unsigned long idx;

	if (!PAGE_ALIGNED(e->gva) || (map && !PAGE_ALIGNED(e->gpa)))
		return -EINVAL;
	if (!kvmmem_window_slot(w, e->gva))
		return -EINVAL;
	*slot = (e->gva - w->start) >> PAGE_SHIFT;
	c = slot_chunk(w, *slot, &idx);
	if (map && test_bit(idx, c->used))
		return -EEXIST;
	if (!map && !test_bit(idx, c->used))
		return -ENOENT;
	return 0;
}

/* Does entry @e (at @slot) continue @r? */
static bool extends(const struct run *r, const struct kvmmem_batch_entry *e,
		    unsigned long slot, bool map)
{
	return slot == r->slot + r->len && slot % SLOTS &&
	       (!map || e->gpa == r->tgpa + ((u64)r->len << PAGE_SHIFT));
}

/* The host took @r: keep the books of its slots. */
static void run_done(struct kvmmem_window *w, struct mm_struct *mm,
		     const struct run *r, bool map, bool writable)
{
	unsigned long idx;
	struct kvmmem_wchunk *c = slot_chunk(w, r->slot, &idx);

	if (map) {
		bitmap_set(c->used, idx, r->len);
		if (writable)
			bitmap_set(c->rw, idx, r->len);
		return;
	}
	bitmap_clear(c->rw, idx, r->len);
	zap_slots(w, mm, r->slot, r->len);
	bitmap_clear(c->used, idx, r->len);
}

/**
 * kvmmem_window_batch() - map or unmap window slots
 * @w: the window
 * @mm: the process's mm
 * @token: the grant's token (map)
 * @ent: the entries, each with @gva in the window
 * @n: how many
 * @map: map rather than unmap
 * @hc: a page for the hypercall's descriptor
 * @done: out: entries that took effect, from the first
 *
 * Called with the file's lock held. Entries are handled in order; the call
 * stops at the first that fails.
 *
 * Return: 0, or the error of entry @done.
 */
int kvmmem_window_batch(struct kvmmem_window *w, struct mm_struct *mm,
			const struct kvmi_map_mem_token *token,
			const struct kvmmem_batch_entry *ent, u32 n, bool map,
			struct kvmmem_hc_batch *hc, u32 *done)
{
	const u32 max = KVMMEM_HC_BATCH_MAX;
	unsigned long slot, idx;
	struct run *runs, *r;
	u32 i = 0, nr, k, took;
	int ret = 0, bad, h;

	*done = 0;
	runs = kmalloc_array(max, sizeof(*runs), GFP_KERNEL);
	if (!runs)
		return -ENOMEM;
	while (i < n && !ret) {
		bad = 0;
		for (nr = 0; i < n; i++) {
			bad = check_entry(w, &ent[i], map, &slot);
			if (bad)
				break;
			r = nr ? &runs[nr - 1] : NULL;
			if (r && r->len < SLOTS && extends(r, &ent[i], slot, map)) {
				r->len++;
				r->entries++;
				continue;
			}
			if (nr == max)
				break;
			runs[nr++] = (struct run){ ent[i].gpa, slot, 1, 1 };
		}
		if (!nr) {
			ret = bad;
			break;
		}

		hc->op = map ? KVMMEM_BATCH_OP_MAP_RUN : KVMMEM_BATCH_OP_UNMAP_RUN;
		if (map)
			hc->token = *token;
		hc->count = nr;
		hc->error = -EIO;	/* what we assume if the host says nothing */
		hc->rights = KVMMEM_MAP_RO;
		for (k = 0; k < nr; k++) {
			struct kvmmem_wchunk *c = slot_chunk(w, runs[k].slot, &idx);

			hc->ent[k].target_gpa = map ? runs[k].tgpa : 0;
			hc->ent[k].intro_gpa = (page_to_phys(c->page) + idx * PAGE_SIZE) |
					       (runs[k].len - 1);
		}
		h = kvmmem_hc_batch(hc);
		memzero_explicit(&hc->token, sizeof(hc->token));
		took = h < 0 ? 0 : min_t(u32, h, nr);
		for (k = 0; k < took; k++) {
			run_done(w, mm, &runs[k], map, hc->rights == KVMMEM_MAP_RW);
			*done += runs[k].entries;
		}
		if (took < nr)
			ret = h < 0 ? h : hc->error < 0 ? hc->error : -EIO;
		else
			ret = bad;
	}
	kfree(runs);
	return ret;
}

/**
 * kvmmem_window_setup() - where to count quarantined pages
 * @count: the module's counter
 */
void kvmmem_window_setup(atomic_long_t *count)
{
	quarantine_count = count;
}
