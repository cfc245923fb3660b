// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: the probes on KVM's internals that end mappings (a memslot
 * change, an introspector's reset, a VM's release).
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/fs.h>
#include <linux/kprobes.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/kvmmem.h>

#include "end.h"
#include "grant.h"
#include "known.h"
#include "probes.h"
#include "remap.h"
#include "stats.h"
#include "status.h"
#include "vmwork.h"
#include "window.h"

/**
 * DOC: Probes on KVM's internals, theory of operation
 *
 * Three events in KVM end mappings, and KVM tells no module of them: a
 * target's memslot changes, an introspector's vCPUs are reset, a VM's file
 * is released. A kprobe on each sees it (the hypercall's own probe is
 * hook.c's). Each handler is atomic and only queues task work on the VMM's
 * thread (vmwork.c), which runs before that thread returns to user space,
 * where it may sleep, and drives the two map engines (remap.c, window.c),
 * the status pages and the end of grants (end.c). The module refuses to
 * load unless all three are armed (kvmmem_probe_arm()).
 */

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
 * (vmwork.c). The work revokes (pages and window slots) before the ioctl returns to the VMM, so
 * before the VMM can reuse the memory or read the dirty log. The handler is
 * atomic; it does nothing while no mapping and no grant exists (a map under
 * a grant may be under way: it then finishes first, and is revoked).
 *
 * The map path and the sync workers look a gfn up under SRCU, and hold the
 * page later: they check the binding (gfn to hva, slot flags) again once
 * they hold it (kvmmem_target_binds()), so a change in between never gives
 * the introspector VMM memory that is no longer guest RAM.
 */

struct slot_work {
	struct kvmmem_vm_work vw;
	u64 gfn;
	u64 npages;
	unsigned long hva;
	bool rw_only;
};

static_assert(sizeof(struct slot_work) <= KVMMEM_VM_WORK_MAX);

