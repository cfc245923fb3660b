// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem_hide: hides a process, and then itself, the way a simple rootkit
 * does, for the lab's rootkit cross-view tests (kvmmem ps --hidden,
 * kvmmem lsmod --hidden). Never installed; the lab tests load it by path in
 * a throw-away target VM.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/list.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/preempt.h>
#include <linux/rculist.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/stop_machine.h>

/**
 * DOC: Hiding, theory of operation
 *
 * At load the module unlinks process @pid (a thread-group leader) from the
 * task list (init_task.tasks, which for_each_process() walks), and then
 * itself from the module list (which /proc/modules, hence lsmod, reads).
 * Each stays where the cross-view looks for it: the task in the pid table
 * (kill, /proc/PID and ps still find it, as /proc is listed from the pid
 * table), the module in /sys/module (its kobject stays in module_kset).
 *
 * Locking. Neither tasklist_lock nor module_mutex is exported to modules
 * by 6.1 or 6.12, so both unlinks run in a stop_machine() callback
 * instead: every other online CPU then spins, interrupts off, in its
 * stopper thread, which it can only have reached by scheduling.
 *
 * - Task list writers (fork, release_task(), de_thread()) hold
 *   tasklist_lock for writing with interrupts off, and readers hold it for
 *   reading (preemption off) or rcu_read_lock(). No writer or lock reader
 *   can be part-way through; an RCU reader may sit on the node, and
 *   list_del_rcu() leaves the node's ->next alone so that it walks on.
 * - Module list writers hold module_mutex, which sleeps, so they are not
 *   excluded. But under the Debian kernels' default voluntary preemption
 *   nothing preempts a task inside the few stores of a list_add_rcu() or
 *   list_del_rcu() (there is no scheduling point in them), so the list is
 *   whole whenever all CPUs stop. Under preempt=full a module load or
 *   unload preempted mid-update could race with the unlink and corrupt
 *   the list; the module warns then. Nothing else loads modules in the lab
 *   VM while a test runs. Readers hold module_mutex (the ->next kept by
 *   list_del_rcu() serves them) or disable preemption (excluded).
 *
 * Exit. When the hidden task is reaped, __unhash_process() list_del_rcu()s
 * it again. On the node as list_del_rcu() left it (->prev LIST_POISON2)
 * the Debian kernels' CONFIG_DEBUG_LIST and CONFIG_BUG_ON_DATA_CORRUPTION
 * would BUG, with tasklist_lock held. So once synchronize_rcu() has waited
 * out every reader that could be on the node, a second stop_machine()
 * links the node to itself: the second list_del_rcu() then passes the
 * checks and changes nothing, and the task may exit (but not in the
 * moment between the two stop_machine() calls). The cost: a walker
 * that keeps a task across an RCU break and stood on this one when it was
 * hidden (the hung-task detector's rcu_lock_break()) circles on it until
 * its count runs out. Not handled: an exec by a thread other than the
 * leader, whose de_thread() list_replace_rcu()s the leader's node into a
 * list again; hide a single-threaded process (the tests hide a sleep).
 *
 * The module can never be unloaded: delete_module() looks for it in the
 * module list, and it has no exit function. Loading it again fails, as its
 * name is taken in /sys/module. The target VM is thrown away afterwards.
 */

static int pid;
module_param(pid, int, 0444);
MODULE_PARM_DESC(pid, "the process to hide (a thread-group leader)");

/* Runs with every other CPU stopped. */
static int hide_unlink(void *data)
{
	struct task_struct *task = data;

	/* Reaped before the CPUs stopped: it is off the list already. */
	if (!pid_alive(task))
		return -ESRCH;
	/* Only the leaders are on the task list. */
	if (!thread_group_leader(task))
		return -EINVAL;
	list_del_rcu(&task->tasks);
	list_del_rcu(&THIS_MODULE->list);
	return 0;
}

/* Runs with every other CPU stopped, a grace period after hide_unlink(). */
static int hide_selflink(void *data)
{
	struct task_struct *task = data;

	if (pid_alive(task))
		INIT_LIST_HEAD(&task->tasks);
	return 0;
}

static int __init hide_init(void)
{
	char comm[TASK_COMM_LEN];
	struct task_struct *task;
	struct pid *p;
	int ret;

	p = find_get_pid(pid);
	task = p ? get_pid_task(p, PIDTYPE_PID) : NULL;
	put_pid(p);
	if (!task)
		return -ESRCH;
	if (preempt_model_full())
		pr_warn("preempt=full: a concurrent module load may race with the unlink\n");
	ret = stop_machine(hide_unlink, task, NULL);
	if (ret)
		goto out_put;
	synchronize_rcu();
	stop_machine(hide_selflink, task, NULL);
	get_task_comm(comm, task);
	pr_info("hid task %d (%s) from the task list and module %s from the module list\n",
		task_pid_nr(task), comm, THIS_MODULE->name);
out_put:
	put_task_struct(task);
	return ret;
}

module_init(hide_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kvmmem lab tests: hide a process and this module");
