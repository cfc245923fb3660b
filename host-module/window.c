// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: window chunks, many target pages under one overlay.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/anon_inodes.h>
#include <linux/bitmap.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/highmem.h>
#include <linux/kvm_host.h>
#include <linux/mman.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/kvmmem.h>
#include <kvmmem_compat.h>

#include "grant.h"
#include "hold.h"
#include "memslot.h"
#include "remap.h"
#include "stats.h"
#include "status.h"
#include "window.h"

/**
 * DOC: Window chunks, theory of operation
 *
 * remap.c gives each mapped page an overlay VMA, a notifier and a home page
 * of its own: about 5 KiB of host memory and one VMA per page, and the
 * VMM's vm.max_map_count caps the total near 65,000 pages. A window chunk
 * shares all of that among KVMMEM_WINDOW_CHUNK_PAGES slots.
 *
 * Register (KVM_HC_MEM_WINDOW, in the introspector's vCPU thread): the
 * guest names a 2 MiB-aligned chunk of its RAM. We remember what backs its
 * hva range (as remap.c does for a page) and map one file of ours over it
 * with MAP_FIXED: a VM_PFNMAP VMA whose fault handler inserts, for each
 * slot, the target page it holds or else the chunk's home page, which
 * reads as KVMMEM_REVOKED_PATTERN. KVM's fault path for VM_PFNMAP memory
 * (hva_to_pfn_remapped) calls that handler, so the introspector's NPT/EPT
 * entry for a slot points at the target's physical page.
 *
 * Map and unmap (run ops of KVM_HC_MEM_BATCH) change a slot's page under
 * the chunk's mutex, which the fault handler also takes, and then zap the
 * overlay's PTEs for the slots that may have one (a bitmap records the
 * slots the fault handler filled), so KVM drops its SPTEs through its own
 * notifier. A slot that was never touched needs no zap: mapping a fresh run
 * costs one GUP call for the run (hold.c) and no page table work at all.
 * Pages are let go only after the zap.
 *
 * Write permission: a slot holding a page of a read-only grant gets a
 * read-only PTE, and a write there answers SIGBUS. Every other slot (a
 * read-write grant's page, or the home page of an empty slot, so that a
 * revocation never stops an introspector that was writing) gets a writable
 * PTE on its first fault, read or write: KVM never upgrades a present
 * read-only PFNMAP PTE, and a guest write through one would go to KVM's
 * instruction emulator, which cannot decode every store (AVX). The VMA
 * also has a pfn_mkwrite handler, for a read-only PTE that the core asks to
 * make writable: it agrees only if the PTE shows what its slot holds now.
 * Between a slot's change and the zap that follows, a PTE may still show
 * the old page (perhaps a read-only grant's, or the zero page), and a
 * write there is retried until the zap.
 *
 * Coherence: a chunk holds pages of one grant at a time. One
 * mmu_interval_notifier on the target's mm covers the hull of the hvas its
 * slots hold; it grows by inserting a second notifier over the larger
 * range before removing the first, so no invalidation is missed in
 * between, and starts again from scratch when the chunk empties. Its
 * callback never sleeps: it marks the slots whose hva the invalidation
 * covers and queues the chunk's sync work, which waits for the
 * invalidation to end, holds what backs each marked hva now and, if that
 * changed, switches the slot as remap.c does for a page (or revokes it if
 * nothing is there any more).
 *
 * Revocation (grant end, memslot change) takes the pages out of the slots,
 * after raising the status page's count, and zaps: the slots read the
 * pattern and stay taken until the guest unmaps them.
 *
 * Lifetime: the table and the VMA hold references. Unregister, a vCPU
 * reset of the introspector and its exit (the reaper) empty and unlink the
 * chunk; the first two also put the RAM back. The last reference queues
 * the release: remove the notifiers, drop what is held, free. The overlay
 * file pins the module.
 *
 * Host memory per slot: 16 bytes in the slot array, plus the chunk's
 * share of its home page, its header and its page table page: about 40
 * bytes. debugfs window_bytes counts what the chunks allocate.
 *
 * Locks: kvmmem_lock, then at most one mmap_lock, then a chunk's mutex.
 */

#define SLOTS		KVMMEM_WINDOW_CHUNK_PAGES
#define GROUP		64	/* slots emptied between two zaps */

struct kvmmem_slot {
	struct page *page;	/* held target page, or NULL */
	unsigned long thva;	/* its hva in the target's VMM, or 0 */
	u64 tgfn;		/* its target gfn */
};

struct chunk_watch {
	struct mmu_interval_notifier notif;
	struct kvmmem_chunk *c;
	bool live;
};

