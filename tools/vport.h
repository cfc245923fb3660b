/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: virtio-serial ports by name (vport.c)
 *
 * The ports that kvmmem-host adds to a running introspector (the token
 * port, the pause port) are found by their names.
 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef KVMMEM_TOOLS_VPORT_H
#define KVMMEM_TOOLS_VPORT_H

int vport_open(const char *name, int flags);

#endif /* KVMMEM_TOOLS_VPORT_H */
