/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_VMWORK_H
#define _KVMMEM_VMWORK_H

#include <linux/task_work.h>
#include <linux/workqueue.h>

struct kprobe;
struct kvm;

/* the largest work a probe may allocate (vmwork.c keeps a reserve of them) */
#define KVMMEM_VM_WORK_MAX	256

/**
 * struct kvmmem_vm_work - work for a VMM thread, about one of its VMs
 * @cb: the task work; its func is what the work does, on either path
 * @work: the workqueue's, when no thread can take @cb (vmwork.c)
 * @kvm: the VM (reference held until kvmmem_vm_work_done())
 */
struct kvmmem_vm_work {
	struct callback_head cb;
	struct work_struct work;
	struct kvm *kvm;
};

void *kvmmem_vm_work_alloc(struct kvm *kvm, size_t size, task_work_func_t fn);
bool kvmmem_vm_work_queue(struct kvmmem_vm_work *w);
void kvmmem_vm_work_done(struct kvmmem_vm_work *w);
int kvmmem_probe_arm(struct kprobe *kp);
int kvmmem_vm_work_init(void);
void kvmmem_vm_work_uninit(void);

#endif /* _KVMMEM_VMWORK_H */
