// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: the remap engine.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/highmem.h>
#include <linux/hugetlb.h>
#include <linux/kvm_host.h>
#include <linux/mman.h>
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

/**
 * DOC: Remap engine, theory of operation
 *
 * KVM builds the introspector's NPT/EPT entries from its VMM's page tables:
 * gpa -> memslot -> hva in the VMM's mm -> pfn. We change the last step
 * only, with exported interfaces, and never touch KVM's page tables or
 * another process's anonymous PTEs.
 *
 * Map (in the introspector's vCPU thread, so current->mm is its VMM's mm):
 *
 * 1. The target gpa must lie in an ordinary, writable user memslot of the
 *    target. Its hva is resolved under the target's SRCU and the page is
 *    held in the target's mm (see "Holding the target page"), with the
 *    target's mmap_lock held only for that. A transparent huge page
 *    there is split first (see hold.c). A gpa whose hva is itself an
 *    overlay is refused (no chaining). kvm_read_guest(), gfn_to_page() and
 *    friends are never used for the target: they work on current->mm.
 * 2. The introspector gpa must lie in its ordinary RAM, not hugetlb. We
 *    remember what backs its hva (anonymous, or a file at an offset).
 * 3. A file of our own is mapped over that hva with MAP_FIXED. Its VMA is
 *    VM_PFNMAP (special PTEs: no rmap, no refcount) and its fault handler
 *    inserts the pinned page's pfn. The MAP_FIXED unmap of the old page
 *    fires the introspector's MMU notifier, so KVM zaps its SPTE; on the next
 *    guest access KVM's own fault path (hva_to_pfn_remapped, written for
 *    VM_PFNMAP memory) calls our fault handler and maps the target's
 *    physical page, 4K, write-back. A read-only grant maps the file
 *    read-only and without VM_MAYWRITE, so the host view is read-only too.
 *
 * Holding the target page: see hold.c. A read-write grant pins it, a
 * read-only grant takes a plain reference that does not disturb the target.
 *
 * Coherence with the target: the hold keeps the page alive, but the target's
 * VMM may still drop or replace what backs its hva (a balloon's
 * MADV_DONTNEED, munmap, mremap). Each mapping registers an
 * mmu_interval_notifier on the target's mm over its one page. The callback
 * never sleeps and never touches the introspector: it only queues the
 * mapping's sync work. That work waits for the invalidation to end
 * (mmu_interval_read_begin), pins whatever backs the hva now and, if that is
 * another page, zaps our PTE (KVM drops its SPTE), swaps the page and unpins
 * the old one. Most invalidations (mprotect, a failed THP collapse, a split)
 * leave the same page there, and the work then does nothing. In between,
 * the introspector reads the old page, which stays held, so it is stale
 * for a moment but never freed memory; debugfs stale_last_us and
 * stale_max_us give that moment, from the invalidation to the switch. If
 * the target has no memory there any more, the mapping is revoked.
 *
 * Unmap first makes the mapping harmless, as a revoke does (our PTE zapped,
 * the page unpinned, marked dirty if the grant was writable: a special PTE
 * never passes its dirty bit to the page), and only then restores the hva's
 * old backing with another MAP_FIXED mapping, which unmaps the overlay. That
 * restore can fail (vm.max_map_count, an LSM, memory): the mapping then
 * stays in the table, revoked, and the unmap answers the error, so nothing
 * of the target stays reachable and a later unmap, reset or exit still
 * finds it. A restore never overwrites what the VMM itself mapped at the
 * hva since.
 *
 * Revoke (revoke, expiry, VM exit; from any context) keeps the overlay VMA
 * but switches it to a private "home" page filled with the documented
 * revoked pattern: under the introspector's mmap_lock (read) and the
 * mapping's mutex it clears the target page, zaps our PTE (KVM zaps the
 * SPTE through its notifier) and only then unpins. The fault handler takes
 * the same mutex, so it can never insert a page that is being unpinned.
 * The introspector's accesses then read the pattern and writes land in the
 * home page; its VM never stops. Its next unmap hypercall restores RAM.
 *
 * Lifetime: a mapping is referenced by the table and by its VMA. The VMA's
 * close may run under mmap_lock, so the last reference only queues the
 * release (unpin, free, drop the mm) to a worker. Overlay files pin the
 * module, so it cannot be unloaded while an overlay exists.
 *
 * Locks: kvmmem_lock, then at most one mmap_lock (never two), then a
 * mapping's mutex.
 */

