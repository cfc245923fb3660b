// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: kvmmem-host pause-port: a consistent image, with the host's consent
 *
 * A live image is smeared: the target runs while it is read. QEMU can
 * pause a VM (QMP "stop") and resume it ("cont"), but only the host can
 * ask it, and the introspector has no way to the host but its grant.
 * kvmmem-host pause-port ID is the host's consent, for one grant: it adds a
 * virtio-serial port named KVMMEM_PAUSE_PORT to the grant's introspector
 * (qmp_add_port(): "in" and "out" are two pipes of ours) and serves the
 * requests that come through it, until the grant ends, the introspector's
 * QEMU goes, or the agent is told to stop (SIGTERM, SIGINT, SIGHUP). It
 * then resumes a target that it paused and removes the port.
 *
 * The protocol: a line each way, "VERB NONCE [DETAIL]". NONCE is 1 to 16
 * lower-case hex digits that the introspector picks for one pause; it is in
 * every answer, so that an answer left in the port by a request whose
 * process died is not taken for the next one's.
 *
 *   stop NONCE   pause the target. "stopped NONCE LEASE_MS by-us": paused
 *                now, and resumed by us at the end; "stopped NONCE
 *                LEASE_MS already": it was paused before (by its owner), and
 *                is left so. "refused NONCE REASON" otherwise: another
 *                pause is under way, the grant has ended, the target is
 *                neither running nor paused, or QMP failed.
 *   hold NONCE   the introspector is still there (no answer).
 *   cont NONCE   the image is read. "resumed NONCE HELD_MS": the target
 *                stayed paused from "stopped" to now, HELD_MS long;
 *                "broken NONCE REASON": it did not.
 *
 * A pause never outlives its requester for long: it ends, and the target
 * runs again, when no line came for LEASE_MS (the requester died or
 * hangs; kvmmem sends "hold" at a quarter of it), after MAX_S in any case,
 * or when the grant ends. A pause is also broken when the target runs again
 * without us: while it lasts we keep the target's QMP connection, which
 * gives us QEMU's RESUME events (another monitor's "cont"), and "cont"
 * asks query-status first, after which every earlier event has come. Then
 * the answer to "cont" is "broken", and the image is not called
 * consistent. The target's QMP socket is ours only while a pause lasts.
 *
 * The introspector is not trusted with more than this: a request is
 * parsed from a bounded line and a bad one is logged and dropped, and all
 * it can do is pause its own grant's target, for a bounded time.
 */
/* Copyright (C) 2026 The kvmmem authors */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pause.h"
#include "qmp.h"

#define DEV_ID		"kvmmem-pause"
#define LINE_MAX_LEN	64	/* a request is shorter */
#define RAN_AGAIN	"the target ran again without us (another monitor)"
#define INTRO_GONE	"the introspector's QEMU has gone"

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

