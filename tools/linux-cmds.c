// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: kvmmem's Linux commands
 *
 * uname, ps, lsmod, dmesg, maps and vread: a Linux target seen through the
 * Linux layer of libkvmmem (<kvmmem_linux.h>), live through a handle or
 * offline from an image file. The output is plain text shaped like the
 * target's own tools (uname -r, ps, /proc/modules, dmesg, /proc/PID/maps),
 * or JSON with --json. Warnings of the layer (a walk cut short) go to
 * standard error.
 */
/* Copyright (C) 2026 The kvmmem authors */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmmem_linux.h"
#include "linux-cmds.h"

static const char *prog = "kvmmem";

#include "fail.h"

#define VREAD_MAX	(64ULL << 20)

/* Options of the Linux commands. */
struct lopts {
	int json, all, threads, hidden, raw, pid;
	const char *args[2];
	int nargs;
};

static const char *const cmds[] = {
	"uname", "ps", "lsmod", "dmesg", "maps", "vread", "vmcoreinfo", "kallsyms",
	NULL
};

/**
 * linux_is_cmd() - is @cmd one of the Linux commands?
 * @cmd: a command name
 *
 * Return: whether it is.
 */
bool linux_is_cmd(const char *cmd)
{
	int i;

	for (i = 0; cmds[i]; i++)
		if (!strcmp(cmd, cmds[i]))
			return true;
	return false;
}

