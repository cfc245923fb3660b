// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: kvmmem
 *
 * Read, dump, watch and search a target VM's memory from inside an
 * introspector VM, through libkvmmem. The token comes from a file, standard
 * input, KVMMEM_TOKEN or the token port, as 64 hex digits: its 32 bytes in
 * memory order (kvmmem_token_parse()); save-token writes it back as
 * kvmmem_token_format() does.
 */
/* Copyright (C) 2026 The kvmmem authors */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <nettle/sha2.h>

#include "libkvmmem.h"
#include "evidence.h"
#include "linux-cmds.h"
#include "mount.h"
#include "yara-cmd.h"
#include "port.h"
#include "vport.h"

/* Exit codes (also in kvmmem(1)) */
enum {
	EX_DONE = 0,	/* done; find: found */
	EX_FAIL = 1,	/* a read or write failed (not RAM, I/O) */
	EX_BADUSE = 2,	/* bad command line */
	EX_TOKEN = 3,	/* no token, unreadable or malformed */
	EX_NODEV = 4,	/* no /dev/kvmmem: module not loaded */
	EX_REFUSED = 5,	/* the host refused: wrong token, no grant, range */
	EX_NOMATCH = 6,	/* find: no match */
};

#define PG		4096ULL
#define CHUNK		(4ULL << 20)	/* bytes per read */
#define PAT_MAX		256		/* bytes in a find pattern */

static const char usage[] =
"usage: kvmmem [TOKEN OPTION] COMMAND ARGS...\n"
"\n"
"Read a target VM's guest-physical memory from this introspector VM.\n"
"\n"
"Commands:\n"
"  read GPA LEN [--raw]          print LEN bytes at GPA as a hex dump (or raw)\n"
"  dump GPA LEN FILE             copy LEN bytes to FILE ('-': standard output);\n"
"                                holes (not RAM) are skipped and read as zeros\n"
"  dump --format raw|lime|elf FILE\n"
"                                an evidence image of all the target's RAM\n"
"                                ranges: raw (offset = address), LiME, or an\n"
"                                ELF vmcore (Linux targets: for makedumpfile,\n"
"                                crash, drgn); prints its SHA-256 and writes a\n"
"                                record to FILE.json; with --image IMAGE,\n"
"                                converts IMAGE instead; with --pause, the\n"
"                                target is paused while it is read (a\n"
"                                consistent image), if the host runs\n"
"                                kvmmem-host pause-port for the grant\n"
"  watch GPA LEN [-i MS] [-n N]  hex dump every MS ms (default 500), changed\n"
"                                bytes highlighted; N rounds (default: forever)\n"
"  find GPA LEN PATTERN          print the address of each match of PATTERN\n"
"                                (text, or hex:0011AABB)\n"
"  ranges                        print the target's RAM ranges that the grant\n"
"                                covers: START END (hex, END exclusive)\n"
"  save-token FILE               write the token to FILE (new, mode 0600)\n"
"  yara RULES [--pid PID | --all | --kernel]\n"
"                                YARA rules over the live target, zero-copy:\n"
"                                its physical memory, one process (Linux),\n"
"                                every process or the kernel's image and\n"
"                                module area; a line per matching string:\n"
"                                RULE pid= comm= va= pa= STRING\n"
"  mount DIR [--foreground] [--rw]\n"
"                                show the target as files (FUSE): DIR/pmem\n"
"                                (offset = address, read live; --rw: written\n"
"                                live, under a read-write grant), DIR/ranges,\n"
"                                DIR/vmcore (Linux targets);\n"
"                                fusermount3 -u DIR ends it\n"
"\n"
"A Linux target, understood from its memory alone (KASLR and all; no\n"
"debug package needed), like its own tools show it; --json for scripts:\n"
"  uname [-a]                    its release (-a: all of uname)\n"
"  ps [-T] [--hidden]            its processes (-T: threads; --hidden: the\n"
"                                ones in the pid table but not the task list)\n"
"  lsmod [--hidden]              its modules, like /proc/modules (--hidden:\n"
"                                in /sys/module but not the module list)\n"
"  dmesg                         its kernel log\n"
"  maps PID                      a process's mappings, like /proc/PID/maps\n"
"  vread [--pid PID] ADDR LEN [--raw]\n"
"                                bytes at a kernel (or that process's)\n"
"                                virtual address; ADDR may be a kernel symbol\n"
"  vmcoreinfo                    its VMCOREINFO text, checked against its kernel\n"
"  kallsyms                      its kernel's symbols, like /proc/kallsyms\n"
"  --image FILE                  read a saved image (raw, LiME or ELF core)\n"
"                                instead of the live target; no token then\n"
"  --btf FILE                    the kernel's BTF, for a kernel without it\n"
"  --system-map FILE             the kernel's System.map, for a kernel whose\n"
"                                VMCOREINFO names no kallsyms tables\n"
"  --rescan                      search all of the target's RAM for its\n"
"                                kernel again (the place found is kept in\n"
"                                /run/kvmmem for the grant's later commands)\n"
"\n"
"The token (64 hex digits) never goes on the command line, where ps shows\n"
"it. It comes from one of:\n"
"  --token-file FILE             a file\n"
"  --token-stdin                 the first line of standard input\n"
"  KVMMEM_TOKEN                  an environment variable\n"
"  --token-port                  the virtio-serial port " KVMMEM_TOKEN_PORT ",\n"
"                                where kvmmem-host grant --deliver puts it\n"
"                                (read once: waits up to 30 s for it,\n"
"                                KVMMEM_PORT_WAIT seconds if set)\n"
"\n"
"GPA and LEN take 0x prefixes and K, M, G suffixes.\n"
"Exit codes: 0 done (find: found), 1 read failed, 2 usage, 3 token,\n"
"4 no /dev/kvmmem, 5 refused by the host, 6 find: no match.\n";