struct kvmmem_chunk {
	struct kref ref;
	struct hlist_node hnode;	/* chunk_table (kvmmem_lock) */
	struct kvm *intro;
	struct mm_struct *mm;		/* the introspector VMM's, grabbed */
	unsigned long ihva;
	u64 igfn;
	struct kvmmem_backing restore;
	struct kvmmem_grant *grant;	/* of the live slots, or NULL */
	bool writable;
	unsigned int nr_used;		/* taken slots, revoked ones included */
	unsigned int nr_live;		/* slots that hold a page */
	size_t bytes;			/* host memory, for window_bytes */
	struct mutex lock;		/* slot pages vs. the fault handler */
	struct page *home;
	struct mm_struct *tmm;		/* mm watched by watch[cur], or NULL */
	struct chunk_watch watch[2];
	int cur;
	unsigned long lo, hi;		/* hvas watched */
	u64 inval_ns;			/* first invalidation not yet synced */
	struct work_struct sync_work;
	struct work_struct free_work;
	DECLARE_BITMAP(used, SLOTS);
	DECLARE_BITMAP(faulted, SLOTS);	/* may have a PTE (c->lock) */
	DECLARE_BITMAP(stale, SLOTS);	/* to sync with the target */
	struct kvmmem_slot *slot;
};

static DEFINE_HASHTABLE(chunk_table, 8);
static unsigned long nr_chunks;		/* kvmmem_lock */
static struct workqueue_struct *window_wq;
static const struct vm_operations_struct chunk_vm_ops;

static u32 chunk_hash(struct mm_struct *mm, u64 igfn)
{
	return hash_64((u64)(unsigned long)mm ^ (igfn / SLOTS), 8);
}

static struct kvmmem_chunk *chunk_lookup(struct mm_struct *mm, u64 igfn)
{
	struct kvmmem_chunk *c;

	hash_for_each_possible(chunk_table, c, hnode, chunk_hash(mm, igfn))
		if (c->mm == mm && igfn - c->igfn < SLOTS)
			return c;
	return NULL;
}

static void chunk_free_work(struct work_struct *work)
{
	struct kvmmem_chunk *c = container_of(work, struct kvmmem_chunk, free_work);
	int i;

	for (i = 0; i < 2; i++)
		if (c->watch[i].live)
			mmu_interval_notifier_remove(&c->watch[i].notif);
	for (i = 0; i < SLOTS; i++)
		if (c->slot[i].page)
			kvmmem_drop_page(c->slot[i].page, c->writable, c->writable);
	kvmmem_stat_add(KVMMEM_STAT_WINDOW_BYTES, -(long long)c->bytes);
	__free_page(c->home);
	kvmmem_backing_put(&c->restore);
	mmdrop(c->mm);
	kfree(c->slot);
	kfree(c);
	module_put(THIS_MODULE);
}

static void chunk_release(struct kref *ref)
{
	struct kvmmem_chunk *c = container_of(ref, struct kvmmem_chunk, ref);

	queue_work(window_wq, &c->free_work);
}

static void chunk_put(struct kvmmem_chunk *c)
{
	kref_put(&c->ref, chunk_release);
}

static vm_fault_t chunk_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct kvmmem_chunk *c = vma->vm_private_data;
	unsigned long i = (vmf->address - vma->vm_start) >> PAGE_SHIFT;
	pgprot_t prot = vma->vm_page_prot;
	struct page *page;
	vm_fault_t ret;

	mutex_lock(&c->lock);
	page = c->slot[i].page;
	if (page && !c->writable) {
		ret = VM_FAULT_SIGBUS;
		if (vmf->flags & FAULT_FLAG_WRITE)
			goto out_unlock;
	} else {
		/*
		 * Writable at once, on reads too: KVM never upgrades a present
		 * read-only PFNMAP PTE (hva_to_pfn_remapped), so a later guest
		 * write would go to its instruction emulator.
		 */
		prot = vm_get_page_prot(vma->vm_flags);
	}
	__set_bit(i, c->faulted);
	ret = vmf_insert_pfn_prot(vma, vmf->address, page_to_pfn(page ?: c->home),
				  prot);
out_unlock:
	mutex_unlock(&c->lock);
	kvmmem_stat_stack();
	return ret;
}

/*
 * A slot's page changes under c->lock and its PTE is zapped after the
 * unlock, so the read-only PTE being made writable may still show the
 * slot's old page: a page of a read-only grant, or the zero page. Only a
 * PTE that shows what the slot holds now is made writable; for a stale one
 * the access is retried, and the zap that follows takes the PTE away.
 */
