/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * walk.h: bounded walks of the target's lists, and a set of addresses.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#ifndef KVMMEM_WALK_H
#define KVMMEM_WALK_H

#include "lx.h"

struct lx_seen {
	uint64_t *slot;
	size_t cap, n;
};

int lx_seen_add(struct lx_seen *s, uint64_t v);
bool lx_seen_has(const struct lx_seen *s, uint64_t v);
void lx_seen_free(struct lx_seen *s);
int lx_list_walk(struct kvmmem_linux *lx, uint64_t head, const char *what,
		 int (*fn)(void *ctx, uint64_t node), void *ctx);

#endif /* KVMMEM_WALK_H */
