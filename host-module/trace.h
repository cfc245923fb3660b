/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmmem host: tracepoints, the audit trail (see trace.c).
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvmmem

#if !defined(_KVMMEM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KVMMEM_TRACE_H

#include <linux/errno.h>
#include <linux/err.h>
#include <linux/tracepoint.h>
#include <linux/kvmmem.h>
#include <kvmmem_compat.h>

#include "grant.h"

#ifndef _KVMMEM_TRACE_DECL
#define _KVMMEM_TRACE_DECL
struct kvm;

/* rights of a map event that mapped nothing */
#define KVMMEM_TRACE_NO_RIGHTS	2

#define kvmmem_trace_rights(r)					\
	__print_symbolic(r, { KVMMEM_MAP_RO, "ro" },		\
			 { KVMMEM_MAP_RW, "rw" },		\
			 { KVMMEM_TRACE_NO_RIGHTS, "none" })

/* 0: a single hypercall (KVM_HC_MEM_MAP or KVM_HC_MEM_UNMAP) */
#define kvmmem_trace_op(op)						\
	__print_symbolic(op, { 0, "single" },				\
			 { KVMMEM_BATCH_OP_MAP, "batch_map" },		\
			 { KVMMEM_BATCH_OP_UNMAP, "batch_unmap" },	\
			 { KVMMEM_BATCH_OP_MAP_RUN, "batch_map_run" },	\
			 { KVMMEM_BATCH_OP_UNMAP_RUN, "batch_unmap_run" })

/* the reasons of kvmmem_token_refused, as hcall.c logs them */
#define kvmmem_trace_refusal(err)					\
	__print_symbolic(err, { EACCES, "no grant for this token" },	\
			 { EAGAIN, "too many bad tokens, backing off" })

#endif /* _KVMMEM_TRACE_DECL */

/*
 * Each event copies chosen fields of a grant, never its token. A grant
 * pointer may be NULL or an ERR_PTR (the token was refused): grant 0 and
 * target pid -1 then stand for "unknown".
 */
TRACE_EVENT(kvmmem_grant,
	    TP_PROTO(const struct kvmmem_grant *g, u64 expire_ms),
	    TP_ARGS(g, expire_ms),
	    TP_STRUCT__entry(__field(u64, grant)
			     __field(pid_t, target_pid)
			     __field(pid_t, intro_pid)
			     __field(u64, gpa_start)
			     __field(u64, gpa_end)
			     __field(u8, rights)
			     __field(u32, quota)
			     __field(u64, expire_ms)),
	    TP_fast_assign(__entry->grant = g->id;
			   __entry->target_pid = g->target_pid;
			   __entry->intro_pid = g->intro_pid;
			   __entry->gpa_start = g->gpa_start;
			   __entry->gpa_end = g->gpa_end;
			   __entry->rights = g->flags & KVMMEM_GRANT_WRITE ?
					     KVMMEM_MAP_RW : KVMMEM_MAP_RO;
			   __entry->quota = g->max_pages;
			   __entry->expire_ms = expire_ms;),
	    TP_printk("grant=%llu target=%d intro=%d gpa_start=%#llx gpa_end=%#llx rights=%s quota=%u expire_ms=%llu",
		      __entry->grant, __entry->target_pid, __entry->intro_pid,
		      __entry->gpa_start, __entry->gpa_end,
		      kvmmem_trace_rights(__entry->rights), __entry->quota,
		      __entry->expire_ms)
);

TRACE_EVENT(kvmmem_grant_end,
	    TP_PROTO(const struct kvmmem_grant *g, const char *reason),
	    TP_ARGS(g, reason),
	    TP_STRUCT__entry(__field(u64, grant)
			     __field(pid_t, target_pid)
			     __field(pid_t, intro_pid)
			     __field(u64, maps_total)
			     __string(reason, reason)),
	    TP_fast_assign(__entry->grant = g->id;
			   __entry->target_pid = g->target_pid;
			   __entry->intro_pid = g->intro_pid;
			   __entry->maps_total = g->maps_total;
			   kvmmem_assign_str(reason, reason);),
	    TP_printk("grant=%llu target=%d intro=%d maps_total=%llu reason=%s",
		      __entry->grant, __entry->target_pid, __entry->intro_pid,
		      __entry->maps_total, __get_str(reason))
);