static vm_fault_t chunk_pfn_mkwrite(struct vm_fault *vmf)
{
	struct kvmmem_chunk *c = vmf->vma->vm_private_data;
	unsigned long i = (vmf->address - vmf->vma->vm_start) >> PAGE_SHIFT;
	struct page *page;
	vm_fault_t ret;

	mutex_lock(&c->lock);
	page = c->slot[i].page;
	if (page && !c->writable)
		ret = VM_FAULT_SIGBUS;
	else if (pte_pfn(vmf->orig_pte) != page_to_pfn(page ?: c->home))
		ret = VM_FAULT_NOPAGE;
	else
		ret = 0;
	mutex_unlock(&c->lock);
	if (ret == VM_FAULT_NOPAGE)
		kvmmem_stat_inc(KVMMEM_STAT_STALE_MKWRITE);
	return ret;
}

static void chunk_open(struct vm_area_struct *vma)
{
	struct kvmmem_chunk *c = vma->vm_private_data;

	kref_get(&c->ref);
}

static void chunk_close(struct vm_area_struct *vma)
{
	chunk_put(vma->vm_private_data);
}

static const struct vm_operations_struct chunk_vm_ops = {
	.open		= chunk_open,
	.close		= chunk_close,
	.fault		= chunk_fault,
	.pfn_mkwrite	= chunk_pfn_mkwrite,
	.may_split	= kvmmem_overlay_may_split,
	.mremap		= kvmmem_overlay_mremap,
};

static int chunk_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kvmmem_chunk *c = file->private_data;

	/* Only our own MAP_FIXED of exactly the chunk at the recorded hva. */
	if (vma->vm_mm != c->mm || vma->vm_start != c->ihva ||
	    vma->vm_pgoff || vma_pages(vma) != SLOTS)
		return -EINVAL;
	kvmmem_vma_set_flags(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND |
			     VM_DONTDUMP | VM_DONTCOPY, 0);
	vma->vm_private_data = c;
	vma->vm_ops = &chunk_vm_ops;
	kref_get(&c->ref);
	return 0;
}

static const struct file_operations chunk_fops = {
	.owner	= THIS_MODULE,
	.mmap	= chunk_mmap,
};

/* Zap the overlay's PTEs of @n slots from @first; KVM drops its SPTEs. */
static void chunk_zap(struct kvmmem_chunk *c, unsigned long first,
		      unsigned long n)
{
	struct vm_area_struct *vma;

	if (!mmget_not_zero(c->mm))
		return;		/* exit_mmap zaps everything */
	mmap_read_lock(c->mm);
	vma = vma_lookup(c->mm, c->ihva);
	if (vma && vma->vm_ops == &chunk_vm_ops && vma->vm_private_data == c)
		zap_vma_ptes(vma, c->ihva + first * PAGE_SIZE, n * PAGE_SIZE);
	mmap_read_unlock(c->mm);
	mmput(c->mm);
}

/*
 * Empty slots of [@first, @end): on unmap every taken one, which becomes
 * free; on revoke those holding a page at a target hva in [@lo, @hi), which
 * stay taken. The pages leave the slots under c->lock, the overlay is
 * zapped, and only then are they let go. kvmmem_lock held.
 *
 * Return: how many slots held a page.
 */
static unsigned int empty_slots(struct kvmmem_chunk *c, unsigned long first,
				unsigned long end, unsigned long lo,
				unsigned long hi, bool unmap)
{
	unsigned long i = first, zlo, zhi;
	struct page *pages[GROUP];
	unsigned int k, live = 0;
	struct kvmmem_slot *s;

	while (i < end) {
		k = 0;
		zlo = end;
		zhi = 0;
		mutex_lock(&c->lock);
		for (; i < end && k < GROUP; i++) {
			s = &c->slot[i];
			if (!test_bit(i, c->used))
				continue;
			if (!unmap && (!s->page || s->thva < lo || s->thva >= hi))
				continue;
			if (s->page)
				pages[k++] = s->page;
			s->page = NULL;
			WRITE_ONCE(s->thva, 0);
			if (unmap)
				__clear_bit(i, c->used);
			if (__test_and_clear_bit(i, c->faulted)) {
				zlo = min(zlo, i);
				zhi = i + 1;
			}
		}
		mutex_unlock(&c->lock);
		if (zhi)
			chunk_zap(c, zlo, zhi - zlo);
		live += k;
		while (k--)
			kvmmem_drop_page(pages[k], c->writable, c->writable);
	}
	return live;
}

/* @live slots of @c no longer hold a page: the grant's books. */
static void chunk_lost(struct kvmmem_chunk *c, unsigned int live)
{
	c->nr_live -= live;
	if (c->grant)
		c->grant->mapped -= live;
	if (!c->nr_live)
		c->grant = NULL;
}

