// SPDX-License-Identifier: GPL-2.0
/*
 * lx_fuzz.c: the Linux layer's parsers of target memory, fuzzed.
 *
 * DOC: Theory of operation
 *
 * Everything the Linux layer reads comes from the target and may be forged
 * or corrupt. This program feeds the layer mutated images, without the lab,
 * built with ASan and UBSan: a crash, a sanitizer report, a hang (a watchdog
 * alarm per iteration) or a peak RSS over RSS_MAX is a failure.
 *
 * Seeds. A lab capture is 256 MiB; what the layer reads of it is a few
 * MiB. `lx_fuzz seed RAW OUT` opens RAW twice: once plainly, for where the
 * VMCOREINFO page is (the scan reads every page: nothing is recorded), and
 * once through a recording source with that page as the anchor, so the
 * open skips the scan and reads only what it needs (the VMCOREINFO page,
 * kallsyms, BTF, the KASLR bases). Then every walk runs. OUT is an ELF core
 * holding only the pages read (one PT_LOAD per run of them) and the last
 * page of RAM, so that the direct map's bound (the top of RAM) is the same.
 * The walks are deterministic: run on OUT they make the same reads, see the
 * same bytes and give the same answers, which is checked (the answers of
 * RAW and of OUT, as text, must be equal). The VMCOREINFO scan of OUT finds
 * the same page, since OUT holds nothing else that a walk did not read.
 *
 * Walk phase (most of `lx_fuzz run SEED SECONDS`). The seed is opened once,
 * from a private copy of its bytes (kvmmem_pmem_buffer(), which reads the
 * caller's memory live). One clean run of the walks records every read
 * (address and length): those are the bytes the walks depend on. Each
 * iteration mutates a few of them in place (bit flips, random bytes, words
 * replaced by kernel pointers taken from elsewhere in the image or by the
 * direct map address of another read, which makes cycles and wild
 * pointers, zeroed words, small and extreme integers, list heads swapped),
 * a few anywhere in the image, runs every walk and restores the bytes.
 *
 * Open phase (the rest): fewer, slower iterations that mutate a whole
 * image (the ELF or LiME headers included) and open it from scratch. Its
 * inputs: the seed, the seed as LiME, and /boot/vmlinuz-* as raw images;
 * those hold no VMCOREINFO, so the scan and the format detection are what
 * they test, unless a VMCOREINFO text of the seed is planted in one, with
 * a phys_base that puts the kernel's symbol tables over its bytes.
 *
 * Every iteration draws from its own generator, seeded from the fixed seed,
 * the phase and its number, so `lx_fuzz replay SEED PHASE ITER [OUT]` does
 * the one iteration again (and writes the mutated image to OUT).
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lx.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define HAVE_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/common_interface_defs.h>
#define HAVE_SANITIZER 1
#endif
#endif

#define PRNG_SEED	0x6c785f66757a7aULL	/* "lx_fuzz" */
#define RSS_MAX		(1536UL << 20)	/* peak RSS, bytes */
#define WALK_ALARM	10		/* seconds per walk iteration */
#define OPEN_ALARM	20		/* seconds per open iteration */
#define UNDO_MAX	64		/* mutations per iteration, at most */
#define POOL_MAX	65536		/* pointer-looking values kept */
#define EXT_MAX		1048576		/* distinct reads recorded */
#define INPUTS_MAX	16
#define FUZZ_PIDS	3		/* processes whose maps a walk reads */
#define LIME_MAGIC	0x4c694d45u
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* --- a deterministic generator (splitmix64) --------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void rng_iter(uint64_t seed, int phase, uint64_t iter)
{
	rng_state = seed ^ ((uint64_t)phase << 56) ^ (iter * 0x2545f4914f6cdd1dULL);
	rnd();
}

/* --- where a failure happened, for the death callback and the alarm -- */

static const char *cur_file = "?";
static const char *cur_input = "?";
static const char *cur_phase = "none";
static uint64_t cur_iter;
static uint64_t prng_seed = PRNG_SEED;

static void say_where(const char *what)
{
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "lx_fuzz: %s in the %s phase, iteration %" PRIu64
		     " (input %s, prng seed %#" PRIx64 ")\n"
		     "lx_fuzz: replay: LX_FUZZ_SEED=%#" PRIx64
		     " lx_fuzz replay %s %s %" PRIu64 " [OUT]\n",
		     what, cur_phase, (uint64_t)cur_iter, cur_input, prng_seed,
		     prng_seed, cur_file, cur_phase, (uint64_t)cur_iter);
	if (n > 0 && write(2, buf, n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1) < 0)
		return;
}

static void on_death(void)
{
	say_where("a crash or sanitizer report");
	printf("not ok - lx_fuzz %s: crash in the %s phase, iteration %" PRIu64 "\n",
	       cur_file, cur_phase, (uint64_t)cur_iter);
	fflush(stdout);
}

static void on_alarm(int sig)
{
	static const char msg[] = "not ok - lx_fuzz: a hang (watchdog)\n";

	(void)sig;
	say_where("a hang (no answer within the watchdog's time)");
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

static void on_fault(int sig)
{
	(void)sig;
	on_death();
	_exit(4);
}

/* UBSan does not call the death callback: it aborts, and on_fault() tells */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "print_stacktrace=1:abort_on_error=1";
}

/* --- a source that records what is read ------------------------------ */

struct ext {
	uint64_t pa;
	uint32_t len;
};

struct rec {
	struct kvmmem_pmem pm;
	struct kvmmem_pmem *in;
	bool on;
	uint8_t *pages;		/* a bit per page read; NULL: not kept */
	uint64_t npages;
	struct ext *ext;	/* distinct reads; NULL: not kept */
	size_t next;
	uint64_t *hash;		/* open addressing over ext, EXT_MAX * 2 */
};

