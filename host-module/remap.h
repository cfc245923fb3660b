/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_REMAP_H
#define _KVMMEM_REMAP_H

#include <linux/types.h>

struct kvm;
struct kvm_vcpu;
struct kvmmem_grant;

long kvmmem_remap_map(struct kvm_vcpu *vcpu, struct kvmmem_grant *g,
		      u64 target_gpa, u64 intro_gpa);
long kvmmem_remap_unmap(struct kvm_vcpu *vcpu, u64 intro_gpa);
bool kvmmem_remap_has_maps(struct kvm *intro);
void kvmmem_remap_revoke_grant(struct kvmmem_grant *g);
int kvmmem_remap_revoke_range(struct kvm *target, u64 gfn, u64 npages,
			      bool rw_only);
void kvmmem_remap_reset(struct kvm *intro);
void kvmmem_remap_reap(void);
bool kvmmem_remap_busy(void);
int kvmmem_remap_init(void);
void kvmmem_remap_uninit(void);

#endif /* _KVMMEM_REMAP_H */
