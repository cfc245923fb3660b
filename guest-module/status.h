/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_GUEST_STATUS_H
#define _KVMMEM_GUEST_STATUS_H

struct vm_area_struct;

int kvmmem_status_register(void);
int kvmmem_status_mmap(struct vm_area_struct *vma);
int kvmmem_status_forget(void);
int kvmmem_status_init(void);
void kvmmem_status_uninit(void);

#endif /* _KVMMEM_GUEST_STATUS_H */