static void rec_ext(struct rec *r, uint64_t pa, size_t len)
{
	uint64_t key = pa ^ ((uint64_t)len << 48), i;

	if (r->next == EXT_MAX || len > UINT32_MAX)
		return;
	i = (key * 0x9e3779b97f4a7c15ULL) >> 43;	/* 21 bits */
	for (;; i = (i + 1) & (2 * EXT_MAX - 1)) {
		if (!r->hash[i])
			break;
		if (r->ext[r->hash[i] - 1].pa == pa &&
		    r->ext[r->hash[i] - 1].len == len)
			return;
	}
	r->ext[r->next].pa = pa;
	r->ext[r->next].len = len;
	r->hash[i] = ++r->next;
}

static int rec_read(struct kvmmem_pmem *pm, uint64_t pa, void *buf, size_t len)
{
	struct rec *r = (struct rec *)pm;
	uint64_t p;

	if (r->in->read(r->in, pa, buf, len))
		return -1;
	if (!r->on || !len)
		return 0;
	if (r->pages)
		for (p = pa / LX_PAGE; p <= (pa + len - 1) / LX_PAGE && p < r->npages; p++)
			r->pages[p / 8] |= 1 << (p % 8);
	if (r->ext)
		rec_ext(r, pa, len);
	return 0;
}

static void rec_close(struct kvmmem_pmem *pm)
{
	struct rec *r = (struct rec *)pm;

	kvmmem_pmem_close(r->in);
	free(r->pages);
	free(r->ext);
	free(r->hash);
	free(r);
}

/* Wrap @in; @pages: keep a page bitmap, @ext: keep the reads. */
static struct rec *rec_new(struct kvmmem_pmem *in, bool pages, bool ext)
{
	struct rec *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->in = in;
	r->pm.read = rec_read;
	r->pm.close = rec_close;
	r->pm.kind = in->kind;
	r->pm.r = in->r;
	r->pm.nr = in->nr;
	if (pages) {
		r->npages = in->nr ? (in->r[in->nr - 1].end + LX_PAGE - 1) / LX_PAGE : 0;
		r->pages = calloc(r->npages / 8 + 1, 1);
	}
	if (ext) {
		r->ext = calloc(EXT_MAX, sizeof(*r->ext));
		r->hash = calloc(2 * EXT_MAX, sizeof(*r->hash));
	}
	if ((pages && !r->pages) || (ext && (!r->ext || !r->hash))) {
		r->in = NULL;
		free(r->pages);
		free(r->ext);
		free(r->hash);
		free(r);
		return NULL;
	}
	return r;
}

/* --- the walks, and their answers as text ----------------------------- */

static size_t warnings;
static uint64_t n_tasks, n_mods, n_logs, n_maps;	/* walks that gave answers */

static void count_warn(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
	warnings++;
}

struct out {
	char *buf;
	size_t len;
	FILE *f;		/* NULL: answers not kept */
	uint64_t sum;		/* what the walks gave, so nothing is skipped */
};

static __printf(2, 3) void put(struct out *o, const char *fmt, ...);

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->f)
		return;
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
}

/* Touch every byte of @p (ASan checks them), into a sum. */
static void touch(struct out *o, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		o->sum = o->sum * 31 + b[i];
}

static int log_rec(void *ctx, const struct kvmmem_linux_logrec *r)
{
	struct out *o = ctx;

	touch(o, r->text, r->len);
	put(o, "log %" PRIu64 " %" PRIu64 " %u %u %u %.*s\n", r->seq, r->ts_ns,
	    r->level, r->facility, r->caller_id, (int)r->len, r->text);
	return 0;
}

static void tasks_text(struct out *o, const char *what,
		       const struct kvmmem_linux_task *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		touch(o, &t[i], sizeof(t[i]));
		put(o, "%s %#" PRIx64 " %d %d %d %u %u %c %u %u %" PRIu64 " %.16s %.64s\n",
		    what, t[i].addr, t[i].pid, t[i].tgid, t[i].ppid, t[i].uid,
		    t[i].euid, t[i].state ? t[i].state : '?', t[i].kthread,
		    t[i].hidden, t[i].start_ns, t[i].comm, t[i].name);
	}
}

/*
 * The maps of @pid, and where each area starts (@fuzz: of two areas drawn
 * at random; each translation walks the task list again).
 */
static void maps_of(struct kvmmem_linux *lx, struct out *o, int pid, bool fuzz)
{
	struct kvmmem_linux_vma *v;
	uint64_t pa;
	size_t n, i;
	int r;

	if (kvmmem_linux_maps(lx, pid, &v, &n)) {
		put(o, "maps %d: errno %d\n", pid, errno);
		return;
	}
	n_maps++;
	for (i = 0; i < n; i++) {
		touch(o, &v[i], sizeof(v[i]));
		if (v[i].name)
			touch(o, v[i].name, strlen(v[i].name));
		if (fuzz && below(n) >= 2)
			continue;
		r = kvmmem_linux_vtop(lx, pid, v[i].start, &pa);
		put(o, "maps %d %" PRIx64 "-%" PRIx64 " %" PRIx64 " %" PRIx64
		    " %u:%u %" PRIu64 " %s vtop %d %" PRIx64 "\n", pid,
		    v[i].start, v[i].end, v[i].pgoff, v[i].flags, v[i].dev_major,
		    v[i].dev_minor, v[i].ino, v[i].name ? v[i].name : "-",
		    r ? -errno : 0, r ? 0 : pa);
	}
	kvmmem_linux_maps_free(v, n);
}

/*
 * Run every walk. @o->f: write the answers; @fuzz: the maps of FUZZ_PIDS
 * processes drawn at random, not of every one.
 */
