/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef KVMMEM_TOOLS_DELIVER_H
#define KVMMEM_TOOLS_DELIVER_H

#include <stddef.h>
#include <sys/types.h>
#include "port.h"

int kvmmem_deliver(const char *qmp_path, pid_t pid, const char *token,
		   char *err, size_t errlen);
int kvmmem_qmp_socket(const char *cl, size_t len, char *out, size_t size);

#endif /* KVMMEM_TOOLS_DELIVER_H */
