# SPDX-License-Identifier: GPL-2.0
#
# kvmmem: top-level wrapper. Kbuild logic lives in */Kbuild.
#
#   make [KERNELRELEASE=<ver>] [KDIR=<dir>]   build both modules
#   make tools                                 build the user-space programs
#   make install [DESTDIR=] [PREFIX=/usr]      install the tools, library, headers,
#                                              pkg-config file, man pages and
#                                              install-system's files
#   make check                                 install what is needed, run all tests
#   make check-quick [KVER=6.1|6.12] [LAB=t-...] unit, style, and one kernel's
#                                              DKMS and lab tests (default:
#                                              6.12, t-selftests t-revoke), for
#                                              the edit loop
#   make demo                                  the end-to-end demo in the lab
#   make style                                 checkpatch --strict over the sources
#   make debug-lab                             core and hardening tests on a
#                                              KASAN/lockdep/kmemleak lab host
#   make bench [PARTS=maps,yara,alt]           the benchmark in the lab: ratios
#   make flake-stats [N=5] [TESTS="t-core ..."] [KVER=6.1|6.12]
#                                              each chosen lab test N times,
#                                              the failed runs counted per kind

VERSION := $(shell cat $(CURDIR)/VERSION)
KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
MODULE_DIRS := guest-module host-module
KBUILD_ARGS = -C $(KDIR) KVMMEM_VERSION=$(VERSION)

# make install: the user-space side. LIBDIR may be a multiarch directory
# (debian/rules passes /usr/lib/<triplet>).
PREFIX ?= /usr
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

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

# kvmmem (dynamically linked to the C library, libkvmmem linked in),
# kvmmem-host, libkvmmem (static, and shared with soname libkvmmem.so.0),
# its header, the uapi headers (under kvmmem/, so they do not mix with the
# kernel's own linux/ headers; the pkg-config file adds that directory),
# libkvmmem.pc, the man pages, and install-system's files.
install: install-tools install-system

install-tools:
	$(MAKE) -C tools dist
	install -D -m 0755 build/dist/kvmmem $(DESTDIR)$(BINDIR)/kvmmem
	install -D -m 0755 build/bin/kvmmem-host $(DESTDIR)$(SBINDIR)/kvmmem-host
	install -D -m 0644 build/lib/libkvmmem.a $(DESTDIR)$(LIBDIR)/libkvmmem.a
	install -D -m 0644 build/lib/libkvmmem.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/libkvmmem.so.$(VERSION)
	ln -sf libkvmmem.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libkvmmem.so.0
	ln -sf libkvmmem.so.0 $(DESTDIR)$(LIBDIR)/libkvmmem.so
	install -D -m 0644 include/libkvmmem.h $(DESTDIR)$(INCLUDEDIR)/libkvmmem.h
	install -D -m 0644 include/kvmmem_linux.h $(DESTDIR)$(INCLUDEDIR)/kvmmem_linux.h
	install -d $(DESTDIR)$(INCLUDEDIR)/kvmmem/linux
	install -m 0644 include/uapi/linux/kvmmem.h include/uapi/linux/kvmmem_host.h \
		$(DESTDIR)$(INCLUDEDIR)/kvmmem/linux/
	install -d $(DESTDIR)$(PKGCONFIGDIR)
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
		packaging/libkvmmem.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/libkvmmem.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/libkvmmem.pc
	install -D -m 0644 man/kvmmem.1 $(DESTDIR)$(MANDIR)/man1/kvmmem.1
	install -D -m 0644 man/libkvmmem.3 $(DESTDIR)$(MANDIR)/man3/libkvmmem.3
	install -D -m 0644 man/kvmmem_linux.3 $(DESTDIR)$(MANDIR)/man3/kvmmem_linux.3
	install -D -m 0644 man/kvmmem-host.8 $(DESTDIR)$(MANDIR)/man8/kvmmem-host.8

# Boot-time integration: udev rule, systemd unit (KVM guests only),
# modprobe.d softdep. Where udev, systemd and modprobe look on Debian 12,
# whatever PREFIX is.
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

check-quick:
	KVMMEM_KERNEL=$(or $(KVER),6.12) KVMMEM_LAB_TESTS="$(or $(LAB),t-selftests t-revoke)" \
		scripts/check.sh unit style dkms lab

debug-lab:
	scripts/debug/lab.sh

bench:
	scripts/bench.sh

flake-stats:
	scripts/flake-stats.sh

demo:
	scripts/demo.sh

style:
	scripts/style.sh

.PHONY: all modules modules-clean clean tools dkms-install install install-tools \
	install-system check check-quick demo style debug-lab bench flake-stats