/* Revoke the live slots at target hvas in [@lo, @hi). kvmmem_lock held. */
static unsigned int chunk_revoke(struct kvmmem_chunk *c, unsigned long lo,
				 unsigned long hi)
{
	unsigned int n;

	if (!c->nr_live || hi <= c->lo || lo >= c->hi)
		return 0;
	/* first the count, then the zap: see the status page's protocol */
	kvmmem_status_revoking(c->intro);
	n = empty_slots(c, 0, SLOTS, lo, hi, false);
	chunk_lost(c, n);
	kvmmem_stat_add(KVMMEM_STAT_REVOKED, n);
	return n;
}

static bool chunk_invalidate(struct mmu_interval_notifier *sub,
			     const struct mmu_notifier_range *range,
			     unsigned long cur_seq)
{
	struct chunk_watch *w = container_of(sub, struct chunk_watch, notif);
	struct kvmmem_chunk *c = w->c;
	bool hit = false;
	unsigned long a;
	int i;

	mmu_interval_set_seq(sub, cur_seq);
	/* the target is exiting: the reaper ends the grant */
	if (range->event == MMU_NOTIFY_RELEASE)
		return true;
	for (i = 0; i < SLOTS; i++) {
		a = READ_ONCE(c->slot[i].thva);
		if (a && a >= range->start && a < range->end) {
			set_bit(i, c->stale);
			hit = true;
		}
	}
	if (!hit)
		return true;
	/* racy by design: a measurement, and only the first one counts */
	if (!READ_ONCE(c->inval_ns))
		WRITE_ONCE(c->inval_ns, ktime_get_ns());
	if (kref_get_unless_zero(&c->ref) &&
	    !queue_work(window_wq, &c->sync_work))
		chunk_put(c);
	return true;
}

static const struct mmu_interval_notifier_ops chunk_notifier_ops = {
	.invalidate = chunk_invalidate,
};

/* Follow one slot's target page; kvmmem_lock held, @tmm alive. */
static void sync_slot(struct kvmmem_chunk *c, struct mm_struct *tmm, int i,
		      u64 since)
{
	struct page *page, *old = c->slot[i].page;
	unsigned long a = c->slot[i].thva;
	bool zap;
	long ret;

	if (!old || !a)
		return;
	ret = kvmmem_hold(tmm, a, 1, c->writable, &page);
	/* the gfn may name other memory now (a memslot change) */
	if (!ret && !kvmmem_target_binds(c->grant->target, c->slot[i].tgfn, 1,
					 c->writable, &a)) {
		kvmmem_drop_page(page, c->writable, false);
		ret = -ENXIO;
	}
	if (ret) {
		pr_info_ratelimited("%s: target page at hva %#lx is gone (%ld): slot revoked\n",
				    c->intro->stats_id, a, ret);
		chunk_revoke(c, a, a + 1);
		return;
	}
	if (page == old) {
		kvmmem_drop_page(page, c->writable, false);
		return;
	}
	mutex_lock(&c->lock);
	c->slot[i].page = page;
	zap = __test_and_clear_bit(i, c->faulted);
	mutex_unlock(&c->lock);
	if (zap)
		chunk_zap(c, i, 1);
	kvmmem_drop_page(old, c->writable, c->writable);
	kvmmem_stat_inc(KVMMEM_STAT_RESYNCS);
	if (since)
		kvmmem_stat_stale(ktime_get_ns() - since);
}

static void chunk_sync_work(struct work_struct *work)
{
	struct kvmmem_chunk *c = container_of(work, struct kvmmem_chunk, sync_work);
	struct mm_struct *tmm;
	u64 since;
	int i;

	since = xchg(&c->inval_ns, 0);
	mutex_lock(&kvmmem_lock);
	tmm = c->tmm;
	if (hlist_unhashed(&c->hnode) || !c->nr_live || !tmm ||
	    !mmget_not_zero(tmm))
		goto out_unlock;
	/* wait for the invalidation to end, or we may hold the old page */
	mmu_interval_read_begin(&c->watch[c->cur].notif);
	for_each_set_bit(i, c->stale, SLOTS) {
		clear_bit(i, c->stale);
		sync_slot(c, tmm, i, since);
	}
	mmput(tmm);
out_unlock:
	mutex_unlock(&kvmmem_lock);
	chunk_put(c);
}

/*
 * Make the chunk's notifier on @tmm cover [@lo, @hi) as well. A larger
 * range gets a new notifier before the old one goes, so that no
 * invalidation in between is missed. kvmmem_lock held; @tmm alive.
 */
