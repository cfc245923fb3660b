// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: virtio-serial ports by name
 *
 * A virtserialport named NAME is /dev/virtio-ports/NAME where udev runs,
 * and otherwise the /dev/vportNpM whose /sys/class/virtio-ports/vportNpM/name
 * is NAME. Either needs the guest's virtio_console driver.
 */
/* Copyright (C) 2026 The kvmmem authors */
#define _GNU_SOURCE
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vport.h"

/**
 * vport_open() - open a virtio-serial port by its name
 * @name: the port's name
 * @flags: open(2) flags (O_CLOEXEC is added)
 *
 * Return: the descriptor, or -1 with errno set (ENOENT: no such port).
 */
int vport_open(const char *name, int flags)
{
	char path[PATH_MAX], line[128], dev[300];
	const char *base;
	size_t i;
	glob_t g;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/dev/virtio-ports/%s", name);
	fd = open(path, flags | O_CLOEXEC);
	if (fd >= 0 || glob("/sys/class/virtio-ports/*/name", 0, NULL, &g))
		return fd;
	for (i = 0, fd = -1; i < g.gl_pathc && fd < 0; i++) {
		f = fopen(g.gl_pathv[i], "re");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f) &&
		    !strcmp(strtok(line, "\n") ?: "", name)) {
			/* .../virtio-ports/vportNpM/name: /dev/vportNpM */
			snprintf(path, sizeof(path), "%s", g.gl_pathv[i]);
			*strrchr(path, '/') = 0;
			base = strrchr(path, '/') + 1;
			snprintf(dev, sizeof(dev), "/dev/%s", base);
			fd = open(dev, flags | O_CLOEXEC);
		}
		fclose(f);
	}
	globfree(&g);
	return fd;
}
