// SPDX-License-Identifier: GPL-2.0
/*
 * alt-host: the host's half of the alternatives to kvmmem that `make bench
 * PARTS=alt` measures, run in the lab host.
 *
 *   alt-host TARGET_QMP TARGET_PID RAM_BYTES
 *
 * Serves the agent in the introspector (agent.c), which connects over
 * vsock to ALT_VSOCK_PORT (vhost-vsock: the introspector's QEMU has a
 * vhost-vsock-pci device). Each request
 * reads target guest-physical memory the way a tool on a stock KVM host
 * would, and ships the bytes back:
 *   ALT_QMP   QMP pmemsave into a file, then the file (what LibVMI's
 *             legacy KVM driver does without kernel patches);
 *   ALT_MEM   pread() of the target VMM's /proc/PID/mem, at the RAM's host
 *             address (memflow-qemu's way): the largest part of it is
 *             found in /proc/PID/maps, as the smallest writable mapping of
 *             at least RAM_BYTES;
 *   ALT_DUMP  QMP dump-guest-memory of the whole VM (ELF, no paging), which
 *             pauses the target while it writes, into a pipe whose bytes
 *             are shipped as they come;
 *   ALT_WRITE a write through /proc/PID/mem (the ping of the ping-pong:
 *             QMP cannot write guest memory).
 * pmemsave's file goes to /tmp. Serves one agent; exits on ALT_QUIT or when it goes.
 * (A virtio-serial port was tried first: in the nested lab, a stream of
 * 16 MiB answers through it stalled after a few hundred MiB.)
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "../../tools/qmp.h"
#include "alt.h"

#define PMEM_FILE	"/tmp/kvmmem-alt.bin"

static int port = -1, mem = -1;
static uint64_t hva, ram;
static struct qmp q = { .fd = -1 };
static char qerr[512];
static char *buf;

static void die(const char *what)
{
	fprintf(stderr, "alt-host: %s: %s\n", what, q.fd >= 0 && *qerr ? qerr : strerror(errno));
	exit(1);
}

static int read_all(int fd, void *p, size_t n)
{
	ssize_t r;

	while (n) {
		r = read(fd, p, n);
		if (r <= 0)
			return -1;
		p = (char *)p + r;
		n -= r;
	}
	return 0;
}

/*
 * In pieces of 1 MiB at most. vsock allocates a buffer per packet of up
 * to 64 KiB, which can fail with ENOMEM when the host's memory is
 * fragmented: then smaller pieces, and a pause.
 */
static int write_all(int fd, const void *p, size_t n)
{
	size_t piece = 1 << 20;
	int tries = 0;
	ssize_t r;

	while (n) {
		r = write(fd, p, n < piece ? n : piece);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == ENOMEM || errno == EAGAIN) && ++tries < 5000) {
			if (piece > 4096)
				piece /= 2;
			usleep(1000);
			continue;
		}
		if (r <= 0)
			return -1;
		p = (const char *)p + r;
		n -= r;
	}
	return 0;
}

/* the smallest writable mapping of at least @ram bytes: the guest's RAM */
static uint64_t find_ram(pid_t pid)
{
	unsigned long long lo, hi, best = 0, best_size = ~0ULL;
	char path[64], perms[8], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) != 3 ||
		    perms[1] != 'w' || hi - lo < ram)
			continue;
		if (hi - lo < best_size) {
			best = lo;
			best_size = hi - lo;
		}
	}
	fclose(f);
	if (!best) {
		errno = ENOENT;
		die("no mapping as large as the RAM");
	}
	return best;
}

static int send_resp(int err, uint64_t len, const void *data)
{
	struct alt_resp r = { .err = err, .len = err ? 0 : len };

	if (write_all(port, &r, sizeof(r)))
		return -1;
	return err || !len ? 0 : write_all(port, data, len);
}

static int by_qmp(uint64_t gpa, uint64_t len)
{
	char cmd[256], ret[512];
	int fd, err = 0;

	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"pmemsave\",\"arguments\":{\"val\":%" PRIu64 ",\"size\":%" PRIu64 ",\"filename\":\"%s\"}}\n",
		 gpa, len, PMEM_FILE);
	if (qmp_call(&q, cmd, -1, ret, sizeof(ret)))
		return send_resp(EIO, 0, NULL);
	fd = open(PMEM_FILE, O_RDONLY);
	if (fd < 0 || read_all(fd, buf, len))
		err = EIO;
	if (fd >= 0)
		close(fd);
	return send_resp(err, len, buf);
}

static int by_mem(uint64_t gpa, uint64_t len)
{
	if (gpa >= ram || len > ram - gpa)
		return send_resp(ERANGE, 0, NULL);
	if (pread(mem, buf, len, hva + gpa) != (ssize_t)len)
		return send_resp(EIO, 0, NULL);
	return send_resp(0, len, buf);
}

