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
 * QMP answers are one JSON object per line; we look for "return" and
 * "error" and skip events. No JSON library is needed for that.
 */
/* Copyright (C) 2026 The kvmmem authors */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "libkvmmem.h"

#define QMP_TIMEOUT_MS	10000
#define BUS_ID		"kvmmem-vser"
#define DEV_ID		"kvmmem-token"

struct qmp {
	int fd;
	char buf[8192];
	size_t len;
	char *err;		/* the caller's message buffer */
	size_t errlen;
	int deleted;		/* saw DEVICE_DELETED for DEV_ID */
};

static int qmp_fail(struct qmp *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int qmp_fail(struct qmp *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->err, q->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The next line from QEMU into @line (NUL-terminated, no newline). */
static int qmp_line(struct qmp *q, char *line, size_t size, int timeout_ms)
{
	struct pollfd p = { .fd = q->fd, .events = POLLIN };
	char *nl;
	ssize_t n;

	while (!(nl = memchr(q->buf, '\n', q->len))) {
		if (q->len == sizeof(q->buf))
			return qmp_fail(q, "QMP: answer line too long");
		n = poll(&p, 1, timeout_ms);
		if (n == 0)
			return qmp_fail(q, "QMP: no answer from QEMU");
		if (n > 0)
			n = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
		if (n == 0)
			return qmp_fail(q, "QMP: QEMU closed the connection");
		if (n < 0)
			return qmp_fail(q, "QMP: %s", strerror(errno));
		q->len += n;
	}
	n = nl - q->buf;
	snprintf(line, size, "%.*s", (int)n, q->buf);
	memmove(q->buf, nl + 1, q->len - n - 1);
	q->len -= n + 1;
	return 0;
}

/* The text of an error answer's "desc", for a message. */
static void error_desc(const char *line, char *out, size_t size)
{
	const char *d = strstr(line, "\"desc\"");
	size_t n = 0;

	d = d ? strchr(d + 6, '"') : NULL;
	if (!d) {
		snprintf(out, size, "%s", line);
		return;
	}
	for (d++; *d && *d != '"' && n + 1 < size; d++) {
		if (*d == '\\' && d[1])
			d++;
		out[n++] = *d;
	}
	out[n] = 0;
}

/*
 * Send @cmd (with @fd as SCM_RIGHTS if not -1) and wait for its answer.
 * Returns 0 with the "return" line in @ret, 1 with an error's text in
 * @ret, -1 if QMP itself failed (message in q->err).
 */
static int qmp_call(struct qmp *q, const char *cmd, int fd, char *ret,
		    size_t size)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)cmd, .iov_len = strlen(cmd) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	char line[sizeof(q->buf)];
	struct cmsghdr *c;

	if (fd >= 0) {
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(q->fd, &msg, MSG_NOSIGNAL) != (ssize_t)iov.iov_len)
		return qmp_fail(q, "QMP: send: %s", strerror(errno));
	for (;;) {
		if (qmp_line(q, line, sizeof(line), QMP_TIMEOUT_MS))
			return -1;
		if (strstr(line, "\"event\"")) {
			if (strstr(line, "DEVICE_DELETED") && strstr(line, "\"" DEV_ID "\""))
				q->deleted = 1;
			continue;
		}
		if (!strncmp(line, "{\"return\"", 9)) {
			snprintf(ret, size, "%s", line);
			return 0;
		}
		if (!strncmp(line, "{\"error\"", 8)) {
			error_desc(line, ret, size);
			return 1;
		}
	}
}

/* A call that must succeed; @what names it in the message. */
static int qmp_must(struct qmp *q, const char *what, const char *cmd, int fd,
		    char *ret, size_t size)
{
	int r = qmp_call(q, cmd, fd, ret, size);

	if (r > 0)
		return qmp_fail(q, "QEMU refused to %s: %s", what, ret);
	return r;
}

