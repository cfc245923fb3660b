// SPDX-License-Identifier: GPL-2.0
/*
 * hc_batch: the batch hypercall (KVM_HC_MEM_BATCH) with its descriptor,
 * &struct kvmmem_hc_batch: what it maps and unmaps, what it writes back,
 * and each argument it refuses.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "selftest.h"

#define W	0x300000ULL	/* target: two pages mapped read-write */
#define IPAGE	0x2000000ULL	/* introspector: where they are mapped */

static struct kvmi_map_mem_token tok;
static u8 page[4096] __aligned(4096);

static u64 batch(u64 a1, u64 a2)
{
	return kt_hypercall(KVM_HC_MEM_BATCH, (uintptr_t)page, a1, a2);
}

static void guest_code(void)
{
	struct kvmmem_hc_batch *d = (struct kvmmem_hc_batch *)page;

	d->token = tok;
	d->op = KVMMEM_BATCH_OP_MAP;
	d->count = 2;
	d->ent[0].target_gpa = W;
	d->ent[0].intro_gpa = IPAGE;
	d->ent[1].target_gpa = W + 0x1000;
	d->ent[1].intro_gpa = IPAGE + 0x1000;
	GUEST_EXPECT("a1 set: -EINVAL", batch(1, 0), -EINVAL);
	GUEST_EXPECT("a2 set: -EINVAL", batch(0, 1), -EINVAL);
	GUEST_EXPECT("a batch maps 2 entries: RAX = 2", batch(0, 0), 2);
	GUEST_EXPECT("... done = 2 written back", d->done, 2);
	GUEST_EXPECT("... error = 0", d->error, 0);
	GUEST_EXPECT("... rights = KVMMEM_MAP_RW (a read-write grant)", d->rights,
		     KVMMEM_MAP_RW);
	GUEST_SYNC(1);	/* the host compares both pages */
	GUEST_EXPECT("the same batch again stops at its first entry: RAX = 0",
		     batch(0, 0), 0);
	GUEST_EXPECT("... done = 0", d->done, 0);
	GUEST_EXPECT("... with the entry's error, -EEXIST", (s64)d->error, -EEXIST);

	d->count = KVMMEM_HC_BATCH_MAX + 1;
	GUEST_EXPECT("KVMMEM_HC_BATCH_MAX + 1 entries: -EINVAL", batch(0, 0), -EINVAL);
	d->count = 0;
	GUEST_EXPECT("no entries: -EINVAL", batch(0, 0), -EINVAL);
	d->count = 2;
	d->op = 0;
	GUEST_EXPECT("op 0: -EINVAL", batch(0, 0), -EINVAL);
	d->op = KVMMEM_BATCH_OP_UNMAP_RUN + 1;
	GUEST_EXPECT("an op past the last: -EINVAL", batch(0, 0), -EINVAL);
	d->op = KVMMEM_BATCH_OP_MAP;
	d->reserved = 1;
	GUEST_EXPECT("reserved set: -EINVAL", batch(0, 0), -EINVAL);
	d->reserved = 0;
	GUEST_EXPECT("a descriptor outside the introspector's RAM: -EFAULT",
		     kt_hypercall(KVM_HC_MEM_BATCH, 0x50000000, 0, 0), -EFAULT);
	d->token.token[0] ^= 1;
	GUEST_EXPECT("a map with a bad token: -EACCES", batch(0, 0), -EACCES);
	d->token.token[0] ^= 1;

	d->op = KVMMEM_BATCH_OP_UNMAP;
	GUEST_EXPECT("a batch unmap of both: RAX = 2", batch(0, 0), 2);
	GUEST_EXPECT("... done = 2", d->done, 2);
	GUEST_EXPECT("a batch unmap again: RAX = 0", batch(0, 0), 0);
	GUEST_EXPECT("... with -ENOENT", (s64)d->error, -ENOENT);
}

static struct kt_vm tgt, in;

static void host_step(struct kt_vm *vm, u64 stage)
{
	(void)vm;
	if (stage == 1)
		kt_ok(!memcmp(in.ram + IPAGE, tgt.ram + W, 8192),
		      "... both introspector pages are the target's");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	kt_open_host();
	if (kt_vm_create(&tgt, 64, false))
		kt_bail("the target VM: %s", strerror(errno));
	kt_fill(tgt.ram + W, 0x2000, 3);
	if (kt_vm_create(&in, 64, true))
		kt_bail("the introspector VM: %s", strerror(errno));
	if (kt_grant(&tgt, &in, KVMMEM_GRANT_WRITE, 0, 0, 0, 0, &tok, NULL))
		kt_bail("a read-write grant: %s", strerror(errno));
	kt_to_guest(&in, &tok, sizeof(tok));
	kt_run(&in, guest_code, host_step);
	kt_vm_destroy(&in);
	kt_vm_destroy(&tgt);
	return kt_done();
}
