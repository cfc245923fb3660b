// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: kvmmem-host
 *
 * Grant, revoke and list introspection grants on a KVM host, and report
 * the state of the kvmmem_host module.
 *
 *   kvmmem-host grant --target VM --introspector VM [--rw]
 *                     [--range START-END] [--expire MS] [--quota PAGES]
 *                     [--token-file FILE | --token-stdout]
 *                     [--deliver | --qmp SOCKET]
 *   kvmmem-host deliver --introspector VM [--qmp SOCKET]
 *                       (--token-file FILE | --token-stdin)
 *   kvmmem-host revoke ID
 *   kvmmem-host list
 *   kvmmem-host status [--load]
 *   kvmmem-host resolve VM
 *   kvmmem-host pause-port ID [--lease MS] [--max-pause S] [--qmp SOCKET]
 *                             [--target-qmp SOCKET]
 *
 * A VM is named by the pid of its VMM (PID or pid:PID), by the QEMU
 * -name of its VMM (name:NAME) or by its libvirt domain name
 * (libvirt:NAME, through libvirt's pid file). The tool takes a duplicate
 * of that process's KVM VM descriptor with pidfd_getfd() and hands it to
 * /dev/kvmmem-host. The token never goes on a command line: it is written,
 * as 64 hex digits (its 32 bytes in memory order: libkvmmem's
 * kvmmem_token_format()), to a new file of mode 0600, or to standard
 * output, and/or delivered into the running introspector through a
 * virtio-serial port that QEMU adds at run time (deliver.c).
 *
 * Audit log: grant, revoke and deliver each log one line with syslog(3)
 * when they are done, or when they fail once their command line is good
 * (see audit_send() for the facility and kvmmem-host(8), LOGGING, for the
 * fields). The token is never logged: the lines are made from
 * &struct audit, which has no room for it, and from error messages, none
 * of which holds it.
 *
 * Exit codes: 0 success, 1 the module refused (or failed to load), 2 usage,
 * 3 no such VM, 4 no /dev/kvmmem-host (module not loaded).
 */
/* Copyright (C) 2026 The kvmmem authors */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <unistd.h>
#include <libkmod.h>
#include <linux/kvmmem_host.h>

#include "deliver.h"
#include "pause.h"
#include "libkvmmem.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* Exit codes (also in kvmmem-host(8)) */
enum {
	EX_DONE = 0,
	EX_FAIL = 1,	/* the module refused, or could not be loaded */
	EX_BADUSE = 2,	/* bad command line */
	EX_NOVM = 3,	/* no such VM: no process, or no KVM VM in it */
	EX_NODEV = 4,	/* kvmmem_host is not loaded */
};

#define MODNAME		"kvmmem_host"
#define SYSMOD		"/sys/module/" MODNAME
#define LIBVIRT_RUNDIR	"/run/libvirt/qemu"
#define CMDLINE_MAX	(1024 * 1024)	/* bytes of /proc/PID/cmdline read */
#define NAME_MAX_PIDS	8		/* pids named in an ambiguity error */
#define GUEST_NAME	256		/* bytes of a QEMU -name kept */
#define VM_NAME		(GUEST_NAME + 16)	/* and "name:" before it */

static const char usage_text[] =
"usage: kvmmem-host grant --target VM --introspector VM [--rw]\n"
"           [--range START-END] [--expire MS] [--quota PAGES]\n"
"           [--token-file FILE | --token-stdout] [--deliver | --qmp SOCKET]\n"
"       kvmmem-host deliver --introspector VM [--qmp SOCKET]\n"
"           (--token-file FILE | --token-stdin)\n"
"       kvmmem-host revoke ID\n"
"       kvmmem-host list\n"
"       kvmmem-host status [--load]\n"
"       kvmmem-host resolve VM\n"
"       kvmmem-host pause-port ID [--lease MS] [--max-pause S] [--qmp SOCKET]\n"
"           [--target-qmp SOCKET]\n"
"\n"
"Grant an introspector VM access to a target VM's memory, revoke and list\n"
"grants, report (or load) the kvmmem_host module.\n"
"\n"
"VM names the VM's VMM process, as one of:\n"
"  PID, pid:PID     its process id\n"
"  name:NAME        the QEMU process started with -name NAME\n"
"                   (or -name guest=NAME,...)\n"
"  libvirt:NAME     the libvirt domain NAME (its pid file in\n"
"                   $KVMMEM_LIBVIRT_RUNDIR, default " LIBVIRT_RUNDIR ")\n"
"resolve prints the pid that VM names.\n"
"\n"
"--deliver puts the token into the running introspector: QEMU adds a\n"
"virtio-serial port named " KVMMEM_TOKEN_PORT " that the introspector reads\n"
"once (kvmmem --token-port). QEMU's QMP socket comes from the\n"
"introspector's command line (-qmp unix:PATH, or a -chardev socket with\n"
"-mon mode=control), or from --qmp SOCKET. deliver re-sends a token.\n"
"\n"
"pause-port lets grant ID's introspector pause its target for a consistent\n"
"image (kvmmem dump --pause): it adds the port " KVMMEM_PAUSE_PORT " to the\n"
"introspector and serves it in the foreground until the grant ends. A pause\n"
"ends when the introspector has said nothing for --lease MS (default 5000),\n"
"or after --max-pause S (default 600). The target's QMP socket comes from\n"
"its command line, or from --target-qmp SOCKET.\n"
"\n"
"Exit codes: 0 done (status: loaded), 1 refused or failed, 2 usage,\n"
"3 no such VM, 4 kvmmem_host not loaded (no /dev/kvmmem-host).\n";

static const char *prog = "kvmmem-host";

#include "fail.h"

/* getopt_long() has returned '?' or ':' for argv[optind - 1]. */
static int bad_option(char **argv)
{
	return fail(EX_BADUSE, "bad option '%s': see kvmmem-host --help",
		    argv[optind - 1]);
}

/* An argument that no command takes. */
static int unexpected(const char *arg)
{
	return fail(EX_BADUSE, "unexpected '%s': see kvmmem-host --help", arg);
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static int parse_pid(const char *s, pid_t *pid)
{
	uint64_t v;

	if (parse_u64(s, &v) || v == 0 || v > INT_MAX)
		return -1;
	*pid = v;
	return 0;
}

static int pid_alive(pid_t pid)
{
	return !kill(pid, 0) || errno == EPERM;
}

/* Reads /proc/PID/cmdline into a malloc'ed buffer; returns its length. */
static ssize_t read_cmdline(pid_t pid, char **buf)
{
	size_t len = 0, size = 4096;
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	*buf = malloc(size);
	while (*buf) {
		n = read(fd, *buf + len, size - len - 1);
		if (n <= 0)
			break;
		len += n;
		if (len + 1 == size && size < CMDLINE_MAX) {
			char *bigger = realloc(*buf, size * 2);

			if (!bigger)
				break;
			*buf = bigger;
			size *= 2;
		}
	}
	close(fd);
	if (!*buf)
		return -1;
	(*buf)[len] = 0;
	return len;
}

/*
 * The guest name in the value of QEMU's -name option: "NAME", or
 * "guest=NAME" among comma-separated options (",," is a comma), into
 * @out. Returns 0 if there is one.
 */
static int qemu_guest_name(const char *v, char *out, size_t size)
{
	char opt[256];
	size_t n = 0;
	int first = 1, found = -1;

	for (;; v++) {
		if (*v == ',' && v[1] == ',') {
			v++;
		} else if (!*v || *v == ',') {
			opt[n] = 0;
			if (first && !strchr(opt, '=')) {
				snprintf(out, size, "%s", opt);
				found = 0;
			} else if (!strncmp(opt, "guest=", 6)) {
				snprintf(out, size, "%s", opt + 6);
				found = 0;
			}
			if (!*v)
				return found;
			first = 0;
			n = 0;
			continue;
		}
		if (n < sizeof(opt) - 1)
			opt[n++] = *v;
	}
}

/*
 * The guest name that the command line @cl (@len bytes) gives QEMU with
 * -name, into @out. Returns 0 if it runs QEMU and has one.
 */
static int qemu_name_of(const char *cl, size_t len, char *out, size_t size)
{
	const char *end = cl + len, *base = strrchr(cl, '/');
	const char *val = NULL, *a;

	base = base ? base + 1 : cl;
	if (strncmp(base, "qemu", 4))
		return -1;
	for (a = cl; a < end; a += strlen(a) + 1)
		if ((!strcmp(a, "-name") || !strcmp(a, "--name")) &&
		    a + strlen(a) + 1 < end)
			val = a + strlen(a) + 1;	/* the last one counts */
	return val ? qemu_guest_name(val, out, size) : -1;
}

/* Does the command line @cl (@len bytes) run QEMU with -name @name? */
static int is_qemu_named(const char *cl, size_t len, const char *name)
{
	char guest[GUEST_NAME];

	return !qemu_name_of(cl, len, guest, sizeof(guest)) &&
	       !strcmp(guest, name);
}

static int vm_by_qemu_name(const char *spec, const char *name, pid_t *pid)
{
	pid_t found[NAME_MAX_PIDS];
	char list[NAME_MAX_PIDS * 12] = "";
	struct dirent *de;
	int i, n = 0;
	ssize_t len;
	char *cl;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return fail(EX_NOVM, "%s: /proc: %s", spec, strerror(errno));
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		len = read_cmdline(atoi(de->d_name), &cl);
		if (len <= 0)
			continue;
		if (is_qemu_named(cl, len, name)) {
			if (n < NAME_MAX_PIDS)
				found[n] = atoi(de->d_name);
			n++;
		}
		free(cl);
	}
	closedir(d);
	if (!n)
		return fail(EX_NOVM, "%s: no QEMU process has -name %s", spec, name);
	if (n > 1) {
		for (i = 0; i < n && i < NAME_MAX_PIDS; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 "%s%d", i ? " " : "", found[i]);
		return fail(EX_NOVM, "%s: %d QEMU processes have -name %s (pids %s%s)",
			    spec, n, name, list, n > NAME_MAX_PIDS ? " ..." : "");
	}
	*pid = found[0];
	return 0;
}

static int vm_by_libvirt_name(const char *spec, const char *name, pid_t *pid)
{
	const char *dir = getenv("KVMMEM_LIBVIRT_RUNDIR");
	char path[PATH_MAX], buf[32];
	ssize_t n;
	int fd;

	if (!dir || !*dir)
		dir = LIBVIRT_RUNDIR;
	if (strchr(name, '/') || name[0] == '.')
		return fail(EX_NOVM, "%s: not a libvirt domain name", spec);
	snprintf(path, sizeof(path), "%s/%s.pid", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(EX_NOVM, "%s: no running libvirt domain %s (%s: %s)",
			    spec, name, path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	if (parse_pid(buf, pid))
		return fail(EX_NOVM, "%s: %s holds no pid", spec, path);
	if (!pid_alive(*pid))
		return fail(EX_NOVM, "%s: process %d (from %s) is not running",
			    spec, *pid, path);
	return 0;
}

/*
 * The VMM pid that @spec names: PID, pid:PID, name:NAME or libvirt:NAME.
 * Returns 0, or an exit code once the error is printed. A PID is taken as
 * it is: whether it runs a KVM VM is checked when its descriptor is taken.
 */
static int resolve_vm(const char *spec, pid_t *pid)
{
	const char *v;

	if (!strncmp(spec, "name:", 5) && spec[5])
		return vm_by_qemu_name(spec, spec + 5, pid);
	if (!strncmp(spec, "libvirt:", 8) && spec[8])
		return vm_by_libvirt_name(spec, spec + 8, pid);
	v = strncmp(spec, "pid:", 4) ? spec : spec + 4;
	if (*v < '0' || *v > '9' || parse_pid(v, pid))
		return fail(EX_BADUSE,
			    "bad VM '%s': PID, pid:PID, name:NAME or libvirt:NAME",
			    spec);
	return 0;
}

/*
 * A name for the VM that @spec names, once resolved to @pid (0: not
 * resolved), for the audit log, into @out: name:NAME and libvirt:NAME as
 * given, else name:NAME if the process is QEMU with -name NAME, else "".
 */
static void vm_name(const char *spec, pid_t pid, char *out, size_t size)
{
	char guest[GUEST_NAME];
	ssize_t len;
	char *cl;

	out[0] = 0;
	if (!strncmp(spec, "name:", 5) || !strncmp(spec, "libvirt:", 8)) {
		snprintf(out, size, "%s", spec);
		return;
	}
	len = pid > 0 ? read_cmdline(pid, &cl) : -1;
	if (len < 0)
		return;
	if (len && !qemu_name_of(cl, len, guest, sizeof(guest)))
		snprintf(out, size, "name:%s", guest);
	free(cl);
}

/* The first line of @path, without its newline, into @buf; 0 if read. */
static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -1;
	ok = !!fgets(buf, size, f);
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/*
 * A grant as the audit log tells of it. It has no room for the token, so
 * no audit line can hold one. What is not known is logged as "-".
 */
struct audit {
	const char *event;	/* "grant", "revoke-failed", ... */
	int has_id;		/* @id is known */
	uint64_t id;
	pid_t target, intro;	/* the VMMs' pids; 0: not known */
	char target_vm[VM_NAME];	/* vm_name()s, or "" */
	char intro_vm[VM_NAME];
	int has_terms;		/* the fields below are known */
	uint64_t gpa_start, gpa_end;
	uint32_t flags, max_pages;
	int64_t expires_in_ms;	/* -1: never */
};

/* An audit line being made; what does not fit is cut. */
struct audit_line {
	char text[2048];
	size_t len;
};

static void add(struct audit_line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct audit_line *l, const char *fmt, ...)
{
	size_t room = sizeof(l->text) - l->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(l->text + l->len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < room ? (size_t)n : room - 1;
}

/*
 * Append ' KEY="TEXT"' for TEXT from outside (a VM name, a user name, an
 * error message): double quotes, backslashes and control characters become
 * '?', so that a value can neither end early nor start a forged line.
 */
static void add_text(struct audit_line *l, const char *key, const char *text)
{
	unsigned char c;

	add(l, " %s=\"", key);
	for (; *text && l->len + 2 < sizeof(l->text); text++) {
		c = *text;
		l->text[l->len++] = c < 0x20 || c == 0x7f || c == '"' ||
				    c == '\\' ? '?' : c;
	}
	l->text[l->len] = 0;
	add(l, "\"");
}

/* Append " KEY=PID", or " KEY=-" for 0 (not known). */
static void add_pid(struct audit_line *l, const char *key, pid_t pid)
{
	if (pid > 0)
		add(l, " %s=%d", key, (int)pid);
	else
		add(l, " %s=-", key);
}

/*
 * Log @l, with who ran the command and @reason (NULL: none) appended, at
 * priority @prio.
 *
 * The facility is LOG_AUTHPRIV, not LOG_USER: these lines record who was
 * given, or lost, access to a VM's memory. They are authorisation events,
 * which auditors look for where the system keeps those (journalctl
 * SYSLOG_FACILITY=10; /var/log/auth.log with Debian's rsyslog, readable by
 * root and adm only), not among ordinary programs' messages.
 *
 * syslog() drops a line silently when nothing listens on /dev/log (no
 * LOG_CONS). KVMMEM_HOST_LOG_STDERR=1 also writes it to standard error
 * (LOG_PERROR), as "kvmmem-host[PID]: LINE": tests see it there.
 */
static void audit_send(int prio, struct audit_line *l, const char *reason)
{
	const char *to_stderr = getenv("KVMMEM_HOST_LOG_STDERR");
	const char *sudo = getenv("SUDO_USER");
	char auid[16];

	/* the login uid survives sudo and su; SUDO_USER is what sudo says */
	if (read_line("/proc/self/loginuid", auid, sizeof(auid)) ||
	    !strcmp(auid, "4294967295"))
		snprintf(auid, sizeof(auid), "-");
	add(l, " uid=%u auid=%s", (unsigned int)getuid(), auid);
	add_text(l, "sudo_user", sudo ? sudo : "");
	if (reason)
		add_text(l, "reason", reason);
	openlog("kvmmem-host", LOG_PID |
		(to_stderr && !strcmp(to_stderr, "1") ? LOG_PERROR : 0),
		LOG_AUTHPRIV);
	syslog(prio, "%s", l->text);
	closelog();
}

/*
 * Log the event @a: at LOG_NOTICE, or at LOG_WARNING with @reason if that
 * is not NULL (the event failed).
 */
static void audit_grant(const struct audit *a, const char *reason)
{
	struct audit_line l = { .len = 0 };

	add(&l, "%s id=", a->event);
	if (a->has_id)
		add(&l, "%" PRIu64, a->id);
	else
		add(&l, "-");
	add_pid(&l, "target", a->target);
	add_text(&l, "target_vm", a->target_vm);
	add_pid(&l, "introspector", a->intro);
	add_text(&l, "introspector_vm", a->intro_vm);
	if (a->has_terms)
		add(&l, " range=0x%" PRIx64 "-0x%" PRIx64
		    " rights=%s quota=%u expires_in_ms=%" PRId64,
		    a->gpa_start, a->gpa_end,
		    a->flags & KVMMEM_GRANT_WRITE ? "rw" : "ro",
		    (unsigned int)a->max_pages, a->expires_in_ms);
	else
		add(&l, " range=- rights=- quota=- expires_in_ms=-");
	audit_send(reason ? LOG_WARNING : LOG_NOTICE, &l, reason);
}

/* /dev/kvmmem-host, into *@fd; returns 0, or EX_NODEV once said. */
static int open_ctl(int *fd)
{
	int e;

	*fd = open("/dev/kvmmem-host", O_RDWR | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	e = errno;
	return fail(EX_NODEV, "/dev/kvmmem-host: %s%s", strerror(e),
		    e == ENOENT ? " (is kvmmem_host loaded?)" : "");
}

/* A duplicate of the KVM VM descriptor of process @pid, or -1. */
static int vm_fd_of(pid_t pid)
{
	char dir[64], path[320], link[64];
	struct dirent *de;
	int pidfd, fd = -1;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (strcmp(link, "anon_inode:kvm-vm"))
			continue;
		pidfd = syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0)
			break;
		fd = syscall(SYS_pidfd_getfd, pidfd, atoi(de->d_name), 0);
		close(pidfd);
		break;
	}
	closedir(d);
	return fd;
}

static int parse_range(const char *s, struct kvmmem_host_grant *g)
{
	char buf[64], *dash;
	uint64_t a, b;

	snprintf(buf, sizeof(buf), "%s", s);
	dash = strchr(buf, '-');
	if (!dash)
		return -1;
	*dash = 0;
	if (parse_u64(buf, &a) || parse_u64(dash + 1, &b))
		return -1;
	g->gpa_start = a;
	g->gpa_end = b;
	return 0;
}

/* Writes the token to @file (new, mode 0600), else to standard output. */
static int write_token(const char *hex, const char *file)
{
	FILE *out = stdout;

	if (file) {
		int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		out = fd < 0 ? NULL : fdopen(fd, "w");
		if (!out)
			return fail(EX_FAIL, "%s: %s", file, strerror(errno));
	}
	fprintf(out, "%s\n", hex);
	if (out != stdout)
		fclose(out);
	else
		fflush(out);
	return EX_DONE;
}

/*
 * The QMP socket: @qmp if given, else from the introspector's command line
 * (a relative path there is relative to the VMM's working directory).
 */
static int find_qmp(pid_t ipid, const char *qmp, char *path, size_t size)
{
	char found[256];
	ssize_t len;
	char *cl;
	int r;

	if (qmp) {
		snprintf(path, size, "%s", qmp);
		return 0;
	}
	len = read_cmdline(ipid, &cl);
	if (len <= 0)
		return fail(EX_NOVM, "no process %d", ipid);
	r = kvmmem_qmp_socket(cl, len, found, sizeof(found));
	free(cl);
	if (r)
		return fail(EX_BADUSE, "process %d has no QMP socket on its command line (-qmp unix:PATH): use --qmp SOCKET",
			    ipid);
	if (found[0] == '/')
		snprintf(path, size, "%s", found);
	else
		snprintf(path, size, "/proc/%d/cwd/%s", ipid, found);
	return 0;
}

/* Deliver @hex through @qmp; the socket must be @ipid's if that is known. */
static int deliver(const char *qmp, pid_t ipid, const char *hex)
{
	char err[512];

	if (kvmmem_deliver(qmp, ipid, hex, err, sizeof(err)))
		return fail(EX_FAIL, "token not delivered: %s", err);
	return EX_DONE;
}

/* What grant is asked to do, besides the grant's own terms. */
struct grant_req {
	const char *tspec, *ispec;	/* --target VM, --introspector VM */
	const char *qmp;		/* --qmp SOCKET, or NULL */
	const char *file;		/* --token-file FILE, or NULL */
	int to_stdout, to_vm;		/* --token-stdout, --deliver */
};

/*
 * Revoke grant @id, whose token reached nobody (a token nobody has is no
 * use); @why becomes @msg and what became of the grant.
 */
static void withdraw(int ctl, uint64_t id, const char *msg, char *why,
		     size_t size)
{
	if (ioctl(ctl, KVMMEM_HOST_REVOKE, &id))
		snprintf(why, size, "%s; revoking grant %" PRIu64 " failed: %s",
			 msg, id, strerror(errno));
	else
		snprintf(why, size, "%s; grant %" PRIu64 " revoked", msg, id);
}

/*
 * Issue grant @g as @r asks and hand out its token. Fills in the pids and
 * the id of @a; on failure @why is the reason. Returns an exit code.
 */
static int issue(const struct grant_req *r, struct kvmmem_host_grant *g,
		 struct audit *a, char *why, size_t size)
{
	char hex[KVMMEM_TOKEN_HEX + 1], qpath[PATH_MAX];
	int ctl, rc;

	rc = resolve_vm(r->tspec, &a->target);
	if (!rc)
		rc = resolve_vm(r->ispec, &a->intro);
	if (!rc && r->to_vm)
		rc = find_qmp(a->intro, r->qmp, qpath, sizeof(qpath));
	if (!rc)
		rc = open_ctl(&ctl);
	if (rc)
		goto out;
	g->target_fd = vm_fd_of(a->target);
	g->intro_fd = vm_fd_of(a->intro);
	if (g->target_fd < 0 || g->intro_fd < 0) {
		rc = fail(EX_NOVM, "no KVM VM in process %d",
			  g->target_fd < 0 ? a->target : a->intro);
		goto out;
	}
	if (ioctl(ctl, KVMMEM_HOST_GRANT, g)) {
		rc = fail(EX_FAIL, "grant refused: %s", strerror(errno));
		goto out;
	}
	a->has_id = 1;
	a->id = g->id;
	/* the library reads the token as bytes only */
	kvmmem_token_format((const uint64_t *)g->token.token, hex);
	rc = r->to_vm ? deliver(qpath, a->intro, hex) : EX_DONE;
	if (!rc && (r->file || r->to_stdout))
		rc = write_token(hex, r->file);
	explicit_bzero(hex, sizeof(hex));
	if (rc)
		withdraw(ctl, g->id, fail_msg, why, size);
	return rc;
out:
	snprintf(why, size, "%s", fail_msg);
	return rc;
}

static int cmd_grant(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "introspector", required_argument, NULL, 'i' },
		{ "rw", no_argument, NULL, 'w' },
		{ "range", required_argument, NULL, 'r' },
		{ "expire", required_argument, NULL, 'e' },
		{ "quota", required_argument, NULL, 'q' },
		{ "token-file", required_argument, NULL, 'f' },
		{ "token-stdout", no_argument, NULL, 's' },
		{ "deliver", no_argument, NULL, 'd' },
		{ "qmp", required_argument, NULL, 'Q' },
		{ NULL, 0, NULL, 0 }
	};
	struct kvmmem_host_grant g = { 0 };
	struct audit a = { .event = "grant", .has_terms = 1 };
	struct grant_req r = { 0 };
	char why[sizeof(fail_msg) + 80];
	int o, rc;
	uint64_t v;

	while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (o) {
		case 't':
			r.tspec = optarg;
			break;
		case 'i':
			r.ispec = optarg;
			break;
		case 'w':
			g.flags |= KVMMEM_GRANT_WRITE;
			break;
		case 'r':
			if (parse_range(optarg, &g))
				return fail(EX_BADUSE, "bad range '%s': START-END", optarg);
			break;
		case 'e':
			if (parse_u64(optarg, &v))
				return fail(EX_BADUSE, "bad expiry '%s': milliseconds", optarg);
			g.expire_ms = v;
			break;
		case 'q':
			if (parse_u64(optarg, &v) || v > UINT32_MAX)
				return fail(EX_BADUSE, "bad quota '%s': pages", optarg);
			g.max_pages = v;
			break;
		case 'f':
			r.file = optarg;
			break;
		case 's':
			r.to_stdout = 1;
			break;
		case 'Q':
			r.qmp = optarg;
			/* fall through */
		case 'd':
			r.to_vm = 1;
			break;
		default:
			return bad_option(argv);
		}
	}
	if (optind < argc)
		return unexpected(argv[optind]);
	if (!r.tspec || !r.ispec)
		return fail(EX_BADUSE, "grant needs --target VM and --introspector VM");
	if (r.file && r.to_stdout)
		return fail(EX_BADUSE, "grant takes one of --token-file FILE and --token-stdout");
	if (!r.file && !r.to_stdout && !r.to_vm)
		return fail(EX_BADUSE, "grant needs --token-file FILE, --token-stdout or --deliver");
	rc = issue(&r, &g, &a, why, sizeof(why));
	if (!rc)
		fprintf(r.file || r.to_vm ? stdout : stderr, "grant %" PRIu64 "\n",
			(uint64_t)g.id);
	if (rc)
		a.event = "grant-failed";
	vm_name(r.tspec, a.target, a.target_vm, sizeof(a.target_vm));
	vm_name(r.ispec, a.intro, a.intro_vm, sizeof(a.intro_vm));
	a.gpa_start = g.gpa_start;
	a.gpa_end = g.gpa_end;
	a.flags = g.flags;
	a.max_pages = g.max_pages;
	a.expires_in_ms = !g.expire_ms ? -1 :
			  g.expire_ms > INT64_MAX ? INT64_MAX : (int64_t)g.expire_ms;
	explicit_bzero(&g, sizeof(g));
	audit_grant(&a, rc ? why : NULL);
	return rc;
}