struct kvmmem_map {
	struct kref ref;
	struct hlist_node hnode;
	struct list_head gnode;
	struct kvmmem_grant *grant;
	struct kvm *intro;
	struct mm_struct *mm;
	unsigned long ihva;
	u64 igfn;
	u64 tgfn;
	struct mutex lock;		/* page vs. the fault handler */
	struct page *page;		/* pinned target page, NULL once revoked */
	struct page *home;		/* backs the overlay once revoked */
	struct mmu_interval_notifier tnotif;	/* on the target's hva */
	u64 inval_ns;			/* first invalidation not yet synced */
	unsigned long thva;
	bool tnotif_live;
	struct work_struct sync_work;
	struct kvmmem_backing restore;
	bool writable;
	bool restore_failed;		/* an unmap could not restore RAM */
	struct work_struct free_work;
};

static DEFINE_HASHTABLE(map_table, 10);
static struct workqueue_struct *release_wq;
static unsigned long nr_maps;		/* in map_table; kvmmem_lock */
static const struct vm_operations_struct overlay_vm_ops;
static void map_sync_work(struct work_struct *work);

static u32 map_hash(struct mm_struct *mm, u64 igfn)
{
	return hash_64((u64)(unsigned long)mm ^ igfn, 10);
}

static struct kvmmem_map *map_lookup(struct mm_struct *mm, u64 igfn)
{
	struct kvmmem_map *m;

	hash_for_each_possible(map_table, m, hnode, map_hash(mm, igfn))
		if (m->mm == mm && m->igfn == igfn)
			return m;
	return NULL;
}

static void map_free_work(struct work_struct *work)
{
	struct kvmmem_map *m = container_of(work, struct kvmmem_map, free_work);

	if (m->tnotif_live)
		mmu_interval_notifier_remove(&m->tnotif);
	if (m->page)
		kvmmem_drop_page(m->page, m->writable, m->writable);
	__free_page(m->home);
	kvmmem_backing_put(&m->restore);
	mmdrop(m->mm);
	kfree(m);
	module_put(THIS_MODULE);
}

static void map_release(struct kref *ref)
{
	struct kvmmem_map *m = container_of(ref, struct kvmmem_map, ref);

	queue_work(release_wq, &m->free_work);
}

static void map_put(struct kvmmem_map *m)
{
	kref_put(&m->ref, map_release);
}

/* kvmmem_lock held: take @m off its grant's list. */
static void map_leave_grant(struct kvmmem_map *m)
{
	if (m->grant) {
		list_del(&m->gnode);
		m->grant->mapped--;
		m->grant = NULL;
	}
}

/* kvmmem_lock held: take @m out of the table and off its grant. */
static void map_unlink(struct kvmmem_map *m)
{
	lockdep_assert_held(&kvmmem_lock);
	hash_del(&m->hnode);
	nr_maps--;
	kvmmem_stat_dec(KVMMEM_STAT_LIVE);
	map_leave_grant(m);
}

static vm_fault_t overlay_fault(struct vm_fault *vmf)
{
	struct kvmmem_map *m = vmf->vma->vm_private_data;
	vm_fault_t ret;

	mutex_lock(&m->lock);
	ret = vmf_insert_pfn(vmf->vma, vmf->address,
			     page_to_pfn(m->page ?: m->home));
	mutex_unlock(&m->lock);
	kvmmem_stat_stack();
	return ret;
}

static void overlay_open(struct vm_area_struct *vma)
{
	struct kvmmem_map *m = vma->vm_private_data;

	kref_get(&m->ref);
}

static void overlay_close(struct vm_area_struct *vma)
{
	map_put(vma->vm_private_data);
}

/**
 * kvmmem_overlay_may_split() - vm_ops: an overlay is never split
 * @vma: the overlay
 * @addr: where
 *
 * Return: -EINVAL.
 */
int kvmmem_overlay_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

/**
 * kvmmem_overlay_mremap() - vm_ops: an overlay never moves
 * @vma: the overlay
 *
 * Return: -EINVAL.
 */
int kvmmem_overlay_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static const struct vm_operations_struct overlay_vm_ops = {
	.open		= overlay_open,
	.close		= overlay_close,
	.fault		= overlay_fault,
	.may_split	= kvmmem_overlay_may_split,
	.mremap		= kvmmem_overlay_mremap,
};

