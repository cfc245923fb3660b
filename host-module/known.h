/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_KNOWN_H
#define _KVMMEM_KNOWN_H

#include <linux/types.h>

struct kvm;

bool kvmmem_known(const struct kvm *kvm);
int kvmmem_known_add(struct kvm *kvm);
void kvmmem_known_forget(const struct kvm *kvm);
void kvmmem_known_forget_all(void);

#endif /* _KVMMEM_KNOWN_H */
