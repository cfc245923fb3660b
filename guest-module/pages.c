// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem guest: the map engine that backs a page of its own for each map.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <linux/kvmmem.h>
#include <asm/io.h>
#include <kvmmem_compat.h>

#include "ctx.h"
#include "hypercall.h"
#include "pages.h"

/**
 * DOC: Pages of our own, theory of operation
 *
 * The caller names a virtual address of its own, but we never hand the
 * page behind it to the host: it may be the shared zero page or a page-cache
 * page, and backing it by target memory would show the target to every
 * process that shares it, or write target data to disk. Instead each map
 * allocates a page of the module's own, asks the host (KVM_HC_MEM_MAP) to
 * back that page's guest frame by the target's page, and then installs the
 * page at the caller's address with a MAP_FIXED mapping of a private file,
 * replacing whatever was there. A read-only grant gives a mapping without
 * write permission (and without VM_MAYWRITE), so a stray write is a SIGSEGV
 * in the caller, never a host fault that would stop the VM. That file holds
 * a reference on the page and faults it back in if the caller zaps its PTE
 * (MADV_DONTNEED), so the page lives as long as any mapping of it.
 *
 * Each open file keeps its own record, keyed by the caller's address. Unmap
 * looks the page up in that record (never by walking page tables again),
 * asks the host to unmap it, replaces the caller's range by fresh anonymous
 * memory (reading zeros) and frees the page. A page the host failed to
 * unmap is still backed by the target: it is never freed ("quarantined")
 * and counted, so the guest kernel can never reuse it.
 */

struct kvmmem_page {
	struct page *page;
	unsigned long gva;
	bool writable;
};

atomic_long_t kvmmem_quarantined = ATOMIC_LONG_INIT(0);	/* never freed */

static int quarantined_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&kvmmem_quarantined));
}

static const struct kernel_param_ops quarantined_ops = {
	.get = quarantined_get,
};

module_param_cb(quarantined_pages, &quarantined_ops, NULL, 0444);
MODULE_PARM_DESC(quarantined_pages, "pages the host failed to unmap, kept out of use");

static const struct file_operations page_fops;

/*
 * The caller may zap its PTE (MADV_DONTNEED, say): the next access faults
 * the same page back in, as a file page would come back.
 */
static vm_fault_t page_fault(struct vm_fault *vmf)
{
	struct page *page = vmf->vma->vm_file->private_data;

	if (vmf->pgoff)
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct page_vm_ops = {
	.fault	= page_fault,
};

static int page_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff || vma_pages(vma) != 1)
		return -EINVAL;
	kvmmem_vma_set_flags(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP,
			     (vma->vm_flags & VM_WRITE) ? 0 : VM_MAYWRITE);
	vma->vm_ops = &page_vm_ops;
	return vm_insert_page(vma, vma->vm_start, file->private_data);
}

/* The file holds a reference on its page: faults may still come. */
static int page_release(struct inode *inode, struct file *file)
{
	put_page(file->private_data);
	return 0;
}

static const struct file_operations page_fops = {
	.owner		= THIS_MODULE,
	.mmap		= page_mmap,
	.release	= page_release,
};

/* Put @page at @gva in the current process, replacing what was there. */
static int install_page(struct page *page, unsigned long gva, bool writable)
{
	unsigned long addr;
	struct file *file;

	get_page(page);
	file = anon_inode_getfile("[kvmmem]", &page_fops, page,
				  writable ? O_RDWR : O_RDONLY);
	if (IS_ERR(file)) {
		put_page(page);
		return PTR_ERR(file);
	}
	addr = vm_mmap(file, gva, PAGE_SIZE,
		       PROT_READ | (writable ? PROT_WRITE : 0),
		       MAP_SHARED | MAP_FIXED, 0);
	fput(file);
	return IS_ERR_VALUE(addr) ? (int)addr : 0;
}

/* Give @gva fresh anonymous memory if our page is still mapped there. */
static void uninstall_page(struct kvmmem_ctx *ctx, unsigned long gva)
{
	struct vm_area_struct *vma;
	unsigned long addr;
	bool ours;

	if (current->mm != ctx->mm)
		return;		/* process exit or foreign closer: no VMA to fix */
	mmap_read_lock(ctx->mm);
	vma = vma_lookup(ctx->mm, gva);
	ours = vma && vma->vm_file && vma->vm_file->f_op == &page_fops;
	mmap_read_unlock(ctx->mm);
	if (!ours)
		return;
	addr = vm_mmap(NULL, gva, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	if (IS_ERR_VALUE(addr))
		pr_warn_ratelimited("cannot restore memory at %#lx: %ld\n",
				    gva, (long)addr);
}

/* The host has unmapped @kp: give the caller's range back and free it. */
static void finish_page(struct kvmmem_ctx *ctx, struct kvmmem_page *kp)
{
	uninstall_page(ctx, kp->gva);
	put_page(kp->page);
	kfree(kp);
}

/* The host may still back @kp by the target: never free its page. */
static void quarantine(struct kvmmem_ctx *ctx, struct kvmmem_page *kp, int err)
{
	uninstall_page(ctx, kp->gva);
	atomic_long_inc(&kvmmem_quarantined);
	pr_warn_ratelimited("host unmap of %pa failed (%d): page quarantined\n",
			    &(phys_addr_t){ page_to_phys(kp->page) }, err);
	kfree(kp);
}

/*
 * Ask the host to unmap @kp and release it. On failure the page stays
 * backed by the target, so it is kept forever instead of being freed.
 */
static int release_page(struct kvmmem_ctx *ctx, struct kvmmem_page *kp)
{
	int ret;

	ret = kvmmem_hc_unmap(page_to_phys(kp->page));
	if (!ret) {
		finish_page(ctx, kp);
		return 0;
	}
	quarantine(ctx, kp, ret);
	return ret;
}

/* A new record for @gva with a zeroed page of our own, or NULL. */
static struct kvmmem_page *new_page(unsigned long gva)
{
	struct kvmmem_page *kp;

	kp = kzalloc(sizeof(*kp), GFP_KERNEL);
	if (!kp)
		return NULL;
	kp->gva = gva;
	kp->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!kp->page) {
		kfree(kp);
		return NULL;
	}
	return kp;
}

