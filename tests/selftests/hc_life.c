// SPDX-License-Identifier: GPL-2.0
/*
 * hc_life: what happens to a mapping while its grant and its target live
 * on: the target starts logging dirty pages, the page is itself an
 * overlay, the grant is revoked or expires, the target writes a page it
 * never touched before.
 *
 * One process holds the target VM (a vCPU of its own, for its first write),
 * the introspector VM whose guest code below maps and reads, and a third
 * VM that holds a grant on the introspector, to map an overlay page. The
 * host side makes the grants, changes the target's memslot and checks the
 * target's RAM and the module's counters and log.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm_para.h>
#include <linux/kvmmem.h>

#include "selftest.h"

#define M	0x100000ULL	/* target: patterned */
#define W	0x300000ULL	/* target: under read-write maps */
#define U	0x1000000ULL	/* target: never touched until its first write */
#define I	0x2000000ULL	/* introspector: where pages are mapped */
#define EXPIRE_MS 1000
#define WAIT_MS	10000

static struct kvmi_map_mem_token tok;	/* the token the guest uses now */
static u64 want_m;			/* the target's u64 at M */

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
	/* dirty logging (live migration) on the target */
	GUEST_SYNC(1);		/* tok: read-write */
	GUEST_EXPECT("a read-write map before the target logs dirty pages", map(W, I + 0x2000),
		     KVMMEM_MAP_RW);
	GUEST_SYNC(2);		/* tok: read-only */
	GUEST_EXPECT("... and a read-only one", map(M, I + 0x3000), KVMMEM_MAP_RO);
	GUEST_SYNC(3);		/* the target starts logging */
	GUEST_EXPECT("dirty logging starts: the read-write mapping is revoked (revoked pattern)",
		     kt_read64(I + 0x2000), KT_REVOKED);
	GUEST_EXPECT("... the read-only one stays", kt_read64(I + 0x3000), want_m);
	GUEST_SYNC(4);		/* the host counts revocations */
	GUEST_EXPECT("... the revoked one unmaps", unmap(I + 0x2000), 0);
	GUEST_EXPECT("... the read-only one unmaps", unmap(I + 0x3000), 0);
	GUEST_SYNC(1);
	GUEST_EXPECT("read-write map while the target logs dirty pages: -EBUSY",
		     map(W, I + 0x2000), -EBUSY);
	GUEST_SYNC(2);
	GUEST_EXPECT("... a read-only map is still allowed", map(W, I + 0x2000), KVMMEM_MAP_RO);
	GUEST_EXPECT("... and unmaps", unmap(I + 0x2000), 0);
	GUEST_SYNC(5);		/* the target stops logging */

	/* chaining: a page that is itself an overlay, mapped by a third VM */
	GUEST_EXPECT("a read-only map of the page the third VM will try", map(M, I), KVMMEM_MAP_RO);
	GUEST_SYNC(6);		/* the third VM's map: -ELOOP */
	GUEST_EXPECT("the overlay page itself unmaps", unmap(I), 0);

	/* revoke while mapped */
	GUEST_SYNC(7);		/* tok: a read-write grant of its own */
	GUEST_EXPECT("a read-write map under the grant to revoke", map(W, I + 0x3000),
		     KVMMEM_MAP_RW);
	GUEST_SYNC(8);		/* the host revokes it */
	GUEST_EXPECT("a revoked mapping reads the revoked pattern", kt_read64(I + 0x3000),
		     KT_REVOKED);
	kt_write64(I + 0x3000, 0x42);
	GUEST_SYNC(9);		/* the host looks at the target */
	GUEST_EXPECT("the introspector can still unmap it", unmap(I + 0x3000), 0);

	/* expiry while mapped */
	GUEST_SYNC(10);		/* tok: a grant that expires */
	GUEST_EXPECT("a map under a grant that expires in a second", map(M, I + 0x9000),
		     KVMMEM_MAP_RO);
	GUEST_EXPECT("... reads the target's bytes", kt_read64(I + 0x9000), want_m);
	GUEST_SYNC(11);		/* the host waits for the expiry */
	GUEST_EXPECT("on expiry the mapping reads the revoked pattern", kt_read64(I + 0x9000),
		     KT_REVOKED);
	GUEST_EXPECT("... and the introspector unmaps it", unmap(I + 0x9000), 0);

	/* a page the target never touched */
	GUEST_SYNC(2);
	GUEST_EXPECT("read-only map of a target page never touched", map(U, I + 0x7000),
		     KVMMEM_MAP_RO);
	GUEST_EXPECT("... reads zeros", kt_read64(I + 0x7000), 0);
	GUEST_SYNC(12);		/* the target's vCPU writes it */
	GUEST_EXPECT("... and the target's first write then shows in the introspector",
		     kt_read64(I + 0x7000), 0x4444);
	GUEST_EXPECT("... unmap", unmap(I + 0x7000), 0);
}

/*
 * The third VM: the introspector's overlay page is its target. It maps it
 * at a gpa that the introspector has not mapped: the host keys mappings by
 * VMM process and gpa, and the three VMs share this process.
 */
static void chain_code(void)
{
	GUEST_EXPECT("mapping a page that is itself an overlay (chaining): -ELOOP",
		     map(I, I + 0x100000), -ELOOP);
}

