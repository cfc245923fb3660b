// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: a target's gfns, by its memslots.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/kvmmem.h>

#include "memslot.h"

/**
 * DOC: Memslots, theory of operation
 *
 * A mapping follows the target's memory at an hva (remap.c), but it is
 * granted for a gpa: a target gfn names memory only through the target's
 * memslots, and only ordinary, visible, writable slots are guest RAM that
 * may be mapped (not ROM, not MMIO). These lookups are done under the
 * target's SRCU, which is all that keeps a memslot, and GUP cannot be done
 * under it: so the map path and the sync workers look a gfn up, hold the
 * page, and check the binding (gfn to hva, slot flags) again once they
 * hold it (kvmmem_target_binds()). A change in between never gives the
 * introspector VMM memory that is no longer guest RAM. The changes
 * themselves are seen by a probe (probes.c).
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