/* Drop a record the host never mapped. */
static void free_new_page(struct kvmmem_page *kp)
{
	__free_page(kp->page);
	kfree(kp);
}

/* The checks of a map request that need no lock. */
static int check_map_args(u64 gpa, u64 gva)
{
	if (!PAGE_ALIGNED(gva) || !PAGE_ALIGNED(gpa) || gva != (unsigned long)gva)
		return -EINVAL;
	if (!gva || !access_ok((void __user *)(unsigned long)gva, PAGE_SIZE))
		return -EFAULT;
	return 0;
}

/**
 * kvmmem_pages_map() - KVM_INTRO_MEM_MAP of an address outside the window
 * @ctx: the open file
 * @req: the request, copied in
 *
 * Takes ctx->lock.
 *
 * Return: 0 or a negative errno (-EEXIST: already mapped there,
 * -ESHUTDOWN: the system is going down).
 */
long kvmmem_pages_map(struct kvmmem_ctx *ctx, const struct kvmi_mem_map *req)
{
	unsigned long gva = req->gva;
	struct kvmmem_page *kp;
	int ret;

	ret = check_map_args(req->gpa, req->gva);
	if (ret)
		return ret;
	kp = new_page(gva);
	if (!kp)
		return -ENOMEM;

	ret = ctx_lock_live(ctx);
	if (ret)
		goto out_free_page;
	status_check(ctx);
	ret = xa_insert(&ctx->pages, gva >> PAGE_SHIFT, kp, GFP_KERNEL);
	if (ret) {
		ret = ret == -EBUSY ? -EEXIST : ret;
		goto out_unlock;
	}
	ret = kvmmem_hc_map(&req->token, req->gpa, page_to_phys(kp->page));
	if (ret < 0)
		goto out_erase;
	kp->writable = ret == KVMMEM_MAP_RW;
	ret = install_page(kp->page, gva, kp->writable);
	if (ret)
		goto out_host_unmap;
	mutex_unlock(&ctx->lock);
	return 0;

out_host_unmap:
	xa_erase(&ctx->pages, gva >> PAGE_SHIFT);
	release_page(ctx, kp);
	mutex_unlock(&ctx->lock);
	return ret;
out_erase:
	xa_erase(&ctx->pages, gva >> PAGE_SHIFT);
out_unlock:
	mutex_unlock(&ctx->lock);
out_free_page:
	free_new_page(kp);
	return ret;
}

/**
 * kvmmem_pages_map_chunk() - one chunk of a batch map
 * @ctx: the open file; ctx->lock held
 * @token: the grant's token
 * @ent: the entries, at most KVMMEM_HC_BATCH_MAX
 * @n: how many
 * @hc: a zeroed page for the hypercall's descriptor
 * @kps: room for @n records
 * @done: out: the entries that took effect
 *
 * Records a page of our own for each entry (stopping at the first bad
 * one), lets the host map them in one hypercall, installs those it mapped
 * and drops the rest.
 *
 * Return: 0, or the error of the entry after the last one done.
 */
int kvmmem_pages_map_chunk(struct kvmmem_ctx *ctx, const struct kvmi_map_mem_token *token,
			   const struct kvmmem_batch_entry *ent, u32 n,
			   struct kvmmem_hc_batch *hc, struct kvmmem_page **kps, u32 *done)
{
	u32 i, k = 0, mapped;
	int ret = 0, r;

	for (i = 0; i < n; i++) {
		ret = check_map_args(ent[i].gpa, ent[i].gva);
		if (ret)
			break;
		kps[i] = new_page(ent[i].gva);
		if (!kps[i]) {
			ret = -ENOMEM;
			break;
		}
		r = xa_insert(&ctx->pages, ent[i].gva >> PAGE_SHIFT, kps[i], GFP_KERNEL);
		if (r) {
			free_new_page(kps[i]);
			ret = r == -EBUSY ? -EEXIST : r;
			break;
		}
		hc->ent[i].target_gpa = ent[i].gpa;
		hc->ent[i].intro_gpa = page_to_phys(kps[i]->page);
	}
	n = i;
	if (!n)
		goto out;

