/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_GRANT_H
#define _KVMMEM_GRANT_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/kvmmem_host.h>

struct kvm;

/**
 * struct kvmmem_grant - one token's authority
 * @ref: references: the grant table, each mapping, each lookup
 * @node: on the grant table
 * @maps: live mappings made under this grant (kvmmem_lock)
 * @id: identifier shown to the host
 * @token: the capability
 * @target: target VM (reference held)
 * @intro: introspector VM (reference held)
 * @target_pid: VMM pid of the target, for the host's listing
 * @intro_pid: VMM pid of the introspector
 * @flags: KVMMEM_GRANT_*
 * @max_pages: page quota
 * @gpa_start: first target gpa covered
 * @gpa_end: end of the covered range (exclusive)
 * @expires: jiffies at which the grant ends, 0 for never
 * @mapped: live mappings (kvmmem_lock)
 * @maps_total: mappings made so far (kvmmem_lock)
 * @dead: revoked or expired; still referenced by someone (kvmmem_lock)
 */
struct kvmmem_grant {
	struct kref ref;
	struct list_head node;
	struct list_head maps;
	u64 id;
	struct kvmi_map_mem_token token;
	struct kvm *target;
	struct kvm *intro;
	pid_t target_pid;
	pid_t intro_pid;
	u32 flags;
	u32 max_pages;
	u64 gpa_start;
	u64 gpa_end;
	unsigned long expires;
	u64 mapped;
	u64 maps_total;
	bool dead;
};

extern struct mutex kvmmem_lock;
extern struct list_head kvmmem_grants;	/* of &struct kvmmem_grant.node */

int kvmmem_grant_add(struct kvm *target, struct kvm *intro,
		     struct kvmmem_host_grant *req);
int kvmmem_grant_list(struct kvmmem_host_grant_info __user *out, u32 *count);
struct kvmmem_grant *kvmmem_grant_find(struct kvm *intro,
				       const struct kvmi_map_mem_token *token);
bool kvmmem_grant_holder(struct kvm *intro);
bool kvmmem_grant_expired(const struct kvmmem_grant *g);
void kvmmem_grant_unlink(struct kvmmem_grant *g);
void kvmmem_grant_put(struct kvmmem_grant *g);
pid_t kvmmem_vm_pid(const struct kvm *kvm);

#endif /* _KVMMEM_GRANT_H */
