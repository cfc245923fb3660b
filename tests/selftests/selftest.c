// SPDX-License-Identifier: GPL-2.0
/*
 * The kvmmem selftests' harness: VMs whose guest code is the test
 * program's own (see selftest.h), and TAP.
 *
 * Memory of a VM with a vCPU, guest-physical and guest-virtual alike:
 *   0x1000  PML4, 0x2000 PDPT, 0x3000.. 4 PDs: 4 GiB in 2 MiB pages, the
 *           first 4 GiB mapped one to one, writable, user-accessible
 *   the program's PT_LOAD segments, where it is linked (0x400000 on)
 *   KT_STACK_TOP: the stack, which starts with the address of
 *           kt_guest_exit(), so a guest function that returns ends the run
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <unistd.h>

#include "selftest.h"

#define PML4_GPA	0x1000
#define PDPT_GPA	0x2000
#define PD_GPA		0x3000

bool kt_host_is_amd;
static int kvm_fd = -1, host_fd = -1;
static unsigned int n_tests, n_failed, n_skipped;

/* the guest's end: KT_UCALL_DONE, again and again */
asm(".pushsection .text\n"
	".globl kt_guest_exit\n"
	"kt_guest_exit:\n"
	"	mov $1, %edi\n"
	"	outb %al, $0x80\n"
	"	jmp kt_guest_exit\n"
	".popsection\n");

static void vendor(void)
{
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	/* "AuthenticAMD" and "HygonGenuine" use vmmcall */
	kt_host_is_amd = b == 0x68747541 || b == 0x6f677948;
}

/* copy each PT_LOAD segment of the program into the VM's RAM, in place */
static int copy_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct kt_vm *vm = arg;
	int i;

	(void)size;
	if (info->dlpi_addr)	/* not the program, or a PIE */
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const __typeof__(*info->dlpi_phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_vaddr + ph->p_memsz > vm->ram_size / 2)
			kt_bail("the program's image does not fit the guest");
		memcpy(vm->ram + ph->p_vaddr, (void *)ph->p_vaddr, ph->p_memsz);
	}
	return 1;
}

static void page_tables(struct kt_vm *vm)
{
	u64 *pml4 = (u64 *)(vm->ram + PML4_GPA);
	u64 *pdpt = (u64 *)(vm->ram + PDPT_GPA);
	u64 *pd = (u64 *)(vm->ram + PD_GPA);
	u64 i;

	pml4[0] = PDPT_GPA | 7;
	for (i = 0; i < 4; i++)
		pdpt[i] = (PD_GPA + i * 0x1000) | 7;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x87;	/* present, writable, user, 2M */
}

static int vcpu_setup(struct kt_vm *vm)
{
	struct kvm_segment seg = {
		.limit = 0xffffffff, .present = 1, .s = 1, .g = 1,
	};
	struct kvm_cpuid2 *cpuid;
	struct kvm_sregs sregs;
	int sz, n = 256, ret = -1;

	vm->vcpu_fd = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	sz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_fd < 0 || sz <= 0)
		return -1;
	vm->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		return -1;
	cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return -1;
	cpuid->nent = n;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) ||
	    ioctl(vm->vcpu_fd, KVM_SET_CPUID2, cpuid))
		goto out_free;
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs))
		goto out_free;
	sregs.cr3 = PML4_GPA;
	sregs.cr4 = (1 << 5) | (1 << 9) | (1 << 10);	/* PAE, OSFXSR, OSXMMEXCPT */
	sregs.cr0 = 0x80000001 | (1 << 1) | (1 << 5) | (1 << 16); /* PG PE MP NE WP */
	sregs.efer = 0x500;				/* LME, LMA */
	seg.type = 11;
	seg.l = 1;
	seg.selector = 8;
	sregs.cs = seg;
	seg.type = 3;
	seg.l = 0;
	seg.db = 1;
	seg.selector = 16;
	sregs.ds = seg;
	sregs.es = seg;
	sregs.fs = seg;
	sregs.gs = seg;
	sregs.ss = seg;
	ret = ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs);
