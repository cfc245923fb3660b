// SPDX-License-Identifier: GPL-2.0
/*
 * The original KVMI ABI, checked against literal numbers (never against
 * the header's own macros). Prints TAP lines.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <stddef.h>
#include <stdio.h>
#include <linux/kvmmem.h>

static int failed;

static void expect(const char *what, unsigned long long got,
		   unsigned long long want)
{
	if (got == want) {
		printf("ok - %s == %#llx (%d-bit)\n", what, want,
		       (int)sizeof(long) * 8);
	} else {
		printf("not ok - %s: %#llx, want %#llx (%d-bit)\n", what, got,
		       want, (int)sizeof(long) * 8);
		failed = 1;
	}
}

int main(void)
{
	expect("KVM_HC_MEM_MAP", KVM_HC_MEM_MAP, 32);
	expect("KVM_HC_MEM_UNMAP", KVM_HC_MEM_UNMAP, 33);
	expect("sizeof(struct kvmi_map_mem_token)",
	       sizeof(struct kvmi_map_mem_token), 32);
	expect("sizeof(struct kvmi_mem_map)", sizeof(struct kvmi_mem_map), 48);
	expect("offsetof(struct kvmi_mem_map, gpa)",
	       offsetof(struct kvmi_mem_map, gpa), 32);
	expect("offsetof(struct kvmi_mem_map, gva)",
	       offsetof(struct kvmi_mem_map, gva), 40);
	expect("KVM_INTRO_MEM_MAP", KVM_INTRO_MEM_MAP, 0x40306901);
	expect("KVM_INTRO_MEM_UNMAP", KVM_INTRO_MEM_UNMAP,
	       sizeof(long) == 8 ? 0x40086902 : 0x40046902);
	/* kvmmem's batch ABI: the same for 32- and 64-bit callers */
	expect("sizeof(struct kvmmem_batch)", sizeof(struct kvmmem_batch), 48);
	expect("sizeof(struct kvmmem_batch_entry)",
	       sizeof(struct kvmmem_batch_entry), 16);
	expect("KVM_INTRO_MEM_MAP_BATCH", KVM_INTRO_MEM_MAP_BATCH, 0xc0306903);
	expect("KVM_INTRO_MEM_UNMAP_BATCH", KVM_INTRO_MEM_UNMAP_BATCH,
	       0xc0306904);
	expect("KVM_HC_MEM_BATCH", KVM_HC_MEM_BATCH, 0x4b4d4201);
	expect("sizeof(struct kvmmem_hc_batch)",
	       sizeof(struct kvmmem_hc_batch), 56);
	expect("batch descriptor and its largest chunk fit in a page",
	       sizeof(struct kvmmem_hc_batch) + KVMMEM_HC_BATCH_MAX * 16 <= 4096, 1);
	/* RAM ranges: the same for 32- and 64-bit callers */
	expect("KVM_HC_MEM_RANGES", KVM_HC_MEM_RANGES, 0x4b4d4204);
	expect("sizeof(struct kvmmem_range)", sizeof(struct kvmmem_range), 16);
	expect("sizeof(struct kvmmem_ranges)", sizeof(struct kvmmem_ranges), 48);
	expect("KVM_INTRO_MEM_RANGES", KVM_INTRO_MEM_RANGES, 0xc0306905);
	expect("sizeof(struct kvmmem_hc_ranges)",
	       sizeof(struct kvmmem_hc_ranges), 40);
	expect("ranges descriptor with KVMMEM_HC_RANGES_MAX ranges fits in a page",
	       sizeof(struct kvmmem_hc_ranges) +
	       KVMMEM_HC_RANGES_MAX * sizeof(struct kvmmem_range) <= 4096, 1);
	return failed;
}
