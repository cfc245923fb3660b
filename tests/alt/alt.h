/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The alternatives' wire format (make bench PARTS=alt): what the agent in
 * the introspector (agent.c) asks of the host's server (host.c) over vsock
 * (the host listens on ALT_VSOCK_PORT), and what comes back. Both ends are
 * x86-64.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#ifndef KVMMEM_ALT_H
#define KVMMEM_ALT_H

#include <stdint.h>

#define ALT_VSOCK_PORT	5150
#define ALT_MAX_GPAS	4096
#define ALT_DUMP_PIECE	(1 << 20)

/* the ping-pong page (pong.c): ping at 0, pong at 8; this ping ends it */
#define ALT_PONG_QUIT	0xffffffffffffffffULL

enum alt_method {
	ALT_QUIT,
	ALT_QMP,	/* QMP pmemsave to a file, then the file's bytes */
	ALT_MEM,	/* the target VMM's memory, /proc/PID/mem */
	ALT_DUMP,	/* QMP dump-guest-memory of the whole VM, the image streamed */
	ALT_WRITE,	/* write @len bytes (they follow the gpa) at one gpa, through
			 * /proc/PID/mem: QMP has no command that writes guest memory */
	ALT_NR
};

/* a request: @count gpas follow, each to be read for @len bytes */
struct alt_req {
	uint32_t method;
	uint32_t count;
	uint64_t len;
};

/*
 * An answer per gpa: @len bytes follow if !@err (none for ALT_WRITE).
 * ALT_DUMP's image comes as answers of at most ALT_DUMP_PIECE bytes each,
 * ended by one of @len 0: its size is known only at its end.
 */
struct alt_resp {
	int32_t err;		/* 0 or an errno */
	uint32_t pad;
	uint64_t len;
};

#endif /* KVMMEM_ALT_H */