static int overlay_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kvmmem_map *m = file->private_data;

	/* Only our own MAP_FIXED of exactly one page at the recorded hva. */
	if (vma->vm_mm != m->mm || vma->vm_start != m->ihva ||
	    vma->vm_pgoff || vma_pages(vma) != 1)
		return -EINVAL;
	kvmmem_vma_set_flags(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND |
			     VM_DONTDUMP | VM_DONTCOPY, 0);
	vma->vm_private_data = m;
	vma->vm_ops = &overlay_vm_ops;
	kref_get(&m->ref);
	return 0;
}

static const struct file_operations overlay_fops = {
	.owner	= THIS_MODULE,
	.mmap	= overlay_mmap,
};

static const struct mmu_interval_notifier_ops target_notifier_ops;

/*
 * Resolve and pin the target page. No lock of the introspector is held.
 *
 * The notifier goes in first, so a change after the hold always gets a
 * resync. An invalidation already under way when it goes in is never
 * delivered to it, and could remove the very page we take: so the hold is
 * made inside mmu_interval_read_begin()/mmu_interval_read_retry(), which
 * waits for such an invalidation to end and takes the page again after
 * any that overlapped. Then the gfn must still name that hva.
 */
static long pin_target(struct kvmmem_map *m, struct kvm *target)
{
	unsigned long seq;
	long ret;
	int tries;

	ret = kvmmem_target_hvas(target, m->tgfn, 1, m->writable, &m->thva);
	if (ret)
		return ret;
	if (!mmget_not_zero(target->mm))
		return -ENXIO;
	ret = mmu_interval_notifier_insert(&m->tnotif, target->mm, m->thva,
					   PAGE_SIZE, &target_notifier_ops);
	if (ret)
		goto out_mmput;
	m->tnotif_live = true;
	for (tries = 0; ; tries++) {
		seq = mmu_interval_read_begin(&m->tnotif);
		ret = kvmmem_hold(target->mm, m->thva, 1, m->writable, &m->page);
		if (ret)
			break;
		if (!mmu_interval_read_retry(&m->tnotif, seq))
			break;
		kvmmem_drop_page(m->page, m->writable, false);
		kvmmem_stat_inc(KVMMEM_STAT_HOLD_RETRIES);
		if (tries == KVMMEM_HOLD_RETRIES) {
			ret = -EBUSY;
			break;
		}
	}
	if (!ret && !kvmmem_target_binds(target, m->tgfn, 1, m->writable,
					 &m->thva)) {
		kvmmem_drop_page(m->page, m->writable, false);
		ret = -ENXIO;
	}
	if (ret)
		m->page = NULL;
out_mmput:
	mmput(target->mm);
	return ret;
}

static void unpin_target(struct kvmmem_map *m)
{
	kvmmem_drop_page(m->page, m->writable, m->writable);
	m->page = NULL;
}

/*
 * What a VMM's madvise() set on its RAM (QEMU: MADV_HUGEPAGE, MADV_DONTFORK,
 * MADV_DONTDUMP) and a restored range must keep. VM_MERGEABLE is not among
 * them: KSM keeps state of its own, so a restored page is not merged.
 */
#define KEPT_FLAGS	(VM_HUGEPAGE | VM_NOHUGEPAGE | VM_DONTCOPY | VM_DONTDUMP)

/* Can @vma's memory at @addr be part of the range that @b describes? */
static long backing_fits(struct vm_area_struct *vma, unsigned long addr,
			 unsigned long hva, const struct kvmmem_backing *b)
{
	const vm_flags_t same = VM_READ | VM_WRITE | VM_EXEC | VM_SHARED;

	if (kvmmem_vma_ours(vma))
		return -EEXIST;
	if (is_vm_hugetlb_page(vma) ||
	    vma->vm_flags & (VM_IO | VM_PFNMAP | VM_MIXEDMAP) ||
	    vma->vm_file != b->file || (vma->vm_flags & same) != b->same)
		return -EOPNOTSUPP;
	/* a file must go on at the next offset */
	if (b->file && vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT) !=
	    b->pgoff + ((addr - hva) >> PAGE_SHIFT))
		return -EOPNOTSUPP;
	return 0;
}