/*
 * The token in the first line of @file (NULL: standard input), checked,
 * into @hex (at least KVMMEM_TOKEN_HEX + 1 bytes) as kvmmem_token_format()
 * writes it. Returns 0 or an exit code.
 */
static int read_token(const char *file, char *hex, size_t size)
{
	FILE *in = file ? fopen(file, "re") : stdin;
	uint64_t tok[4];
	int bad;

	if (!in)
		return fail(EX_FAIL, "%s: %s", file, strerror(errno));
	if (!fgets(hex, size, in))
		hex[0] = 0;
	if (in != stdin)
		fclose(in);
	bad = kvmmem_token_parse(hex, tok);
	explicit_bzero(hex, size);
	if (bad)
		return fail(EX_BADUSE, "the token is not %d hex digits", KVMMEM_TOKEN_HEX);
	kvmmem_token_format(tok, hex);
	explicit_bzero(tok, sizeof(tok));
	return 0;
}

/* deliver --introspector VM [--qmp SOCKET] (--token-file FILE | --token-stdin) */
static int cmd_deliver(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "introspector", required_argument, NULL, 'i' },
		{ "qmp", required_argument, NULL, 'Q' },
		{ "token-file", required_argument, NULL, 'f' },
		{ "token-stdin", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char *ispec = NULL, *qmp = NULL, *file = NULL;
	char hex[160], qpath[PATH_MAX] = "", vm[VM_NAME];
	struct audit_line l = { .len = 0 };
	int o, from_stdin = 0, rc;
	pid_t ipid = 0;

	while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (o) {
		case 'i':
			ispec = optarg;
			break;
		case 'Q':
			qmp = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 's':
			from_stdin = 1;
			break;
		default:
			return bad_option(argv);
		}
	}
	if (optind < argc)
		return unexpected(argv[optind]);
	if (!ispec && !qmp)
		return fail(EX_BADUSE, "deliver needs --introspector VM or --qmp SOCKET");
	if (!file == !from_stdin)
		return fail(EX_BADUSE, "deliver needs one of --token-file FILE and --token-stdin");
	rc = ispec ? resolve_vm(ispec, &ipid) : 0;
	if (!rc)
		rc = find_qmp(ipid, qmp, qpath, sizeof(qpath));
	if (!rc)
		rc = read_token(file, hex, sizeof(hex));
	if (!rc)
		rc = deliver(qpath, ipid, hex);
	explicit_bzero(hex, sizeof(hex));
	vm_name(ispec ? ispec : "", ipid, vm, sizeof(vm));
	add(&l, "%s", rc ? "deliver-failed" : "deliver");
	add_pid(&l, "introspector", ipid);
	add_text(&l, "introspector_vm", vm);
	add_text(&l, "qmp", qpath);
	audit_send(rc ? LOG_WARNING : LOG_NOTICE, &l, rc ? fail_msg : NULL);
	return rc;
}

