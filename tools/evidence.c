// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Evidence images: raw, LiME and ELF (a live vmcore)
 *
 * kvmmem dump --format FORMAT FILE copies every RAM range of the target
 * (its memslots within the grant, kvmmem_pmem_ranges()) into FILE, in
 * increasing file offsets:
 *
 * - raw: the byte at file offset X is guest-physical address X; the gaps
 *   between ranges are holes, and the file ends where the last range ends.
 * - lime: what the LiME module and Volatility write: for each range a
 *   32-byte header (magic 0x4C694D45, version 1, first and last address,
 *   the last inclusive, 8 reserved bytes) and its bytes. The ranges are
 *   memslots, not the guest's own idea of its RAM (/proc/iomem).
 * - elf: the shape of /proc/vmcore that makedumpfile, crash and drgn take:
 *   the program headers right after the ELF header, the PT_NOTE first with
 *   the target's VMCOREINFO text, a PT_LOAD for the kernel image (its
 *   virtual address _stext, its physical address _stext -
 *   __START_KERNEL_map + phys_base) and one PT_LOAD per range (physical
 *   address the gpa, virtual address page_offset_base + gpa), p_align 0.
 *   The kernel image's PT_LOAD points at the bytes of the range that holds
 *   it (one per range, where memslots split the image; an image file made
 *   of small ranges, say). There are no NT_PRSTATUS notes: a live target's
 *   CPUs have no saved registers.
 *
 * Pages that are all zeros are not written (the file keeps them as holes).
 * The SHA-256 of the whole file, holes included, is computed as it is
 * written (nettle), printed as sha256sum prints it, and kept in FILE.json
 * with the rest of the record: the source (a grant, named by a digest of
 * its token, never the token; or an image file), the target's uname when it
 * runs Linux, the ranges, the start and end times and the kvmmem version.
 * A live image is smeared over the time it took: the target ran while it
 * was read.
 */
/* Copyright (C) 2026 The kvmmem authors */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <nettle/sha2.h>

#include "evidence.h"
#include "pause.h"

static const char *prog = "kvmmem";

#include "fail.h"
#include "kvmmem_linux.h"
#include "linux-cmds.h"

#define PG		4096ULL
#define CHUNK		(2ULL << 20)
#define LIME_MAGIC	0x4C694D45U
#define START_KERNEL_MAP 0xffffffff80000000ULL

enum format { F_RAW, F_LIME, F_ELF };

struct out {
	int fd;
	struct sha256_ctx sha;
	uint64_t hashed;	/* the file's first bytes, hashed */
	uint64_t all, done;	/* RAM bytes to copy, and copied */
	uint64_t bad;		/* pages that could not be read */
	int tty;
	double t0;
};

struct kernel {			/* what the elf format needs of the target */
	const char *vmcoreinfo;
	uint64_t page_offset, stext, end, phys_base;
};

static const uint8_t zeros[PG];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int pwrite_all(int fd, const uint8_t *p, uint64_t n, uint64_t off)
{
	ssize_t w;

	for (; n; n -= w, p += w, off += w) {
		w = pwrite(fd, p, n, off);
		if (w <= 0)
			return -1;
	}
	return 0;
}

/* hash the file's zeros (holes, padding) up to @off */
static void hash_to(struct out *o, uint64_t off)
{
	uint64_t n;

	for (; o->hashed < off; o->hashed += n) {
		n = off - o->hashed < PG ? off - o->hashed : PG;
		sha256_update(&o->sha, n, zeros);
	}
}

/*
 * put: @len bytes at file offset @off, which is never before what was put
 * already; runs of whole zero pages are left as holes
 */
static int put(struct out *o, uint64_t off, const uint8_t *p, uint64_t len)
{
	uint64_t i, n, run = 0, run_len = 0;

	hash_to(o, off);
	sha256_update(&o->sha, len, p);
	o->hashed = off + len;
	for (i = 0; i < len; i += n) {
		n = PG - (off + i) % PG;
		if (n > len - i)
			n = len - i;
		if (n == PG && !memcmp(p + i, zeros, n)) {
			if (run_len && pwrite_all(o->fd, p + run, run_len, off + run))
				return -1;
			run_len = 0;
			continue;
		}
		if (!run_len)
			run = i;
		run_len += n;
	}
	if (run_len && pwrite_all(o->fd, p + run, run_len, off + run))
		return -1;
	return 0;
}

