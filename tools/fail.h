/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fail(): the kvmmem tools' errors, one line on standard error, prefixed
 * with the program's name (static const char *prog, which the includer
 * defines first). Returns the exit code it is given.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#ifndef KVMMEM_TOOLS_FAIL_H
#define KVMMEM_TOOLS_FAIL_H

#include <stdarg.h>
#include <stdio.h>

static int fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

#endif /* KVMMEM_TOOLS_FAIL_H */