/**
 * kvmmem_backing_save() - remember what backs an introspector's RAM range
 * @mm: the introspector VMM's mm
 * @hva: start of the range
 * @len: its length
 * @b: out: what to map back later; kvmmem_backing_put() when done
 *
 * The range may span several VMAs (earlier overlays split the RAM's VMA)
 * as long as they map the same thing the same way: anonymous memory, or
 * one file at consecutive offsets, with the same protection.
 *
 * Return: 0, -EFAULT (a hole in the range), -EEXIST (one of our overlays)
 * or -EOPNOTSUPP (hugetlb, I/O or pfn memory, or different backings).
 */
long kvmmem_backing_save(struct mm_struct *mm, unsigned long hva,
			 unsigned long len, struct kvmmem_backing *b)
{
	struct vm_area_struct *vma;
	unsigned long addr = hva;
	long ret = -EFAULT;

	memset(b, 0, sizeof(*b));
	mmap_read_lock(mm);
	vma = vma_lookup(mm, hva);
	if (!vma)
		goto out_unlock;
	b->same = vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC | VM_SHARED);
	b->shared = vma->vm_flags & VM_SHARED;
	b->flags = vma->vm_flags & KEPT_FLAGS;
	b->prot = (vma->vm_flags & VM_READ ? PROT_READ : 0) |
		  (vma->vm_flags & VM_WRITE ? PROT_WRITE : 0) |
		  (vma->vm_flags & VM_EXEC ? PROT_EXEC : 0);
	b->file = vma->vm_file;
	if (b->file)
		b->pgoff = vma->vm_pgoff + ((hva - vma->vm_start) >> PAGE_SHIFT);
	for (; vma && vma->vm_start <= addr; vma = vma_lookup(mm, addr)) {
		ret = backing_fits(vma, addr, hva, b);
		if (ret || vma->vm_end >= hva + len)
			break;
		addr = vma->vm_end;
		ret = -EFAULT;
	}
	if (!ret && b->file)
		get_file(b->file);
	if (ret)
		b->file = NULL;
out_unlock:
	mmap_read_unlock(mm);
	return ret;
}

/**
 * kvmmem_backing_restore() - map a saved backing over a range again
 * @hva: start of the range, in current->mm
 * @len: its length
 * @b: what kvmmem_backing_save() found there
 *
 * Runs in the introspector's VMM: the MAP_FIXED mapping replaces whatever
 * is there (our overlay), and KVM zaps its SPTEs through its notifier.
 *
 * Return: 0 or the negative errno of vm_mmap().
 */
long kvmmem_backing_restore(unsigned long hva, unsigned long len,
			    const struct kvmmem_backing *b)
{
	unsigned long addr, flags = MAP_FIXED;
	struct vm_area_struct *vma;

	if (b->file)
		flags |= b->shared ? MAP_SHARED : MAP_PRIVATE;
	else
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
	addr = vm_mmap(b->file, hva, len, b->prot, flags,
		       (unsigned long)b->pgoff << PAGE_SHIFT);
	if (IS_ERR_VALUE(addr)) {
		pr_warn_ratelimited("cannot restore RAM at hva %#lx: %ld\n",
				    hva, (long)addr);
		return addr;
	}
	if (b->flags) {
		mmap_write_lock(current->mm);
		vma = vma_lookup(current->mm, hva);
		if (vma && vma->vm_file == b->file)
			kvmmem_vma_set_flags(vma, b->flags, 0);
		mmap_write_unlock(current->mm);
	}
	return 0;
}

/**
 * kvmmem_backing_put() - drop what kvmmem_backing_save() took
 * @b: the backing
 */
void kvmmem_backing_put(struct kvmmem_backing *b)
{
	if (b->file)
		fput(b->file);
	b->file = NULL;
}

/* Check the introspector's side and remember what backs its hva. */
static long prepare_intro(struct kvmmem_map *m, struct kvm_vcpu *vcpu)
{
	struct kvm_memory_slot *slot;

	/* the vCPU thread holds kvm->srcu here */
	slot = gfn_to_memslot(vcpu->kvm, m->igfn);
	if (!kvm_is_visible_memslot(slot) || slot->flags & KVM_MEM_READONLY)
		return -EFAULT;
	m->ihva = gfn_to_hva_memslot(slot, m->igfn);
	return kvmmem_backing_save(m->mm, m->ihva, PAGE_SIZE, &m->restore);
}