/* @pid, if not 0, must be the process at the other end: the token goes there. */
static int qmp_connect(struct qmp *q, const char *path, pid_t pid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[sizeof(q->buf)];
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (strlen(path) >= sizeof(sa.sun_path))
		return qmp_fail(q, "QMP socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0)
		return qmp_fail(q, "socket: %s", strerror(errno));
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)))
		return qmp_fail(q, "QMP socket %s: %s", path, strerror(errno));
	if (pid && (getsockopt(q->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
		    cred.pid != pid))
		return qmp_fail(q, "QMP socket %s is not served by process %d", path,
				(int)pid);
	if (qmp_line(q, line, sizeof(line), QMP_TIMEOUT_MS))
		return -1;
	if (strncmp(line, "{\"QMP\"", 6))
		return qmp_fail(q, "%s is not a QMP socket (a human monitor?)", path);
	return qmp_must(q, "start QMP", "{\"execute\":\"qmp_capabilities\"}\n",
			-1, line, sizeof(line));
}

/* Remove an earlier delivery's port and character device, if any. */
static int forget_old_port(struct qmp *q)
{
	char ret[1024];
	time_t end;
	int r;

	q->deleted = 0;
	r = qmp_call(q, "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"" DEV_ID "\"}}\n",
		     -1, ret, sizeof(ret));
	if (r < 0)
		return r;
	/* a port leaves at once; wait for QEMU's word that it is gone */
	for (end = time(NULL) + QMP_TIMEOUT_MS / 1000; !r && !q->deleted;) {
		char line[sizeof(q->buf)];

		if (time(NULL) > end)
			return qmp_fail(q, "QEMU did not remove the old token port");
		if (qmp_line(q, line, sizeof(line), QMP_TIMEOUT_MS))
			return -1;
		if (strstr(line, "DEVICE_DELETED") && strstr(line, "\"" DEV_ID "\""))
			q->deleted = 1;
	}
	r = qmp_call(q, "{\"execute\":\"chardev-remove\",\"arguments\":{\"id\":\"" DEV_ID "\"}}\n",
		     -1, ret, sizeof(ret));
	return r < 0 ? r : 0;
}

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
	char ret[1024], cmd[512];
	const char *id;
	int r, fd = -1;
	long set;

	if (strlen(token) != KVMMEM_TOKEN_HEX)
		return qmp_fail(&q, "the token is not %d hex digits", KVMMEM_TOKEN_HEX);
	r = qmp_connect(&q, qmp_path, pid);
	if (r)
		goto out_close;
	r = qmp_call(&q, "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"virtio-serial-pci\",\"id\":\"" BUS_ID "\"}}\n",
		     -1, ret, sizeof(ret));
	if (r > 0 && !strstr(ret, "Duplicate"))
		r = qmp_fail(&q, "QEMU refused to add a virtio-serial controller: %s", ret);
	if (r < 0)
		goto out_close;
	r = forget_old_port(&q);
	if (r)
		goto out_close;
	fd = token_pipe(&q, token);
	if (fd < 0) {
		r = -1;
		goto out_close;
	}
	r = qmp_must(&q, "take the token's pipe",
		     "{\"execute\":\"add-fd\",\"arguments\":{\"opaque\":\"kvmmem token\"}}\n",
		     fd, ret, sizeof(ret));
	close(fd);
	if (r)
		goto out_close;
	id = strstr(ret, "\"fdset-id\"");
	if (!id || sscanf(id, "\"fdset-id\": %ld", &set) != 1) {
		r = qmp_fail(&q, "QMP: no fdset-id in %s", ret);
		goto out_close;
	}
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"chardev-add\",\"arguments\":{\"id\":\"" DEV_ID "\",\"backend\":{\"type\":\"file\",\"data\":{\"in\":\"/dev/fdset/%ld\",\"out\":\"/dev/null\"}}}}\n",
		 set);
	r = qmp_must(&q, "add the token's character device", cmd, -1, ret, sizeof(ret));
	/* the character device has its own copy now */
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"remove-fd\",\"arguments\":{\"fdset-id\":%ld}}\n", set);
	if (qmp_call(&q, cmd, -1, ret, sizeof(ret)) < 0 && !r)
		r = -1;
	if (r)
		goto out_close;
	r = qmp_must(&q, "add the token port",
		     "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"virtserialport\",\"bus\":\"" BUS_ID ".0\",\"chardev\":\"" DEV_ID "\",\"id\":\"" DEV_ID "\",\"name\":\"" KVMMEM_TOKEN_PORT "\"}}\n",
		     -1, ret, sizeof(ret));
out_close:
	if (q.fd >= 0)
		close(q.fd);
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
