/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_GUEST_CHARDEV_H
#define _KVMMEM_GUEST_CHARDEV_H

int kvmmem_chardev_init(void);
void kvmmem_chardev_uninit(void);

#endif /* _KVMMEM_GUEST_CHARDEV_H */
