// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: the grant (token) table.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <crypto/algapi.h>
#include <linux/jiffies.h>
#include <linux/kvm_host.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "grant.h"
#include "known.h"
#include "stats.h"
#include "trace.h"

/**
 * DOC: Grants, theory of operation
 *
 * A grant says "introspector VM I may map pages of target VM T", with
 * rights, an optional gpa range, an expiry and a page quota. It holds a
 * reference on both &struct kvm, so their pointers stay unique while the
 * grant exists, and it is identified to the host by a small id and to the
 * introspector by a 256-bit token from get_random_bytes().
 *
 * Lookup (kvmmem_grant_find) walks every grant and compares every token with
 * crypto_memneq(), so its time depends neither on where a grant sits nor on
 * how many bytes of a wrong token match. A token counts only in hypercalls
 * from the grant's own introspector; wrong, revoked, expired and foreign
 * tokens all give the same answer.
 *
 * The table is a leaf: it knows nothing of mappings. Ending a grant
 * (revoke, expiry, the end of either VM) is end.c's, which takes it out
 * of the table (kvmmem_grant_unlink()) and revokes what was mapped under it.
 *
 * kvmmem_lock protects the grant table, each grant's mapping list and the
 * mapping table in remap.c. It is taken before any mmap_lock.
 */

#define KVMMEM_DEFAULT_QUOTA	65536

DEFINE_MUTEX(kvmmem_lock);	/* grants, their mappings, the map table */
LIST_HEAD(kvmmem_grants);	/* kvmmem_lock */
static u64 next_id = 1;

static void grant_release(struct kref *ref)
{
	struct kvmmem_grant *g = container_of(ref, struct kvmmem_grant, ref);

	kvm_put_kvm(g->target);
	kvm_put_kvm(g->intro);
	kfree_sensitive(g);
}

/**
 * kvmmem_grant_put() - drop a reference on a grant
 * @g: the grant
 *
 * May drop the last reference on a VM; call it where sleeping is allowed
 * and no mmap_lock is held.
 */
void kvmmem_grant_put(struct kvmmem_grant *g)
{
	kref_put(&g->ref, grant_release);
}

/**
 * kvmmem_vm_pid() - the pid of the process that created a VM
 * @kvm: the VM
 *
 * KVM names each VM "kvm-<pid of its creator>". Used for the grants'
 * listing and by the tracepoints.
 *
 * Return: that pid, or -1.
 */
pid_t kvmmem_vm_pid(const struct kvm *kvm)
{
	int pid;

	if (sscanf(kvm->stats_id, "kvm-%d", &pid) != 1)
		return -1;
	return pid;
}

/**
 * kvmmem_grant_expired() - has this grant's time run out?
 * @g: the grant
 *
 * Return: true once its expiry has passed (the reaper then ends it).
 */
bool kvmmem_grant_expired(const struct kvmmem_grant *g)
{
	return g->expires && time_after_eq(jiffies, g->expires);
}

/**
 * kvmmem_grant_unlink() - take a grant out of the table
 * @g: the grant
 *
 * kvmmem_lock held. It is dead from now on: no lookup finds it. Its
 * mappings are the caller's to revoke (end.c); the table's reference is
 * the caller's to drop.
 */
void kvmmem_grant_unlink(struct kvmmem_grant *g)
{
	lockdep_assert_held(&kvmmem_lock);
	g->dead = true;
	list_del_init(&g->node);
}

/**
 * kvmmem_grant_add() - create a grant
 * @target: the target VM (the caller holds a reference)
 * @intro: the introspector VM (the caller holds a reference)
 * @req: in: rights, range, expiry, quota; out: id and token
 *
 * The introspector joins the known VMs (known.c) first.
 *
 * Return: 0, -EINVAL for bad arguments or the same VM twice, -EDEADLK when
 * the two VMs would introspect each other, -ENOMEM.
 */
int kvmmem_grant_add(struct kvm *target, struct kvm *intro,
		     struct kvmmem_host_grant *req)
{
	struct kvmmem_grant *g, *other;
	int ret = 0;