static void walks(struct kvmmem_linux *lx, struct out *o, bool fuzz)
{
	static const unsigned int tflags[] = {
		0, KVMMEM_LINUX_THREADS, KVMMEM_LINUX_HIDDEN,
	};
	struct kvmmem_linux_uts u;
	struct kvmmem_linux_task *t;
	struct kvmmem_linux_module *m;
	uint64_t a, b, pa;
	int pids[4096], np = 0;
	char banner[160];
	size_t n, i, k;
	int r;

	if (!kvmmem_linux_uname(lx, &u)) {
		touch(o, &u, sizeof(u));
		put(o, "uname %s|%s|%s|%s|%s\n", u.sysname, u.nodename,
		    u.release, u.version, u.machine);
	} else {
		put(o, "uname: errno %d\n", errno);
	}
	touch(o, kvmmem_linux_vmcoreinfo(lx), strlen(kvmmem_linux_vmcoreinfo(lx)));
	kvmmem_linux_layout(lx, &a, &b);
	put(o, "layout %#" PRIx64 " %#" PRIx64 " anchor %#" PRIx64 "\n", a, b,
	    kvmmem_linux_anchor(lx));
	for (k = 0; k < ARRAY_SIZE(tflags); k++) {
		if (kvmmem_linux_tasks(lx, tflags[k], &t, &n)) {
			put(o, "tasks %u: errno %d\n", tflags[k], errno);
			continue;
		}
		put(o, "tasks %u: %zu\n", tflags[k], n);
		n_tasks++;
		tasks_text(o, tflags[k] == KVMMEM_LINUX_HIDDEN ? "hidden" : "task", t, n);
		for (i = 0; tflags[k] == KVMMEM_LINUX_THREADS && i < n; i++)
			if (!t[i].kthread && t[i].pid > 0 && t[i].pid == t[i].tgid &&
			    np < (int)ARRAY_SIZE(pids))
				pids[np++] = t[i].pid;
		free(t);
	}
	for (k = 0; k < 2; k++) {
		if (kvmmem_linux_modules(lx, k ? KVMMEM_LINUX_HIDDEN : 0, &m, &n)) {
			put(o, "modules %zu: errno %d\n", k, errno);
			continue;
		}
		n_mods++;
		for (i = 0; i < n; i++) {
			touch(o, &m[i], sizeof(m[i]));
			put(o, "module %#" PRIx64 " %#" PRIx64 " %" PRIu64
			    " %d %d %u %.56s %.256s\n", m[i].addr, m[i].base, m[i].size, m[i].state,
			    m[i].refcnt, m[i].hidden, m[i].name, m[i].deps);
			/* module memory: a walk of the kernel's page tables */
			r = kvmmem_linux_vtop(lx, 0, m[i].base, &pa);
			put(o, "module vtop %d %#" PRIx64 "\n", r ? -errno : 0,
			    r ? 0 : pa);
		}
		free(m);
	}
	if (kvmmem_linux_log(lx, log_rec, o))
		put(o, "log: errno %d\n", errno);
	else
		n_logs++;
	if (fuzz) {
		for (k = 0; np && k < FUZZ_PIDS; k++)
			maps_of(lx, o, pids[below(np)], true);
	} else {
		for (k = 0; k < (size_t)np; k++)
			maps_of(lx, o, pids[k], false);
	}
	if (kvmmem_linux_symbol(lx, "linux_banner", &a) ||
	    kvmmem_linux_vread(lx, 0, a, banner, sizeof(banner) - 1)) {
		put(o, "banner: errno %d\n", errno);
	} else {
		banner[sizeof(banner) - 1] = 0;
		touch(o, banner, sizeof(banner));
		put(o, "banner %.*s\n", (int)strcspn(banner, "\n"), banner);
	}
}

/* The answers of source @pm, as text; NULL if it does not open. */
static char *answers(struct kvmmem_pmem *pm, uint64_t anchor)
{
	struct kvmmem_linux_opts lo = { .warn = count_warn, .anchor = anchor };
	struct kvmmem_linux *lx = kvmmem_linux_open(pm, &lo);
	struct out o = { 0 };

	if (!lx)
		return NULL;
	o.f = open_memstream(&o.buf, &o.len);
	if (!o.f) {
		kvmmem_linux_close(lx);
		return NULL;
	}
	walks(lx, &o, false);
	fclose(o.f);
	kvmmem_linux_close(lx);
	return o.buf;
}

/* --- files ------------------------------------------------------------ */

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *p;
	ssize_t got;
	size_t at = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st))
		goto err;
	p = malloc(st.st_size ? st.st_size : 1);
	if (!p)
		goto err;
	while (at < (size_t)st.st_size) {
		got = read(fd, p + at, st.st_size - at);
		if (got <= 0) {
			free(p);
			goto err;
		}
		at += got;
	}
	close(fd);
	*len = at;
	return p;
err:
	fprintf(stderr, "lx_fuzz: %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int spill(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wbe");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "lx_fuzz: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* An ELF core of the pages set in @pages, read from @pm. */
static int write_core(const char *path, struct kvmmem_pmem *pm,
		      const uint8_t *pages, uint64_t npages, size_t *nload)
{
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr *ph = NULL;
	uint64_t p, q, off;
	uint8_t page[LX_PAGE];
	size_t n = 0, cap = 0, i;
	FILE *f;
	int ret = -1;

	for (p = 0; p < npages; p = q) {
		for (; p < npages && !(pages[p / 8] & (1 << (p % 8))); p++)
			;
		for (q = p; q < npages && (pages[q / 8] & (1 << (q % 8))); q++)
			;
		if (p == q)
			break;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			ph = realloc(ph, cap * sizeof(*ph));
			if (!ph)
				return -1;
		}
		memset(&ph[n], 0, sizeof(ph[n]));
		ph[n].p_type = PT_LOAD;
		ph[n].p_flags = PF_R | PF_W | PF_X;
		ph[n].p_paddr = p * LX_PAGE;
		ph[n].p_filesz = (q - p) * LX_PAGE;
		ph[n].p_memsz = ph[n].p_filesz;
		ph[n].p_align = LX_PAGE;
		n++;
	}
	off = (sizeof(eh) + n * sizeof(*ph) + LX_PAGE - 1) & ~(LX_PAGE - 1);
	for (i = 0; i < n; i++) {
		ph[i].p_offset = off;
		off += ph[i].p_filesz;
	}
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(*ph);
	eh.e_phnum = n;
	f = fopen(path, "wbe");
	if (!f || n >= PN_XNUM)
		goto out;
	if (fwrite(&eh, sizeof(eh), 1, f) != 1 ||
	    (n && fwrite(ph, sizeof(*ph), n, f) != n))
		goto out;
	memset(page, 0, sizeof(page));
	if (fwrite(page, 1, ph ? ph[0].p_offset - sizeof(eh) - n * sizeof(*ph) : 0, f) !=
	    (ph ? ph[0].p_offset - sizeof(eh) - n * sizeof(*ph) : 0))
		goto out;
	for (i = 0; i < n; i++)
		for (p = ph[i].p_paddr; p < ph[i].p_paddr + ph[i].p_filesz; p += LX_PAGE)
			if (kvmmem_pmem_read(pm, p, page, LX_PAGE) ||
			    fwrite(page, 1, LX_PAGE, f) != LX_PAGE)
				goto out;
	ret = 0;
