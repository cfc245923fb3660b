// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: holding target pages.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <kvmmem_compat.h>

#include "hold.h"
#include "stats.h"

/**
 * DOC: Holding the target page, theory of operation
 *
 * A read-write grant pins each page with write intent (FOLL_WRITE |
 * FOLL_LONGTERM), as it will be written. A read-only grant must not disturb
 * the target, and any pin would: one with write intent populates a page
 * the target never touched, and a read-only FOLL_PIN still un-shares a KSM
 * page (GUP must unshare what is not exclusive). So it takes a plain
 * reference through a read fault (FOLL_GET): a page the target never
 * touched reads as a shared zero page, which we map as ZERO_PAGE(0)
 * without holding anything (in anonymous memory a page that is not
 * anonymous is a zero page, 4K or huge); a KSM page stays shared. The
 * reference keeps the page from being freed, KSM from merging it and
 * migration from moving it while it is mapped; when the target writes the
 * zero page or a KSM page, the copy-on-write invalidates its hva and the
 * caller's notifier brings the new page in. Counters: pinned_pages
 * (read-write) and held_pages (read-only, zero pages included).
 *
 * KVM maps a VM_PFNMAP pfn only if it can take a reference on that very
 * page, which fails for a tail page of a huge page. So a page inside a
 * transparent huge page has its huge page split first (split_target()).
 *
 * A run of consecutive hvas is held with one GUP call. If some of its pages
 * turn out to be huge, the run is let go, those are split, and it is taken
 * again.
 */

/*
 * migrate_vma_setup() splits the THP around the range it walks and, with
 * no page selected for migration, does nothing else. The target keeps every
 * byte; it only loses the 2 MiB mapping there. Called with the target's
 * mmap_lock held for read, which also keeps khugepaged from collapsing it
 * again before we hold it. The split fails while anyone else holds a
 * transient reference (the target's vCPU refaulting the page): try again.
 *
 * It never splits a huge page that is mapped by PTEs: one whose PMD was
 * split, as after a fork and the target's first write into it. A read-only
 * grant faults without write intent, so as not to break copy-on-write
 * sharing; once half the tries could not split the page, it also faults
 * with write intent, which gives a page shared copy-on-write a 4K copy of
 * its own (same bytes; counted in thp_copies: the one way a read-only grant
 * disturbs the target). A huge page that the target alone maps by PTEs
 * cannot be split from here (split_huge_page() is not exported): -EBUSY.
 */
#define SPLIT_TRIES	8

/* Fault the page at @hva in with @flags: 1 if it is part of a huge page. */
static long fault_huge(struct vm_area_struct *vma, unsigned long hva,
		       unsigned int flags)
{
	struct page *page;
	bool huge;
	long n;

	n = kvmmem_gup_remote(vma->vm_mm, hva, 1, flags, &page, false);
	if (n != 1)
		return n == -ENOMEM ? -ENOMEM : -ENXIO;
	huge = PageTransCompound(page);
	put_page(page);
	return huge;
}

static long split_target(struct vm_area_struct *vma, unsigned long hva,
			 bool writable)
{
	unsigned long src = 0, dst = 0;
	struct migrate_vma mig = {
		.vma = vma, .src = &src, .dst = &dst,
		.start = hva, .end = hva + PAGE_SIZE,
	};
	int tries;
	long ret;

	for (tries = 0; tries < SPLIT_TRIES; tries++) {
		/* fault it in as the hold will (read-only: no COW break), look */
		ret = fault_huge(vma, hva, writable ? FOLL_WRITE : 0);
		if (ret <= 0) {
			if (!ret && tries)
				kvmmem_stat_inc(KVMMEM_STAT_SPLITS);
			return ret;
		}
		if (!writable && tries >= SPLIT_TRIES / 2) {
			/* mapped by PTEs, it seems: a copy of this page */
			ret = fault_huge(vma, hva, FOLL_WRITE);
			if (ret <= 0) {
				if (!ret)
					kvmmem_stat_inc(KVMMEM_STAT_SPLIT_COPIES);
				return ret;
			}
		}
		if (migrate_vma_setup(&mig))
			return -EBUSY;
		migrate_vma_finalize(&mig);
		cond_resched();
	}
	return -EBUSY;
}

/* What a GUP that did not return every page means for us. */
static long gup_error(long got)
{
	return got == -ENOMEM ? -ENOMEM : -ENXIO;
}

/*
 * Our own overlays are never a target (no chaining): -ELOOP. Nor is
 * hugetlb memory: KVM maps a VM_PFNMAP pfn only if it can take a reference
 * on that very page, which fails for a tail page, and a hugetlb page
 * cannot be split. -EMEDIUMTYPE, the same for every page of it, so that
 * the introspector learns why at once instead of an -EBUSY to retry.
 */
static long check_vmas(struct mm_struct *mm, unsigned long hva,
		       unsigned long end)
{
	struct vm_area_struct *vma;

	while (hva < end) {
		vma = vma_lookup(mm, hva);
		if (!vma)
			return -ENXIO;
		if (kvmmem_vma_ours(vma))
			return -ELOOP;
		if (is_vm_hugetlb_page(vma))
			return -EMEDIUMTYPE;
		if (vma->vm_flags & (VM_IO | VM_PFNMAP))
			return -ENXIO;
		hva = vma->vm_end;
	}
	return 0;
}

