// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem guest: /dev/kvmmem, the introspector's character device.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/reboot.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <linux/kvmmem.h>

#include "chardev.h"
#include "ctx.h"
#include "hypercall.h"
#include "pages.h"
#include "status.h"
#include "window.h"

/**
 * DOC: Guest device, theory of operation
 *
 * Each open file is a context (ctx.h): the caller's mm, its pages and its
 * window. The ioctls of the original KVMI ABI (map, unmap) and their batch
 * forms go to the window (window.c) when the address is one of its slots,
 * and otherwise to the engine that backs a page of our own for each map
 * (pages.c); a batch is taken in chunks, each under the file's lock, so a
 * fatal signal stops a long one between chunks. KVM_INTRO_MEM_RANGES asks
 * the host for the target's RAM ranges. mmap() gives the status page
 * (status.c) or the window.
 *
 * Everything is unmapped on close and before reboot or kexec (a reboot
 * notifier): the next kernel must get plain RAM. A map may be under way
 * when the notifier runs, so each file has a stopped flag that the
 * notifier sets under the file's lock, and every map, and every chunk of
 * a batch, checks it under that lock: whatever was mapped before is then
 * unmapped, and nothing is mapped after. A window being set up (under
 * mmap_lock, where the file's lock cannot be taken) has a lock of its own:
 * the set-up checks the flag before each chunk it registers, and the
 * notifier waits for it, then stops whatever window there is. The file
 * may only be used by the process that opened it.
 */

static LIST_HEAD(ctx_list);
static DEFINE_MUTEX(ctx_list_lock);	/* protects ctx_list, stopped */
static bool stopped;

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
	ret = ctx_lock_live(ctx);
	if (ret)
		goto out_free;
	if (map)
		status_check(ctx);
	ret = kvmmem_window_batch(ctx_window(ctx), ctx->mm, token, &ent, 1, map,
				  hc, &done);
	mutex_unlock(&ctx->lock);
out_free:
	free_page((unsigned long)hc);
	return ret;
}

static long ctx_map(struct kvmmem_ctx *ctx, const struct kvmi_mem_map *req)
{
	if (kvmmem_window_slot(ctx_window(ctx), req->gva))
		return window_one(ctx, &req->token, req->gpa, req->gva, true);
	return kvmmem_pages_map(ctx, req);
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
		ret = ctx_lock_live(ctx);
		if (ret)
			break;
		if (map)
			status_check(ctx);
		if (w)
			ret = kvmmem_window_batch(w, ctx->mm, &req.token, ent, n,
						  map, hc, &k);
		else if (map)
			ret = kvmmem_pages_map_chunk(ctx, &req.token, ent, n, hc, kps, &k);
		else
			ret = kvmmem_pages_unmap_chunk(ctx, ent, n, hc, kps, &k);
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
	if (kvmmem_window_slot(ctx_window(ctx), gva))
		return window_one(ctx, NULL, 0, gva, false);
	return kvmmem_pages_unmap(ctx, gva);
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
	mutex_init(&ctx->window_lock);
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
	struct kvmmem_window *w;

	/*
	 * Torn down while still on ctx_list, under ctx->lock: a reboot
	 * notifier meanwhile waits for it, rather than return while this
	 * close is still unmapping (a kexec would then stop it half done).
	 */
	kvmmem_pages_unmap_all(ctx);
	mutex_lock(&ctx->lock);
	w = ctx->window;
	WRITE_ONCE(ctx->window, NULL);
	kvmmem_window_release(w);
	mutex_unlock(&ctx->lock);
	mutex_lock(&ctx_list_lock);
	list_del(&ctx->node);
	mutex_unlock(&ctx_list_lock);
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
	/*
	 * mmap_lock is held: ctx->lock nests the other way round, so the
	 * set-up has a lock of its own, which the reboot notifier takes too.
	 */
	mutex_lock(&ctx->window_lock);
	ret = -ESHUTDOWN;
	if (READ_ONCE(ctx->stopped))
		goto out_unlock;
	ret = -EBUSY;
	if (test_and_set_bit(0, &ctx->window_taken))
		goto out_unlock;
	ret = kvmmem_window_mmap(&w, vma, &ctx->stopped);
	if (ret) {
		clear_bit(0, &ctx->window_taken);
		goto out_unlock;
	}
	/* pairs with the acquire in ctx_window() */
	smp_store_release(&ctx->window, w);
out_unlock:
	mutex_unlock(&ctx->window_lock);
	return ret;
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
		/* a map or batch chunk after this one is refused */
		mutex_lock(&ctx->lock);
		WRITE_ONCE(ctx->stopped, true);
		mutex_unlock(&ctx->lock);
		kvmmem_pages_unmap_all(ctx);
		/* a window being set up gives up, or is here whole */
		mutex_lock(&ctx->lock);
		mutex_lock(&ctx->window_lock);
		kvmmem_window_stop(ctx_window(ctx));
		mutex_unlock(&ctx->window_lock);
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

	kvmmem_window_setup(&kvmmem_quarantined);
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
