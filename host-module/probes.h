/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_PROBES_H
#define _KVMMEM_PROBES_H

int kvmmem_probes_init(void);
void kvmmem_probes_uninit(void);

#endif /* _KVMMEM_PROBES_H */
