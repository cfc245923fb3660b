// SPDX-License-Identifier: GPL-2.0
/*
 * hc_map: the original map and unmap hypercalls (KVM_HC_MEM_MAP, 32, and
 * KVM_HC_MEM_UNMAP, 33) and the grant ioctl, with their exact answers.
 *
 * One process holds a target VM (RAM, a ROM slot, no vCPU), an introspector
 * VM whose guest code below issues the hypercalls, and a second
 * introspector VM that only holds a grant. The host makes the grants
 * through /dev/kvmmem-host, hands the guest its token (the global tok, at
 * the same address in both), and checks what the guest cannot see: the
 * target's RAM, the introspector VMM's view, the module's counters and log.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm_para.h>
#include <linux/kvmmem.h>
#include <linux/kvmmem_host.h>

#include "selftest.h"

#define M	0x100000ULL	/* target: patterned */
#define W	0x300000ULL	/* target: written through a read-write map */
#define ROM	0x80000000ULL	/* target: a read-only memslot */
#define IPAGE	0x2000000ULL	/* introspector: pages that get overlays */
#define FLOOD	30		/* refusals before the bad tokens: 3 rate-limit bursts */

static struct kvmi_map_mem_token tok;
static u64 want;		/* the target's u64 at M, for the guest */

static const char *const bad_tokens[] = {
	"a wrong token: -EACCES",
	"the zero token: -EACCES",
	"an expired token: -EACCES",
	"a revoked token: -EACCES",
	"another introspector's token: -EACCES",
};

static u64 map(u64 tgpa, u64 igpa)
{
	return kt_hypercall(KVM_HC_MEM_MAP, (uintptr_t)&tok, tgpa, igpa);
}

static u64 unmap(u64 igpa)
{
	return kt_hypercall(KVM_HC_MEM_UNMAP, igpa, 0, 0);
}

static void guest_code(void)
{
	unsigned int i, r;

	GUEST_EXPECT("a VM without a grant gets -KVM_ENOSYS for 32", map(M, IPAGE),
		     -KVM_ENOSYS);
	GUEST_EXPECT("... and for 33", unmap(IPAGE), -KVM_ENOSYS);
	GUEST_EXPECT("... and for the batch hypercall",
		     kt_hypercall(KVM_HC_MEM_BATCH, (uintptr_t)&tok, 0, 0), -KVM_ENOSYS);
	GUEST_SYNC(1);		/* the read-only grant */
	GUEST_EXPECT("a map under a read-only grant answers KVMMEM_MAP_RO",
		     map(M, IPAGE), KVMMEM_MAP_RO);
	GUEST_EXPECT("the introspector reads the target's bytes", kt_read64(IPAGE), want);
	GUEST_EXPECT("mapping the same gpa twice: -EEXIST", map(M + 0x1000, IPAGE), -EEXIST);
	GUEST_SYNC(2);		/* the host writes through it, expects MMIO */
	kt_write64(IPAGE, 0x99);
	GUEST_SYNC(3);
	GUEST_EXPECT("... unmap: 0", unmap(IPAGE), 0);

	GUEST_EXPECT("an unaligned target gpa: -EINVAL", map(M + 8, IPAGE), -EINVAL);
	GUEST_EXPECT("an unaligned introspector gpa: -EINVAL", map(M, IPAGE + 0x10), -EINVAL);
	GUEST_EXPECT("a target gpa outside its RAM: -ENXIO", map(0x40000000, IPAGE), -ENXIO);
	GUEST_EXPECT("a target gpa in a read-only memslot: -ENXIO", map(ROM, IPAGE), -ENXIO);
	GUEST_EXPECT("an introspector gpa outside its RAM: -EFAULT", map(M, 0x50000000),
		     -EFAULT);
	GUEST_EXPECT("unmapping what is not mapped: -ENOENT", unmap(IPAGE + 0x100000), -ENOENT);

	GUEST_SYNC(4);		/* a grant for [M, M + 1 MiB) and one page */
	GUEST_EXPECT("outside the granted range: -ERANGE", map(W, IPAGE), -ERANGE);
	GUEST_EXPECT("inside the range: mapped", map(M, IPAGE), KVMMEM_MAP_RO);
	GUEST_EXPECT("beyond the quota: -EDQUOT", map(M + 0x1000, IPAGE + 0x1000), -EDQUOT);
	GUEST_EXPECT("... unmap: 0", unmap(IPAGE), 0);

	GUEST_SYNC(5);		/* the read-write grant */
	GUEST_EXPECT("a map under a read-write grant answers KVMMEM_MAP_RW",
		     map(W, IPAGE + 0x2000), KVMMEM_MAP_RW);
	kt_write64(IPAGE + 0x2000, 0x1122334455667788);
	GUEST_SYNC(6);		/* the host looks at the target, writes to it */
	GUEST_EXPECT("the target's write is visible to the introspector at once",
		     kt_read64(IPAGE + 0x2008), 0xabcdef);
	GUEST_EXPECT("... unmap: 0", unmap(IPAGE + 0x2000), 0);
	GUEST_EXPECT("after the unmap the introspector's page no longer shows the target",
		     kt_read64(IPAGE + 0x2000), 0);

	/* a flood of other refusals first: it must not hide the bad tokens' lines */
	for (i = 0, r = 0; i < FLOOD; i++)
		r += map(M + 8, IPAGE) == (u64)-EINVAL;
	GUEST_EXPECT("a flood of unaligned maps: -EINVAL each", r, FLOOD);
	for (i = 0; i < ARRAY_SIZE(bad_tokens); i++) {
		GUEST_SYNC(10 + i);
		GUEST_EXPECT(bad_tokens[i], map(M, IPAGE), -EACCES);
	}
	GUEST_EXPECT("nothing is checked before the token (unaligned, bad token): -EACCES",
		     map(0x123, 0x456), -EACCES);
}

