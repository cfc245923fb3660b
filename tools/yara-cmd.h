/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: kvmmem yara (yara.c): YARA rules over a live target, zero-copy
 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef KVMMEM_TOOLS_YARA_CMD_H
#define KVMMEM_TOOLS_YARA_CMD_H

#include "libkvmmem.h"

int yara_cmd(struct kvmmem *km, const char *rules, int pid, int all, const char *key);

#endif /* KVMMEM_TOOLS_YARA_CMD_H */