out:
	if (f && fclose(f))
		ret = -1;
	free(ph);
	*nload = n;
	return ret;
}

/* The answers for the tests' data file: what does not change with time. */
static int cmd_answers(const char *path)
{
	struct kvmmem_pmem *pm = kvmmem_pmem_image(path);
	char *a = pm ? answers(pm, 0) : NULL;

	if (!a) {
		fprintf(stderr, "lx_fuzz: %s: %s\n", path, strerror(errno));
		kvmmem_pmem_close(pm);
		return 1;
	}
	fputs(a, stdout);
	free(a);
	kvmmem_pmem_close(pm);
	return 0;
}

static int cmd_seed(const char *raw, const char *outp)
{
	struct kvmmem_linux_opts lo = { .warn = count_warn };
	struct kvmmem_pmem *pm, *small;
	struct kvmmem_linux *lx;
	struct rec *r;
	char *a, *b;
	size_t nload, i;
	uint64_t anchor;
	int ret = 1;

	/* where the VMCOREINFO page is: a full scan, not recorded */
	pm = kvmmem_pmem_image(raw);
	lx = pm ? kvmmem_linux_open(pm, &lo) : NULL;
	if (!lx) {
		fprintf(stderr, "lx_fuzz: %s: no kernel found: %s\n", raw, strerror(errno));
		kvmmem_pmem_close(pm);
		return 1;
	}
	anchor = kvmmem_linux_anchor(lx) + 1;
	kvmmem_linux_close(lx);
	kvmmem_pmem_close(pm);

	/* the open from the anchor, and the walks, recorded */
	pm = kvmmem_pmem_image(raw);
	r = pm ? rec_new(pm, true, false) : NULL;
	if (!r) {
		kvmmem_pmem_close(pm);
		return 1;
	}
	r->on = true;
	lo.anchor = anchor;
	lx = kvmmem_linux_open(&r->pm, &lo);
	if (!lx || kvmmem_linux_anchor(lx) + 1 != anchor) {
		fprintf(stderr, "lx_fuzz: %s: no kernel at the anchor\n", raw);
		goto out;
	}
	kvmmem_linux_close(lx);
	/* the top of RAM bounds the direct map: keep the last page of each range */
	for (i = 0; i < r->pm.nr; i++) {
		uint64_t last = (r->pm.r[i].end - 1) / LX_PAGE;

		r->pages[last / 8] |= 1 << (last % 8);
	}
	a = answers(&r->pm, anchor);
	r->on = false;
	if (!a) {
		fprintf(stderr, "lx_fuzz: %s: the open from the anchor failed\n", raw);
		goto out;
	}
	if (write_core(outp, &r->pm, r->pages, r->npages, &nload)) {
		fprintf(stderr, "lx_fuzz: %s: cannot write: %s\n", outp, strerror(errno));
		free(a);
		goto out;
	}
	/* the small image, opened with a full scan, answers the same */
	small = kvmmem_pmem_image(outp);
	b = small ? answers(small, 0) : NULL;
	kvmmem_pmem_close(small);
	if (!b || strcmp(a, b)) {
		printf("not ok - lx_fuzz seed: %s answers as %s does\n", outp, raw);
		if (spill("lx_fuzz-raw.answers", a, strlen(a)) == 0 && b)
			spill("lx_fuzz-seed.answers", b, strlen(b));
	} else {
		size_t lines = 0;

		for (i = 0; a[i]; i++)
			lines += a[i] == '\n';
		printf("ok - lx_fuzz seed: %s (%zu PT_LOADs) answers as %s does (%zu lines)\n",
		       outp, nload, raw, lines);
		ret = 0;
	}
	free(a);
	free(b);
out:
	kvmmem_pmem_close(&r->pm);
	return ret;
}

/* --- mutation --------------------------------------------------------- */

/* Where an image's RAM is in its bytes. */
struct seg {
	uint64_t pa, len, off;
};

struct undo {
	size_t off;
	uint8_t len;
	uint8_t old[16];
};

struct input {
	const char *name;
	uint8_t *data;		/* pristine */
	uint8_t *work;		/* what the source reads, mutated */
	size_t len;
	struct seg *seg;
	size_t nseg;
	size_t *hdr;		/* header byte ranges: start, length pairs */
	size_t nhdr;
	struct ext *ext;	/* reads of a clean open */
	size_t next;
	bool raw;		/* plant a VMCOREINFO text in it */
	bool own_name;		/* free() the name */
	uint64_t opens, opened;
};

struct fuzz {
	struct undo undo[UNDO_MAX];
	size_t nundo;
	uint64_t pool[POOL_MAX];	/* pointer-looking values */
	size_t npool;
	uint64_t page_offset;
	char *info;		/* the seed's VMCOREINFO text */
};

static struct fuzz fz;