static struct kt_vm tgt, in, other;
static int host_fd;
static struct kvmi_map_mem_token ro, rw, rq, expired, revoked, others;

/* the grants, made when the guest has seen that it has none */
static void make_grants(void)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	u64 id;

	if (kt_grant(&tgt, &in, 0, 0, 0, 0, 0, &ro, NULL) ||
	    kt_grant(&tgt, &in, KVMMEM_GRANT_WRITE, 0, 0, 0, 0, &rw, NULL) ||
	    kt_grant(&tgt, &in, 0, M, M + 0x100000, 1, 0, &rq, NULL) ||
	    kt_grant(&tgt, &in, 0, 0, 0, 0, 1, &expired, NULL) ||
	    kt_grant(&tgt, &in, 0, 0, 0, 0, 0, &revoked, &id) ||
	    kt_grant(&tgt, &other, 0, 0, 0, 0, 0, &others, NULL))
		kt_bail("grants: %s", strerror(errno));
	kt_ok(!ioctl(host_fd, KVMMEM_HOST_REVOKE, &id), "revoke a grant");
	nanosleep(&ts, NULL);	/* the 1 ms grant expires */
	kt_expect("grant: the introspector of this target as its target: -EDEADLK",
		  kt_grant(&in, &tgt, 0, 0, 0, 0, 0, NULL, NULL), -EDEADLK);
}

static void host_step(struct kt_vm *vm, u64 stage)
{
	struct kt_ucall uc;
	int exit, i;

	switch (stage) {
	case 1:
		make_grants();
		tok = ro;
		want = *(u64 *)(tgt.ram + M);
		kt_to_guest(vm, &want, sizeof(want));
		break;
	case 2:
		kt_ok(!memcmp(in.ram + IPAGE, tgt.ram + M, 4096),
		      "the introspector's VMM sees the target's page too (the same page)");
		exit = kt_vcpu_run(vm, &uc);
		kt_ok(exit == KVM_EXIT_MMIO && vm->run->mmio.is_write &&
		      vm->run->mmio.phys_addr == IPAGE,
		      "a write through a read-only map is refused by the host too (an MMIO exit, got exit %d)",
		      exit);
		break;
	case 3:
		for (i = 0; i < 4096 && tgt.ram[M + i] == (u8)(i * 131 + 7); i++)
			;
		kt_ok(i == 4096, "... and the target's page is unchanged");
		break;
	case 4:
		tok = rq;
		break;
	case 5:
		tok = rw;
		break;
	case 6:
		kt_expect("the introspector's write reaches the target at once",
			  *(u64 *)(tgt.ram + W), 0x1122334455667788);
		__atomic_store_n((u64 *)(tgt.ram + W + 8), 0xabcdef, __ATOMIC_RELAXED);
		break;
	case 10:
		for (i = 0; i < 32; i++)
			((u8 *)&tok)[i] = (u8)(rand() >> 7);
		break;
	case 11:
		memset(&tok, 0, sizeof(tok));
		break;
	case 12:
		tok = expired;
		break;
	case 13:
		tok = revoked;
		break;
	case 14:
		tok = others;
		break;
	}
	kt_to_guest(vm, &tok, sizeof(tok));
}

