// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: the failed-token throttle.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/debugfs.h>
#include <linux/jiffies.h>
#include <linux/kvm_host.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "grant.h"
#include "stats.h"
#include "throttle.h"

/**
 * DOC: Failed-token throttle, theory of operation
 *
 * A token is 256 random bits, so guessing one is hopeless; the throttle
 * keeps a guessing introspector from costing the host anything and makes
 * its attempts visible. Each introspector VM that holds a grant gets a
 * record when it first presents a token that matches no grant. After
 * bad_token_burst such failures in a row, every hypercall of it that
 * carries a token (map, batch map) is refused with -EAGAIN for a back-off
 * period, without its token being looked at; unmaps go on working. The
 * period starts at bad_token_backoff_ms and doubles with each further burst,
 * up to KVMMEM_BACKOFF_MAX_MS. A token that matches resets both.
 *
 * The vCPU is never made to wait: a refused call returns at once, so guest
 * watchdogs never see a stalled CPU. The record lives while the VM holds
 * a grant (the grants hold its &struct kvm, so the key stays unique) and is
 * dropped with its last grant. Everything here runs under kvmmem_lock.
 */

#define KVMMEM_BACKOFF_MAX_MS	10000

static unsigned int bad_token_burst = 8;
module_param(bad_token_burst, uint, 0644);
MODULE_PARM_DESC(bad_token_burst,
		 "failed tokens in a row before an introspector is refused for a while (0: never)");

static unsigned int bad_token_backoff_ms = 100;
module_param(bad_token_backoff_ms, uint, 0644);
MODULE_PARM_DESC(bad_token_backoff_ms, "first back-off period, doubled per burst");

struct intro_rec {
	struct list_head node;
	struct kvm *kvm;
	unsigned long until;	/* refused until then, when @backoff_ms */
	unsigned int streak;	/* failures in a row */
	unsigned int backoff_ms;
	u64 failures;
	u64 throttled;
};

static LIST_HEAD(recs);

static struct intro_rec *rec_of(struct kvm *intro, bool create)
{
	struct intro_rec *r;

	lockdep_assert_held(&kvmmem_lock);
	list_for_each_entry(r, &recs, node)
		if (r->kvm == intro)
			return r;
	if (!create)
		return NULL;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (r) {
		r->kvm = intro;
		list_add(&r->node, &recs);
	}
	return r;
}

/**
 * kvmmem_throttled() - is this introspector in a back-off period?
 * @intro: the calling VM
 *
 * Called with kvmmem_lock held, before its token is looked at. A refusal
 * is counted.
 *
 * Return: true if the call must be refused with -EAGAIN.
 */
bool kvmmem_throttled(struct kvm *intro)
{
	struct intro_rec *r = rec_of(intro, false);

	if (!r || !r->backoff_ms || time_after_eq(jiffies, r->until))
		return false;
	r->throttled++;
	kvmmem_stat_inc(KVMMEM_STAT_THROTTLED);
	return true;
}

/**
 * kvmmem_throttle_note() - count a token lookup's outcome
 * @intro: the calling VM
 * @token_ok: whether its token matched a grant
 *
 * Called with kvmmem_lock held. If no record can be allocated, the failure
 * is not counted: the throttle is a cost limit, not what keeps tokens safe.
 */
void kvmmem_throttle_note(struct kvm *intro, bool token_ok)
{
	struct intro_rec *r = rec_of(intro, !token_ok && kvmmem_grant_holder(intro));
	unsigned int burst = READ_ONCE(bad_token_burst);

	if (!r)
		return;
	if (token_ok) {
		r->streak = 0;
		r->backoff_ms = 0;
		return;
	}
	r->failures++;
	if (!burst || ++r->streak < burst)
		return;
	r->streak = 0;
	r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 :
			max(READ_ONCE(bad_token_backoff_ms), 1U);
	r->backoff_ms = min_t(unsigned int, r->backoff_ms, KVMMEM_BACKOFF_MAX_MS);
	r->until = jiffies + msecs_to_jiffies(r->backoff_ms);
	pr_warn_ratelimited("introspector %s: %u bad tokens in a row; its maps are refused for %u ms\n",
			    intro->stats_id, burst, r->backoff_ms);
}

/**
 * kvmmem_throttle_forget() - drop an introspector's record
 * @intro: a VM that holds no grant any more
 *
 * Called with kvmmem_lock held.
 */
void kvmmem_throttle_forget(struct kvm *intro)
{
	struct intro_rec *r = rec_of(intro, false);

	if (r) {
		list_del(&r->node);
		kfree(r);
	}
}

/* debugfs kvmmem/introspectors: one line per introspector with failures */
static int introspectors_show(struct seq_file *m, void *v)
{
	struct intro_rec *r;

	mutex_lock(&kvmmem_lock);
	list_for_each_entry(r, &recs, node)
		seq_printf(m, "%s bad_tokens %llu throttled %llu backoff_ms %u\n",
			   r->kvm->stats_id, r->failures, r->throttled,
			   time_before(jiffies, r->until) ? r->backoff_ms : 0);
	mutex_unlock(&kvmmem_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(introspectors);

/**
 * kvmmem_throttle_init() - publish the throttle's state in debugfs
 *
 * After kvmmem_stats_init(), whose folder it uses and removes.
 */
void kvmmem_throttle_init(void)
{
	debugfs_create_file("introspectors", 0400, kvmmem_debugfs_dir(), NULL,
			    &introspectors_fops);
}
