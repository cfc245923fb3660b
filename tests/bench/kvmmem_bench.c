// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem_bench: the benchmark's unit, a null hypercall from the guest
 * kernel. Test-only; never installed.
 *
 * Copyright (C) 2026 The kvmmem authors
 */
#include <linux/kvm_para.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>

/**
 * DOC: Null hypercall timer
 *
 * Writing N to the parameter null_calls issues N hypercalls that KVM
 * answers itself (KVM_HC_VAPIC_POLL_IRQ, which does nothing), from the
 * writer's context, and stores the time they took in null_ns. Each one
 * exits to the host, passes the kvmmem host module's probe (which only
 * looks at the number) and returns: the cheapest round trip a kvmmem
 * hypercall can have, and so the unit of `make bench`.
 */

static u64 null_ns;
module_param(null_ns, ullong, 0444);
MODULE_PARM_DESC(null_ns, "nanoseconds that the last null_calls run took");

static int null_calls_set(const char *val, const struct kernel_param *kp)
{
	unsigned int i, n;
	ktime_t t0;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	if (!n || n > 10000000)
		return -EINVAL;
	t0 = ktime_get();
	for (i = 0; i < n; i++) {
		kvm_hypercall0(KVM_HC_VAPIC_POLL_IRQ);
		if (!(i & 1023))
			cond_resched();
	}
	null_ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	return 0;
}

static const struct kernel_param_ops null_calls_ops = {
	.set = null_calls_set,
};

module_param_cb(null_calls, &null_calls_ops, NULL, 0200);
MODULE_PARM_DESC(null_calls, "write N: time N null hypercalls");

static int __init kvmmem_bench_init(void)
{
	return kvm_para_available() ? 0 : -ENODEV;
}

static void __exit kvmmem_bench_exit(void)
{
}

module_init(kvmmem_bench_init);
module_exit(kvmmem_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kvmmem benchmark: null hypercall timer (test only)");
