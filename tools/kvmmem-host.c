// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem-host: grant, revoke and list introspection grants on a KVM host.
 *
 *   kvmmem-host grant --target PID --introspector PID [--rw]
 *                     [--range START-END] [--expire MS] [--quota PAGES]
 *                     [--token-file FILE | --token-stdout]
 *   kvmmem-host revoke ID
 *   kvmmem-host list
 *
 * A VM is named by the pid of its VMM; the tool takes a duplicate of that
 * process's KVM VM descriptor with pidfd_getfd() and hands it to
 * /dev/kvmmem-host. The token never goes on a command line: it is written,
 * as 64 hex digits, to a new file of mode 0600, or to standard output.
 *
 * Exit codes: 0 success, 1 the module refused, 2 usage, 3 no such VM,
 * 4 no /dev/kvmmem-host (module not loaded).
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kvmmem_host.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static const char *prog = "kvmmem-host";

static int usage(void)
{
	fprintf(stderr,
		"usage: %s grant --target PID --introspector PID [--rw]\n"
		"           [--range START-END] [--expire MS] [--quota PAGES]\n"
		"           [--token-file FILE | --token-stdout]\n"
		"       %s revoke ID\n"
		"       %s list\n", prog, prog, prog);
	return 2;
}

static int open_ctl(void)
{
	int fd = open("/dev/kvmmem-host", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "%s: /dev/kvmmem-host: %s%s\n", prog,
			strerror(errno),
			errno == ENOENT ? " (is kvmmem_host loaded?)" : "");
		exit(4);
	}
	return fd;
}

/* A duplicate of the KVM VM descriptor of process @pid, or -1. */
static int vm_fd_of(pid_t pid)
{
	char dir[64], path[320], link[64];
	struct dirent *de;
	int pidfd, fd = -1;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (strcmp(link, "anon_inode:kvm-vm"))
			continue;
		pidfd = syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0)
			break;
		fd = syscall(SYS_pidfd_getfd, pidfd, atoi(de->d_name), 0);
		close(pidfd);
		break;
	}
	closedir(d);
	return fd;
}

static int cmd_grant(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "introspector", required_argument, NULL, 'i' },
		{ "rw", no_argument, NULL, 'w' },
		{ "range", required_argument, NULL, 'r' },
		{ "expire", required_argument, NULL, 'e' },
		{ "quota", required_argument, NULL, 'q' },
		{ "token-file", required_argument, NULL, 'f' },
		{ "token-stdout", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct kvmmem_host_grant g = { 0 };
	const char *file = NULL;
	pid_t tpid = 0, ipid = 0;
	int o, ctl, to_stdout = 0, i;
	FILE *out;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 't': tpid = atoi(optarg); break;
		case 'i': ipid = atoi(optarg); break;
		case 'w': g.flags |= KVMMEM_GRANT_WRITE; break;
		case 'r':
			if (sscanf(optarg, "%" SCNi64 "-%" SCNi64,
				   (int64_t *)&g.gpa_start, (int64_t *)&g.gpa_end) != 2)
				return usage();
			break;
		case 'e': g.expire_ms = strtoull(optarg, NULL, 0); break;
		case 'q': g.max_pages = strtoul(optarg, NULL, 0); break;
		case 'f': file = optarg; break;
		case 's': to_stdout = 1; break;
		default: return usage();
		}
	}
	if (tpid <= 0 || ipid <= 0 || (!file && !to_stdout))
		return usage();
	ctl = open_ctl();
	g.target_fd = vm_fd_of(tpid);
	g.intro_fd = vm_fd_of(ipid);
	if (g.target_fd < 0 || g.intro_fd < 0) {
		fprintf(stderr, "%s: no KVM VM in process %d\n", prog,
			g.target_fd < 0 ? tpid : ipid);
		return 3;
	}
	if (ioctl(ctl, KVMMEM_HOST_GRANT, &g)) {
		fprintf(stderr, "%s: grant refused: %s\n", prog, strerror(errno));
		return 1;
	}
	if (to_stdout) {
		out = stdout;
	} else {
		int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		out = fd < 0 ? NULL : fdopen(fd, "w");
		if (!out) {
			fprintf(stderr, "%s: %s: %s\n", prog, file, strerror(errno));
			ioctl(ctl, KVMMEM_HOST_REVOKE, &g.id);
			return 1;
		}
	}
	for (i = 0; i < 4; i++)
		fprintf(out, "%016" PRIx64, (uint64_t)g.token.token[i]);
	fprintf(out, "\n");
	if (out != stdout)
		fclose(out);
	else
		fflush(out);
	fprintf(to_stdout ? stderr : stdout, "grant %" PRIu64 "\n", (uint64_t)g.id);
	memset(&g, 0, sizeof(g));
	return 0;
}

static int cmd_revoke(int argc, char **argv)
{
	uint64_t id;
	int ctl;

	if (argc != 2)
		return usage();
	id = strtoull(argv[1], NULL, 0);
	ctl = open_ctl();
	if (ioctl(ctl, KVMMEM_HOST_REVOKE, &id)) {
		fprintf(stderr, "%s: revoke %" PRIu64 ": %s\n", prog, id,
			strerror(errno));
		return 1;
	}
	return 0;
}

static int cmd_list(void)
{
	struct kvmmem_host_grant_info info[256];
	struct kvmmem_host_list l = { .count = 256, .grants = (uintptr_t)info };
	unsigned int i;
	int ctl = open_ctl();

	if (ioctl(ctl, KVMMEM_HOST_LIST, &l)) {
		fprintf(stderr, "%s: list: %s\n", prog, strerror(errno));
		return 1;
	}
	printf("%-6s %-8s %-8s %-3s %-10s %-8s %-8s %s\n", "ID", "TARGET",
	       "INTRO", "RW", "EXPIRES", "MAPPED", "TOTAL", "RANGE");
	for (i = 0; i < l.count && i < 256; i++)
		printf("%-6" PRIu64 " %-8d %-8d %-3s %-10" PRId64 " %-8" PRIu64
		       " %-8" PRIu64 " %#" PRIx64 "-%#" PRIx64 "\n",
		       (uint64_t)info[i].id, info[i].target_pid, info[i].intro_pid,
		       info[i].flags & KVMMEM_GRANT_WRITE ? "rw" : "ro",
		       (int64_t)info[i].expires_in_ms, (uint64_t)info[i].mapped,
		       (uint64_t)info[i].maps_total, (uint64_t)info[i].gpa_start,
		       (uint64_t)info[i].gpa_end);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return argc < 2 ? usage() : (usage(), 0);
	if (!strcmp(argv[1], "grant"))
		return cmd_grant(argc - 1, argv + 1);
	if (!strcmp(argv[1], "revoke"))
		return cmd_revoke(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return cmd_list();
	return usage();
}