static void slot_fn(struct callback_head *cb)
{
	struct slot_work *w = container_of(cb, struct slot_work, vw.cb);
	struct kvm *kvm = w->vw.kvm;
	int n;

	mutex_lock(&kvmmem_lock);
	n = kvmmem_remap_revoke_range(kvm, w->gfn, w->npages, w->rw_only);
	n += kvmmem_window_revoke_range(kvm, w->hva, w->npages << PAGE_SHIFT,
					w->rw_only);
	mutex_unlock(&kvmmem_lock);
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
	if (!w) {
		pr_err_ratelimited("%s: memslot at gfn %#llx changed, no memory to revoke its mappings\n",
				   kvm->stats_id, old->base_gfn);
		return 0;
	}
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
 * DOC: Introspector reset, theory of operation
 *
 * When an introspector is reset (guest reboot, QEMU system_reset), its
 * firmware and next kernel must not run with gpas still backed by a
 * target, or they would write into the target. A VMM resets a vCPU by
 * loading the architectural reset state, which on x86 puts RIP at 0xfff0
 * (under CS base 0xffff0000) through KVM_SET_REGS, from the vCPU's own
 * thread, before the next KVM_RUN.
 *
 * A kprobe on kvm_arch_vcpu_ioctl_set_regs() sees that. Its handler is
 * atomic, so it only queues task work on the current thread (the
 * introspector's VMM): the work runs when the ioctl returns to user space,
 * before the VMM can run the vCPU again, in a context that may sleep and
 * whose mm is the introspector's. It unmaps every mapping of that VM,
 * gives the gpas their memory back and forgets the VM's status page, whose
 * frame belongs to the next kernel. The probe acts only while mappings or
 * status pages exist. A false positive (a VMM that loads RIP
 * 0xfff0 for another reason) only unmaps, which is the safe direction.
 */

#define RESET_RIP	0xfff0

static void reset_fn(struct callback_head *cb)
{
	struct kvmmem_vm_work *w = container_of(cb, struct kvmmem_vm_work, cb);

	int n;

	mutex_lock(&kvmmem_lock);
	n = kvmmem_remap_reset(w->kvm);
	kvmmem_window_reset(w->kvm);
	mutex_unlock(&kvmmem_lock);
	if (n)
		pr_info("%s: vCPU reset: %d mappings revoked\n", w->kvm->stats_id, n);
	kvmmem_status_forget(w->kvm);
	kvmmem_vm_work_done(w);
}

static int reset_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kvm_vcpu *vcpu = (struct kvm_vcpu *)regs->di;
	struct kvm_regs *kregs = (struct kvm_regs *)regs->si;
	struct kvmmem_vm_work *w;

	if (kregs->rip != RESET_RIP || (!kvmmem_stat_read(KVMMEM_STAT_LIVE) &&
					!kvmmem_stat_read(KVMMEM_STAT_STATUS_PAGES) &&
					!kvmmem_stat_read(KVMMEM_STAT_CHUNKS)))
		return 0;
	w = kvmmem_vm_work_alloc(vcpu->kvm, sizeof(*w), reset_fn);
	if (!w) {
		pr_err_ratelimited("%s: vCPU reset, no memory to unmap its mappings\n",
				   vcpu->kvm->stats_id);
		return 0;
	}
	kvmmem_vm_work_queue(w);
	kvmmem_stat_inc(KVMMEM_STAT_RESETS);
	return 0;
}

static struct kprobe reset_kp = {
	.symbol_name	= "kvm_arch_vcpu_ioctl_set_regs",
	.pre_handler	= reset_pre,
};

/**
 * DOC: VM release, theory of operation
 *
 * A grant holds references on its two VMs, so neither &struct kvm is freed
 * while the grant lives. But a VMM may close a VM and create another in the
 * same process (a reboot in cloud-hypervisor, selftest-style VMMs), over
 * the same memory. The old VM's overlays are still in that memory: the new
 * VM, which holds no grant, would read the target through them. And once
 * the grants end, the old &struct kvm is freed and its address may come
 * back as the new VM's, where entries keyed by it would match.
 *
 * So the VM's end is the VMM letting go of it: the release of its VM file.
 * A kprobe on kvm_vm_release(), the VM file's release in kvm.ko, sees it.
 * Its handler is atomic: it queues task work on the current thread. A file
 * is released from task work of the close, and what task work queues is
 * run in the same pass, so ours runs before the thread returns to user
 * space, before the VMM can create the next VM. A file whose last
 * reference a kernel thread drops (an io_uring fixed file, when its ring
 * is torn down) is released in that thread: the work then runs on a
 * worker, with the VMM's mm (vmwork.c), soon but with the VMM not held
 * meanwhile.
 *
 * The work ends every grant of the VM, as target or as introspector ("VM
 * released"), then forgets everything kept for it as an introspector: its
 * mappings and window chunks are unmapped (RAM restored, when we run in
 * its VMM) or else left revoked and taken out of the tables, it leaves the
 * known VMs (known.c), and its status page is dropped. Nothing keyed by the
 * VM's address survives it.
 *
 * The grants end through end.c. The handler does nothing while no grant,
 * mapping, chunk or status page exists. vCPU files may outlive the VM
 * file; their hypercalls then find no grant.
 */

static void release_fn(struct callback_head *cb)
{
	struct kvmmem_vm_work *w = container_of(cb, struct kvmmem_vm_work, cb);

	kvmmem_end_vm_grants(w->kvm);
	mutex_lock(&kvmmem_lock);
	kvmmem_remap_vm_released(w->kvm);
	kvmmem_window_vm_released(w->kvm);
	kvmmem_known_forget(w->kvm);
	mutex_unlock(&kvmmem_lock);
	kvmmem_status_forget(w->kvm);
	kvmmem_vm_work_done(w);
}

static bool anything_kept(void)
{
	return kvmmem_grants_live() || kvmmem_stat_read(KVMMEM_STAT_LIVE) ||
	       kvmmem_stat_read(KVMMEM_STAT_CHUNKS) ||
	       kvmmem_stat_read(KVMMEM_STAT_STATUS_PAGES);
}

static int release_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct file *filp = (struct file *)regs->si;
	struct kvm *kvm = filp->private_data;
	struct kvmmem_vm_work *w;

	if (!anything_kept())
		return 0;
	w = kvmmem_vm_work_alloc(kvm, sizeof(*w), release_fn);
	if (!w) {
		pr_warn_ratelimited("%s: VM released, no memory to act on it; left to the reaper\n",
				    kvm->stats_id);
		return 0;
	}
	if (!kvmmem_vm_work_queue(w))
		pr_info_ratelimited("%s: VM released by a kernel thread; a worker acts on it\n",
				    kvm->stats_id);
	kvmmem_stat_inc(KVMMEM_STAT_RELEASES);
	return 0;
}

static struct kprobe release_kp = {
	.symbol_name	= "kvm_vm_release",
	.pre_handler	= release_pre,
};

/**
 * kvmmem_probes_init() - place the three probes
 *
 * Return: 0 or a negative errno (none is left placed); the module refuses
 * to load without them.
 */
int kvmmem_probes_init(void)
{
	int ret;

	ret = kvmmem_vm_work_init();
	if (ret)
		return ret;
	ret = kvmmem_probe_arm(&reset_kp);
	if (ret)
		goto out_wq;
	ret = kvmmem_probe_arm(&commit_kp);
	if (ret)
		goto out_reset;
	ret = kvmmem_probe_arm(&release_kp);
	if (ret)
		goto out_commit;
	return 0;

out_commit:
	unregister_kprobe(&commit_kp);
out_reset:
	unregister_kprobe(&reset_kp);
out_wq:
	kvmmem_vm_work_uninit();
	return ret;
}

/**
 * kvmmem_probes_uninit() - remove the probes
 *
 * Queued work holds a module reference until it has run; a work on the
 * workqueue may still be returning, which its end waits for.
 */
void kvmmem_probes_uninit(void)
{
	unregister_kprobe(&release_kp);
	unregister_kprobe(&commit_kp);
	unregister_kprobe(&reset_kp);
	kvmmem_vm_work_uninit();
}