/**
 * kvmmem_backing_restore_ours() - restore a range only where it is still ours
 * @mm: the introspector VMM's mm, current->mm
 * @hva: start of the range
 * @len: its length
 * @ops: the vm_ops of our overlay there
 * @priv: its vm_private_data
 * @b: what kvmmem_backing_save() found there
 * @hole: also restore where nothing is mapped at all (an earlier restore
 *	failed, perhaps after its MAP_FIXED had unmapped the overlay)
 *
 * The VMM may have put something else at @hva since (munmap, then a new
 * mapping): that is its memory now, and is never overwritten.
 *
 * Return: 0 (restored, or not ours any more) or the negative errno of the
 * restore.
 */
long kvmmem_backing_restore_ours(struct mm_struct *mm, unsigned long hva,
				 unsigned long len,
				 const struct vm_operations_struct *ops,
				 const void *priv, const struct kvmmem_backing *b,
				 bool hole)
{
	struct vm_area_struct *vma;
	bool ours;

	if (current->mm != mm)
		return 0;
	mmap_read_lock(mm);
	vma = find_vma_intersection(mm, hva, hva + len);
	if (!vma)
		ours = hole;
	else
		ours = vma->vm_ops == ops && vma->vm_private_data == priv &&
		       vma->vm_start == hva && vma->vm_end == hva + len;
	mmap_read_unlock(mm);
	return ours ? kvmmem_backing_restore(hva, len, b) : 0;
}

/* Restore the hva if our overlay for @m is still what backs it. */
static long uninstall_overlay(struct kvmmem_map *m)
{
	return kvmmem_backing_restore_ours(m->mm, m->ihva, PAGE_SIZE,
					   &overlay_vm_ops, m, &m->restore,
					   m->restore_failed);
}

static long install_overlay(struct kvmmem_map *m)
{
	unsigned long addr;
	struct file *file;

	file = anon_inode_getfile("[kvmmem-overlay]", &overlay_fops, m,
				  m->writable ? O_RDWR : O_RDONLY);
	if (IS_ERR(file))
		return PTR_ERR(file);
	addr = vm_mmap(file, m->ihva, PAGE_SIZE,
		       PROT_READ | (m->writable ? PROT_WRITE : 0),
		       MAP_SHARED | MAP_FIXED, 0);
	fput(file);
	if (IS_ERR_VALUE(addr)) {
		/* MAP_FIXED may have dropped the old page: put RAM back */
		kvmmem_backing_restore(m->ihva, PAGE_SIZE, &m->restore);
		return addr;
	}
	return 0;
}

/**
 * kvmmem_remap_map() - back an introspector gpa by a target page
 * @vcpu: the introspector's vCPU; we run in its thread
 * @g: the grant, checked by the caller
 * @target_gpa: page-aligned target gpa, inside the grant's range
 * @intro_gpa: page-aligned introspector gpa
 *
 * Called with kvmmem_lock held.
 *
 * Return: KVMMEM_MAP_RO or KVMMEM_MAP_RW, or a negative errno as documented
 * in the uapi header.
 */
long kvmmem_remap_map(struct kvm_vcpu *vcpu, struct kvmmem_grant *g,
		      u64 target_gpa, u64 intro_gpa)
{
	struct kvmmem_map *m;
	long ret;

	lockdep_assert_held(&kvmmem_lock);
	if (map_lookup(current->mm, intro_gpa >> PAGE_SHIFT))
		return -EEXIST;
	if (g->mapped >= g->max_pages)
		return -EDQUOT;
	if (!try_module_get(THIS_MODULE))
		return -ENODEV;

	ret = -ENOMEM;
	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		goto out_module;
	m->home = alloc_page(GFP_KERNEL_ACCOUNT);
	if (!m->home)
		goto out_free_map;
	kref_init(&m->ref);
	mutex_init(&m->lock);
	INIT_WORK(&m->free_work, map_free_work);
	INIT_WORK(&m->sync_work, map_sync_work);
	m->intro = vcpu->kvm;
	m->mm = current->mm;
	mmgrab(m->mm);
	m->igfn = intro_gpa >> PAGE_SHIFT;
	m->tgfn = target_gpa >> PAGE_SHIFT;
	m->writable = g->flags & KVMMEM_GRANT_WRITE;

	ret = pin_target(m, g->target);
	if (ret)
		goto out_release;
	ret = prepare_intro(m, vcpu);
	if (ret)
		goto out_release;
	ret = install_overlay(m);
	if (ret)
		goto out_release;

	hash_add(map_table, &m->hnode, map_hash(m->mm, m->igfn));
	nr_maps++;
	list_add(&m->gnode, &g->maps);
	m->grant = g;
	g->mapped++;
	g->maps_total++;
	kvmmem_stat_inc(KVMMEM_STAT_LIVE);
	return m->writable ? KVMMEM_MAP_RW : KVMMEM_MAP_RO;

out_release:
	/* the worker unpins, frees and drops the module reference */
	map_put(m);
	return ret;
out_free_map:
	kfree(m);
out_module:
	module_put(THIS_MODULE);
	return ret;
}

