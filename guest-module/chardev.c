// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem guest: /dev/kvmmem, the introspector's character device.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/anon_inodes.h>
#include <linux/compat.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/reboot.h>
#include <linux/sched/signal.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <linux/kvmmem.h>
#include <asm/io.h>
#include <kvmmem_compat.h>

#include "chardev.h"
#include "hypercall.h"
#include "status.h"
#include "window.h"

/**
 * DOC: Guest device, theory of operation
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
 *
 * Everything is unmapped on close and before reboot or kexec (a reboot
 * notifier). The file may only be used by the process that opened it.
 */

struct kvmmem_ctx {
	struct mm_struct *mm;
	struct mutex lock;		/* serialises map/unmap on this file */
	struct xarray pages;		/* gva >> PAGE_SHIFT -> kvmmem_page */
	struct list_head node;		/* on ctx_list */
	bool status_known;		/* the host knows the status page */
	unsigned long window_taken;	/* bit 0: a window mmap() began */
	struct kvmmem_window *window;	/* set once, freed on release */
};

struct kvmmem_page {
	struct page *page;
	unsigned long gva;
	bool writable;
};

static LIST_HEAD(ctx_list);
static DEFINE_MUTEX(ctx_list_lock);	/* protects ctx_list, stopped */
static bool stopped;
static atomic_long_t quarantined = ATOMIC_LONG_INIT(0);

static int quarantined_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&quarantined));
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
	atomic_long_inc(&quarantined);
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

/* Before the first map on @ctx: the host must know the status page. */
static void status_check(struct kvmmem_ctx *ctx)
{
	if (!ctx->status_known)
		ctx->status_known = !kvmmem_status_register();
}

/* The file's window, if it has one. */
static struct kvmmem_window *ctx_window(struct kvmmem_ctx *ctx)
{
	/* pairs with the release in kvmmem_mmap(): a set-up window */
	return smp_load_acquire(&ctx->window);
}

/* One map or unmap of a window slot. */
static long window_one(struct kvmmem_ctx *ctx, const struct kvmi_map_mem_token *token,
		       u64 gpa, u64 gva, bool map)
{
	struct kvmmem_batch_entry ent = { .gpa = gpa, .gva = gva };
	struct kvmmem_hc_batch *hc;
	u32 done;
	long ret;

	hc = (struct kvmmem_hc_batch *)get_zeroed_page(GFP_KERNEL);
	if (!hc)
		return -ENOMEM;
	mutex_lock(&ctx->lock);
	if (map)
		status_check(ctx);
	ret = kvmmem_window_batch(ctx_window(ctx), ctx->mm, token, &ent, 1, map,
				  hc, &done);
	mutex_unlock(&ctx->lock);
	free_page((unsigned long)hc);
	return ret;
}

static long ctx_map(struct kvmmem_ctx *ctx, const struct kvmi_mem_map *req)
{
	unsigned long gva = req->gva;
	struct kvmmem_page *kp;
	int ret;

	if (kvmmem_window_slot(ctx_window(ctx), req->gva))
		return window_one(ctx, &req->token, req->gpa, req->gva, true);
	ret = check_map_args(req->gpa, req->gva);
	if (ret)
		return ret;
	kp = new_page(gva);
	if (!kp)
		return -ENOMEM;

	mutex_lock(&ctx->lock);
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
	free_new_page(kp);
	return ret;
}

/*
 * One chunk of a batch map, ctx->lock held: record a page of our own for
 * each entry (stopping at the first bad one), let the host map them in one
 * hypercall, install those it mapped and drop the rest. Sets *@done to the
 * entries that took effect and returns 0 or the error of the next one.
 */
