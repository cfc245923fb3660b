/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: the pause port (pause.c, pause-req.c)
 *
 * kvmmem-host pause-port serves an introspector's requests to pause its
 * target for a consistent image; kvmmem dump --pause makes them. The
 * protocol is pause.c's.
 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef KVMMEM_TOOLS_PAUSE_H
#define KVMMEM_TOOLS_PAUSE_H

#include <sys/types.h>

#define KVMMEM_PAUSE_PORT	"org.kvmmem.pause"
#define PAUSE_LEASE_MS		5000	/* default: no word for 5 s ends a pause */
#define PAUSE_MAX_S		600	/* default: no pause is longer */

/* what kvmmem-host pause-port serves; the callbacks get @ctx */
struct pause_agent {
	const char *intro_qmp;	/* the introspector's QMP socket */
	pid_t intro_pid;	/* its VMM, checked against the socket; 0: not */
	const char *target_qmp;	/* the target's */
	pid_t target_pid;
	unsigned int lease_ms;	/* a pause ends after this long without a word */
	unsigned int max_s;	/* and after this long in any case */
	int (*grant_alive)(void *ctx);	/* 0 once the grant has ended */
	/* an audit event: "pause", "resume", "pause-broken", ... */
	void (*log)(void *ctx, const char *event, const char *detail, int warn);
	void *ctx;
};

int kvmmem_pause_serve(const struct pause_agent *a, char *err, size_t errlen);

/* kvmmem's side: a pause of the target, asked for through the port */
struct pause_req {
	int fd;			/* the port, -1 if not open */
	char nonce[17];		/* this request's, in every line */
	unsigned int lease_ms;	/* the agent's lease: hold well within it */
	int already;		/* the target was paused before we asked */
	char buf[512];		/* answers read and not yet used */
	size_t len;
	int hb_on;		/* the heartbeat thread runs */
	void *hb;		/* its state (pause-req.c) */
};

int pause_begin(struct pause_req *p, char *why, size_t size);
int pause_end(struct pause_req *p, char *why, size_t size, long *held_ms);

#endif /* KVMMEM_TOOLS_PAUSE_H */