static const char *prog = "kvmmem";

#include "fail.h"

/* The exit code for a libkvmmem errno. */
static int code_of(int err)
{
	switch (err) {
	case ENOENT:
	case ENODEV:
		return EX_NODEV;
	case EACCES:
	case EAGAIN:
	case EOPNOTSUPP:
	case ERANGE:
	case EDQUOT:
	case EPERM:
	case EMEDIUMTYPE:
		return EX_REFUSED;
	default:
		return EX_FAIL;
	}
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

#define PORT_WAIT_MS	30000

/* How long --token-port waits: KVMMEM_PORT_WAIT seconds, else 30 s. */
static long long port_wait_ms(void)
{
	const char *env = getenv("KVMMEM_PORT_WAIT");
	uint64_t s;

	if (env && !parse_size(env, &s) && s <= 3600)
		return s * 1000;
	return PORT_WAIT_MS;
}

/*
 * The first line that comes through the token port, into @hex. A port that
 * ends at once may be one already read that is being replaced (kvmmem-host
 * deliver): look again until the time is up.
 */
static int port_token(char *hex, size_t size)
{
	struct pollfd p = { .events = POLLIN };
	struct timespec t;
	long long end, left;
	size_t len = 0;
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &t);
	end = t.tv_sec * 1000LL + t.tv_nsec / 1000000 + port_wait_ms();
	for (;;) {
		p.fd = vport_open(KVMMEM_TOKEN_PORT, O_RDONLY);
		while (p.fd >= 0 && len + 1 < size && !memchr(hex, '\n', len)) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			left = end - (t.tv_sec * 1000LL + t.tv_nsec / 1000000);
			if (left <= 0 || poll(&p, 1, left) != 1)
				break;
			n = read(p.fd, hex + len, size - len - 1);
			if (n <= 0)
				break;
			len += n;
		}
		if (p.fd >= 0)
			close(p.fd);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (len || t.tv_sec * 1000LL + t.tv_nsec / 1000000 >= end)
			break;
		usleep(100000);
	}
	hex[len] = 0;
	if (!len && p.fd < 0)
		return fail(EX_TOKEN, "no token port %s (kvmmem-host grant --deliver; is virtio_console loaded?)",
			    KVMMEM_TOKEN_PORT);
	if (!len)
		return fail(EX_TOKEN, "the token port %s gave nothing (it is read once)",
			    KVMMEM_TOKEN_PORT);
	return 0;
}

