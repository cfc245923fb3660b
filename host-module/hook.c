// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: the hypercall hook.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/kprobes.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/delay.h>
#include <linux/kvmmem.h>

#include "hook.h"
#include "hcall.h"
#include "stats.h"

/**
 * DOC: Hypercall hook, theory of operation
 *
 * KVM has no hook for new hypercalls, and we patch no kernel. Both vendors'
 * exit handlers (VMX's VMCALL exit, SVM's VMMCALL exit) end up in the
 * exported kvm_emulate_hypercall(vcpu), which has an ftrace site at its
 * entry in every Debian kernel. We put a kprobe there; kprobes then run on
 * ftrace, which honours a changed instruction pointer. Nothing below is
 * vendor specific.
 *
 * The probe's pre-handler runs in atomic context and only decides: if the
 * hypercall number (guest RAX) is one of ours (kvmmem_hcall_ours()) and the
 * caller is not this module, it points the saved instruction pointer at
 * kvmmem_hc_wrapper(), which has the same signature, and returns 1. The
 * ftrace trampoline then "returns" into the wrapper, in the vCPU thread,
 * preemptible, with the vCPU mutex and kvm->srcu held, exactly as KVM's own
 * handler would run. The empty post-handler forces the IPMODIFY ftrace ops
 * and forbids optimisation, both needed to change the instruction pointer.
 *
 * The wrapper calls the real kvm_emulate_hypercall(). That call hits the
 * probe again, but its return address lies in this module, so it passes
 * through. KVM does everything it always does: Xen and Hyper-V dispatch,
 * the CPL check (-KVM_EPERM from guest user mode), 32-bit truncation,
 * statistics, RAX = -KVM_ENOSYS for unknown numbers and skipping the
 * instruction. Only when RAX then holds -KVM_ENOSYS (64-bit or 32-bit form)
 * does the wrapper act, and it overwrites RAX only if kvmmem_hcall() claims
 * the call. Every other hypercall, and every VM without a grant, sees KVM
 * exactly as without the module.
 *
 * Unload: the probe is unregistered first, then we wait until no vCPU is
 * between the pre-handler and the end of the wrapper, then for an RCU-tasks
 * grace period so that no task is still on the wrapper's last instructions.
 */

static atomic_t hook_inflight = ATOMIC_INIT(0);

static void hook_post(struct kprobe *p, struct pt_regs *regs,
		      unsigned long flags)
{
}

static int kvmmem_hc_wrapper(struct kvm_vcpu *vcpu)
{
	unsigned long *gpr = vcpu->arch.regs;
	unsigned long nr = gpr[VCPU_REGS_RAX];
	unsigned long a0 = gpr[VCPU_REGS_RBX];
	unsigned long a1 = gpr[VCPU_REGS_RCX];
	unsigned long a2 = gpr[VCPU_REGS_RDX];
	unsigned long rax;
	bool op64;
	long ret;
	int r;

	r = kvm_emulate_hypercall(vcpu);

	rax = gpr[VCPU_REGS_RAX];
	if (rax == (unsigned long)-KVM_ENOSYS)
		op64 = true;
	else if (rax == (u32)-KVM_ENOSYS)
		op64 = false;
	else
		goto out;		/* KVM answered: EPERM, Xen, Hyper-V... */

	if (!op64) {
		nr = (u32)nr;
		a0 = (u32)a0;
		a1 = (u32)a1;
		a2 = (u32)a2;
	}
	if (!kvmmem_hcall_ours(nr))
		goto out;

	kvmmem_stat_inc(KVMMEM_STAT_HC_SEEN);
	ret = kvmmem_hcall(vcpu, nr, a0, a1, a2);
	if (ret != -KVM_ENOSYS)
		gpr[VCPU_REGS_RAX] = op64 ? (unsigned long)ret : (u32)ret;
	kvmmem_stat_stack();
out:
	atomic_dec(&hook_inflight);
	return r;
}

static int hook_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kvm_vcpu *vcpu = (struct kvm_vcpu *)regs->di;
	u32 nr = (u32)vcpu->arch.regs[VCPU_REGS_RAX];
	unsigned long ret_addr = *(unsigned long *)kernel_stack_pointer(regs);

	if (!kvmmem_hcall_ours(nr))
		return 0;
	if (within_module(ret_addr, THIS_MODULE))
		return 0;		/* the wrapper's own call-through */

	atomic_inc(&hook_inflight);
	instruction_pointer_set(regs, (unsigned long)kvmmem_hc_wrapper);
	return 1;
}

static struct kprobe hook_kp = {
	.symbol_name	= "kvm_emulate_hypercall",
	.pre_handler	= hook_pre,
	.post_handler	= hook_post,
};

/**
 * kvmmem_hook_init() - place and verify the hypercall probe
 *
 * Registers the kprobe and refuses (unregistering again) unless it is armed
 * on the function's ftrace site, which is what makes the redirect safe.
 *
 * Return: 0, or a negative errno (-ENOENT without KVM, -EOPNOTSUPP when the
 * probe is not on an ftrace site or is disabled).
 */
int kvmmem_hook_init(void)
{
	int ret;

	ret = register_kprobe(&hook_kp);
	if (ret) {
		pr_err("cannot probe %s: %d\n", hook_kp.symbol_name, ret);
		return ret;
	}
	if (kprobe_disabled(&hook_kp) || !kprobe_ftrace(&hook_kp)) {
		pr_err("probe on %s is not armed on its ftrace site (flags %#x)\n",
		       hook_kp.symbol_name, hook_kp.flags);
		ret = -EOPNOTSUPP;
		goto out_unregister;
	}
	pr_info("hook armed on %pS (ftrace)\n", hook_kp.addr);
	return 0;

out_unregister:
	unregister_kprobe(&hook_kp);
	return ret;
}

/**
 * kvmmem_hook_uninit() - remove the probe and wait for vCPUs to leave it
 */
void kvmmem_hook_uninit(void)
{
	unregister_kprobe(&hook_kp);
	while (atomic_read(&hook_inflight))
		msleep(20);
	synchronize_rcu_tasks();
	if (hook_kp.nmissed)
		pr_info("probe missed %lu hits\n", hook_kp.nmissed);
}