/*
 * The dump into a pipe that QEMU gets by SCM_RIGHTS, each piece shipped as
 * it comes: no image in the lab host's tmpfs (a 512 MiB one there left
 * vsock without memory), and the dump and its shipping overlap, which can
 * only make the dump look faster. dump-guest-memory runs detached, so QMP
 * stays free; QEMU closes the pipe at the end, and query-dump tells
 * whether the dump completed.
 */
static int by_dump(void)
{
	char ret[512];
	ssize_t n = 0;
	int p[2], i;

	if (pipe2(p, O_CLOEXEC))
		return send_resp(EIO, 0, NULL);
	if (qmp_call(&q, "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"altdump\"}}\n",
		     p[1], ret, sizeof(ret))) {
		close(p[0]);
		close(p[1]);
		return send_resp(EIO, 0, NULL);
	}
	close(p[1]);
	if (qmp_call(&q, "{\"execute\":\"dump-guest-memory\",\"arguments\":{\"paging\":false,\"protocol\":\"fd:altdump\",\"detach\":true}}\n",
		     -1, ret, sizeof(ret))) {
		close(p[0]);
		return send_resp(EIO, 0, NULL);
	}
	for (;;) {
		n = read(p[0], buf, ALT_DUMP_PIECE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (send_resp(0, n, buf)) {
			close(p[0]);
			return -1;
		}
	}
	close(p[0]);
	/* QEMU closed its end: the status leaves "active" right after */
	for (i = 0; i < 1000; i++) {
		if (qmp_call(&q, "{\"execute\":\"query-dump\"}\n", -1, ret, sizeof(ret)))
			return send_resp(EIO, 0, NULL);
		if (!strstr(ret, "\"active\""))
			break;
		usleep(10000);
	}
	if (n < 0 || !strstr(ret, "\"completed\"")) {
		fprintf(stderr, "alt-host: the dump: %s\n", n < 0 ? strerror(errno) : ret);
		return send_resp(EIO, 0, NULL);
	}
	return send_resp(0, 0, NULL);
}

/* the bytes follow the request: read them first, even for a refusal */
static int by_write(uint64_t gpa, uint64_t len)
{
	if (read_all(port, buf, len))
		return -1;
	if (gpa >= ram || len > ram - gpa)
		return send_resp(ERANGE, 0, NULL);
	if (pwrite(mem, buf, len, hva + gpa) != (ssize_t)len)
		return send_resp(EIO, 0, NULL);
	return send_resp(0, 0, NULL);
}

int main(int argc, char **argv)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
		.svm_port = ALT_VSOCK_PORT,
	};
	uint64_t gpas[ALT_MAX_GPAS];
	struct alt_req rq;
	char path[64];
	pid_t pid;
	uint32_t i;
	int r = 0, lfd;

	if (argc != 4) {
		fprintf(stderr, "usage: alt-host TARGET_QMP TARGET_PID RAM_BYTES\n");
		return 2;
	}
	pid = atoi(argv[2]);
	ram = strtoull(argv[3], NULL, 0);
	buf = malloc(16 << 20);
	if (!buf)
		die("malloc");
	q.err = qerr;
	q.errlen = sizeof(qerr);
	if (qmp_connect(&q, argv[1], pid))
		die("QMP");
	hva = find_ram(pid);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	mem = open(path, O_RDWR);
	if (mem < 0)
		die(path);
	lfd = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1))
		die("vsock");
	fprintf(stderr, "alt-host: listening; the target's RAM at %#" PRIx64 " in process %d\n",
		hva, (int)pid);
	port = accept(lfd, NULL, NULL);
	if (port < 0)
		die("accept");
	close(lfd);

	while (!r) {
		if (read_all(port, &rq, sizeof(rq))) {
			fprintf(stderr, "alt-host: the agent has gone\n");
			break;
		}
		if (rq.method == ALT_QUIT || rq.method >= ALT_NR)
			break;
		if (rq.count > ALT_MAX_GPAS || rq.len > (16 << 20)) {
			fprintf(stderr, "alt-host: a bad request (%u gpas of %" PRIu64 " bytes)\n",
				rq.count, rq.len);
			break;
		}
		if (read_all(port, gpas, rq.count * sizeof(gpas[0]))) {
			fprintf(stderr, "alt-host: the agent has gone\n");
			break;
		}
		if (rq.method == ALT_DUMP) {
			r = by_dump();
			continue;
		}
		if (rq.method == ALT_WRITE) {
			r = rq.count == 1 ? by_write(gpas[0], rq.len) : -1;
			continue;
		}
		for (i = 0; i < rq.count && !r; i++)
			r = rq.method == ALT_QMP ? by_qmp(gpas[i], rq.len) :
						   by_mem(gpas[i], rq.len);
	}
	if (r)
		fprintf(stderr, "alt-host: cannot answer the agent: %s\n", strerror(errno));
	qmp_close(&q);
	return 0;
}