/*
 * The token, from the first source given, checked, into @hex (at least
 * KVMMEM_TOKEN_HEX + 1 bytes) as kvmmem_token_format() writes it.
 */
static int read_token(const char *file, int from_stdin, int from_port,
		      char *hex, size_t size)
{
	const char *env = getenv("KVMMEM_TOKEN");
	FILE *f = NULL;
	uint64_t t[4];

	hex[0] = 0;
	if (file) {
		f = fopen(file, "r");
		if (!f)
			return fail(EX_TOKEN, "cannot read token file %s: %s", file,
				    strerror(errno));
	} else if (from_stdin) {
		f = stdin;
	} else if (from_port) {
		if (port_token(hex, size))
			return EX_TOKEN;
	} else if (env) {
		snprintf(hex, size, "%s", env);
	} else {
		return fail(EX_TOKEN, "no token: use --token-file FILE, --token-stdin, --token-port or KVMMEM_TOKEN");
	}
	if (f && !fgets(hex, size, f))
		hex[0] = 0;
	if (f && f != stdin)
		fclose(f);
	if (kvmmem_token_parse(hex, t)) {
		explicit_bzero(hex, size);
		return fail(EX_TOKEN, "the token is not 64 hex digits");
	}
	/* the text as libkvmmem writes it: lower case, no white space */
	kvmmem_token_format(t, hex);
	explicit_bzero(t, sizeof(t));
	return 0;
}

/*
 * save-token FILE: keep a token (from the port, say) for later commands.
 * FILE is made first: a port's token is read once and must not be lost.
 */
static int save_token(const char *file, const char *tfile, int tstdin, int tport)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	char hex[160];
	size_t n;
	int ret;

	if (fd < 0)
		return fail(EX_FAIL, "%s: %s", file, strerror(errno));
	ret = read_token(tfile, tstdin, tport, hex, sizeof(hex));
	n = strlen(hex);
	if (!ret && (write(fd, hex, n) != (ssize_t)n || write(fd, "\n", 1) != 1))
		ret = fail(EX_FAIL, "%s: %s", file, strerror(errno));
	explicit_bzero(hex, sizeof(hex));
	close(fd);
	if (ret)
		unlink(file);
	return ret;
}

static void hexline(uint64_t at, const uint8_t *p, const uint8_t *old, size_t n,
		    int color)
{
	size_t i;

	printf("%016" PRIx64 " ", at);
	for (i = 0; i < 16; i++) {
		int hot = old && i < n && p[i] != old[i];

		if (i == 8)
			putchar(' ');
		if (i >= n)
			printf("   ");
		else if (hot && color)
			printf(" \033[7m%02x\033[0m", p[i]);
		else
			printf("%c%02x", hot ? '*' : ' ', p[i]);
	}
	printf("  |");
	for (i = 0; i < n; i++)
		putchar(p[i] >= 32 && p[i] < 127 ? p[i] : '.');
	printf("|\n");
}