	if (target == intro || req->flags & ~KVMMEM_GRANT_WRITE)
		return -EINVAL;
	if (!PAGE_ALIGNED(req->gpa_start) || !PAGE_ALIGNED(req->gpa_end) ||
	    (req->gpa_end && req->gpa_end <= req->gpa_start))
		return -EINVAL;
	if (req->expire_ms > (u64)UINT_MAX)
		return -EINVAL;

	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	kref_init(&g->ref);
	INIT_LIST_HEAD(&g->maps);
	get_random_bytes(&g->token, sizeof(g->token));
	g->target = target;
	g->intro = intro;
	g->target_pid = kvmmem_vm_pid(target);
	g->intro_pid = kvmmem_vm_pid(intro);
	g->flags = req->flags;
	g->max_pages = req->max_pages ?: KVMMEM_DEFAULT_QUOTA;
	g->gpa_start = req->gpa_start;
	g->gpa_end = req->gpa_end ?: ~0ULL;
	if (req->expire_ms)
		g->expires = (jiffies + msecs_to_jiffies(req->expire_ms)) | 1;

	mutex_lock(&kvmmem_lock);
	list_for_each_entry(other, &kvmmem_grants, node) {
		if (other->target == intro && other->intro == target) {
			ret = -EDEADLK;
			goto out_unlock;
		}
	}
	ret = kvmmem_known_add(intro);
	if (ret)
		goto out_unlock;
	kvm_get_kvm(target);
	kvm_get_kvm(intro);
	g->id = next_id++;
	list_add_tail(&g->node, &kvmmem_grants);
	req->id = g->id;
	req->token = g->token;
	kvmmem_stat_inc(KVMMEM_STAT_GRANTS);
	pr_info("grant %llu: introspector %s may map target %s (%s)\n", g->id,
		intro->stats_id, target->stats_id,
		g->flags & KVMMEM_GRANT_WRITE ? "read-write" : "read-only");
	trace_kvmmem_grant(g, req->expire_ms);
out_unlock:
	mutex_unlock(&kvmmem_lock);
	if (ret)
		kfree_sensitive(g);
	return ret;
}

/**
 * kvmmem_grant_find() - look a token up for an introspector
 * @intro: the calling VM
 * @token: the token it presented
 *
 * Called with kvmmem_lock held. Every grant's token is compared, in
 * constant time, whatever matches.
 *
 * Return: the live grant, or NULL. No reference is taken: the caller
 * holds kvmmem_lock while it uses the grant.
 */
struct kvmmem_grant *kvmmem_grant_find(struct kvm *intro,
				       const struct kvmi_map_mem_token *token)
{
	struct kvmmem_grant *g, *found = NULL;

	lockdep_assert_held(&kvmmem_lock);
	list_for_each_entry(g, &kvmmem_grants, node) {
		bool same = !crypto_memneq(&g->token, token, sizeof(*token));

		if (same && g->intro == intro && !kvmmem_grant_expired(g))
			found = g;
	}
	return found;
}

/**
 * kvmmem_grant_holder() - does this VM hold any grant as introspector?
 * @intro: the VM
 *
 * Return: true if it does. Called with kvmmem_lock held.
 */
bool kvmmem_grant_holder(struct kvm *intro)
{
	struct kvmmem_grant *g;

	lockdep_assert_held(&kvmmem_lock);
	list_for_each_entry(g, &kvmmem_grants, node)
		if (g->intro == intro)
			return true;
	return false;
}

static s64 ms_left(unsigned long expires)
{
	return jiffies_to_msecs(max_t(long, expires - jiffies, 0));
}

/**
 * kvmmem_grant_list() - describe the grants, never their tokens
 * @out: user array
 * @count: in: room in @out; out: number of grants
 *
 * Return: 0 or -EFAULT.
 */
int kvmmem_grant_list(struct kvmmem_host_grant_info __user *out, u32 *count)
{
	struct kvmmem_host_grant_info info;
	struct kvmmem_grant *g;
	u32 n = 0;
	int ret = 0;

	mutex_lock(&kvmmem_lock);
	list_for_each_entry(g, &kvmmem_grants, node) {
		if (n < *count) {
			memset(&info, 0, sizeof(info));
			info.id = g->id;
			info.target_pid = g->target_pid;
			info.intro_pid = g->intro_pid;
			info.flags = g->flags;
			info.max_pages = g->max_pages;
			info.gpa_start = g->gpa_start;
			info.gpa_end = g->gpa_end;
			info.expires_in_ms = -1;
			if (g->expires)
				info.expires_in_ms = ms_left(g->expires);
			info.mapped = g->mapped;
			info.maps_total = g->maps_total;
			if (copy_to_user(out + n, &info, sizeof(info))) {
				ret = -EFAULT;
				break;
			}
		}
		n++;
	}
	mutex_unlock(&kvmmem_lock);
	*count = n;
	return ret;
}
