# SPDX-License-Identifier: GPL-2.0
#
# kvmmem: top-level wrapper. Kbuild logic lives in */Kbuild.
#
#   make [KERNELRELEASE=<ver>] [KDIR=<dir>]   build both modules
#   make tools                                 build the user-space programs
#   make check                                 install what is needed, run all tests
#   make demo                                  the end-to-end demo in the lab
#   make style                                 checkpatch --strict over the sources
#   make debug-lab                             core and hardening tests on a
#                                              KASAN/lockdep/kmemleak lab host
#   make bench                                 the benchmark in the lab: ratios

VERSION := $(shell cat $(CURDIR)/VERSION)
KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
MODULE_DIRS := guest-module host-module
KBUILD_ARGS = -C $(KDIR) KVMMEM_VERSION=$(VERSION)

all: modules

modules:
	@for d in $(MODULE_DIRS); do \
		$(MAKE) $(KBUILD_ARGS) M=$(CURDIR)/$$d modules || exit 1; \
	done

modules-clean:
	@for d in $(MODULE_DIRS); do \
		rm -rf $$d/*.o $$d/*.ko $$d/*.mod $$d/*.mod.c $$d/.*.cmd \
			$$d/modules.order $$d/Module.symvers $$d/.tmp_versions; \
	done

clean: modules-clean
	$(MAKE) -C tests clean
	$(MAKE) -C tools clean

tools:
	$(MAKE) -C tools

# Copy exactly the DKMS sources to /usr/src/kvmmem-<version>.
DKMS_SRC := $(DESTDIR)/usr/src/kvmmem-$(VERSION)
dkms-install:
	install -d $(DKMS_SRC)/guest-module $(DKMS_SRC)/host-module \
		$(DKMS_SRC)/include/uapi/linux
	install -m 0644 Makefile VERSION dkms.conf $(DKMS_SRC)/
	install -m 0644 guest-module/Kbuild guest-module/*.[ch] $(DKMS_SRC)/guest-module/
	install -m 0644 host-module/Kbuild host-module/*.[ch] $(DKMS_SRC)/host-module/
	install -m 0644 include/kvmmem_compat.h $(DKMS_SRC)/include/
	install -m 0644 include/uapi/linux/*.h $(DKMS_SRC)/include/uapi/linux/

# Boot-time integration: udev rule, systemd unit (KVM guests only),
# modprobe.d softdep.
install-system:
	install -D -m 0644 packaging/60-kvmmem.rules $(DESTDIR)/lib/udev/rules.d/60-kvmmem.rules
	install -D -m 0644 packaging/kvmmem-guest.service \
		$(DESTDIR)/lib/systemd/system/kvmmem-guest.service
	install -D -m 0644 packaging/kvmmem-host.conf $(DESTDIR)/etc/modprobe.d/kvmmem-host.conf
	install -d $(DESTDIR)/etc/systemd/system/sysinit.target.wants
	ln -sf /lib/systemd/system/kvmmem-guest.service \
		$(DESTDIR)/etc/systemd/system/sysinit.target.wants/kvmmem-guest.service

check:
	scripts/check.sh

debug-lab:
	scripts/debug/lab.sh

bench:
	scripts/bench.sh

demo:
	scripts/demo.sh

style:
	scripts/style.sh

.PHONY: all modules modules-clean clean tools dkms-install install-system check demo style \
	debug-lab bench
