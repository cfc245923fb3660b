// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: revoke an introspector's mappings when its vCPUs are reset.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/kprobes.h>
#include <linux/kvm_host.h>
#include <linux/module.h>

#include "remap.h"
#include "reset.h"
#include "stats.h"
#include "status.h"
#include "vmwork.h"

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

	kvmmem_remap_reset(w->kvm);
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
	if (w && !kvmmem_vm_work_queue(w))
		kvmmem_stat_inc(KVMMEM_STAT_RESETS);
	return 0;
}

static struct kprobe reset_kp = {
	.symbol_name	= "kvm_arch_vcpu_ioctl_set_regs",
	.pre_handler	= reset_pre,
};

/**
 * kvmmem_reset_init() - place the vCPU reset probe
 *
 * Return: 0 or a negative errno; the module refuses to load without it.
 */
int kvmmem_reset_init(void)
{
	return kvmmem_probe_arm(&reset_kp);
}

/**
 * kvmmem_reset_uninit() - remove the probe
 *
 * Queued task work holds a module reference until it has run.
 */
void kvmmem_reset_uninit(void)
{
	unregister_kprobe(&reset_kp);
}