static int cmd_read(struct kvmmem *km, uint64_t gpa, uint64_t len, int raw)
{
	uint8_t *buf = malloc(CHUNK);
	uint64_t off, n, i;

	if (!buf)
		return fail(EX_FAIL, "out of memory");
	for (off = 0; off < len; off += n) {
		n = len - off < CHUNK ? len - off : CHUNK;
		if (kvmmem_read(km, gpa + off, buf, n)) {
			free(buf);
			return fail(code_of(errno), "read at %#" PRIx64 ": %s",
				    gpa + off, kvmmem_strerror(errno));
		}
		if (raw) {
			fwrite(buf, 1, n, stdout);
			continue;
		}
		for (i = 0; i < n; i += 16)
			hexline(gpa + off + i, buf + i, NULL, n - i < 16 ? n - i : 16, 0);
	}
	free(buf);
	return EX_DONE;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read [gpa, gpa + n) into @buf; pages that are not RAM become zeros. */
static int read_holes(struct kvmmem *km, uint64_t gpa, uint8_t *buf,
		      uint64_t n, uint64_t *holes)
{
	uint64_t at, k;

	if (!kvmmem_read(km, gpa, buf, n))
		return 0;
	if (errno != ENXIO)
		return -1;
	for (at = gpa; at < gpa + n; at += k) {
		k = PG - at % PG;
		if (k > gpa + n - at)
			k = gpa + n - at;
		if (!kvmmem_read(km, at, buf + (at - gpa), k))
			continue;
		if (errno != ENXIO)
			return -1;
		memset(buf + (at - gpa), 0, k);
		(*holes)++;
	}
	return 0;
}

static int cmd_dump(struct kvmmem *km, uint64_t gpa, uint64_t len, const char *path)
{
	int fd = strcmp(path, "-") ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600) : 1;
	int tty = isatty(2) && fd != 1;
	uint64_t off, n, done, holes = 0;
	double t0 = now_s(), dt;
	uint8_t *buf;
	ssize_t w;

	if (fd < 0)
		return fail(EX_FAIL, "%s: %s", path, strerror(errno));
	buf = malloc(CHUNK);
	if (!buf)
		return fail(EX_FAIL, "out of memory");
	for (off = 0; off < len; off += n) {
		n = len - off < CHUNK ? len - off : CHUNK;
		if (read_holes(km, gpa + off, buf, n, &holes)) {
			free(buf);
			return fail(code_of(errno), "read at %#" PRIx64 ": %s",
				    gpa + off, kvmmem_strerror(errno));
		}
		for (done = 0; done < n; done += w) {
			w = write(fd, buf + done, n - done);
			if (w <= 0) {
				free(buf);
				return fail(EX_FAIL, "%s: write: %s", path, strerror(errno));
			}
		}
		if (tty) {
			dt = now_s() - t0;
			fprintf(stderr, "\r%7.1f / %.1f MiB  %3d%%  %6.1f MiB/s ",
				(off + n) / 1048576.0, len / 1048576.0,
				(int)((off + n) * 100 / len), (off + n) / 1048576.0 / (dt > 0 ? dt : 1));
		}
	}
	free(buf);
	if (fd != 1 && close(fd))
		return fail(EX_FAIL, "%s: %s", path, strerror(errno));
	dt = now_s() - t0;
	fprintf(stderr, "%sdumped %" PRIu64 " bytes, %" PRIu64 " hole pages, in %.1f s (%.1f MiB/s)\n",
		tty ? "\n" : "", len, holes, dt, len / 1048576.0 / (dt > 0 ? dt : 1));
	return EX_DONE;
}

static int cmd_watch(struct kvmmem *km, uint64_t gpa, uint64_t len, long ms, long rounds)
{
	uint8_t *cur = malloc(len), *old = calloc(1, len);
	int color = isatty(1);
	struct timespec nap = { ms / 1000, (ms % 1000) * 1000000L };
	uint64_t i;
	long r;

	if (!cur || !old)
		return fail(EX_FAIL, "out of memory");
	for (r = 0; rounds < 0 || r < rounds; r++) {
		if (kvmmem_read(km, gpa, cur, len))
			return fail(code_of(errno), "read at %#" PRIx64 ": %s", gpa,
				    kvmmem_strerror(errno));
		if (color)
			printf("\033[H\033[2J");
		printf("round %ld\n", r);
		for (i = 0; i < len; i += 16)
			hexline(gpa + i, cur + i, r ? old + i : NULL,
				len - i < 16 ? len - i : 16, color);
		fflush(stdout);
		memcpy(old, cur, len);
		if (rounds < 0 || r + 1 < rounds)
			nanosleep(&nap, NULL);
	}
	free(cur);
	free(old);
	return EX_DONE;
}

