/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: the token port
 *
 * The name of the virtio-serial port through which kvmmem-host hands an
 * introspector its token (kvmmem-host grant --deliver, kvmmem --token-port).
 * The token's text, and KVMMEM_TOKEN_HEX, are libkvmmem's (libkvmmem.h).
 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef KVMMEM_TOOLS_PORT_H
#define KVMMEM_TOOLS_PORT_H

#define KVMMEM_TOKEN_PORT	"org.kvmmem.token"

#endif /* KVMMEM_TOOLS_PORT_H */