/**
 * kvmmem_fill_revoked() - fill a home page with the revoked pattern
 * @page: the page
 *
 * What a revoked mapping or an empty window slot reads
 * (KVMMEM_REVOKED_PATTERN, repeated).
 */
void kvmmem_fill_revoked(struct page *page)
{
	void *p = kmap_local_page(page);
	int i;

	for (i = 0; i < PAGE_SIZE; i += sizeof(KVMMEM_REVOKED_PATTERN) - 1)
		memcpy(p + i, KVMMEM_REVOKED_PATTERN,
		       sizeof(KVMMEM_REVOKED_PATTERN) - 1);
	kunmap_local(p);
}

/*
 * Switch @m's overlay to its home page, which reads as the revoked pattern,
 * and unpin. @notify: a revocation the introspector did not ask for, which
 * its status page counts. kvmmem_lock held.
 */
static void revoke_map(struct kvmmem_map *m, bool notify)
{
	struct vm_area_struct *vma;

	kvmmem_fill_revoked(m->home);
	if (notify)
		kvmmem_status_revoking(m->intro);

	if (!mmget_not_zero(m->mm))
		return;		/* exit_mmap zaps; the release unpins */
	mmap_read_lock(m->mm);
	vma = vma_lookup(m->mm, m->ihva);
	mutex_lock(&m->lock);
	if (vma && vma->vm_ops == &overlay_vm_ops && vma->vm_private_data == m)
		zap_vma_ptes(vma, m->ihva, PAGE_SIZE);
	if (m->page)
		unpin_target(m);
	mutex_unlock(&m->lock);
	mmap_read_unlock(m->mm);
	mmput(m->mm);
	if (notify)
		kvmmem_stat_inc(KVMMEM_STAT_REVOKED);
}

/*
 * Give @m's hva its RAM back, in the introspector's VMM. First the mapping
 * is made harmless, before anything can fail: off its grant, our PTE gone,
 * the target page let go, the home page in place. If RAM cannot be put
 * back (vm.max_map_count, an LSM, memory), @m stays in the table, revoked,
 * so that a later unmap, a reset or the VMM's exit still finds it, and the
 * error is returned. kvmmem_lock held.
 */
static long unmap_one(struct kvmmem_map *m)
{
	long ret;

	map_leave_grant(m);
	if (m->page)
		revoke_map(m, false);
	ret = uninstall_overlay(m);
	if (ret) {
		m->restore_failed = true;
		return ret;
	}
	map_unlink(m);
	map_put(m);
	return 0;
}

/**
 * kvmmem_remap_unmap() - give an introspector gpa its own memory back
 * @vcpu: the introspector's vCPU; we run in its thread
 * @intro_gpa: the gpa
 *
 * Called with kvmmem_lock held.
 *
 * Return: 0, -EINVAL, -ENOENT, the negative errno of a restore that failed
 * (the page then reads as the revoked pattern; see unmap_one()), or -EIO,
 * injected by a test.
 */
long kvmmem_remap_unmap(struct kvm_vcpu *vcpu, u64 intro_gpa)
{
	struct kvmmem_map *m;

	lockdep_assert_held(&kvmmem_lock);
	if (!PAGE_ALIGNED(intro_gpa))
		return -EINVAL;
	m = map_lookup(current->mm, intro_gpa >> PAGE_SHIFT);
	if (!m || m->intro != vcpu->kvm)
		return -ENOENT;
	if (kvmmem_inject_unmap_failure(intro_gpa))
		return -EIO;
	return unmap_one(m);
}

