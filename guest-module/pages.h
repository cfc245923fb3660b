/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_GUEST_PAGES_H
#define _KVMMEM_GUEST_PAGES_H

#include <linux/atomic.h>
#include <linux/types.h>

struct kvmi_map_mem_token;
struct kvmi_mem_map;
struct kvmmem_batch_entry;
struct kvmmem_ctx;
struct kvmmem_hc_batch;
struct kvmmem_page;

extern atomic_long_t kvmmem_quarantined;

long kvmmem_pages_map(struct kvmmem_ctx *ctx, const struct kvmi_mem_map *req);
int kvmmem_pages_map_chunk(struct kvmmem_ctx *ctx, const struct kvmi_map_mem_token *token,
			   const struct kvmmem_batch_entry *ent, u32 n,
			   struct kvmmem_hc_batch *hc, struct kvmmem_page **kps, u32 *done);
int kvmmem_pages_unmap_chunk(struct kvmmem_ctx *ctx, const struct kvmmem_batch_entry *ent,
			     u32 n, struct kvmmem_hc_batch *hc, struct kvmmem_page **kps,
			     u32 *done);
long kvmmem_pages_unmap(struct kvmmem_ctx *ctx, unsigned long gva);
void kvmmem_pages_unmap_all(struct kvmmem_ctx *ctx);

#endif /* _KVMMEM_GUEST_PAGES_H */