static int chunk_map(struct kvmmem_ctx *ctx, const struct kvmi_map_mem_token *token,
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

/*
 * One chunk of a batch unmap, ctx->lock held: take the records out (stopping
 * at the first address that has none), let the host unmap them in one
 * hypercall, free those it unmapped and put the others back.
 */
static int chunk_unmap(struct kvmmem_ctx *ctx, const struct kvmmem_batch_entry *ent,
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

/* Entries read from the caller per step: many, so that runs form. */
#define WINDOW_STEP	4096

static long ctx_batch(struct kvmmem_ctx *ctx, struct kvmmem_batch __user *ureq,
		      bool map)
{
	struct kvmmem_window *w = ctx_window(ctx);
	struct kvmmem_batch_entry *ent;
	struct kvmmem_page **kps = NULL;
	struct kvmmem_hc_batch *hc;
	struct kvmmem_batch req;
	u32 n, k, done = 0;
	size_t chunk;
	long ret = 0;

	if (copy_from_user(&req, ureq, sizeof(req)))
		return -EFAULT;
	if (!req.count || req.count > KVMMEM_BATCH_MAX) {
		ret = -EINVAL;
		goto out_wipe;
	}
	/* the first entry decides: all in the window, or none */
	if (w) {
		u64 gva;

		if (get_user(gva, (u64 __user *)u64_to_user_ptr(req.entries +
				offsetof(struct kvmmem_batch_entry, gva)))) {
			ret = -EFAULT;
			goto out_wipe;
		}
		if (!kvmmem_window_slot(w, gva))
			w = NULL;
	}
	chunk = w ? min_t(u32, req.count, WINDOW_STEP) : KVMMEM_HC_BATCH_MAX;
	ret = -ENOMEM;
	hc = (struct kvmmem_hc_batch *)get_zeroed_page(GFP_KERNEL);
	if (!hc)
		goto out_wipe;
	ent = kvmalloc_array(chunk, sizeof(*ent), GFP_KERNEL);
	if (!ent)
		goto out_free_hc;
	if (!w) {
		kps = kmalloc_array(chunk, sizeof(*kps), GFP_KERNEL);
		if (!kps)
			goto out_free_ent;
	}

	ret = 0;
	while (!ret && done < req.count) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		n = min_t(u32, req.count - done, chunk);
		if (copy_from_user(ent, u64_to_user_ptr(req.entries) + done * sizeof(*ent),
				   n * sizeof(*ent))) {
			ret = -EFAULT;
			break;
		}
		mutex_lock(&ctx->lock);
		if (map)
			status_check(ctx);
		if (w)
			ret = kvmmem_window_batch(w, ctx->mm, &req.token, ent, n,
						  map, hc, &k);
		else if (map)
			ret = chunk_map(ctx, &req.token, ent, n, hc, kps, &k);
		else
			ret = chunk_unmap(ctx, ent, n, hc, kps, &k);
		mutex_unlock(&ctx->lock);
		done += k;
		cond_resched();
	}
	if (put_user(done, &ureq->done))
		ret = -EFAULT;

	kfree(kps);
out_free_ent:
	kvfree(ent);
out_free_hc:
	free_page((unsigned long)hc);
out_wipe:
	memzero_explicit(&req, sizeof(req));
	return ret;
}

static long ctx_unmap(struct kvmmem_ctx *ctx, unsigned long gva)
{
	struct kvmmem_page *kp;
	long ret;

	if (kvmmem_window_slot(ctx_window(ctx), gva))
		return window_one(ctx, NULL, 0, gva, false);
	if (!PAGE_ALIGNED(gva))
		return -EINVAL;
	mutex_lock(&ctx->lock);
	kp = xa_erase(&ctx->pages, gva >> PAGE_SHIFT);
	ret = kp ? release_page(ctx, kp) : -ENOENT;
	mutex_unlock(&ctx->lock);
	return ret;
}

static void ctx_unmap_all(struct kvmmem_ctx *ctx)
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

static int kvmmem_open(struct inode *inode, struct file *file)
{
	struct kvmmem_ctx *ctx;
	int ret = 0;

	if (!current->mm)
		return -EINVAL;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	mutex_init(&ctx->lock);
	xa_init(&ctx->pages);

	mutex_lock(&ctx_list_lock);
	if (stopped) {
		ret = -ESHUTDOWN;
		goto out_unlock;
	}
	mmgrab(current->mm);
	ctx->mm = current->mm;
	list_add(&ctx->node, &ctx_list);
	file->private_data = ctx;
out_unlock:
	mutex_unlock(&ctx_list_lock);
	if (ret)
		kfree(ctx);
	return ret;
}

static int kvmmem_release(struct inode *inode, struct file *file)
{
	struct kvmmem_ctx *ctx = file->private_data;

	mutex_lock(&ctx_list_lock);
	list_del(&ctx->node);
	mutex_unlock(&ctx_list_lock);
	ctx_unmap_all(ctx);
	kvmmem_window_release(ctx->window);
	xa_destroy(&ctx->pages);
	mmdrop(ctx->mm);
	kfree(ctx);
	return 0;
}

/* KVM_INTRO_MEM_RANGES: the host's answer, copied out. */
static long ctx_ranges(struct kvmmem_ranges __user *arg)
{
	struct kvmmem_ranges req;
	struct kvmmem_range *r;
	long ret;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	ret = -EINVAL;
	if (req.count > KVMMEM_RANGES_MAX)
		goto out_wipe;
	ret = -ENOMEM;
	r = kcalloc(KVMMEM_RANGES_MAX, sizeof(*r), GFP_KERNEL);
	if (!r)
		goto out_wipe;
	ret = kvmmem_hc_ranges(&req.token, r, req.count);
	if (ret < 0)
		goto out_free;
	if (copy_to_user(u64_to_user_ptr(req.ranges), r,
			 min_t(long, ret, req.count) * sizeof(*r)) ||
	    put_user((u32)ret, &arg->total))
		ret = -EFAULT;
	else
		ret = 0;
out_free:
	kfree(r);
out_wipe:
	memzero_explicit(&req, sizeof(req));
	return ret;
}

static long kvmmem_do_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg, unsigned int unmap_cmd)
{
	struct kvmmem_ctx *ctx = file->private_data;
	struct kvmi_mem_map req;
	long ret;

	if (current->mm != ctx->mm)
		return -EPERM;
	if (READ_ONCE(stopped))
		return -ESHUTDOWN;

	if (cmd == KVM_INTRO_MEM_MAP) {
		if (copy_from_user(&req, (void __user *)arg, sizeof(req)))
			return -EFAULT;
		ret = ctx_map(ctx, &req);
		memzero_explicit(&req, sizeof(req));
		return ret;
	}
	if (cmd == unmap_cmd)
		return ctx_unmap(ctx, arg);
	if (cmd == KVM_INTRO_MEM_MAP_BATCH || cmd == KVM_INTRO_MEM_UNMAP_BATCH)
		return ctx_batch(ctx, (void __user *)arg,
				 cmd == KVM_INTRO_MEM_MAP_BATCH);
	if (cmd == KVM_INTRO_MEM_RANGES)
		return ctx_ranges((void __user *)arg);
	return -ENOTTY;
}

