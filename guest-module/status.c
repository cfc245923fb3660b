// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem guest: the status page that the host keeps current.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/kvmmem.h>
#include <asm/io.h>
#include <kvmmem_compat.h>

#include "hypercall.h"
#include "status.h"

/**
 * DOC: Guest status page, theory of operation
 *
 * One zeroed page of the module's own holds a &struct kvmmem_status. Before
 * the first map on each open file, kvmmem_status_register() gives its frame
 * to the host (KVM_HC_MEM_STATUS); from then on the host counts every
 * revocation of this VM's mappings there, before the revocation takes
 * effect. Registering once per file, rather than once per module load,
 * means that a host module that was reloaded learns the page again at the
 * next open. The host forgets the page when this VM resets, and the page
 * lives until the module is unloaded, so the host never writes into memory
 * that the kernel has reused.
 *
 * Processes read the page through a read-only shared mapping of
 * /dev/kvmmem at KVMMEM_STATUS_OFFSET (kvmmem_status_mmap()); reading it is
 * a plain load, with no system call and no hypercall.
 */

static struct page *status_page;
static DEFINE_MUTEX(status_lock);	/* one registration at a time */

/**
 * kvmmem_status_register() - have the host keep the status page current
 *
 * A failure is not fatal: the caller's map then goes on, and its own
 * hypercall reports why the host would not answer.
 *
 * Return: 0 or a negative errno.
 */
int kvmmem_status_register(void)
{
	struct kvmmem_status *s = page_address(status_page);
	int ret;

	mutex_lock(&status_lock);
	ret = kvmmem_hc_status(page_to_phys(status_page));
	if (!ret)
		WRITE_ONCE(s->registered, 1);
	mutex_unlock(&status_lock);
	return ret;
}

/**
 * kvmmem_status_mmap() - map the status page, read-only, into a process
 * @vma: the new mapping: one page at KVMMEM_STATUS_OFFSET, shared, no write
 *
 * Return: 0, -EINVAL (another size or offset) or -EPERM (writable).
 */
int kvmmem_status_mmap(struct vm_area_struct *vma)
{
	if (vma->vm_pgoff != KVMMEM_STATUS_OFFSET >> PAGE_SHIFT ||
	    vma_pages(vma) != 1 || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EPERM;
	kvmmem_vma_set_flags(vma, VM_DONTEXPAND | VM_DONTDUMP,
			     VM_MAYWRITE | VM_MAYEXEC);
	return vm_insert_page(vma, vma->vm_start, status_page);
}

/**
 * kvmmem_status_init() - allocate the status page
 *
 * Return: 0 or -ENOMEM.
 */
int kvmmem_status_init(void)
{
	struct kvmmem_status *s;

	status_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!status_page)
		return -ENOMEM;
	s = page_address(status_page);
	s->version = KVMMEM_STATUS_VERSION;
	return 0;
}

/**
 * kvmmem_status_forget() - make the host forget the status page
 *
 * Before a reboot or kexec and on unload: the next kernel, or this one,
 * may reuse the frame, and a quarantined page is still mapped by the host
 * and may yet be revoked.
 *
 * Return: 0 if no host writes the page any more, or a negative errno.
 */
int kvmmem_status_forget(void)
{
	struct kvmmem_status *s = page_address(status_page);
	int ret = 0;

	mutex_lock(&status_lock);
	if (READ_ONCE(s->registered)) {
		ret = kvmmem_hc_status(KVMMEM_STATUS_NONE);
		/* -EOPNOTSUPP: no kvmmem host is loaded now, so none knows it */
		if (ret == -EOPNOTSUPP)
			ret = 0;
		if (!ret)
			WRITE_ONCE(s->registered, 0);
	}
	mutex_unlock(&status_lock);
	return ret;
}

/**
 * kvmmem_status_uninit() - free the status page (module unload)
 *
 * No process maps it any more: a mapping holds the device file, which
 * holds the module. If the host cannot be made to forget the page, it is
 * left allocated.
 */
void kvmmem_status_uninit(void)
{
	int ret = kvmmem_status_forget();

	if (ret) {
		pr_warn("the host did not forget the status page (%d): page kept\n",
			ret);
		return;
	}
	__free_page(status_page);
}
