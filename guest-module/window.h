/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_GUEST_WINDOW_H
#define _KVMMEM_GUEST_WINDOW_H

#include <linux/atomic.h>
#include <linux/types.h>

struct kvmi_map_mem_token;
struct kvmmem_batch_entry;
struct kvmmem_hc_batch;
struct kvmmem_window;
struct mm_struct;
struct vm_area_struct;

int kvmmem_window_mmap(struct kvmmem_window **wp, struct vm_area_struct *vma,
		       const bool *stop);
bool kvmmem_window_slot(struct kvmmem_window *w, u64 gva);
int kvmmem_window_batch(struct kvmmem_window *w, struct mm_struct *mm,
			const struct kvmi_map_mem_token *token,
			const struct kvmmem_batch_entry *ent, u32 n, bool map,
			struct kvmmem_hc_batch *hc, u32 *done);
void kvmmem_window_stop(struct kvmmem_window *w);
void kvmmem_window_release(struct kvmmem_window *w);
void kvmmem_window_setup(atomic_long_t *count);

#endif /* _KVMMEM_GUEST_WINDOW_H */
