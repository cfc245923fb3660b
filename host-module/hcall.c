// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: decoding, validation and dispatch of kvmmem's hypercalls.
 *
 * Copyright (C) 2026 The kvmmem authors
 */

/**
 * DOC: Hypercalls, theory of operation
 *
 * hook.c hands every hypercall that kvmmem_hcall_ours() claims to
 * kvmmem_hcall(), in the calling vCPU's thread, where it may sleep. Each
 * handler reads its descriptor (the token, a batch, a ranges request) from
 * the introspector's memory with kvm_vcpu_read_guest(), so nothing the
 * guest passes is used in place, and trusts none of it: the token is looked
 * up among the grants (after the failed-token throttle), addresses are
 * checked for alignment, for the grant's range and for being ordinary RAM,
 * counts are bounded. The work itself is done by remap.c (single pages and
 * batches), window.c (chunks), status.c (the status page) and memslot.c
 * (ranges), under kvmmem_lock. A refusal is counted, traced and logged,
 * rate-limited (a bad token on a budget of its own), with why() naming the
 * errno; the guest gets the -errno in RAX. A VM that holds no grant gets
 * -KVM_ENOSYS, as without kvmmem.
 *
 * A VM that is not known (known.c) gets that answer before kvmmem_lock is
 * taken, so a VM that floods our hypercall numbers without a grant slows
 * no introspector. The lock is taken killably: a vCPU thread that waits
 * for it can still be killed, and then gets -EINTR.
 */
#include <linux/kvm_host.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/kvmmem.h>

#include "grant.h"
#include "known.h"
#include "hcall.h"
#include "memslot.h"
#include "remap.h"
#include "stats.h"
#include "status.h"
#include "throttle.h"
#include "trace.h"
#include "window.h"

static const char *why(long err)
{
	switch (err) {
	case -EACCES:	return "no grant for this token";
	case -EINVAL:	return "unaligned address";
	case -EFAULT:	return "not introspector RAM";
	case -ENXIO:	return "not ordinary target RAM";
	case -ERANGE:	return "outside the granted range";
	case -ELOOP:	return "target page is an overlay";
	case -EEXIST:	return "already mapped";
	case -ENOENT:	return "not mapped";
	case -EDQUOT:	return "quota exceeded";
	case -EBUSY:	return "target dirty logging is on, or huge page busy";
	case -EOPNOTSUPP: return "introspector RAM cannot be overlaid";
	case -EMEDIUMTYPE: return "target RAM is hugetlbfs";
	case -EIO:	return "failure injected";
	case -EXDEV:	return "window chunk holds another grant's pages";
	case -EAGAIN:	return "too many bad tokens, backing off";
	case -ENOMEM:	return "out of memory, or RAM not restored";
	default:	return "error";
	}
}

/*
 * kvmmem_lock held: does this VM hold a grant, or mappings or window chunks
 * (which it may unmap after its grants ended)?
 */
static bool vm_known(struct kvm *kvm)
{
	return kvmmem_grant_holder(kvm) || kvmmem_remap_has_maps(kvm) ||
	       kvmmem_window_has_chunks(kvm);
}

/* Count and log the outcome of one map of @n pages. */
static void map_done(struct kvm_vcpu *vcpu, long ret, const char *target,
		     u64 target_gpa, u64 intro_gpa, unsigned int n)
{
	if (ret >= 0) {
		kvmmem_stat_add(KVMMEM_STAT_MAPS, n);
		return;
	}
	kvmmem_stat_failed(ret);
	/*
	 * A bad token has a rate limit of its own, so that a flood of other
	 * refusals (unaligned addresses, say) cannot hide token guessing.
	 */
	if (ret == -EACCES)
		pr_warn_ratelimited("map refused: introspector %s, gpa %#llx -> %#llx: %s (%ld)\n",
				    vcpu->kvm->stats_id, target_gpa, intro_gpa,
				    why(ret), ret);
	else
		pr_warn_ratelimited("map refused: introspector %s, target %s, gpa %#llx -> %#llx: %s (%ld)\n",
				    vcpu->kvm->stats_id, target, target_gpa,
				    intro_gpa, why(ret), ret);
}

/* Count and log the outcome of one unmap of @n pages. */
static void unmap_done(struct kvm_vcpu *vcpu, long ret, u64 intro_gpa,
		       unsigned int n)
{
	if (ret >= 0) {
		kvmmem_stat_add(KVMMEM_STAT_UNMAPS, n);
		return;
	}
	kvmmem_stat_failed(ret);
	pr_warn_ratelimited("unmap refused: introspector %s, gpa %#llx: %s (%ld)\n",
			    vcpu->kvm->stats_id, intro_gpa, why(ret), ret);
}

