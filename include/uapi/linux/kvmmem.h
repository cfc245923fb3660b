/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * kvmmem: map guest-physical pages of a target VM into an introspector VM.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#ifndef _UAPI_LINUX_KVMMEM_H
#define _UAPI_LINUX_KVMMEM_H

#include <linux/types.h>
#include <linux/ioctl.h>

/**
 * DOC: Introspector ABI
 *
 * A process in the introspector VM opens ``/dev/kvmmem`` (guest module) and
 * asks it to back one page of its address space with one page of the target
 * VM. The guest module turns the request into a hypercall that the host
 * module (kvmmem_host) answers. The ioctl numbers, the structure layouts and
 * the hypercall numbers below are those of the original KVMI design and must
 * never change.
 *
 * KVM_INTRO_MEM_MAP takes a &struct kvmi_mem_map: the token that the host
 * issued, the target's guest-physical address @gpa and the caller's virtual
 * address @gva. Both addresses must be page aligned. The page at @gva is
 * replaced by a page owned by the guest module; the host then makes that
 * page's guest-physical frame be backed by the target's page. Returns 0, or
 * -1 with errno set (see "Hypercall errors").
 *
 * KVM_INTRO_MEM_UNMAP takes the address itself as the ioctl argument (by
 * value, not a pointer). Afterwards the caller's range reads as zeros.
 */

/* Hypercall numbers (RAX). a0 = RBX, a1 = RCX, a2 = RDX. */
#define KVM_HC_MEM_MAP		32
#define KVM_HC_MEM_UNMAP	33

/**
 * struct kvmi_map_mem_token - capability issued by the host
 * @token: 256 bits from the host kernel's CSPRNG
 *
 * The token is 32 opaque bytes; the host compares them as bytes. Its text,
 * in token files, on standard output, through the token port and in
 * KVMMEM_TOKEN, is 64 hex digits: the token's 32 bytes in memory order,
 * byte 0 first, two digits a byte (lower case written, either case read).
 * It does not depend on the machine's byte order. Test vector: the bytes
 * 00 01 02 ... 1f are the text
 *
 *   000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
 *
 * and on x86-64 (little endian) token[0] == 0x0706050403020100. Earlier
 * versions of the tools wrote each of the four words as a number instead
 * (token[0] first, most significant digit first). Their token files are
 * not read as the same token (the host answers EACCES): have the grant
 * issued anew.
 */
struct kvmi_map_mem_token {
	__u64 token[4];
};

/**
 * struct kvmi_mem_map - argument of KVM_INTRO_MEM_MAP
 * @token: the grant's token
 * @gpa: guest-physical address in the target VM (page aligned)
 * @gva: virtual address in the calling process (page aligned)
 */
struct kvmi_mem_map {
	struct kvmi_map_mem_token token;
	__u64 gpa;
	__u64 gva;
};

#define KVM_INTRO_MEM_MAP	_IOW('i', 0x01, struct kvmi_mem_map)
#define KVM_INTRO_MEM_UNMAP	_IOW('i', 0x02, unsigned long)

/**
 * DOC: Hypercall ABI
 *
 * KVM_HC_MEM_MAP: a0 is the guest-physical address of a 32-byte
 * &struct kvmi_map_mem_token in the introspector's memory (the original
 * design passed a guest-virtual pointer, which the host cannot resolve
 * safely), a1 is the target gpa, a2 is the introspector gpa whose frame is
 * to be backed by the target's page. Both gpas must be page aligned.
 * On success RAX is KVMMEM_MAP_RO (0) for a read-only mapping or
 * KVMMEM_MAP_RW (1) for a writable one.
 *
 * KVM_HC_MEM_UNMAP: a0 is the introspector gpa. Returns 0. Afterwards the
 * frame is backed by ordinary memory again; its contents are undefined (the
 * guest module zeroes it). If the host cannot give the frame its memory
 * back, the unmap fails (-ENOMEM, say), but the mapping has ended all the
 * same: the frame then reads as KVMMEM_REVOKED_PATTERN, its writes reach no
 * target, and it should be kept out of use (the guest module quarantines
 * it); a later unmap may still succeed.
 *
 * Hypercall errors (negative values in RAX; 32-bit callers see them
 * truncated to 32 bits, as with every KVM hypercall):
 *
 * - -KVM_ENOSYS (-1000): the VM holds no grant as introspector, or the host
 *   module is not loaded.
 * - -KVM_EPERM (-1): issued from guest user mode.
 * - -EACCES: the token is wrong, unreadable, revoked, expired or belongs to
 *   another introspector (one error for all, so probing learns nothing;
 *   nothing else is checked before the token).
 * - -EINVAL: an address is not page aligned.
 * - -EFAULT: the introspector gpa is not in its ordinary RAM.
 * - -ENXIO: the target gpa is not in an ordinary, writable user memslot of
 *   the target (outside RAM, a KVM-private slot or a read-only slot).
 * - -ERANGE: the target gpa is outside the grant's range.
 * - -ELOOP: the target gpa is itself backed by an overlay (chaining).
 * - -EEXIST: the introspector gpa is already mapped.
 * - -ENOENT: (unmap) the introspector gpa is not mapped.
 * - -EDQUOT: the grant's page quota is used up.
 * - -EBUSY: a writable map while the target's dirty logging is on, the
 *   target page is part of a huge page that could not be split, or the
 *   target's memory there kept changing while the host took it.
 * - -EOPNOTSUPP: the introspector's RAM at that gpa is hugetlb-backed or
 *   otherwise cannot be overlaid.
 * - -EMEDIUMTYPE: the target's RAM at that gpa is hugetlb-backed
 *   (hugetlbfs, shared or private), which kvmmem cannot map.
 * - -ENOMEM: the host is out of memory.
 *
 * 32-bit guests: KVM truncates the arguments of a hypercall issued outside
 * 64-bit mode to 32 bits, so such guests can use gpas below 4 GiB only.
 */