/* The segments of an image (pristine: its headers are well formed). */
static void segments(struct input *in)
{
	const uint8_t *d = in->data;
	uint32_t magic = 0;
	size_t cap = 64;

	in->seg = calloc(cap, sizeof(*in->seg));
	in->hdr = calloc(2 * cap, sizeof(*in->hdr));
	if (in->len >= 4)
		memcpy(&magic, d, 4);
	if (in->len >= sizeof(Elf64_Ehdr) && !memcmp(d, ELFMAG, SELFMAG)) {
		const Elf64_Ehdr *eh = (const void *)d;
		const Elf64_Phdr *ph = (const void *)(d + eh->e_phoff);
		unsigned int i;

		in->seg = realloc(in->seg, (eh->e_phnum + 1) * sizeof(*in->seg));
		in->hdr[0] = 0;
		in->hdr[1] = eh->e_phoff + eh->e_phnum * sizeof(*ph);
		in->nhdr = 1;
		for (i = 0; i < eh->e_phnum; i++) {
			if (ph[i].p_type != PT_LOAD || !ph[i].p_filesz)
				continue;
			in->seg[in->nseg].pa = ph[i].p_paddr;
			in->seg[in->nseg].len = ph[i].p_filesz;
			in->seg[in->nseg++].off = ph[i].p_offset;
		}
	} else if (magic == LIME_MAGIC) {
		size_t at = 0;
		uint64_t s, e;

		while (at + 32 <= in->len) {
			memcpy(&s, d + at + 8, 8);
			memcpy(&e, d + at + 16, 8);
			if (in->nseg == cap) {
				cap *= 2;
				in->seg = realloc(in->seg, cap * sizeof(*in->seg));
				in->hdr = realloc(in->hdr, 2 * cap * sizeof(*in->hdr));
			}
			in->hdr[2 * in->nhdr] = at;
			in->hdr[2 * in->nhdr++ + 1] = 32;
			in->seg[in->nseg].pa = s;
			in->seg[in->nseg].len = e - s + 1;
			in->seg[in->nseg++].off = at + 32;
			at += 32 + e - s + 1;
		}
	} else {
		in->seg[0].pa = 0;
		in->seg[0].len = in->len & ~(LX_PAGE - 1);
		in->seg[0].off = 0;
		in->nseg = 1;
	}
}

/* The data offset of physical address @pa, or (size_t)-1. */
static size_t off_of(const struct input *in, uint64_t pa)
{
	size_t i;

	for (i = 0; i < in->nseg; i++)
		if (pa >= in->seg[i].pa && pa - in->seg[i].pa < in->seg[i].len)
			return in->seg[i].off + (pa - in->seg[i].pa);
	return (size_t)-1;
}

/* Write @len bytes at data offset @off, keeping the old ones. */
static void poke(struct input *in, size_t off, const void *v, size_t len)
{
	struct undo *u;

	if (fz.nundo == UNDO_MAX || off >= in->len || len > in->len - off ||
	    len > sizeof(u->old))
		return;
	u = &fz.undo[fz.nundo++];
	u->off = off;
	u->len = len;
	memcpy(u->old, in->work + off, len);
	memcpy(in->work + off, v, len);
}

static void restore(struct input *in)
{
	while (fz.nundo) {
		struct undo *u = &fz.undo[--fz.nundo];

		memcpy(in->work + u->off, u->old, u->len);
	}
}

static uint64_t small_int(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 7, 8, 15, 16, 63, 64, 127, 128, 255, 256, 4095,
		4096, 4097, 65535, 65536, 0x7fffffff, 0x80000000, 0xffffffff,
		0x100000000ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
		~0ULL, ~0ULL - 1, 1ULL << 20, 1ULL << 21, 1ULL << 30,
	};

	if (below(4) == 0)
		return below(1024);
	return v[below(ARRAY_SIZE(v))];
}

/* A value that looks like a pointer: the target's, or to what was read. */
static uint64_t pointer(const struct input *in)
{
	uint64_t v;

	switch (below(4)) {
	case 0:
	case 1:
		v = fz.npool ? fz.pool[below(fz.npool)] : rnd();
		break;
	case 2:
		/* the direct map address of another read: cycles and aliases */
		v = in->next ? fz.page_offset + in->ext[below(in->next)].pa : rnd();
		break;
	default:
		v = fz.page_offset + below(in->seg[in->nseg - 1].pa +
					   in->seg[in->nseg - 1].len);
		break;
	}
	if (below(4) == 0)
		v += (int64_t)below(65) - 32;
	return v;
}

/* Mutate one spot at data offset @off, @room bytes there at most. */
static void mutate_at(struct input *in, size_t off, size_t room)
{
	uint64_t v;
	uint32_t w;
	uint8_t b[16];
	size_t k, src;

	if (!room)
		return;
	switch (below(10)) {
	case 0:
	case 1:		/* a bit */
		b[0] = in->work[off] ^ (1 << below(8));
		poke(in, off, b, 1);
		break;
	case 2:		/* random bytes */
		k = 1 + below(room < 8 ? room : 8);
		for (w = 0; w < k; w++)
			b[w] = rnd();
		poke(in, off, b, k);
		break;
	case 3:
	case 4:
	case 5:		/* a pointer-looking word */
		off &= ~(size_t)7;
		v = pointer(in);
		poke(in, off, &v, 8);
		break;
	case 6:		/* zero */
		off &= ~(size_t)7;
		v = 0;
		poke(in, off, &v, 8);
		break;
	case 7:		/* a small or extreme integer, 4 or 8 bytes */
		v = small_int();
		if (below(2)) {
			off &= ~(size_t)3;
			w = v;
			poke(in, off, &w, 4);
		} else {
			off &= ~(size_t)7;
			poke(in, off, &v, 8);
		}
		break;
	case 8:		/* a list_head from elsewhere */
		if (!in->next)
			break;
		src = off_of(in, in->ext[below(in->next)].pa & ~7ULL);
		if (src == (size_t)-1 || src + 16 > in->len)
			break;
		memcpy(b, in->data + src, 16);
		poke(in, off & ~(size_t)7, b, 16);
		break;
	default:	/* a digit of a text, another one */
		if (in->work[off] >= '0' && in->work[off] <= '9')
			b[0] = '0' + below(10);
		else if (in->work[off] >= 'a' && in->work[off] <= 'f')
			b[0] = 'a' + below(6);
		else
			b[0] = rnd();
		poke(in, off, b, 1);
		break;
	}
}