#define LIST_MAX	256	/* grants read at a time */

/* The grants that exist, at most @max, into @info: how many, or -1. */
static int list_grants(int ctl, struct kvmmem_host_grant_info *info,
		       unsigned int max)
{
	struct kvmmem_host_list l = { .count = max, .grants = (uintptr_t)info };

	if (ioctl(ctl, KVMMEM_HOST_LIST, &l))
		return -1;
	return l.count < max ? l.count : max;
}

/* What the module says of grant a->id, if it is listed, into @a. */
static void audit_lookup(int ctl, struct audit *a)
{
	struct kvmmem_host_grant_info info[LIST_MAX];
	int i, n = list_grants(ctl, info, LIST_MAX);

	for (i = 0; i < n; i++) {
		if (info[i].id != a->id)
			continue;
		a->target = info[i].target_pid;
		a->intro = info[i].intro_pid;
		vm_name("", a->target, a->target_vm, sizeof(a->target_vm));
		vm_name("", a->intro, a->intro_vm, sizeof(a->intro_vm));
		a->has_terms = 1;
		a->gpa_start = info[i].gpa_start;
		a->gpa_end = info[i].gpa_end;
		a->flags = info[i].flags;
		a->max_pages = info[i].max_pages;
		a->expires_in_ms = info[i].expires_in_ms;
		return;
	}
}

