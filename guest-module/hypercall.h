/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_GUEST_HYPERCALL_H
#define _KVMMEM_GUEST_HYPERCALL_H

#include <linux/types.h>

struct kvmi_map_mem_token;
struct kvmmem_hc_batch;
struct kvmmem_range;

int kvmmem_hc_map(const struct kvmi_map_mem_token *token, u64 target_gpa,
		  phys_addr_t local);
int kvmmem_hc_unmap(phys_addr_t local);
int kvmmem_hc_batch(struct kvmmem_hc_batch *hc);
int kvmmem_hc_status(u64 gpa);
int kvmmem_hc_window(phys_addr_t chunk, bool reg);
long kvmmem_hc_ranges(const struct kvmi_map_mem_token *token,
		      struct kvmmem_range *r, u32 count);

#endif /* _KVMMEM_GUEST_HYPERCALL_H */
