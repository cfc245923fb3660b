// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: KVM's events seen by kprobes, acted on in the VMM's thread.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/kprobes.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "vmwork.h"

/**
 * DOC: Probes and their task work, theory of operation
 *
 * Besides the hypercall hook (hook.c), kprobes on KVM functions tell us of
 * a vCPU reset, a memslot change and a VM's release (probes.c). Each runs
 * in the VMM thread that made the change, in atomic context, and what must
 * follow (unmapping, revoking) sleeps. So the
 * handler queues task work on that thread (TWA_RESUME): it runs before the
 * thread returns to user space, so before the VMM can act on the change,
 * with the VMM's mm as current->mm.
 *
 * A work holds a reference on its VM and on this module until it has run,
 * so neither goes away under it; kvmmem_vm_work_done() drops both. A
 * handler that cannot queue (no memory, a thread past its last task work)
 * drops everything and leaves the VM to the reaper.
 *
 * At load, kvmmem_probe_arm() places a probe and checks that it is armed:
 * a probe that is registered but disabled would never fire, and the module
 * refuses to load rather than run without it.
 */

/**
 * kvmmem_vm_work_alloc() - allocate task work about a VM, in a probe handler
 * @kvm: the VM
 * @size: size of the caller's structure, which starts with a
 *	&struct kvmmem_vm_work
 * @fn: what the work runs; it ends with kvmmem_vm_work_done()
 *
 * Atomic context. Takes a reference on @kvm and on the module.
 *
 * Return: the zeroed work, or NULL (nothing taken).
 */
void *kvmmem_vm_work_alloc(struct kvm *kvm, size_t size, task_work_func_t fn)
{
	struct kvmmem_vm_work *w;

	if (!try_module_get(THIS_MODULE))
		return NULL;
	if (!kvm_get_kvm_safe(kvm))
		goto out_module;
	w = kzalloc(size, GFP_ATOMIC);
	if (!w)
		goto out_put;
	w->kvm = kvm;
	init_task_work(&w->cb, fn);
	return w;

out_put:
	kvm_put_kvm_no_destroy(kvm);
out_module:
	module_put(THIS_MODULE);
	return NULL;
}

/**
 * kvmmem_vm_work_queue() - queue the work on the current thread
 * @w: from kvmmem_vm_work_alloc()
 *
 * On failure the work is freed and its references dropped.
 *
 * Return: 0 or the negative errno of task_work_add().
 */
int kvmmem_vm_work_queue(struct kvmmem_vm_work *w)
{
	int ret = task_work_add(current, &w->cb, TWA_RESUME);

	if (ret) {
		kvm_put_kvm_no_destroy(w->kvm);
		kfree(w);
		module_put(THIS_MODULE);
	}
	return ret;
}

/**
 * kvmmem_vm_work_done() - the end of a work's function
 * @w: the work; freed here
 */
void kvmmem_vm_work_done(struct kvmmem_vm_work *w)
{
	kvm_put_kvm(w->kvm);
	kfree(w);
	module_put(THIS_MODULE);
}

/**
 * kvmmem_probe_arm() - place a kprobe and check that it is armed
 * @kp: the probe
 *
 * Return: 0, or a negative errno (the probe is then not registered).
 */
int kvmmem_probe_arm(struct kprobe *kp)
{
	int ret = register_kprobe(kp);

	if (ret) {
		pr_err("cannot probe %s: %d\n", kp->symbol_name, ret);
		return ret;
	}
	if (kprobe_disabled(kp)) {
		pr_err("probe on %s is not armed\n", kp->symbol_name);
		unregister_kprobe(kp);
		return -EOPNOTSUPP;
	}
	return 0;
}