struct agent {
	const struct pause_agent *a;
	struct qmp t;		/* the target's monitor, while a pause lasts */
	char terr[256];
	int req_fd;		/* what the introspector writes */
	int ans_fd;		/* what it reads */
	char in[LINE_MAX_LEN + 1];
	size_t in_len;
	int in_long;		/* the line under way is too long: drop it */
	int paused;		/* a pause is under way */
	int ours;		/* we stopped the target: we resume it */
	char nonce[17];		/* the pause's, "" if none */
	char broken[200];	/* why it did not hold; "" if it held */
	long long t_stop, t_word;	/* ms: when it began, the last word */
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static void say(struct agent *g, const char *verb, const char *nonce,
		const char *detail)
{
	char line[300];
	int n = snprintf(line, sizeof(line), "%s %s%s%s\n", verb, nonce,
			 detail ? " " : "", detail ? detail : "");

	/* non-blocking: an introspector that does not read cannot stop us */
	if (write(g->ans_fd, line, n) != n)
		g->a->log(g->a->ctx, "pause-answer-lost", verb, 1);
}

/* The target's run state from query-status into @st; 0, or -1. */
static int target_status(struct agent *g, char *st, size_t size)
{
	char ret[1024];
	const char *s;

	if (qmp_must(&g->t, "tell its state", "{\"execute\":\"query-status\"}\n",
		     -1, ret, sizeof(ret)))
		return -1;
	s = strstr(ret, "\"status\"");
	if (size < 32 || !s || sscanf(s, "\"status\": \"%31[a-z-]\"", st) != 1)
		return qmp_fail(&g->t, "QMP: no status in %s", ret);
	return 0;
}

/*
 * End the pause under way: resume the target if we paused it and it has
 * not run since; @why (NULL: it held) is kept for the answer to "cont".
 */
static void end_pause(struct agent *g, const char *why)
{
	char ret[256], detail[300];

	if (!g->paused)
		return;
	if (why && !g->broken[0])
		snprintf(g->broken, sizeof(g->broken), "%s", why);
	if (g->ours && !g->t.resumed && g->t.fd >= 0 &&
	    qmp_must(&g->t, "resume the target", "{\"execute\":\"cont\"}\n", -1,
		     ret, sizeof(ret)))
		g->a->log(g->a->ctx, "resume-failed", g->terr, 1);
	qmp_close(&g->t);
	g->paused = 0;
	snprintf(detail, sizeof(detail), "held_ms=%lld%s%s", now_ms() - g->t_stop,
		 g->broken[0] ? " broken: " : "", g->broken);
	g->a->log(g->a->ctx, g->broken[0] ? "pause-broken" : "resume", detail,
		  g->broken[0] != 0);
}

static void do_stop(struct agent *g, const char *nonce)
{
	char st[32], detail[64], ret[256];

	if (g->paused) {
		say(g, "refused", nonce, "another pause is under way");
		return;
	}
	if (!g->a->grant_alive(g->a->ctx)) {
		say(g, "refused", nonce, "the grant has ended");
		return;
	}
	g->t = (struct qmp){ .fd = -1, .err = g->terr, .errlen = sizeof(g->terr) };
	if (qmp_connect(&g->t, g->a->target_qmp, g->a->target_pid) ||
	    target_status(g, st, sizeof(st)))
		goto out_refuse;
	if (strcmp(st, "running") && strcmp(st, "paused")) {
		qmp_fail(&g->t, "the target is %s, neither running nor paused", st);
		goto out_refuse;
	}
	g->ours = !strcmp(st, "running");
	if (g->ours && qmp_must(&g->t, "pause the target", "{\"execute\":\"stop\"}\n",
				-1, ret, sizeof(ret)))
		goto out_refuse;
	g->paused = 1;
	g->t.resumed = 0;
	g->broken[0] = 0;
	snprintf(g->nonce, sizeof(g->nonce), "%s", nonce);
	g->t_stop = g->t_word = now_ms();
	snprintf(detail, sizeof(detail), "%u %s", g->a->lease_ms,
		 g->ours ? "by-us" : "already");
	g->a->log(g->a->ctx, "pause", g->ours ? "by=kvmmem-host" : "by=its-owner", 0);
	say(g, "stopped", nonce, detail);
	return;
out_refuse:
	g->a->log(g->a->ctx, "pause-refused", g->terr, 1);
	say(g, "refused", nonce, g->terr);
	qmp_close(&g->t);
}

static void do_cont(struct agent *g, const char *nonce)
{
	char st[32], held[32];
	long long ms = now_ms() - g->t_stop;

	if (strcmp(nonce, g->nonce)) {
		say(g, "broken", nonce, "no such pause");
		return;
	}
	/* every event before query-status's answer has come in by then */
	if (g->paused && target_status(g, st, sizeof(st))) {
		end_pause(g, g->terr);
	} else if (g->paused && (g->t.resumed || strcmp(st, "paused"))) {
		g->ours = 0;	/* it runs, or is in a state of its own: leave it */
		end_pause(g, RAN_AGAIN);
	}
	end_pause(g, NULL);
	snprintf(held, sizeof(held), "%lld", ms);
	say(g, g->broken[0] ? "broken" : "resumed", nonce,
	    g->broken[0] ? g->broken : held);
	g->nonce[0] = 0;
}

/* One request line from the introspector. */
static void request(struct agent *g, const char *line)
{
	char verb[8], nonce[17], end;
	size_t n;

	if (sscanf(line, "%7s %16s%c", verb, nonce, &end) != 2 ||
	    (n = strspn(nonce, "0123456789abcdef")) != strlen(nonce) || !n) {
		g->a->log(g->a->ctx, "pause-bad-request", "not VERB NONCE", 1);
		return;
	}
	if (g->paused && !strcmp(nonce, g->nonce))
		g->t_word = now_ms();
	if (!strcmp(verb, "stop"))
		do_stop(g, nonce);
	else if (!strcmp(verb, "cont"))
		do_cont(g, nonce);
	else if (strcmp(verb, "hold"))
		g->a->log(g->a->ctx, "pause-bad-request", "unknown verb", 1);
}

/* What the introspector wrote: 0, or -1 once its QEMU has gone. */
static int read_requests(struct agent *g)
{
	char buf[512];
	ssize_t n, i;

	n = read(g->req_fd, buf, sizeof(buf));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	for (i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (g->in_len < LINE_MAX_LEN)
				g->in[g->in_len++] = buf[i];
			else
				g->in_long = 1;
			continue;
		}
		g->in[g->in_len] = 0;
		if (g->in_long)
			g->a->log(g->a->ctx, "pause-bad-request", "line too long", 1);
		else
			request(g, g->in);
		g->in_len = 0;
		g->in_long = 0;
	}
	return 0;
}

