// SPDX-License-Identifier: GPL-2.0
/*
 * hc_release: an introspector's VM file released by a kernel thread still
 * ends everything the host module kept for that VM.
 *
 * The VMM maps a target page into its introspector, and another into a
 * window chunk's slot, then leaves the introspector's VM file in an
 * io_uring fixed-file table, closes its own descriptor and closes the
 * ring. The ring's teardown runs in a kernel worker, which drops the
 * file's last reference: KVM's kvm_vm_release(), and the module's probe on
 * it, run in a kernel thread, which never runs task work. The VMM's
 * process stays alive, so the reaper does not help. The host must still
 * end the VM's grant, give the VMM its RAM back under the mapped page and
 * the chunk (the guest, still running on its vCPU file, reads its own
 * zeroed RAM there), and drop every reference it took (the module's
 * reference count comes back).
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <linux/kvm_para.h>
#include <linux/kvmmem.h>

#include "selftest.h"

#define M	0x100000ULL	/* target: patterned */
#define T2	0x101000ULL	/* target: the page in the window slot */
#define IPAGE	0x2000000ULL	/* introspector: the page that gets an overlay */
#define WCHUNK	0x2200000ULL	/* introspector: a window chunk */
#define WAIT_MS	10000	/* for the worker's release */

static struct kvmi_map_mem_token tok;
static u64 want, want2;		/* the target's u64 at M and T2 */
static u8 page[4096] __aligned(4096);	/* the batch descriptor */

static void guest_code(void)
{
	struct kvmmem_hc_batch *d = (struct kvmmem_hc_batch *)page;
	u64 r;

	GUEST_EXPECT("a map under the grant answers KVMMEM_MAP_RO",
		     kt_hypercall(KVM_HC_MEM_MAP, (uintptr_t)&tok, M, IPAGE),
		     KVMMEM_MAP_RO);
	GUEST_EXPECT("the introspector reads the target's bytes", kt_read64(IPAGE), want);
	GUEST_EXPECT("a window chunk registers",
		     kt_hypercall(KVM_HC_MEM_WINDOW, WCHUNK, KVMMEM_WINDOW_CHUNK_PAGES, 0), 0);
	d->token = tok;
	d->op = KVMMEM_BATCH_OP_MAP_RUN;
	d->count = 1;
	d->ent[0].target_gpa = T2;
	d->ent[0].intro_gpa = WCHUNK;
	GUEST_EXPECT("a target page maps into the chunk's first slot",
		     kt_hypercall(KVM_HC_MEM_BATCH, (uintptr_t)page, 0, 0), 1);
	GUEST_EXPECT("the slot reads the target's bytes", kt_read64(WCHUNK), want2);
	GUEST_SYNC(1);		/* the VM file is released by a kernel thread */
	GUEST_EXPECT("after the release the page is the introspector's own RAM again (zero)",
		     kt_read64(IPAGE), 0);
	GUEST_EXPECT("... and so is the window chunk (zero)", kt_read64(WCHUNK), 0);
	r = kt_hypercall(KVM_HC_MEM_MAP, (uintptr_t)&tok, M, IPAGE);
	GUEST_EXPECT("a map from the released VM's vCPU finds no grant (-KVM_ENOSYS or -EACCES)",
		     r == (u64)-KVM_ENOSYS || r == (u64)-EACCES, 1);
}

static struct kt_vm tgt, in;

/* the module's reference count, or -1 */
static long module_refs(void)
{
	FILE *f = fopen("/sys/module/kvmmem_host/refcnt", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static long ref0;		/* the module's references before the map */
static u64 ended0, rel0, live0, chunks0;

/*
 * Leave the VM file to an io_uring fixed-file table only, and close the
 * ring: its teardown worker drops the file's last reference.
 */
static void release_from_kthread(struct kt_vm *vm)
{
	struct io_uring_params p = { 0 };
	int ring, fd = vm->fd;

	ring = syscall(__NR_io_uring_setup, 1, &p);
	if (ring < 0) {
		kt_skip(strerror(errno), "io_uring_setup: the release from a kernel thread");
		exit(kt_done());
	}
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_FILES, &fd, 1))
		kt_bail("IORING_REGISTER_FILES: %s", strerror(errno));
	close(vm->fd);
	vm->fd = -1;
	close(ring);
}

/* wait until the host has ended the grant and forgotten the mapping */
static bool released(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int i;

	for (i = 0; i < WAIT_MS / 50; i++) {
		if (kt_stat_or_zero("grants_ended") > ended0 &&
		    kt_stat_or_zero("live_maps") == live0 &&
		    kt_stat_or_zero("window_chunks") == chunks0 &&
		    module_refs() == ref0)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static void host_step(struct kt_vm *vm, u64 stage)
{
	bool done;

	if (stage != 1)
		return;
	kt_ok(!memcmp(in.ram + IPAGE, tgt.ram + M, 4096) &&
	      !memcmp(in.ram + WCHUNK, tgt.ram + T2, 4096),
	      "the VMM sees the target's pages at the introspector's gpas (overlay, slot)");
	release_from_kthread(vm);
	done = released();
	kt_ok(done,
	      "within %d ms: the grant ended, the mapping and the chunk were dropped, the module's references came back (%ld, want %ld)",
	      WAIT_MS, module_refs(), ref0);
	kt_ok(kt_stat_or_zero("vm_releases") > rel0,
	      "the host module saw the release (vm_releases)");
	kt_ok(memcmp(in.ram + IPAGE, tgt.ram + M, 4096) &&
	      !*(u64 *)(in.ram + IPAGE) && !*(u64 *)(in.ram + WCHUNK),
	      "the VMM's RAM at both gpas is its own again (zero), while its process lives");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	kt_open_host();
	if (kt_vm_create(&tgt, 64, false) || kt_vm_create(&in, 64, true))
		kt_bail("two VMs: %s", strerror(errno));
	kt_fill(tgt.ram + M, 0x2000, 7);
	want = *(u64 *)(tgt.ram + M);
	want2 = *(u64 *)(tgt.ram + T2);
	ref0 = module_refs();
	if (ref0 < 0 || kt_stat("grants_ended", &ended0) ||
	    kt_stat("vm_releases", &rel0) || kt_stat("live_maps", &live0) ||
	    kt_stat("window_chunks", &chunks0)) {
		kt_skip("no /sys/module/kvmmem_host/refcnt or debugfs kvmmem/stats",
			"the release from a kernel thread");
		return kt_done();
	}
	if (kt_grant(&tgt, &in, 0, 0, 0, 0, 0, &tok, NULL))
		kt_bail("grant: %s", strerror(errno));
	kt_to_guest(&in, &tok, sizeof(tok));
	kt_to_guest(&in, &want, sizeof(want));
	kt_to_guest(&in, &want2, sizeof(want2));

	kt_run(&in, guest_code, host_step);

	kt_vm_destroy(&in);
	kt_vm_destroy(&tgt);
	return kt_done();
}
