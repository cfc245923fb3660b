// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
/*
 * tasks.c: the target's processes and threads, and the ones it hides.
 *
 * DOC: Theory of operation
 *
 * The task list: init_task.tasks links every thread group leader; each
 * leader's signal->thread_head links its threads through thread_node (on
 * 6.1 and 6.12 alike; thread_group is gone in 6.12). Both are walked with
 * lx_list_walk(), so a corrupt or changing list ends a walk with a warning.
 *
 * The target runs during the walk. A task is read field by field, then its
 * pid, start time and comm are read again: a task that changed meanwhile
 * (it exited and its memory was reused) is left out rather than listed as
 * garbage. A walk cut short is started again, at most WALK_TRIES times;
 * after that what was found is returned, with the warning.
 *
 * The cross-view (KVMMEM_LINUX_HIDDEN): every task that the pid table of
 * the initial pid namespace (init_pid_ns.idr, an XArray of struct pid)
 * leads to, through pid->tasks[PIDTYPE_PID], but that the task list and
 * thread lists do not hold. A rootkit that unlinks a task from the task
 * list leaves it there, since the kernel needs it to find the task by pid.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "walk.h"

#define WALK_TRIES	3
#define XA_SHIFT	6	/* XA_CHUNK_SHIFT */
#define XA_SLOTS	64
#define XA_NODES_MAX	(1u << 16)

/* task __state and exit_state bits (include/linux/sched.h, 6.1 and 6.12) */
#define TASK_REPORT	0x7f
#define TASK_IDLE	0x402
#define PF_KTHREAD	0x00200000
#define PF_WQ_WORKER	0x00000020

/*
 * The members long_name() and xa_walk() use, looked up once per walk: a
 * BTF lookup scans every type, too slow for each of the (up to
 * LX_WALK_MAX) tasks or pid table entries a hostile target may list.
 */
struct name_offs {
	long priv, full, data, desc, cur, pool, rescue, wqname, xa_slots;
};

struct acc {
	struct kvmmem_linux *lx;
	struct kvmmem_linux_task *t;
	size_t n, cap;
	unsigned int flags;
	struct lx_seen seen;	/* task_structs listed */
	bool broken;
	struct name_offs no;
};

static void name_offs(struct kvmmem_linux *lx, struct name_offs *no)
{
	no->priv = lx_btf_off(lx, "task_struct", "worker_private");
	no->full = lx_btf_off(lx, "kthread", "full_name");
	no->data = lx_btf_off(lx, "kthread", "data");
	no->desc = lx_btf_off(lx, "worker", "desc");
	no->cur = lx_btf_off(lx, "worker", "current_work");
	no->pool = lx_btf_off(lx, "worker", "pool");
	no->rescue = lx_btf_off(lx, "worker", "rescue_wq");
	no->wqname = lx_btf_off(lx, "workqueue_struct", "name");
	no->xa_slots = lx_btf_off(lx, "xa_node", "slots");
}

static char state_char(uint32_t state, uint32_t exit_state)
{
	static const char letters[] = "RSDTtXZPI";
	uint32_t s = (state | exit_state) & TASK_REPORT;
	int i = 0;

	if (state == TASK_IDLE)
		return 'I';
	while (s) {
		i++;
		s >>= 1;
	}
	return letters[i < 9 ? i : 0];
}

/* The three fields that identify a task, to read twice. */
struct ident {
	int32_t pid;
	uint64_t start;
	char comm[KVMMEM_LINUX_COMM_LEN];
};

static int ident(struct kvmmem_linux *lx, uint64_t task, struct ident *id)
{
	const struct lx_offsets *o = &lx->o;

	memset(id, 0, sizeof(*id));
	return lx_kread(lx, task + o->task_pid, &id->pid, 4) ||
	       lx_ku64(lx, task + o->task_start_time, &id->start) ||
	       lx_kread(lx, task + o->task_comm, id->comm, sizeof(id->comm));
}

/* Read a NUL-terminated string of at most @size - 1 bytes at @va. */
static int kstr(struct kvmmem_linux *lx, uint64_t va, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size; i++)
		if (lx_kread(lx, va + i, buf + i, 1) || !buf[i])
			break;
	buf[i] = 0;
	return i ? 0 : -1;
}

