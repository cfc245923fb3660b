// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: end everything of a VM when its VMM lets go of it.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/fs.h>
#include <linux/kprobes.h>
#include <linux/kvm_host.h>
#include <linux/module.h>

#include "grant.h"
#include "release.h"
#include "remap.h"
#include "stats.h"
#include "status.h"
#include "vmwork.h"

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
 * space, before the VMM can create the next VM. The work ends every
 * grant of the VM, as target or as introspector ("VM released"), then
 * forgets everything kept for it as an introspector: its mappings and
 * window chunks are unmapped (RAM restored, when we run in its VMM) or else
 * left revoked and taken out of the tables, and its status page is
 * dropped. Nothing keyed by the VM's address survives it.
 *
 * The handler does nothing while no grant, mapping, chunk or status page
 * exists. vCPU files may outlive the VM file; their hypercalls then find
 * no grant.
 */

static void release_fn(struct callback_head *cb)
{
	struct kvmmem_vm_work *w = container_of(cb, struct kvmmem_vm_work, cb);

	kvmmem_grant_vm_released(w->kvm);
	kvmmem_remap_vm_released(w->kvm);
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
	if (!w || kvmmem_vm_work_queue(w)) {
		/* its process is going: the reaper ends what is left */
		pr_warn_ratelimited("%s: VM released; left to the reaper\n",
				    kvm->stats_id);
		return 0;
	}
	kvmmem_stat_inc(KVMMEM_STAT_RELEASES);
	return 0;
}

static struct kprobe release_kp = {
	.symbol_name	= "kvm_vm_release",
	.pre_handler	= release_pre,
};

/**
 * kvmmem_release_init() - place the VM release probe
 *
 * Return: 0 or a negative errno; the module refuses to load without it.
 */
int kvmmem_release_init(void)
{
	return kvmmem_probe_arm(&release_kp);
}

/**
 * kvmmem_release_uninit() - remove the probe
 *
 * Queued task work holds a module reference until it has run.
 */
void kvmmem_release_uninit(void)
{
	unregister_kprobe(&release_kp);
}
