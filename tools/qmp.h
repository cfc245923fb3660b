/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: a QMP client (qmp.c)
 *
 * kvmmem-host talks to QEMU's QMP monitor to add virtio-serial ports to a
 * running introspector (deliver.c, pause.c) and to pause and resume a
 * target (pause.c).
 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef KVMMEM_TOOLS_QMP_H
#define KVMMEM_TOOLS_QMP_H

#include <stddef.h>
#include <sys/types.h>

#define QMP_TIMEOUT_MS	10000

/* one QMP connection; err is the caller's message buffer */
struct qmp {
	int fd;
	char buf[8192];
	size_t len;
	char *err;
	size_t errlen;
	const char *watch;	/* a device id whose DEVICE_DELETED we wait for */
	int deleted;		/* saw DEVICE_DELETED for @watch */
	int resumed;		/* saw a RESUME event */
};

int qmp_fail(struct qmp *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int qmp_connect(struct qmp *q, const char *path, pid_t pid);
void qmp_close(struct qmp *q);
int qmp_line(struct qmp *q, char *line, size_t size, int timeout_ms);
int qmp_buffered(const struct qmp *q);
void qmp_event(struct qmp *q, const char *line);
int qmp_call(struct qmp *q, const char *cmd, int fd, char *ret, size_t size);
int qmp_must(struct qmp *q, const char *what, const char *cmd, int fd,
	     char *ret, size_t size);
int qmp_add_port(struct qmp *q, const char *id, const char *name, int in_fd,
		 int out_fd);
int qmp_del_port(struct qmp *q, const char *id);

#endif /* KVMMEM_TOOLS_QMP_H */