#define KVMMEM_MAP_RO		0
#define KVMMEM_MAP_RW		1

/**
 * DOC: Batch ABI (kvmmem's own, beyond the original design)
 *
 * KVM_INTRO_MEM_MAP_BATCH maps @count pages in one call: entry i asks for
 * the target's @gpa at the caller's @gva, as KVM_INTRO_MEM_MAP does, all
 * under one token. KVM_INTRO_MEM_UNMAP_BATCH unmaps @count addresses (only
 * each entry's @gva is read; @token is ignored). Entries are handled in
 * order and the call stops at the first that fails: it then returns -1 with
 * errno set as for that entry alone, and @done tells how many entries took
 * effect before it. On success @done is @count. A fatal signal stops the
 * call between two entries (EINTR, with @done set); other signals do not.
 * At most KVMMEM_BATCH_MAX entries per call (EINVAL above, or for 0).
 *
 * The guest module sends them to the host in chunks of at most
 * KVMMEM_HC_BATCH_MAX entries, one KVM_HC_MEM_BATCH hypercall each, so the
 * vCPU returns to the guest between chunks and a long batch never stalls
 * it long enough for a watchdog to notice.
 */
struct kvmmem_batch_entry {
	__u64 gpa;
	__u64 gva;
};

/**
 * struct kvmmem_batch - argument of the batch ioctls
 * @token: the grant's token (map only)
 * @entries: user address of @count &struct kvmmem_batch_entry
 * @count: number of entries, 1..KVMMEM_BATCH_MAX
 * @done: out: entries that took effect, from the first
 */
struct kvmmem_batch {
	struct kvmi_map_mem_token token;
	__u64 entries;
	__u32 count;
	__u32 done;
};

#define KVMMEM_BATCH_MAX		65536
#define KVM_INTRO_MEM_MAP_BATCH		_IOWR('i', 0x03, struct kvmmem_batch)
#define KVM_INTRO_MEM_UNMAP_BATCH	_IOWR('i', 0x04, struct kvmmem_batch)

/**
 * DOC: Batch hypercall
 *
 * KVM_HC_MEM_BATCH (a number far from KVM's own, which are small, and from
 * the original 32 and 33): a0 is the guest-physical address of a
 * &struct kvmmem_hc_batch followed by its entries, in the introspector's
 * memory; a1 and a2 must be 0. The host handles the entries in order,
 * stops at the first failure (or when the introspector's VMM gets a fatal
 * signal: -EINTR) and writes @done, @error and, for a map, @rights back.
 * RAX is the number of entries that took effect (>= 0; the same as @done,
 * so nothing is lost if the descriptor cannot be written back), or a
 * negative error for the whole call, with nothing done: -KVM_ENOSYS as for
 * 32 and 33, -EFAULT when the descriptor cannot be read, -EINVAL for a bad
 * @op, @count or @reserved or a non-zero a1 or a2, -EACCES for a bad token
 * (map).
 *
 * The run ops map and unmap runs of consecutive pages into the slots of a
 * window chunk (see "Window ABI"): entry i covers the pages
 * @target_gpa + k * 4096 -> (@intro_gpa & ~4095) + k * 4096 for
 * k < (@intro_gpa & 4095) + 1, all inside one registered chunk. A run takes
 * effect whole or not at all, so @done still counts entries. Run errors are
 * those of KVM_HC_MEM_MAP, plus -EFAULT for slots outside a chunk, -EINVAL
 * for a run that leaves its chunk, -EEXIST (map) when a slot is taken,
 * -ENOENT (unmap) when a slot is empty and -EXDEV (map) when the chunk
 * holds pages of another grant.
 */
