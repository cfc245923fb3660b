// SPDX-License-Identifier: GPL-2.0
/*
 * tvm: a tiny KVM virtual machine for kvmmem tests, in the style of the
 * kernel's KVM selftests. It has RAM at gpa 0 (a 64 KiB read-only slot at
 * 2 GiB), a long-mode vCPU that runs
 * single instructions on command (hypercalls, guest reads and writes
 * through the nested page tables), and an optional second vCPU that keeps
 * incrementing a counter. Usage: tvm [MiB [memfd]]; with "memfd" the RAM is
 * a shared mapping of a memfd, as QEMU's memory-backend-memfd makes it.
 * Commands come one per line on stdin; each gets exactly one answer line
 * on stdout.
 *
 *   hc NR A0 A1 A2         issue a hypercall; prints "rax=0x..."
 *   cpl N                  run vCPU 0 at privilege level N; prints "cpl=N"
 *   gread GPA              guest reads u64 at GPA; prints "val=0x..."
 *   gwrite GPA VAL         guest writes u64 VAL at GPA; prints "ok"
 *   peek GPA LEN           VMM reads its own RAM; prints hex
 *   poke GPA VAL           VMM writes u64 at GPA; prints "ok"
 *   fill GPA LEN SEED      VMM fills RAM with a pattern; prints "ok"
 *   dup GPA LEN SEED       VMM gives every page of the range the same
 *                          pattern (for KSM); prints "ok"
 *   merge                  MADV_MERGEABLE over all RAM; prints "ok"
 *   ram                    prints "hva=0x... size=0x..." (where the VMM maps
 *                          the RAM: read it through /proc/PID/mem)
 *   pageout GPA LEN        MADV_PAGEOUT: reclaim the range now (to swap);
 *                          prints "ok"
 *   protect GPA LEN PROT   mprotect the range (PROT_* bits); prints "ok"
 *   advise GPA LEN ADVICE  madvise the range (MADV_* number); prints "ok"
 *   replace GPA LEN SEED   the VMM maps fresh memory of its own over the
 *                          range (MAP_FIXED) and fills it; prints "ok"
 *   addslot GPA MIB SEED   a second RAM memslot (slot 2) of MIB MiB at GPA
 *                          (above 4 GiB, say), its bytes patterned; "ok"
 *   newvm                  close the VM and its vCPUs and create a new one
 *                          over the same RAM, as a VMM's reboot may; "ok"
 *   maplimit NR A0 LIMIT   hypercall NR(A0, 0, 0) with vm.max_map_count set
 *                          to LIMIT for its duration; prints "rax=0x..."
 *   unplug                 delete the RAM memslot, keeping the memory
 *                          mapped in the VMM (the guest cannot run after
 *                          it); prints "ok"
 *   sum GPA LEN            prints "sum=0x..." (FNV-1a over the VMM's view)
 *   wsum GPA LEN           prints "wsum=0x..." (the same over 64-bit words)
 *   discard GPA            MADV_DONTNEED the page: the VMM drops it, as a
 *                          balloon does; prints "ok"
 *   punch GPA              punch a hole for the page in the RAM's memfd (a
 *                          memfd-backed VMM's balloon); prints "ok"
 *   blocks                 prints "blocks=N": 512-byte blocks the RAM's
 *                          memfd holds (its populated pages)
 *   dirtylog 0|1           turn KVM dirty logging of the RAM slot off/on
 *   page GPA               prints "pfn=0x... thp=0|1": the host page frame
 *                          under GPA and whether it is part of a transparent
 *                          huge page (/proc/self/pagemap, /proc/kpageflags)
 *   fork                   fork a child that only waits, so that the RAM is
 *                          shared copy-on-write; prints "ok"
 *   unfork                 kill and reap that child; prints "ok"
 *   fuzz N SEED TOKGPA     N random and crafted kvmmem hypercalls (32, 33, status,
 *                          window, ranges, batch, neighbours) from vCPU 0, with the valid
 *                          token at TOKGPA mixed in; unmaps what it mapped;
 *                          prints "calls=... mapped=... unexpected=..."
 *   flips TOKGPA TGPA IGPA map with each of the 256 one-bit flips of the
 *                          token at TOKGPA; prints how many got -EACCES,
 *                          -EAGAIN (throttled) and anything else
 *   counter GPA            start vCPU 1 incrementing u64 at GPA
 *   stopcounter            stop it; prints "ok"
 *   pid                    prints "pid=N"
 *   quit
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cpuid.h>

#define PML4_GPA	0x1000
#define PDPT_GPA	0x2000
#define PD_GPA		0x3000	/* 4 pages: 4 GiB of 2 MiB pages */
#define CODE_GPA	0x8000
#define CODE1_GPA	0x9000
#define RAM_MIN		(64ULL << 20)
#define ROM_GPA		0x80000000ULL

