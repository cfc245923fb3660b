// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: follow changes to a target's memslots.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/kprobes.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/task_work.h>

#include "memslot.h"
#include "remap.h"
#include "stats.h"

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
 * old slot (freed right after) and queues task work on that thread. The
 * work revokes before the ioctl returns to the VMM, so before the VMM can
 * reuse the memory or read the dirty log. The handler is atomic; it does
 * nothing while no mapping exists.
 */

struct slot_work {
	struct callback_head cb;
	struct kvm *kvm;
	u64 gfn;
	u64 npages;
	unsigned long hva;
	bool rw_only;
};

static void slot_fn(struct callback_head *cb)
{
	struct slot_work *w = container_of(cb, struct slot_work, cb);
	int n;

	n = kvmmem_remap_revoke_range(w->kvm, w->gfn, w->npages, w->hva,
				      w->rw_only);
	if (n)
		pr_info("%s: memslot at gfn %#llx %s: %d mappings revoked\n",
			w->kvm->stats_id, w->gfn,
			w->rw_only ? "logs dirty pages" : "is gone", n);
	kvm_put_kvm(w->kvm);
	kfree(w);
	module_put(THIS_MODULE);
}

static int commit_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kvm *kvm = (struct kvm *)regs->di;
	const struct kvm_memory_slot *old = (void *)regs->si;
	const struct kvm_memory_slot *new = (void *)regs->dx;
	enum kvm_mr_change change = regs->cx;
	bool rw_only = change == KVM_MR_FLAGS_ONLY;
	struct slot_work *w;

	if (!kvmmem_stat_read(KVMMEM_STAT_LIVE) || !old)
		return 0;
	if (change != KVM_MR_DELETE && change != KVM_MR_MOVE &&
	    !(rw_only && new && new->flags & KVM_MEM_LOG_DIRTY_PAGES &&
	      !(old->flags & KVM_MEM_LOG_DIRTY_PAGES)))
		return 0;
	if (!try_module_get(THIS_MODULE))
		return 0;
	if (!kvm_get_kvm_safe(kvm))
		goto out_module;
	w = kmalloc(sizeof(*w), GFP_ATOMIC);
	if (!w)
		goto out_put;
	w->kvm = kvm;
	w->gfn = old->base_gfn;
	w->npages = old->npages;
	w->hva = old->userspace_addr;
	w->rw_only = rw_only;
	init_task_work(&w->cb, slot_fn);
	if (task_work_add(current, &w->cb, TWA_RESUME))
		goto out_free;
	return 0;

out_free:
	kfree(w);
out_put:
	kvm_put_kvm_no_destroy(kvm);
out_module:
	module_put(THIS_MODULE);
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
	int ret;

	ret = register_kprobe(&commit_kp);
	if (ret)
		pr_err("cannot probe %s: %d\n", commit_kp.symbol_name, ret);
	return ret;
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
