// SPDX-License-Identifier: GPL-2.0
/*
 * hc_ranges: the target's RAM ranges (KVM_HC_MEM_RANGES) within a grant.
 * The target has RAM at 0, a ROM slot at 2 GiB (not RAM to map) and a
 * 2 MiB slot at 4 GiB; a page of the slot at 4 GiB maps like any other.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <linux/kvm_para.h>

#include "selftest.h"

#define ROM	0x80000000ULL
#define HI	0x100000000ULL	/* the slot at 4 GiB */
#define HI_SIZE	0x200000ULL
#define IPAGE	0x2000000ULL

static struct kvmi_map_mem_token tok;
static u64 want;		/* the target's u64 at HI */
static u8 page[4096] __aligned(4096);

static u64 ranges(u64 a0, u64 a1, u64 a2)
{
	return kt_hypercall(KVM_HC_MEM_RANGES, a0, a1, a2);
}

static void guest_code(void)
{
	struct kvmmem_hc_ranges *r = (struct kvmmem_hc_ranges *)page;
	u64 d = (uintptr_t)page;

	GUEST_EXPECT("no grant: -KVM_ENOSYS", ranges(d, 0, 0), -KVM_ENOSYS);
	GUEST_SYNC(1);		/* a read-only grant for all of the target */
	r->token = tok;
	r->count = 4;
	GUEST_EXPECT("RAX is the number of ranges, 2 (the ROM is not RAM to map)",
		     ranges(d, 0, 0), 2);
	GUEST_EXPECT("... total = 2 written back", r->total, 2);
	GUEST_EXPECT("... count kept", r->count, 4);
	GUEST_EXPECT("... the RAM at 0 starts at 0", r->range[0].start, 0);
	GUEST_EXPECT("... and ends at 64 MiB", r->range[0].end, 64ULL << 20);
	GUEST_EXPECT("... the slot at 4 GiB starts there", r->range[1].start, HI);
	GUEST_EXPECT("... and ends 2 MiB later", r->range[1].end, HI + HI_SIZE);
	r->count = 1;
	r->range[1].start = 0x5a5a;
	GUEST_EXPECT("room for 1: RAX is still 2", ranges(d, 0, 0), 2);
	GUEST_EXPECT("... only the first is written", r->range[1].start, 0x5a5a);
	r->count = 0;
	GUEST_EXPECT("room for none: RAX is the total alone", ranges(d, 0, 0), 2);
	r->count = KVMMEM_HC_RANGES_MAX + 1;
	GUEST_EXPECT("room for KVMMEM_HC_RANGES_MAX + 1: -EINVAL", ranges(d, 0, 0), -EINVAL);
	r->count = 4;
	GUEST_EXPECT("a1 set: -EINVAL", ranges(d, 1, 0), -EINVAL);
	GUEST_EXPECT("a2 set: -EINVAL", ranges(d, 0, 1), -EINVAL);
	GUEST_EXPECT("a descriptor that crosses a page: -EINVAL", ranges(d + 4064, 0, 0),
		     -EINVAL);
	GUEST_EXPECT("no descriptor there (outside RAM): -EFAULT", ranges(0x50000000, 0, 0),
		     -EFAULT);
	r->token.token[3] ^= 1ULL << 63;
	GUEST_EXPECT("a wrong token: -EACCES", ranges(d, 0, 0), -EACCES);
	r->token.token[3] ^= 1ULL << 63;

	GUEST_EXPECT("a page of the slot at 4 GiB maps",
		     kt_hypercall(KVM_HC_MEM_MAP, d, HI, IPAGE), KVMMEM_MAP_RO);
	GUEST_EXPECT("... with its bytes", kt_read64(IPAGE), want);
	GUEST_EXPECT("... unmap", kt_hypercall(KVM_HC_MEM_UNMAP, IPAGE, 0, 0), 0);

	GUEST_SYNC(2);		/* a grant for [1 MiB, 2 MiB) */
	r->token = tok;
	r->count = 4;
	GUEST_EXPECT("under a grant for [1 MiB, 2 MiB): one range", ranges(d, 0, 0), 1);
	GUEST_EXPECT("... that starts at 1 MiB", r->range[0].start, 0x100000);
	GUEST_EXPECT("... and ends at 2 MiB", r->range[0].end, 0x200000);
}

static struct kt_vm tgt, in;

static void host_step(struct kt_vm *vm, u64 stage)
{
	int ret;

	if (stage == 1)
		ret = kt_grant(&tgt, vm, 0, 0, 0, 0, 0, &tok, NULL);
	else
		ret = kt_grant(&tgt, vm, 0, 0x100000, 0x200000, 0, 0, &tok, NULL);
	if (ret)
		kt_bail("grant for stage %llu: %s", (unsigned long long)stage,
			strerror(-ret));
	kt_to_guest(vm, &tok, sizeof(tok));
}

int main(void)
{
	u8 *hi;

	setvbuf(stdout, NULL, _IOLBF, 0);
	kt_open_host();
	if (kt_vm_create(&tgt, 64, false))
		kt_bail("the target VM: %s", strerror(errno));
	if (!kt_vm_add_slot(&tgt, 1, ROM, 0x10000, KVM_MEM_READONLY))
		kt_bail("the target's ROM: %s", strerror(errno));
	hi = kt_vm_add_slot(&tgt, 2, HI, HI_SIZE, 0);
	if (!hi)
		kt_bail("the target's slot at 4 GiB: %s", strerror(errno));
	kt_fill(hi, HI_SIZE, 21);
	want = *(u64 *)hi;
	if (kt_vm_create(&in, 64, true))
		kt_bail("the introspector VM: %s", strerror(errno));
	kt_run(&in, guest_code, host_step);
	kt_vm_destroy(&in);
	kt_vm_destroy(&tgt);
	return kt_done();
}
