// SPDX-License-Identifier: GPL-2.0
/*
 * hc_nomem: the host's probes act on an introspector's reset, a target's
 * memslot deletion and a VM's release even when their GFP_ATOMIC
 * allocation fails.
 *
 * Each probe handler runs in atomic context and allocates the work that
 * will act on its event; a lost work would be a lost revocation. debugfs
 * kvmmem/fail_vm_works makes the next allocation fail, and each event must
 * still take effect, with a work from the module's reserve
 * (vm_works_reserved counts them):
 *  - the deletion of the target's memslot revokes the page mapped from it;
 *  - a vCPU reset (KVM_SET_REGS with RIP 0xfff0) unmaps the introspector's
 *    page and gives its VMM its RAM back;
 *  - the close of the introspector's VM file ends its grant.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm_para.h>
#include <linux/kvmmem.h>

#include "selftest.h"

#define M	0x100000ULL	/* target: patterned */
#define SLOT	0x10000000ULL	/* target: a memslot of its own, deleted */
#define IPAGE	0x2000000ULL	/* introspector: the reset's page */
#define IPAGE2	0x2001000ULL	/* introspector: the deleted slot's page */
#define IPAGE3	0x2002000ULL	/* introspector: the release's page */
#define FAIL	"/sys/kernel/debug/kvmmem/fail_vm_works"

static struct kvmi_map_mem_token tok;
static u64 want, want_slot;	/* the target's u64 at M and at SLOT */

static u64 map(u64 tgpa, u64 igpa)
{
	return kt_hypercall(KVM_HC_MEM_MAP, (uintptr_t)&tok, tgpa, igpa);
}

static void guest_code(void)
{
	GUEST_EXPECT("a map from the target's own memslot answers KVMMEM_MAP_RO",
		     map(SLOT, IPAGE2), KVMMEM_MAP_RO);
	GUEST_EXPECT("... reads its bytes", kt_read64(IPAGE2), want_slot);
	GUEST_SYNC(1);		/* the slot's deletion, its work from the reserve */
	GUEST_EXPECT("the page of the deleted memslot reads the revoked pattern",
		     kt_read64(IPAGE2), KT_REVOKED);
	GUEST_EXPECT("... and unmaps", kt_hypercall(KVM_HC_MEM_UNMAP, IPAGE2, 0, 0), 0);
	GUEST_EXPECT("a map for the reset", map(M, IPAGE), KVMMEM_MAP_RO);
	GUEST_EXPECT("... reads the target's bytes", kt_read64(IPAGE), want);
	GUEST_SYNC(2);		/* a reset, its work from the reserve */
	GUEST_EXPECT("after the reset the page is the introspector's own RAM (zero)",
		     kt_read64(IPAGE), 0);
	GUEST_EXPECT("a map for the release", map(M, IPAGE3), KVMMEM_MAP_RO);
	GUEST_SYNC(3);		/* the VM file's close, its work from the reserve */
}

static struct kt_vm tgt, in;

/* make the next allocation of a probe's work fail */
static void fail_next(void)
{
	int fd = open(FAIL, O_WRONLY);

	if (fd < 0 || write(fd, "1", 1) != 1)
		kt_bail("%s: %s", FAIL, strerror(errno));
	close(fd);
}

