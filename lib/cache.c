// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
/*
 * cache.c: what a view learnt about a kernel, kept for the next view.
 *
 * DOC: Theory of operation
 *
 * Decoding the kernel's symbol table and reading its BTF read about 9 MiB
 * of the target, which is most of the cost of a short command. Both depend
 * only on the kernel that a VMCOREINFO text describes (the text holds the
 * build id and the KASLR offset), so a view opened with a cache directory
 * keeps them in one file per text, named by a hash of the text, and the
 * next view of the same kernel loads them from there.
 *
 * The file is the introspector's (written by this library, mode 0600, in
 * a directory of mode 0700), not the target's; it holds the whole text it
 * was made for, and is used only for that exact text. A view built from
 * it still checks the text against the target's memory (init_top_pgt,
 * init_uts_ns and linux_banner where the symbols say), as a scan does. A
 * file that is short, or whose counts do not fit its size, is ignored.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "lx.h"

#define MAGIC		"KVMMEMK2"
#define TEXT_MAX	4096

struct header {
	char magic[8];
	uint64_t nsyms;
	uint64_t names_len;
	uint64_t btf_len;
	char text[TEXT_MAX];
};

static uint64_t fnv64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ULL;
	return h;
}

static void path_of(const char *dir, const char *text, char *path, size_t n)
{
	snprintf(path, n, "%s/kernel-%016llx", dir,
		 (unsigned long long)fnv64(text));
}

/* Bytes the names of @nsyms symbols take: up to the last one's NUL. */
static bool names_ok(const struct lx_sym *s, uint64_t n, const char *names,
		     uint64_t len)
{
	uint64_t i;

	if (!len || names[len - 1])
		return false;
	for (i = 0; i < n; i++)
		if (s[i].name >= len)
			return false;
	return true;
}

/**
 * lx_cache_load() - the symbols and BTF kept for a VMCOREINFO text
 * @lx: the view (its symbols and BTF unset)
 * @dir: the cache directory
 * @text: the text
 *
 * Return: whether both were loaded.
 */
bool lx_cache_load(struct kvmmem_linux *lx, const char *dir, const char *text)
{
	const struct header *h;
	char path[512];
	struct stat st;
	const uint8_t *p;
	uint64_t need;
	void *m;
	int fd;

	path_of(dir, text, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(*h)) {
		close(fd);
		return false;
	}
	m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return false;
	h = m;
	p = (const uint8_t *)(h + 1);
	need = sizeof(*h);
	if (memcmp(h->magic, MAGIC, 8) || strncmp(h->text, text, TEXT_MAX) ||
	    h->nsyms > (1u << 22) || h->names_len > (1u << 28) ||
	    h->btf_len > (1u << 28))
		goto out;
	need += h->nsyms * sizeof(struct lx_sym) + h->names_len + h->btf_len;
	if (need != (uint64_t)st.st_size)
		goto out;
	lx->syms = malloc(h->nsyms * sizeof(struct lx_sym) + 1);
	lx->names = malloc(h->names_len);
	if (!lx->syms || !lx->names)
		goto err;
	memcpy(lx->syms, p, h->nsyms * sizeof(struct lx_sym));
	memcpy(lx->names, p + h->nsyms * sizeof(struct lx_sym), h->names_len);
	if (!names_ok(lx->syms, h->nsyms, lx->names, h->names_len))
		goto err;
	lx->nsyms = h->nsyms;
	lx->btf = btf__new(p + h->nsyms * sizeof(struct lx_sym) + h->names_len,
			   h->btf_len);
	if (!lx->btf)
		goto err;
	munmap(m, st.st_size);
	return true;
err:
	free(lx->syms);
	free(lx->names);
	lx->syms = NULL;
	lx->names = NULL;
	lx->nsyms = 0;
out:
	munmap(m, st.st_size);
	return false;
}

/* Write @f's content through a temporary file renamed over @path. */
static FILE *open_tmp(const char *dir, const char *path, char *tmp, size_t n)
{
	FILE *f;
	int fd;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return NULL;
	snprintf(tmp, n, "%s.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f && fd >= 0)
		close(fd);
	return f;
}

static void close_tmp(FILE *f, bool ok, const char *tmp, const char *path)
{
	if (fclose(f) || !ok || rename(tmp, path))
		unlink(tmp);
}

/**
 * lx_cache_save() - keep a view's symbols and BTF for its text
 * @lx: the view, complete
 * @dir: the cache directory (made, mode 0700, if missing)
 *
 * Failures are silent: the cache only saves time.
 */
void lx_cache_save(struct kvmmem_linux *lx, const char *dir)
{
	struct header h = { .magic = MAGIC };
	char path[512], tmp[540];
	const void *btf;
	uint32_t btf_len;
	size_t names_len = 0, i, l;
	FILE *f;

	if (strlen(lx->info) >= TEXT_MAX)
		return;
	btf = btf__raw_data(lx->btf, &btf_len);
	if (!btf)
		return;
	for (i = 0; i < lx->nsyms; i++) {
		l = lx->syms[i].name + strlen(lx->names + lx->syms[i].name) + 1;
		names_len = l > names_len ? l : names_len;
	}
	h.nsyms = lx->nsyms;
	h.names_len = names_len;
	h.btf_len = btf_len;
	strncpy(h.text, lx->info, TEXT_MAX - 1);
	path_of(dir, lx->info, path, sizeof(path));
	f = open_tmp(dir, path, tmp, sizeof(tmp));
	if (!f)
		return;
	close_tmp(f, fwrite(&h, sizeof(h), 1, f) == 1 &&
		  fwrite(lx->syms, sizeof(*lx->syms), lx->nsyms, f) == lx->nsyms &&
		  fwrite(lx->names, 1, names_len, f) == names_len &&
		  fwrite(btf, 1, btf_len, f) == btf_len, tmp, path);
}

/**
 * lx_anchor_load() - the place of the VMCOREINFO page kept for a grant
 * @dir: the cache directory
 * @key: the grant's name
 *
 * Return: the physical address + 1, or 0 if none is kept.
 */
uint64_t lx_anchor_load(const char *dir, const char *key)
{
	unsigned long long pa = 0;
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/anchor-%s", dir, key);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llx", &pa) != 1)
		pa = 0;
	fclose(f);
	return pa ? pa + 1 : 0;
}

/**
 * lx_anchor_save() - keep the place of a view's VMCOREINFO page
 * @lx: the view
 * @dir: the cache directory
 * @key: the grant's name
 */
void lx_anchor_save(struct kvmmem_linux *lx, const char *dir, const char *key)
{
	char path[512], tmp[540];
	FILE *f;

	snprintf(path, sizeof(path), "%s/anchor-%s", dir, key);
	f = open_tmp(dir, path, tmp, sizeof(tmp));
	if (f)
		close_tmp(f, fprintf(f, "%llx\n", (unsigned long long)lx->info_pa) > 0,
			  tmp, path);
}