static int parse_pattern(const char *s, uint8_t *pat, size_t *n)
{
	size_t i;

	if (strncmp(s, "hex:", 4)) {
		*n = strlen(s);
		if (!*n || *n > PAT_MAX)
			return -1;
		memcpy(pat, s, *n);
		return 0;
	}
	s += 4;
	*n = strlen(s) / 2;
	if (!*n || strlen(s) % 2 || *n > PAT_MAX)
		return -1;
	for (i = 0; i < *n; i++)
		if (sscanf(s + 2 * i, "%2hhx", &pat[i]) != 1)
			return -1;
	return 0;
}

static int cmd_find(struct kvmmem *km, uint64_t gpa, uint64_t len,
		    const uint8_t *pat, size_t plen)
{
	uint64_t off, n, keep = 0, tail, found = 0, holes = 0;
	uint8_t *buf, *p;

	buf = malloc(CHUNK + PAT_MAX);
	if (!buf)
		return fail(EX_FAIL, "out of memory");
	/* each chunk follows the last plen - 1 bytes of the one before */
	for (off = 0; off < len; off += n) {
		n = len - off < CHUNK ? len - off : CHUNK;
		if (read_holes(km, gpa + off, buf + keep, n, &holes)) {
			free(buf);
			return fail(code_of(errno), "read at %#" PRIx64 ": %s",
				    gpa + off, kvmmem_strerror(errno));
		}
		for (p = buf; (p = memmem(p, keep + n - (p - buf), pat, plen)); p++) {
			printf("%#" PRIx64 "\n", gpa + off - keep + (p - buf));
			found++;
		}
		/* no whole match fits in plen - 1 bytes: none is found twice */
		tail = plen - 1 < keep + n ? plen - 1 : keep + n;
		memmove(buf, buf + keep + n - tail, tail);
		keep = tail;
	}
	free(buf);
	return found ? EX_DONE : EX_NOMATCH;
}

/* A handle with the token from where the options say; NULL: *@rc to exit with. */
/* FNV-1a, 64 bits: a name for a token that does not reveal it. */
static uint64_t fnv64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ULL;
	return h;
}

/*
 * Open a handle with a pool of @pool pages (0: the default); @key (17
 * bytes, or NULL) gets a name for its token.
 */
static struct kvmmem *open_handle(const char *tfile, int tstdin, int tport,
				  int *rc, char *key, unsigned int pool)
{
	struct kvmmem *km;
	char hex[160];

	*rc = read_token(tfile, tstdin, tport, hex, sizeof(hex));
	if (*rc)
		return NULL;
	if (key)
		snprintf(key, 17, "%016" PRIx64, fnv64(hex));
	km = kvmmem_open(hex, pool);
	explicit_bzero(hex, sizeof(hex));
	if (!km)
		*rc = fail(code_of(errno), "%s", kvmmem_strerror(errno));
	return km;
}

/* kvmmem ranges: the target's RAM under the grant, one range a line. */
static int cmd_ranges(const char *tfile, int tstdin, int tport)
{
	struct kvmmem_ram_range r[KVMMEM_RAM_RANGES_MAX];
	struct kvmmem *km;
	int ret, i;

	km = open_handle(tfile, tstdin, tport, &ret, NULL, 0);
	if (!km)
		return ret;
	ret = kvmmem_ranges(km, r, KVMMEM_RAM_RANGES_MAX);
	if (ret < 0) {
		ret = fail(code_of(errno), "ranges: %s", kvmmem_strerror(errno));
	} else {
		for (i = 0; i < ret && i < KVMMEM_RAM_RANGES_MAX; i++)
			printf("0x%" PRIx64 " 0x%" PRIx64 "\n", r[i].start, r[i].end);
		if (ret > KVMMEM_RAM_RANGES_MAX)
			fprintf(stderr, "kvmmem: %d more ranges not shown\n",
				ret - KVMMEM_RAM_RANGES_MAX);
		ret = EX_DONE;
	}
	kvmmem_close(km);
	return ret;
}

