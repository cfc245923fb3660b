// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem host: /dev/kvmmem-host, the root-only control device.
 *
 * Copyright (C) 2026 The kvmmem authors
 */

/**
 * DOC: The control device, theory of operation
 *
 * Grants are made on the host, by root, never by a guest. kvmmem-host
 * opens /dev/kvmmem-host (CAP_SYS_ADMIN at open and again at each ioctl,
 * since a descriptor can be passed on) and names the two VMs by their KVM
 * VM descriptors, which it takes from the VMMs with pidfd_getfd(): a
 * descriptor cannot name the wrong VM the way a pid could, and it must be a
 * KVM VM file (file_is_kvm()). This file only copies the arguments in and
 * out and hands them on: KVMMEM_HOST_GRANT makes a grant (grant.c) and
 * returns its token, KVMMEM_HOST_REVOKE ends one (end.c), KVMMEM_HOST_LIST
 * copies out what each grant is (never its token).
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/miscdevice.h>
#include <linux/uaccess.h>
#include <linux/kvmmem_host.h>

#include "ctl.h"
#include "end.h"
#include "grant.h"

/* Take a reference-free look at the VM behind @fd; the caller fput()s. */
static struct file *vm_file(int fd, struct kvm **kvm)
{
	struct file *file = fget(fd);

	if (!file)
		return ERR_PTR(-EBADF);
	if (!file_is_kvm(file)) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	*kvm = file->private_data;
	return file;
}

static long ctl_grant(struct kvmmem_host_grant __user *uarg)
{
	struct kvmmem_host_grant req;
	struct file *tf, *inf;
	struct kvm *target, *intro;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	tf = vm_file(req.target_fd, &target);
	if (IS_ERR(tf))
		return PTR_ERR(tf);
	inf = vm_file(req.intro_fd, &intro);
	if (IS_ERR(inf)) {
		ret = PTR_ERR(inf);
		goto out_target;
	}
	/* the open VM files keep both VMs alive while the grant is made */
	ret = kvmmem_grant_add(target, intro, &req);
	if (ret)
		goto out_intro;
	kvmmem_end_watch();
	if (copy_to_user(uarg, &req, sizeof(req))) {
		kvmmem_end_revoke(req.id);
		ret = -EFAULT;
	}
	memzero_explicit(&req, sizeof(req));
out_intro:
	fput(inf);
out_target:
	fput(tf);
	return ret;
}

static long ctl_list(struct kvmmem_host_list __user *uarg)
{
	struct kvmmem_host_list req;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.pad)
		return -EINVAL;
	ret = kvmmem_grant_list(u64_to_user_ptr(req.grants), &req.count);
	if (!ret && put_user(req.count, &uarg->count))
		ret = -EFAULT;
	return ret;
}

static long ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	u64 id;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (cmd) {
	case KVMMEM_HOST_GRANT:
		return ctl_grant((void __user *)arg);
	case KVMMEM_HOST_REVOKE:
		if (get_user(id, (u64 __user *)arg))
			return -EFAULT;
		return kvmmem_end_revoke(id);
	case KVMMEM_HOST_LIST:
		return ctl_list((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static int ctl_open(struct inode *inode, struct file *file)
{
	return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
}

static const struct file_operations ctl_fops = {
	.owner		= THIS_MODULE,
	.open		= ctl_open,
	.unlocked_ioctl	= ctl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice ctl_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kvmmem-host",
	.fops	= &ctl_fops,
	.mode	= 0600,
};

/**
 * kvmmem_ctl_init() - register /dev/kvmmem-host
 *
 * Return: 0 or a negative errno.
 */
int kvmmem_ctl_init(void)
{
	return misc_register(&ctl_misc);
}

/**
 * kvmmem_ctl_uninit() - remove /dev/kvmmem-host
 */
void kvmmem_ctl_uninit(void)
{
	misc_deregister(&ctl_misc);
}
