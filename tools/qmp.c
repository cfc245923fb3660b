// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: a QMP client
 *
 * QEMU's QMP monitor speaks JSON, one object per line: a greeting, then
 * for each command a "return" or an "error" object, with "event" objects
 * at any time in between. kvmmem-host needs a few commands and events of
 * it, so this client does not parse JSON: it looks for "return", "error"
 * and the events it knows (DEVICE_DELETED of the device it watches,
 * RESUME) at the start of a line, and skips the rest. Every command is a
 * fixed text, so no value from outside is ever put into one without being
 * a number or a name of ours.
 *
 * A port is a virtserialport on our own virtio-serial controller
 * ("kvmmem-vser", hot-plugged on PCI the first time; one that is there
 * already is used again), on a "file" character device whose "in" and
 * "out" are pipes that QEMU gets with add-fd: the character device keeps
 * its own copies, and the fd sets are removed at once. A port of the same
 * id from an earlier run is removed first.
 */
/* Copyright (C) 2026 The kvmmem authors */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"

#define BUS_ID		"kvmmem-vser"

/**
 * qmp_fail() - put a message into the caller's buffer
 * @q: the connection
 * @fmt: printf format of the message
 *
 * Return: -1.
 */
int qmp_fail(struct qmp *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->err, q->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/**
 * qmp_buffered() - whether a whole line waits in the buffer
 * @q: the connection
 *
 * poll() says nothing of what was read already: look here first.
 *
 * Return: non-zero if qmp_line() would return without reading.
 */
int qmp_buffered(const struct qmp *q)
{
	return memchr(q->buf, '\n', q->len) != NULL;
}

/**
 * qmp_line() - the next line from QEMU
 * @q: the connection
 * @line: out: the line, NUL-terminated, without its newline
 * @size: its size; a longer line is cut
 * @timeout_ms: how long to wait for it
 *
 * Return: 0, or -1 with the message in @q's buffer (no answer in time,
 * connection closed, or a line longer than the buffer).
 */
int qmp_line(struct qmp *q, char *line, size_t size, int timeout_ms)
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

/**
 * qmp_event() - note an event line that matters to us
 * @q: the connection
 * @line: a line from QEMU that holds "event"
 */
void qmp_event(struct qmp *q, const char *line)
{
	char id[80];

	if (strstr(line, "\"RESUME\""))
		q->resumed = 1;
	if (q->watch && strstr(line, "\"DEVICE_DELETED\"")) {
		snprintf(id, sizeof(id), "\"%s\"", q->watch);
		if (strstr(line, id))
			q->deleted = 1;
	}
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

/**
 * qmp_call() - send a command and wait for its answer
 * @q: the connection
 * @cmd: the command: one JSON object and a newline
 * @fd: a descriptor to pass with it (SCM_RIGHTS), or -1
 * @ret: out: the "return" line, or the error's text
 * @size: its size
 *
 * Events that come first are noted (qmp_event()) and skipped.
 *
 * Return: 0 with the "return" line in @ret, 1 with an error's text in
 * @ret, -1 if QMP itself failed (message in @q's buffer).
 */
int qmp_call(struct qmp *q, const char *cmd, int fd, char *ret, size_t size)
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
			qmp_event(q, line);
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

/**
 * qmp_must() - a command that must succeed
 * @q: the connection
 * @what: what it does, for the message ("add the port")
 * @cmd: the command
 * @fd: a descriptor to pass with it, or -1
 * @ret: out: its "return" line
 * @size: its size
 *
 * Return: 0, or -1 with the message in @q's buffer.
 */
int qmp_must(struct qmp *q, const char *what, const char *cmd, int fd,
	     char *ret, size_t size)
{
	int r = qmp_call(q, cmd, fd, ret, size);

	if (r > 0)
		return qmp_fail(q, "QEMU refused to %s: %s", what, ret);
	return r;
}

/**
 * qmp_connect() - connect to a QMP socket and leave its greeting behind
 * @q: the connection, with its error buffer set
 * @path: the socket
 * @pid: if not 0, the process that must be at the other end
 *
 * Return: 0, or -1 with the message in @q's buffer (@q->fd may be open:
 * qmp_close() it either way).
 */
int qmp_connect(struct qmp *q, const char *path, pid_t pid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[sizeof(q->buf)];
	struct ucred cred;
	socklen_t len = sizeof(cred);

	q->len = 0;
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

/**
 * qmp_close() - close a connection, if it is open
 * @q: the connection
 */
void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	q->len = 0;
}

/**
 * qmp_del_port() - remove a port of ours and its character device
 * @q: the connection
 * @id: the id of both
 *
 * A port that is not there is not an error.
 *
 * Return: 0, or -1 with the message in @q's buffer.
 */
int qmp_del_port(struct qmp *q, const char *id)
{
	char ret[1024], cmd[256], line[sizeof(q->buf)];
	time_t end;
	int r;

	q->watch = id;
	q->deleted = 0;
	snprintf(cmd, sizeof(cmd), "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"%s\"}}\n", id);
	r = qmp_call(q, cmd, -1, ret, sizeof(ret));
	if (r < 0)
		return r;
	/* a port leaves at once; wait for QEMU's word that it is gone */
	for (end = time(NULL) + QMP_TIMEOUT_MS / 1000; !r && !q->deleted;) {
		if (time(NULL) > end)
			return qmp_fail(q, "QEMU did not remove the old port %s", id);
		if (qmp_line(q, line, sizeof(line), QMP_TIMEOUT_MS))
			return -1;
		if (strstr(line, "\"event\""))
			qmp_event(q, line);
	}
	snprintf(cmd, sizeof(cmd), "{\"execute\":\"chardev-remove\",\"arguments\":{\"id\":\"%s\"}}\n", id);
	r = qmp_call(q, cmd, -1, ret, sizeof(ret));
	return r < 0 ? r : 0;
}

/* Hand @fd to QEMU in a new fd set; its /dev/fdset/N into @path. */
static int add_fd(struct qmp *q, int fd, char *path, size_t size)
{
	char ret[1024];
	const char *id;
	long set;

	if (qmp_must(q, "take a pipe",
		     "{\"execute\":\"add-fd\",\"arguments\":{\"opaque\":\"kvmmem\"}}\n",
		     fd, ret, sizeof(ret)))
		return -1;
	id = strstr(ret, "\"fdset-id\"");
	if (!id || sscanf(id, "\"fdset-id\": %ld", &set) != 1)
		return qmp_fail(q, "QMP: no fdset-id in %s", ret);
	snprintf(path, size, "/dev/fdset/%ld", set);
	return 0;
}

/* Remove the fd set of @path, if it is one. */
static int remove_fd(struct qmp *q, const char *path)
{
	char ret[1024], cmd[128];
	long set;

	if (sscanf(path, "/dev/fdset/%ld", &set) != 1)
		return 0;
	snprintf(cmd, sizeof(cmd), "{\"execute\":\"remove-fd\",\"arguments\":{\"fdset-id\":%ld}}\n", set);
	return qmp_call(q, cmd, -1, ret, sizeof(ret)) < 0 ? -1 : 0;
}

/**
 * qmp_add_port() - add a virtio-serial port on two pipes
 * @q: the connection to the VM's QEMU
 * @id: the id of the port and of its character device
 * @name: the port's name, which the guest sees
 * @in_fd: the read end of a pipe: what the guest reads from the port
 * @out_fd: the write end of a pipe that gets what the guest writes, or -1
 *	    (QEMU then writes that to /dev/null)
 *
 * An earlier port of @id goes first. QEMU keeps its own copies of the two
 * descriptors: the caller closes its own.
 *
 * Return: 0, or -1 with the message in @q's buffer.
 */
int qmp_add_port(struct qmp *q, const char *id, const char *name, int in_fd,
		 int out_fd)
{
	char ret[1024], cmd[512], in[32] = "", out[32] = "/dev/null";
	int r;

	r = qmp_call(q, "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"virtio-serial-pci\",\"id\":\"" BUS_ID "\"}}\n",
		     -1, ret, sizeof(ret));
	if (r > 0 && !strstr(ret, "Duplicate"))
		return qmp_fail(q, "QEMU refused to add a virtio-serial controller: %s", ret);
	if (r < 0 || qmp_del_port(q, id))
		return -1;
	r = add_fd(q, in_fd, in, sizeof(in));
	if (!r && out_fd >= 0)
		r = add_fd(q, out_fd, out, sizeof(out));
	if (!r) {
		/* "append": QEMU would truncate "out" otherwise, and a pipe cannot be */
		snprintf(cmd, sizeof(cmd),
			 "{\"execute\":\"chardev-add\",\"arguments\":{\"id\":\"%s\",\"backend\":{\"type\":\"file\",\"data\":{\"in\":\"%s\",\"out\":\"%s\",\"append\":true}}}}\n",
			 id, in, out);
		r = qmp_must(q, "add the port's character device", cmd, -1, ret, sizeof(ret));
	}
	/* the character device has its own copies now */
	if ((in[0] && remove_fd(q, in)) || remove_fd(q, out))
		r = -1;
	if (r)
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"virtserialport\",\"bus\":\"" BUS_ID ".0\",\"chardev\":\"%s\",\"id\":\"%s\",\"name\":\"%s\"}}\n",
		 id, id, name);
	return qmp_must(q, "add the port", cmd, -1, ret, sizeof(ret));
}