/**
 * kvmmem_remap_has_maps() - does this introspector have page mappings?
 * @intro: the VM
 *
 * Return: true if it has, revoked ones included (window chunks are
 * window.c's). kvmmem_lock held.
 */
bool kvmmem_remap_has_maps(struct kvm *intro)
{
	struct kvmmem_map *m;
	int bkt;

	lockdep_assert_held(&kvmmem_lock);
	hash_for_each(map_table, bkt, m, hnode)
		if (m->intro == intro)
			return true;
	return false;
}

static bool target_invalidate(struct mmu_interval_notifier *sub,
			      const struct mmu_notifier_range *range,
			      unsigned long cur_seq)
{
	struct kvmmem_map *m = container_of(sub, struct kvmmem_map, tnotif);

	mmu_interval_set_seq(sub, cur_seq);
	/* the target is exiting: the reaper ends the grant */
	if (range->event == MMU_NOTIFY_RELEASE)
		return true;
	/* racy by design: a measurement, and only the first one counts */
	if (!READ_ONCE(m->inval_ns))
		WRITE_ONCE(m->inval_ns, ktime_get_ns());
	if (kref_get_unless_zero(&m->ref) &&
	    !queue_work(release_wq, &m->sync_work))
		map_put(m);
	return true;
}

static const struct mmu_interval_notifier_ops target_notifier_ops = {
	.invalidate = target_invalidate,
};

/*
 * Follow the target: pin what backs its hva now and, if that changed, point
 * the overlay at it. See the DOC block. Runs in release_wq, holding a
 * reference that the notifier took.
 */
static void map_sync_work(struct work_struct *work)
{
	struct kvmmem_map *m = container_of(work, struct kvmmem_map, sync_work);
	struct mm_struct *tmm = m->tnotif.mm;
	struct vm_area_struct *vma;
	struct page *page, *old;
	u64 since;
	long ret;

	since = xchg(&m->inval_ns, 0);
	mutex_lock(&kvmmem_lock);
	/*
	 * Unmapped, revoked, or the target is going. A grant that ended while
	 * the introspector's mm was already gone (its exit, before the
	 * release or the reaper unlinks the mapping) leaves the page pinned
	 * but no grant: nothing to follow then either.
	 */
	if (hlist_unhashed(&m->hnode) || !m->grant || !m->page ||
	    !mmget_not_zero(tmm))
		goto out_unlock;
	mmu_interval_read_begin(&m->tnotif);
	ret = kvmmem_hold(tmm, m->thva, 1, m->writable, &page);
	mmput(tmm);
	/* the gfn may name other memory now (a memslot change) */
	if (!ret && !kvmmem_target_binds(m->grant->target, m->tgfn, 1,
					 m->writable, &m->thva)) {
		kvmmem_drop_page(page, m->writable, false);
		ret = -ENXIO;
	}
	if (ret) {
		pr_info_ratelimited("%s: target page at hva %#lx is gone (%ld): mapping revoked\n",
				    m->intro->stats_id, m->thva, ret);
		map_leave_grant(m);
		revoke_map(m, true);
		goto out_unlock;
	}
	old = page;
	if (page != m->page && mmget_not_zero(m->mm)) {
		mmap_read_lock(m->mm);
		vma = vma_lookup(m->mm, m->ihva);
		mutex_lock(&m->lock);
		if (vma && vma->vm_ops == &overlay_vm_ops &&
		    vma->vm_private_data == m)
			zap_vma_ptes(vma, m->ihva, PAGE_SIZE);
		old = m->page;
		m->page = page;
		mutex_unlock(&m->lock);
		mmap_read_unlock(m->mm);
		mmput(m->mm);
		kvmmem_stat_inc(KVMMEM_STAT_RESYNCS);
		if (since)
			kvmmem_stat_stale(ktime_get_ns() - since);
	}
	kvmmem_drop_page(old, m->writable, m->writable && old != page);
out_unlock:
	mutex_unlock(&kvmmem_lock);
	map_put(m);
}

/**
 * kvmmem_remap_revoke_grant() - revoke every page mapped under a grant
 * @g: the grant, being killed
 *
 * The mappings stay in the table, backed by the revoked pattern, until the
 * introspector unmaps them or goes away. kvmmem_lock held; end.c revokes
 * the grant's window slots too.
 */