/*
 * GUP gave us @pages: keep a read-only zero page as ZERO_PAGE(0), holding
 * nothing. Return: how many pages are parts of huge pages.
 */
static unsigned long settle(struct mm_struct *mm, unsigned long hva,
			    unsigned long n, bool writable, struct page **pages)
{
	struct vm_area_struct *vma = NULL;
	unsigned long i, a, huge = 0;

	for (i = 0; i < n; i++) {
		a = hva + i * PAGE_SIZE;
		if (!vma || a >= vma->vm_end)
			vma = vma_lookup(mm, a);
		/* anonymous memory holds anonymous pages, or a zero page */
		if (!writable && (is_zero_pfn(page_to_pfn(pages[i])) ||
				  (vma_is_anonymous(vma) && !PageAnon(pages[i])))) {
			put_page(pages[i]);
			pages[i] = ZERO_PAGE(0);
		} else if (PageTransCompound(pages[i])) {
			huge++;
		}
	}
	return huge;
}

/*
 * Let go of pages as GUP returned them, before settle(): each holds GUP's
 * reference, a zero page included (a read-only GUP takes one on it, and
 * one never given back would push its refcount up without bound).
 */
static void release_raw(struct page **pages, unsigned long n, bool writable)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (writable)
			unpin_user_page(pages[i]);
		else
			put_page(pages[i]);
}

/* Let go of settled pages: a settled ZERO_PAGE(0) holds nothing. */
static void release(struct page **pages, unsigned long n, bool writable)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (writable)
			unpin_user_page(pages[i]);
		else if (pages[i] != ZERO_PAGE(0))
			put_page(pages[i]);
}

/*
 * Let go of @pages and split the huge pages among them: a split fails while
 * anyone (us included) holds a reference on the huge page.
 */
static long release_split(struct mm_struct *mm, unsigned long hva,
			  unsigned long n, bool writable, struct page **pages)
{
	unsigned long i, a, done = 1;	/* 1: no PMD-aligned address */
	struct vm_area_struct *vma = NULL;
	long ret;

	/* afterwards pages[i] only says "was huge": it is not ours any more */
	for (i = 0; i < n; i++) {
		bool huge = pages[i] != ZERO_PAGE(0) && PageTransCompound(pages[i]);

		release(pages + i, 1, writable);
		if (!huge)
			pages[i] = NULL;
	}
	for (i = 0; i < n; i++) {
		if (!pages[i])
			continue;
		a = hva + i * PAGE_SIZE;
		/* one split per huge page */
		if ((a & PMD_MASK) == done)
			continue;
		if (!vma || a >= vma->vm_end)
			vma = vma_lookup(mm, a);
		ret = split_target(vma, a, writable);
		if (ret)
			return ret;
		done = a & PMD_MASK;
	}
	return 0;
}

/**
 * kvmmem_hold() - hold what backs @n pages from @hva in a target's @mm
 * @mm: the target VMM's mm; the caller holds mm_users
 * @hva: first page
 * @n: pages, at least 1
 * @writable: pin for writing (read-write grant), else take a read reference
 * @pages: out: the pages, for kvmmem_drop_page()
 *
 * All or nothing. Takes the target's mmap_lock for read.
 *
 * Return: 0, -ENXIO (no memory there, or not ordinary memory), -ELOOP (one
 * of our overlays), -EMEDIUMTYPE (hugetlb memory), -EBUSY (a huge page that
 * would not split) or -ENOMEM.
 */
long kvmmem_hold(struct mm_struct *mm, unsigned long hva, unsigned long n,
		 bool writable, struct page **pages)
{
	unsigned int flags = writable ? FOLL_WRITE | FOLL_LONGTERM : 0;
	int tries;
	long got, ret;

	mmap_read_lock(mm);
	ret = check_vmas(mm, hva, hva + n * PAGE_SIZE);
	for (tries = 0; !ret; tries++) {
		got = kvmmem_gup_remote(mm, hva, n, flags, pages, writable);
		if (got != n) {
			if (got > 0)
				release_raw(pages, got, writable);
			ret = gup_error(got);
			break;
		}
		if (!settle(mm, hva, n, writable, pages)) {
			kvmmem_stat_add(writable ? KVMMEM_STAT_PINNED : KVMMEM_STAT_HELD, n);
			break;
		}
		/* let go, split what is huge, take them again */
		if (tries < SPLIT_TRIES) {
			ret = release_split(mm, hva, n, writable, pages);
		} else {
			release(pages, n, writable);
			ret = -EBUSY;
		}
	}
	mmap_read_unlock(mm);
	return ret;
}

/**
 * kvmmem_drop_page() - let go of a page that kvmmem_hold() returned
 * @page: the page
 * @writable: as it was held
 * @dirty: the introspector may have written it (read-write only)
 */
void kvmmem_drop_page(struct page *page, bool writable, bool dirty)
{
	if (writable) {
		unpin_user_pages_dirty_lock(&page, 1, dirty);
		kvmmem_stat_dec(KVMMEM_STAT_PINNED);
		return;
	}
	if (page != ZERO_PAGE(0))
		put_page(page);
	kvmmem_stat_dec(KVMMEM_STAT_HELD);
}
