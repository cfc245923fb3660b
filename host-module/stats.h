/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef _KVMMEM_STATS_H
#define _KVMMEM_STATS_H

#include <linux/atomic.h>
#include <linux/types.h>

struct dentry;

enum kvmmem_stat {
	KVMMEM_STAT_HC_SEEN,		/* hypercalls 32/33 that reached us */
	KVMMEM_STAT_MAPS,		/* successful maps */
	KVMMEM_STAT_UNMAPS,		/* successful unmaps */
	KVMMEM_STAT_FAILED,		/* refused or failed hypercalls */
	KVMMEM_STAT_BAD_TOKEN,		/* of which: no grant for the token */
	KVMMEM_STAT_LIVE,		/* mappings that exist now */
	KVMMEM_STAT_PINNED,		/* target pages pinned now (read-write) */
	KVMMEM_STAT_HELD,		/* target pages held now (read-only) */
	KVMMEM_STAT_REVOKED,		/* mappings revoked */
	KVMMEM_STAT_RESETS,		/* introspector resets that revoked */
	KVMMEM_STAT_SPLITS,		/* target huge pages split to map */
	KVMMEM_STAT_RESYNCS,		/* target page replaced under a mapping */
	KVMMEM_STAT_GRANTS,		/* grants made */
	KVMMEM_STAT_GRANTS_ENDED,	/* grants ended */
	KVMMEM_STAT_THROTTLED,		/* refused: too many bad tokens */
	KVMMEM_STAT_STATUS_PAGES,	/* introspector status pages pinned */
	KVMMEM_STAT_STALE_LAST_US,	/* last window of stale bytes */
	KVMMEM_STAT_STALE_MAX_US,	/* longest window of stale bytes */
	KVMMEM_STAT_CHUNKS,		/* window chunks registered now */
	KVMMEM_STAT_WINDOW_BYTES,	/* host memory that the chunks use */
	KVMMEM_STAT_STACK_MAX_USED,	/* deepest kernel stack seen (stack_watch) */
	KVMMEM_STAT_STALE_MKWRITE,	/* write to a slot's stale PTE retried */
	KVMMEM_STAT_SPLIT_COPIES,	/* read-only: huge page copied, not split */
	KVMMEM_STAT_RELEASES,		/* VMs released while we kept something */
	KVMMEM_STAT_HOLD_RETRIES,	/* holds taken again: an invalidation overlapped */
	KVMMEM_STAT_HC_UNKNOWN,		/* of HC_SEEN: from VMs not known, no lock */
	KVMMEM_STAT_VM_WORK_RESERVED,	/* probe works taken from the reserve */
	KVMMEM_STAT_NR
};

extern atomic64_t kvmmem_stats[KVMMEM_STAT_NR];

static inline void kvmmem_stat_inc(enum kvmmem_stat s)
{
	atomic64_inc(&kvmmem_stats[s]);
}

static inline void kvmmem_stat_add(enum kvmmem_stat s, long long n)
{
	atomic64_add(n, &kvmmem_stats[s]);
}

static inline void kvmmem_stat_dec(enum kvmmem_stat s)
{
	atomic64_dec(&kvmmem_stats[s]);
}

static inline long long kvmmem_stat_read(enum kvmmem_stat s)
{
	return atomic64_read(&kvmmem_stats[s]);
}

/* Is any grant alive (made and not yet ended)? */
static inline bool kvmmem_grants_live(void)
{
	return kvmmem_stat_read(KVMMEM_STAT_GRANTS) !=
	       kvmmem_stat_read(KVMMEM_STAT_GRANTS_ENDED);
}

void kvmmem_stat_failed(long err);
void kvmmem_stat_stale(u64 ns);
void kvmmem_stat_stack(void);
bool kvmmem_inject_unmap_failure(u64 intro_gpa);
struct dentry *kvmmem_debugfs_dir(void);
int kvmmem_stats_init(void);
void kvmmem_stats_uninit(void);

#endif /* _KVMMEM_STATS_H */
