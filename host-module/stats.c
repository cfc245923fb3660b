// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: counters, readable in debugfs as kvmmem/stats.
 *
 * Copyright (C) 2026 The kvmmem authors
 */

/**
 * DOC: Counters and fault injection, theory of operation
 *
 * Every part of the module counts what it does in kvmmem_stats[], atomic
 * counters that need no lock and can be bumped from any context; a refusal
 * is also counted by its errno. debugfs shows them as kvmmem/stats (one
 * "name value" line each, which the tests read) and the failed-token
 * throttle's state as kvmmem/introspectors. The stale window (how long an
 * overlay showed a page that the target had replaced) and, with the
 * stack_watch parameter, the deepest kernel stack seen in a vCPU thread are
 * kept as maxima. Fault injection for tests (kvmmem/fail_unmaps) lives
 * here too, since the counters are where tests look for its effect.
 */
#include <linux/debugfs.h>
#include <linux/errno.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/task_stack.h>
#include <linux/time64.h>
#include <linux/seq_file.h>

#include "stats.h"

atomic64_t kvmmem_stats[KVMMEM_STAT_NR];

static const char * const stat_names[KVMMEM_STAT_NR] = {
	[KVMMEM_STAT_HC_SEEN]		= "hypercalls",
	[KVMMEM_STAT_MAPS]		= "maps",
	[KVMMEM_STAT_UNMAPS]		= "unmaps",
	[KVMMEM_STAT_FAILED]		= "failed",
	[KVMMEM_STAT_BAD_TOKEN]		= "bad_token",
	[KVMMEM_STAT_LIVE]		= "live_maps",
	[KVMMEM_STAT_PINNED]		= "pinned_pages",
	[KVMMEM_STAT_HELD]		= "held_pages",
	[KVMMEM_STAT_REVOKED]		= "revoked",
	[KVMMEM_STAT_RESETS]		= "resets",
	[KVMMEM_STAT_SPLITS]		= "thp_splits",
	[KVMMEM_STAT_RESYNCS]		= "resyncs",
	[KVMMEM_STAT_GRANTS]		= "grants",
	[KVMMEM_STAT_GRANTS_ENDED]	= "grants_ended",
	[KVMMEM_STAT_THROTTLED]		= "throttled",
	[KVMMEM_STAT_STATUS_PAGES]	= "status_pages",
	[KVMMEM_STAT_STALE_LAST_US]	= "stale_last_us",
	[KVMMEM_STAT_STALE_MAX_US]	= "stale_max_us",
	[KVMMEM_STAT_CHUNKS]		= "window_chunks",
	[KVMMEM_STAT_WINDOW_BYTES]	= "window_bytes",
	[KVMMEM_STAT_STACK_MAX_USED]	= "stack_max_used",
	[KVMMEM_STAT_STALE_MKWRITE]	= "stale_mkwrites",
	[KVMMEM_STAT_SPLIT_COPIES]	= "thp_copies",
	[KVMMEM_STAT_RELEASES]		= "vm_releases",
	[KVMMEM_STAT_HOLD_RETRIES]	= "hold_retries",
	[KVMMEM_STAT_HC_UNKNOWN]	= "hypercalls_unknown_vm",
	[KVMMEM_STAT_VM_WORK_RESERVED]	= "vm_works_reserved",
};

/* Failures by reason: the errno a refused or failed call answered. */
static const int fail_errnos[] = {
	EACCES, EAGAIN, EINVAL, EFAULT, ENXIO, ERANGE, ELOOP, EEXIST, ENOENT,
	EDQUOT, EBUSY, EOPNOTSUPP, EIO, ENOMEM, EINTR, EXDEV,
};

static const char * const fail_names[] = {
	"eacces", "eagain", "einval", "efault", "enxio", "erange", "eloop",
	"eexist", "enoent", "edquot", "ebusy", "eopnotsupp", "eio", "enomem",
	"eintr", "exdev", "other",
};

static atomic64_t fails[ARRAY_SIZE(fail_names)];

/* Raise counter @s to @v if it is lower. */
static void stat_max(enum kvmmem_stat s, s64 v)
{
	s64 max = atomic64_read(&kvmmem_stats[s]);

	while (v > max && !atomic64_try_cmpxchg(&kvmmem_stats[s], &max, v))
		;
}

/**
 * kvmmem_stat_stale() - record how long a mapping showed a replaced page
 * @ns: from the target's invalidation to the overlay's switch, in ns
 *
 * Between the two the introspector may read the old (still held) page.
 */
void kvmmem_stat_stale(u64 ns)
{
	s64 us = div_u64(ns, NSEC_PER_USEC);

	atomic64_set(&kvmmem_stats[KVMMEM_STAT_STALE_LAST_US], us);
	stat_max(KVMMEM_STAT_STALE_MAX_US, us);
}