struct vcpu {
	int fd;
	struct kvm_run *run;
};

static int kvm_fd, vm_fd, ram_fd = -1;
static uint8_t *ram;
static uint64_t ram_size;
static struct vcpu vcpus[2];
static pthread_t counter_thread;
static volatile int counter_running;

static void die(const char *what)
{
	fprintf(stderr, "tvm: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Give the vCPU what KVM supports, so that PAE and long mode are valid. */
static void set_cpuid(struct vcpu *v)
{
	struct kvm_cpuid2 *cpuid;
	int n = 256;

	cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
	if (!cpuid)
		die("calloc");
	cpuid->nent = n;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
		die("KVM_GET_SUPPORTED_CPUID");
	if (ioctl(v->fd, KVM_SET_CPUID2, cpuid))
		die("KVM_SET_CPUID2");
	free(cpuid);
}

static void long_mode(struct vcpu *v);

static void setup_vcpu(struct vcpu *v, int id)
{
	int sz;

	v->fd = ioctl(vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0)
		die("KVM_CREATE_VCPU");
	sz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	v->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		die("mmap kvm_run");
	set_cpuid(v);
	long_mode(v);
}

/* Flat 64-bit mode on the identity page tables (again after a reset). */
static void long_mode(struct vcpu *v)
{
	struct kvm_segment seg = {
		.base = 0, .limit = 0xffffffff, .present = 1, .s = 1,
		.dpl = 0, .g = 1,
	};
	struct kvm_sregs sregs;

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	sregs.cr3 = PML4_GPA;
	sregs.cr4 = 1 << 5;				/* PAE */
	sregs.cr0 = 0x80000001 | (1 << 16);		/* PG, PE, WP */
	sregs.efer = 0x500;				/* LME, LMA */
	seg.type = 11;					/* code, exec/read */
	seg.l = 1;
	seg.selector = 8;
	sregs.cs = seg;
	seg.type = 3;					/* data, read/write */
	seg.l = 0;
	seg.db = 1;
	seg.selector = 16;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
}

static int set_cpl(struct vcpu *v, int cpl)
{
	struct kvm_sregs sregs;

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	sregs.cs.dpl = cpl;
	sregs.cs.selector = (sregs.cs.selector & ~3) | cpl;
	sregs.ss.dpl = cpl;
	sregs.ss.selector = (sregs.ss.selector & ~3) | cpl;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	return sregs.ss.dpl;
}

/* Run vCPU @v from @rip with the given GPRs until it exits; returns RAX. */
/* Tell the log (stderr) why KVM stopped a vCPU with an internal error. */
static void report_internal(struct vcpu *v)
{
	struct kvm_regs regs;
	unsigned int i;

	if (v->run->exit_reason != KVM_EXIT_INTERNAL_ERROR)
		return;
	ioctl(v->fd, KVM_GET_REGS, &regs);
	fprintf(stderr, "vcpu %d: internal error, suberror %u, rip %#llx, data",
		(int)(v - vcpus), v->run->internal.suberror, regs.rip);
	for (i = 0; i < v->run->internal.ndata && i < 8; i++)
		fprintf(stderr, " %#llx", v->run->internal.data[i]);
	fprintf(stderr, "\n");
}

/* Set while a command runs many vCPU entries: one answer line only. */
static int quiet;

static int run_once(struct vcpu *v, uint64_t rip, uint64_t rax, uint64_t rbx,
		    uint64_t rcx, uint64_t rdx, uint64_t *out)
{
	struct kvm_regs regs = {
		.rip = rip, .rax = rax, .rbx = rbx, .rcx = rcx, .rdx = rdx,
		.rflags = 0x3002, .rsp = CODE_GPA,
	};

	if (ioctl(v->fd, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
	if (ioctl(v->fd, KVM_RUN, 0)) {
		if (!quiet)
			printf("err=%d\n", errno);
		return -1;
	}
	if (v->run->exit_reason != KVM_EXIT_IO || v->run->io.port != 0x80) {
		report_internal(v);
		fprintf(stderr, "vcpu %d: exit reason %u (run from %#llx)\n",
			(int)(v - vcpus), v->run->exit_reason,
			(unsigned long long)rip);
		if (!quiet)
			printf("exit=%u\n", v->run->exit_reason);
		return -1;
	}
	if (ioctl(v->fd, KVM_GET_REGS, &regs))
		die("KVM_GET_REGS");
	*out = regs.rax;
	return 0;
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

static void *counter_main(void *arg)
{
	struct vcpu *v = &vcpus[1];
	struct kvm_regs regs = {
		.rip = CODE1_GPA, .rbx = (uintptr_t)arg, .rflags = 2,
	};

	int stops = 0;

	if (ioctl(v->fd, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
	while (counter_running) {
		if (ioctl(v->fd, KVM_RUN, 0) && errno != EINTR)
			break;
		if (v->run->exit_reason == KVM_EXIT_INTERNAL_ERROR ||
		    v->run->exit_reason == KVM_EXIT_SHUTDOWN) {
			/*
			 * The vCPU stopped (seen in the nested TCG lab): log
			 * it and start the loop again; the count goes on from
			 * what is in memory.
			 */
			report_internal(v);
			fprintf(stderr, "vcpu 1: exit reason %u, restart %d\n",
				v->run->exit_reason, ++stops);
			if (stops > 10)
				break;
			long_mode(v);
			if (ioctl(v->fd, KVM_SET_REGS, &regs))
				die("KVM_SET_REGS");
			continue;
		}
		usleep(1000);
	}
	return NULL;
}

static void write_code(void)
{
	unsigned int a, b, c, d;
	int amd;
	uint8_t *p;

	__cpuid(0, a, b, c, d);
	amd = b == 0x68747541 || b == 0x6f677948;	/* "Auth", "Hygo" */
	p = ram + CODE_GPA;
	/*
	 * Each snippet ends with "out 0x80, al", which exits to us at any
	 * privilege level (IOPL is 3).
	 * 0x00: hypercall
	 */
	memcpy(p, amd ? "\x0f\x01\xd9\xe6\x80" : "\x0f\x01\xc1\xe6\x80", 5);
	/* 0x10: mov rax, [rbx] */
	memcpy(p + 0x10, "\x48\x8b\x03\xe6\x80", 5);
	/* 0x20: mov [rbx], rcx */
	memcpy(p + 0x20, "\x48\x89\x0b\xe6\x80", 5);
	/*
	 * vCPU 1: 1: inc qword [rbx]; out 0x80, al; jmp 1b. It exits after
	 * every increment and its thread sleeps a millisecond in between, so
	 * a lab host under TCG never has a vCPU spinning in guest mode.
	 */
	memcpy(ram + CODE1_GPA, "\x48\xff\x03\xe6\x80\xeb\xf9", 7);
}

/* A VM over the RAM that the VMM has: its memslots and vCPUs. */
static void create_vm(void)
{
	struct kvm_userspace_memory_region mr = { 0 };

	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		die("KVM_CREATE_VM");
	mr.memory_size = ram_size;
	mr.userspace_addr = (uintptr_t)ram;
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mr))
		die("KVM_SET_USER_MEMORY_REGION");
	/* a small read-only slot (ROM) at ROM_GPA */
	mr.slot = 1;
	mr.flags = KVM_MEM_READONLY;
	mr.guest_phys_addr = ROM_GPA;
	mr.memory_size = 0x10000;
	mr.userspace_addr = (uintptr_t)mmap(NULL, mr.memory_size, PROT_READ,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mr))
		die("KVM_SET_USER_MEMORY_REGION (ROM)");
	setup_vcpu(&vcpus[0], 0);
	setup_vcpu(&vcpus[1], 1);
}

/* Close the VM and its vCPUs, as a VMM does before it creates the next. */
static void destroy_vm(void)
{
	int sz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0), i;

	for (i = 0; i < 2; i++) {
		munmap(vcpus[i].run, sz);
		close(vcpus[i].fd);
	}
	close(vm_fd);
}

static void setup_vm(uint64_t mib, int memfd)
{
	uint64_t *pml4, *pdpt, *pd;
	uint64_t i;

	ram_size = mib << 20;
	if (ram_size < RAM_MIN)
		ram_size = RAM_MIN;
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("/dev/kvm");
	if (memfd) {
		ram_fd = memfd_create("tvm-ram", MFD_CLOEXEC);
		if (ram_fd < 0 || ftruncate(ram_fd, ram_size))
			die("memfd RAM");
		ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   ram_fd, 0);
	} else {
		ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	}
	if (ram == MAP_FAILED)
		die("mmap RAM");

	/* identity map of the first 4 GiB, 2 MiB pages, user-accessible */
	pml4 = (uint64_t *)(ram + PML4_GPA);
	pdpt = (uint64_t *)(ram + PDPT_GPA);
	pd = (uint64_t *)(ram + PD_GPA);
	pml4[0] = PDPT_GPA | 7;
	for (i = 0; i < 4; i++)
		pdpt[i] = (PD_GPA + i * 0x1000) | 7;
	for (i = 0; i < 2048; i++)
		pd[i] = (i << 21) | 0x87;
	write_code();
	create_vm();
}

static int in_ram(uint64_t gpa, uint64_t len)
{
	return gpa < ram_size && len <= ram_size - gpa;
}

static uint64_t fnv(const uint8_t *p, uint64_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* --- hypercall fuzzing -------------------------------------------------- */
#define HC_BATCH	0x4b4d4201ULL
#define HC_STATUS	0x4b4d4202ULL
#define HC_WINDOW	0x4b4d4203ULL
#define HC_RANGES	0x4b4d4204ULL
#define FZ_WIN		0x600000	/* a window chunk (2 MiB) */
#define FZ_STATUS	0xc000		/* a status page nothing else uses */
#define FZ_DESC		0xb000		/* batch descriptor page */
#define FZ_POOL		0x500000	/* 64 introspector slots */
#define FZ_SLOTS	64
#define ENOSYS_RAX	((uint64_t)-1000)

static uint64_t fz_state;

static uint64_t fz_rand(void)
{
	fz_state ^= fz_state << 13;
	fz_state ^= fz_state >> 7;
	fz_state ^= fz_state << 17;
	return fz_state;
}

/* A gpa worth trying: boundaries, MMIO, unbacked, unaligned, random. */
static uint64_t fz_gpa(void)
{
	static const uint64_t crafted[] = {
		0, 0x1000, 0x100000, 0x200000, 0xfee00000, 0xfec00000,
		ROM_GPA, ROM_GPA + 0x10000, 0xfffff000, 1ULL << 32,
		1ULL << 40, ~0xfffULL, ~0ULL,
	};
	uint64_t r = fz_rand();

	switch (r % 6) {
	case 0:
		return crafted[(r >> 8) % (sizeof(crafted) / sizeof(crafted[0]))];
	case 1:
		return ram_size - 0x1000 + ((r >> 8) % 3) * 0x1000;
	case 2:
		return (r >> 8) % ram_size;			/* unaligned too */
	case 3:
		return fz_rand();
	default:
		return ((r >> 8) % ram_size) & ~0xfffULL;
	}
}

/* An introspector gpa: mostly our slots; never our own code or tables. */
static uint64_t fz_igpa(void)
{
	uint64_t r = fz_rand(), g;

	if (r % 4)
		return FZ_POOL + ((r >> 8) % FZ_SLOTS) * 0x1000;
	g = fz_gpa();
	return g < 0x10000 ? FZ_POOL : g;
}

static void fz_token(uint64_t tokgpa, const uint8_t *good)
{
	uint64_t r = fz_rand();

	memcpy(ram + tokgpa, good, 32);
	if (r % 3 == 0)
		ram[tokgpa + (r >> 8) % 32] ^= 1 << ((r >> 16) % 8);
	else if (r % 17 == 1)
		memset(ram + tokgpa, 0, 32);
}

static void fz_batch(uint64_t tokgpa, const uint8_t *good)
{
	uint8_t *d = ram + FZ_DESC;
	uint32_t op = fz_rand() % 5 ? 1 + fz_rand() % 2 : fz_rand() % 4;
	uint32_t count = fz_rand() % 8 ? fz_rand() % 65 : fz_rand() % 300;
	uint32_t zero = 0, res = fz_rand() % 20 ? 0 : (uint32_t)fz_rand();
	uint32_t i, max = count > 64 ? 64 : count;
	uint64_t e[2];

	fz_token(tokgpa, good);
	memcpy(d, ram + tokgpa, 32);
	memcpy(d + 32, &op, 4);
	memcpy(d + 36, &count, 4);
	memcpy(d + 40, &zero, 4);
	memcpy(d + 44, &zero, 4);
	memcpy(d + 48, &zero, 4);
	memcpy(d + 52, &res, 4);
	for (i = 0; i < max; i++) {
		e[0] = fz_gpa();
		e[1] = fz_igpa();
		if (i && fz_rand() % 8 == 0)		/* overlapping entries */
			memcpy(e, d + 56 + 16 * (fz_rand() % i), 16);
		memcpy(d + 56 + 16 * i, e, 16);
	}
}

static void fuzz(uint64_t n, uint64_t seed, uint64_t tokgpa)
{
	static const uint64_t others[] = { 31, 34, 35, HC_BATCH - 1, HC_RANGES + 1,
					   0x4b4d4200, 0x100000020ULL };
	uint64_t i, out, nr, a0, a1, a2, r, mapped = 0, unexpected = 0;
	uint64_t errs = 0, oks = 0, calls, guest_stops = 0, throttled = 0;
	uint8_t good[32];

	fz_state = seed | 1;
	quiet = 1;
	memcpy(good, ram + tokgpa, 32);
	for (i = 0; i < n; i++) {
		r = fz_rand() % 10;
		a1 = 0;
		a2 = 0;
		if (r < 4) {				/* single map */
			fz_token(tokgpa, good);
			nr = 32;
			a0 = fz_rand() % 16 ? tokgpa : fz_gpa();
			a1 = fz_gpa();
			a2 = fz_igpa();
		} else if (r < 6) {			/* single unmap */
			nr = 33;
			a0 = fz_igpa();
		} else if (r < 9) {			/* batch */
			fz_batch(tokgpa, good);
			nr = HC_BATCH;
			a0 = fz_rand() % 16 ? FZ_DESC : fz_gpa();
			a1 = fz_rand() % 16 ? 0 : fz_rand();
			a2 = fz_rand() % 16 ? 0 : fz_rand();
		} else if (fz_rand() % 4 == 0) {	/* status page */
			nr = HC_STATUS;
			r = fz_rand() % 4;
			a0 = r == 0 ? fz_gpa() : r == 1 ? ~0ULL : FZ_STATUS;
			a1 = fz_rand() % 16 ? 0 : fz_rand();
		} else if (fz_rand() % 5 == 0) {	/* RAM ranges */
			uint32_t count = fz_rand() % 8 ? fz_rand() % 254 : fz_rand();

			fz_token(tokgpa, good);
			memcpy(ram + FZ_DESC, ram + tokgpa, 32);
			memcpy(ram + FZ_DESC + 32, &count, 4);
			nr = HC_RANGES;
			r = fz_rand() % 8;
			/* the descriptor, one crossing its page, anywhere */
			a0 = r < 5 ? FZ_DESC : r == 5 ? FZ_DESC + 4064 : fz_gpa();
			a1 = fz_rand() % 16 ? 0 : fz_rand();
			a2 = fz_rand() % 16 ? 0 : fz_rand();
		} else if (fz_rand() % 3 == 0) {	/* window chunk */
			nr = HC_WINDOW;
			r = fz_rand() % 3;
			/* never a chunk over our own code and tables */
			a0 = r == 0 ? FZ_WIN : r == 1 ? fz_gpa() | 0x1000 :
			     (ram_size + (fz_rand() % 4) * 0x200000) & ~0x1fffffULL;
			a1 = fz_rand() % 8 ? (fz_rand() % 2) * 512 : fz_rand();
			a2 = fz_rand() % 16 ? 0 : fz_rand();
		} else {				/* not ours */
			nr = others[fz_rand() % (sizeof(others) / sizeof(others[0]))];
			a0 = fz_rand();
			a1 = fz_rand();
			a2 = fz_rand();
		}
		if (run_once(&vcpus[0], CODE_GPA, nr, a0, a1, a2, &out)) {
			/*
			 * The vCPU stopped (shutdown, internal error): its
			 * own state, not an answer. Put it back, count it.
			 */
			if (++guest_stops > 10)
				break;
			long_mode(&vcpus[0]);
			continue;
		}
		if (nr != 32 && nr != 33 && nr != HC_BATCH && nr != HC_STATUS &&
		    nr != HC_WINDOW && nr != HC_RANGES) {
			unexpected += out != ENOSYS_RAX;
			continue;
		}
		if ((int64_t)out < 0)
			errs++;
		else
			oks++;
		if (nr == 32 && out <= 1)
			mapped++;
		throttled += out == (uint64_t)-11;
		/* a single map answers only RO (0), RW (1) or an errno */
		if (nr == 32 && (int64_t)out > 1)
			unexpected++;
		/* a batch answers at most the entries it was given */
		if (nr == HC_BATCH && (int64_t)out > 64)
			unexpected++;
		/* a status call: 0, -EFAULT, -ENOMEM or -EINVAL */
		if (nr == HC_STATUS && out && out != (uint64_t)-14 &&
		    out != (uint64_t)-12 && out != (uint64_t)-22)
			unexpected++;
		/* ranges: how many (a VM has at most 32,764 memslots), or
		 * -EINVAL, -EFAULT, -EACCES, -EAGAIN, -ENOMEM
		 */
		if (nr == HC_RANGES && (int64_t)out > 32764)
			unexpected++;
		if (nr == HC_RANGES && (int64_t)out < 0 && out != (uint64_t)-22 &&
		    out != (uint64_t)-14 && out != (uint64_t)-13 &&
		    out != (uint64_t)-11 && out != (uint64_t)-12)
			unexpected++;
		/* a window call: 0, -EINVAL, -EFAULT, -EEXIST, -EOPNOTSUPP, -ENOMEM */
		if (nr == HC_WINDOW && out && out != (uint64_t)-22 &&
		    out != (uint64_t)-14 && out != (uint64_t)-17 &&
		    out != (uint64_t)-95 && out != (uint64_t)-12)
			unexpected++;
	}
	calls = i;
	memcpy(ram + tokgpa, good, 32);
	for (i = 0; i < FZ_SLOTS; i++)
		run_once(&vcpus[0], CODE_GPA, 33, FZ_POOL + i * 0x1000, 0, 0, &out);
	run_once(&vcpus[0], CODE_GPA, HC_STATUS, ~0ULL, 0, 0, &out);
	run_once(&vcpus[0], CODE_GPA, HC_WINDOW, FZ_WIN, 0, 0, &out);
	quiet = 0;
	printf("calls=%" PRIu64 " ok=%" PRIu64 " errors=%" PRIu64 " maps=%" PRIu64
	       " throttled=%" PRIu64 " vcpu_stops=%" PRIu64 " unexpected=%" PRIu64
	       "\n", calls, oks, errs, mapped, throttled, guest_stops,
	       unexpected + (guest_stops > 10));
}

/*
 * Every one-bit flip of the token at @tokgpa must be refused: -EACCES, or
 * -EAGAIN once the host throttles the VM for too many bad tokens.
 */
static void flips(uint64_t tokgpa, uint64_t tgpa, uint64_t igpa)
{
	uint64_t out, eacces = 0, eagain = 0, other = 0;
	int bit;

	quiet = 1;
	for (bit = 0; bit < 256; bit++) {
		ram[tokgpa + bit / 8] ^= 1 << (bit % 8);
		if (run_once(&vcpus[0], CODE_GPA, 32, tokgpa, tgpa, igpa, &out))
			out = 0;
		ram[tokgpa + bit / 8] ^= 1 << (bit % 8);
		if (out == (uint64_t)-13)
			eacces++;
		else if (out == (uint64_t)-11)
			eagain++;
		else
			other++;
	}
	quiet = 0;
	printf("eacces=%" PRIu64 " eagain=%" PRIu64 " other=%" PRIu64 "\n",
	       eacces, eagain, other);
}

/* The host page frame under @gpa, and whether it is part of a THP. */
static void page_info(uint64_t gpa)
{
	uint64_t ent = 0, flags = 0, pfn;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0 || pread(fd, &ent, 8, ((uintptr_t)ram + gpa) / 4096 * 8) != 8 ||
	    !(ent >> 63)) {
		printf("page: not present\n");
		goto out;
	}
	close(fd);
	pfn = ent & ((1ULL << 55) - 1);
	fd = open("/proc/kpageflags", O_RDONLY);
	if (fd < 0 || pread(fd, &flags, 8, pfn * 8) != 8) {
		printf("page: kpageflags: %s\n", strerror(errno));
		goto out;
	}
	printf("pfn=0x%" PRIx64 " thp=%d\n", pfn, (int)(flags >> 22 & 1));
out:
	if (fd >= 0)
		close(fd);
}

static pid_t child;

static void command(char *line)
{
	uint64_t a[5] = { 0 }, out, i;
	char cmd[32] = "";
	int n;

	char *tok, *save = NULL;

	n = 0;
	for (tok = strtok_r(line, " \t\n", &save); tok && n < 5;
	     tok = strtok_r(NULL, " \t\n", &save), n++) {
		if (!n)
			snprintf(cmd, sizeof(cmd), "%s", tok);
		else
			a[n - 1] = strtoull(tok, NULL, 0);
	}
	if (n < 1)
		return;
	if (!strcmp(cmd, "hc") && n >= 5) {
		if (!run_once(&vcpus[0], CODE_GPA, a[0], a[1], a[2], a[3], &out))
			printf("rax=0x%" PRIx64 "\n", out);
	} else if (!strcmp(cmd, "cpl") && n >= 2 && a[0] < 4) {
		printf("cpl=%d\n", set_cpl(&vcpus[0], a[0]));
	} else if (!strcmp(cmd, "gread") && n >= 2) {
		if (!run_once(&vcpus[0], CODE_GPA + 0x10, 0, a[0], 0, 0, &out))
			printf("val=0x%" PRIx64 "\n", out);
	} else if (!strcmp(cmd, "gwrite") && n >= 3) {
		if (!run_once(&vcpus[0], CODE_GPA + 0x20, 0, a[0], a[1], 0, &out))
			printf("ok\n");
	} else if (!strcmp(cmd, "peek") && n >= 3 && in_ram(a[0], a[1])) {
		for (i = 0; i < a[1]; i++)
			printf("%02x", ram[a[0] + i]);
		printf("\n");
	} else if (!strcmp(cmd, "poke") && n >= 3 && in_ram(a[0], 8)) {
		memcpy(ram + a[0], &a[1], 8);
		printf("ok\n");
	} else if (!strcmp(cmd, "fill") && n >= 4 && in_ram(a[0], a[1])) {
		for (i = 0; i < a[1]; i++)
			ram[a[0] + i] = (uint8_t)((a[0] + i) * 131 + a[2] +
						  ((a[0] + i) >> 12));
		printf("ok\n");
	} else if (!strcmp(cmd, "dup") && n >= 4 && in_ram(a[0], a[1])) {
		for (i = 0; i < a[1]; i++)
			ram[a[0] + i] = (uint8_t)(((a[0] + i) & 0xfff) * 131 + a[2]);
		printf("ok\n");
	} else if (!strcmp(cmd, "protect") && n >= 4 && in_ram(a[0], a[1]) &&
		   !(a[0] & 0xfff)) {
		printf("%s\n", mprotect(ram + a[0], a[1], a[2]) ? strerror(errno) : "ok");
	} else if (!strcmp(cmd, "advise") && n >= 4 && in_ram(a[0], a[1]) &&
		   !(a[0] & 0xfff)) {
		printf("%s\n", madvise(ram + a[0], a[1], a[2]) ? strerror(errno) : "ok");
	} else if (!strcmp(cmd, "replace") && n >= 4 && in_ram(a[0], a[1]) &&
		   !(a[0] & 0xfff) && !(a[1] & 0xfff)) {
		if (mmap(ram + a[0], a[1], PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) {
			printf("mmap: %s\n", strerror(errno));
		} else {
			for (i = 0; i < a[1]; i++)
				ram[a[0] + i] = (uint8_t)((a[0] + i) * 131 + a[2]);
			printf("ok\n");
		}
	} else if (!strcmp(cmd, "addslot") && n >= 4 && !(a[0] & 0xfff) && a[1] &&
		   a[1] <= 1024) {
		struct kvm_userspace_memory_region mr = {
			.slot = 2, .guest_phys_addr = a[0], .memory_size = a[1] << 20,
		};
		uint8_t *p = mmap(NULL, mr.memory_size, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			printf("mmap: %s\n", strerror(errno));
		} else {
			for (i = 0; i < mr.memory_size; i++)
				p[i] = (uint8_t)(i * 131 + a[2]);
			mr.userspace_addr = (uintptr_t)p;
			printf("%s\n", ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) ?
			       strerror(errno) : "ok");
		}
	} else if (!strcmp(cmd, "newvm") && !counter_running) {
		destroy_vm();
		create_vm();
		printf("ok\n");
	} else if (!strcmp(cmd, "maplimit") && n >= 4) {
		int fd = open("/proc/sys/vm/max_map_count", O_RDWR);
		char was[32] = "", lim[32];
		ssize_t len = fd < 0 ? -1 : pread(fd, was, sizeof(was) - 1, 0);

		snprintf(lim, sizeof(lim), "%" PRIu64 "\n", a[2]);
		if (len <= 0 || pwrite(fd, lim, strlen(lim), 0) < 0) {
			printf("max_map_count: %s\n", strerror(errno));
		} else {
			n = run_once(&vcpus[0], CODE_GPA, a[0], a[1], 0, 0, &out);
			if (pwrite(fd, was, len, 0) < 0)
				die("max_map_count");
			if (!n)
				printf("rax=0x%" PRIx64 "\n", out);
		}
		if (fd >= 0)
			close(fd);
	} else if (!strcmp(cmd, "unplug")) {
		struct kvm_userspace_memory_region mr = {
			.userspace_addr = (uintptr_t)ram,
		};

		printf("%s\n", ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) ?
		       strerror(errno) : "ok");
	} else if (!strcmp(cmd, "pageout") && n >= 3 && in_ram(a[0], a[1])) {
		printf("%s\n", madvise(ram + (a[0] & ~0xfffULL), a[1], MADV_PAGEOUT) ?
		       strerror(errno) : "ok");
	} else if (!strcmp(cmd, "ram")) {
		printf("hva=%p size=0x%" PRIx64 "\n", (void *)ram, ram_size);
	} else if (!strcmp(cmd, "merge")) {
		printf("%s\n", madvise(ram, ram_size, MADV_MERGEABLE) ? strerror(errno) : "ok");
	} else if (!strcmp(cmd, "sum") && n >= 3 && in_ram(a[0], a[1])) {
		printf("sum=0x%016" PRIx64 "\n", fnv(ram + a[0], a[1]));
	} else if (!strcmp(cmd, "wsum") && n >= 3 && in_ram(a[0], a[1]) && !(a[1] % 8)) {
		uint64_t h = 0xcbf29ce484222325ULL, *w = (uint64_t *)(ram + a[0]);

		for (a[1] /= 8; a[1]--; w++)
			h = (h ^ *w) * 0x100000001b3ULL;
		printf("wsum=0x%016" PRIx64 "\n", h);
	} else if (!strcmp(cmd, "discard") && n >= 2 && in_ram(a[0], 8)) {
		if (madvise(ram + (a[0] & ~0xfffULL), 0x1000, MADV_DONTNEED))
			printf("madvise: %s\n", strerror(errno));
		else
			printf("ok\n");
	} else if (!strcmp(cmd, "punch") && n >= 2 && in_ram(a[0], 8)) {
		if (ram_fd < 0)
			printf("punch: RAM is not a memfd\n");
		else if (fallocate(ram_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   a[0] & ~0xfffULL, 0x1000))
			printf("fallocate: %s\n", strerror(errno));
		else
			printf("ok\n");
	} else if (!strcmp(cmd, "blocks") && ram_fd >= 0) {
		struct stat st;

		if (fstat(ram_fd, &st))
			printf("fstat: %s\n", strerror(errno));
		else
			printf("blocks=%lld\n", (long long)st.st_blocks);
	} else if (!strcmp(cmd, "dirtylog") && n >= 2) {
		struct kvm_userspace_memory_region mr = {
			.flags = a[0] ? KVM_MEM_LOG_DIRTY_PAGES : 0,
			.memory_size = ram_size,
			.userspace_addr = (uintptr_t)ram,
		};

		if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mr))
			printf("dirtylog: %s\n", strerror(errno));
		else
			printf("ok\n");
	} else if (!strcmp(cmd, "page") && n >= 2 && in_ram(a[0], 8)) {
		page_info(a[0]);
	} else if (!strcmp(cmd, "fork") && !child) {
		pid_t parent = getpid();

		child = fork();
		if (!child) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			while (getppid() == parent)
				pause();
			_exit(0);
		}
		printf("%s\n", child > 0 ? "ok" : strerror(errno));
		if (child < 0)
			child = 0;
	} else if (!strcmp(cmd, "unfork") && child) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = 0;
		printf("ok\n");
	} else if (!strcmp(cmd, "fuzz") && n >= 4 && in_ram(a[2], 32)) {
		fuzz(a[0], a[1], a[2]);
	} else if (!strcmp(cmd, "flips") && n >= 4 && in_ram(a[0], 32)) {
		flips(a[0], a[1], a[2]);
	} else if (!strcmp(cmd, "counter") && n >= 2 && in_ram(a[0], 8) &&
		   !counter_running) {
		counter_running = 1;
		vcpus[1].run->immediate_exit = 0;
		pthread_create(&counter_thread, NULL, counter_main,
			       (void *)(uintptr_t)a[0]);
		printf("ok\n");
	} else if (!strcmp(cmd, "stopcounter") && counter_running) {
		counter_running = 0;
		vcpus[1].run->immediate_exit = 1;
		pthread_kill(counter_thread, SIGUSR1);
		pthread_join(counter_thread, NULL);
		printf("ok\n");
	} else if (!strcmp(cmd, "pid")) {
		printf("pid=%d\n", getpid());
	} else if (!strcmp(cmd, "quit")) {
		exit(0);
	} else {
		printf("bad command\n");
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	char line[256];

	sigaction(SIGUSR1, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup_vm(argc > 1 ? strtoull(argv[1], NULL, 0) : 64,
		 argc > 2 && !strcmp(argv[2], "memfd"));
	printf("ready pid=%d ram=%" PRIu64 "\n", getpid(), ram_size >> 20);
	while (fgets(line, sizeof(line), stdin))
		command(line);
	return 0;
}
