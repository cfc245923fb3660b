// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: each introspector's status page.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/highmem.h>
#include <linux/kvm_host.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/kvmmem.h>

#include "grant.h"
#include "stats.h"
#include "status.h"

/**
 * DOC: Status page, theory of operation
 *
 * An introspector must be able to tell that a mapping was revoked without
 * asking the host on every read. Its guest module registers one page of
 * its RAM (KVM_HC_MEM_STATUS) before its first map; we pin that page in the
 * introspector VMM's mm, from its vCPU thread, and keep a count of the
 * VM's revocations in it (&struct kvmmem_status.revocations).
 *
 * revoke_map() calls kvmmem_status_revoking() before it switches the
 * overlay away from the target page. Our store to the count therefore
 * precedes the zap of our PTE, and so KVM's zap of the SPTE and its TLB
 * flush; an introspector vCPU that reads the revoked pattern has passed
 * that flush, and its next load of the count sees the new value. The
 * reader's protocol in the uapi header relies on exactly this order.
 *
 * A record holds a reference on its VM, so the pointer stays unique. It
 * is dropped when the VM is reset (its next kernel may use that page for
 * anything: we must not write there any more), when the VM's process has
 * gone (the reaper) and on module unload; dropping unpins the page and
 * marks it dirty. Records are few (one per introspector VM) and live on a
 * list under kvmmem_lock.
 */

struct status_rec {
	struct list_head node;
	struct kvm *kvm;
	struct page *page;
	u64 revocations;
};

static LIST_HEAD(recs);

static struct status_rec *rec_of(struct kvm *kvm)
{
	struct status_rec *r;

	lockdep_assert_held(&kvmmem_lock);
	list_for_each_entry(r, &recs, node)
		if (r->kvm == kvm)
			return r;
	return NULL;
}

static void rec_write(struct status_rec *r)
{
	struct kvmmem_status *s = kmap_local_page(r->page);

	WRITE_ONCE(s->revocations, r->revocations);
	kunmap_local(s);
}

/* Unpin and free @r, unlinked. No lock held: may drop the last VM ref. */
static void rec_free(struct status_rec *r)
{
	unpin_user_pages_dirty_lock(&r->page, 1, true);
	kvmmem_stat_dec(KVMMEM_STAT_STATUS_PAGES);
	kvm_put_kvm(r->kvm);
	kfree(r);
}

/* Pin the page at @gpa of the calling VM. Runs in its vCPU thread. */
static long pin_status(struct kvm_vcpu *vcpu, u64 gpa, struct page **page)
{
	struct kvm_memory_slot *slot;
	unsigned long hva;

	/* the vCPU thread holds kvm->srcu here */
	slot = gfn_to_memslot(vcpu->kvm, gpa_to_gfn(gpa));
	if (!kvm_is_visible_memslot(slot) || slot->flags & KVM_MEM_READONLY)
		return -EFAULT;
	hva = gfn_to_hva_memslot(slot, gpa_to_gfn(gpa));
	/* an overlay is VM_PFNMAP: GUP refuses it */
	if (pin_user_pages_fast(hva, 1, FOLL_WRITE | FOLL_LONGTERM, page) != 1)
		return -EFAULT;
	return 0;
}

/**
 * kvmmem_status_register() - KVM_HC_MEM_STATUS
 * @vcpu: the calling vCPU (its thread; may sleep)
 * @gpa: the page to keep as the VM's status page, or KVMMEM_STATUS_NONE
 * @a1: must be 0
 * @a2: must be 0
 *
 * Return: 0, -KVM_ENOSYS (the VM holds no grant), -EINVAL, -EFAULT,
 * -ENOMEM, or -EINTR (the calling thread was killed).
 */
long kvmmem_status_register(struct kvm_vcpu *vcpu, u64 gpa, u64 a1, u64 a2)
{
	struct status_rec *r, *fresh;
	struct page *page, *old = NULL;
	long ret;

	if (gpa == KVMMEM_STATUS_NONE && !a1 && !a2) {
		kvmmem_status_forget(vcpu->kvm);
		return 0;
	}
	if (mutex_lock_killable(&kvmmem_lock))
		return -EINTR;
	ret = kvmmem_grant_holder(vcpu->kvm) ? 0 : -KVM_ENOSYS;
	mutex_unlock(&kvmmem_lock);
	if (ret)
		return ret;
	if (!PAGE_ALIGNED(gpa) || a1 || a2)
		return -EINVAL;
	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return -ENOMEM;
	ret = pin_status(vcpu, gpa, &page);
	if (ret)
		goto out_free;

	mutex_lock(&kvmmem_lock);
	r = rec_of(vcpu->kvm);
	if (r) {
		old = r->page;
	} else {
		r = fresh;
		fresh = NULL;
		kvm_get_kvm(vcpu->kvm);
		r->kvm = vcpu->kvm;
		list_add(&r->node, &recs);
		kvmmem_stat_inc(KVMMEM_STAT_STATUS_PAGES);
	}
	r->page = page;
	rec_write(r);
	mutex_unlock(&kvmmem_lock);
	if (old)
		unpin_user_pages_dirty_lock(&old, 1, true);
out_free:
	kfree(fresh);
	return ret;
}

/**
 * kvmmem_status_revoking() - a mapping of @intro is about to be revoked
 * @intro: the introspector VM
 *
 * Counts the revocation in the VM's status page, if it has one. Never
 * sleeps. kvmmem_lock held.
 */
void kvmmem_status_revoking(struct kvm *intro)
{
	struct status_rec *r = rec_of(intro);

	if (!r)
		return;
	r->revocations++;
	rec_write(r);
	/* the count is stored before the caller zaps the overlay */
	smp_wmb();
}

/* Unlink the records that @dead_fn picks, then free them unlocked. */
static void drop_recs(bool (*dead_fn)(struct status_rec *r, void *arg),
		      void *arg)
{
	struct status_rec *r, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&kvmmem_lock);
	list_for_each_entry_safe(r, tmp, &recs, node)
		if (dead_fn(r, arg))
			list_move(&r->node, &dead);
	mutex_unlock(&kvmmem_lock);
	list_for_each_entry_safe(r, tmp, &dead, node)
		rec_free(r);
}

static bool of_vm(struct status_rec *r, void *kvm)
{
	return r->kvm == kvm;
}

static bool vm_gone(struct status_rec *r, void *unused)
{
	return !atomic_read(&r->kvm->mm->mm_users);
}

static bool any(struct status_rec *r, void *unused)
{
	return true;
}

/**
 * kvmmem_status_forget() - stop writing a VM's status page
 * @intro: the VM, being reset or asking to be forgotten
 *
 * Takes kvmmem_lock.
 */
void kvmmem_status_forget(struct kvm *intro)
{
	drop_recs(of_vm, intro);
}

/**
 * kvmmem_status_reap() - drop the records of VMs whose process has gone
 *
 * Takes kvmmem_lock.
 */
void kvmmem_status_reap(void)
{
	drop_recs(vm_gone, NULL);
}

/**
 * kvmmem_status_busy() - are there records left for the reaper?
 *
 * Return: true if any VM has a status page. kvmmem_lock held.
 */
bool kvmmem_status_busy(void)
{
	lockdep_assert_held(&kvmmem_lock);
	return !list_empty(&recs);
}

/**
 * kvmmem_status_uninit() - drop every record (module unload)
 */
void kvmmem_status_uninit(void)
{
	drop_recs(any, NULL);
}