/*
 * kvmmem_lock held, token checked: the checks of @n pages from @target_gpa
 * (a window run when @n is not 0), then the map.
 */
static long map_one(struct kvm_vcpu *vcpu, struct kvmmem_grant *g,
		    u64 target_gpa, u64 intro_gpa, unsigned int n)
{
	if (!PAGE_ALIGNED(target_gpa) || !PAGE_ALIGNED(intro_gpa))
		return -EINVAL;
	if (target_gpa < g->gpa_start || target_gpa >= g->gpa_end ||
	    (n && g->gpa_end - target_gpa < (u64)n << PAGE_SHIFT))
		return -ERANGE;
	if (n)
		return kvmmem_window_map(vcpu, g, target_gpa, intro_gpa, n);
	return kvmmem_remap_map(vcpu, g, target_gpa, intro_gpa);
}

/*
 * kvmmem_lock held: the grant for @token, or an ERR_PTR: -EAGAIN while the
 * introspector is throttled, -EACCES (counted) for a token of no grant.
 */
static struct kvmmem_grant *find_grant(struct kvm_vcpu *vcpu,
				       const struct kvmi_map_mem_token *token)
{
	struct kvmmem_grant *g;

	if (kvmmem_throttled(vcpu->kvm)) {
		trace_kvmmem_token_refused(vcpu->kvm, -EAGAIN);
		return ERR_PTR(-EAGAIN);
	}
	g = kvmmem_grant_find(vcpu->kvm, token);
	kvmmem_throttle_note(vcpu->kvm, !!g);
	if (g)
		return g;
	trace_kvmmem_token_refused(vcpu->kvm, -EACCES);
	kvmmem_stat_inc(KVMMEM_STAT_BAD_TOKEN);
	return ERR_PTR(-EACCES);
}

static long hc_map(struct kvm_vcpu *vcpu, u64 token_gpa, u64 target_gpa,
		   u64 intro_gpa)
{
	const char *target = "?";
	struct kvmi_map_mem_token token;
	struct kvmmem_grant *g;
	long ret;

	/* read the token before taking the lock: this may fault */
	if (kvm_vcpu_read_guest(vcpu, token_gpa, &token, sizeof(token)))
		memset(&token, 0, sizeof(token));

	if (mutex_lock_killable(&kvmmem_lock)) {
		ret = -EINTR;
		goto out_zero;
	}
	if (!kvmmem_grant_holder(vcpu->kvm)) {
		ret = -KVM_ENOSYS;
		goto out_unlock;
	}
	g = find_grant(vcpu, &token);
	if (!IS_ERR(g)) {
		target = g->target->stats_id;
		ret = map_one(vcpu, g, target_gpa, intro_gpa, 0);
	} else {
		ret = PTR_ERR(g);
	}
	map_done(vcpu, ret, target, target_gpa, intro_gpa, 1);
	trace_kvmmem_map(vcpu->kvm, g, target_gpa, intro_gpa, 1, 0, ret);
out_unlock:
	mutex_unlock(&kvmmem_lock);
out_zero:
	memzero_explicit(&token, sizeof(token));
	return ret;
}

static long hc_unmap(struct kvm_vcpu *vcpu, u64 intro_gpa)
{
	long ret;

	if (mutex_lock_killable(&kvmmem_lock))
		return -EINTR;
	if (!vm_known(vcpu->kvm)) {
		mutex_unlock(&kvmmem_lock);
		return -KVM_ENOSYS;
	}
	ret = kvmmem_remap_unmap(vcpu, intro_gpa);
	unmap_done(vcpu, ret, intro_gpa, 1);
	trace_kvmmem_unmap(vcpu->kvm, intro_gpa, 1, 0, ret);
	mutex_unlock(&kvmmem_lock);
	return ret;
}

/* Read a batch descriptor and its entries. Before kvmmem_lock: may fault. */
static int batch_read(struct kvm_vcpu *vcpu, u64 gpa, struct kvmmem_hc_batch *b)
{
	if (kvm_vcpu_read_guest(vcpu, gpa, b, sizeof(*b)))
		return -EFAULT;
	if (!b->count || b->count > KVMMEM_HC_BATCH_MAX || b->reserved ||
	    !b->op || b->op > KVMMEM_BATCH_OP_UNMAP_RUN)
		return -EINVAL;
	if (kvm_vcpu_read_guest(vcpu, gpa + sizeof(*b), b->ent,
				b->count * sizeof(b->ent[0])))
		return -EFAULT;
	return 0;
}