out_free:
	free(cpuid);
	return ret;
}

/**
 * kt_vm_create() - a VM with RAM at gpa 0, and the program's image in it
 * @vm: filled in
 * @mib: RAM size in MiB (at least 64)
 * @vcpu: create vCPU 0, in long mode (a target needs none)
 *
 * Return: 0, or -1 with errno set.
 */
int kt_vm_create(struct kt_vm *vm, u64 mib, bool vcpu)
{
	struct kvm_userspace_memory_region mr = { 0 };

	if (kvm_fd < 0) {
		vendor();
		kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (kvm_fd < 0)
			return -1;
	}
	memset(vm, 0, sizeof(*vm));
	vm->vcpu_fd = -1;
	vm->ram_size = mib << 20 < KT_RAM_MIN ? KT_RAM_MIN : mib << 20;
	vm->fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		return -1;
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED)
		return -1;
	mr.memory_size = vm->ram_size;
	mr.userspace_addr = (uintptr_t)vm->ram;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &mr))
		return -1;
	if (!vcpu)
		return 0;
	page_tables(vm);
	dl_iterate_phdr(copy_segment, vm);
	return vcpu_setup(vm);
}

/**
 * kt_vm_add_slot() - another memslot, of fresh anonymous memory
 * @vm: the VM
 * @slot: its number (0 is the RAM)
 * @gpa: where it starts
 * @size: its size
 * @flags: KVM_MEM_* flags (KVM_MEM_READONLY for a ROM)
 *
 * Return: the host address of its memory, or NULL with errno set.
 */
u8 *kt_vm_add_slot(struct kt_vm *vm, u32 slot, u64 gpa, u64 size,
		   u32 flags)
{
	struct kvm_userspace_memory_region mr = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size,
	};
	void *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	mr.userspace_addr = (uintptr_t)p;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &mr)) {
		munmap(p, size);
		return NULL;
	}
	return p;
}

/**
 * kt_vm_destroy() - close a VM and unmap its RAM
 * @vm: the VM
 */
void kt_vm_destroy(struct kt_vm *vm)
{
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->ram && vm->ram != MAP_FAILED)
		munmap(vm->ram, vm->ram_size);
	vm->fd = -1;
	vm->vcpu_fd = -1;
	vm->ram = NULL;
}

/**
 * kt_vcpu_start() - point vCPU 0 at a guest function, on a fresh stack
 * @vm: the VM
 * @fn: the function; when it returns, the run ends with KT_UCALL_DONE
 */
void kt_vcpu_start(struct kt_vm *vm, void (*fn)(void))
{
	struct kvm_regs regs = {
		.rip = (uintptr_t)fn, .rsp = KT_STACK_TOP - 8, .rflags = 2,
	};

	*(u64 *)(vm->ram + KT_STACK_TOP - 8) = (uintptr_t)kt_guest_exit;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs))
		kt_bail("KVM_SET_REGS: %s", strerror(errno));
}

/**
 * kt_vcpu_run() - run vCPU 0 until its next exit
 * @vm: the VM
 * @uc: filled in when the exit is a ucall
 *
 * Return: 0 for a ucall, otherwise the KVM exit reason (KVM_EXIT_MMIO for a
 * write that KVM handed to the VMM, say; running again goes on after it).
 */
int kt_vcpu_run(struct kt_vm *vm, struct kt_ucall *uc)
{
	struct kvm_regs regs;

	if (ioctl(vm->vcpu_fd, KVM_RUN, 0))
		kt_bail("KVM_RUN: %s", strerror(errno));
	if (vm->run->exit_reason != KVM_EXIT_IO ||
	    vm->run->io.port != KT_UCALL_PORT)
		return vm->run->exit_reason;
	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs))
		kt_bail("KVM_GET_REGS: %s", strerror(errno));
	uc->cmd = regs.rdi;
	uc->a0 = regs.rsi;
	uc->a1 = regs.rdx;
	uc->a2 = regs.rcx;
	return 0;
}

