// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: the tracepoints' definitions.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/kvm_host.h>

/**
 * DOC: Tracepoints, theory of operation
 *
 * The host module leaves an audit trail in the kernel's tracing ring
 * buffers, in the "kvmmem" trace system (/sys/kernel/tracing/events/kvmmem/,
 * ``trace-cmd record -e kvmmem``, ``perf record -e 'kvmmem:*'``):
 *
 * - kvmmem_grant: a grant made (grant.c): its id, the VMM pids of target
 *   and introspector, the gpa range (end exclusive), rights, page quota
 *   and expiry in ms (0: never).
 * - kvmmem_grant_end: a grant ended, with the reason grant_kill() was
 *   given ("revoked", "expired", "target VM gone", "introspector VM gone",
 *   "module unload", ...) and the pages mapped under it in all.
 * - kvmmem_map and kvmmem_unmap (hcall.c): one event per KVM_HC_MEM_MAP or
 *   KVM_HC_MEM_UNMAP hypercall and one per entry of a KVM_HC_MEM_BATCH
 *   batch that was tried, whatever the outcome; a run entry is one event
 *   for its whole run (first gpas and the number of pages). A map event
 *   carries the grant (0 and target pid -1 when the token was refused),
 *   the rights it gave and the errno; an unmap event has no grant or
 *   target: hcall.c does not know them.
 * - kvmmem_batch_refused: a batch hypercall refused whole (bad
 *   descriptor, bad token), before any entry was tried.
 * - kvmmem_token_refused: a token that matched no grant of the calling
 *   VM, or a call refused unseen while that VM is throttled.
 *
 * Events are recorded where pr_info and the statistics already note the
 * same things, with kvmmem_lock held. They copy chosen fields of a grant
 * and never read its token: no event carries a token, or any part of one,
 * whether it was accepted or refused. The pids are those in KVM's name of
 * each VM ("kvm-<pid>"), as in kvmmem-host's listing.
 *
 * The disabled cost is a static branch per call site. The event
 * definitions are in trace.h; this file instantiates them
 * (CREATE_TRACE_POINTS).
 */

#define CREATE_TRACE_POINTS
#include "trace.h"
