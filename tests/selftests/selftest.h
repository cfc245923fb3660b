/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kvmmem selftests' harness, in the style of the kernel's KVM
 * selftests: one C file per test holds both the guest code and the host
 * code.
 *
 * A test program is static and not position independent, so its image has
 * the same addresses in every process. kt_vm_create() copies that image
 * into the new VM's RAM at the same guest-physical addresses and maps the
 * first 4 GiB one to one, so a function or a global of the program has the
 * same address in the guest as in the host: the host starts guest code with
 * kt_vcpu_start(vm, guest_fn), and reaches the guest's copy of a global
 * with KT_GUEST(vm, var). The guest talks to the host with ucalls (an "out"
 * to port KT_UCALL_PORT, its arguments in registers): GUEST_SYNC() hands
 * control to the host for a step of its own, GUEST_EXPECT() reports a check
 * that the host prints as a TAP line.
 *
 * Guest code runs at CPL 0 in 64-bit mode, with SSE on, no interrupts and
 * no libc: only the inline helpers below, and plain C.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#ifndef KVMMEM_SELFTEST_H
#define KVMMEM_SELFTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <linux/kvm.h>
#include <linux/kvmmem.h>
#include <linux/kvmmem_host.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;
typedef __s64 s64;

/* as the kernel's compiler_attributes.h has them */
#define __aligned(x)		__attribute__((aligned(x)))
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#define __noreturn		__attribute__((noreturn))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define KT_UCALL_PORT	0x80
/* the first 8 bytes of KVMMEM_REVOKED_PATTERN, as a u64 reads them */
#define KT_REVOKED	0x723a6d656d6d766bULL
#define KT_STACK_TOP	0x3f00000ULL	/* the guest stack grows down from here */
#define KT_RAM_MIN	(64ULL << 20)

enum kt_ucall_cmd {
	KT_UCALL_DONE = 1,	/* the guest function returned */
	KT_UCALL_SYNC,		/* a0: the stage; the host does its part */
	KT_UCALL_EXPECT,	/* a0: description, a1: got, a2: wanted */
};

struct kt_ucall {
	u64 cmd, a0, a1, a2;
};

struct kt_vm {
	int fd;
	u8 *ram;
	u64 ram_size;
	int vcpu_fd;		/* -1: a VM without a vCPU (a target) */
	struct kvm_run *run;
};

/* Set by the host before the image is copied: the guest's hypercall. */
extern bool kt_host_is_amd;

/* --- guest side ------------------------------------------------------- */
static inline u64 kt_hypercall(u64 nr, u64 a0, u64 a1, u64 a2)
{
	u64 ret;

	if (kt_host_is_amd)
		asm volatile("vmmcall" : "=a"(ret)
			     : "a"(nr), "b"(a0), "c"(a1), "d"(a2) : "memory");
	else
		asm volatile("vmcall" : "=a"(ret)
			     : "a"(nr), "b"(a0), "c"(a1), "d"(a2) : "memory");
	return ret;
}

static inline void kt_ucall(u64 cmd, u64 a0, u64 a1, u64 a2)
{
	asm volatile("outb %%al, %w0" : : "Nd"(KT_UCALL_PORT), "a"(0),
		     "D"(cmd), "S"(a0), "d"(a1), "c"(a2) : "memory");
}

#define GUEST_SYNC(stage)	kt_ucall(KT_UCALL_SYNC, (stage), 0, 0)
/* a check, printed by the host: ok if GOT equals WANT (as 64-bit values) */
#define GUEST_EXPECT(desc, got, want)					\
	kt_ucall(KT_UCALL_EXPECT, (u64)(uintptr_t)(desc),		\
		 (u64)(got), (u64)(want))

/* a load and a store the compiler keeps, at a guest-physical address */
static inline u64 kt_read64(u64 gpa)
{
	return __atomic_load_n((u64 *)(uintptr_t)gpa, __ATOMIC_RELAXED);
}

static inline void kt_write64(u64 gpa, u64 val)
{
	__atomic_store_n((u64 *)(uintptr_t)gpa, val, __ATOMIC_RELAXED);
}

/* --- host side -------------------------------------------------------- */
/* the guest's end: a guest function returns to it */
void kt_guest_exit(void);

int kt_vm_create(struct kt_vm *vm, u64 mib, bool vcpu);
void kt_vm_destroy(struct kt_vm *vm);
u8 *kt_vm_add_slot(struct kt_vm *vm, u32 slot, u64 gpa, u64 size,
		   u32 flags);
void kt_vcpu_start(struct kt_vm *vm, void (*fn)(void));
int kt_vcpu_run(struct kt_vm *vm, struct kt_ucall *uc);
int kt_guest_run(struct kt_vm *vm, void (*sync)(struct kt_vm *, u64));
void kt_run(struct kt_vm *vm, void (*fn)(void),
	    void (*sync)(struct kt_vm *, u64));
void kt_fill(u8 *p, u64 len, unsigned int seed);
void kt_to_guest(struct kt_vm *vm, const void *var, size_t size);

/* TAP */
void kt_ok(bool cond, const char *fmt, ...) __printf(2, 3);
void kt_expect(const char *desc, u64 got, u64 want);
void kt_skip(const char *why, const char *fmt, ...) __printf(2, 3);
void kt_diag(const char *fmt, ...) __printf(1, 2);
void kt_bail(const char *fmt, ...) __printf(1, 2) __noreturn;
int kt_done(void);
int kt_open_host(void);
int kt_grant(struct kt_vm *target, struct kt_vm *intro, u32 flags,
	     u64 start, u64 end, u32 quota, u64 expire_ms,
	     struct kvmi_map_mem_token *token, u64 *id);
int kt_stat(const char *name, u64 *val);
u64 kt_stat_or_zero(const char *name);
int kt_klog_has(const char *a, const char *b);

#endif