/**
 * kt_guest_run() - run the guest to its end, printing its checks
 * @vm: the VM, started with kt_vcpu_start()
 * @sync: called for each GUEST_SYNC(stage), with the stage; may be NULL
 *
 * Return: 0 when the guest function returned, or the KVM exit reason that
 * stopped it (a failed check).
 */
int kt_guest_run(struct kt_vm *vm, void (*sync)(struct kt_vm *, u64))
{
	struct kt_ucall uc;
	int exit;

	for (;;) {
		exit = kt_vcpu_run(vm, &uc);
		if (exit) {
			kt_ok(false, "the guest runs to its end (KVM exit %d)", exit);
			return exit;
		}
		switch (uc.cmd) {
		case KT_UCALL_DONE:
			return 0;
		case KT_UCALL_SYNC:
			if (sync)
				sync(vm, uc.a0);
			break;
		case KT_UCALL_EXPECT:
			/* the description is in the image: the same address here */
			kt_expect((const char *)(uintptr_t)uc.a0, uc.a1, uc.a2);
			break;
		default:
			kt_bail("unknown ucall %#llx", (unsigned long long)uc.cmd);
		}
	}
}

/**
 * kt_run() - run a guest function to its end, as a check
 * @vm: the VM
 * @fn: the guest function (kt_vcpu_start())
 * @sync: as for kt_guest_run()
 *
 * Prints the check "the guest code ran to its end".
 */
void kt_run(struct kt_vm *vm, void (*fn)(void),
	    void (*sync)(struct kt_vm *, u64))
{
	kt_vcpu_start(vm, fn);
	kt_ok(!kt_guest_run(vm, sync), "the guest code ran to its end");
}

/**
 * kt_fill() - a pattern that differs from page to page
 * @p: the bytes
 * @len: how many
 * @seed: the pattern's seed
 */
void kt_fill(u8 *p, u64 len, unsigned int seed)
{
	u64 i;

	for (i = 0; i < len; i++)
		p[i] = (u8)(i * 131 + (i >> 12) * 7 + seed);
}

/**
 * kt_to_guest() - copy a global of the program into the guest's copy of it
 * @vm: the VM
 * @var: the global (the same address in the guest)
 * @size: its size
 */
void kt_to_guest(struct kt_vm *vm, const void *var, size_t size)
{
	memcpy(vm->ram + (uintptr_t)var, var, size);
}

/**
 * kt_open_host() - /dev/kvmmem-host, or a SKIP and exit when it is absent
 *
 * Return: its file descriptor.
 */
int kt_open_host(void)
{
	host_fd = open("/dev/kvmmem-host", O_RDWR | O_CLOEXEC);
	if (host_fd < 0) {
		kt_skip(strerror(errno), "/dev/kvmmem-host (load kvmmem_host)");
		exit(kt_done());
	}
	if (access("/dev/kvm", R_OK | W_OK)) {
		kt_skip(strerror(errno), "/dev/kvm");
		exit(kt_done());
	}
	return host_fd;
}

/**
 * kt_grant() - a grant through /dev/kvmmem-host (kt_open_host() first)
 * @target: the target VM
 * @intro: the introspector VM
 * @flags: KVMMEM_GRANT_*
 * @start: the first target gpa it covers
 * @end: the end of its range, 0 for none
 * @quota: its page quota, 0 for the module's default
 * @expire_ms: its lifetime, 0 for none
 * @token: its token, or NULL
 * @id: its id, or NULL
 *
 * Return: 0 or -errno.
 */
int kt_grant(struct kt_vm *target, struct kt_vm *intro, u32 flags,
	     u64 start, u64 end, u32 quota, u64 expire_ms,
	     struct kvmi_map_mem_token *token, u64 *id)
{
	struct kvmmem_host_grant g = {
		.target_fd = target->fd, .intro_fd = intro->fd, .flags = flags,
		.max_pages = quota, .gpa_start = start, .gpa_end = end,
		.expire_ms = expire_ms,
	};

	if (ioctl(host_fd, KVMMEM_HOST_GRANT, &g))
		return -errno;
	if (token)
		*token = g.token;
	if (id)
		*id = g.id;
	memset(&g, 0, sizeof(g));
	return 0;
}

