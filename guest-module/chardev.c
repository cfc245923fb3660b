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
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <linux/kvmmem.h>
#include <asm/io.h>
#include <kvmmem_compat.h>

#include "chardev.h"
#include "hypercall.h"

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
 * in the caller, never a host fault that would stop the VM.
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

static int page_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff || vma_pages(vma) != 1)
		return -EINVAL;
	kvmmem_vma_set_flags(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP,
			     (vma->vm_flags & VM_WRITE) ? 0 : VM_MAYWRITE);
	return vm_insert_page(vma, vma->vm_start, file->private_data);
}

static const struct file_operations page_fops = {
	.owner	= THIS_MODULE,
	.mmap	= page_mmap,
};

/* Put @page at @gva in the current process, replacing what was there. */
static int install_page(struct page *page, unsigned long gva, bool writable)
{
	unsigned long addr;
	struct file *file;

	file = anon_inode_getfile("[kvmmem]", &page_fops, page,
				  writable ? O_RDWR : O_RDONLY);
	if (IS_ERR(file))
		return PTR_ERR(file);
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

/*
 * Ask the host to unmap @kp and release it. On failure the page stays
 * backed by the target, so it is kept forever instead of being freed.
 */
static int release_page(struct kvmmem_ctx *ctx, struct kvmmem_page *kp)
{
	int ret;

	ret = kvmmem_hc_unmap(page_to_phys(kp->page));
	uninstall_page(ctx, kp->gva);
	if (ret) {
		atomic_long_inc(&quarantined);
		pr_warn_ratelimited("host unmap of %pa failed (%d): page quarantined\n",
				    &(phys_addr_t){ page_to_phys(kp->page) }, ret);
	} else {
		put_page(kp->page);
	}
	kfree(kp);
	return ret;
}

static long ctx_map(struct kvmmem_ctx *ctx, const struct kvmi_mem_map *req)
{
	unsigned long gva = req->gva;
	struct kvmmem_page *kp;
	int ret;

	if (!PAGE_ALIGNED(gva) || !PAGE_ALIGNED(req->gpa))
		return -EINVAL;
	if (!gva || !access_ok((void __user *)gva, PAGE_SIZE))
		return -EFAULT;

	kp = kzalloc(sizeof(*kp), GFP_KERNEL);
	if (!kp)
		return -ENOMEM;
	kp->gva = gva;
	kp->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!kp->page) {
		ret = -ENOMEM;
		goto out_free_kp;
	}

	mutex_lock(&ctx->lock);
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
	__free_page(kp->page);
out_free_kp:
	kfree(kp);
	return ret;
}

static long ctx_unmap(struct kvmmem_ctx *ctx, unsigned long gva)
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
	xa_destroy(&ctx->pages);
	mmdrop(ctx->mm);
	kfree(ctx);
	return 0;
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
	if (cmd == KVM_INTRO_MEM_MAP)
		arg = (unsigned long)compat_ptr(arg);
	return kvmmem_do_ioctl(file, cmd, arg, KVM_INTRO_MEM_UNMAP32);
}
#endif

static const struct file_operations kvmmem_fops = {
	.owner		= THIS_MODULE,
	.open		= kvmmem_open,
	.release	= kvmmem_release,
	.unlocked_ioctl	= kvmmem_ioctl,
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
	list_for_each_entry(ctx, &ctx_list, node)
		ctx_unmap_all(ctx);
	mutex_unlock(&ctx_list_lock);
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
