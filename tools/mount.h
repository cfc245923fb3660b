/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: kvmmem mount (mount.c): a live target as files, through FUSE
 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef KVMMEM_TOOLS_MOUNT_H
#define KVMMEM_TOOLS_MOUNT_H

int mount_target(const char *hex, const char *dir, const char *key, int foreground, int rw);

#endif /* KVMMEM_TOOLS_MOUNT_H */