/*
 * The name /proc/PID/comm shows (proc_task_name()): a kernel thread's
 * full name (struct kthread's full_name), or a workqueue worker's comm
 * with '+' (working) or '-' and its description (struct worker's desc);
 * from 6.9 on, a rescuer's comm is "kworker/R-" and its workqueue's name,
 * cut to fit, which /proc shows whole.
 */
static void long_name(struct kvmmem_linux *lx, const struct name_offs *no,
		      uint64_t task, uint32_t flags, struct kvmmem_linux_task *t)
{
	long priv = no->priv, full = no->full, data = no->data;
	long desc = no->desc, cur = no->cur, pool = no->pool;
	long rescue = no->rescue, wqname = no->wqname;
	uint64_t kt, p, w, c, wp, wq;
	char d[32];
	size_t n;

	memcpy(t->name, t->comm, sizeof(t->comm));
	if (!(flags & PF_KTHREAD) || priv < 0 ||
	    lx_ku64(lx, task + priv, &kt) || !lx_kptr(lx, kt))
		return;
	if (!(flags & PF_WQ_WORKER)) {
		if (full >= 0 && !lx_ku64(lx, kt + full, &p) && lx_kptr(lx, p))
			kstr(lx, p, t->name, sizeof(t->name));
		return;
	}
	if (data < 0 || desc < 0 || cur < 0 || pool < 0 ||
	    lx_ku64(lx, kt + data, &w) || !lx_kptr(lx, w))
		return;
	if (rescue >= 0 && wqname >= 0 && !strncmp(t->comm, "kworker/R-", 10) &&
	    !lx_ku64(lx, w + rescue, &wq) && lx_kptr(lx, wq))
		kstr(lx, wq + wqname, t->name + 10, sizeof(t->name) - 10);
	if (lx_ku64(lx, w + pool, &wp) || !wp ||
	    lx_ku64(lx, w + cur, &c) || lx_kread(lx, w + desc, d, 24))
		return;
	d[24] = 0;
	n = strlen(t->name);
	if (d[0] && n + 1 < sizeof(t->name))
		snprintf(t->name + n, sizeof(t->name) - n, "%c%s", c ? '+' : '-', d);
}

/* Read one task; 1: it changed under us (leave it out), -1: unreadable. */
static int read_task(struct kvmmem_linux *lx, const struct name_offs *no,
		     uint64_t task, struct kvmmem_linux_task *t)
{
	const struct lx_offsets *o = &lx->o;
	uint64_t parent, cred;
	uint32_t state = 0, exit_state = 0, flags = 0;
	struct ident a, b;

	memset(t, 0, sizeof(*t));
	if (ident(lx, task, &a) ||
	    lx_kread(lx, task + o->task_tgid, &t->tgid, 4) ||
	    lx_ku64(lx, task + o->task_real_parent, &parent) ||
	    lx_ku64(lx, task + o->task_cred, &cred) ||
	    lx_ku32(lx, task + o->task_state, &state) ||
	    lx_ku32(lx, task + o->task_exit_state, &exit_state) ||
	    lx_ku32(lx, task + o->task_flags, &flags))
		return -1;
	if (!lx_kptr(lx, parent) || lx_kread(lx, parent + o->task_tgid, &t->ppid, 4))
		t->ppid = 0;
	if (!lx_kptr(lx, cred) || lx_ku32(lx, cred + o->cred_uid, &t->uid) ||
	    lx_ku32(lx, cred + o->cred_euid, &t->euid))
		return -1;
	if (ident(lx, task, &b) || memcmp(&a, &b, sizeof(a)))
		return 1;
	t->addr = task;
	t->pid = a.pid;
	t->start_ns = a.start;
	memcpy(t->comm, a.comm, sizeof(t->comm));
	t->comm[KVMMEM_LINUX_COMM_LEN - 1] = 0;
	long_name(lx, no, task, flags, t);
	t->state = state_char(state, exit_state);
	t->kthread = !!(flags & PF_KTHREAD);
	/* the idle task of CPU 0 is init_task: pid 0, its own parent */
	if (!t->pid)
		t->ppid = 0;
	return 0;
}

