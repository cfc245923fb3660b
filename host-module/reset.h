/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_RESET_H
#define _KVMMEM_RESET_H

int kvmmem_reset_init(void);
void kvmmem_reset_uninit(void);

#endif /* _KVMMEM_RESET_H */
