// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
/*
 * walk.c: walking the target's linked lists without trusting them.
 *
 * DOC: Theory of operation
 *
 * A struct list_head of the target may be corrupt, forged or changing
 * under the walk (the target runs). lx_list_walk() follows ->next from a
 * head and stops, with a warning, when:
 *  - a pointer leaves the kernel's half of the address space or cannot be
 *    read;
 *  - the node it reaches does not point back (next->prev != this node):
 *    the node was unlinked or reused while the walk was on it;
 *  - it meets a node for the second time without being back at the head
 *    (a cycle that a hostile target built), or more than LX_WALK_MAX
 *    nodes.
 * A walk cut short returns 1, so the caller may start again (a bounded
 * number of times) or report what it has. The set of nodes seen is an
 * open-addressing hash set, also used by the cross-views.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include "walk.h"

static size_t hash(uint64_t v, size_t cap)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return v & (cap - 1);
}

static int grow(struct lx_seen *s)
{
	struct lx_seen n = { 0 };
	size_t i;

	n.cap = s->cap ? s->cap * 2 : 1024;
	n.slot = calloc(n.cap, sizeof(*n.slot));
	if (!n.slot)
		return -1;
	for (i = 0; i < s->cap; i++)
		if (s->slot[i])
			lx_seen_add(&n, s->slot[i]);
	free(s->slot);
	*s = n;
	return 0;
}

/**
 * lx_seen_add() - add a value to a set
 * @s: the set (zeroed at first)
 * @v: a non-zero value
 *
 * Return: 1 if it is new, 0 if it was there, -1 (ENOMEM) on failure.
 */
int lx_seen_add(struct lx_seen *s, uint64_t v)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap && grow(s))
		return -1;
	for (i = hash(v, s->cap); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == v)
			return 0;
	s->slot[i] = v;
	s->n++;
	return 1;
}

/**
 * lx_seen_has() - is a value in a set?
 * @s: the set
 * @v: the value
 *
 * Return: whether it is.
 */
bool lx_seen_has(const struct lx_seen *s, uint64_t v)
{
	size_t i;

	if (!s->cap)
		return false;
	for (i = hash(v, s->cap); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == v)
			return true;
	return false;
}

/**
 * lx_seen_free() - empty a set and free its memory
 * @s: the set
 */
void lx_seen_free(struct lx_seen *s)
{
	free(s->slot);
	s->slot = NULL;
	s->cap = 0;
	s->n = 0;
}

/**
 * lx_list_walk() - call @fn for each node of a list
 * @lx: the view
 * @head: the list_head that heads the list (not itself a node)
 * @what: what the list holds, for warnings
 * @fn: called with each node's list_head address; returns 0 to go on,
 *	1 to stop, -1 to fail the walk
 * @ctx: passed to @fn
 *
 * Return: 0 when the walk came back to @head (or @fn stopped it), 1 when it
 * was cut short (with a warning), -1 when @fn failed or memory ran out.
 */
int lx_list_walk(struct kvmmem_linux *lx, uint64_t head, const char *what,
		 int (*fn)(void *ctx, uint64_t node), void *ctx)
{
	struct lx_seen seen = { 0 };
	uint64_t cur = head, next, back;
	size_t n = 0;
	int ret = 1, r;

	for (;;) {
		if (lx_ku64(lx, cur, &next) || !lx_kptr(lx, next)) {
			lx_warn(lx, "%s: a pointer that leads nowhere (%#llx): walk cut short",
				what, (unsigned long long)next);
			break;
		}
		if (lx_ku64(lx, next + 8, &back) || back != cur) {
			lx_warn(lx, "%s: a node that does not point back: walk cut short",
				what);
			break;
		}
		if (next == head) {
			ret = 0;
			break;
		}
		r = lx_seen_add(&seen, next);
		if (r < 0) {
			ret = -1;
			break;
		}
		if (!r || ++n > LX_WALK_MAX) {
			lx_warn(lx, "%s: a cycle that does not pass the head: walk cut short",
				what);
			break;
		}
		r = fn(ctx, next);
		if (r) {
			ret = r < 0 ? -1 : 0;
			break;
		}
		cur = next;
	}
	lx_seen_free(&seen);
	return ret;
}
