// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem guest module: /dev/kvmmem inside an introspector VM.
 *
 * Copyright (C) 2026 The kvmmem authors
 */

/**
 * DOC: The guest module's start and end
 *
 * The module loads only in a KVM guest. It sets up the status page
 * first, then /dev/kvmmem, whose first open can use the page; it stops in
 * the reverse order. The host needs nothing at load: a guest whose host
 * has no kvmmem, or no grant for it, gets EOPNOTSUPP from the device.
 */
#include <linux/module.h>
#include <linux/kvm_para.h>

#include "chardev.h"
#include "status.h"

static int __init kvmmem_guest_init(void)
{
	int ret;

	if (!kvm_para_available()) {
		pr_info("not running as a KVM guest; not loading\n");
		return -ENODEV;
	}
	ret = kvmmem_status_init();
	if (ret)
		return ret;
	ret = kvmmem_chardev_init();
	if (ret)
		goto err_status;
	pr_info("kvmmem guest %s: /dev/kvmmem ready\n", KVMMEM_VERSION);
	return 0;

err_status:
	kvmmem_status_uninit();
	return ret;
}

static void __exit kvmmem_guest_exit(void)
{
	kvmmem_chardev_uninit();
	kvmmem_status_uninit();
}

module_init(kvmmem_guest_init);
module_exit(kvmmem_guest_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("The kvmmem authors");
MODULE_DESCRIPTION("Map pages of another VM into this introspector VM (guest side)");
MODULE_VERSION(KVMMEM_VERSION);