/* kvmmem_lock held, descriptor checked: the entries, in order. */
static void batch_run(struct kvm_vcpu *vcpu, struct kvmmem_hc_batch *b,
		      struct kvmmem_grant *g)
{
	bool runs = b->op == KVMMEM_BATCH_OP_MAP_RUN ||
		    b->op == KVMMEM_BATCH_OP_UNMAP_RUN;
	unsigned int n = 0;
	u64 tgpa, igpa;
	long ret = 0;

	for (b->done = 0; b->done < b->count; b->done++) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		tgpa = b->ent[b->done].target_gpa;
		igpa = b->ent[b->done].intro_gpa;
		if (runs) {
			n = (igpa & ~PAGE_MASK) + 1;
			igpa &= PAGE_MASK;
		}
		if (g) {
			ret = map_one(vcpu, g, tgpa, igpa, n);
			map_done(vcpu, ret, g->target->stats_id, tgpa, igpa, n ?: 1);
			trace_kvmmem_map(vcpu->kvm, g, tgpa, igpa, n ?: 1, b->op, ret);
		} else {
			ret = runs ? kvmmem_window_unmap(vcpu, igpa, n) :
				     kvmmem_remap_unmap(vcpu, igpa);
			unmap_done(vcpu, ret, igpa, n ?: 1);
			trace_kvmmem_unmap(vcpu->kvm, igpa, n ?: 1, b->op, ret);
		}
		if (ret < 0)
			break;
		b->rights = ret;
		cond_resched();
	}
	b->error = ret < 0 ? ret : 0;
}

static long hc_batch(struct kvm_vcpu *vcpu, u64 gpa, u64 a1, u64 a2)
{
	struct kvmmem_grant *g = NULL;
	struct kvmmem_hc_batch *b;
	long ret;
	int err;

	b = kzalloc(struct_size(b, ent, KVMMEM_HC_BATCH_MAX), GFP_KERNEL_ACCOUNT);
	if (!b)
		return -ENOMEM;
	err = batch_read(vcpu, gpa, b);

	if (mutex_lock_killable(&kvmmem_lock)) {
		ret = -EINTR;
		goto out_free;
	}
	ret = -KVM_ENOSYS;
	if (!vm_known(vcpu->kvm))
		goto out_unlock;
	ret = err ?: (a1 || a2) ? -EINVAL : 0;
	if (!ret && (b->op == KVMMEM_BATCH_OP_MAP ||
		     b->op == KVMMEM_BATCH_OP_MAP_RUN)) {
		g = find_grant(vcpu, &b->token);
		if (IS_ERR(g)) {
			ret = PTR_ERR(g);
			g = NULL;
		}
	}
	if (ret) {
		kvmmem_stat_failed(ret);
		pr_warn_ratelimited("batch refused: introspector %s, descriptor at gpa %#llx: %s (%ld)\n",
				    vcpu->kvm->stats_id, gpa,
				    ret == -EINVAL ? "bad descriptor" : why(ret), ret);
		trace_kvmmem_batch_refused(vcpu->kvm, gpa, b->op, b->count, ret);
		goto out_unlock;
	}
	b->rights = KVMMEM_MAP_RO;
	batch_run(vcpu, b, g);
	ret = b->done;
out_unlock:
	mutex_unlock(&kvmmem_lock);
	/* the outcome; RAX carries @done, so a failed write loses no page */
	if (ret >= 0 &&
	    kvm_vcpu_write_guest(vcpu, gpa + offsetof(struct kvmmem_hc_batch, done),
				 &b->done, 3 * sizeof(u32)))
		pr_warn_ratelimited("%s: cannot write a batch outcome back\n",
				    vcpu->kvm->stats_id);
out_free:
	memzero_explicit(b, sizeof(*b));
	kfree(b);
	return ret;
}

/*
 * KVM_HC_MEM_RANGES: the target's RAM ranges under the grant of the
 * descriptor's token, written after the descriptor. See the uapi header.
 */
