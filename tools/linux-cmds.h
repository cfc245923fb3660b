/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: kvmmem's Linux commands (linux-cmds.c)
 *
 * Exit codes are kvmmem's: EX_LDONE, EX_LFAIL and EX_LUSE are its 0, 1
 * and 2.
 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef KVMMEM_TOOLS_LINUX_CMDS_H
#define KVMMEM_TOOLS_LINUX_CMDS_H

#include <stdbool.h>

#include "libkvmmem.h"

#define EX_LDONE	0
#define EX_LFAIL	1
#define EX_LUSE		2

/* where the Linux view keeps what it learnt of a grant's target */
#define CACHE_DIR	"/run/kvmmem"
/* pages kept mapped by the Linux commands: each page of a walk mapped once */
#define LINUX_POOL	8192

bool linux_is_cmd(const char *cmd);
void linux_warn_quiet(void *ctx, const char *msg);
int linux_cmd(struct kvmmem *km, const char *image, const char *btf,
	      const char *sysmap, const char *key, int argc, char **argv);

#endif /* KVMMEM_TOOLS_LINUX_CMDS_H */