static long chunk_watch(struct kvmmem_chunk *c, struct mm_struct *tmm,
			unsigned long lo, unsigned long hi)
{
	struct chunk_watch *old = &c->watch[c->cur];
	struct chunk_watch *new = &c->watch[!c->cur];
	long ret;

	if (c->tmm == tmm && c->nr_used) {
		if (lo >= c->lo && hi <= c->hi)
			return 0;
		lo = min(lo, c->lo);
		hi = max(hi, c->hi);
	}
	ret = mmu_interval_notifier_insert(&new->notif, tmm, lo, hi - lo,
					   &chunk_notifier_ops);
	if (ret)
		return ret;
	new->live = true;
	if (old->live) {
		mmu_interval_notifier_remove(&old->notif);
		old->live = false;
	}
	c->cur = !c->cur;
	c->tmm = tmm;
	c->lo = lo;
	c->hi = hi;
	return 0;
}

/* Let go of @n held pages that no slot has taken. */
static void drop_pages(struct page **pages, unsigned int n, bool writable)
{
	while (n--)
		kvmmem_drop_page(pages[n], writable, false);
}

/* Hold the pages at @thva, one GUP call per run of consecutive hvas. */
static long hold_runs(struct mm_struct *tmm, const unsigned long *thva,
		      unsigned int n, bool writable, struct page **pages)
{
	unsigned int i, j;
	long ret;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && thva[j] == thva[j - 1] + PAGE_SIZE; j++)
			;
		ret = kvmmem_hold(tmm, thva[i], j - i, writable, pages + i);
		if (ret) {
			drop_pages(pages, i, writable);
			return ret;
		}
	}
	return 0;
}

/*
 * hold_runs() inside mmu_interval_read_begin()/retry() on the chunk's
 * notifier, as remap.c's pin_target() does for a page, then check that the
 * gfns still name those hvas. The slots' hvas are set, so an invalidation
 * of any of them counts.
 */
static long hold_watched(struct kvmmem_chunk *c, struct kvm *target,
			 u64 tgfn, const unsigned long *thva, unsigned int n,
			 bool writable, struct page **pages)
{
	struct mmu_interval_notifier *notif = &c->watch[c->cur].notif;
	unsigned long seq;
	int tries;
	long ret;

	for (tries = 0; ; tries++) {
		seq = mmu_interval_read_begin(notif);
		ret = hold_runs(target->mm, thva, n, writable, pages);
		if (ret)
			return ret;
		if (!mmu_interval_read_retry(notif, seq))
			break;
		drop_pages(pages, n, writable);
		kvmmem_stat_inc(KVMMEM_STAT_HOLD_RETRIES);
		if (tries == KVMMEM_HOLD_RETRIES)
			return -EBUSY;
	}
	if (kvmmem_target_binds(target, tgfn, n, writable, thva))
		return 0;
	drop_pages(pages, n, writable);
	return -ENXIO;
}

/* Take @n slots from @first for the held @pages. kvmmem_lock held. */
static void fill_slots(struct kvmmem_chunk *c, unsigned long first,
		       unsigned int n, struct page **pages)
{
	unsigned long end = first + n;
	unsigned int i;
	bool zap;

	mutex_lock(&c->lock);
	for (i = 0; i < n; i++)
		c->slot[first + i].page = pages[i];
	bitmap_set(c->used, first, n);
	zap = find_next_bit(c->faulted, end, first) < end;
	bitmap_clear(c->faulted, first, n);
	mutex_unlock(&c->lock);
	if (zap)
		chunk_zap(c, first, n);
}

/**
 * kvmmem_window_map() - map a run of target pages into window slots
 * @vcpu: the introspector's vCPU; we run in its thread
 * @g: the grant, checked by the caller, as is the target range
 * @target_gpa: first target page, page aligned
 * @intro_gpa: first slot, page aligned, in a registered chunk
 * @n: pages, 1..KVMMEM_WINDOW_CHUNK_PAGES
 *
 * All or nothing. kvmmem_lock held.
 *
 * Return: KVMMEM_MAP_RO or KVMMEM_MAP_RW, or a negative errno (uapi).
 */
