// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: kvmmem dump --pause: asking the host to pause the target
 *
 * The request side of the pause port (the protocol is in pause.c, the
 * agent's side). pause_begin() opens the port KVMMEM_PAUSE_PORT, picks a
 * random nonce, sends "stop NONCE" and waits for the answer that carries
 * it (answers with another nonce were left by an earlier request and are
 * dropped). Once the target is paused, a thread sends "hold NONCE" at a
 * quarter of the agent's lease, so the pause lasts while we do and ends
 * soon after we die. pause_end() stops the thread, sends "cont NONCE" and
 * reads whether the pause held from "stopped" to then.
 */
/* Copyright (C) 2026 The kvmmem authors */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "pause.h"
#include "vport.h"

#define ANSWER_MS	30000	/* the agent answers within its QMP time */

/* the heartbeat thread's state */
struct beat {
	pthread_t thread;
	pthread_mutex_t lock;	/* one writer on the port at a time */
	pthread_cond_t cond;
	int stop;
	struct pause_req *p;
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static int send_line(struct pause_req *p, const char *verb)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%s %s\n", verb, p->nonce);

	return write(p->fd, line, n) == n ? 0 : -1;
}

/*
 * The answer to our request, into @line: the next line with our nonce as
 * its second word. 0, or -1 with @why set.
 */
static int answer(struct pause_req *p, char *line, size_t size, char *why,
		  size_t wsize)
{
	struct pollfd pf = { .fd = p->fd, .events = POLLIN };
	long long end = now_ms() + ANSWER_MS, left;
	char verb[16], nonce[17];
	char *nl;
	ssize_t n;

	for (;;) {
		while ((nl = memchr(p->buf, '\n', p->len))) {
			*nl = 0;
			n = nl - p->buf < (ssize_t)size ? nl - p->buf : (ssize_t)size - 1;
			memcpy(line, p->buf, n);
			line[n] = 0;
			p->len -= nl + 1 - p->buf;
			memmove(p->buf, nl + 1, p->len);
			if (sscanf(line, "%15s %16s", verb, nonce) == 2 &&
			    !strcmp(nonce, p->nonce))
				return 0;
		}
		if (p->len == sizeof(p->buf))
			p->len = 0;	/* no line of the agent's is this long */
		left = end - now_ms();
		if (left <= 0 || poll(&pf, 1, left) != 1) {
			snprintf(why, wsize, "no answer through the port %s in %d s (is kvmmem-host pause-port running?)",
				 KVMMEM_PAUSE_PORT, ANSWER_MS / 1000);
			return -1;
		}
		n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len);
		if (n <= 0) {
			snprintf(why, wsize, "the port %s: %s", KVMMEM_PAUSE_PORT,
				 n ? strerror(errno) : "closed");
			return -1;
		}
		p->len += n;
	}
}

/* What follows an answer's verb and nonce. */
static const char *detail_of(const char *line)
{
	const char *s = strchr(line, ' ');

	s = s ? strchr(s + 1, ' ') : NULL;
	return s ? s + 1 : "";
}

static void *heartbeat(void *arg)
{
	struct beat *b = arg;
	struct timespec t;
	long long ms;

	pthread_mutex_lock(&b->lock);
	while (!b->stop) {
		clock_gettime(CLOCK_REALTIME, &t);
		ms = t.tv_nsec / 1000000 + b->p->lease_ms / 4;
		t.tv_sec += ms / 1000;
		t.tv_nsec = (ms % 1000) * 1000000;
		pthread_cond_timedwait(&b->cond, &b->lock, &t);
		if (!b->stop)
			send_line(b->p, "hold");
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/**
 * pause_begin() - ask kvmmem-host pause-port to pause the target
 * @p: the request; its fields are set here
 * @why: out: why not, on failure
 * @size: its size
 *
 * Return: 0 once the target is paused (@p->already: it was paused before,
 * by its owner), or -1 with @why set and nothing to end.
 */
int pause_begin(struct pause_req *p, char *why, size_t size)
{
	char line[300], verb[16], nonce[17], how[16];
	unsigned int lease;
	struct beat *b;
	uint64_t r;

	memset(p, 0, sizeof(*p));
	p->fd = vport_open(KVMMEM_PAUSE_PORT, O_RDWR);
	if (p->fd < 0) {
		snprintf(why, size, "no port %s: the host has to run kvmmem-host pause-port for this grant (%s)",
			 KVMMEM_PAUSE_PORT, strerror(errno));
		return -1;
	}
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32);
	snprintf(p->nonce, sizeof(p->nonce), "%016llx", (unsigned long long)r);
	if (send_line(p, "stop")) {
		snprintf(why, size, "the port %s: %s", KVMMEM_PAUSE_PORT, strerror(errno));
		goto out_close;
	}
	if (answer(p, line, sizeof(line), why, size))
		goto out_close;
	if (sscanf(line, "%15s %16s %u %15s", verb, nonce, &lease, how) != 4 ||
	    strcmp(verb, "stopped") || lease < 100) {
		snprintf(why, size, "kvmmem-host pause-port: %.200s",
			 strncmp(line, "refused ", 8) ? line : detail_of(line));
		goto out_close;
	}
	p->lease_ms = lease;
	p->already = !strcmp(how, "already");
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(why, size, "%s", strerror(ENOMEM));
		goto out_cont;
	}
	b->p = p;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	if (pthread_create(&b->thread, NULL, heartbeat, b)) {
		snprintf(why, size, "no heartbeat thread");
		free(b);
		goto out_cont;
	}
	p->hb = b;
	p->hb_on = 1;
	return 0;
out_cont:
	send_line(p, "cont");
out_close:
	close(p->fd);
	p->fd = -1;
	return -1;
}

/**
 * pause_end() - end the pause, and learn whether it held
 * @p: a request that pause_begin() began
 * @why: out: why the pause did not hold, or why we cannot tell
 * @size: its size
 * @held_ms: out: how long the target was paused (the agent's clock)
 *
 * Return: 0 if the target stayed paused from pause_begin() to now, 1 if
 * it did not (@why says why), -1 if we cannot tell (@why).
 */
int pause_end(struct pause_req *p, char *why, size_t size, long *held_ms)
{
	char line[300], verb[16], nonce[17];
	struct beat *b = p->hb;
	int ret = -1;

	if (p->hb_on) {
		pthread_mutex_lock(&b->lock);
		b->stop = 1;
		pthread_cond_signal(&b->cond);
		pthread_mutex_unlock(&b->lock);
		pthread_join(b->thread, NULL);
		free(b);
		p->hb = NULL;
		p->hb_on = 0;
	}
	if (send_line(p, "cont")) {
		snprintf(why, size, "the port %s: %s", KVMMEM_PAUSE_PORT, strerror(errno));
		goto out_close;
	}
	if (answer(p, line, sizeof(line), why, size))
		goto out_close;
	if (sscanf(line, "%15s %16s %ld", verb, nonce, held_ms) == 3 &&
	    !strcmp(verb, "resumed")) {
		ret = 0;
	} else if (!strcmp(verb, "broken")) {
		snprintf(why, size, "%.200s", detail_of(line));
		ret = 1;
	} else {
		snprintf(why, size, "kvmmem-host pause-port answered '%.100s'", line);
	}
out_close:
	close(p->fd);
	p->fd = -1;
	return ret;
}
