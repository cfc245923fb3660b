/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_END_H
#define _KVMMEM_END_H

#include <linux/types.h>

struct kvm;

void kvmmem_end_watch(void);
int kvmmem_end_revoke(u64 id);
void kvmmem_end_vm_grants(struct kvm *kvm);
void kvmmem_end_uninit(void);

#endif /* _KVMMEM_END_H */
