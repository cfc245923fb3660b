/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: Evidence images (evidence.c)
 *
 * kvmmem dump --format raw|lime|elf FILE writes all of a target's RAM
 * ranges as an image that forensic tools read, keeps its holes sparse, and
 * writes a record of the acquisition next to it (FILE.json, with the
 * image's SHA-256).
 */
/* Copyright (C) 2026 The kvmmem authors */
#ifndef KVMMEM_TOOLS_EVIDENCE_H
#define KVMMEM_TOOLS_EVIDENCE_H

#include "kvmmem_linux.h"

/* an ELF vmcore's headers; the ranges' bytes follow from data_off */
struct evidence_elf {
	uint8_t *hdr;
	uint64_t hdr_len, data_off, size;
};

int evidence_elf_build(struct kvmmem_linux *lx, const struct kvmmem_ram_range *r,
		       int n, struct evidence_elf *e);
void evidence_elf_free(struct evidence_elf *e);
int evidence_dump(struct kvmmem *km, const char *image, const char *format,
		  const char *path, const char *grant, const char *key,
		  int pause);

#endif /* KVMMEM_TOOLS_EVIDENCE_H */
