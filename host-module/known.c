// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: the VMs that may have something to say to the module.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/hashtable.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "known.h"

/**
 * DOC: Known VMs, theory of operation
 *
 * Every VM on the host can issue hypercall 33 (or 32, or any of ours), and
 * KVM hands each such call to the module. Most VMs never held a grant: for
 * them the answer is KVM's own, -KVM_ENOSYS, and finding that out must not
 * cost any other VM anything. So the set of known VMs is read without a
 * lock (RCU), keyed by the VM, and a VM outside it is answered before
 * kvmmem_lock is ever taken.
 *
 * A VM joins the set when it is made the introspector of a grant
 * (grant.c), before its token exists. It stays while it may still hold a
 * grant, a mapping, a window chunk or a status page: it leaves when its
 * VMM releases it (probes.c), and the set is emptied when the reaper finds
 * nothing left at all (end.c). Both happen under kvmmem_lock, as does the
 * join, so a VM is never outside the set while it has something. The set
 * may name a VM that has nothing left: its calls then take the exact
 * checks under kvmmem_lock, as every call did before the set existed. An
 * entry holds no reference on its VM; a VM freed and another allocated at
 * its address before the entry leaves costs the newcomer only the exact
 * checks.
 *
 * Writers also take a spinlock of their own, so this file needs nothing
 * from the others.
 */

struct known_vm {
	struct hlist_node node;
	const struct kvm *kvm;
	struct rcu_head rcu;
};

static DEFINE_HASHTABLE(known_vms, 5);
static DEFINE_SPINLOCK(known_lock);	/* writers */

/* under rcu_read_lock() or known_lock */
static struct known_vm *find(const struct kvm *kvm)
{
	struct known_vm *k;

	hash_for_each_possible_rcu(known_vms, k, node, (unsigned long)kvm,
				   lockdep_is_held(&known_lock))
		if (k->kvm == kvm)
			return k;
	return NULL;
}

/**
 * kvmmem_known() - may this VM have a grant, a mapping or a window chunk?
 * @kvm: the calling VM
 *
 * Takes no lock and never sleeps.
 *
 * Return: false if it certainly has none of them.
 */
bool kvmmem_known(const struct kvm *kvm)
{
	bool ret;

	rcu_read_lock();
	ret = find(kvm);
	rcu_read_unlock();
	return ret;
}

/**
 * kvmmem_known_add() - add a VM that is about to become an introspector
 * @kvm: the VM
 *
 * Called with kvmmem_lock held, before the grant is published.
 *
 * Return: 0, or -ENOMEM.
 */
int kvmmem_known_add(struct kvm *kvm)
{
	struct known_vm *k;

	k = kzalloc(sizeof(*k), GFP_KERNEL_ACCOUNT);
	if (!k)
		return -ENOMEM;
	k->kvm = kvm;
	spin_lock(&known_lock);
	if (find(kvm)) {
		spin_unlock(&known_lock);
		kfree(k);
		return 0;
	}
	hash_add_rcu(known_vms, &k->node, (unsigned long)kvm);
	spin_unlock(&known_lock);
	return 0;
}

/**
 * kvmmem_known_forget() - a VM that has nothing left with the module
 * @kvm: the VM, released by its VMM
 *
 * Called with kvmmem_lock held, once the VM's grants, mappings, window
 * chunks and status page are gone.
 */
void kvmmem_known_forget(const struct kvm *kvm)
{
	struct known_vm *k;

	spin_lock(&known_lock);
	k = find(kvm);
	if (k) {
		hash_del_rcu(&k->node);
		kfree_rcu(k, rcu);
	}
	spin_unlock(&known_lock);
}

/**
 * kvmmem_known_forget_all() - empty the set
 *
 * Called with kvmmem_lock held, when no grant, mapping, window chunk or
 * status page is left on the host, and at unload.
 */
void kvmmem_known_forget_all(void)
{
	struct known_vm *k;
	struct hlist_node *tmp;
	int bkt;

	spin_lock(&known_lock);
	hash_for_each_safe(known_vms, bkt, tmp, k, node) {
		hash_del_rcu(&k->node);
		kfree_rcu(k, rcu);
	}
	spin_unlock(&known_lock);
}
