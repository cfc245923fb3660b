/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_CTL_H
#define _KVMMEM_CTL_H

int kvmmem_ctl_init(void);
void kvmmem_ctl_uninit(void);

#endif /* _KVMMEM_CTL_H */