long kvmmem_window_map(struct kvm_vcpu *vcpu, struct kvmmem_grant *g,
		       u64 target_gpa, u64 intro_gpa, unsigned int n)
{
	bool writable = g->flags & KVMMEM_GRANT_WRITE;
	struct mm_struct *tmm = g->target->mm;
	struct kvmmem_chunk *c;
	unsigned long first, i, *thva, lo, hi;
	struct page **pages;
	long ret;

	lockdep_assert_held(&kvmmem_lock);
	c = chunk_lookup(current->mm, intro_gpa >> PAGE_SHIFT);
	if (!c || c->intro != vcpu->kvm)
		return -EFAULT;
	first = (intro_gpa >> PAGE_SHIFT) - c->igfn;
	if (first + n > SLOTS)
		return -EINVAL;
	if (find_next_bit(c->used, first + n, first) < first + n)
		return -EEXIST;
	if (c->grant && c->grant != g)
		return -EXDEV;
	if (g->mapped + n > g->max_pages)
		return -EDQUOT;

	ret = -ENOMEM;
	thva = kmalloc_array(n, sizeof(*thva), GFP_KERNEL);
	pages = kmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	if (!thva || !pages)
		goto out_free;
	ret = kvmmem_target_hvas(g->target, target_gpa >> PAGE_SHIFT, n,
				 writable, thva);
	if (ret)
		goto out_free;
	ret = -ENXIO;
	if (!mmget_not_zero(tmm))
		goto out_free;
	lo = ULONG_MAX;
	hi = 0;
	for (i = 0; i < n; i++) {
		lo = min(lo, thva[i]);
		hi = max(hi, thva[i] + PAGE_SIZE);
	}
	/* watch first: a change after the hold then always gets a resync */
	ret = chunk_watch(c, tmm, lo, hi);
	if (ret)
		goto out_mmput;
	for (i = 0; i < n; i++) {
		WRITE_ONCE(c->slot[first + i].thva, thva[i]);
		c->slot[first + i].tgfn = (target_gpa >> PAGE_SHIFT) + i;
	}
	ret = hold_watched(c, g->target, target_gpa >> PAGE_SHIFT, thva, n,
			   writable, pages);
	if (ret) {
		for (i = 0; i < n; i++)
			WRITE_ONCE(c->slot[first + i].thva, 0);
		goto out_mmput;
	}
	if (!c->grant) {
		c->grant = g;
		c->writable = writable;
	}
	fill_slots(c, first, n, pages);
	c->nr_used += n;
	c->nr_live += n;
	g->mapped += n;
	g->maps_total += n;
	kvmmem_stat_add(KVMMEM_STAT_LIVE, n);
	ret = writable ? KVMMEM_MAP_RW : KVMMEM_MAP_RO;
out_mmput:
	mmput(tmm);
out_free:
	kfree(pages);
	kfree(thva);
	return ret;
}

/**
 * kvmmem_window_unmap() - empty a run of window slots
 * @vcpu: the introspector's vCPU; we run in its thread
 * @intro_gpa: first slot, page aligned
 * @n: slots, 1..KVMMEM_WINDOW_CHUNK_PAGES; all must be taken
 *
 * All or nothing. kvmmem_lock held.
 *
 * Return: 0, -EFAULT, -EINVAL or -ENOENT (or -EIO, injected by a test).
 */
long kvmmem_window_unmap(struct kvm_vcpu *vcpu, u64 intro_gpa, unsigned int n)
{
	struct kvmmem_chunk *c;
	unsigned long first;

	lockdep_assert_held(&kvmmem_lock);
	c = chunk_lookup(current->mm, intro_gpa >> PAGE_SHIFT);
	if (!c || c->intro != vcpu->kvm)
		return -EFAULT;
	first = (intro_gpa >> PAGE_SHIFT) - c->igfn;
	if (first + n > SLOTS)
		return -EINVAL;
	if (find_next_zero_bit(c->used, first + n, first) < first + n)
		return -ENOENT;
	if (kvmmem_inject_unmap_failure(intro_gpa))
		return -EIO;
	chunk_lost(c, empty_slots(c, first, first + n, 0, 0, true));
	c->nr_used -= n;
	kvmmem_stat_add(KVMMEM_STAT_LIVE, -(long long)n);
	return 0;
}

/* Unlink @c and empty it; the caller puts the table's reference. */
static void chunk_unlink(struct kvmmem_chunk *c)
{
	hash_del(&c->hnode);
	nr_chunks--;
	kvmmem_stat_dec(KVMMEM_STAT_CHUNKS);
	chunk_lost(c, empty_slots(c, 0, SLOTS, 0, 0, true));
	kvmmem_stat_add(KVMMEM_STAT_LIVE, -(long long)c->nr_used);
	c->nr_used = 0;
}

/*
 * Unlink @c and give its range RAM again, if our overlay is still what is
 * mapped there: the VMM may have put memory of its own there since, which
 * is never overwritten. Runs in the introspector's VMM.
 */
static long chunk_unregister(struct kvmmem_chunk *c)
{
	long ret;

	chunk_unlink(c);
	ret = kvmmem_backing_restore_ours(c->mm, c->ihva, KVMMEM_WINDOW_CHUNK,
					  &chunk_vm_ops, c, &c->restore, false);
	chunk_put(c);
	return ret;
}