/*
 * Debugging aid: with stack_watch set, the places where an introspector's
 * vCPU thread runs our code (the hypercall, the overlays' faults) record how
 * deep that thread's kernel stack has ever been, as stack_max_used. A task's
 * stack starts zeroed, so the lowest word that is not zero marks the deepest
 * point reached so far, by anything the thread did, not only by us.
 */
static bool stack_watch;
module_param(stack_watch, bool, 0644);
MODULE_PARM_DESC(stack_watch, "record vCPU threads' deepest kernel stack use in debugfs (costs a stack scan per call)");

/**
 * kvmmem_stat_stack() - record the current task's deepest stack use
 *
 * Does nothing unless the stack_watch parameter is set.
 */
void kvmmem_stat_stack(void)
{
	unsigned long *end, *top, *p;

	if (!READ_ONCE(stack_watch))
		return;
	end = end_of_stack(current);
	top = (unsigned long *)((char *)task_stack_page(current) + THREAD_SIZE);
	/* below the stack pointer: stale words, maybe KASAN-poisoned */
	for (p = end + 1; p < top && !READ_ONCE_NOCHECK(*p); p++)
		;
	stat_max(KVMMEM_STAT_STACK_MAX_USED, (char *)top - (char *)p);
}

/**
 * kvmmem_stat_failed() - count a refused or failed call, by reason
 * @err: the negative errno it answered
 */
void kvmmem_stat_failed(long err)
{
	unsigned int i;

	kvmmem_stat_inc(KVMMEM_STAT_FAILED);
	for (i = 0; i < ARRAY_SIZE(fail_errnos); i++)
		if (err == -fail_errnos[i])
			break;
	atomic64_inc(&fails[i]);
}

static struct dentry *stats_dir;

/*
 * Fault injection for tests (debugfs kvmmem/fail_unmaps, root only): the
 * next N unmaps of a page that is mapped fail with -EIO before touching
 * anything, as an unmap that the host cannot do would. The guest's
 * handling of that (quarantine) can be tested no other way. With
 * kvmmem/fail_unmaps_pid set, only the unmaps of that introspector's VMM
 * process count, so that no other VM's unmap can use the failure up.
 */
static atomic_t fail_unmaps = ATOMIC_INIT(0);
static u32 fail_unmaps_pid;

/**
 * kvmmem_inject_unmap_failure() - should this unmap fail (fault injection)?
 * @intro_gpa: the introspector's gpa that would be unmapped, for the log
 *
 * Called for an unmap of a page that is mapped, in the introspector VMM's
 * vCPU thread.
 *
 * Return: true if a failure was requested through debugfs for this
 * process; uses it up.
 */
bool kvmmem_inject_unmap_failure(u64 intro_gpa)
{
	u32 pid = READ_ONCE(fail_unmaps_pid);

	if (pid && pid != current->tgid)
		return false;
	if (!atomic_add_unless(&fail_unmaps, -1, 0))
		return false;
	pr_info("unmap of gpa 0x%llx by introspector kvm-%d fails on purpose (fault injection)\n",
		intro_gpa, current->tgid);
	return true;
}

static int stats_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < KVMMEM_STAT_NR; i++)
		seq_printf(m, "%s %lld\n", stat_names[i],
			   atomic64_read(&kvmmem_stats[i]));
	for (i = 0; i < ARRAY_SIZE(fail_names); i++)
		seq_printf(m, "failed_%s %lld\n", fail_names[i],
			   atomic64_read(&fails[i]));
	/* a reference that GUP took and we never gave back shows here */
	seq_printf(m, "zero_page_refs %d\n", page_ref_count(ZERO_PAGE(0)));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/**
 * kvmmem_stats_init() - publish the counters in debugfs
 *
 * Return: 0; a missing debugfs is not an error.
 */
int kvmmem_stats_init(void)
{
	stats_dir = debugfs_create_dir("kvmmem", NULL);
	debugfs_create_file("stats", 0400, stats_dir, NULL, &stats_fops);
	debugfs_create_atomic_t("fail_unmaps", 0600, stats_dir, &fail_unmaps);
	debugfs_create_u32("fail_unmaps_pid", 0600, stats_dir, &fail_unmaps_pid);
	return 0;
}

/**
 * kvmmem_debugfs_dir() - kvmmem's debugfs folder, for the others' files
 *
 * Return: the folder (an error pointer without debugfs, which debugfs's
 * calls take). kvmmem_stats_uninit() removes it with all in it.
 */
struct dentry *kvmmem_debugfs_dir(void)
{
	return stats_dir;
}

/**
 * kvmmem_stats_uninit() - remove the debugfs files
 */
void kvmmem_stats_uninit(void)
{
	debugfs_remove_recursive(stats_dir);
}
