/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_REMAP_H
#define _KVMMEM_REMAP_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/types.h>

struct kvm;
struct kvm_vcpu;
struct kvmmem_grant;

/**
 * struct kvmmem_backing - what backed an introspector range before an overlay
 * @file: the file mapped there (reference held), or NULL for anonymous
 * @pgoff: its offset, in pages, at the start of the range
 * @prot: PROT_* of the mapping
 * @flags: madvise() flags to set again
 * @same: the VM_* flags that every VMA in the range must share
 * @shared: MAP_SHARED rather than MAP_PRIVATE
 */
struct kvmmem_backing {
	struct file *file;
	pgoff_t pgoff;
	unsigned long prot;
	vm_flags_t flags;
	vm_flags_t same;
	bool shared;
};

int kvmmem_overlay_may_split(struct vm_area_struct *vma, unsigned long addr);
int kvmmem_overlay_mremap(struct vm_area_struct *vma);
long kvmmem_backing_save(struct mm_struct *mm, unsigned long hva,
			 unsigned long len, struct kvmmem_backing *b);
long kvmmem_backing_restore(unsigned long hva, unsigned long len,
			    const struct kvmmem_backing *b);
long kvmmem_backing_restore_ours(struct mm_struct *mm, unsigned long hva,
				 unsigned long len,
				 const struct vm_operations_struct *ops,
				 const void *priv, const struct kvmmem_backing *b,
				 bool hole);
void kvmmem_backing_put(struct kvmmem_backing *b);
void kvmmem_fill_revoked(struct page *page);
long kvmmem_remap_map(struct kvm_vcpu *vcpu, struct kvmmem_grant *g,
		      u64 target_gpa, u64 intro_gpa);
long kvmmem_remap_unmap(struct kvm_vcpu *vcpu, u64 intro_gpa);
bool kvmmem_remap_has_maps(struct kvm *intro);
void kvmmem_remap_revoke_grant(struct kvmmem_grant *g);
int kvmmem_remap_revoke_range(struct kvm *target, u64 gfn, u64 npages,
			      bool rw_only);
int kvmmem_remap_reset(struct kvm *intro);
void kvmmem_remap_vm_released(struct kvm *intro);
void kvmmem_remap_reap(void);
bool kvmmem_remap_busy(void);
int kvmmem_remap_init(void);
void kvmmem_remap_uninit(void);

#endif /* _KVMMEM_REMAP_H */