static struct kvmmem_chunk *chunk_alloc(void)
{
	struct kvmmem_chunk *c;

	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return NULL;
	c->slot = kcalloc(SLOTS, sizeof(*c->slot), GFP_KERNEL_ACCOUNT);
	if (!c->slot)
		goto out_free_chunk;
	c->home = alloc_page(GFP_KERNEL_ACCOUNT);
	if (!c->home)
		goto out_free_slots;
	kvmmem_fill_revoked(c->home);
	c->bytes = ksize(c) + ksize(c->slot) + PAGE_SIZE;
	kref_init(&c->ref);
	mutex_init(&c->lock);
	INIT_WORK(&c->free_work, chunk_free_work);
	INIT_WORK(&c->sync_work, chunk_sync_work);
	c->watch[0].c = c;
	c->watch[1].c = c;
	return c;

out_free_slots:
	kfree(c->slot);
out_free_chunk:
	kfree(c);
	return NULL;
}

static long chunk_register(struct kvm_vcpu *vcpu, u64 gpa)
{
	u64 igfn = gpa >> PAGE_SHIFT;
	struct kvm_memory_slot *slot;
	struct kvmmem_chunk *c;
	unsigned long addr;
	struct file *file;
	long ret;

	if (chunk_lookup(current->mm, igfn))
		return -EEXIST;
	/* the vCPU thread holds kvm->srcu here */
	slot = gfn_to_memslot(vcpu->kvm, igfn);
	if (!kvm_is_visible_memslot(slot) || slot->flags & KVM_MEM_READONLY ||
	    igfn + SLOTS - slot->base_gfn > slot->npages)
		return -EFAULT;
	if (!try_module_get(THIS_MODULE))
		return -ENODEV;
	c = chunk_alloc();
	if (!c) {
		module_put(THIS_MODULE);
		return -ENOMEM;
	}
	kvmmem_stat_add(KVMMEM_STAT_WINDOW_BYTES, c->bytes);
	c->intro = vcpu->kvm;
	c->mm = current->mm;
	mmgrab(c->mm);
	c->igfn = igfn;
	c->ihva = gfn_to_hva_memslot(slot, igfn);

	/* from here on the release undoes everything */
	ret = kvmmem_backing_save(c->mm, c->ihva, KVMMEM_WINDOW_CHUNK, &c->restore);
	if (ret)
		goto out_put;
	file = anon_inode_getfile("[kvmmem-window]", &chunk_fops, c, O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto out_put;
	}
	addr = vm_mmap(file, c->ihva, KVMMEM_WINDOW_CHUNK, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, 0);
	fput(file);
	if (IS_ERR_VALUE(addr)) {
		/* MAP_FIXED may have dropped the old pages: put RAM back */
		kvmmem_backing_restore(c->ihva, KVMMEM_WINDOW_CHUNK, &c->restore);
		ret = addr;
		goto out_put;
	}
	hash_add(chunk_table, &c->hnode, chunk_hash(c->mm, igfn));
	nr_chunks++;
	kvmmem_stat_inc(KVMMEM_STAT_CHUNKS);
	return 0;

out_put:
	chunk_put(c);
	return ret;
}

/**
 * kvmmem_window_chunk() - KVM_HC_MEM_WINDOW: register or unregister a chunk
 * @vcpu: the introspector's vCPU; we run in its thread
 * @gpa: the chunk's gpa
 * @a1: KVMMEM_WINDOW_CHUNK_PAGES to register, 0 to unregister
 * @a2: must be 0
 *
 * Takes kvmmem_lock.
 *
 * Return: as documented in the uapi header.
 */
long kvmmem_window_chunk(struct kvm_vcpu *vcpu, u64 gpa, u64 a1, u64 a2)
{
	struct kvmmem_chunk *c;
	long ret;

	if (mutex_lock_killable(&kvmmem_lock))
		return -EINTR;
	ret = -KVM_ENOSYS;
	if (!kvmmem_grant_holder(vcpu->kvm) &&
	    (a1 || !kvmmem_window_has_chunks(vcpu->kvm)))
		goto out_unlock;
	ret = -EINVAL;
	if (a2 || (a1 && a1 != SLOTS) || !IS_ALIGNED(gpa, KVMMEM_WINDOW_CHUNK))
		goto out_unlock;
	if (a1) {
		ret = chunk_register(vcpu, gpa);
		goto out_unlock;
	}
	c = chunk_lookup(current->mm, gpa >> PAGE_SHIFT);
	ret = -EFAULT;
	if (!c || c->intro != vcpu->kvm)
		goto out_unlock;
	ret = chunk_unregister(c);
out_unlock:
	mutex_unlock(&kvmmem_lock);
	if (ret && ret != -KVM_ENOSYS)
		pr_warn_ratelimited("%s: window chunk at gpa %#llx refused: %ld\n",
				    vcpu->kvm->stats_id, gpa, ret);
	return ret;
}

