// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
/*
 * vtop.c: the target's virtual addresses, through its own page tables.
 *
 * DOC: Theory of operation
 *
 * x86-64 page tables of four or five levels, walked from a physical root:
 * init_top_pgt for the kernel, a process's mm->pgd for its user space.
 *  - An entry maps when it is present, or when it is PROTNONE (bit 8 with
 *    bit 0 clear: a page made inaccessible by mprotect(PROT_NONE) or NUMA
 *    balancing). The kernel stores the frame number of such an entry
 *    inverted (the L1TF mitigation); it is inverted back here.
 *  - Any other non-zero entry at the last level is a swap entry: an error
 *    (ENODATA), never bytes.
 *  - PS at the third and second levels: 1 GiB and 2 MiB pages.
 *  - The memory encryption mask that VMCOREINFO gives (sme_mask) is taken
 *    off every frame address.
 * Kernel image addresses translate without a walk (va - __START_KERNEL_map
 * + phys_base), and so do direct map addresses (va - page_offset_base).
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "lx.h"

#define PFN_MASK	0x000ffffffffff000ULL
#define P_PRESENT	(1ULL << 0)
#define P_PSE		(1ULL << 7)
#define P_PROTNONE	(1ULL << 8)

/**
 * lx_pread() - read the target's physical memory
 * @lx: the view
 * @pa: physical address
 * @buf: destination
 * @len: bytes
 *
 * Return: 0, or -1 with errno set.
 */
int lx_pread(struct kvmmem_linux *lx, uint64_t pa, void *buf, size_t len)
{
	return kvmmem_pmem_read(lx->pm, pa, buf, len);
}

/* The frame address of entry @e (with bits below @shift from @va). */
static uint64_t frame(uint64_t e, uint64_t va, unsigned int shift)
{
	uint64_t low = (1ULL << shift) - 1;

	if (!(e & P_PRESENT))
		e = ~e;		/* PROTNONE: the frame number is inverted */
	return (e & PFN_MASK & ~low) | (va & low);
}

/**
 * lx_vtop() - translate a virtual address through page tables
 * @lx: the view
 * @pgd: physical address of the top-level table
 * @va: the virtual address
 * @pa: out: its physical address
 *
 * Return: 0, or -1 with errno EFAULT (not mapped) or ENODATA (swapped
 * out), or the read's errno.
 */
int lx_vtop(struct kvmmem_linux *lx, uint64_t pgd, uint64_t va, uint64_t *pa)
{
	unsigned int shift = lx->l5 ? 48 : 39;
	uint64_t table = pgd, e, sme = lx->sme;

	for (;; shift -= 9) {
		if (lx_pread(lx, (table & PFN_MASK & ~sme) + ((va >> shift) & 511) * 8,
			     &e, 8))
			return -1;
		e &= ~sme;
		if (!(e & P_PRESENT)) {
			/* PROTNONE only ends a walk at a leaf */
			if ((e & P_PROTNONE) && (shift == 12 ||
			    ((shift == 21 || shift == 30) && (e & P_PSE))))
				break;
			errno = e && shift == 12 ? ENODATA : EFAULT;
			return -1;
		}
		if (shift == 12 || ((shift == 21 || shift == 30) && (e & P_PSE)))
			break;
		table = e;
	}
	*pa = frame(e, va, shift);
	return 0;
}

/* Top of RAM, for the direct map's fast path. */
static uint64_t ram_end(struct kvmmem_linux *lx)
{
	const struct kvmmem_ram_range *r;
	int n = kvmmem_pmem_ranges(lx->pm, &r);

	return n > 0 ? r[n - 1].end : 0;
}

/* Translate a kernel address, with the fast paths. */
static int ktop(struct kvmmem_linux *lx, uint64_t va, uint64_t *pa)
{
	if (va >= LX_KMAP && va - LX_KMAP < (1ULL << 30)) {
		*pa = va - LX_KMAP + lx->phys_base;
		return 0;
	}
	if (lx->page_offset && va >= lx->page_offset &&
	    va - lx->page_offset < ram_end(lx)) {
		*pa = va - lx->page_offset;
		return 0;
	}
	return lx_vtop(lx, lx->pgd, va, pa);
}

/**
 * lx_vread() - read virtual memory, page by page
 * @lx: the view
 * @pgd: physical address of the top-level table; 0: the kernel's
 * @va: virtual address
 * @buf: destination
 * @len: bytes
 *
 * Return: 0, or -1 with errno set (see lx_vtop()).
 */
int lx_vread(struct kvmmem_linux *lx, uint64_t pgd, uint64_t va, void *buf,
	     size_t len)
{
	uint8_t *out = buf;
	uint64_t pa, n;
	int ret;

	while (len) {
		n = LX_PAGE - (va & (LX_PAGE - 1));
		if (n > len)
			n = len;
		ret = pgd ? lx_vtop(lx, pgd, va, &pa) : ktop(lx, va, &pa);
		if (ret || lx_pread(lx, pa, out, n))
			return -1;
		out += n;
		va += n;
		len -= n;
	}
	return 0;
}

/**
 * lx_kread() - read kernel virtual memory
 * @lx: the view
 * @va: kernel virtual address
 * @buf: destination
 * @len: bytes
 *
 * Return: 0, or -1 with errno set.
 */
int lx_kread(struct kvmmem_linux *lx, uint64_t va, void *buf, size_t len)
{
	if (!lx_kptr(lx, va)) {
		errno = EFAULT;
		return -1;
	}
	return lx_vread(lx, 0, va, buf, len);
}

/**
 * lx_ku64() - read a 64-bit kernel value
 * @lx: the view
 * @va: its kernel virtual address
 * @v: out: the value
 *
 * Return: 0, or -1 with errno set.
 */
int lx_ku64(struct kvmmem_linux *lx, uint64_t va, uint64_t *v)
{
	return lx_kread(lx, va, v, 8);
}

/**
 * lx_ku32() - read a 32-bit kernel value
 * @lx: the view
 * @va: its kernel virtual address
 * @v: out: the value
 *
 * Return: 0, or -1 with errno set.
 */
int lx_ku32(struct kvmmem_linux *lx, uint64_t va, uint32_t *v)
{
	return lx_kread(lx, va, v, 4);
}

/**
 * lx_kptr() - could @va be a kernel address?
 * @lx: the view
 * @va: the value
 *
 * Return: whether it is in the kernel's half of the address space.
 */
bool lx_kptr(const struct kvmmem_linux *lx, uint64_t va)
{
	return va >= (lx->l5 ? 0xff00000000000000ULL : 0xffff800000000000ULL);
}
