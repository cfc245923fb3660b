/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_GUEST_CTX_H
#define _KVMMEM_GUEST_CTX_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/xarray.h>

#include "status.h"

struct kvmmem_window;
struct mm_struct;

/* What an open /dev/kvmmem keeps (chardev.c); pages.c maps its pages. */
struct kvmmem_ctx {
	struct mm_struct *mm;
	struct mutex lock;		/* serialises map/unmap on this file */
	bool stopped;			/* set under lock before reboot (no map after) */
	struct mutex window_lock;	/* window set-up against the reboot */
	struct xarray pages;		/* gva >> PAGE_SHIFT -> kvmmem_page */
	struct list_head node;		/* on ctx_list */
	bool status_known;		/* the host knows the status page */
	unsigned long window_taken;	/* bit 0: a window mmap() began */
	struct kvmmem_window *window;	/* set once, freed on release */
};

/* The file's window, if it has one. */
static inline struct kvmmem_window *ctx_window(struct kvmmem_ctx *ctx)
{
	/* pairs with the release in kvmmem_mmap(): a set-up window */
	return smp_load_acquire(&ctx->window);
}

/*
 * Take ctx->lock for a map (or a batch chunk): -ESHUTDOWN once the reboot
 * notifier has been here, so that nothing is mapped after it unmapped
 * everything. Unlocked readers of ctx->stopped (READ_ONCE) only use it to
 * give up early.
 */
static inline int ctx_lock_live(struct kvmmem_ctx *ctx)
{
	mutex_lock(&ctx->lock);
	if (!ctx->stopped)
		return 0;
	mutex_unlock(&ctx->lock);
	return -ESHUTDOWN;
}

/* ctx->lock held, before the first map: the host must know the status page. */
static inline void status_check(struct kvmmem_ctx *ctx)
{
	if (!ctx->status_known)
		ctx->status_known = !kvmmem_status_register();
}

#endif /* _KVMMEM_GUEST_CTX_H */
