/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_MEMSLOT_H
#define _KVMMEM_MEMSLOT_H

int kvmmem_memslot_init(void);
void kvmmem_memslot_uninit(void);

#endif /* _KVMMEM_MEMSLOT_H */
