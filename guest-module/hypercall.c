// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem guest: the only file that issues hypercalls.
 *
 * Copyright (C) 2026 The kvmmem authors
 */

/**
 * DOC: Hypercalls from the guest, theory of operation
 *
 * One function per hypercall, and the only place that issues them. The
 * host reads a token or a descriptor by its guest-physical address, so it
 * must lie in one physically contiguous piece that crosses no page: a
 * token goes into a kmalloc()ed buffer of its own (never on the stack,
 * which may be vmalloc()ed), the ranges request into a page of its own,
 * and a batch comes from the caller in such memory. A token's copy is
 * wiped before it is freed. The host's answer becomes 0, a positive value
 * or a -errno: -KVM_ENOSYS (no kvmmem on the host, or no grant for this
 * VM) becomes -EOPNOTSUPP, and a value that is no errno becomes -EIO.
 */
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/kvm_para.h>
#include <asm/io.h>
#include <linux/kvmmem.h>

#include "hypercall.h"

/* Turn a hypercall result into 0, a positive value or a -errno. */
static long hc_result(long ret)
{
	if (ret >= 0)
		return ret;
	if (ret == -KVM_ENOSYS)		/* no kvmmem host, or no grant */
		return -EOPNOTSUPP;
	if (ret < -MAX_ERRNO)
		return -EIO;
	return ret;
}

/**
 * kvmmem_hc_map() - ask the host to back a local page by a target page
 * @token: the grant's token; copied to a buffer whose gpa the host reads
 * @target_gpa: page-aligned gpa in the target VM
 * @local: guest-physical address of the local page
 *
 * Return: KVMMEM_MAP_RO or KVMMEM_MAP_RW on success, or a negative errno.
 */
int kvmmem_hc_map(const struct kvmi_map_mem_token *token, u64 target_gpa,
		  phys_addr_t local)
{
	struct kvmi_map_mem_token *buf;
	long ret;

	/* kmalloc(32) is 32-byte aligned, so it never crosses a page */
	buf = kmalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	*buf = *token;
	ret = kvm_hypercall3(KVM_HC_MEM_MAP, virt_to_phys(buf), target_gpa,
			     local);
	memzero_explicit(buf, sizeof(*buf));
	kfree(buf);
	return hc_result(ret);
}

/**
 * kvmmem_hc_unmap() - ask the host to give a local page its memory back
 * @local: guest-physical address of the local page
 *
 * Return: 0 or a negative errno.
 */
int kvmmem_hc_unmap(phys_addr_t local)
{
	return hc_result(kvm_hypercall1(KVM_HC_MEM_UNMAP, local));
}

/**
 * kvmmem_hc_batch() - hand a batch descriptor to the host
 * @hc: the descriptor and its entries, in one page of kernel memory
 *
 * Return: the number of entries that took effect (the outcome of the
 * first one that did not is in @hc->error), or a negative errno when the
 * host took none.
 */
int kvmmem_hc_batch(struct kvmmem_hc_batch *hc)
{
	/* a1 and a2 are reserved and must be 0: kvm_hypercall1 leaves them be */
	return hc_result(kvm_hypercall3(KVM_HC_MEM_BATCH, virt_to_phys(hc), 0, 0));
}

/**
 * kvmmem_hc_status() - tell the host where this VM's status page is
 * @gpa: the page's guest-physical address, or KVMMEM_STATUS_NONE to
 *	 make the host forget it
 *
 * Return: 0 or a negative errno (-EOPNOTSUPP: no grant, or no host).
 */
int kvmmem_hc_status(u64 gpa)
{
	return hc_result(kvm_hypercall3(KVM_HC_MEM_STATUS, gpa, 0, 0));
}

/**
 * kvmmem_hc_window() - register or unregister a window chunk with the host
 * @chunk: its guest-physical address, KVMMEM_WINDOW_CHUNK aligned
 * @reg: register rather than unregister
 *
 * Return: 0 or a negative errno (-EOPNOTSUPP: no grant, or no host).
 */
int kvmmem_hc_window(phys_addr_t chunk, bool reg)
{
	return hc_result(kvm_hypercall3(KVM_HC_MEM_WINDOW, chunk,
					reg ? KVMMEM_WINDOW_CHUNK_PAGES : 0, 0));
}

/**
 * kvmmem_hc_ranges() - ask the host where the target's RAM is
 * @token: the grant's token
 * @r: out: the first ranges, lowest first
 * @count: room in @r, at most KVMMEM_HC_RANGES_MAX
 *
 * Return: how many ranges there are (may exceed @count), or a negative
 * errno.
 */
long kvmmem_hc_ranges(const struct kvmi_map_mem_token *token,
		      struct kvmmem_range *r, u32 count)
{
	struct kvmmem_hc_ranges *h;
	long ret;

	if (count > KVMMEM_HC_RANGES_MAX)
		return -EINVAL;
	/* a page of its own: the descriptor must not cross one */
	h = (void *)get_zeroed_page(GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	h->token = *token;
	h->count = count;
	ret = hc_result(kvm_hypercall3(KVM_HC_MEM_RANGES, virt_to_phys(h), 0, 0));
	if (ret > 0)
		memcpy(r, h->range, min_t(long, ret, count) * sizeof(*r));
	memzero_explicit(&h->token, sizeof(h->token));
	free_page((unsigned long)h);
	return ret;
}
