// SPDX-License-Identifier: GPL-2.0
/*
 * libcheck: libkvmmem's mapping calls, run inside the introspector by
 * t-tools (the kvmmem command covers kvmmem_read() and its pool).
 *
 *   libcheck TOKENFILE GPA PAGES
 *
 * Prints one "name=value" line per check; sums are the FNV-1a hash of the
 * bytes, as tvm's "sum" prints them for the target's side:
 *
 *   map        kvmmem_map() of the page at GPA, then kvmmem_unmap()
 *   batch      kvmmem_map_batch() of PAGES pages from GPA (done, sum)
 *   unbatch    kvmmem_unmap_batch() of them (return value, done)
 *   window     kvmmem_window() of PAGES + 100 slots, kvmmem_window_map()
 *              of the PAGES pages into slots 100.. (done, sum)
 *   emptied    slot 100's first 16 bytes after kvmmem_window_unmap()
 *   again      errno of a second kvmmem_window() on the handle
 *   outside    errno of kvmmem_window_map() past the window's end
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <inttypes.h>

#include "common.h"
#include "libkvmmem.h"

int main(int argc, char **argv)
{
	char hex[128] = "";
	uint64_t gpa, *gpas;
	size_t pages, i, done;
	struct kvmmem *km;
	uint8_t *p, *w;
	void **addrs;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: libcheck TOKENFILE GPA PAGES\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	f = fopen(argv[1], "r");
	if (!f || !fgets(hex, sizeof(hex), f))
		return printf("error: token file: %s\n", ename(errno)), 1;
	fclose(f);
	gpa = strtoull(argv[2], NULL, 0);
	pages = strtoull(argv[3], NULL, 0);
	gpas = calloc(pages, sizeof(*gpas));
	addrs = calloc(pages, sizeof(*addrs));
	km = kvmmem_open(hex, 0);
	memset(hex, 0, sizeof(hex));
	if (!km || !gpas || !addrs)
		return printf("error: kvmmem_open: %s\n", ename(errno)), 1;
	for (i = 0; i < pages; i++)
		gpas[i] = gpa + i * PG;

	p = kvmmem_map(km, gpa);
	if (p) {
		uint64_t h = fnv(p, PG);

		printf("map=0x%016" PRIx64 " unmap=%d\n", h, kvmmem_unmap(km, p));
	} else {
		printf("map=%s\n", ename(errno));
	}

	if (kvmmem_map_batch(km, gpas, addrs, pages, &done))
		printf("batch=%s done=%zu\n", ename(errno), done);
	/* the library maps a batch at consecutive addresses */
	printf("batch done=%zu sum=0x%016" PRIx64 "\n", done,
	       done ? fnv(addrs[0], done * PG) : 0);
	i = done;
	printf("unbatch=%d", kvmmem_unmap_batch(km, addrs, i, &done));
	printf(" done=%zu\n", done);

	w = kvmmem_window(km, pages + 100);
	if (!w)
		return printf("window=%s\n", ename(errno)), 1;
	if (kvmmem_window_map(km, 100, gpas, pages, &done))
		printf("window_map=%s\n", ename(errno));
	printf("window done=%zu sum=0x%016" PRIx64 "\n", done,
	       fnv(w + 100 * PG, done * PG));
	if (kvmmem_window_unmap(km, 100, done, &done))
		printf("window_unmap=%s\n", ename(errno));
	printf("emptied=%.15s\n", (const char *)(w + 100 * PG));
	printf("again=%s\n", kvmmem_window(km, 1) ? "ok" : ename(errno));
	printf("outside=%s\n", kvmmem_window_map(km, pages + 100 + 512, gpas, 1, &done) ?
	       ename(errno) : "ok");
	kvmmem_close(km);
	return 0;
}