/* the injected failure was used up */
static bool fail_used(void)
{
	char buf[16] = "";
	int fd = open(FAIL, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	return n > 0 && atoi(buf) == 0;
}

static void vcpu_reset(struct kt_vm *vm)
{
	struct kvm_regs saved, regs;
	u64 res0 = kt_stat_or_zero("vm_works_reserved");
	u64 resets0 = kt_stat_or_zero("resets");
	u64 live0 = kt_stat_or_zero("live_maps");

	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &saved))
		kt_bail("KVM_GET_REGS: %s", strerror(errno));
	regs = saved;
	regs.rip = 0xfff0;
	fail_next();
	/* the probe's work runs before the ioctl returns to us */
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs))
		kt_bail("KVM_SET_REGS: %s", strerror(errno));
	kt_ok(fail_used(), "reset: the work's allocation failed (injected)");
	kt_ok(kt_stat_or_zero("vm_works_reserved") == res0 + 1 &&
	      kt_stat_or_zero("resets") == resets0 + 1,
	      "reset: its work came from the reserve and ran");
	kt_ok(kt_stat_or_zero("live_maps") == live0 - 1 && !*(u64 *)(in.ram + IPAGE),
	      "reset: the introspector's page was unmapped, its VMM's RAM is back (zero)");
	/* the guest goes on where it was */
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &saved))
		kt_bail("KVM_SET_REGS: %s", strerror(errno));
}

static void delete_slot(void)
{
	struct kvm_userspace_memory_region mr = { .slot = 1, .guest_phys_addr = SLOT };
	u64 res0 = kt_stat_or_zero("vm_works_reserved");

	fail_next();
	if (ioctl(tgt.fd, KVM_SET_USER_MEMORY_REGION, &mr))
		kt_bail("deleting the target's memslot: %s", strerror(errno));
	kt_ok(fail_used(), "memslot: the work's allocation failed (injected)");
	kt_ok(kt_stat_or_zero("vm_works_reserved") == res0 + 1,
	      "memslot: its work came from the reserve");
	kt_ok(*(u64 *)(in.ram + IPAGE2) == KT_REVOKED,
	      "memslot: the page mapped from it reads the revoked pattern in the VMM too");
}

static void vm_release(void)
{
	u64 res0 = kt_stat_or_zero("vm_works_reserved");
	u64 ended0 = kt_stat_or_zero("grants_ended");

	fail_next();
	/* a close's release, and the probe's work, run before close() returns */
	close(in.fd);
	in.fd = -1;
	kt_ok(fail_used(), "release: the work's allocation failed (injected)");
	kt_ok(kt_stat_or_zero("vm_works_reserved") == res0 + 1,
	      "release: its work came from the reserve");
	kt_ok(kt_stat_or_zero("grants_ended") == ended0 + 1 && !*(u64 *)(in.ram + IPAGE3),
	      "release: the grant ended, the VMM's RAM under its page is back (zero)");
}

static void host_step(struct kt_vm *vm, u64 stage)
{
	switch (stage) {
	case 1:
		delete_slot();
		break;
	case 2:
		vcpu_reset(vm);
		break;
	case 3:
		vm_release();
		break;
	}
}

int main(void)
{
	u8 *slot;
	u64 v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	kt_open_host();
	if (access(FAIL, W_OK) || kt_stat("vm_works_reserved", &v)) {
		kt_skip("no debugfs kvmmem/fail_vm_works or vm_works_reserved",
			"probes' works from the reserve");
		return kt_done();
	}
	if (kt_vm_create(&tgt, 64, false) || kt_vm_create(&in, 64, true))
		kt_bail("two VMs: %s", strerror(errno));
	slot = kt_vm_add_slot(&tgt, 1, SLOT, 0x100000, 0);
	if (!slot)
		kt_bail("the target's memslot: %s", strerror(errno));
	kt_fill(tgt.ram + M, 0x1000, 5);
	kt_fill(slot, 0x1000, 9);
	want = *(u64 *)(tgt.ram + M);
	want_slot = *(u64 *)slot;
	if (kt_grant(&tgt, &in, 0, 0, 0, 0, 0, &tok, NULL))
		kt_bail("grant: %s", strerror(errno));
	kt_to_guest(&in, &tok, sizeof(tok));
	kt_to_guest(&in, &want, sizeof(want));
	kt_to_guest(&in, &want_slot, sizeof(want_slot));

	kt_run(&in, guest_code, host_step);

	kt_vm_destroy(&in);
	kt_vm_destroy(&tgt);
	return kt_done();
}
