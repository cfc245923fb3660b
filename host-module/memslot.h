/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_MEMSLOT_H
#define _KVMMEM_MEMSLOT_H

#include <linux/types.h>

struct kvm;
struct kvmmem_range;

long kvmmem_target_hvas(struct kvm *target, u64 tgfn, unsigned int n,
			bool writable, unsigned long *thva);
bool kvmmem_target_binds(struct kvm *target, u64 tgfn, unsigned int n,
			 bool writable, const unsigned long *thva);
unsigned int kvmmem_target_ranges(struct kvm *target, u64 lo, u64 hi,
				  struct kvmmem_range *r, unsigned int max);

#endif /* _KVMMEM_MEMSLOT_H */
