// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host module: lets an introspector VM map pages of a target VM.
 *
 * Copyright (C) 2026 The kvmmem authors
 */

/**
 * DOC: The host module's start and end
 *
 * The parts start in the order in which they depend on each other: the
 * counters (and the throttle's debugfs file), the two map engines
 * (remap.c, window.c), the probes that see a memslot change, a vCPU reset
 * and a VM's release (probes.c), then the hypercall hook, and last the
 * control device, through which the first grant can be made. By then
 * everything a grant needs is armed. They stop in the reverse order; the
 * grants end (end.c) after the device and the probes have gone, so that
 * none can be made or used while they are dropped. Overlays and queued
 * work pin the module, so none is left at exit.
 */
#include <linux/module.h>

#include "ctl.h"
#include "end.h"
#include "hook.h"
#include "probes.h"
#include "remap.h"
#include "stats.h"
#include "status.h"
#include "throttle.h"
#include "window.h"

static int __init kvmmem_host_init(void)
{
	int ret;

	ret = kvmmem_stats_init();
	if (ret)
		return ret;
	kvmmem_throttle_init();
	ret = kvmmem_remap_init();
	if (ret)
		goto err_stats;
	ret = kvmmem_window_init();
	if (ret)
		goto err_remap;
	ret = kvmmem_probes_init();
	if (ret)
		goto err_window;
	ret = kvmmem_hook_init();
	if (ret)
		goto err_probes;
	ret = kvmmem_ctl_init();
	if (ret)
		goto err_hook;
	pr_info("kvmmem host %s loaded\n", KVMMEM_VERSION);
	return 0;

err_hook:
	kvmmem_hook_uninit();
err_probes:
	kvmmem_probes_uninit();
err_window:
	kvmmem_window_uninit();
err_remap:
	kvmmem_remap_uninit();
err_stats:
	kvmmem_stats_uninit();
	return ret;
}

/*
 * Overlays and queued work pin the module, so only grants can be left here;
 * they hold VM references, which kvmmem_end_uninit() drops.
 */
static void __exit kvmmem_host_exit(void)
{
	kvmmem_ctl_uninit();
	kvmmem_hook_uninit();
	kvmmem_probes_uninit();
	kvmmem_end_uninit();
	kvmmem_status_uninit();
	kvmmem_window_uninit();
	kvmmem_remap_uninit();
	kvmmem_stats_uninit();
}

module_init(kvmmem_host_init);
module_exit(kvmmem_host_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("The kvmmem authors");
MODULE_DESCRIPTION("Map pages of a target VM into an introspector VM (host side)");
MODULE_VERSION(KVMMEM_VERSION);
MODULE_SOFTDEP("pre: kvm");
