/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_RELEASE_H
#define _KVMMEM_RELEASE_H

int kvmmem_release_init(void);
void kvmmem_release_uninit(void);

#endif /* _KVMMEM_RELEASE_H */