#define KVM_HC_MEM_BATCH	0x4b4d4201	/* "KMB", 1 */
#define KVMMEM_HC_BATCH_MAX	64
#define KVMMEM_BATCH_OP_MAP	1
#define KVMMEM_BATCH_OP_UNMAP	2
#define KVMMEM_BATCH_OP_MAP_RUN	3
#define KVMMEM_BATCH_OP_UNMAP_RUN 4

/**
 * struct kvmmem_hc_batch - KVM_HC_MEM_BATCH descriptor
 * @token: the grant's token (map only)
 * @op: KVMMEM_BATCH_OP_MAP or KVMMEM_BATCH_OP_UNMAP
 * @count: entries that follow, 1..KVMMEM_HC_BATCH_MAX
 * @done: out: entries that took effect
 * @error: out: 0, or the negative error of entry @done
 * @rights: out (map): KVMMEM_MAP_RO or KVMMEM_MAP_RW
 * @reserved: must be 0
 * @ent: target gpa (map only) and introspector gpa of each entry
 */
struct kvmmem_hc_batch {
	struct kvmi_map_mem_token token;
	__u32 op;
	__u32 count;
	__u32 done;
	__s32 error;
	__u32 rights;
	__u32 reserved;
	struct {
		__u64 target_gpa;
		__u64 intro_gpa;
	} ent[];
};

/*
 * A revoked mapping (revoke, expiry, target exit) stays in place until the
 * introspector unmaps it, but reads as this 16-byte pattern, repeated; its
 * writes reach a private page and nothing else.
 */
#define KVMMEM_REVOKED_PATTERN	"kvmmem:revoked!\n"

/**
 * DOC: Status page (kvmmem's own, beyond the original design)
 *
 * A process can tell that one of its mappings was revoked without a
 * hypercall: mmap() one page of ``/dev/kvmmem`` at offset
 * KVMMEM_STATUS_OFFSET, read-only and shared. It is a &struct kvmmem_status
 * that the host updates. The host adds one to @revocations *before* each
 * revocation of a mapping of this VM takes effect, so a reader that
 *
 * 1. notes @revocations,
 * 2. reads mapped pages,
 * 3. reads @revocations again (after a read barrier)
 *
 * and finds it unchanged has read no byte of a revoked mapping. If it
 * changed, some mapping of the VM (of any process) was revoked; which one is
 * not recorded: unmap and map again what is still needed (maps under a dead
 * grant fail with EACCES). The counter only grows while the VM runs.
 *
 * The guest module asks the host to keep the page current on the first map
 * after the module loads. @registered is then 1; it stays 0 with a host that
 * does not know the status page (the counter then never moves).
 */
#define KVMMEM_STATUS_OFFSET	0
#define KVMMEM_STATUS_VERSION	1

/**
 * struct kvmmem_status - the status page
 * @version: KVMMEM_STATUS_VERSION
 * @registered: 1 once the host keeps this page current
 * @revocations: mappings of this VM revoked so far (host)
 */
struct kvmmem_status {
	__u32 version;
	__u32 registered;
	__u64 revocations;
};

/*
 * KVM_HC_MEM_STATUS: a0 is the page-aligned gpa of a page of the
 * introspector's RAM that the host is to keep as its status page from now
 * on (replacing an earlier one), a1 and a2 must be 0. Only a VM that holds a
 * grant may register (-KVM_ENOSYS otherwise). The host writes @revocations
 * at once and whenever it changes; it forgets the page when the VM resets
 * or exits, or when a0 is KVMMEM_STATUS_NONE (any VM may ask that; 0).
 * Returns 0, -EINVAL (unaligned, a1 or a2 set) or -EFAULT (not ordinary
 * RAM of the VM).
 */
#define KVM_HC_MEM_STATUS	0x4b4d4202	/* "KMB", 2 */
#define KVMMEM_STATUS_NONE	(~0ULL)

/**
 * DOC: Window ABI (kvmmem's own, beyond the original design)
 *
 * Scanning a whole VM one caller-chosen page at a time costs the host a
 * mapping of its own per page. A window costs it one per chunk instead.
 * mmap() ``/dev/kvmmem`` shared, at offset KVMMEM_WINDOW_OFFSET, with a
 * length that is a multiple of KVMMEM_WINDOW_CHUNK (at most
 * KVMMEM_WINDOW_MAX); one window per open file, for the life of the file
 * (EBUSY for a second one). The guest module backs it with guest-physically
 * contiguous chunks of its own and registers each with the host, which
 * needs a grant (EOPNOTSUPP without one). Each page of the window is a
 * slot. The batch ioctls map target pages into slots and unmap them: an
 * entry's @gva is then an address inside the window, and all entries of a
 * call must be in the window or all outside it (EINVAL). KVM_INTRO_MEM_MAP
 * and KVM_INTRO_MEM_UNMAP work on slots too.
 *
 * An empty slot, and a slot whose mapping was revoked, reads as
 * KVMMEM_REVOKED_PATTERN; a revoked slot stays taken until it is unmapped.
 * A slot is writable only while it holds a page of a read-write grant;
 * other writes get SIGBUS. A chunk (each KVMMEM_WINDOW_CHUNK of the window)
 * holds pages of one grant at a time (EXDEV). Consecutive target pages in
 * consecutive slots are sent to the host as one run.
 */
