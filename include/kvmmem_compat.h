/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference that kvmmem cares about, in one place.
 * The .c files call the neutral helpers below and never test versions.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#ifndef _KVMMEM_COMPAT_H
#define _KVMMEM_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "kvmmem supports Linux 6.1 and later"
#endif

/* 6.3 made vm_flags read-only and added vm_flags_set()/vm_flags_clear(). */
static inline void kvmmem_vma_set_flags(struct vm_area_struct *vma,
					vm_flags_t set, vm_flags_t clear)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_mod(vma, set, clear);
#else
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#endif
}

/*
 * 6.5 dropped the vmas argument of get_user_pages_remote() and
 * pin_user_pages_remote(). @pin selects FOLL_PIN over FOLL_GET.
 */
static inline long kvmmem_gup_remote(struct mm_struct *mm, unsigned long addr,
				     unsigned long nr, unsigned int gup_flags,
				     struct page **pages, bool pin)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return (pin ? pin_user_pages_remote : get_user_pages_remote)
		(mm, addr, nr, gup_flags, pages, NULL);
#else
	return (pin ? pin_user_pages_remote : get_user_pages_remote)
		(mm, addr, nr, gup_flags, pages, NULL, NULL);
#endif
}

/*
 * 6.10 dropped the source argument of __assign_str() in TP_fast_assign():
 * the source is the one named in __string(). For trace event headers only.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define kvmmem_assign_str(dst, src)	__assign_str(dst)
#else
#define kvmmem_assign_str(dst, src)	__assign_str(dst, src)
#endif

#endif /* _KVMMEM_COMPAT_H */
