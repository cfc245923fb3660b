// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: KVM's events seen by kprobes, acted on in the VMM's thread.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

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
 * A kernel thread never returns to user space, so task work queued on it
 * never runs (fput() itself defers a kernel thread's last close to a
 * worker rather than use its task work). A VM file's last reference can
 * be dropped there: a VMM that leaves its VM file in an io_uring fixed-file
 * table and closes the ring has it released by the ring's teardown worker.
 * So does a thread past its last task work. The work then goes to a
 * workqueue of ours instead, which runs it with the VM's mm borrowed
 * (kthread_use_mm()) while the VMM's process lives: the work finds the
 * VMM's mm as current->mm, as on the VMM's thread, and gives the VMM its
 * RAM back in the same way. Only the ordering is weaker: the VMM is not
 * held while the worker runs.
 *
 * A work holds a reference on its VM and on this module until it has run,
 * so neither goes away under it; kvmmem_vm_work_done() drops both. A
 * handler that cannot allocate its work (GFP_ATOMIC) drops everything and
 * leaves the VM to the reaper.
 *
 * At load, kvmmem_probe_arm() places a probe and checks that it is armed:
 * a probe that is registered but disabled would never fire, and the module
 * refuses to load rather than run without it.
 */

static struct workqueue_struct *vm_wq;

/* A work that a thread could not take, run with its VM's mm when it has one. */
static void vm_work_fn(struct work_struct *work)
{
	struct kvmmem_vm_work *w = container_of(work, struct kvmmem_vm_work,
						work);
	struct mm_struct *mm = w->kvm->mm;

	if (!mmget_not_zero(mm))
		mm = NULL;
	if (mm)
		kthread_use_mm(mm);
	/* frees @w and drops its references; vm_wq's end waits for us */
	w->cb.func(&w->cb);
	if (mm) {
		kthread_unuse_mm(mm);
		mmput(mm);
	}
}

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
 * A kernel thread, or a thread that takes no more task work, gets none: the
 * work goes to vm_wq, where it runs soon, with the VM's mm.
 *
 * Return: true if the work runs on the current thread before it returns to
 * user space, false if it went to the workqueue.
 */
bool kvmmem_vm_work_queue(struct kvmmem_vm_work *w)
{
	if (!(current->flags & PF_KTHREAD) &&
	    !task_work_add(current, &w->cb, TWA_RESUME))
		return true;
	INIT_WORK(&w->work, vm_work_fn);
	queue_work(vm_wq, &w->work);
	return false;
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
 * kvmmem_vm_work_init() - create the workqueue for works no thread can take
 *
 * Return: 0 or -ENOMEM.
 */
int kvmmem_vm_work_init(void)
{
	vm_wq = alloc_workqueue("kvmmem_vm_work", WQ_UNBOUND, 0);
	return vm_wq ? 0 : -ENOMEM;
}

/**
 * kvmmem_vm_work_uninit() - wait for the works on the workqueue to return
 *
 * Call it once the probes are gone. A work drops its module reference as
 * its last step; destroying the workqueue waits for it to return.
 */
void kvmmem_vm_work_uninit(void)
{
	destroy_workqueue(vm_wq);
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
