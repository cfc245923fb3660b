/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_HCALL_H
#define _KVMMEM_HCALL_H

struct kvm_vcpu;

long kvmmem_hcall(struct kvm_vcpu *vcpu, unsigned long nr, unsigned long a0,
		  unsigned long a1, unsigned long a2);
bool kvmmem_hcall_ours(unsigned long nr);

#endif /* _KVMMEM_HCALL_H */