/* kvmmem yara RULES [--pid PID | --all] */
static int cmd_yara(int argc, char **argv, const char *tfile, int tstdin, int tport)
{
	enum yara_scope scope = YARA_PHYSICAL, want;
	int pid = 0, ret, i;
	struct kvmmem *km;
	char key[17];
	char *end;

	if (optind + 2 > argc)
		return fail(EX_BADUSE, "usage: kvmmem yara RULES [--pid PID | --all | --kernel]");
	for (i = optind + 2; i < argc; i++) {
		if (!strcmp(argv[i], "--all")) {
			want = YARA_ALL;
		} else if (!strcmp(argv[i], "--kernel")) {
			want = YARA_KERNEL;
		} else if (!strcmp(argv[i], "--pid") && i + 1 < argc) {
			want = YARA_PROCESS;
			pid = strtol(argv[++i], &end, 10);
			if (*end || pid <= 0)
				return fail(EX_BADUSE, "yara: bad pid '%s'", argv[i]);
		} else {
			return fail(EX_BADUSE, "usage: kvmmem yara RULES [--pid PID | --all | --kernel]");
		}
		if (scope != YARA_PHYSICAL && scope != want)
			return fail(EX_BADUSE, "yara: one of --pid, --all and --kernel");
		scope = want;
	}
	km = open_handle(tfile, tstdin, tport, &ret, key, LINUX_POOL);
	if (!km)
		return ret;
	ret = yara_cmd(km, argv[optind + 1], scope, pid, key);
	kvmmem_close(km);
	return ret;
}

/* kvmmem mount DIR [--foreground] [--rw] */
static int cmd_mount(int argc, char **argv, const char *tfile, int tstdin, int tport,
		     int foreground, int rw)
{
	char key[17], hex[160];
	struct kvmmem *km;
	int ret, i;

	for (i = optind + 2; i < argc; i++) {
		if (!strcmp(argv[i], "--foreground"))
			foreground = 1;
		else if (!strcmp(argv[i], "--rw"))
			rw = 1;
		else
			break;
	}
	if (optind + 2 > argc || i != argc)
		return fail(EX_BADUSE, "usage: kvmmem mount DIR [--foreground] [--rw]");
	ret = read_token(tfile, tstdin, tport, hex, sizeof(hex));
	if (ret)
		return ret;
	snprintf(key, sizeof(key), "%016" PRIx64, fnv64(hex));
	/* a handle that cannot open gets the exit code of the other commands */
	km = kvmmem_open(hex, 1);
	if (!km) {
		explicit_bzero(hex, sizeof(hex));
		return fail(code_of(errno), "%s", kvmmem_strerror(errno));
	}
	kvmmem_close(km);
	ret = mount_target(hex, argv[optind + 1], key, foreground, rw);
	explicit_bzero(hex, sizeof(hex));
	return ret;
}