static int cmd_revoke(int argc, char **argv)
{
	struct audit a = { .event = "revoke", .has_id = 1 };
	int ctl, rc;

	if (argc != 2)
		return fail(EX_BADUSE, "revoke needs one grant ID");
	if (parse_u64(argv[1], &a.id))
		return fail(EX_BADUSE, "bad grant ID '%s'", argv[1]);
	rc = open_ctl(&ctl);
	if (!rc) {
		audit_lookup(ctl, &a);	/* while it still exists */
		if (ioctl(ctl, KVMMEM_HOST_REVOKE, &a.id))
			rc = fail(EX_FAIL, "revoke %" PRIu64 ": %s", a.id,
				  strerror(errno));
	}
	if (rc)
		a.event = "revoke-failed";
	audit_grant(&a, rc ? fail_msg : NULL);
	return rc;
}

/* pause-port's grant: what its callbacks need */
struct pause_ctx {
	int ctl;
	uint64_t id;
	pid_t target, intro;
	char target_vm[VM_NAME], intro_vm[VM_NAME];
};

/* Whether grant @arg->id is still listed, by the same two VMMs. */
static int pause_grant_alive(void *arg)
{
	struct kvmmem_host_grant_info info[LIST_MAX];
	struct pause_ctx *c = arg;
	int i, n = list_grants(c->ctl, info, LIST_MAX);

	for (i = 0; i < n; i++)
		if (info[i].id == c->id)
			return info[i].target_pid == c->target &&
			       info[i].intro_pid == c->intro;
	return 0;
}

