/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_VMWORK_H
#define _KVMMEM_VMWORK_H

#include <linux/task_work.h>

struct kprobe;
struct kvm;

/**
 * struct kvmmem_vm_work - work for a VMM thread, about one of its VMs
 * @cb: the task work
 * @kvm: the VM (reference held until kvmmem_vm_work_done())
 */
struct kvmmem_vm_work {
	struct callback_head cb;
	struct kvm *kvm;
};

void *kvmmem_vm_work_alloc(struct kvm *kvm, size_t size, task_work_func_t fn);
int kvmmem_vm_work_queue(struct kvmmem_vm_work *w);
void kvmmem_vm_work_done(struct kvmmem_vm_work *w);
int kvmmem_probe_arm(struct kprobe *kp);

#endif /* _KVMMEM_VMWORK_H */