/* A JSON string (the target's bytes may be anything). */
static void jstr(const char *s, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n && s[i]; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int cmd_uname(struct kvmmem_linux *lx, const struct lopts *o)
{
	struct kvmmem_linux_uts u;

	if (kvmmem_linux_uname(lx, &u))
		return fail(EX_LFAIL, "uname: %s", strerror(errno));
	if (o->json) {
		printf("{\"sysname\": ");
		jstr(u.sysname, sizeof(u.sysname));
		printf(", \"nodename\": ");
		jstr(u.nodename, sizeof(u.nodename));
		printf(", \"release\": ");
		jstr(u.release, sizeof(u.release));
		printf(", \"version\": ");
		jstr(u.version, sizeof(u.version));
		printf(", \"machine\": ");
		jstr(u.machine, sizeof(u.machine));
		printf("}\n");
	} else if (o->all) {
		printf("%s %s %s %s %s\n", u.sysname, u.nodename, u.release,
		       u.version, u.machine);
	} else {
		printf("%s\n", u.release);
	}
	return EX_LDONE;
}

static int cmd_ps(struct kvmmem_linux *lx, const struct lopts *o)
{
	unsigned int flags = (o->threads ? KVMMEM_LINUX_THREADS : 0) |
			     (o->hidden ? KVMMEM_LINUX_HIDDEN : 0);
	struct kvmmem_linux_task *t;
	size_t n, i, shown = 0;

	if (kvmmem_linux_tasks(lx, flags, &t, &n))
		return fail(EX_LFAIL, "ps: %s", strerror(errno));
	if (o->json)
		printf("[");
	else if (o->threads)
		printf("%7s %7s %7s %5s %5s %s\n", "PID", "TID", "PPID", "UID",
		       "STATE", "COMM");
	else
		printf("%7s %7s %5s %5s %s\n", "PID", "PPID", "UID", "STATE", "COMM");
	for (i = 0; i < n; i++) {
		/* the idle task is not a process that ps shows */
		if ((!o->threads && !o->hidden && t[i].pid != t[i].tgid) || !t[i].pid)
			continue;
		if (o->json) {
			printf("%s\n {\"pid\": %d, \"tid\": %d, \"ppid\": %d, \"uid\": %u, \"ruid\": %u, \"state\": \"%c\", \"kthread\": %s, \"hidden\": %s, \"start_ns\": %" PRIu64 ", \"task\": \"0x%" PRIx64 "\", \"comm\": ",
			       shown++ ? "," : "", t[i].tgid, t[i].pid, t[i].ppid,
			       t[i].euid, t[i].uid, t[i].state,
			       t[i].kthread ? "true" : "false",
			       t[i].hidden ? "true" : "false", t[i].start_ns,
			       t[i].addr);
			jstr(t[i].comm, sizeof(t[i].comm));
			printf(", \"name\": ");
			jstr(t[i].name, sizeof(t[i].name));
			printf("}");
		} else if (o->threads) {
			printf("%7d %7d %7d %5u %5c %s\n", t[i].tgid, t[i].pid,
			       t[i].ppid, t[i].euid, t[i].state, t[i].name);
		} else {
			printf("%7d %7d %5u %5c %s\n", t[i].tgid, t[i].ppid,
			       t[i].euid, t[i].state, t[i].name);
		}
	}
	if (o->json)
		printf("\n]\n");
	free(t);
	return EX_LDONE;
}

static int cmd_lsmod(struct kvmmem_linux *lx, const struct lopts *o)
{
	static const char *const states[] = { "Live", "Loading", "Unloading" };
	struct kvmmem_linux_module *m;
	size_t n, i;

	if (kvmmem_linux_modules(lx, o->hidden ? KVMMEM_LINUX_HIDDEN : 0, &m, &n))
		return fail(EX_LFAIL, "lsmod: %s", strerror(errno));
	if (o->json)
		printf("[");
	for (i = 0; i < n; i++) {
		if (o->json) {
			printf("%s\n {\"name\": ", i ? "," : "");
			jstr(m[i].name, sizeof(m[i].name));
			printf(", \"size\": %" PRIu64 ", \"refcnt\": %d, \"state\": \"%s\", \"hidden\": %s, \"base\": \"0x%" PRIx64 "\", \"module\": \"0x%" PRIx64 "\", \"used_by\": ",
			       m[i].size, m[i].refcnt, states[m[i].state % 3],
			       m[i].hidden ? "true" : "false", m[i].base, m[i].addr);
			jstr(m[i].deps, sizeof(m[i].deps));
			printf("}");
		} else {
			/* as /proc/modules shows it */
			printf("%s %" PRIu64 " %d %s %s 0x%016" PRIx64 "\n", m[i].name,
			       m[i].size, m[i].refcnt, m[i].deps[0] ? m[i].deps : "-",
			       states[m[i].state % 3], m[i].base);
		}
	}
	if (o->json)
		printf("\n]\n");
	free(m);
	return EX_LDONE;
}

struct logctx {
	const struct lopts *o;
	size_t n;
};

static int log_line(void *ctx, const struct kvmmem_linux_logrec *r)
{
	struct logctx *c = ctx;
	unsigned char ch;
	int indent;
	size_t i;

	if (c->o->json) {
		printf("%s\n {\"seq\": %" PRIu64 ", \"ts_ns\": %" PRIu64 ", \"level\": %u, \"facility\": %u, \"text\": ",
		       c->n ? "," : "", r->seq, r->ts_ns, r->level, r->facility);
		jstr(r->text, r->len);
		printf("}");
		c->n++;
		return 0;
	}
	/*
	 * As util-linux dmesg prints what /dev/kmsg gives, in the C locale:
	 * the record's time, then its text, each further line of it indented
	 * to the text's column; bytes neither printable nor white space as
	 * \xNN. A record without text is an empty line.
	 */
	if (!r->len) {
		putchar('\n');
		c->n++;
		return 0;
	}
	indent = printf("[%5" PRIu64 ".%06" PRIu64 "] ", r->ts_ns / 1000000000,
			r->ts_ns % 1000000000 / 1000);
	for (i = 0; i < r->len; i++) {
		ch = r->text[i];
		if (ch == '\n' && i + 1 < r->len && r->text[i + 1])
			printf("\n%*s", indent, "");
		else if ((ch >= ' ' && ch < 0x7f) || (ch >= '\t' && ch <= '\r'))
			putchar(ch);
		else
			printf("\\x%02x", ch);
	}
	putchar('\n');
	c->n++;
	return 0;
}

static int cmd_dmesg(struct kvmmem_linux *lx, const struct lopts *o)
{
	struct logctx c = { .o = o };

	if (o->json)
		printf("[");
	if (kvmmem_linux_log(lx, log_line, &c))
		return fail(EX_LFAIL, "dmesg: %s", strerror(errno));
	if (o->json)
		printf("\n]\n");
	return EX_LDONE;
}

static int cmd_maps(struct kvmmem_linux *lx, const struct lopts *o)
{
	struct kvmmem_linux_vma *v;
	const char *p;
	size_t n, i;
	char *end;
	long pid;
	int w;

	pid = o->nargs == 1 ? strtol(o->args[0], &end, 10) : -1;
	if (pid <= 0 || *end)
		return fail(EX_LUSE, "maps PID: see kvmmem --help");
	if (kvmmem_linux_maps(lx, pid, &v, &n))
		return fail(EX_LFAIL, "maps %ld: %s", pid, strerror(errno));
	if (o->json)
		printf("[");
	for (i = 0; i < n; i++) {
		char perms[5] = {
			v[i].flags & 1 ? 'r' : '-', v[i].flags & 2 ? 'w' : '-',
			v[i].flags & 4 ? 'x' : '-', v[i].flags & 0x80 ? 's' : 'p', 0
		};

		if (o->json) {
			printf("%s\n {\"start\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64 "\", \"perms\": \"%s\", \"offset\": %" PRIu64 ", \"dev\": \"%02x:%02x\", \"inode\": %" PRIu64 ", \"name\": ",
			       i ? "," : "", v[i].start, v[i].end, perms,
			       v[i].pgoff * 4096, v[i].dev_major, v[i].dev_minor,
			       v[i].ino);
			if (v[i].name)
				jstr(v[i].name, KVMMEM_LINUX_PATH_MAX);
			else
				printf("null");
			printf("}");
			continue;
		}
		w = printf("%08" PRIx64 "-%08" PRIx64 " %s %08" PRIx64 " %02x:%02x %" PRIu64 " ",
			   v[i].start, v[i].end, perms, v[i].pgoff * 4096,
			   v[i].dev_major, v[i].dev_minor, v[i].ino);
		/*
		 * seq_pad() to column 72, then a space; a path's newlines
		 * as seq_file_path() escapes them
		 */
		if (v[i].name) {
			printf("%*s", w < 73 ? 73 - w : 1, "");
			for (p = v[i].name; *p; p++) {
				if (*p == '\n')
					fputs("\\012", stdout);
				else
					putchar(*p);
			}
		}
		putchar('\n');
	}
	if (o->json)
		printf("\n]\n");
	kvmmem_linux_maps_free(v, n);
	return EX_LDONE;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

static int cmd_vread(struct kvmmem_linux *lx, const struct lopts *o)
{
	uint64_t va, len, sym, i;
	uint8_t *buf;

	if (o->nargs != 2 || parse_u64(o->args[1], &len) || !len || len > VREAD_MAX)
		return fail(EX_LUSE, "vread [--pid PID] ADDR|SYMBOL LEN [--raw]: see kvmmem --help");
	if (parse_u64(o->args[0], &va)) {
		if (o->pid || kvmmem_linux_symbol(lx, o->args[0], &sym))
			return fail(EX_LUSE, "vread: '%s' is neither an address nor a kernel symbol",
				    o->args[0]);
		va = sym;
	}
	buf = malloc(len);
	if (!buf)
		return fail(EX_LFAIL, "out of memory");
	if (kvmmem_linux_vread(lx, o->pid, va, buf, len)) {
		free(buf);
		return fail(EX_LFAIL, "vread at %#" PRIx64 "%s: %s", va,
			    o->pid ? " in that process" : "",
			    errno == EFAULT ? "not mapped" :
			    errno == ENODATA ? "swapped out" :
			    errno == ESRCH ? "no such process (or one without memory)" :
			    strerror(errno));
	}
	if (o->raw) {
		fwrite(buf, 1, len, stdout);
	} else {
		for (i = 0; i < len; i += 16) {
			uint64_t k, n = len - i < 16 ? len - i : 16;

			printf("%016" PRIx64 " ", va + i);
			for (k = 0; k < 16; k++)
				printf(k < n ? " %02x" : "   ", buf[i + k]);
			printf("  |");
			for (k = 0; k < n; k++)
				putchar(buf[i + k] >= 32 && buf[i + k] < 127 ? buf[i + k] : '.');
			printf("|\n");
		}
	}
	free(buf);
	return EX_LDONE;
}

static int parse(int argc, char **argv, struct lopts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			o->json = 1;
		else if (!strcmp(argv[i], "-a") && !strcmp(argv[0], "uname"))
			o->all = 1;
		else if (!strcmp(argv[i], "-T") && !strcmp(argv[0], "ps"))
			o->threads = 1;
		else if (!strcmp(argv[i], "--hidden") &&
			 (!strcmp(argv[0], "ps") || !strcmp(argv[0], "lsmod")))
			o->hidden = 1;
		else if (!strcmp(argv[i], "--raw") && !strcmp(argv[0], "vread"))
			o->raw = 1;
		else if (!strcmp(argv[i], "--pid") && i + 1 < argc &&
			 !strcmp(argv[0], "vread"))
			o->pid = atoi(argv[++i]);
		else if (argv[i][0] != '-' && o->nargs < 2)
			o->args[o->nargs++] = argv[i];
		else
			return fail(EX_LUSE, "%s: unexpected '%s': see kvmmem --help",
				    argv[0], argv[i]);
	}
	return 0;
}

static int sym_line(void *ctx, uint64_t addr, char type, const char *name)
{
	(void)ctx;
	printf("%016" PRIx64 " %c %s\n", addr, type, name);
	return 0;
}

/**
 * linux_warn_quiet() - a Linux view's warnings, dropped (for the views
 * that only describe the target: its uname in a record, its vmcore)
 * @ctx: unused
 * @msg: unused
 */
void linux_warn_quiet(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

static void warn_stderr(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "kvmmem: warning: %s\n", msg);
}

/**
 * linux_cmd() - run a Linux command
 * @km: a handle for a live target, or NULL
 * @image: an image file, when @km is NULL
 * @btf: a BTF file for a kernel without BTF, or NULL
 * @sysmap: a System.map for a kernel without kallsyms tables, or NULL
 * @key: a name for @km's grant, under which the place of the target's
 *	 kernel is kept for the next command; NULL: search all RAM
 * @argc: arguments, the command's name first
 * @argv: them
 *
 * Return: the exit code.
 */
int linux_cmd(struct kvmmem *km, const char *image, const char *btf,
	      const char *sysmap, const char *key, int argc, char **argv)
{
	struct kvmmem_linux_opts lo = {
		.btf_path = btf, .sysmap_path = sysmap, .warn = warn_stderr,
		/* a live grant's commands keep what they learnt, for the next */
		.cache_dir = key ? CACHE_DIR : NULL, .cache_key = key,
	};
	struct kvmmem_linux *lx;
	struct kvmmem_pmem *pm;
	struct lopts o;
	int ret;

	if (parse(argc, argv, &o))
		return EX_LUSE;
	if ((!strcmp(argv[0], "maps") && o.nargs != 1) ||
	    (strcmp(argv[0], "maps") && strcmp(argv[0], "vread") && o.nargs))
		return fail(EX_LUSE, "%s: wrong arguments: see kvmmem --help", argv[0]);
	pm = km ? kvmmem_pmem_live(km) : kvmmem_pmem_image(image);
	if (!pm)
		return fail(EX_LFAIL, "%s: %s", km ? "the target's RAM ranges" : image,
			    errno == EINVAL ? "not a raw, LiME or ELF image" :
			    strerror(errno));
	lx = kvmmem_linux_open(pm, &lo);
	if (!lx) {
		ret = fail(EX_LFAIL, "no Linux kernel understood in the target's memory: %s",
			   errno == ENOENT ? "no VMCOREINFO with kernel symbols (Linux 6.0 or later, with kallsyms; or give --system-map)" :
			   errno == ENOTUNIQ ? "more than one consistent kernel (a forged VMCOREINFO?)" :
			   errno == ENOMSG ? "the kernel has no BTF (give one with --btf FILE)" :
			   strerror(errno));
		kvmmem_pmem_close(pm);
		return ret;
	}
	if (!strcmp(argv[0], "uname"))
		ret = cmd_uname(lx, &o);
	else if (!strcmp(argv[0], "ps"))
		ret = cmd_ps(lx, &o);
	else if (!strcmp(argv[0], "lsmod"))
		ret = cmd_lsmod(lx, &o);
	else if (!strcmp(argv[0], "dmesg"))
		ret = cmd_dmesg(lx, &o);
	else if (!strcmp(argv[0], "maps"))
		ret = cmd_maps(lx, &o);
	else if (!strcmp(argv[0], "kallsyms"))
		ret = kvmmem_linux_symbols(lx, sym_line, NULL) ? EX_LFAIL : EX_LDONE;
	else if (!strcmp(argv[0], "vmcoreinfo"))
		ret = fputs(kvmmem_linux_vmcoreinfo(lx), stdout) < 0 ? EX_LFAIL : EX_LDONE;
	else
		ret = cmd_vread(lx, &o);
	fflush(stdout);
	kvmmem_linux_close(lx);
	kvmmem_pmem_close(pm);
	return ret;
}