/* Mutate a byte that a clean run read. */
static void mutate_read(struct input *in)
{
	const struct ext *e;
	size_t off, at;

	if (!in->next)
		return;
	e = &in->ext[below(in->next)];
	at = below(e->len);
	off = off_of(in, e->pa + at);
	if (off != (size_t)-1)
		mutate_at(in, off, e->len - at);
}

static void mutate_anywhere(struct input *in)
{
	size_t off = below(in->len);

	mutate_at(in, off, in->len - off);
}

static void mutate_header(struct input *in)
{
	size_t i, off;

	if (!in->nhdr)
		return mutate_anywhere(in);
	i = below(in->nhdr);
	off = in->hdr[2 * i] + below(in->hdr[2 * i + 1]);
	mutate_at(in, off, in->hdr[2 * i] + in->hdr[2 * i + 1] - off);
}

/* Kernel pointers in what the clean run read, for the pool. */
static void fill_pool(const struct input *in)
{
	size_t i, off;
	uint64_t pa, v;

	for (i = 0; i < in->next && fz.npool < POOL_MAX; i++) {
		for (pa = (in->ext[i].pa + 7) & ~7ULL;
		     pa + 8 <= in->ext[i].pa + in->ext[i].len && fz.npool < POOL_MAX;
		     pa += 8) {
			off = off_of(in, pa);
			if (off == (size_t)-1 || off + 8 > in->len)
				break;
			memcpy(&v, in->data + off, 8);
			if (v >= 0xffff800000000000ULL && v != ~0ULL)
				fz.pool[fz.npool++] = v;
		}
	}
}

/* --- the phases --------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct stats {
	uint64_t iters, opened;
	double secs;
};

/* One walk-phase iteration, on the view @lx over @in->work. */
static void walk_iter(struct kvmmem_linux *lx, struct input *in, uint64_t iter)
{
	struct out o = { 0 };
	size_t n, i;

	cur_iter = iter;
	rng_iter(prng_seed, 1, iter);
	n = 1 + below(4) + (below(4) == 0 ? below(12) : 0);
	for (i = 0; i < n; i++) {
		if (below(10) == 0)
			mutate_anywhere(in);
		else
			mutate_read(in);
	}
	alarm(WALK_ALARM);
	walks(lx, &o, true);
	alarm(0);
}

/* Plant the seed's VMCOREINFO text in a raw image, maybe moved. */
static void plant(struct input *in)
{
	char *t, *p, num[32];
	size_t len, off;
	uint64_t names, pb;
	int k;

	if (!fz.info || in->len < 2 * LX_PAGE)
		return;
	t = malloc(LX_PAGE);
	if (!t)
		return;
	len = strlen(fz.info);
	if (len > LX_PAGE - 1)
		len = LX_PAGE - 1;
	memcpy(t, fz.info, len);
	t[len] = 0;
	p = strstr(t, "NUMBER(phys_base)=");
	if (p && below(2) && lx_info_u64(t, "SYMBOL(kallsyms_names)", 16, &names)) {
		/* a phys_base that puts kallsyms_names over this image's bytes */
		pb = below(in->len) - (names - LX_KMAP);
		p += strlen("NUMBER(phys_base)=");
		k = snprintf(num, sizeof(num), "%" PRId64, (int64_t)pb);
		len = strcspn(p, "\n");
		if ((size_t)(p - t) + k + strlen(p + len) < LX_PAGE) {
			memmove(p + k, p + len, strlen(p + len) + 1);
			memcpy(p, num, k);
		}
	}
	len = strlen(t) + 1;
	off = below(in->len / LX_PAGE - 1) * LX_PAGE;
	for (k = 0; k < (int)len; k += 16)
		poke(in, off + k, t + k, len - k < 16 ? len - k : 16);
	free(t);
	/* and mutate the planted text */
	for (k = below(3); k > 0; k--)
		mutate_at(in, off + below(len), 1);
}

static void open_iter(struct input *inputs, size_t ninputs, uint64_t iter,
		      uint64_t anchor)
{
	struct kvmmem_linux_opts lo = { .warn = count_warn };
	struct input *in = &inputs[iter % ninputs];
	struct kvmmem_pmem *pm;
	struct kvmmem_linux *lx;
	struct out o = { 0 };
	size_t n, i;

	cur_iter = iter;
	cur_input = in->name;
	rng_iter(prng_seed, 2, iter);
	if (in->raw && below(2))
		plant(in);
	n = 1 + below(4);
	for (i = 0; i < n; i++) {
		switch (below(4)) {
		case 0:
			mutate_header(in);
			break;
		case 1:
			mutate_anywhere(in);
			break;
		default:
			if (in->next)
				mutate_read(in);
			else
				mutate_anywhere(in);
			break;
		}
	}
	if (anchor && !in->raw && below(4) == 0)
		lo.anchor = below(2) ? anchor : below(in->len + LX_PAGE);
	alarm(OPEN_ALARM);
	pm = kvmmem_pmem_buffer(in->work, in->len);
	lx = pm ? kvmmem_linux_open(pm, &lo) : NULL;
	in->opens++;
	if (lx) {
		in->opened++;
		walks(lx, &o, true);
	}
	kvmmem_linux_close(lx);
	kvmmem_pmem_close(pm);
	alarm(0);
}

/* The reads a clean open of @in makes (none if it does not open). */
static void open_reads(struct input *in)
{
	struct kvmmem_linux_opts lo = { .warn = count_warn };
	struct kvmmem_pmem *pm = kvmmem_pmem_buffer(in->work, in->len);
	struct rec *r = pm ? rec_new(pm, false, true) : NULL;
	struct kvmmem_linux *lx;

	if (!r) {
		kvmmem_pmem_close(pm);
		return;
	}
	r->on = true;
	lx = kvmmem_linux_open(&r->pm, &lo);
	kvmmem_linux_close(lx);
	/* the scan's reads are of every page: not what to aim at */
	if (lx) {
		size_t i, k = 0;

		for (i = 0; i < r->next; i++)
			if (r->ext[i].len < 512 * LX_PAGE)
				r->ext[k++] = r->ext[i];
		in->ext = realloc(r->ext, (k ? k : 1) * sizeof(*in->ext));
		in->next = k;
		r->ext = NULL;
	}
	kvmmem_pmem_close(&r->pm);
}

