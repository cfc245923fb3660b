// SPDX-License-Identifier: GPL-2.0
/*
 * alt-agent: the introspector's half of `make bench PARTS=alt`: kvmmem
 * against what a stock KVM host offers instead, on one target, timed in
 * the introspector.
 *
 *   alt-agent TOKENFILE REPS SWEEP_REPS PONG_GPA
 *
 * kvmmem reads through libkvmmem under the token's grant. The others ask
 * alt-host on the host (host.c) over vsock, a request per read, and get
 * the bytes back on it: QMP pmemsave ("qmp"),
 * the target VMM's /proc/PID/mem ("mem", copy and ship), and for the
 * whole-RAM sweep QEMU's dump-guest-memory ("dump": the dump, which pauses
 * the target, and shipping the image are both timed). The ping-pong
 * ("pingpong", the delay before a change shows) needs a read-write grant
 * and alt-pong (pong.c) answering at PONG_GPA in the target: a ping is
 * written, then the pong read until it matches, on the introspector's
 * clock (kvmmem: a store into the mapped page, then loads from it; the
 * others: a write through the host's /proc/PID/mem, as QMP cannot write,
 * then reads by the method). Each measure is
 * taken REPS times (SWEEP_REPS for the sweep), the methods in turn within
 * each repetition. kvmmem reads scattered pages as its users do: one
 * batch maps them into window slots. The process list is kvmmem_linux_tasks() on a view of
 * each method (kvmmem_pmem_callback() for the others), opened once with
 * the kernel's place and symbols known; only the walk is timed.
 *
 * Prints "alt MEASURE METHOD NS" per repetition (ns per read for "page",
 * the median round trip of PP_ROUNDS for "pingpong", per walk or read for
 * the others), "alt-same METHOD yes|no": whether the
 * method read the same bytes as kvmmem at a page that does not change, a
 * "# " line as each stage ends, and "alt-done" at the end.
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libkvmmem.h"
#include "kvmmem_linux.h"
#include <sys/socket.h>
#include <linux/vm_sockets.h>

#include "alt.h"

#define PAGE		4096ULL
#define BIG		(16ULL << 20)
#define SCATTER		512
#define PAGE_READS	16
#define POOL		8192
#define PP_ROUNDS	15
#define PP_LIMIT_NS	10000000000ULL	/* a round that takes longer fails */

static struct kvmmem *km;
static int port;
static struct kvmmem_ram_range rr[KVMMEM_RAM_RANGES_MAX];
static int nr;
static uint64_t ram_total;
static uint8_t *buf;

static const char * const names[] = { "kvmmem", "qmp", "mem", "dump" };
static uint64_t t_start;

