// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: follow changes to a target's memslots.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/kprobes.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/kvmmem.h>

#include "memslot.h"
#include "remap.h"
#include "stats.h"
#include "vmwork.h"

/**
 * DOC: Memslot changes, theory of operation
 *
 * A mapping follows the target's memory at an hva (remap.c), but it was
 * granted for a gpa. Two memslot changes break that link, and the target
 * page's notifier sees neither, since the VMM's memory stays where it is:
 *
 * - the slot is deleted (memory unplug, a reset that rebuilds the slots)
 *   or moved: the gpa no longer names that memory, and the VMM may reuse
 *   it for anything. Every mapping in the old range is revoked.
 * - dirty logging is turned on (live migration): KVM cannot log what the
 *   introspector writes into the target. Read-write mappings in the slot
 *   are revoked (new ones are refused while logging is on).
 *
 * A kprobe on kvm_arch_commit_memory_region(), which KVM calls in the
 * VMM's thread once the new memslots are live, copies the range from the
 * old slot (freed right after) and queues task work on that thread
 * (vmwork.c). The work revokes before the ioctl returns to the VMM, so
 * before the VMM can reuse the memory or read the dirty log. The handler is
 * atomic; it does nothing while no mapping and no grant exists (a map under
 * a grant may be under way: it then finishes first, and is revoked).
 *
 * The map path and the sync workers look a gfn up under SRCU, and hold the
 * page later: they check the binding (gfn to hva, slot flags) again once
 * they hold it (kvmmem_target_binds()), so a change in between never gives
 * the introspector VMM memory that is no longer guest RAM.
 */

/*
 * Resolve @n target gfns from @tgfn to hvas, each in an ordinary, writable
 * memslot (read-write: not logging dirty pages). With @check, only compare
 * with @thva. Under the target's SRCU, which is all that keeps a memslot.
 */
static long walk_target(struct kvm *target, u64 tgfn, unsigned int n,
			bool writable, unsigned long *thva, bool check)
{
	struct kvm_memory_slot *slot = NULL;
	unsigned long hva;
	unsigned int i;
	long ret = 0;
	int idx;

	idx = srcu_read_lock(&target->srcu);
	for (i = 0; i < n && !ret; i++) {
		if (!slot || tgfn + i - slot->base_gfn >= slot->npages)
			slot = gfn_to_memslot(target, tgfn + i);
		if (!kvm_is_visible_memslot(slot) || slot->flags & KVM_MEM_READONLY) {
			ret = -ENXIO;
			break;
		}
		if (writable && slot->flags & KVM_MEM_LOG_DIRTY_PAGES) {
			ret = -EBUSY;
			break;
		}
		hva = gfn_to_hva_memslot(slot, tgfn + i);
		if (!check)
			thva[i] = hva;
		else if (thva[i] != hva)
			ret = -ENXIO;
	}
	srcu_read_unlock(&target->srcu, idx);
	return ret;
}

/**
 * kvmmem_target_hvas() - where @n target pages live in the target's VMM
 * @target: the target VM
 * @tgfn: first gfn
 * @n: pages
 * @writable: for a read-write grant
 * @thva: out: the hva of each page
 *
 * Return: 0, -ENXIO (not ordinary, writable guest RAM) or -EBUSY (dirty
 * logging is on, for a read-write grant).
 */
long kvmmem_target_hvas(struct kvm *target, u64 tgfn, unsigned int n,
			bool writable, unsigned long *thva)
{
	return walk_target(target, tgfn, n, writable, thva, false);
}

/**
 * kvmmem_target_binds() - do these gfns still name the memory at @thva?
 * @target: the target VM
 * @tgfn: first gfn
 * @n: pages
 * @writable: for a read-write grant
 * @thva: what kvmmem_target_hvas() gave
 *
 * A memslot may change between the lookup and the hold (SRCU is not held
 * across GUP), and after it: whatever is held at the hvas is guest memory
 * of the target only while this holds.
 *
 * Return: true if every page is still there.
 */
bool kvmmem_target_binds(struct kvm *target, u64 tgfn, unsigned int n,
			 bool writable, const unsigned long *thva)
{
	return !walk_target(target, tgfn, n, writable, (unsigned long *)thva,
			    true);
}