static void pause_log(void *arg, const char *event, const char *detail, int warn)
{
	struct audit_line l = { .len = 0 };
	struct pause_ctx *c = arg;

	add(&l, "%s id=%" PRIu64, event, c->id);
	add_pid(&l, "target", c->target);
	add_text(&l, "target_vm", c->target_vm);
	add_pid(&l, "introspector", c->intro);
	add_text(&l, "introspector_vm", c->intro_vm);
	add_text(&l, "detail", detail ? detail : "");
	audit_send(warn ? LOG_WARNING : LOG_NOTICE, &l, NULL);
}

/*
 * pause-port ID [--lease MS] [--max-pause S] [--qmp SOCKET]
 *            [--target-qmp SOCKET]
 */
static int cmd_pause_port(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lease", required_argument, NULL, 'l' },
		{ "max-pause", required_argument, NULL, 'm' },
		{ "qmp", required_argument, NULL, 'Q' },
		{ "target-qmp", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	struct pause_agent a = { .lease_ms = PAUSE_LEASE_MS, .max_s = PAUSE_MAX_S,
				 .grant_alive = pause_grant_alive, .log = pause_log };
	char iqmp[PATH_MAX], tqmp[PATH_MAX], err[512];
	struct kvmmem_host_grant_info info[LIST_MAX];
	const char *qmp = NULL, *target_qmp = NULL;
	struct pause_ctx c = { .ctl = -1 };
	uint64_t v;
	int o, i, n, rc;

	while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (o) {
		case 'l':
			if (parse_u64(optarg, &v) || v < 500 || v > 600000)
				return fail(EX_BADUSE, "--lease: 500 to 600000 ms");
			a.lease_ms = v;
			break;
		case 'm':
			if (parse_u64(optarg, &v) || v < 1 || v > 86400)
				return fail(EX_BADUSE, "--max-pause: 1 to 86400 s");
			a.max_s = v;
			break;
		case 'Q':
			qmp = optarg;
			break;
		case 'T':
			target_qmp = optarg;
			break;
		default:
			return bad_option(argv);
		}
	}
	if (optind + 1 != argc || parse_u64(argv[optind], &c.id))
		return fail(EX_BADUSE, "pause-port needs one grant ID");
	rc = open_ctl(&c.ctl);
	if (rc)
		return rc;
	n = list_grants(c.ctl, info, LIST_MAX);
	for (i = 0; i < n && info[i].id != c.id; i++)
		;
	if (i >= n) {
		rc = fail(EX_FAIL, "no grant %" PRIu64, c.id);
		goto out_ctl;
	}
	c.target = info[i].target_pid;
	c.intro = info[i].intro_pid;
	vm_name("", c.target, c.target_vm, sizeof(c.target_vm));
	vm_name("", c.intro, c.intro_vm, sizeof(c.intro_vm));
	rc = find_qmp(c.intro, qmp, iqmp, sizeof(iqmp));
	if (!rc)
		rc = find_qmp(c.target, target_qmp, tqmp, sizeof(tqmp));
	if (rc)
		goto out_ctl;
	a.intro_qmp = iqmp;
	a.intro_pid = qmp ? 0 : c.intro;
	a.target_qmp = tqmp;
	a.target_pid = target_qmp ? 0 : c.target;
	a.ctx = &c;
	if (kvmmem_pause_serve(&a, err, sizeof(err))) {
		rc = fail(EX_FAIL, "no pause port: %s", err);
		pause_log(&c, "pause-port-failed", err, 1);
	}
out_ctl:
	close(c.ctl);
	return rc;
}