/* kvmmem dump --format FORMAT FILE (the option before or after dump) */
static int dump_format(int argc, char **argv, const char *format, const char *image,
		       const char *tfile, int tstdin, int tport, int pause)
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx sha;
	char key[17], hex[160], grant[17];
	const char *path;
	struct kvmmem *km;
	int ret, i;

	if (!format && optind + 4 == argc) {
		format = argv[optind + 2];
		path = argv[optind + 3];
	} else if (format && optind + 2 == argc) {
		path = argv[optind + 1];
	} else {
		return fail(EX_BADUSE, "usage: kvmmem dump --format raw|lime|elf FILE");
	}
	if (strcmp(argv[optind], "dump"))
		return fail(EX_BADUSE, "--format goes with dump only");
	if (image && pause)
		return fail(EX_BADUSE, "--pause is for a live target, not --image");
	if (image)
		return evidence_dump(NULL, image, format, path, NULL, NULL, 0);
	/* the record names the grant by a digest of its token */
	ret = read_token(tfile, tstdin, tport, hex, sizeof(hex));
	if (ret)
		return ret;
	sha256_init(&sha);
	sha256_update(&sha, strlen(hex), (const uint8_t *)hex);
	sha256_digest(&sha, sizeof(digest), digest);
	for (i = 0; i < 8; i++)
		sprintf(grant + 2 * i, "%02x", digest[i]);
	snprintf(key, sizeof(key), "%016" PRIx64, fnv64(hex));
	km = kvmmem_open(hex, LINUX_POOL);
	explicit_bzero(hex, sizeof(hex));
	if (!km)
		return fail(code_of(errno), "%s", kvmmem_strerror(errno));
	ret = evidence_dump(km, NULL, format, path, grant, key, pause);
	kvmmem_close(km);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "token-file", required_argument, NULL, 'f' },
		{ "token-stdin", no_argument, NULL, 's' },
		{ "token-port", no_argument, NULL, 'p' },
		{ "token", required_argument, NULL, 't' },
		{ "raw", no_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "image", required_argument, NULL, 'I' },
		{ "btf", required_argument, NULL, 'B' },
		{ "rescan", no_argument, NULL, 'S' },
		{ "system-map", required_argument, NULL, 'M' },
		{ "format", required_argument, NULL, 'F' },
		{ "foreground", no_argument, NULL, 'G' },
		{ "rw", no_argument, NULL, 'W' },
		{ "pause", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tfile = NULL, *cmd, *image = NULL, *btf = NULL, *sysmap = NULL;
	const char *format = NULL;
	int foreground = 0, rw = 0, pause = 0;
	uint8_t pat[PAT_MAX];
	size_t plen = 0;
	int c, tstdin = 0, tport = 0, raw = 0, ret, rescan = 0;
	char key[17];
	long ms = 500, rounds = -1;
	uint64_t gpa, len;
	struct kvmmem *km;

	while ((c = getopt_long(argc, argv, "+i:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': tfile = optarg; break;
		case 's': tstdin = 1; break;
		case 'p': tport = 1; break;
		case 't':
			return fail(EX_BADUSE, "a token is never taken on the command line (ps shows it): use --token-file, --token-stdin, --token-port or KVMMEM_TOKEN");
		case 'r': raw = 1; break;
		case 'i': ms = atol(optarg); break;
		case 'n': rounds = atol(optarg); break;
		case 'h':
			fputs(usage, stdout);
			return EX_DONE;
		case 'I': image = optarg; break;
		case 'B': btf = optarg; break;
		case 'S': rescan = 1; break;
		case 'M': sysmap = optarg; break;
		case 'F': format = optarg; break;
		case 'G': foreground = 1; break;
		case 'W': rw = 1; break;
		case 'P': pause = 1; break;
		default:
			return fail(EX_BADUSE, "see kvmmem --help");
		}
	}
	if (optind + 2 == argc && !strcmp(argv[optind], "save-token"))
		return save_token(argv[optind + 1], tfile, tstdin, tport);
	if (optind + 1 == argc && !strcmp(argv[optind], "ranges"))
		return cmd_ranges(tfile, tstdin, tport);
	if (optind < argc && !strcmp(argv[optind], "mount"))
		return cmd_mount(argc, argv, tfile, tstdin, tport, foreground, rw);
	if (optind < argc && !strcmp(argv[optind], "yara"))
		return cmd_yara(argc, argv, tfile, tstdin, tport);
	if (optind < argc && linux_is_cmd(argv[optind])) {
		if (image)
			return linux_cmd(NULL, image, btf, sysmap, NULL,
					 argc - optind, argv + optind);
		/* a pool as large as a walk: each page mapped once */
		km = open_handle(tfile, tstdin, tport, &ret, key, LINUX_POOL);
		if (!km)
			return ret;
		ret = linux_cmd(km, NULL, btf, sysmap, rescan ? NULL : key,
				argc - optind, argv + optind);
		kvmmem_close(km);
		return ret;
	}
	/* dump's --pause may come after dump too, anywhere */
	if (optind < argc && !strcmp(argv[optind], "dump")) {
		for (c = optind + 1; c < argc; c++) {
			if (strcmp(argv[c], "--pause"))
				continue;
			pause = 1;
			memmove(argv + c, argv + c + 1, (argc - c) * sizeof(*argv));
			argc--;
			c--;
		}
	}
	if (format || (optind + 2 < argc && !strcmp(argv[optind], "dump") &&
		       !strcmp(argv[optind + 1], "--format")))
		return dump_format(argc, argv, format, image, tfile, tstdin, tport, pause);
	if (pause)
		return fail(EX_BADUSE, "--pause goes with dump --format only");
	if (image)
		return fail(EX_BADUSE, "--image goes with the Linux commands and dump --format only");
	if (optind + 3 > argc)
		return fail(EX_BADUSE, "a command, an address and a length are needed: see kvmmem --help");
	cmd = argv[optind];
	if (strcmp(cmd, "read") && strcmp(cmd, "dump") && strcmp(cmd, "watch") &&
	    strcmp(cmd, "find"))
		return fail(EX_BADUSE, "unknown command '%s': see kvmmem --help", cmd);
	/* options may also follow the arguments */
	for (c = optind + 3; c < argc; c++) {
		if (!strcmp(argv[c], "--raw"))
			raw = 1;
		else if ((!strcmp(argv[c], "-i") || !strcmp(argv[c], "--interval")) && c + 1 < argc)
			ms = atol(argv[++c]);
		else if ((!strcmp(argv[c], "-n") || !strcmp(argv[c], "--count")) && c + 1 < argc)
			rounds = atol(argv[++c]);
		else if (c == optind + 3 && (!strcmp(cmd, "dump") || !strcmp(cmd, "find")))
			continue;
		else
			return fail(EX_BADUSE, "unexpected '%s': see kvmmem --help", argv[c]);
	}
	if (parse_size(argv[optind + 1], &gpa) || parse_size(argv[optind + 2], &len) ||
	    !len || gpa + len < gpa)
		return fail(EX_BADUSE, "bad address or length: %s %s", argv[optind + 1],
			    argv[optind + 2]);
	if ((!strcmp(cmd, "dump") || !strcmp(cmd, "find")) && optind + 4 > argc)
		return fail(EX_BADUSE, "%s needs a %s: see kvmmem --help", cmd,
			    cmd[0] == 'd' ? "file" : "pattern");
	if (!strcmp(cmd, "find") && (strlen(argv[optind + 3]) > 2 * PAT_MAX + 4 ||
				     parse_pattern(argv[optind + 3], pat, &plen)))
		return fail(EX_BADUSE, "bad pattern (text, or hex: and an even number of hex digits)");
	if (!strcmp(cmd, "watch") && (len > 4096 || ms < 10))
		return fail(EX_BADUSE, "watch: at most 4096 bytes, every 10 ms or more");
	km = open_handle(tfile, tstdin, tport, &ret, NULL, 0);
	if (!km)
		return ret;
	if (!strcmp(cmd, "read"))
		ret = cmd_read(km, gpa, len, raw);
	else if (!strcmp(cmd, "dump"))
		ret = cmd_dump(km, gpa, len, argv[optind + 3]);
	else if (!strcmp(cmd, "watch"))
		ret = cmd_watch(km, gpa, len, ms, rounds);
	else
		ret = cmd_find(km, gpa, len, pat, plen);
	kvmmem_close(km);
	return ret;
}