/**
 * kvmmem_target_ranges() - the target's RAM that a grant's maps accept
 * @target: the target VM
 * @lo: first gpa of the grant's range
 * @hi: end of the grant's range (exclusive)
 * @r: out: the first @max ranges, lowest first
 * @max: room in @r
 *
 * The ordinary, writable memslots (those that kvmmem_target_hvas()
 * accepts), cut to [@lo, @hi), adjacent ones joined. A snapshot, taken
 * under the target's SRCU.
 *
 * Return: how many ranges there are (may exceed @max).
 */
unsigned int kvmmem_target_ranges(struct kvm *target, u64 lo, u64 hi,
				  struct kvmmem_range *r, unsigned int max)
{
	struct kvm_memslot_iter iter;
	struct kvm_memory_slot *slot;
	unsigned int n = 0;
	u64 start, end;
	int idx;

	idx = srcu_read_lock(&target->srcu);
	kvm_for_each_memslot_in_gfn_range(&iter, kvm_memslots(target),
					  lo >> PAGE_SHIFT, hi >> PAGE_SHIFT) {
		slot = iter.slot;
		if (!kvm_is_visible_memslot(slot) || slot->flags & KVM_MEM_READONLY)
			continue;
		start = max_t(u64, slot->base_gfn << PAGE_SHIFT, lo);
		end = min_t(u64, (slot->base_gfn + slot->npages) << PAGE_SHIFT, hi);
		if (start >= end)
			continue;
		if (n && n <= max && r[n - 1].end == start) {
			r[n - 1].end = end;
			continue;
		}
		if (n < max) {
			r[n].start = start;
			r[n].end = end;
		}
		n++;
	}
	srcu_read_unlock(&target->srcu, idx);
	return n;
}

struct slot_work {
	struct kvmmem_vm_work vw;
	u64 gfn;
	u64 npages;
	unsigned long hva;
	bool rw_only;
};

static void slot_fn(struct callback_head *cb)
{
	struct slot_work *w = container_of(cb, struct slot_work, vw.cb);
	struct kvm *kvm = w->vw.kvm;
	int n;

	n = kvmmem_remap_revoke_range(kvm, w->gfn, w->npages, w->hva,
				      w->rw_only);
	if (n)
		pr_info("%s: memslot at gfn %#llx %s: %d mappings revoked\n",
			kvm->stats_id, w->gfn,
			w->rw_only ? "logs dirty pages" : "is gone", n);
	kvmmem_vm_work_done(&w->vw);
}

static int commit_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kvm *kvm = (struct kvm *)regs->di;
	const struct kvm_memory_slot *old = (void *)regs->si;
	const struct kvm_memory_slot *new = (void *)regs->dx;
	enum kvm_mr_change change = regs->cx;
	bool rw_only = change == KVM_MR_FLAGS_ONLY;
	struct slot_work *w;

	/* a map may be under way whenever a grant lives */
	if ((!kvmmem_stat_read(KVMMEM_STAT_LIVE) && !kvmmem_grants_live()) || !old)
		return 0;
	if (change != KVM_MR_DELETE && change != KVM_MR_MOVE &&
	    !(rw_only && new && new->flags & KVM_MEM_LOG_DIRTY_PAGES &&
	      !(old->flags & KVM_MEM_LOG_DIRTY_PAGES)))
		return 0;
	w = kvmmem_vm_work_alloc(kvm, sizeof(*w), slot_fn);
	if (!w)
		return 0;
	w->gfn = old->base_gfn;
	w->npages = old->npages;
	w->hva = old->userspace_addr;
	w->rw_only = rw_only;
	kvmmem_vm_work_queue(&w->vw);
	return 0;
}

static struct kprobe commit_kp = {
	.symbol_name	= "kvm_arch_commit_memory_region",
	.pre_handler	= commit_pre,
};

/**
 * kvmmem_memslot_init() - place the memslot probe
 *
 * Return: 0 or a negative errno; the module refuses to load without it.
 */
int kvmmem_memslot_init(void)
{
	return kvmmem_probe_arm(&commit_kp);
}

/**
 * kvmmem_memslot_uninit() - remove the probe
 *
 * Queued task work holds a module reference until it has run.
 */
void kvmmem_memslot_uninit(void)
{
	unregister_kprobe(&commit_kp);
}