#define KVMMEM_WINDOW_OFFSET	4096ULL
#define KVMMEM_WINDOW_CHUNK	(2ULL << 20)
#define KVMMEM_WINDOW_CHUNK_PAGES 512
#define KVMMEM_WINDOW_MAX	(64ULL << 30)

/*
 * KVM_HC_MEM_WINDOW: a0 is the gpa of a KVMMEM_WINDOW_CHUNK-aligned chunk
 * of the introspector's RAM. a1 = KVMMEM_WINDOW_CHUNK_PAGES registers it as
 * a window chunk (needs a grant, -KVM_ENOSYS otherwise): its frames are
 * then backed by the host's window, every slot empty. a1 = 0 unregisters
 * it, unmapping its slots, and gives the frames ordinary memory back
 * (contents undefined). a2 must be 0. Returns 0, -EINVAL (alignment, a1,
 * a2), -EFAULT (not ordinary RAM of the VM, or (unregister) not a chunk),
 * -EEXIST (already a chunk), -EOPNOTSUPP (RAM that cannot be overlaid) or
 * -ENOMEM.
 */
#define KVM_HC_MEM_WINDOW	0x4b4d4203	/* "KMB", 3 */

/**
 * DOC: RAM ranges (kvmmem's own, beyond the original design)
 *
 * KVM_INTRO_MEM_RANGES tells where the target's RAM is, so that a scan
 * need not probe for holes. It takes a &struct kvmmem_ranges: the token,
 * and a user array of @count &struct kvmmem_range (at most
 * KVMMEM_RANGES_MAX). The host fills it, from the lowest address up, with
 * the target's guest-physical ranges that a map under this grant accepts:
 * the target's ordinary, writable memslots (not ROM, not KVM's own slots),
 * cut to the grant's range, adjacent slots joined. @total is set to the
 * number of ranges there are, which may be more than @count (then call
 * again with more room); @count 0 asks for @total alone. The answer is a
 * snapshot: a VMM may add or remove memory at any time. Errors: those of
 * the token (EACCES, EAGAIN), EINVAL for @count over KVMMEM_RANGES_MAX,
 * EFAULT for an array that cannot be written.
 *
 * KVM_HC_MEM_RANGES: a0 is the gpa of a &struct kvmmem_hc_ranges followed
 * by room for @count ranges, all in one page of the introspector's RAM;
 * a1 and a2 must be 0. RAX is @total (>= 0), or -KVM_ENOSYS (no grant),
 * -EINVAL (a1, a2, @count over KVMMEM_HC_RANGES_MAX, or the buffer crosses
 * a page), -EFAULT (unreadable or unwritable), -EACCES or -EAGAIN (token).
 */
#define KVM_HC_MEM_RANGES	0x4b4d4204	/* "KMB", 4 */

/**
 * struct kvmmem_range - a range of guest-physical RAM
 * @start: first byte, page aligned
 * @end: end, exclusive, page aligned
 */
struct kvmmem_range {
	__u64 start;
	__u64 end;
};

/**
 * struct kvmmem_ranges - argument of KVM_INTRO_MEM_RANGES
 * @token: the grant's token
 * @ranges: user address of @count &struct kvmmem_range
 * @count: room in @ranges, 0..KVMMEM_RANGES_MAX
 * @total: out: how many ranges there are
 */
struct kvmmem_ranges {
	struct kvmi_map_mem_token token;
	__u64 ranges;
	__u32 count;
	__u32 total;
};

/**
 * struct kvmmem_hc_ranges - KVM_HC_MEM_RANGES descriptor
 * @token: the grant's token
 * @count: room for ranges that follow, 0..KVMMEM_HC_RANGES_MAX
 * @total: out: how many ranges there are
 * @range: out: the first min(@count, @total) ranges
 */
struct kvmmem_hc_ranges {
	struct kvmi_map_mem_token token;
	__u32 count;
	__u32 total;
	struct kvmmem_range range[];
};

#define KVMMEM_HC_RANGES_MAX	253	/* the descriptor fills a 4 KiB page */
#define KVMMEM_RANGES_MAX	KVMMEM_HC_RANGES_MAX
#define KVM_INTRO_MEM_RANGES	_IOWR('i', 0x05, struct kvmmem_ranges)

#endif /* _UAPI_LINUX_KVMMEM_H */
