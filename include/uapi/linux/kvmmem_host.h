/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * kvmmem: host control interface (/dev/kvmmem-host).
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#ifndef _UAPI_LINUX_KVMMEM_HOST_H
#define _UAPI_LINUX_KVMMEM_HOST_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/kvmmem.h>

/**
 * DOC: Host control ABI
 *
 * ``/dev/kvmmem-host`` is root-only: every ioctl needs CAP_SYS_ADMIN.
 * A grant binds a target VM and an introspector VM, each named by a file
 * descriptor of its KVM VM (``anon_inode:kvm-vm``), and returns a token.
 * The token only works in hypercalls from that introspector. A grant ends
 * on revoke, on expiry, or when either VM's process goes away.
 */

#define KVMMEM_GRANT_WRITE	(1U << 0)	/* read-write; default read-only */

/**
 * struct kvmmem_host_grant - argument of KVMMEM_HOST_GRANT
 * @target_fd: in: KVM VM file descriptor of the target
 * @intro_fd: in: KVM VM file descriptor of the introspector
 * @flags: in: KVMMEM_GRANT_*
 * @max_pages: in: page quota, 0 for the module's default cap
 * @gpa_start: in: first target gpa the grant covers
 * @gpa_end: in: end (exclusive) of the covered range, 0 for no limit
 * @expire_ms: in: lifetime in milliseconds, 0 for none
 * @id: out: the grant's identifier (for revoke and list)
 * @token: out: the capability to hand to the introspector
 */
struct kvmmem_host_grant {
	__s32 target_fd;
	__s32 intro_fd;
	__u32 flags;
	__u32 max_pages;
	__u64 gpa_start;
	__u64 gpa_end;
	__u64 expire_ms;
	__u64 id;
	struct kvmi_map_mem_token token;
};

/**
 * struct kvmmem_host_grant_info - one grant as listed; never carries the token
 * @id: grant identifier
 * @target_pid: pid of the target's VMM when the grant was made
 * @intro_pid: pid of the introspector's VMM when the grant was made
 * @flags: KVMMEM_GRANT_*
 * @max_pages: page quota
 * @gpa_start: first covered target gpa
 * @gpa_end: end of the covered range (exclusive)
 * @expires_in_ms: time left, -1 for no expiry
 * @mapped: pages mapped now under this grant
 * @maps_total: maps made under this grant so far
 */
struct kvmmem_host_grant_info {
	__u64 id;
	__s32 target_pid;
	__s32 intro_pid;
	__u32 flags;
	__u32 max_pages;
	__u64 gpa_start;
	__u64 gpa_end;
	__s64 expires_in_ms;
	__u64 mapped;
	__u64 maps_total;
};

/**
 * struct kvmmem_host_list - argument of KVMMEM_HOST_LIST
 * @count: in: room in @grants; out: number of grants that exist
 * @pad: must be zero
 * @grants: user pointer to an array of &struct kvmmem_host_grant_info
 */
struct kvmmem_host_list {
	__u32 count;
	__u32 pad;
	__u64 grants;
};

#define KVMMEM_HOST_MAGIC	0xB7
#define KVMMEM_HOST_GRANT	_IOWR(KVMMEM_HOST_MAGIC, 0x01, struct kvmmem_host_grant)
#define KVMMEM_HOST_REVOKE	_IOW(KVMMEM_HOST_MAGIC, 0x02, __u64)
#define KVMMEM_HOST_LIST	_IOWR(KVMMEM_HOST_MAGIC, 0x03, struct kvmmem_host_list)

#endif /* _UAPI_LINUX_KVMMEM_HOST_H */