static void die(const char *what)
{
	fprintf(stderr, "alt-agent: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void stage(const char *what)
{
	printf("# %.1f s: %s\n", (now_ns() - t_start) / 1e9, what);
	fflush(stdout);
}

static int io_all(int write_it, void *p, size_t n)
{
	ssize_t r;

	while (n) {
		r = write_it ? write(port, p, n) : read(port, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p = (char *)p + r;
		n -= r;
	}
	return 0;
}

/* One request of @method for @len bytes at @gpa, into @out. */
static int ask(int method, uint64_t gpa, void *out, size_t len)
{
	struct alt_req rq = { .method = method, .count = 1, .len = len };
	struct alt_resp rs;

	if (io_all(1, &rq, sizeof(rq)) || io_all(1, &gpa, sizeof(gpa)) ||
	    io_all(0, &rs, sizeof(rs)))
		die("the host");
	if (rs.err) {
		errno = rs.err;
		return -1;
	}
	if (rs.len != len)
		die("a short answer");
	return io_all(0, out, len) ? -1 : 0;
}

/* ALT_WRITE of one u64 at @gpa, through the host */
static int put64(uint64_t gpa, uint64_t v)
{
	struct alt_req rq = { .method = ALT_WRITE, .count = 1, .len = sizeof(v) };
	struct alt_resp rs;

	if (io_all(1, &rq, sizeof(rq)) || io_all(1, &gpa, sizeof(gpa)) ||
	    io_all(1, &v, sizeof(v)) || io_all(0, &rs, sizeof(rs)))
		die("the host");
	errno = rs.err;
	return rs.err ? -1 : 0;
}

static uint64_t reads[4], bytes[4], last_note;

/* read @len at @gpa by @method (an index of names[]) */
static int get(int m, uint64_t gpa, void *out, size_t len)
{
	uint64_t t = now_ns();
	size_t n;

	reads[m]++;
	bytes[m] += len;
	if (t - last_note > 20000000000ULL) {
		last_note = t;
		printf("# %.1f s: reads so far: kvmmem %" PRIu64 " (%" PRIu64 " KiB), qmp %" PRIu64
		       " (%" PRIu64 " KiB), mem %" PRIu64 " (%" PRIu64 " KiB)\n",
		       (t - t_start) / 1e9, reads[0], bytes[0] >> 10, reads[1], bytes[1] >> 10,
		       reads[2], bytes[2] >> 10);
	}

	if (!m)
		return kvmmem_read(km, gpa, out, len);
	for (; len; len -= n, gpa += n, out = (char *)out + n) {
		n = len < BIG ? len : BIG;	/* the host's largest answer */
		if (ask(m == 1 ? ALT_QMP : ALT_MEM, gpa, out, n))
			return -1;
	}
	return 0;
}

static int cb_read(void *ctx, uint64_t pa, void *out, size_t len)
{
	return get((int)(intptr_t)ctx, pa, out, len);
}

/* a page of RAM: the @i-th of a sequence spread over all the ranges */
static uint64_t spread(uint64_t i, uint64_t salt)
{
	uint64_t off = ((i + 1) * 2654435761ULL + salt * 40503ULL) % (ram_total / PAGE) * PAGE;
	int k;

	for (k = 0; k < nr; k++) {
		if (off < rr[k].end - rr[k].start)
			return rr[k].start + off;
		off -= rr[k].end - rr[k].start;
	}
	return rr[0].start;
}

/*
 * kvmmem's way with scattered pages: one batch maps them all into window
 * slots, they are copied out, one batch unmaps them.
 */
static int scatter_kvmmem(const uint64_t *gpas)
{
	static uint8_t *win;
	size_t done;
	int ret;

	if (!win)
		win = kvmmem_window(km, SCATTER);
	if (!win)
		return -1;
	ret = kvmmem_window_map(km, 0, gpas, SCATTER, &done);
	if (!ret)
		memcpy(buf, win, SCATTER * PAGE);
	if (kvmmem_window_unmap(km, 0, done, &done))
		ret = -1;
	return ret;
}

static void must(int r, const char *what, int m)
{
	if (r) {
		fprintf(stderr, "alt-agent: %s by %s: %s\n", what, names[m], strerror(errno));
		exit(1);
	}
}

static void report(const char *measure, int m, uint64_t ns)
{
	printf("alt %s %s %" PRIu64 "\n", measure, names[m], ns);
}

static uint64_t sweep(int m)
{
	struct alt_req rq = { .method = ALT_DUMP };
	uint64_t t = now_ns(), a, left;
	struct alt_resp rs;
	size_t n;
	int k;

	if (m == 3) {
		if (io_all(1, &rq, sizeof(rq)))
			die("the dump");
		for (left = 0;; left += rs.len) {
			if (io_all(0, &rs, sizeof(rs)) || rs.err) {
				errno = rs.err;
				die("the dump");
			}
			if (!rs.len)
				break;
			if (rs.len > BIG || io_all(0, buf, rs.len))
				die("the dump's bytes");
		}
		if (left < ram_total) {
			errno = EIO;
			die("a dump smaller than the RAM");
		}
		return now_ns() - t;
	}
	for (k = 0; k < nr; k++)
		for (a = rr[k].start; a < rr[k].end; a += n) {
			n = rr[k].end - a < BIG ? rr[k].end - a : BIG;
			must(get(m, a, buf, n), "the sweep", m);
		}
	return now_ns() - t;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * One ping-pong round by @m: ping @seq, then the pong read until it is
 * @seq. kvmmem's page @pp is mapped; the others go through the host.
 */
static uint64_t round_trip(int m, volatile uint64_t *pp, uint64_t gpa, uint64_t seq)
{
	uint64_t t = now_ns(), v = 0;

	if (!m)
		pp[0] = seq;
	else
		must(put64(gpa, seq), "a ping", m);
	for (;;) {
		if (!m)
			v = pp[1];
		else
			must(get(m, gpa + 8, &v, sizeof(v)), "a pong", m);
		if (v == seq)
			return now_ns() - t;
		if (now_ns() - t > PP_LIMIT_NS) {
			errno = ETIMEDOUT;
			must(-1, "the pong", m);
		}
		if (!m)
			__builtin_ia32_pause();
	}
}

/* the ping-pong: a median of PP_ROUNDS per method and repetition */
static void pingpong(uint64_t gpa, int reps)
{
	uint64_t t[PP_ROUNDS], seq = 0;
	volatile uint64_t *pp;
	int r, m, i;

	pp = kvmmem_map(km, gpa);
	if (!pp || mprotect((void *)pp, PAGE, PROT_READ | PROT_WRITE))
		must(-1, "the ping-pong page (a read-write grant?)", 0);
	for (r = 0; r < reps; r++)
		for (m = 0; m < 3; m++) {
			round_trip(m, pp, gpa, ++seq);	/* a first, untimed */
			for (i = 0; i < PP_ROUNDS; i++)
				t[i] = round_trip(m, pp, gpa, ++seq);
			qsort(t, PP_ROUNDS, sizeof(t[0]), cmp_u64);
			report("pingpong", m, t[PP_ROUNDS / 2]);
		}
	pp[0] = ALT_PONG_QUIT;
	kvmmem_unmap(km, (void *)pp);
	stage("the ping-pong");
}

int main(int argc, char **argv)
{
	struct sockaddr_vm host = {
		.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST,
		.svm_port = ALT_VSOCK_PORT,
	};
	struct kvmmem_linux_opts o = { .cache_dir = "/tmp/alt-cache" };
	struct kvmmem_linux *lx[3] = { 0 };
	struct kvmmem_pmem *pm[3] = { 0 };
	struct kvmmem_linux_task *tasks;
	uint8_t ref[PAGE], got[PAGE];
	int reps, sweeps, m, i, r;
	char hex[128] = "";
	uint64_t t, gpa, pong, big = 0, big_size = 0, gpas[SCATTER];
	size_t ntasks;
	FILE *f;

	if (argc != 5) {
		fprintf(stderr, "usage: alt-agent TOKENFILE REPS SWEEP_REPS PONG_GPA\n");
		return 2;
	}
	t_start = now_ns();
	setvbuf(stdout, NULL, _IOLBF, 0);
	reps = atoi(argv[2]);
	sweeps = atoi(argv[3]);
	pong = strtoull(argv[4], NULL, 0);
	f = fopen(argv[1], "r");
	if (!f || !fgets(hex, sizeof(hex), f))
		die(argv[1]);
	fclose(f);
	hex[strcspn(hex, " \n")] = 0;
	km = kvmmem_open(hex, POOL);
	if (!km)
		die("kvmmem_open");
	nr = kvmmem_ranges(km, rr, KVMMEM_RAM_RANGES_MAX);
	if (nr <= 0)
		die("kvmmem_ranges");
	for (i = 0; i < nr; i++) {
		ram_total += rr[i].end - rr[i].start;
		if (rr[i].end - rr[i].start > big_size) {
			big = rr[i].start;
			big_size = rr[i].end - rr[i].start;
		}
	}
	if (big_size <= BIG) {
		errno = ERANGE;
		die("no range of RAM over 16 MiB");
	}
	port = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (port < 0 || connect(port, (struct sockaddr *)&host, sizeof(host)))
		die("vsock to the host");
	buf = malloc(BIG);
	if (!buf)
		die("malloc");
	printf("alt-ram %" PRIu64 " bytes in %d ranges\n", ram_total, nr);

	/* the kernel found once, through kvmmem; the others start from there */
	if (mkdir(o.cache_dir, 0700) && errno != EEXIST)
		die(o.cache_dir);
	pm[0] = kvmmem_pmem_live(km);
	lx[0] = pm[0] ? kvmmem_linux_open(pm[0], &o) : NULL;
	if (!lx[0])
		die("a view through kvmmem");
	stage("the kernel found through kvmmem");
	o.anchor = kvmmem_linux_anchor(lx[0]) + 1;	/* its page's address + 1 */
	for (m = 1; m < 3; m++) {
		pm[m] = kvmmem_pmem_callback(cb_read, (void *)(intptr_t)m, rr, nr);
		lx[m] = pm[m] ? kvmmem_linux_open(pm[m], &o) : NULL;
		if (!lx[m])
			die("a view through the host");
		stage(names[m]);
	}

	/* the same bytes: the VMCOREINFO page, which does not change */
	gpa = kvmmem_linux_anchor(lx[0]) & ~(PAGE - 1);
	must(get(0, gpa, ref, PAGE), "the reference page", 0);
	for (m = 1; m < 3; m++) {
		must(get(m, gpa, got, PAGE), "the reference page", m);
		printf("alt-same %s %s\n", names[m], memcmp(ref, got, PAGE) ? "no" : "yes");
	}

	for (r = 0; r < reps; r++) {
		for (m = 0; m < 3; m++) {
			t = now_ns();
			for (i = 0; i < PAGE_READS; i++)
				must(get(m, spread(i, r * 3 + 1), buf, PAGE), "a page", m);
			report("page", m, (now_ns() - t) / PAGE_READS);

			t = now_ns();
			must(get(m, big + (r * BIG) % (big_size - BIG), buf, BIG), "16 MiB", m);
			report("16mib", m, now_ns() - t);

			for (i = 0; i < SCATTER; i++)
				gpas[i] = spread(i, r * 3 + 2);
			t = now_ns();
			if (!m)
				must(scatter_kvmmem(gpas), "scattered pages", m);
			for (i = 0; m && i < SCATTER; i++)
				must(get(m, gpas[i], buf + i * PAGE, PAGE), "scattered pages", m);
			report("scatter", m, now_ns() - t);

			t = now_ns();
			if (kvmmem_linux_tasks(lx[m], 0, &tasks, &ntasks))
				must(-1, "the process list", m);
			report("ps", m, now_ns() - t);
			if (!r)
				printf("alt-ps %s %zu processes\n", names[m], ntasks);
			free(tasks);
		}
		stage("a repetition");
	}
	pingpong(pong, reps);
	for (r = 0; r < sweeps; r++) {
		for (m = 0; m < 4; m++)
			report("sweep", m, sweep(m));
		stage("a sweep");
	}
	for (m = 2; m >= 0; m--) {
		kvmmem_linux_close(lx[m]);
		kvmmem_pmem_close(pm[m]);
	}
	kvmmem_close(km);
	printf("alt-done\n");
	return 0;
}
