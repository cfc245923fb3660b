/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: kvmmem yara (yara.c): YARA rules over a live target, zero-copy
 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef KVMMEM_TOOLS_YARA_CMD_H
#define KVMMEM_TOOLS_YARA_CMD_H

#include "libkvmmem.h"

/* what kvmmem yara scans */
enum yara_scope {
	YARA_PHYSICAL,		/* guest-physical memory, a block per RAM range */
	YARA_PROCESS,		/* one process's virtual memory (Linux) */
	YARA_ALL,		/* every process's */
	YARA_KERNEL,		/* the kernel image and the module area (Linux) */
};

int yara_cmd(struct kvmmem *km, const char *rules, enum yara_scope scope, int pid,
	     const char *key);

#endif /* KVMMEM_TOOLS_YARA_CMD_H */
