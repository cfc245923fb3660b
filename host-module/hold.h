/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_HOLD_H
#define _KVMMEM_HOLD_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/types.h>

struct mm_struct;
struct page;

/* Is @vma one of our overlays (a page's or a window chunk's)? */
static inline bool kvmmem_vma_ours(const struct vm_area_struct *vma)
{
	return vma->vm_file && vma->vm_file->f_op->owner == THIS_MODULE &&
	       vma->vm_flags & VM_PFNMAP;
}

/*
 * How many times a hold is taken again because an invalidation of the
 * target's range overlapped it (mmu_interval_read_retry()), before -EBUSY.
 */
#define KVMMEM_HOLD_RETRIES	8

long kvmmem_hold(struct mm_struct *mm, unsigned long hva, unsigned long n,
		 bool writable, struct page **pages);
void kvmmem_drop_page(struct page *page, bool writable, bool dirty);

#endif /* _KVMMEM_HOLD_H */
