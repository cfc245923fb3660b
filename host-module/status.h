/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_STATUS_H
#define _KVMMEM_STATUS_H

#include <linux/types.h>

struct kvm;
struct kvm_vcpu;

long kvmmem_status_register(struct kvm_vcpu *vcpu, u64 gpa, u64 a1, u64 a2);
void kvmmem_status_revoking(struct kvm *intro);
void kvmmem_status_forget(struct kvm *intro);
void kvmmem_status_reap(void);
bool kvmmem_status_busy(void);
void kvmmem_status_uninit(void);

#endif /* _KVMMEM_STATUS_H */