/* the target's first write to U */
static void target_code(void)
{
	kt_write64(U, 0x4444);
}

static struct kt_vm tgt, in, chain;
static struct kvmi_map_mem_token ro, rw;
static int host_fd;
static u64 revoked0;

static void target_logs(bool on)
{
	struct kvm_userspace_memory_region mr = {
		.slot = 0, .flags = on ? KVM_MEM_LOG_DIRTY_PAGES : 0,
		.memory_size = tgt.ram_size, .userspace_addr = (uintptr_t)tgt.ram,
	};

	if (ioctl(tgt.fd, KVM_SET_USER_MEMORY_REGION, &mr))
		kt_bail("dirty logging %s: %s", on ? "on" : "off", strerror(errno));
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* the guest's token from now on */
static void use(struct kt_vm *vm, const struct kvmi_map_mem_token *t)
{
	tok = *t;
	kt_to_guest(vm, &tok, sizeof(tok));
}

/* a new grant on the target for the guest, its token the guest's from now on */
static void grant_for_guest(struct kt_vm *vm, u32 flags, u64 expire_ms, u64 *id)
{
	struct kvmi_map_mem_token t;

	if (kt_grant(&tgt, &in, flags, 0, 0, 0, expire_ms, &t, id))
		kt_bail("a grant: %s", strerror(errno));
	use(vm, &t);
}

/* the third VM maps the introspector's overlay page */
static void chain_step(void)
{
	struct kvmi_map_mem_token saved = tok;

	if (kt_grant(&in, &chain, 0, 0, 0, 0, 0, &tok, NULL))
		kt_bail("a grant on the introspector: %s", strerror(errno));
	kt_to_guest(&chain, &tok, sizeof(tok));
	tok = saved;
	kt_vcpu_start(&chain, chain_code);
	kt_ok(!kt_guest_run(&chain, NULL), "the third VM's guest code ran to its end");
}

/* a read-write grant of its own for the guest, revoked at the next step */
static u64 revoke_id, w_before;

static void revoke_step(void)
{
	w_before = *(u64 *)(tgt.ram + W);
	kt_ok(!ioctl(host_fd, KVMMEM_HOST_REVOKE, &revoke_id), "the grant is revoked while mapped");
}

static u64 expire_id, ended0;

static void expiry_wait(void)
{
	char head[64];
	int i;

	for (i = 0; i < WAIT_MS / 50 && kt_stat_or_zero("grants_ended") == ended0; i++)
		sleep_ms(50);
	snprintf(head, sizeof(head), "grant %llu (", (unsigned long long)expire_id);
	kt_ok(kt_klog_has(head, "ended: expired") == 1,
	      "... the grant ended as expired (kernel log)");
}

/* the target's vCPU writes U; the overlay follows (the VMM's view too) */
static void first_write(void)
{
	int i;

	kt_vcpu_start(&tgt, target_code);
	kt_ok(!kt_guest_run(&tgt, NULL), "the target's vCPU writes its untouched page");
	for (i = 0; i < WAIT_MS / 50 && *(u64 *)(in.ram + I + 0x7000) != 0x4444; i++)
		sleep_ms(50);
}

static void host_step(struct kt_vm *vm, u64 stage)
{
	switch (stage) {
	case 1:
		use(vm, &rw);
		break;
	case 2:
		use(vm, &ro);
		break;
	case 3:
		revoked0 = kt_stat_or_zero("revoked");
		target_logs(true);
		break;
	case 4:
		kt_expect("... one revocation counted", kt_stat_or_zero("revoked"), revoked0 + 1);
		break;
	case 5:
		target_logs(false);
		break;
	case 6:
		chain_step();
		break;
	case 7:
		grant_for_guest(vm, KVMMEM_GRANT_WRITE, 0, &revoke_id);
		break;
	case 8:
		revoke_step();
		break;
	case 9:
		kt_expect("its write reached a private page only (the target's is unchanged)",
			  *(u64 *)(tgt.ram + W), w_before);
		break;
	case 10:
		ended0 = kt_stat_or_zero("grants_ended");
		grant_for_guest(vm, 0, EXPIRE_MS, &expire_id);
		break;
	case 11:
		expiry_wait();
		break;
	case 12:
		first_write();
		break;
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	host_fd = kt_open_host();
	if (kt_vm_create(&tgt, 64, true) || kt_vm_create(&in, 64, true) ||
	    kt_vm_create(&chain, 64, true))
		kt_bail("three VMs: %s", strerror(errno));
	kt_fill(tgt.ram + M, 0x100000, 7);
	kt_fill(tgt.ram + W, 0x1000, 3);
	want_m = *(u64 *)(tgt.ram + M);
	if (kt_grant(&tgt, &in, 0, 0, 0, 0, 0, &ro, NULL) ||
	    kt_grant(&tgt, &in, KVMMEM_GRANT_WRITE, 0, 0, 0, 0, &rw, NULL))
		kt_bail("grants: %s", strerror(errno));
	kt_to_guest(&in, &want_m, sizeof(want_m));
	use(&in, &ro);
	kt_run(&in, guest_code, host_step);

	kt_vm_destroy(&chain);
	kt_vm_destroy(&in);
	kt_vm_destroy(&tgt);
	return kt_done();
}