/* read [pa, pa + n); a page that cannot be read becomes zeros, counted */
static void read_ram(struct kvmmem_pmem *pm, struct out *o, uint64_t pa,
		     uint8_t *buf, uint64_t n)
{
	uint64_t at;

	if (!kvmmem_pmem_read(pm, pa, buf, n))
		return;
	for (at = 0; at < n; at += PG) {
		uint64_t k = n - at < PG ? n - at : PG;

		if (kvmmem_pmem_read(pm, pa + at, buf + at, k)) {
			memset(buf + at, 0, k);
			o->bad++;
		}
	}
}

static void progress(struct out *o)
{
	double dt = now_s() - o->t0;

	if (!o->tty || !o->all)
		return;
	fprintf(stderr, "\r%7.1f / %.1f MiB  %3d%%  %6.1f MiB/s ",
		o->done / 1048576.0, o->all / 1048576.0,
		(int)(o->done * 100 / o->all), o->done / 1048576.0 / (dt > 0 ? dt : 1));
}

/* copy the range [start, end) of RAM to file offset @off */
static int copy_range(struct kvmmem_pmem *pm, struct out *o, uint8_t *buf,
		      uint64_t off, uint64_t start, uint64_t end)
{
	uint64_t pa, n;

	for (pa = start; pa < end; pa += n) {
		n = end - pa < CHUNK ? end - pa : CHUNK;
		read_ram(pm, o, pa, buf, n);
		if (put(o, off + (pa - start), buf, n))
			return -1;
		o->done += n;
		progress(o);
	}
	return 0;
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

/* the part of range @r that holds the kernel image: [*lo, *hi), or empty */
static void kernel_piece(const struct kvmmem_ram_range *r, uint64_t kpa,
			 uint64_t ksize, uint64_t *lo, uint64_t *hi)
{
	*lo = r->start > kpa ? r->start : kpa;
	*hi = r->end < kpa + ksize ? r->end : kpa + ksize;
	if (*hi < *lo)
		*hi = *lo;
}

static void load(Elf64_Phdr *p, uint64_t off, uint64_t va, uint64_t pa,
		 uint64_t len)
{
	p->p_type = PT_LOAD;
	p->p_flags = PF_R | PF_W | PF_X;
	p->p_offset = off;
	p->p_vaddr = va;
	p->p_paddr = pa;
	p->p_filesz = len;
	p->p_memsz = len;
}

/*
 * The ELF header, program headers and VMCOREINFO note; sets where the
 * ranges' bytes start. The kernel image's PT_LOADs (one, unless memslots
 * split the image) come first and point at the bytes of the ranges that
 * hold it.
 */
static int elf_headers(struct evidence_elf *e, const struct kvmmem_ram_range *r,
		       int n, const struct kernel *k)
{
	uint64_t kpa = k->stext - START_KERNEL_MAP + k->phys_base;
	uint64_t ksize = k->end - k->stext, lo, hi, off, note_off, note_len;
	size_t text = strlen(k->vmcoreinfo), phnum = 1, hdr_len, i, j;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	Elf64_Nhdr *nh;
	uint8_t *hdr;

	for (i = 0; i < (size_t)n; i++) {
		kernel_piece(&r[i], kpa, ksize, &lo, &hi);
		phnum += 1 + (hi > lo);
	}
	note_off = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
	note_len = sizeof(Elf64_Nhdr) + 12 + align_up(text, 4);
	hdr_len = note_off + note_len;
	hdr = calloc(1, hdr_len);
	if (!hdr)
		return -1;
	eh = (Elf64_Ehdr *)hdr;
	ph = (Elf64_Phdr *)(hdr + sizeof(*eh));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = phnum;

	ph[0].p_type = PT_NOTE;
	ph[0].p_offset = note_off;
	ph[0].p_filesz = note_len;
	ph[0].p_memsz = note_len;
	nh = (Elf64_Nhdr *)(hdr + note_off);
	nh->n_namesz = sizeof("VMCOREINFO");
	nh->n_descsz = text;
	nh->n_type = 0;
	memcpy(nh + 1, "VMCOREINFO", sizeof("VMCOREINFO"));
	memcpy((uint8_t *)(nh + 1) + 12, k->vmcoreinfo, text);

	e->hdr = hdr;
	e->hdr_len = hdr_len;
	e->data_off = align_up(hdr_len, PG);
	for (i = 0, j = 1, off = e->data_off; i < (size_t)n; i++) {
		kernel_piece(&r[i], kpa, ksize, &lo, &hi);
		if (hi > lo)
			load(&ph[j++], off + (lo - r[i].start), k->stext + (lo - kpa), lo,
			     hi - lo);
		off += r[i].end - r[i].start;
	}
	for (i = 0, off = e->data_off; i < (size_t)n; i++) {
		load(&ph[j++], off, k->page_offset + r[i].start, r[i].start,
		     r[i].end - r[i].start);
		off += r[i].end - r[i].start;
	}
	e->size = off;
	return 0;
}

/* what the elf format needs: the target's VMCOREINFO and kernel layout */
static int kernel_of(struct kvmmem_linux *lx, struct kernel *k)
{
	uint64_t kaslr, pob;

	k->vmcoreinfo = kvmmem_linux_vmcoreinfo(lx);
	if (!k->vmcoreinfo || kvmmem_linux_layout(lx, &kaslr, &k->phys_base) ||
	    kvmmem_linux_symbol(lx, "_stext", &k->stext) ||
	    (kvmmem_linux_symbol(lx, "_end", &k->end) &&
	     kvmmem_linux_symbol(lx, "__bss_stop", &k->end)) ||
	    kvmmem_linux_symbol(lx, "page_offset_base", &pob) ||
	    kvmmem_linux_vread(lx, 0, pob, &k->page_offset, 8))
		return -1;
	k->end = align_up(k->end, PG);
	return k->end > k->stext ? 0 : -1;
}

/**
 * evidence_elf_build() - the headers of an ELF vmcore of a Linux target
 * @lx: the target's Linux view
 * @r: its RAM ranges
 * @n: how many
 * @e: filled in: the ELF header, program headers and VMCOREINFO note
 *     (@e->hdr, @e->hdr_len bytes), where the ranges' bytes start, one
 *     after the other (@e->data_off), and the file's size (@e->size)
 *
 * Return: 0, or -1 (errno ENOENT: the target's VMCOREINFO or kernel layout
 * is not all known).
 */
int evidence_elf_build(struct kvmmem_linux *lx, const struct kvmmem_ram_range *r,
		       int n, struct evidence_elf *e)
{
	struct kernel k = { 0 };

	memset(e, 0, sizeof(*e));
	if (kernel_of(lx, &k)) {
		errno = ENOENT;
		return -1;
	}
	return elf_headers(e, r, n, &k);
}

/**
 * evidence_elf_free() - free what evidence_elf_build() made
 * @e: the headers
 */
void evidence_elf_free(struct evidence_elf *e)
{
	free(e->hdr);
	e->hdr = NULL;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void utc(char *buf, size_t n, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct record {
	const char *format, *path, *image, *grant;
	const struct kvmmem_linux_uts *uts;
	const struct kvmmem_ram_range *r;
	int n;
	uint64_t size, bad;
	time_t start, end;
	char sha[2 * SHA256_DIGEST_SIZE + 1];
	int paused;		/* 0: not asked, 1: by kvmmem-host, 2: already */
	int held;		/* the pause held from start to end */
	long held_ms;
	char why[256];		/* why it did not */
};

/* The record's last fields: was the target paused, is the image consistent. */
static void record_pause(FILE *f, const struct record *rc)
{
	static const char * const by[] = { "no", "by kvmmem-host", "already (by its owner)" };

	fprintf(f, "  \"paused\": \"%s\",\n", by[rc->paused]);
	if (rc->paused && rc->held) {
		fprintf(f, "  \"paused_ms\": %ld,\n  \"consistent\": true,\n", rc->held_ms);
		fputs("  \"note\": \"the target was paused from before the first read to after the last\"\n}\n", f);
		return;
	}
	fputs("  \"consistent\": false,\n  \"note\": ", f);
	if (rc->paused) {
		char note[400];

		snprintf(note, sizeof(note), "the pause did not hold (%s): a live image, smeared over the time between start and end",
			 rc->why);
		json_str(f, note);
	} else {
		json_str(f, rc->image ? "converted from an image file" :
			 "a live image, smeared over the time between start and end: the target ran while it was read");
	}
	fputs("\n}\n", f);
}

static int write_record(const struct record *rc)
{
	char path[4096], t0[32], t1[32];
	FILE *f;
	int i;

	if (snprintf(path, sizeof(path), "%s.json", rc->path) >= (int)sizeof(path))
		return -1;
	f = fopen(path, "w");
	if (!f)
		return -1;
	utc(t0, sizeof(t0), rc->start);
	utc(t1, sizeof(t1), rc->end);
	fprintf(f, "{\n  \"kvmmem_version\": \"%s\",\n  \"format\": \"%s\",\n  \"file\": ",
		KVMMEM_VERSION, rc->format);
	json_str(f, rc->path);
	fprintf(f, ",\n  \"size\": %" PRIu64 ",\n  \"sha256\": \"%s\",\n", rc->size, rc->sha);
	if (rc->image) {
		fputs("  \"source\": \"image\",\n  \"image\": ", f);
		json_str(f, rc->image);
		fputs(",\n", f);
	} else {
		fprintf(f, "  \"source\": \"live\",\n  \"grant\": \"sha256:%s\",\n", rc->grant);
	}
	if (rc->uts) {
		fputs("  \"target\": { \"nodename\": ", f);
		json_str(f, rc->uts->nodename);
		fputs(", \"release\": ", f);
		json_str(f, rc->uts->release);
		fputs(", \"version\": ", f);
		json_str(f, rc->uts->version);
		fputs(" },\n", f);
	} else {
		fputs("  \"target\": null,\n", f);
	}
	fputs("  \"ranges\": [", f);
	for (i = 0; i < rc->n; i++)
		fprintf(f, "%s[%" PRIu64 ", %" PRIu64 "]", i ? ", " : "", rc->r[i].start,
			rc->r[i].end);
	fprintf(f, "],\n  \"unreadable_pages\": %" PRIu64 ",\n", rc->bad);
	fprintf(f, "  \"start\": \"%s\",\n  \"end\": \"%s\",\n", t0, t1);
	record_pause(f, rc);
	return fclose(f) ? -1 : 0;
}

static int parse_format(const char *s, enum format *f)
{
	if (!strcmp(s, "raw"))
		*f = F_RAW;
	else if (!strcmp(s, "lime"))
		*f = F_LIME;
	else if (!strcmp(s, "elf"))
		*f = F_ELF;
	else
		return -1;
	return 0;
}

/* the image: headers and ranges in file order; sets *size */
static int write_image(struct kvmmem_pmem *pm, struct out *o, enum format f,
		       const struct kvmmem_ram_range *r, int n,
		       const struct evidence_elf *e, uint64_t *size)
{
	uint8_t *buf = malloc(CHUNK);
	uint64_t off = 0;
	int i, ret = -1;

	if (!buf)
		return -1;
	if (f == F_ELF) {
		if (put(o, 0, e->hdr, e->hdr_len))
			goto out_free;
		off = e->data_off;
	}
	for (i = 0; i < n; i++) {
		uint64_t len = r[i].end - r[i].start;

		if (f == F_LIME) {
			uint8_t h[32] = { 0 };
			uint32_t magic = LIME_MAGIC, version = 1;
			uint64_t last = r[i].end - 1;

			memcpy(h, &magic, 4);
			memcpy(h + 4, &version, 4);
			memcpy(h + 8, &r[i].start, 8);
			memcpy(h + 16, &last, 8);
			if (put(o, off, h, sizeof(h)))
				goto out_free;
			off += sizeof(h);
		} else if (f == F_RAW) {
			off = r[i].start;
		}
		if (copy_range(pm, o, buf, off, r[i].start, r[i].end))
			goto out_free;
		off += len;
	}
	*size = off;
	hash_to(o, off);
	ret = ftruncate(o->fd, off);
out_free:
	free(buf);
	return ret;
}

/**
 * evidence_dump() - kvmmem dump --format FORMAT FILE
 * @km: the live target, or NULL for @image
 * @image: an image file to convert, when @km is NULL
 * @format: raw, lime or elf
 * @path: the image to write; its record goes to @path.json
 * @grant: a digest of the grant's token, for the record (live only)
 * @key: the grant's cache key for the Linux view (live only), or NULL
 * @pause: ask kvmmem-host pause-port to pause the target for the whole
 *	   acquisition (live only)
 *
 * Return: kvmmem's exit code; 1 also when the image is written but the
 * pause did not hold (its record says so).
 */
int evidence_dump(struct kvmmem *km, const char *image, const char *format,
		  const char *path, const char *grant, const char *key,
		  int pause)
{
	struct kvmmem_linux_opts lo = {
		.cache_dir = key ? CACHE_DIR : NULL, .cache_key = key,
		.warn = linux_warn_quiet,
	};
	struct record rc = { .format = format, .path = path, .image = image,
			     .grant = grant };
	struct kvmmem_linux_uts uts;
	const struct kvmmem_ram_range *r;
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct kvmmem_linux *lx = NULL;
	struct evidence_elf e = { 0 };
	struct pause_req pr = { .fd = -1 };
	struct out o = { .fd = -1 };
	struct kvmmem_pmem *pm;
	int n, i, ret = EX_LFAIL;
	enum format f;

	if (parse_format(format, &f))
		return fail(EX_LUSE, "dump --format: raw, lime or elf, not '%s'", format);
	/* paused before the first read: the ranges and the kernel's layout too */
	if (pause && pause_begin(&pr, rc.why, sizeof(rc.why)))
		return fail(EX_LFAIL, "cannot pause the target: %s", rc.why);
	if (pause)
		rc.paused = pr.already ? 2 : 1;
	pm = km ? kvmmem_pmem_live(km) : kvmmem_pmem_image(image);
	if (!pm) {
		ret = fail(EX_LFAIL, "%s: %s", km ? "the target's RAM ranges" : image,
			   strerror(errno));
		goto out_resume;
	}
	n = kvmmem_pmem_ranges(pm, &r);
	if (n <= 0) {
		ret = fail(EX_LFAIL, "the target has no RAM ranges to dump");
		goto out_pmem;
	}
	lx = kvmmem_linux_open(pm, &lo);
	if (lx && !kvmmem_linux_uname(lx, &uts))
		rc.uts = &uts;
	if (f == F_ELF && (!lx || evidence_elf_build(lx, r, n, &e))) {
		ret = fail(EX_LFAIL, "--format elf needs a Linux target's VMCOREINFO and kernel layout: %s",
			   lx ? "not all found" : "no Linux kernel understood in its memory");
		goto out_linux;
	}
	o.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (o.fd < 0) {
		ret = fail(EX_LFAIL, "%s: %s", path, strerror(errno));
		goto out_linux;
	}
	sha256_init(&o.sha);
	for (i = 0; i < n; i++)
		o.all += r[i].end - r[i].start;
	o.tty = isatty(2);
	o.t0 = now_s();
	rc.start = time(NULL);
	if (write_image(pm, &o, f, r, n, &e, &rc.size)) {
		ret = fail(EX_LFAIL, "%s: %s", path, strerror(errno));
		goto out_close;
	}
	rc.end = time(NULL);
	if (pause) {
		rc.held = !pause_end(&pr, rc.why, sizeof(rc.why), &rc.held_ms);
		if (!rc.held)
			fprintf(stderr, "kvmmem: the target did not stay paused (%s): the image is not consistent\n",
				rc.why);
	}
	if (close(o.fd)) {
		o.fd = -1;
		ret = fail(EX_LFAIL, "%s: %s", path, strerror(errno));
		goto out_linux;
	}
	o.fd = -1;
	sha256_digest(&o.sha, sizeof(digest), digest);
	for (i = 0; i < SHA256_DIGEST_SIZE; i++)
		sprintf(rc.sha + 2 * i, "%02x", digest[i]);
	rc.r = r;
	rc.n = n;
	rc.bad = o.bad;
	if (write_record(&rc)) {
		ret = fail(EX_LFAIL, "%s.json: %s", path, strerror(errno));
		goto out_linux;
	}
	printf("%s  %s\n", rc.sha, path);
	fprintf(stderr, "%s%s image of %d ranges, %" PRIu64 " bytes of RAM in %.1f s, %" PRIu64
		" unreadable pages; record in %s.json\n", o.tty ? "\n" : "", format, n, o.all,
		now_s() - o.t0, o.bad, path);
	ret = pause && !rc.held ? EX_LFAIL : EX_LDONE;
out_close:
	if (o.fd >= 0)
		close(o.fd);
out_linux:
	evidence_elf_free(&e);
	if (lx)
		kvmmem_linux_close(lx);
out_pmem:
	kvmmem_pmem_close(pm);
out_resume:
	if (pr.fd >= 0 && pause_end(&pr, rc.why, sizeof(rc.why), &rc.held_ms) < 0)
		fprintf(stderr, "kvmmem: resuming the target: %s\n", rc.why);
	return ret;
}