static long hc_ranges(struct kvm_vcpu *vcpu, u64 gpa, u64 a1, u64 a2)
{
	struct kvmmem_hc_ranges *h;
	struct kvmmem_grant *g;
	unsigned int total;
	size_t len;
	long ret;

	h = kzalloc(struct_size(h, range, KVMMEM_HC_RANGES_MAX), GFP_KERNEL_ACCOUNT);
	if (!h)
		return -ENOMEM;
	ret = kvm_vcpu_read_guest(vcpu, gpa, h, sizeof(*h)) ? -EFAULT : 0;

	if (mutex_lock_killable(&kvmmem_lock)) {
		ret = -EINTR;
		goto out_free;
	}
	if (!kvmmem_grant_holder(vcpu->kvm)) {
		ret = -KVM_ENOSYS;
		goto out_unlock;
	}
	if (!ret && (a1 || a2 || h->count > KVMMEM_HC_RANGES_MAX ||
		     offset_in_page(gpa) + struct_size(h, range, h->count) > PAGE_SIZE))
		ret = -EINVAL;
	if (ret)
		goto out_unlock;
	g = find_grant(vcpu, &h->token);
	if (IS_ERR(g)) {
		ret = PTR_ERR(g);
		goto out_unlock;
	}
	total = kvmmem_target_ranges(g->target, g->gpa_start, g->gpa_end,
				     h->range, h->count);
	h->total = total;
	ret = total;
out_unlock:
	mutex_unlock(&kvmmem_lock);
	if (ret >= 0) {
		/* @total and the ranges, after the token and @count */
		len = struct_size(h, range, min(h->count, h->total)) -
		      offsetof(struct kvmmem_hc_ranges, total);
		if (kvm_vcpu_write_guest(vcpu, gpa + offsetof(struct kvmmem_hc_ranges, total),
					 &h->total, len))
			ret = -EFAULT;
	}
	if (ret < 0 && ret != -KVM_ENOSYS) {
		kvmmem_stat_failed(ret);
		pr_warn_ratelimited("ranges refused: introspector %s, descriptor at gpa %#llx: %s (%ld)\n",
				    vcpu->kvm->stats_id, gpa, why(ret), ret);
	}
out_free:
	memzero_explicit(h, sizeof(*h));
	kfree(h);
	return ret;
}

/**
 * kvmmem_hcall() - handle one of kvmmem's hypercalls
 * @vcpu: the calling vCPU; runs in its thread and may sleep
 * @nr: hypercall number
 * @a0: first argument
 * @a1: second argument
 * @a2: third argument
 *
 * KVM has already refused calls from guest user mode and truncated the
 * arguments of 32-bit callers. Every argument is still untrusted.
 *
 * Return: the value for the guest's RAX, or -KVM_ENOSYS to leave KVM's
 * answer untouched (the VM holds no grant).
 */
long kvmmem_hcall(struct kvm_vcpu *vcpu, unsigned long nr, unsigned long a0,
		  unsigned long a1, unsigned long a2)
{
	if (!kvmmem_known(vcpu->kvm)) {
		kvmmem_stat_inc(KVMMEM_STAT_HC_UNKNOWN);
		/* "forget my status page" is 0 for any VM (uapi header) */
		if (nr == KVM_HC_MEM_STATUS && a0 == KVMMEM_STATUS_NONE &&
		    !a1 && !a2)
			return 0;
		return -KVM_ENOSYS;
	}
	switch (nr) {
	case KVM_HC_MEM_MAP:
		return hc_map(vcpu, a0, a1, a2);
	case KVM_HC_MEM_UNMAP:
		return hc_unmap(vcpu, a0);
	case KVM_HC_MEM_STATUS:
		return kvmmem_status_register(vcpu, a0, a1, a2);
	case KVM_HC_MEM_WINDOW:
		return kvmmem_window_chunk(vcpu, a0, a1, a2);
	case KVM_HC_MEM_RANGES:
		return hc_ranges(vcpu, a0, a1, a2);
	default:
		return hc_batch(vcpu, a0, a1, a2);
	}
}

/**
 * kvmmem_hcall_ours() - is this a hypercall number that kvmmem answers?
 * @nr: hypercall number, as the guest's RAX holds it
 *
 * Return: true for KVM_HC_MEM_MAP, KVM_HC_MEM_UNMAP, KVM_HC_MEM_BATCH,
 * KVM_HC_MEM_STATUS, KVM_HC_MEM_WINDOW and KVM_HC_MEM_RANGES.
 */
bool kvmmem_hcall_ours(unsigned long nr)
{
	return nr == KVM_HC_MEM_MAP || nr == KVM_HC_MEM_UNMAP ||
	       nr == KVM_HC_MEM_BATCH || nr == KVM_HC_MEM_STATUS ||
	       nr == KVM_HC_MEM_WINDOW || nr == KVM_HC_MEM_RANGES;
}