static int cmd_list(int argc, char **argv)
{
	struct kvmmem_host_grant_info info[LIST_MAX];
	int i, n, ctl, rc;

	if (argc != 1)
		return unexpected(argv[1]);
	rc = open_ctl(&ctl);
	if (rc)
		return rc;
	n = list_grants(ctl, info, LIST_MAX);
	if (n < 0)
		return fail(EX_FAIL, "list: %s", strerror(errno));
	printf("%-6s %-8s %-8s %-3s %-10s %-8s %-8s %s\n", "ID", "TARGET",
	       "INTRO", "RW", "EXPIRES", "MAPPED", "TOTAL", "RANGE");
	for (i = 0; i < n; i++)
		printf("%-6" PRIu64 " %-8d %-8d %-3s %-10" PRId64 " %-8" PRIu64
		       " %-8" PRIu64 " %#" PRIx64 "-%#" PRIx64 "\n",
		       (uint64_t)info[i].id, info[i].target_pid, info[i].intro_pid,
		       info[i].flags & KVMMEM_GRANT_WRITE ? "rw" : "ro",
		       (int64_t)info[i].expires_in_ms, (uint64_t)info[i].mapped,
		       (uint64_t)info[i].maps_total, (uint64_t)info[i].gpa_start,
		       (uint64_t)info[i].gpa_end);
	return EX_DONE;
}

