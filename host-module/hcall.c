// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: decoding, validation and dispatch of hypercalls 32 and 33.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/kvm_host.h>
#include <linux/string.h>
#include <linux/kvmmem.h>

#include "grant.h"
#include "hcall.h"
#include "remap.h"
#include "stats.h"

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
	case -EBUSY:	return "target dirty logging is on";
	case -EOPNOTSUPP: return "introspector RAM cannot be overlaid";
	default:	return "error";
	}
}

static long hc_map(struct kvm_vcpu *vcpu, u64 token_gpa, u64 target_gpa,
		   u64 intro_gpa, const char **target_name)
{
	struct kvmi_map_mem_token token;
	struct kvmmem_grant *g;
	long ret;

	/* read the token before taking the lock: this may fault */
	if (kvm_vcpu_read_guest(vcpu, token_gpa, &token, sizeof(token)))
		memset(&token, 0, sizeof(token));

	mutex_lock(&kvmmem_lock);
	if (!kvmmem_grant_holder(vcpu->kvm)) {
		ret = -KVM_ENOSYS;
		goto out_unlock;
	}
	g = kvmmem_grant_find(vcpu->kvm, &token);
	if (!g) {
		ret = -EACCES;
		kvmmem_stat_inc(KVMMEM_STAT_BAD_TOKEN);
		goto out_unlock;
	}
	*target_name = g->target->stats_id;
	if (!PAGE_ALIGNED(target_gpa) || !PAGE_ALIGNED(intro_gpa))
		ret = -EINVAL;
	else if (target_gpa < g->gpa_start || target_gpa >= g->gpa_end)
		ret = -ERANGE;
	else
		ret = kvmmem_remap_map(vcpu, g, target_gpa, intro_gpa);
out_unlock:
	mutex_unlock(&kvmmem_lock);
	memzero_explicit(&token, sizeof(token));
	return ret;
}

static long hc_unmap(struct kvm_vcpu *vcpu, u64 intro_gpa)
{
	long ret;

	mutex_lock(&kvmmem_lock);
	if (!kvmmem_grant_holder(vcpu->kvm) && !kvmmem_remap_has_maps(vcpu->kvm))
		ret = -KVM_ENOSYS;
	else
		ret = kvmmem_remap_unmap(vcpu, intro_gpa);
	mutex_unlock(&kvmmem_lock);
	return ret;
}

/**
 * kvmmem_hcall() - handle KVM_HC_MEM_MAP or KVM_HC_MEM_UNMAP
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
	const char *target = "?";
	long ret;

	if (nr == KVM_HC_MEM_MAP)
		ret = hc_map(vcpu, a0, a1, a2, &target);
	else
		ret = hc_unmap(vcpu, a0);
	if (ret == -KVM_ENOSYS)
		return ret;

	if (ret >= 0) {
		kvmmem_stat_inc(nr == KVM_HC_MEM_MAP ? KVMMEM_STAT_MAPS :
						       KVMMEM_STAT_UNMAPS);
	} else {
		kvmmem_stat_inc(KVMMEM_STAT_FAILED);
		if (nr == KVM_HC_MEM_MAP)
			pr_warn_ratelimited("map refused: introspector %s, target %s, gpa %#lx -> %#lx: %s (%ld)\n",
					    vcpu->kvm->stats_id, target, a1, a2,
					    why(ret), ret);
		else
			pr_warn_ratelimited("unmap refused: introspector %s, gpa %#lx: %s (%ld)\n",
					    vcpu->kvm->stats_id, a0, why(ret), ret);
	}
	return ret;
}