static int push(struct acc *a, uint64_t task, bool hidden)
{
	struct kvmmem_linux_task t, *p;
	int r;

	r = lx_seen_add(&a->seen, task);
	if (r <= 0)
		return r;	/* listed already (0), or no memory */
	r = read_task(a->lx, &a->no, task, &t);
	if (r)
		return 0;	/* gone or garbage: not listed */
	t.hidden = hidden;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 256;
		p = realloc(a->t, a->cap * sizeof(*p));
		if (!p)
			return -1;
		a->t = p;
	}
	a->t[a->n++] = t;
	return 0;
}

static int on_thread(void *ctx, uint64_t node)
{
	struct acc *a = ctx;

	return push(a, node - a->lx->o.task_thread_node, false);
}

static int on_leader(void *ctx, uint64_t node)
{
	struct acc *a = ctx;
	struct kvmmem_linux *lx = a->lx;
	uint64_t task = node - lx->o.task_tasks, sig;
	int r;

	if (push(a, task, false))
		return -1;
	if (!(a->flags & (KVMMEM_LINUX_THREADS | KVMMEM_LINUX_HIDDEN)))
		return 0;
	if (lx_ku64(lx, task + lx->o.task_signal, &sig) || !lx_kptr(lx, sig))
		return 0;
	r = lx_list_walk(lx, sig + lx->o.signal_thread_head, "a thread list",
			 on_thread, a);
	if (r > 0)
		a->broken = true;
	return r < 0 ? -1 : 0;
}

/* The task that a struct pid names as its PIDTYPE_PID user, or 0. */
static uint64_t pid_task(struct kvmmem_linux *lx, uint64_t pid)
{
	uint64_t first;

	if (lx_ku64(lx, pid + lx->o.pid_tasks, &first) || !lx_kptr(lx, first))
		return 0;
	return first - lx->o.task_pid_links;
}

/* Every struct pid in the XArray at @head, to @a as hidden candidates. */
static int xa_walk(struct acc *a, uint64_t entry, int depth, size_t *nodes)
{
	struct kvmmem_linux *lx = a->lx;
	long slots = a->no.xa_slots;
	uint64_t s[XA_SLOTS], task;
	int i;

	if (!entry)
		return 0;
	if ((entry & 3) == 0) {
		task = lx_kptr(lx, entry) ? pid_task(lx, entry) : 0;
		if (task && !lx_seen_has(&a->seen, task))
			return push(a, task, true);
		return 0;
	}
	/* an internal entry: a node above 4096, else sibling, retry or zero */
	if ((entry & 3) != 2 || entry <= 4096)
		return 0;
	if (depth > 64 / XA_SHIFT + 1 || ++*nodes > XA_NODES_MAX || slots < 0) {
		lx_warn(lx, "the pid table: too deep or too large: walk cut short");
		return 0;
	}
	if (lx_kread(lx, entry - 2 + slots, s, sizeof(s))) {
		lx_warn(lx, "the pid table: an unreadable node");
		return 0;
	}
	for (i = 0; i < XA_SLOTS; i++)
		if (xa_walk(a, s[i], depth + 1, nodes))
			return -1;
	return 0;
}

/* The task_structs that the task and thread lists hold now. */
static int listed_now(struct acc *a, uint64_t init, struct lx_seen *s)
{
	struct kvmmem_linux *lx = a->lx;
	struct acc b = { .lx = lx, .flags = KVMMEM_LINUX_THREADS, .no = a->no };
	int r;

	if (push(&b, init, false))
		return -1;
	r = lx_list_walk(lx, init + lx->o.task_tasks, "the task list", on_leader, &b);
	free(b.t);
	*s = b.seen;
	return r < 0 ? -1 : 0;
}