/**
 * kvmmem_window_revoke_grant() - revoke every slot filled under a grant
 * @g: the grant, being killed
 *
 * kvmmem_lock held.
 */
void kvmmem_window_revoke_grant(struct kvmmem_grant *g)
{
	struct kvmmem_chunk *c;
	int bkt;

	lockdep_assert_held(&kvmmem_lock);
	hash_for_each(chunk_table, bkt, c, hnode)
		if (c->grant == g)
			chunk_revoke(c, 0, ULONG_MAX);
}

/**
 * kvmmem_window_revoke_range() - revoke slots that show a target hva range
 * @target: the target VM
 * @hva: start of the range in its VMM
 * @len: length
 * @rw_only: only slots of read-write grants
 *
 * kvmmem_lock held.
 *
 * Return: how many slots were revoked.
 */
int kvmmem_window_revoke_range(struct kvm *target, unsigned long hva,
			       unsigned long len, bool rw_only)
{
	struct kvmmem_chunk *c;
	int bkt, n = 0;

	lockdep_assert_held(&kvmmem_lock);
	hash_for_each(chunk_table, bkt, c, hnode)
		if (c->grant && c->grant->target == target &&
		    (c->writable || !rw_only))
			n += chunk_revoke(c, hva, hva + len);
	return n;
}

/**
 * kvmmem_window_reset() - unregister every chunk of a resetting introspector
 * @intro: the VM; we run in its VMM
 *
 * kvmmem_lock held.
 */
void kvmmem_window_reset(struct kvm *intro)
{
	struct hlist_node *tmp;
	struct kvmmem_chunk *c;
	int bkt;

	lockdep_assert_held(&kvmmem_lock);
	hash_for_each_safe(chunk_table, bkt, tmp, c, hnode)
		if (c->intro == intro && c->mm == current->mm &&
		    chunk_unregister(c))
			pr_warn_ratelimited("%s: vCPU reset: RAM of a window chunk not restored\n",
					    intro->stats_id);
}

/**
 * kvmmem_window_vm_released() - forget every chunk of a released VM
 * @intro: the VM; its grants have ended
 *
 * Chunks in the current VMM are unregistered (RAM restored), others are
 * emptied and leave the table; their overlays read the revoked pattern
 * until their VMM unmaps them. kvmmem_lock held.
 */
void kvmmem_window_vm_released(struct kvm *intro)
{
	struct hlist_node *tmp;
	struct kvmmem_chunk *c;
	int bkt;

	lockdep_assert_held(&kvmmem_lock);
	hash_for_each_safe(chunk_table, bkt, tmp, c, hnode) {
		if (c->intro != intro)
			continue;
		if (c->mm == current->mm) {
			chunk_unregister(c);
			continue;
		}
		chunk_unlink(c);
		chunk_put(c);
	}
}

/**
 * kvmmem_window_reap() - forget the chunks of introspectors that are gone
 *
 * kvmmem_lock held.
 */
void kvmmem_window_reap(void)
{
	struct hlist_node *tmp;
	struct kvmmem_chunk *c;
	int bkt;

	lockdep_assert_held(&kvmmem_lock);
	hash_for_each_safe(chunk_table, bkt, tmp, c, hnode) {
		if (atomic_read(&c->mm->mm_users))
			continue;
		chunk_unlink(c);
		chunk_put(c);
	}
}

/**
 * kvmmem_window_has_chunks() - has this introspector window chunks?
 * @intro: the VM
 *
 * Return: true if it has. kvmmem_lock held.
 */
bool kvmmem_window_has_chunks(struct kvm *intro)
{
	struct kvmmem_chunk *c;
	int bkt;

	lockdep_assert_held(&kvmmem_lock);
	hash_for_each(chunk_table, bkt, c, hnode)
		if (c->intro == intro)
			return true;
	return false;
}

/**
 * kvmmem_window_busy() - are there chunks left?
 *
 * Return: true if any chunk is registered. kvmmem_lock held.
 */
bool kvmmem_window_busy(void)
{
	return nr_chunks;
}

/**
 * kvmmem_window_init() - create the window's workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int kvmmem_window_init(void)
{
	window_wq = alloc_workqueue("kvmmem_window", 0, 0);
	return window_wq ? 0 : -ENOMEM;
}

/**
 * kvmmem_window_uninit() - wait for queued work (module unload)
 *
 * A release drops its module reference as its last step.
 */
void kvmmem_window_uninit(void)
{
	destroy_workqueue(window_wq);
}