	hc->token = *token;
	hc->op = KVMMEM_BATCH_OP_MAP;
	hc->count = n;
	hc->error = -EIO;		/* what we assume if the host says nothing */
	hc->rights = KVMMEM_MAP_RO;
	r = kvmmem_hc_batch(hc);
	memzero_explicit(&hc->token, sizeof(hc->token));
	mapped = r < 0 ? 0 : min_t(u32, r, n);
	if (mapped < n)
		ret = r < 0 ? r : hc->error < 0 ? hc->error : -EIO;

	for (i = 0; i < n; i++) {
		if (i >= mapped) {
			xa_erase(&ctx->pages, kps[i]->gva >> PAGE_SHIFT);
			free_new_page(kps[i]);
			continue;
		}
		kps[i]->writable = hc->rights == KVMMEM_MAP_RW;
		r = k == i ? install_page(kps[i]->page, kps[i]->gva, kps[i]->writable) : -ECANCELED;
		if (!r) {
			k++;
			continue;
		}
		/* could not install: undo this entry and every later one */
		if (k == i)
			ret = r;
		xa_erase(&ctx->pages, kps[i]->gva >> PAGE_SHIFT);
		release_page(ctx, kps[i]);
	}
out:
	*done = k;
	return ret;
}

/**
 * kvmmem_pages_unmap_chunk() - one chunk of a batch unmap
 * @ctx: the open file; ctx->lock held
 * @ent: the entries, at most KVMMEM_HC_BATCH_MAX
 * @n: how many
 * @hc: a zeroed page for the hypercall's descriptor
 * @kps: room for @n records
 * @done: out: the entries unmapped
 *
 * Takes the records out (stopping at the first address that has none),
 * lets the host unmap them in one hypercall, frees those it unmapped and
 * puts the others back.
 *
 * Return: 0, or the error of the entry after the last one done.
 */
int kvmmem_pages_unmap_chunk(struct kvmmem_ctx *ctx, const struct kvmmem_batch_entry *ent,
			     u32 n, struct kvmmem_hc_batch *hc, struct kvmmem_page **kps,
			     u32 *done)
{
	u32 i, unmapped;
	int ret = 0, r;

	for (i = 0; i < n; i++) {
		if (!PAGE_ALIGNED(ent[i].gva) || ent[i].gva != (unsigned long)ent[i].gva) {
			ret = -EINVAL;
			break;
		}
		kps[i] = xa_erase(&ctx->pages, ent[i].gva >> PAGE_SHIFT);
		if (!kps[i]) {
			ret = -ENOENT;
			break;
		}
		hc->ent[i].target_gpa = 0;
		hc->ent[i].intro_gpa = page_to_phys(kps[i]->page);
	}
	n = i;
	unmapped = 0;
	if (n) {
		hc->op = KVMMEM_BATCH_OP_UNMAP;
		hc->count = n;
		hc->error = -EIO;
		r = kvmmem_hc_batch(hc);
		unmapped = r < 0 ? 0 : min_t(u32, r, n);
		if (unmapped < n)
			ret = r < 0 ? r : hc->error < 0 ? hc->error : -EIO;
	}
	for (i = 0; i < n; i++) {
		if (i < unmapped)
			finish_page(ctx, kps[i]);
		else if (xa_err(xa_store(&ctx->pages, kps[i]->gva >> PAGE_SHIFT,
					 kps[i], GFP_KERNEL)))
			quarantine(ctx, kps[i], -ENOMEM);
		/* else: still mapped by the host, the record is back */
	}
	*done = unmapped;
	return ret;
}

/**
 * kvmmem_pages_unmap() - KVM_INTRO_MEM_UNMAP of an address outside the window
 * @ctx: the open file
 * @gva: the caller's address
 *
 * Takes ctx->lock.
 *
 * Return: 0 or a negative errno (-ENOENT: nothing mapped there; the host's
 * error when it could not unmap, the page then quarantined).
 */
long kvmmem_pages_unmap(struct kvmmem_ctx *ctx, unsigned long gva)
{
	struct kvmmem_page *kp;
	long ret;

	if (!PAGE_ALIGNED(gva))
		return -EINVAL;
	mutex_lock(&ctx->lock);
	kp = xa_erase(&ctx->pages, gva >> PAGE_SHIFT);
	ret = kp ? release_page(ctx, kp) : -ENOENT;
	mutex_unlock(&ctx->lock);
	return ret;
}

/**
 * kvmmem_pages_unmap_all() - unmap every page of an open file
 * @ctx: the open file
 *
 * On close and before reboot. Takes ctx->lock.
 */
void kvmmem_pages_unmap_all(struct kvmmem_ctx *ctx)
{
	struct kvmmem_page *kp;
	unsigned long idx;

	mutex_lock(&ctx->lock);
	xa_for_each(&ctx->pages, idx, kp) {
		xa_erase(&ctx->pages, idx);
		release_page(ctx, kp);
	}
	mutex_unlock(&ctx->lock);
}
