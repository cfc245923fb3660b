/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_THROTTLE_H
#define _KVMMEM_THROTTLE_H

#include <linux/types.h>

struct kvm;
struct seq_file;

bool kvmmem_throttled(struct kvm *intro);
void kvmmem_throttle_note(struct kvm *intro, bool token_ok);
void kvmmem_throttle_forget(struct kvm *intro);
void kvmmem_throttle_init(void);

#endif /* _KVMMEM_THROTTLE_H */