/* the host's counters of refused maps, by reason */
static const char *const reasons[] = {
	"failed_eacces", "failed_erange", "failed_edquot", "failed_einval",
	"failed_enxio",
};

static const u64 least[] = { 6, 1, 1, 2, 2 };

static void grant_ioctl_checks(void)
{
	struct kvmmem_host_grant g = { .target_fd = tgt.fd, .intro_fd = tgt.fd };
	int nf = open("/dev/null", O_RDONLY);

	kt_expect("grant: the same VM twice: -EINVAL",
		  ioctl(host_fd, KVMMEM_HOST_GRANT, &g) ? -errno : 0, -EINVAL);
	kt_expect("grant: an unknown flag: -EINVAL",
		  kt_grant(&tgt, &in, 2, 0, 0, 0, 0, NULL, NULL), -EINVAL);
	kt_expect("grant: an unaligned range: -EINVAL",
		  kt_grant(&tgt, &in, 0, 0x800, 0x2000, 0, 0, NULL, NULL), -EINVAL);
	kt_expect("grant: a range that ends before it starts: -EINVAL",
		  kt_grant(&tgt, &in, 0, 0x2000, 0x1000, 0, 0, NULL, NULL), -EINVAL);
	kt_expect("grant: a lifetime over 2^32 - 1 ms: -EINVAL",
		  kt_grant(&tgt, &in, 0, 0, 0, 0, 1ULL << 32, NULL, NULL), -EINVAL);
	g.target_fd = nf;
	g.intro_fd = in.fd;
	kt_expect("grant: a file that is not a VM: -EINVAL",
		  ioctl(host_fd, KVMMEM_HOST_GRANT, &g) ? -errno : 0, -EINVAL);
	g.target_fd = 1000000;
	kt_expect("grant: no such file descriptor: -EBADF",
		  ioctl(host_fd, KVMMEM_HOST_GRANT, &g) ? -errno : 0, -EBADF);
	close(nf);
}

int main(void)
{
	u64 before[ARRAY_SIZE(reasons)], after;
	bool stats = true;
	unsigned int i;
	char name[64];
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	host_fd = kt_open_host();
	srand(time(NULL));
	if (kt_vm_create(&tgt, 64, false) || kt_vm_create(&in, 64, true) ||
	    kt_vm_create(&other, 64, false))
		kt_bail("three VMs: %s", strerror(errno));
	kt_fill(tgt.ram + M, 0x100000, 7);
	if (!kt_vm_add_slot(&tgt, 1, ROM, 0x10000, KVM_MEM_READONLY))
		kt_bail("the target's ROM slot: %s", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(reasons); i++)
		stats = stats && !kt_stat(reasons[i], &before[i]);

	kt_run(&in, guest_code, host_step);
	grant_ioctl_checks();

	if (!stats) {
		kt_skip("no debugfs kvmmem/stats", "refusals are counted by reason");
	} else {
		for (i = 0; i < ARRAY_SIZE(reasons); i++) {
			snprintf(name, sizeof(name), "refusals are counted: %s", reasons[i]);
			ret = kt_stat(reasons[i], &after);
			kt_ok(!ret && after - before[i] >= least[i], "%s (%llu more, want %llu)",
			      name, (unsigned long long)(after - before[i]),
			      (unsigned long long)least[i]);
		}
	}
	snprintf(name, sizeof(name), "map refused: introspector kvm-%d,", getpid());
	ret = kt_klog_has(name, "no grant for this token");
	if (ret < 0)
		kt_skip("the kernel log cannot be read", "a refused map is logged");
	else
		kt_ok(ret, "a bad token's refusal leaves a log line naming the VM, after %d others",
		      FLOOD);

	kt_vm_destroy(&other);
	kt_vm_destroy(&in);
	kt_vm_destroy(&tgt);
	close(host_fd);
	return kt_done();
}
