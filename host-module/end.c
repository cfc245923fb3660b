// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: the end of grants, and the reaper.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/jiffies.h>
#include <linux/kvm_host.h>
#include <linux/sched/mm.h>
#include <linux/workqueue.h>

#include "end.h"
#include "grant.h"
#include "known.h"
#include "remap.h"
#include "stats.h"
#include "status.h"
#include "throttle.h"
#include "trace.h"
#include "window.h"

/**
 * DOC: The end of grants, theory of operation
 *
 * A grant ends on revoke, on expiry, when either VM is released by its VMM
 * (probes.c), or when the process of either VM goes away (its mm has no
 * users left). Ending one takes it out of the table (grant.c), revokes
 * every page and window slot mapped under it (remap.c, window.c), forgets
 * its introspector's failed tokens if it holds no other grant
 * (throttle.c), and drops the table's reference, which drops the VM
 * references once no mapping holds the grant: a dead VM is never kept
 * alive.
 *
 * The reaper runs every KVMMEM_REAP_MS while grants, mappings, window
 * chunks or status pages exist. It ends expired grants and those of VMs
 * whose process has gone, and forgets the mappings, chunks and status
 * pages of introspectors that have gone. When it finds nothing left at
 * all, it stops, and no VM is known (known.c) any more.
 *
 * This file sits above the grant table and the two map engines, and is
 * the one that drives them when a grant ends; none of them calls back.
 */

#define KVMMEM_REAP_MS		200

static void reap_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(reap_work, reap_fn);

static bool vm_gone(struct kvm *kvm)
{
	return !atomic_read(&kvm->mm->mm_users);
}

/* kvmmem_lock held. Unlink @g and revoke its mappings. */
static void end_grant(struct kvmmem_grant *g, const char *why)
{
	lockdep_assert_held(&kvmmem_lock);
	kvmmem_grant_unlink(g);
	if (!kvmmem_grant_holder(g->intro))
		kvmmem_throttle_forget(g->intro);
	kvmmem_remap_revoke_grant(g);
	kvmmem_window_revoke_grant(g);
	kvmmem_stat_inc(KVMMEM_STAT_GRANTS_ENDED);
	pr_info("grant %llu (target %s, introspector %s) ended: %s\n", g->id,
		g->target->stats_id, g->intro->stats_id, why);
	trace_kvmmem_grant_end(g, why);
}

/* Drop the table's references of the grants on @dead. */
static void put_dead(struct list_head *dead)
{
	struct kvmmem_grant *g, *tmp;

	list_for_each_entry_safe(g, tmp, dead, node) {
		list_del(&g->node);
		kvmmem_grant_put(g);
	}
}

static void reap_fn(struct work_struct *work)
{
	struct kvmmem_grant *g, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&kvmmem_lock);
	list_for_each_entry_safe(g, tmp, &kvmmem_grants, node) {
		const char *why = NULL;

		if (kvmmem_grant_expired(g))
			why = "expired";
		else if (vm_gone(g->target))
			why = "target VM gone";
		else if (vm_gone(g->intro))
			why = "introspector VM gone";
		if (!why)
			continue;
		end_grant(g, why);
		list_add(&g->node, &dead);
	}
	kvmmem_remap_reap();
	kvmmem_window_reap();
	if (!list_empty(&kvmmem_grants) || kvmmem_remap_busy() ||
	    kvmmem_window_busy() || kvmmem_status_busy())
		schedule_delayed_work(&reap_work, msecs_to_jiffies(KVMMEM_REAP_MS));
	else
		kvmmem_known_forget_all();	/* nothing is left */
	mutex_unlock(&kvmmem_lock);
	kvmmem_status_reap();
	put_dead(&dead);
}

/**
 * kvmmem_end_watch() - start the reaper, for a grant just made
 */
void kvmmem_end_watch(void)
{
	schedule_delayed_work(&reap_work, msecs_to_jiffies(KVMMEM_REAP_MS));
}

/**
 * kvmmem_end_revoke() - end a grant and unmap everything mapped under it
 * @id: the grant's id
 *
 * Return: 0 or -ENOENT.
 */
int kvmmem_end_revoke(u64 id)
{
	struct kvmmem_grant *g, *found = NULL;

	mutex_lock(&kvmmem_lock);
	list_for_each_entry(g, &kvmmem_grants, node) {
		if (g->id == id) {
			found = g;
			end_grant(g, "revoked");
			break;
		}
	}
	mutex_unlock(&kvmmem_lock);
	if (!found)
		return -ENOENT;
	kvmmem_grant_put(found);
	return 0;
}

/* End the grants of @kvm as target or introspector, or all if it is NULL. */
static void end_grants(struct kvm *kvm, const char *why)
{
	struct kvmmem_grant *g, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&kvmmem_lock);
	list_for_each_entry_safe(g, tmp, &kvmmem_grants, node) {
		if (kvm && g->target != kvm && g->intro != kvm)
			continue;
		end_grant(g, why);
		list_add(&g->node, &dead);
	}
	mutex_unlock(&kvmmem_lock);
	put_dead(&dead);
}

/**
 * kvmmem_end_vm_grants() - end every grant of a VM that was released
 * @kvm: the VM, as target or as introspector
 *
 * Takes kvmmem_lock.
 */
void kvmmem_end_vm_grants(struct kvm *kvm)
{
	end_grants(kvm, "VM released");
}

/**
 * kvmmem_end_uninit() - end every grant (module unload)
 *
 * Overlays pin the module, so no mapping is live here; only grants are.
 */
void kvmmem_end_uninit(void)
{
	cancel_delayed_work_sync(&reap_work);
	end_grants(NULL, "module unload");
	reap_fn(NULL);
	cancel_delayed_work_sync(&reap_work);
	mutex_lock(&kvmmem_lock);
	kvmmem_known_forget_all();
	mutex_unlock(&kvmmem_lock);
}
