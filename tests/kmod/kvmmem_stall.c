// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem_stall: holds a process's memory still for a while, for the lab's
 * race tests. Never installed; tests/lab/t-revoke.sh loads it by path.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/reboot.h>
#include <linux/sched/mm.h>

/**
 * DOC: Stalls, theory of operation
 *
 * Races between the host module and a target VMM's memory changes are too
 * narrow to hit by chance in the lab; this module widens one window on
 * purpose, in process @pid:
 *
 * - mode=inval: an MMU notifier on its mm sleeps @ms in
 *   invalidate_range_start() for the first blockable invalidation that
 *   covers @hva. The kernel calls the interval notifiers (kvmmem's) before
 *   the list notifiers (this one), and zaps the PTEs only after both. So
 *   for @ms an invalidation is under way whose PTEs are still there: a
 *   notifier inserted meanwhile never sees it, and GUP still finds the old
 *   page.
 * - mode=mmaplock: module init holds the mm's mmap_lock for writing for
 *   @ms, so that GUP in that mm waits while the test changes something
 *   GUP does not need the lock for (a memslot). Run insmod in the
 *   background.
 * - mode=reboot (no @pid; for the introspector's kernel): a reboot
 *   notifier of the lowest priority sleeps @ms, after kvmmem_guest's has
 *   run. For @ms the kernel going down still runs processes, so a map
 *   that was under way when kvmmem_guest unmapped everything gets its
 *   chance to go on.
 *
 * The notifier stays until rmmod. stalls (read-only) counts the sleeps.
 */

static int pid;
module_param(pid, int, 0444);
MODULE_PARM_DESC(pid, "the process whose memory is stalled");
static unsigned long hva;
module_param(hva, ulong, 0444);
MODULE_PARM_DESC(hva, "mode=inval: the address whose invalidation sleeps");
static unsigned int ms = 3000;
module_param(ms, uint, 0444);
MODULE_PARM_DESC(ms, "how long to stall, in milliseconds");
static char *mode = "inval";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "inval, mmaplock or reboot");
static atomic_t stalls = ATOMIC_INIT(0);
module_param_named(stalls, stalls.counter, int, 0444);
MODULE_PARM_DESC(stalls, "stalls so far");

static struct mm_struct *stall_mm;
static struct mmu_notifier stall_mn;

static int stall_reboot(struct notifier_block *nb, unsigned long action,
			void *data)
{
	atomic_inc(&stalls);
	pr_info("the reboot notifiers stalled for %u ms\n", ms);
	msleep(ms);
	pr_info("the reboot goes on\n");
	return NOTIFY_DONE;
}

static struct notifier_block stall_reboot_nb = {
	.notifier_call = stall_reboot,
	.priority = INT_MIN,
};

static int stall_start(struct mmu_notifier *mn,
		       const struct mmu_notifier_range *range)
{
	if (hva < range->start || hva >= range->end ||
	    !mmu_notifier_range_blockable(range) ||
	    atomic_cmpxchg(&stalls, 0, 1))
		return 0;
	pr_info("invalidation of %#lx-%#lx stalled for %u ms\n", range->start,
		range->end, ms);
	msleep(ms);
	return 0;
}

static const struct mmu_notifier_ops stall_ops = {
	.invalidate_range_start = stall_start,
};

static struct mm_struct *mm_of(int nr)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *p;

	p = find_get_pid(nr);
	task = p ? get_pid_task(p, PIDTYPE_PID) : NULL;
	put_pid(p);
	if (!task)
		return NULL;
	mm = get_task_mm(task);
	put_task_struct(task);
	return mm;
}

static int __init stall_init(void)
{
	struct mm_struct *mm;
	int ret = 0;

	if (!strcmp(mode, "reboot"))
		return register_reboot_notifier(&stall_reboot_nb);
	mm = mm_of(pid);
	if (!mm)
		return -ESRCH;
	if (!strcmp(mode, "mmaplock")) {
		mmap_write_lock(mm);
		atomic_inc(&stalls);
		msleep(ms);
		mmap_write_unlock(mm);
		goto out_mmput;
	}
	if (strcmp(mode, "inval")) {
		ret = -EINVAL;
		goto out_mmput;
	}
	stall_mn.ops = &stall_ops;
	ret = mmu_notifier_register(&stall_mn, mm);
	if (ret)
		goto out_mmput;
	mmgrab(mm);
	stall_mm = mm;
out_mmput:
	mmput(mm);
	return ret;
}

static void __exit stall_exit(void)
{
	if (!strcmp(mode, "reboot"))
		unregister_reboot_notifier(&stall_reboot_nb);
	if (!stall_mm)
		return;
	mmu_notifier_unregister(&stall_mn, stall_mm);
	mmdrop(stall_mm);
}

module_init(stall_init);
module_exit(stall_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kvmmem lab tests: stall a process's memory changes");