/* Events from the target's monitor while a pause lasts. */
static void read_events(struct agent *g)
{
	char line[sizeof(g->t.buf)];

	do {
		/* the rest of a line comes at once */
		if (qmp_line(&g->t, line, sizeof(line), 1000)) {
			end_pause(g, "the target's monitor closed (has its QEMU gone?)");
			return;
		}
		if (strstr(line, "\"event\""))
			qmp_event(&g->t, line);
	} while (qmp_buffered(&g->t));
	if (g->t.resumed)
		end_pause(g, RAN_AGAIN);
}

/* Two pipes, and the introspector's port on them; 0, or -1. */
static int add_port(struct agent *g, struct qmp *q)
{
	int req[2], ans[2], r;

	if (pipe2(req, O_CLOEXEC))
		return qmp_fail(q, "pipe: %s", strerror(errno));
	if (pipe2(ans, O_CLOEXEC)) {
		r = qmp_fail(q, "pipe: %s", strerror(errno));
		goto out_req;
	}
	/* neither side may block the other: both ends are non-blocking */
	fcntl(req[1], F_SETFL, O_NONBLOCK);
	fcntl(ans[1], F_SETFL, O_NONBLOCK);
	r = qmp_connect(q, g->a->intro_qmp, g->a->intro_pid);
	if (!r)
		r = qmp_add_port(q, DEV_ID, KVMMEM_PAUSE_PORT, ans[0], req[1]);
	qmp_close(q);
	close(ans[0]);
	close(req[1]);
	if (r) {
		close(ans[1]);
		close(req[0]);
		return -1;
	}
	g->req_fd = req[0];
	g->ans_fd = ans[1];
	return 0;
out_req:
	close(req[0]);
	close(req[1]);
	return r;
}

/* Remove the port, if the introspector is still there. */
static void del_port(struct agent *g)
{
	char err[256];
	struct qmp q = { .fd = -1, .err = err, .errlen = sizeof(err) };

	if (qmp_connect(&q, g->a->intro_qmp, g->a->intro_pid) ||
	    qmp_del_port(&q, DEV_ID))
		g->a->log(g->a->ctx, "pause-port-not-removed", err, 1);
	qmp_close(&q);
}

/* Until when poll() may wait: the lease's or the limit's end, or 1 s. */
static int next_wait(const struct agent *g)
{
	long long t = now_ms(), w = 1000, d;

	if (!g->paused)
		return w;
	d = g->t_word + g->a->lease_ms - t;
	w = d < w ? d : w;
	d = g->t_stop + g->a->max_s * 1000LL - t;
	w = d < w ? d : w;
	return w > 0 ? w : 0;
}

/**
 * kvmmem_pause_serve() - serve an introspector's requests to pause a target
 * @a: the two VMs' QMP sockets, the lease and the limit, and the callbacks
 * @err: out: a one-line message on failure
 * @errlen: its size
 *
 * Adds the port, serves it until the grant ends, the introspector's QEMU
 * goes, or SIGTERM, SIGINT or SIGHUP comes, then resumes the target if we
 * paused it and removes the port.
 *
 * Return: 0 when it ended so, -1 with @err set if the port could not be
 * added.
 */
int kvmmem_pause_serve(const struct pause_agent *a, char *err, size_t errlen)
{
	struct agent g = { .a = a, .t = { .fd = -1 } };
	struct qmp q = { .fd = -1, .err = err, .errlen = errlen };
	struct sigaction sa = { .sa_handler = on_signal };
	const char *why = NULL;
	struct pollfd p[2];
	long long t;

	if (add_port(&g, &q))
		return -1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	a->log(a->ctx, "pause-port", "serving", 0);
	while (!why) {
		p[0] = (struct pollfd){ .fd = g.req_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = g.paused ? g.t.fd : -1, .events = POLLIN };
		if (g.paused && qmp_buffered(&g.t))
			read_events(&g);
		else if (poll(p, 2, next_wait(&g)) > 0) {
			if (p[1].revents)
				read_events(&g);
			if (p[0].revents && read_requests(&g))
				why = INTRO_GONE;
		}
		t = now_ms();
		if (g.paused && t - g.t_word >= a->lease_ms)
			end_pause(&g, "no word from the introspector within the lease");
		if (g.paused && t - g.t_stop >= a->max_s * 1000LL)
			end_pause(&g, "the pause reached its time limit");
		if (quit)
			why = "kvmmem-host pause-port was told to stop";
		else if (!a->grant_alive(a->ctx))
			why = "the grant has ended";
	}
	end_pause(&g, why);
	close(g.req_fd);
	close(g.ans_fd);
	if (strcmp(why, INTRO_GONE))
		del_port(&g);
	a->log(a->ctx, "pause-port-end", why, 0);
	return 0;
}