void kvmmem_remap_revoke_grant(struct kvmmem_grant *g)
{
	struct kvmmem_map *m, *tmp;

	lockdep_assert_held(&kvmmem_lock);
	list_for_each_entry_safe(m, tmp, &g->maps, gnode) {
		map_leave_grant(m);
		revoke_map(m, true);
	}
}

/**
 * kvmmem_remap_revoke_range() - revoke mappings of a target's gfn range
 * @target: the target VM
 * @gfn: first gfn of the range
 * @npages: its length
 * @hva: where the range was in the target's VMM
 * @rw_only: only read-write mappings
 *
 * For a memslot that went away or moved, or that started dirty logging
 * (probes.c, which revokes the window slots too). kvmmem_lock held.
 *
 * Return: how many mappings were revoked.
 */
int kvmmem_remap_revoke_range(struct kvm *target, u64 gfn, u64 npages,
			      bool rw_only)
{
	struct kvmmem_map *m;
	int bkt, n = 0;

	lockdep_assert_held(&kvmmem_lock);
	hash_for_each(map_table, bkt, m, hnode) {
		if (!m->grant || m->grant->target != target ||
		    m->tgfn - gfn >= npages || (rw_only && !m->writable))
			continue;
		map_leave_grant(m);
		revoke_map(m, true);
		n++;
	}
	return n;
}

/**
 * kvmmem_remap_reset() - unmap every page of the calling introspector
 * @intro: the VM whose vCPU is being reset; we run in its VMM
 *
 * kvmmem_lock held.
 *
 * Return: how many mappings were unmapped.
 */
int kvmmem_remap_reset(struct kvm *intro)
{
	struct hlist_node *tmp;
	struct kvmmem_map *m;
	int bkt, n = 0;

	lockdep_assert_held(&kvmmem_lock);
	hash_for_each_safe(map_table, bkt, tmp, m, hnode) {
		if (m->intro != intro || m->mm != current->mm)
			continue;
		if (unmap_one(m))
			pr_warn_ratelimited("%s: vCPU reset: RAM at hva %#lx not restored; the mapping stays revoked\n",
					    intro->stats_id, m->ihva);
		n++;
	}
	return n;
}

/**
 * kvmmem_remap_vm_released() - forget every mapping of a released VM
 * @intro: the VM, released by its VMM (probes.c)
 *
 * Its grants have ended, so no mapping of it shows a target any more. In
 * its VMM the gpas get their RAM back; a mapping elsewhere, or one whose
 * RAM cannot be restored, stays revoked (its overlay reads the pattern
 * until the VMM unmaps it) and leaves the table, so that nothing keyed by
 * @intro's address outlives the VM. kvmmem_lock held.
 */
void kvmmem_remap_vm_released(struct kvm *intro)
{
	struct hlist_node *tmp;
	struct kvmmem_map *m;
	int bkt;

	lockdep_assert_held(&kvmmem_lock);
	hash_for_each_safe(map_table, bkt, tmp, m, hnode) {
		if (m->intro != intro ||
		    (m->mm == current->mm && !unmap_one(m)))
			continue;
		map_leave_grant(m);
		if (m->page)
			revoke_map(m, false);
		map_unlink(m);
		map_put(m);
	}
}

/**
 * kvmmem_remap_reap() - forget the mappings of introspectors that are gone
 *
 * kvmmem_lock held.
 */
void kvmmem_remap_reap(void)
{
	struct hlist_node *tmp;
	struct kvmmem_map *m;
	int bkt;

	lockdep_assert_held(&kvmmem_lock);
	hash_for_each_safe(map_table, bkt, tmp, m, hnode) {
		if (atomic_read(&m->mm->mm_users))
			continue;
		map_unlink(m);
		map_put(m);
	}
}

/**
 * kvmmem_remap_busy() - are there page mappings left?
 *
 * Return: true if a mapping exists. kvmmem_lock held.
 */
bool kvmmem_remap_busy(void)
{
	return nr_maps;
}

/**
 * kvmmem_remap_init() - create the release workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int kvmmem_remap_init(void)
{
	release_wq = alloc_workqueue("kvmmem_release", 0, 0);
	return release_wq ? 0 : -ENOMEM;
}

/**
 * kvmmem_remap_uninit() - wait for queued releases (module unload)
 *
 * A release drops its module reference as its last step; destroying the
 * workqueue waits for it to return.
 */
void kvmmem_remap_uninit(void)
{
	destroy_workqueue(release_wq);
}
