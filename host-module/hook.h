/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_HOOK_H
#define _KVMMEM_HOOK_H

int kvmmem_hook_init(void);
void kvmmem_hook_uninit(void);

#endif /* _KVMMEM_HOOK_H */
