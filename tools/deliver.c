// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: kvmmem-host deliver
 *
 * Deliver a token into a running introspector through a virtio-serial port
 * that QEMU adds at run time. The token goes as one line: its 64 hex
 * digits, its bytes in memory order, as kvmmem_token_format() writes them
 * and kvmmem_token_parse() reads them (kvmmem --token-port).
 *
 * Theory of operation. A grant binds running VMs, so the token must reach
 * an introspector that is already running, and without a network. QEMU's
 * QMP monitor can add devices at run time. Over the introspector's QMP
 * socket we:
 *
 *  1. add a virtio-serial controller, id "kvmmem-vser" (hot-plugged on PCI;
 *     one that exists already is used again);
 *  2. remove the port and the character device of an earlier delivery;
 *  3. hand QEMU, with add-fd, the read end of a pipe that holds the token
 *     line and nothing else (the write end is closed: the pipe ends there);
 *  4. add a "file" character device that reads that pipe (its "in" is
 *     /dev/fdset/N, its "out" /dev/null), and a virtserialport on it named
 *     KVMMEM_TOKEN_PORT.
 *
 * QEMU reads the pipe only when the guest has opened the port, so the token
 * waits in the pipe (never in a file, never on a command line) until
 * the introspector reads it, once; then the port reports end of file. In
 * the guest the port is /dev/virtio-ports/KVMMEM_TOKEN_PORT (udev) or the
 * /dev/vportNpM whose /sys/class/virtio-ports/.../name is that name; the
 * guest needs the virtio_console driver, which udev loads.
 *
 * The QMP client, and the adding of a port, are qmp.c's.
 */
/* Copyright (C) 2026 The kvmmem authors */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "deliver.h"
#include "libkvmmem.h"
#include "qmp.h"

#define DEV_ID		"kvmmem-token"

/* A pipe that holds @token and a newline; returns its read end. */
static int token_pipe(struct qmp *q, const char *token)
{
	char line[KVMMEM_TOKEN_HEX + 2];
	int p[2];
	ssize_t n;

	if (pipe2(p, O_CLOEXEC))
		return qmp_fail(q, "pipe: %s", strerror(errno));
	n = snprintf(line, sizeof(line), "%s\n", token);
	if (write(p[1], line, n) != n) {
		close(p[0]);
		p[0] = qmp_fail(q, "pipe: %s", strerror(errno));
	}
	close(p[1]);
	explicit_bzero(line, sizeof(line));
	return p[0];
}

/**
 * kvmmem_deliver() - put a token into a running QEMU's token port
 * @qmp_path: the QEMU's QMP socket
 * @pid: the QEMU's pid, checked against the socket's peer; 0: unchecked
 * @token: 64 hex digits, the token's bytes in memory order, as
 *	   kvmmem_token_format() writes them; sent as they are
 * @err: out: a one-line message on failure
 * @errlen: its size
 *
 * Return: 0, or -1 with @err set.
 */
int kvmmem_deliver(const char *qmp_path, pid_t pid, const char *token,
		   char *err, size_t errlen)
{
	struct qmp q = { .fd = -1, .err = err, .errlen = errlen };
	int r, fd;

	if (strlen(token) != KVMMEM_TOKEN_HEX)
		return qmp_fail(&q, "the token is not %d hex digits", KVMMEM_TOKEN_HEX);
	r = qmp_connect(&q, qmp_path, pid);
	if (r)
		goto out_close;
	fd = token_pipe(&q, token);
	if (fd < 0) {
		r = -1;
		goto out_close;
	}
	r = qmp_add_port(&q, DEV_ID, KVMMEM_TOKEN_PORT, fd, -1);
	close(fd);
out_close:
	qmp_close(&q);
	return r ? -1 : 0;
}

/* The value of option @key= in QEMU's comma-separated @opts, into @out. */
static int opt_value(const char *opts, const char *key, char *out, size_t size)
{
	size_t k = strlen(key), n;
	const char *o;

	for (o = opts; o; o = strchr(o, ',') ? strchr(o, ',') + 1 : NULL) {
		if (strncmp(o, key, k) || o[k] != '=')
			continue;
		n = strcspn(o + k + 1, ",");
		if (n >= size)
			return -1;
		snprintf(out, size, "%.*s", (int)n, o + k + 1);
		return 0;
	}
	return -1;
}

/**
 * kvmmem_qmp_socket() - find a QEMU's QMP socket in its command line
 * @cl: /proc/PID/cmdline: NUL-separated arguments
 * @len: its length
 * @out: out: the socket's path
 * @size: its size
 *
 * Knows "-qmp unix:PATH[,...]" and "-chardev socket,id=ID,path=PATH,..."
 * with "-mon chardev=ID,mode=control".
 *
 * Return: 0, or -1 if there is none.
 */
int kvmmem_qmp_socket(const char *cl, size_t len, char *out, size_t size)
{
	const char *end = cl + len, *a, *v, *c, *cv;
	char id[128], mode[32], cid[128];

	for (a = cl; a < end; a += strlen(a) + 1) {
		v = a + strlen(a) + 1;
		if (v >= end)
			break;
		if ((!strcmp(a, "-qmp") || !strcmp(a, "--qmp")) &&
		    !strncmp(v, "unix:", 5)) {
			snprintf(out, size, "%.*s", (int)strcspn(v + 5, ","), v + 5);
			return 0;
		}
		/* a pretty-printing monitor answers in several lines: not usable */
		if (strcmp(a, "-mon") || opt_value(v, "chardev", id, sizeof(id)) ||
		    opt_value(v, "mode", mode, sizeof(mode)) || strcmp(mode, "control") ||
		    (!opt_value(v, "pretty", mode, sizeof(mode)) && strcmp(mode, "off")))
			continue;
		/* a control monitor: find its socket's path */
		for (c = cl; c < end; c += strlen(c) + 1) {
			cv = c + strlen(c) + 1;
			if (cv < end && !strcmp(c, "-chardev") &&
			    !strncmp(cv, "socket,", 7) &&
			    !opt_value(cv + 7, "id", cid, sizeof(cid)) &&
			    !strcmp(cid, id) &&
			    !opt_value(cv + 7, "path", out, size))
				return 0;
		}
	}
	return -1;
}
