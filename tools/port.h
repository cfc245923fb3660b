/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The name of the virtio-serial port through which kvmmem-host hands an
 * introspector its token (kvmmem-host grant --deliver, kvmmem --token-port).
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#ifndef KVMMEM_TOOLS_PORT_H
#define KVMMEM_TOOLS_PORT_H

#define KVMMEM_TOKEN_PORT	"org.kvmmem.token"
#define KVMMEM_TOKEN_HEX	64	/* hex digits in a token */

#endif /* KVMMEM_TOOLS_PORT_H */