static long kvmmem_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	return kvmmem_do_ioctl(file, cmd, arg, KVM_INTRO_MEM_UNMAP);
}

#ifdef CONFIG_COMPAT
/* A 32-bit KVM_INTRO_MEM_UNMAP encodes sizeof(unsigned long) == 4. */
#define KVM_INTRO_MEM_UNMAP32	_IOW('i', 0x02, compat_ulong_t)

static long kvmmem_compat_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	if (cmd != KVM_INTRO_MEM_UNMAP32)
		arg = (unsigned long)compat_ptr(arg);
	return kvmmem_do_ioctl(file, cmd, arg, KVM_INTRO_MEM_UNMAP32);
}
#endif

/* The status page (status.c) or the window (window.c). */
static int kvmmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kvmmem_ctx *ctx = file->private_data;
	struct kvmmem_window *w;
	int ret;

	if (vma->vm_pgoff != KVMMEM_WINDOW_OFFSET >> PAGE_SHIFT)
		return kvmmem_status_mmap(vma);
	if (current->mm != ctx->mm)
		return -EPERM;
	if (READ_ONCE(stopped))
		return -ESHUTDOWN;
	/* mmap_lock is held: ctx->lock nests the other way round */
	if (test_and_set_bit(0, &ctx->window_taken))
		return -EBUSY;
	ret = kvmmem_window_mmap(&w, vma);
	if (ret) {
		clear_bit(0, &ctx->window_taken);
		return ret;
	}
	/* pairs with the acquire in ctx_window() */
	smp_store_release(&ctx->window, w);
	return 0;
}

static const struct file_operations kvmmem_fops = {
	.owner		= THIS_MODULE,
	.open		= kvmmem_open,
	.release	= kvmmem_release,
	.unlocked_ioctl	= kvmmem_ioctl,
	.mmap		= kvmmem_mmap,
#ifdef CONFIG_COMPAT
	.compat_ioctl	= kvmmem_compat_ioctl,
#endif
	.llseek		= noop_llseek,
};

static struct miscdevice kvmmem_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kvmmem",
	.fops	= &kvmmem_fops,
	.mode	= 0600,
};

/* Before reboot or kexec, give every page back to ordinary use. */
static int kvmmem_reboot(struct notifier_block *nb, unsigned long action,
			 void *data)
{
	struct kvmmem_ctx *ctx;

	mutex_lock(&ctx_list_lock);
	WRITE_ONCE(stopped, true);
	list_for_each_entry(ctx, &ctx_list, node) {
		ctx_unmap_all(ctx);
		mutex_lock(&ctx->lock);
		kvmmem_window_stop(ctx_window(ctx));
		mutex_unlock(&ctx->lock);
	}
	mutex_unlock(&ctx_list_lock);
	kvmmem_status_forget();
	return NOTIFY_DONE;
}

static struct notifier_block kvmmem_reboot_nb = {
	.notifier_call = kvmmem_reboot,
};

/**
 * kvmmem_chardev_init() - register /dev/kvmmem and the reboot notifier
 *
 * Return: 0 or a negative errno.
 */
int kvmmem_chardev_init(void)
{
	int ret;

	kvmmem_window_setup(&quarantined);
	ret = register_reboot_notifier(&kvmmem_reboot_nb);
	if (ret)
		return ret;
	ret = misc_register(&kvmmem_misc);
	if (ret)
		goto err_reboot;
	return 0;

err_reboot:
	unregister_reboot_notifier(&kvmmem_reboot_nb);
	return ret;
}

/**
 * kvmmem_chardev_uninit() - remove /dev/kvmmem
 *
 * Open files pin the module, so no context is left at this point.
 */
void kvmmem_chardev_uninit(void)
{
	misc_deregister(&kvmmem_misc);
	unregister_reboot_notifier(&kvmmem_reboot_nb);
}