static int cmd_resolve(int argc, char **argv)
{
	pid_t pid;
	int rc;

	if (argc != 2)
		return fail(EX_BADUSE, "resolve needs one VM");
	rc = resolve_vm(argv[1], &pid);
	if (rc)
		return rc;
	if (!pid_alive(pid))
		return fail(EX_NOVM, "%s: no process %d", argv[1], pid);
	printf("%d\n", pid);
	return EX_DONE;
}

/* The module that modprobe would load for MODNAME, or NULL. */
static struct kmod_module *lookup_module(struct kmod_ctx *ctx)
{
	struct kmod_list *list = NULL;
	struct kmod_module *mod = NULL;

	if (kmod_module_new_from_lookup(ctx, MODNAME, &list) < 0 || !list)
		return NULL;
	mod = kmod_module_ref(kmod_module_get_module(list));
	kmod_module_unref_list(list);
	return mod;
}

/* The "version" field of @mod's modinfo, into @buf; 0 if it has one. */
static int modinfo_version(struct kmod_module *mod, char *buf, size_t size)
{
	struct kmod_list *info = NULL, *l;
	int found = -1;

	if (kmod_module_get_info(mod, &info) < 0)
		return -1;
	kmod_list_foreach(l, info) {
		if (!strcmp(kmod_module_info_get_key(l), "version")) {
			snprintf(buf, size, "%s", kmod_module_info_get_value(l));
			found = 0;
			break;
		}
	}
	kmod_module_info_free_list(info);
	return found;
}

