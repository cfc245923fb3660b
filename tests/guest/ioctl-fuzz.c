// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl-fuzz: random and crafted ioctls on /dev/kvmmem (inside the
 * introspector) or /dev/kvmmem-host (on the host), from several threads and
 * from forked children that share the descriptor.
 *
 *   ioctl-fuzz DEVICE CALLS SEED THREADS CHILDREN [TOKENFILE [TARGET_BYTES]]
 *
 * CALLS is per worker. With TOKENFILE (as kvmmem-host writes it), map requests carry
 * that token, often with one bit flipped, and target gpas below
 * TARGET_BYTES. Commands: the device's own (with their size and direction
 * bits mutated, too) and random numbers. Arguments: NULL, kernel and
 * unmapped addresses, buffers that run into a guard page, random bytes and
 * crafted structures; pages of the workers' own buffers are discarded and
 * remapped while other threads map them.
 *
 * Prints one line: calls=N ok=N errors=N child_ok=N workers_failed=N.
 * child_ok counts successes of children on the inherited descriptor of
 * /dev/kvmmem, which is bound to its opener's mm (they must all fail).
 * Copyright (C) 2026 The kvmmem authors
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kvmmem.h>
#include <linux/kvmmem_host.h>

#include "common.h"

#define NPAGES		16

struct counts {
	uint64_t calls, ok, errors, child_ok, failed;
};

static int fd, is_host;
static __thread struct worker *me;	/* for the SIGSEGV report */
static uint64_t calls_each, target_bytes = 64 << 20;
static struct kvmi_map_mem_token token;
static struct counts *shared;	/* MAP_SHARED: children add theirs */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct worker {
	uint64_t rnd;
	uint8_t *buf;		/* NPAGES pages, then a PROT_NONE guard page */
	uintptr_t hole;		/* an address with nothing mapped */
	int child;
	unsigned long cmd, arg;	/* the call in progress */
	struct counts c;
};

static uint64_t rnd(struct worker *w)
{
	w->rnd ^= w->rnd << 13;
	w->rnd ^= w->rnd >> 7;
	w->rnd ^= w->rnd << 17;
	return w->rnd;
}

static void fill_random(struct worker *w, void *p, size_t n)
{
	uint8_t *b = p;

	while (n--)
		*b++ = (uint8_t)rnd(w);
}

static const unsigned long guest_cmds[] = {
	KVM_INTRO_MEM_MAP, KVM_INTRO_MEM_UNMAP, KVM_INTRO_MEM_MAP_BATCH,
	KVM_INTRO_MEM_UNMAP_BATCH,
};
static const unsigned long host_cmds[] = {
	KVMMEM_HOST_GRANT, KVMMEM_HOST_REVOKE, KVMMEM_HOST_LIST,
};

