/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_WINDOW_H
#define _KVMMEM_WINDOW_H

#include <linux/types.h>

struct kvm;
struct kvm_vcpu;
struct kvmmem_grant;

long kvmmem_window_chunk(struct kvm_vcpu *vcpu, u64 gpa, u64 a1, u64 a2);
long kvmmem_window_map(struct kvm_vcpu *vcpu, struct kvmmem_grant *g,
		       u64 target_gpa, u64 intro_gpa, unsigned int n);
long kvmmem_window_unmap(struct kvm_vcpu *vcpu, u64 intro_gpa, unsigned int n);
void kvmmem_window_revoke_grant(struct kvmmem_grant *g);
int kvmmem_window_revoke_range(struct kvm *target, unsigned long hva,
			       unsigned long len, bool rw_only);
void kvmmem_window_reset(struct kvm *intro);
void kvmmem_window_vm_released(struct kvm *intro);
void kvmmem_window_reap(void);
bool kvmmem_window_has_chunks(struct kvm *intro);
bool kvmmem_window_busy(void);
int kvmmem_window_init(void);
void kvmmem_window_uninit(void);

#endif /* _KVMMEM_WINDOW_H */