static void print_loaded(struct kmod_module *mod, int state)
{
	char buf[256], path[PATH_MAX];
	struct dirent **params;
	int i, n;

	printf("%s: loaded\n", MODNAME);
	printf("state: %s\n", kmod_module_initstate_str(state));
	if (!read_line(SYSMOD "/version", buf, sizeof(buf)) ||
	    !modinfo_version(mod, buf, sizeof(buf)))
		printf("version: %s\n", buf);
	else
		printf("version: unknown\n");
	printf("refcount: %d\n", kmod_module_get_refcnt(mod));
	printf("device: %s\n", access("/dev/kvmmem-host", F_OK) ?
	       "missing (no /dev/kvmmem-host)" : "/dev/kvmmem-host");
	n = scandir(SYSMOD "/parameters", &params, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (params[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), SYSMOD "/parameters/%s",
				 params[i]->d_name);
			printf("parameter %s: %s\n", params[i]->d_name,
			       read_line(path, buf, sizeof(buf)) ? "(unreadable)" : buf);
		}
		free(params[i]);
	}
	if (n >= 0)
		free(params);
}

static void print_not_loaded(struct kmod_module *file)
{
	char version[256] = "unknown";
	struct utsname u;

	printf("%s: not loaded\n", MODNAME);
	if (file && kmod_module_get_path(file)) {
		modinfo_version(file, version, sizeof(version));
		printf("available: %s (%s)\n", version, kmod_module_get_path(file));
	} else {
		uname(&u);
		printf("available: no (not installed for kernel %s)\n", u.release);
	}
}

static int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "load", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	struct kmod_module *mod, *file;
	struct kmod_ctx *ctx;
	int o, load = 0, state, err, rc;

	while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (o != 'l')
			return bad_option(argv);
		load = 1;
	}
	if (optind < argc)
		return unexpected(argv[optind]);
	ctx = kmod_new(NULL, NULL);
	if (!ctx)
		return fail(EX_FAIL, "libkmod: cannot start");
	/* libkmod logs errors to standard error: status has its own lines */
	kmod_set_log_priority(ctx, LOG_EMERG);
	if (kmod_module_new_from_name(ctx, MODNAME, &mod) < 0) {
		kmod_unref(ctx);
		return fail(EX_FAIL, "libkmod: %s: %s", MODNAME, strerror(ENOMEM));
	}
	file = lookup_module(ctx);
	state = kmod_module_get_initstate(mod);
	if (state < 0 && load) {
		err = file ? kmod_module_probe_insert_module(file, 0, NULL, NULL,
							     NULL, NULL) : -ENOENT;
		if (err) {
			print_not_loaded(file);
			rc = fail(err == -ENOENT ? EX_NODEV : EX_FAIL,
				  "cannot load %s: %s", MODNAME,
				  err == -ENOENT ? "not installed" :
				  err > 0 ? "blacklisted" : strerror(-err));
			goto out;
		}
		state = kmod_module_get_initstate(mod);
	}
	if (state < 0) {
		print_not_loaded(file);
		rc = EX_NODEV;
	} else {
		print_loaded(file ? file : mod, state);
		rc = EX_DONE;
	}
out:
	if (file)
		kmod_module_unref(file);
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	opterr = 0;
	if (!cmd) {
		fputs(usage_text, stderr);
		return EX_BADUSE;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage_text, stdout);
		return EX_DONE;
	}
	if (!strcmp(cmd, "grant"))
		return cmd_grant(argc - 1, argv + 1);
	if (!strcmp(cmd, "deliver"))
		return cmd_deliver(argc - 1, argv + 1);
	if (!strcmp(cmd, "revoke"))
		return cmd_revoke(argc - 1, argv + 1);
	if (!strcmp(cmd, "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(cmd, "resolve"))
		return cmd_resolve(argc - 1, argv + 1);
	if (!strcmp(cmd, "pause-port"))
		return cmd_pause_port(argc - 1, argv + 1);
	return fail(EX_BADUSE, "unknown command '%s': see kvmmem-host --help", cmd);
}
