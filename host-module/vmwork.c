// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: KVM's events seen by kprobes, acted on in the VMM's thread.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/bitops.h>
#include <linux/debugfs.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "stats.h"
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
 * so neither goes away under it; kvmmem_vm_work_done() drops both.
 *
 * A handler cannot sleep, so it allocates with GFP_ATOMIC, which can fail.
 * A work that is lost would be a revocation lost: a reset introspector
 * whose next kernel writes into the target, a memslot gone whose pages are
 * still mapped. So a failed allocation takes a work from a reserve set
 * aside at load (VM_WORK_RESERVE of them, each up to KVMMEM_VM_WORK_MAX
 * bytes), which goes back when the work is done. Only with the reserve
 * empty too, that many works in flight at once with the allocator failing,
 * does a handler drop its event (and log it); the reaper then still ends
 * what belongs to processes that have gone. debugfs kvmmem/fail_vm_works
 * makes that many allocations fail, for the tests.
 *
 * At load, kvmmem_probe_arm() places a probe and checks that it is armed:
 * a probe that is registered but disabled would never fire, and the module
 * refuses to load rather than run without it.
 */

#define VM_WORK_RESERVE	32

static struct workqueue_struct *vm_wq;

/* works for when GFP_ATOMIC fails; a set bit in reserve_used is taken */
static union reserve_slot {
	struct kvmmem_vm_work w;
	u8 bytes[KVMMEM_VM_WORK_MAX];
} reserve[VM_WORK_RESERVE];
static DECLARE_BITMAP(reserve_used, VM_WORK_RESERVE);
static atomic_t fail_allocs = ATOMIC_INIT(0);	/* debugfs: fail_vm_works */

static void *reserve_get(void)
{
	unsigned int i;

	do {
		i = find_first_zero_bit(reserve_used, VM_WORK_RESERVE);
		if (i >= VM_WORK_RESERVE)
			return NULL;
	} while (test_and_set_bit(i, reserve_used));
	memset(&reserve[i], 0, sizeof(reserve[i]));
	kvmmem_stat_inc(KVMMEM_STAT_VM_WORK_RESERVED);
	return &reserve[i];
}

static void work_free(struct kvmmem_vm_work *w)
{
	union reserve_slot *r = container_of(w, union reserve_slot, w);

	if (r >= reserve && r < reserve + VM_WORK_RESERVE)
		clear_bit(r - reserve, reserve_used);
	else
		kfree(w);
}

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
 *	&struct kvmmem_vm_work; at most KVMMEM_VM_WORK_MAX
 * @fn: what the work runs; it ends with kvmmem_vm_work_done()
 *
 * Atomic context. Takes a reference on @kvm and on the module. When the
 * allocation fails, the work comes from the reserve.
 *
 * Return: the zeroed work, or NULL (nothing taken).
 */
void *kvmmem_vm_work_alloc(struct kvm *kvm, size_t size, task_work_func_t fn)
{
	struct kvmmem_vm_work *w = NULL;

	if (WARN_ON_ONCE(size > KVMMEM_VM_WORK_MAX) ||
	    !try_module_get(THIS_MODULE))
		return NULL;
	if (!kvm_get_kvm_safe(kvm))
		goto out_module;
	if (!atomic_add_unless(&fail_allocs, -1, 0))
		w = kzalloc(size, GFP_ATOMIC | __GFP_NOWARN);
	if (!w)
		w = reserve_get();
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
	work_free(w);
	module_put(THIS_MODULE);
}

/**
 * kvmmem_vm_work_init() - create the workqueue for works no thread can take
 *
 * Also publishes debugfs kvmmem/fail_vm_works (root only): writing N makes
 * the next N allocations of a work fail, so that they come from the
 * reserve.
 *
 * Return: 0 or -ENOMEM.
 */
int kvmmem_vm_work_init(void)
{
	vm_wq = alloc_workqueue("kvmmem_vm_work", WQ_UNBOUND, 0);
	if (!vm_wq)
		return -ENOMEM;
	debugfs_create_atomic_t("fail_vm_works", 0600, kvmmem_debugfs_dir(),
				&fail_allocs);
	return 0;
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