static int add_input(struct input *in, const char *name, uint8_t *data,
		     size_t len, bool raw)
{
	memset(in, 0, sizeof(*in));
	in->name = name;
	in->data = data;
	in->len = len;
	in->raw = raw;
	in->work = malloc(len ? len : 1);
	if (!in->work)
		return -1;
	memcpy(in->work, data, len);
	segments(in);
	return 0;
}

static void free_input(struct input *in)
{
	if (in->own_name)
		free((char *)in->name);
	free(in->data);
	free(in->work);
	free(in->seg);
	free(in->hdr);
	free(in->ext);
}

/* The seed as LiME: its ranges, each with a header. */
static uint8_t *to_lime(struct kvmmem_pmem *pm, size_t *len)
{
	const struct kvmmem_ram_range *r;
	int n = kvmmem_pmem_ranges(pm, &r), i;
	size_t total = 0, at = 0;
	uint8_t *d;

	for (i = 0; i < n; i++)
		total += 32 + (r[i].end - r[i].start);
	d = calloc(1, total ? total : 1);
	if (!d)
		return NULL;
	for (i = 0; i < n; i++) {
		uint32_t h[2] = { LIME_MAGIC, 1 };
		uint64_t e = r[i].end - 1;

		memcpy(d + at, h, 8);
		memcpy(d + at + 8, &r[i].start, 8);
		memcpy(d + at + 16, &e, 8);
		at += 32;
		if (kvmmem_pmem_read(pm, r[i].start, d + at, r[i].end - r[i].start)) {
			free(d);
			return NULL;
		}
		at += r[i].end - r[i].start;
	}
	*len = total;
	return d;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* /boot/vmlinuz-*, sorted, as raw images. */
static size_t boot_inputs(struct input *in, size_t room)
{
	char *names[INPUTS_MAX], path[512];
	struct dirent *de;
	size_t n = 0, k = 0, len, i;
	uint8_t *d;
	DIR *dir = opendir("/boot");

	while (dir && (de = readdir(dir)) && n < INPUTS_MAX)
		if (!strncmp(de->d_name, "vmlinuz-", 8))
			names[n++] = strdup(de->d_name);
	if (dir)
		closedir(dir);
	qsort(names, n, sizeof(names[0]), by_str);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/boot/%s", names[i]);
		d = k < room && names[i] ? slurp(path, &len) : NULL;
		if (d && len >= 2 * LX_PAGE && !add_input(&in[k], names[i], d, len, true)) {
			in[k++].own_name = true;
			continue;
		}
		free(d);
		free(names[i]);
	}
	return k;
}

struct run {
	struct input in[INPUTS_MAX];
	size_t nin;
	struct kvmmem_pmem *pm;
	struct rec *rec;
	struct kvmmem_linux *lx;
	uint64_t anchor;
};

/* Set up both phases' inputs from seed file @path. */
static int setup(struct run *ru, const char *path)
{
	struct kvmmem_linux_opts lo = { .warn = count_warn };
	struct out o = { 0 };
	uint8_t *d, *lime;
	size_t len, llen, i;

	memset(ru, 0, sizeof(*ru));
	d = slurp(path, &len);
	if (!d || add_input(&ru->in[0], path, d, len, false))
		return -1;
	ru->nin = 1;
	ru->pm = kvmmem_pmem_buffer(ru->in[0].work, len);
	ru->rec = ru->pm ? rec_new(ru->pm, false, true) : NULL;
	if (!ru->rec) {
		kvmmem_pmem_close(ru->pm);
		return -1;
	}
	ru->lx = kvmmem_linux_open(&ru->rec->pm, &lo);
	if (!ru->lx) {
		fprintf(stderr, "lx_fuzz: %s: no kernel found: %s\n", path, strerror(errno));
		return -1;
	}
	ru->anchor = kvmmem_linux_anchor(ru->lx) + 1;
	fz.page_offset = ru->lx->page_offset;
	fz.info = strdup(kvmmem_linux_vmcoreinfo(ru->lx));
	/* what a clean run of the walks reads */
	ru->rec->on = true;
	rng_iter(prng_seed, 0, 0);
	walks(ru->lx, &o, false);
	ru->rec->on = false;
	ru->in[0].ext = ru->rec->ext;
	ru->in[0].next = ru->rec->next;
	fill_pool(&ru->in[0]);

	/* the open phase's: the seed, the seed as LiME, /boot's kernels */
	lime = to_lime(ru->pm, &llen);
	if (lime && add_input(&ru->in[1], "the seed as LiME", lime, llen, false) == 0)
		ru->nin++;
	ru->nin += boot_inputs(&ru->in[ru->nin], INPUTS_MAX - ru->nin);
	/* the seed's reads of the walk phase stay; add a clean open's */
	for (i = 1; i < ru->nin; i++)
		open_reads(&ru->in[i]);
	return 0;
}

static void teardown(struct run *ru)
{
	size_t i;

	kvmmem_linux_close(ru->lx);
	if (ru->rec) {
		ru->rec->ext = NULL;	/* in[0]'s now */
		kvmmem_pmem_close(&ru->rec->pm);
	} else {
		kvmmem_pmem_close(ru->pm);
	}
	for (i = 0; i < ru->nin; i++)
		free_input(&ru->in[i]);
	free(fz.info);
	fz.info = NULL;
}

/* The open phase's ext list for the seed: a clean open's reads. */
static void seed_open_reads(struct run *ru, struct ext **walk, size_t *nwalk)
{
	*walk = ru->in[0].ext;
	*nwalk = ru->in[0].next;
	ru->in[0].ext = NULL;
	ru->in[0].next = 0;
	open_reads(&ru->in[0]);
}

static long peak_rss(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;	/* KiB */
}