TRACE_EVENT(kvmmem_map,
	    TP_PROTO(const struct kvm *intro, const struct kvmmem_grant *g,
		     u64 target_gpa, u64 intro_gpa, unsigned int pages, u32 op,
		     long ret),
	    TP_ARGS(intro, g, target_gpa, intro_gpa, pages, op, ret),
	    TP_STRUCT__entry(__field(u64, grant)
			     __field(pid_t, intro_pid)
			     __field(pid_t, target_pid)
			     __field(u64, target_gpa)
			     __field(u64, intro_gpa)
			     __field(u32, pages)
			     __field(u32, op)
			     __field(u8, rights)
			     __field(int, ret)),
	    TP_fast_assign(__entry->grant = IS_ERR_OR_NULL(g) ? 0 : g->id;
			   __entry->intro_pid = kvmmem_vm_pid(intro);
			   __entry->target_pid = IS_ERR_OR_NULL(g) ? -1 :
						 g->target_pid;
			   __entry->target_gpa = target_gpa;
			   __entry->intro_gpa = intro_gpa;
			   __entry->pages = pages;
			   __entry->op = op;
			   /* a map answers its rights, or an error */
			   __entry->rights = ret >= 0 ? ret :
					     KVMMEM_TRACE_NO_RIGHTS;
			   __entry->ret = ret < 0 ? ret : 0;),
	    TP_printk("grant=%llu intro=%d target=%d target_gpa=%#llx intro_gpa=%#llx pages=%u op=%s rights=%s ret=%d",
		      __entry->grant, __entry->intro_pid, __entry->target_pid,
		      __entry->target_gpa, __entry->intro_gpa, __entry->pages,
		      kvmmem_trace_op(__entry->op),
		      kvmmem_trace_rights(__entry->rights), __entry->ret)
);

/* The mapping's grant and target are not known where unmaps are decoded. */
TRACE_EVENT(kvmmem_unmap,
	    TP_PROTO(const struct kvm *intro, u64 intro_gpa, unsigned int pages,
		     u32 op, long ret),
	    TP_ARGS(intro, intro_gpa, pages, op, ret),
	    TP_STRUCT__entry(__field(pid_t, intro_pid)
			     __field(u64, intro_gpa)
			     __field(u32, pages)
			     __field(u32, op)
			     __field(int, ret)),
	    TP_fast_assign(__entry->intro_pid = kvmmem_vm_pid(intro);
			   __entry->intro_gpa = intro_gpa;
			   __entry->pages = pages;
			   __entry->op = op;
			   __entry->ret = ret < 0 ? ret : 0;),
	    TP_printk("intro=%d intro_gpa=%#llx pages=%u op=%s ret=%d",
		      __entry->intro_pid, __entry->intro_gpa, __entry->pages,
		      kvmmem_trace_op(__entry->op), __entry->ret)
);

/* A batch hypercall refused whole: nothing in it was tried. */
TRACE_EVENT(kvmmem_batch_refused,
	    TP_PROTO(const struct kvm *intro, u64 gpa, u32 op, u32 count,
		     long ret),
	    TP_ARGS(intro, gpa, op, count, ret),
	    TP_STRUCT__entry(__field(pid_t, intro_pid)
			     __field(u64, gpa)
			     __field(u32, op)
			     __field(u32, count)
			     __field(int, ret)),
	    TP_fast_assign(__entry->intro_pid = kvmmem_vm_pid(intro);
			   __entry->gpa = gpa;
			   __entry->op = op;
			   __entry->count = count;
			   __entry->ret = ret;),
	    TP_printk("intro=%d descriptor_gpa=%#llx op=%u count=%u ret=%d",
		      __entry->intro_pid, __entry->gpa, __entry->op,
		      __entry->count, __entry->ret)
);

/* A token refused, for @err (-EACCES or -EAGAIN). Never the token. */
TRACE_EVENT(kvmmem_token_refused,
	    TP_PROTO(const struct kvm *intro, int err),
	    TP_ARGS(intro, err),
	    TP_STRUCT__entry(__field(pid_t, intro_pid)
			     __field(int, err)),
	    TP_fast_assign(__entry->intro_pid = kvmmem_vm_pid(intro);
			   __entry->err = -err;),
	    TP_printk("intro=%d errno=%d reason=%s",
		      __entry->intro_pid, __entry->err,
		      kvmmem_trace_refusal(__entry->err))
);

#endif /* _KVMMEM_TRACE_H */

/* out of tree: trace.c is built with -I$(src), so "./trace.h" is found */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
