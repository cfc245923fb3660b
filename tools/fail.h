/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: fail(), the kvmmem tools' errors
 *
 * One line on standard error, prefixed with the program's name (static
 * const char *prog, which the includer defines first). fail() returns the
 * exit code it is given, and keeps the line's text (without the name) in
 * fail_msg, for kvmmem-host's audit log of a failed command.
 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef KVMMEM_TOOLS_FAIL_H
#define KVMMEM_TOOLS_FAIL_H

#include <stdarg.h>
#include <stdio.h>

static int fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The text of fail()'s last message (cut at its size). */
static char fail_msg[1024];

static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
	return code;
}

#endif /* KVMMEM_TOOLS_FAIL_H */