/**
 * kt_stat() - a counter of the host module's debugfs stats file
 * @name: its name
 * @val: its value
 *
 * Return: 0, or -1 when debugfs or the counter is missing.
 */
int kt_stat(const char *name, u64 *val)
{
	FILE *f = fopen("/sys/kernel/debug/kvmmem/stats", "r");
	unsigned long long v;
	char key[64];
	int ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %llu", key, &v) == 2) {
		if (!strcmp(key, name)) {
			*val = v;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/**
 * kt_stat_or_zero() - a counter of the host module's debugfs stats file
 * @name: its name
 *
 * Return: its value, or 0 when debugfs or the counter is missing.
 */
u64 kt_stat_or_zero(const char *name)
{
	u64 v = 0;

	kt_stat(name, &v);
	return v;
}

/**
 * kt_klog_has() - is there a line in the kernel log with both strings?
 * @a: what the line has, first
 * @b: what it has after @a
 *
 * Return: 1 if a line has @a and, after it, @b; 0 if none has; -1 when the
 * kernel log cannot be read.
 */
int kt_klog_has(const char *a, const char *b)
{
	int len = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf, *p;
	int n, found = 0;

	if (len <= 0)
		return -1;
	buf = calloc(1, len + 1);
	if (!buf)
		return -1;
	n = klogctl(3, buf, len);	/* SYSLOG_ACTION_READ_ALL */
	if (n < 0) {
		free(buf);
		return -1;
	}
	for (p = strstr(buf, a); p && !found; p = strstr(p + 1, a)) {
		char *eol = strchr(p, '\n');

		if (eol)
			*eol = 0;
		found = !!strstr(p, b);
		if (eol)
			*eol = '\n';
	}
	free(buf);
	return found;
}

/* --- TAP ------------------------------------------------------------------ */
static void line(const char *head, const char *fmt, va_list ap, const char *tail)
{
	printf("%s", head);
	vprintf(fmt, ap);
	printf("%s\n", tail);
	fflush(stdout);
}

/**
 * kt_ok() - one TAP line
 * @cond: passed
 * @fmt: the description
 */
void kt_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	n_tests++;
	n_failed += !cond;
	va_start(ap, fmt);
	line(cond ? "ok - " : "not ok - ", fmt, ap, "");
	va_end(ap);
}

/**
 * kt_expect() - one TAP line: GOT equals WANT
 * @desc: the description
 * @got: the value seen
 * @want: the value wanted
 */
void kt_expect(const char *desc, u64 got, u64 want)
{
	if (got == want)
		kt_ok(true, "%s", desc);
	else
		kt_ok(false, "%s (want %#llx = %lld, got %#llx = %lld)", desc,
		      (unsigned long long)want, (long long)want,
		      (unsigned long long)got, (long long)got);
}

/**
 * kt_skip() - one TAP line that did not run
 * @why: the reason
 * @fmt: the description
 */
void kt_skip(const char *why, const char *fmt, ...)
{
	va_list ap;
	char tail[256];

	n_tests++;
	n_skipped++;
	snprintf(tail, sizeof(tail), " # SKIP %s", why);
	va_start(ap, fmt);
	line("ok - ", fmt, ap, tail);
	va_end(ap);
}

/**
 * kt_diag() - a TAP comment
 * @fmt: its text
 */
void kt_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line("# ", fmt, ap, "");
	va_end(ap);
}

/**
 * kt_bail() - a failure that ends the test program
 * @fmt: what went wrong
 */
void kt_bail(const char *fmt, ...)
{
	va_list ap;

	n_tests++;
	n_failed++;
	va_start(ap, fmt);
	line("not ok - ", fmt, ap, "");
	va_end(ap);
	exit(kt_done());
}

/**
 * kt_done() - the plan and the counts
 *
 * Return: the exit status: 1 if a check failed, else 0.
 */
int kt_done(void)
{
	printf("1..%u\n%u passed, %u failed, %u skipped\n", n_tests,
	       n_tests - n_failed - n_skipped, n_failed, n_skipped);
	return !!n_failed;
}