static int cmd_run(const char *path, double secs)
{
	struct run ru;
	struct ext *wext;
	size_t nwext, i;
	struct stats w = { 0 }, op = { 0 };
	double t0, end;
	long rss;
	int bad = 0;

	cur_file = path;
	cur_phase = "setup";
	t0 = now();
	if (setup(&ru, path)) {
		printf("not ok - lx_fuzz %s: the seed opens\n", path);
		return 1;
	}
	printf("# lx_fuzz %s: prng seed %#" PRIx64 ", %zu reads to aim at, %zu pointers, ",
	       path, prng_seed, ru.in[0].next, fz.npool);
	printf("%zu inputs for the open phase, setup %.1f s\n", ru.nin, now() - t0);
	if (ru.nin < 2 || !ru.in[1].next) {
		printf("not ok - lx_fuzz %s: the seed as LiME opens\n", path);
		bad = 1;
	}

	/* walk phase: 70% of the time */
	cur_phase = "walk";
	cur_input = path;
	t0 = now();
	end = t0 + secs * 0.7;
	for (w.iters = 0; w.iters < 16 || now() < end; w.iters++) {
		walk_iter(ru.lx, &ru.in[0], w.iters);
		restore(&ru.in[0]);
	}
	w.secs = now() - t0;
	if (memcmp(ru.in[0].work, ru.in[0].data, ru.in[0].len)) {
		printf("not ok - lx_fuzz %s: the walk phase restores the image\n", path);
		bad = 1;
	}

	/* open phase: the rest */
	seed_open_reads(&ru, &wext, &nwext);
	cur_phase = "open";
	t0 = now();
	end = t0 + secs * 0.3;
	for (op.iters = 0; op.iters < 2 * ru.nin || now() < end; op.iters++) {
		open_iter(ru.in, ru.nin, op.iters, ru.anchor);
		restore(&ru.in[op.iters % ru.nin]);
	}
	op.secs = now() - t0;
	for (i = 0; i < ru.nin; i++)
		op.opened += ru.in[i].opened;
	cur_phase = "end";
	free(wext);

	printf("ok - lx_fuzz %s: walk phase, %" PRIu64 " iterations in %.1f s (%.1f/s)",
	       path, w.iters, w.secs, w.iters / w.secs);
	printf(", no crash or hang\n");
	printf("ok - lx_fuzz %s: open phase, %" PRIu64 " iterations in %.1f s (%.1f/s)",
	       path, op.iters, op.secs, op.iters / op.secs);
	printf(", %" PRIu64 " opened, no crash or hang\n", op.opened);
	for (i = 0; i < ru.nin; i++)
		printf("# open phase: %s: %" PRIu64 " opens, %" PRIu64 " found a kernel\n",
		       ru.in[i].name, ru.in[i].opens, ru.in[i].opened);
	rss = peak_rss();
	if (rss * 1024UL < RSS_MAX) {
		printf("ok - lx_fuzz %s: peak RSS %ld MiB, under %lu MiB\n", path,
		       rss >> 10, RSS_MAX >> 20);
	} else {
		printf("not ok - lx_fuzz %s: peak RSS %ld MiB, over %lu MiB\n", path,
		       rss >> 10, RSS_MAX >> 20);
		bad = 1;
	}
	printf("# lx_fuzz %s: %zu warnings from the layer (counted, not shown)\n",
	       path, warnings);
	printf("# lx_fuzz %s: walks that gave answers: tasks %" PRIu64 ", modules %" PRIu64
	       ", log %" PRIu64 ", maps %" PRIu64 "\n", path, n_tasks, n_mods, n_logs, n_maps);
	teardown(&ru);
	return bad;
}

static int cmd_replay(const char *path, const char *phase, uint64_t iter,
		      const char *outp)
{
	struct input *in;
	struct ext *wext;
	size_t nwext;
	struct run ru;

	cur_file = path;
	cur_phase = "setup";
	if (setup(&ru, path))
		return 1;
	cur_input = path;
	if (!strcmp(phase, "walk")) {
		cur_phase = "walk";
		in = &ru.in[0];
		fprintf(stderr, "lx_fuzz: replaying walk iteration %" PRIu64 "\n", iter);
		walk_iter(ru.lx, in, iter);
	} else if (!strcmp(phase, "open")) {
		seed_open_reads(&ru, &wext, &nwext);
		free(wext);
		cur_phase = "open";
		in = &ru.in[iter % ru.nin];
		fprintf(stderr, "lx_fuzz: replaying open iteration %" PRIu64 " (%s)\n",
			iter, in->name);
		open_iter(ru.in, ru.nin, iter, ru.anchor);
	} else {
		fprintf(stderr, "lx_fuzz: the phase is walk or open\n");
		teardown(&ru);
		return 2;
	}
	if (outp && spill(outp, in->work, in->len) == 0)
		fprintf(stderr, "lx_fuzz: the mutated image is in %s\n", outp);
	restore(in);
	fprintf(stderr, "lx_fuzz: no crash or hang (%zu warnings)\n", warnings);
	teardown(&ru);
	return 0;
}

static int help(void)
{
	fprintf(stderr,
		"usage: lx_fuzz seed RAW OUT.elf\n"
		"       lx_fuzz answers IMAGE\n"
		"       lx_fuzz run SEED SECONDS\n"
		"       lx_fuzz replay SEED walk|open ITER [OUT]\n"
		"(LX_FUZZ_SEED: the generator's seed, %#" PRIx64 " by default)\n",
		(uint64_t)PRNG_SEED);
	return 2;
}

int main(int argc, char **argv)
{
	const char *s = getenv("LX_FUZZ_SEED");
	struct sigaction sa = { 0 };

	if (s && *s)
		prng_seed = strtoull(s, NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_fault;
	sigaction(SIGABRT, &sa, NULL);
#ifdef HAVE_SANITIZER
	__sanitizer_set_death_callback(on_death);
#else
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
#endif
	if (argc == 4 && !strcmp(argv[1], "seed"))
		return cmd_seed(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "answers"))
		return cmd_answers(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "run"))
		return cmd_run(argv[2], strtod(argv[3], NULL));
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "replay"))
		return cmd_replay(argv[2], argv[3], strtoull(argv[4], NULL, 0),
				  argc == 6 ? argv[5] : NULL);
	return help();
}