static unsigned long pick_cmd(struct worker *w)
{
	const unsigned long *cmds = is_host ? host_cmds : guest_cmds;
	unsigned int n = is_host ? 3 : 4;
	unsigned long cmd = cmds[rnd(w) % n];

	switch (rnd(w) % 8) {
	case 0:		/* another size */
		return (cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
		       ((rnd(w) & _IOC_SIZEMASK) << _IOC_SIZESHIFT);
	case 1:		/* another direction */
		return (cmd & ~(3UL << _IOC_DIRSHIFT)) | ((rnd(w) & 3) << _IOC_DIRSHIFT);
	case 2:		/* a neighbouring number */
		return cmd + (rnd(w) % 2 ? 1 : -1);
	case 3:
		return (uint32_t)rnd(w);
	default:
		return cmd;
	}
}

/*
 * A gva: our pages mostly, sometimes unaligned, kernel, unmapped or junk;
 * never the last page of buf, which we write arguments into (a read-only
 * mapping there would fault our own writes).
 */
static uint64_t pick_gva(struct worker *w)
{
	uint64_t r = rnd(w);

	switch (r % 10) {
	case 0:	return (uintptr_t)w->buf + (r >> 8) % ((NPAGES - 1) * PG);
	case 1:	return w->hole;
	case 2:	return (uint64_t)-PG;
	case 3:	return rnd(w) | 1;
	case 4:	return (uintptr_t)w->buf + NPAGES * PG;	/* the guard */
	default:
		return (uintptr_t)w->buf + ((r >> 8) % (NPAGES - 1)) * PG;
	}
}

static uint64_t pick_gpa(struct worker *w)
{
	uint64_t r = rnd(w);

	switch (r % 6) {
	case 0:	return rnd(w);
	case 1:	return (r >> 8) % target_bytes;		/* unaligned too */
	case 2:	return 0xfee00000;
	default:
		return ((r >> 8) % target_bytes) & ~(PG - 1);
	}
}

static void pick_token(struct worker *w, struct kvmi_map_mem_token *t)
{
	uint64_t r = rnd(w);

	*t = token;
	if (r % 4 == 0)
		((uint8_t *)t)[(r >> 8) % sizeof(*t)] ^= 1 << ((r >> 16) % 8);
	else if (r % 16 == 1)
		fill_random(w, t, sizeof(*t));
}

/* Room for crafted arguments: the last page of buf runs into the guard. */
static void *scratch(struct worker *w, size_t n)
{
	if (rnd(w) % 8 == 0)
		return w->buf + NPAGES * PG - n / 2;	/* straddles the guard */
	return w->buf + (NPAGES - 1) * PG;
}

static unsigned long crafted(struct worker *w, unsigned long cmd)
{
	static __thread struct kvmmem_batch_entry ent[80];
	struct kvmmem_host_grant *g;
	struct kvmmem_host_list *l;
	struct kvmmem_batch *b;
	struct kvmi_mem_map *m;
	uint64_t *id;
	unsigned int i;

	switch (cmd) {
	case KVM_INTRO_MEM_MAP:
		m = scratch(w, sizeof(*m));
		if ((uintptr_t)m + sizeof(*m) > (uintptr_t)w->buf + NPAGES * PG)
			return (unsigned long)m;
		pick_token(w, &m->token);
		m->gpa = pick_gpa(w);
		m->gva = pick_gva(w);
		return (unsigned long)m;
	case KVM_INTRO_MEM_UNMAP:
		return pick_gva(w);
	case KVM_INTRO_MEM_MAP_BATCH:
	case KVM_INTRO_MEM_UNMAP_BATCH:
		b = scratch(w, sizeof(*b));
		if ((uintptr_t)b + sizeof(*b) > (uintptr_t)w->buf + NPAGES * PG)
			return (unsigned long)b;
		pick_token(w, &b->token);
		for (i = 0; i < 80; i++) {
			ent[i].gpa = pick_gpa(w);
			ent[i].gva = pick_gva(w);
			if (i && rnd(w) % 8 == 0)
				ent[i] = ent[rnd(w) % i];	/* overlapping */
		}
		b->entries = rnd(w) % 8 ? (uintptr_t)ent : pick_gva(w);
		b->count = rnd(w) % 4 ? 1 + rnd(w) % 80 : (uint32_t)rnd(w);
		b->done = (uint32_t)rnd(w);
		return (unsigned long)b;
	case KVMMEM_HOST_GRANT:
		g = scratch(w, sizeof(*g));
		if ((uintptr_t)g + sizeof(*g) > (uintptr_t)w->buf + NPAGES * PG)
			return (unsigned long)g;
		fill_random(w, g, sizeof(*g));
		g->target_fd = rnd(w) % 8 - 1;
		g->intro_fd = rnd(w) % 8 - 1;
		return (unsigned long)g;
	case KVMMEM_HOST_REVOKE:
		id = scratch(w, sizeof(*id));
		if ((uintptr_t)id + sizeof(*id) <= (uintptr_t)w->buf + NPAGES * PG)
			*id = rnd(w) % 4 ? 1000000 + rnd(w) % 1000 : rnd(w);
		return (unsigned long)id;
	case KVMMEM_HOST_LIST:
		l = scratch(w, sizeof(*l));
		if ((uintptr_t)l + sizeof(*l) > (uintptr_t)w->buf + NPAGES * PG)
			return (unsigned long)l;
		l->count = rnd(w) % 4 ? rnd(w) % 8 : (uint32_t)rnd(w);
		l->pad = rnd(w) % 8 ? 0 : (uint32_t)rnd(w);
		l->grants = rnd(w) % 4 ? (uintptr_t)w->buf : pick_gva(w);
		return (unsigned long)l;
	}
	return pick_gva(w);
}

static unsigned long pick_arg(struct worker *w, unsigned long cmd)
{
	switch (rnd(w) % 10) {
	case 0:	return 0;
	case 1:	return (unsigned long)-1;
	case 2:	return (unsigned long)0xffffffff81000000ULL;
	case 3:	return w->hole;
	case 4:
		fill_random(w, w->buf + (NPAGES - 1) * PG, PG);
		return (unsigned long)(w->buf + (NPAGES - 1) * PG);
	default:
		return crafted(w, cmd);
	}
}

/* Now and then: pull one of our pages away under whoever maps it. */
static void churn(struct worker *w)
{
	uint8_t *p = w->buf + (rnd(w) % (NPAGES - 1)) * PG;

	switch (rnd(w) % 3) {
	case 0:
		madvise(p, PG, MADV_DONTNEED);
		break;
	case 1:
		mmap(p, PG, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		break;
	default:
		*(volatile uint8_t *)p;		/* fault it in */
		break;
	}
}

/* A fault is the fuzzer's own bug (or a page the kernel got wrong): say where. */
static void on_segv(int sig, siginfo_t *si, void *uc)
{
	char msg[160];
	int n;

	(void)uc;
	n = snprintf(msg, sizeof(msg), "SIGSEGV at %p; buf %p-%p, cmd %#lx arg %#lx\n",
		     si->si_addr, me ? (void *)me->buf : NULL,
		     me ? (void *)(me->buf + (NPAGES + 1) * PG) : NULL,
		     me ? me->cmd : 0, me ? me->arg : 0);
	if (write(2, msg, n) < 0)
		n = 0;
	{
		int m = open("/proc/self/maps", O_RDONLY);

		while (m >= 0 && (n = read(m, msg, sizeof(msg))) > 0)
			if (write(2, msg, n) < 0)
				break;
	}
	_exit(128 + sig);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t i;
	unsigned long cmd;

	me = w;
	{
		/* the handler must run even if this thread's stack is the fault */
		stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536 };

		if (ss.ss_sp)
			sigaltstack(&ss, NULL);
	}
	for (i = 0; i < calls_each; i++) {
		if (rnd(w) % 32 == 0)
			churn(w);
		cmd = pick_cmd(w);
		w->cmd = cmd;
		w->arg = pick_arg(w, cmd);
		if (ioctl(fd, cmd, w->arg) >= 0) {
			w->c.ok++;
			w->c.child_ok += w->child && !is_host;
		} else {
			w->c.errors++;
		}
		w->c.calls++;
	}
	return NULL;
}

static int worker_init(struct worker *w, uint64_t seed, int child)
{
	memset(w, 0, sizeof(*w));
	w->rnd = seed * 2654435761ULL | 1;
	w->child = child;
	w->buf = mmap(NULL, (NPAGES + 1) * PG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->buf == MAP_FAILED)
		return -1;
	/*
	 * Unmapped, and never mapped later: below mmap_min_addr. (A page
	 * unmapped by us could be reused for a thread's stack, and the guest
	 * module maps over whatever is at an address it is given.)
	 */
	w->hole = PG;
	return mprotect(w->buf + NPAGES * PG, PG, PROT_NONE);
}

static void add(struct counts *to, const struct counts *c)
{
	pthread_mutex_lock(&lock);
	to->calls += c->calls;
	to->ok += c->ok;
	to->errors += c->errors;
	to->child_ok += c->child_ok;
	to->failed += c->failed;
	pthread_mutex_unlock(&lock);
}

/* Run @n threads of work(); their counts go to @to. */
static int run_threads(int n, uint64_t seed, int child, struct counts *to)
{
	struct worker *w = calloc(n, sizeof(*w));
	pthread_t *t = calloc(n, sizeof(*t));
	char *running = calloc(n, 1);
	int i;

	if (!w || !t || !running)
		return -1;
	for (i = 0; i < n; i++) {
		if (worker_init(&w[i], seed + i, child) ||
		    pthread_create(&t[i], NULL, work, &w[i]))
			w[i].c.failed++;
		else
			running[i] = 1;
	}
	for (i = 0; i < n; i++) {
		if (running[i])
			pthread_join(t[i], NULL);
		add(to, &w[i].c);
	}
	free(running);
	free(w);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	int threads, children, i, st;
	uint64_t seed;
	pid_t pid;

	if (argc < 6) {
		fprintf(stderr, "usage: %s DEVICE CALLS SEED THREADS CHILDREN [TOKENFILE [TARGET_BYTES]]\n",
			argv[0]);
		return 2;
	}
	calls_each = strtoull(argv[2], NULL, 0);
	seed = strtoull(argv[3], NULL, 0);
	threads = atoi(argv[4]);
	children = atoi(argv[5]);
	if (argc > 6)
		read_token(argv[6], &token);
	if (argc > 7)
		target_bytes = strtoull(argv[7], NULL, 0) ?: PG;
	is_host = strstr(argv[1], "host") != NULL;
	{
		struct sigaction sa = { .sa_sigaction = on_segv,
				       .sa_flags = SA_SIGINFO | SA_ONSTACK };

		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 2;
	}
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return 2;
	memset(shared, 0, sizeof(*shared));
	for (i = 0; i < children; i++) {
		pid = fork();
		if (pid == 0) {
			struct counts c = { 0 };

			run_threads(threads, seed + 1000 * (i + 1), 1, &c);
			/* children are separate processes: add under no lock */
			__atomic_add_fetch(&shared->calls, c.calls, __ATOMIC_SEQ_CST);
			__atomic_add_fetch(&shared->ok, c.ok, __ATOMIC_SEQ_CST);
			__atomic_add_fetch(&shared->errors, c.errors, __ATOMIC_SEQ_CST);
			__atomic_add_fetch(&shared->child_ok, c.child_ok, __ATOMIC_SEQ_CST);
			__atomic_add_fetch(&shared->failed, c.failed, __ATOMIC_SEQ_CST);
			_exit(0);
		}
		if (pid < 0)
			shared->failed++;
	}
	{
		struct counts c = { 0 };

		run_threads(threads, seed, 0, &c);
		__atomic_add_fetch(&shared->calls, c.calls, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&shared->ok, c.ok, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&shared->errors, c.errors, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&shared->failed, c.failed, __ATOMIC_SEQ_CST);
	}
	while ((pid = wait(&st)) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			__atomic_add_fetch(&shared->failed, 1, __ATOMIC_SEQ_CST);
	printf("calls=%" PRIu64 " ok=%" PRIu64 " errors=%" PRIu64
	       " child_ok=%" PRIu64 " workers_failed=%" PRIu64 "\n",
	       shared->calls, shared->ok, shared->errors, shared->child_ok,
	       shared->failed);
	return 0;
}