static int hidden_tasks(struct acc *a, uint64_t init)
{
	struct lx_seen again = { 0 };
	struct kvmmem_linux *lx = a->lx;
	uint64_t ns = lx_sym(lx, "init_pid_ns"), head;
	long at = lx_btf_off(lx, "pid_namespace", "idr.idr_rt.xa_head");
	size_t nodes = 0, listed = a->n, i, k = 0;

	if (!ns || at < 0 || lx->o.pid_tasks < 0 || lx->o.task_pid_links < 0) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (lx_ku64(lx, ns + at, &head))
		return -1;
	if (xa_walk(a, head, 0, &nodes))
		return -1;
	/*
	 * Keep only what the pid table added, and of that, what a second walk
	 * of the lists does not find either: a task forked after the first
	 * walk is in both by now.
	 */
	if (a->n > listed && listed_now(a, init, &again)) {
		lx_seen_free(&again);
		return -1;
	}
	for (i = listed; i < a->n; i++)
		if (!lx_seen_has(&again, a->t[i].addr))
			a->t[k++] = a->t[i];
	lx_seen_free(&again);
	a->n = k;
	return 0;
}

static bool have_offsets(const struct lx_offsets *o)
{
	return o->task_tasks >= 0 && o->task_pid >= 0 && o->task_tgid >= 0 &&
	       o->task_real_parent >= 0 && o->task_cred >= 0 &&
	       o->task_comm >= 0 && o->task_state >= 0 &&
	       o->task_exit_state >= 0 && o->task_flags >= 0 &&
	       o->task_start_time >= 0 && o->task_signal >= 0 &&
	       o->task_thread_node >= 0 && o->signal_thread_head >= 0 &&
	       o->cred_uid >= 0 && o->cred_euid >= 0;
}

/**
 * kvmmem_linux_tasks() - the target's processes
 * @lx: the view
 * @flags: KVMMEM_LINUX_THREADS for every thread, KVMMEM_LINUX_HIDDEN for
 *	   only the tasks that the pid table has and the task list does not
 * @tasks: out: the tasks (free() them), leaders in list order, each
 *	   followed by its other threads
 * @n: out: how many
 *
 * Return: 0, or -1 with errno set (EOPNOTSUPP: the kernel lacks a member
 * the walk needs).
 */
int kvmmem_linux_tasks(struct kvmmem_linux *lx, unsigned int flags,
		       struct kvmmem_linux_task **tasks, size_t *n)
{
	uint64_t init = lx_sym(lx, "init_task");
	struct acc a = { .lx = lx, .flags = flags };
	int tries, r = 1, e;

	if (!init || !have_offsets(&lx->o)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	name_offs(lx, &a.no);
	for (tries = 0; tries < WALK_TRIES && r; tries++) {
		a.n = 0;
		a.broken = false;
		lx_seen_free(&a.seen);
		if (push(&a, init, false))
			goto err;
		r = lx_list_walk(lx, init + lx->o.task_tasks, "the task list",
				 on_leader, &a);
		if (r < 0)
			goto err;
		r = r || a.broken;
	}
	if ((flags & KVMMEM_LINUX_HIDDEN) && hidden_tasks(&a, init))
		goto err;
	lx_seen_free(&a.seen);
	*tasks = a.t;
	*n = a.n;
	return 0;
err:
	e = errno;
	lx_seen_free(&a.seen);
	free(a.t);
	errno = e;
	return -1;
}

/**
 * lx_task_pgd() - the page tables of a process
 * @lx: the view
 * @pid: a thread or process id
 * @pgd: out: the physical address of its top-level table
 * @mm: out: its mm_struct, or NULL
 *
 * Return: 0, or -1 with errno ESRCH (no such task, or a kernel thread).
 */
int lx_task_pgd(struct kvmmem_linux *lx, int pid, uint64_t *pgd, uint64_t *mm)
{
	struct kvmmem_linux_task *t;
	uint64_t m = 0, g = 0;
	size_t n, i;

	if (kvmmem_linux_tasks(lx, KVMMEM_LINUX_THREADS, &t, &n))
		return -1;
	for (i = 0; i < n && t[i].pid != pid; i++)
		;
	if (i < n && !lx_ku64(lx, t[i].addr + lx->o.task_mm, &m) &&
	    lx_kptr(lx, m) && !lx_ku64(lx, m + lx->o.mm_pgd, &g) &&
	    g >= lx->page_offset && g - lx->page_offset < (1ULL << 46)) {
		free(t);
		*pgd = g - lx->page_offset;
		if (mm)
			*mm = m;
		return 0;
	}
	free(t);
	errno = ESRCH;
	return -1;
}
