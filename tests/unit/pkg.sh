#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Packaging and the host tool, without the lab: make install into a
# DESTDIR (every file and its mode), a program built against the installed
# library through pkg-config, kvmmem-host's command line, its status with
# the module not loaded and its VM names (fake QEMU processes, a fake
# libvirt run directory), then the Debian packages, built in a copy of the
# tree, their contents and lintian. Prints TAP lines.
#
#   tests/unit/pkg.sh [KVMMEM_HOST]     (default build/bin/kvmmem-host)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
H=${1:-$top/build/bin/kvmmem-host}
version=$(cat "$top/VERSION")
. "$top/tests/unit/procs.sh"
. "$top/tests/tap.sh"
# expect DESC WANT GOT
expect() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		nok "$1"
		printf 'want: %s\ngot:  %s\n' "$2" "$3" | diag
	fi
}

# --- make install --------------------------------------------------------
D=$T/dest
if out=$(make -s -C "$top" install DESTDIR="$D" 2>&1); then
	ok "make install DESTDIR=... (PREFIX=/usr)"
else
	nok "make install DESTDIR=..."
	tail -n 20 <<<"$out" | diag
fi
# path, then octal mode or "-> link target"
installed=(
	"usr/bin/kvmmem 755"
	"usr/sbin/kvmmem-host 755"
	"usr/lib/libkvmmem.a 644"
	"usr/lib/libkvmmem.so.$version 644"
	"usr/lib/libkvmmem.so.0 -> libkvmmem.so.$version"
	"usr/lib/libkvmmem.so -> libkvmmem.so.0"
	"usr/lib/pkgconfig/libkvmmem.pc 644"
	"usr/include/libkvmmem.h 644"
	"usr/include/kvmmem_linux.h 644"
	"usr/include/kvmmem/linux/kvmmem.h 644"
	"usr/include/kvmmem/linux/kvmmem_host.h 644"
	"usr/share/man/man1/kvmmem.1 644"
	"usr/share/man/man3/libkvmmem.3 644"
	"usr/share/man/man3/kvmmem_linux.3 644"
	"usr/share/man/man8/kvmmem-host.8 644"
	"lib/udev/rules.d/60-kvmmem.rules 644"
	"lib/systemd/system/kvmmem-guest.service 644"
	"etc/modprobe.d/kvmmem-host.conf 644"
	"etc/systemd/system/sysinit.target.wants/kvmmem-guest.service -> /lib/systemd/system/kvmmem-guest.service"
)
for e in "${installed[@]}"; do
	f=${e%% *} want=${e#* }
	if [ -L "$D/$f" ]; then
		got="-> $(readlink "$D/$f")"
	elif [ -f "$D/$f" ]; then
		got=$(stat -c %a "$D/$f")
	else
		got=missing
	fi
	expect "make install: $f ($want)" "$want" "$got"
done
expect "make install installs nothing else" "${#installed[@]}" \
	"$(find "$D" -type f -o -type l 2>/dev/null | wc -l)"
rule=$D/lib/udev/rules.d/60-kvmmem.rules
check "udev rule: /dev/kvmmem is root:root 0600, as the README says" grep -qxF \
	'KERNEL=="kvmmem", SUBSYSTEM=="misc", OWNER="root", GROUP="root", MODE="0600"' "$rule"
check "udev rule: /dev/kvmmem-host is root:root 0600" grep -qxF \
	'KERNEL=="kvmmem-host", SUBSYSTEM=="misc", OWNER="root", GROUP="root", MODE="0600"' "$rule"
unit=$D/lib/systemd/system/kvmmem-guest.service
check "kvmmem-guest.service loads kvmmem_guest on KVM guests only" \
	sh -c "grep -qx 'ConditionVirtualization=kvm' '$unit' &&
	       grep -qx 'ExecStart=/sbin/modprobe kvmmem_guest' '$unit'"
check "modprobe.d: kvmmem_host has a soft dependency on kvm" \
	grep -qx 'softdep kvmmem_host pre: kvm' "$D/etc/modprobe.d/kvmmem-host.conf"
needed=$(readelf -d "$D/usr/bin/kvmmem" 2>/dev/null | grep NEEDED)
check "installed kvmmem: the C library shared, libkvmmem linked in" \
	bash -c "grep -q 'libc.so.6' <<<'$needed' && ! grep -q libkvmmem <<<'$needed'"
check "installed kvmmem runs (--help)" sh -c "'$D/usr/bin/kvmmem' --help | grep -q '^usage: kvmmem'"
expect "libkvmmem.so.$version has the soname libkvmmem.so.0" "libkvmmem.so.0" \
	"$(readelf -d "$D/usr/lib/libkvmmem.so.$version" 2>/dev/null |
	   sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
expect "libkvmmem.so exports only the kvmmem_* API" "" \
	"$(nm -D --defined-only "$D/usr/lib/libkvmmem.so.$version" 2>&1 |
	   awk '$3 !~ /^kvmmem_/ { print }')"

D2=$T/local
if make -s -C "$top" install DESTDIR="$D2" PREFIX=/usr/local >/dev/null 2>&1 &&
   [ -x "$D2/usr/local/bin/kvmmem" ] && [ -x "$D2/usr/local/sbin/kvmmem-host" ] &&
   [ -f "$D2/usr/local/lib/libkvmmem.a" ] && [ -f "$D2/usr/local/share/man/man8/kvmmem-host.8" ] &&
   grep -qx 'prefix=/usr/local' "$D2/usr/local/lib/pkgconfig/libkvmmem.pc" &&
   grep -qx 'libdir=/usr/local/lib' "$D2/usr/local/lib/pkgconfig/libkvmmem.pc" &&
   [ ! -e "$D2/usr/bin" ]; then
	ok "make install PREFIX=/usr/local puts the tools, library, pkg-config file and man pages there"
else
	nok "make install PREFIX=/usr/local"
fi

# --- a program built against the installed library, through pkg-config ----
cat >"$T/t.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libkvmmem.h>
#include <linux/kvmmem.h>

int main(void)
{
	/* the token's bytes 00 01 ... 1f, in memory order */
	static const char good[] =
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
	char hex[KVMMEM_TOKEN_HEX + 1];
	uint64_t tok[4];
	struct kvmmem *km;

	if (kvmmem_token_parse(good, tok) || ((unsigned char *)tok)[31] != 0x1f ||
	    kvmmem_token_parse("123", tok) != -1 || errno != EINVAL)
		return 1;
	kvmmem_token_parse(good, tok);
	kvmmem_token_format(tok, hex);
	if (strcmp(hex, good))
		return 1;
	if (KVM_HC_MEM_MAP != 32)
		return 1;
	km = kvmmem_open(good, 0);
	if (km || errno != ENOENT) {
		printf("kvmmem_open: %s\n", km ? "opened" : strerror(errno));
		return 1;
	}
	printf("%s\n", kvmmem_strerror(ENOENT));
	return 0;
}
EOF
pc() {
	PKG_CONFIG_LIBDIR=$D/usr/lib/pkgconfig PKG_CONFIG_PATH= \
		PKG_CONFIG_SYSROOT_DIR=$D pkg-config "$@" libkvmmem
}
expect "pkg-config --modversion libkvmmem (in DESTDIR)" "$version" "$(pc --modversion 2>&1)"
want_msg="no /dev/kvmmem: is the kvmmem_guest module loaded?"
if [ -e /dev/kvmmem ]; then
	skip "a program linked through pkg-config runs" "this machine has a /dev/kvmmem"
elif out=$(cc -o "$T/t" "$T/t.c" $(pc --cflags --libs) 2>&1); then
	expect "a program built with pkg-config --cflags --libs links libkvmmem.so.0" \
		"libkvmmem.so.0" "$(readelf -d "$T/t" | sed -n 's/.*NEEDED.*\[\(libkvmmem[^]]*\)\]/\1/p')"
	expect "... and runs: token parsing and formatting, kvmmem_open without /dev/kvmmem is ENOENT" \
		"$want_msg" "$(LD_LIBRARY_PATH=$D/usr/lib "$T/t" 2>&1)"
	if out=$(cc -static -o "$T/ts" "$T/t.c" $(pc --static --cflags --libs) 2>&1); then
		expect "... and linked statically (pkg-config --static) it runs too" \
			"$want_msg" "$("$T/ts" 2>&1)"
	else
		nok "static link with pkg-config --static --libs"
		diag <<<"$out"
	fi
else
	nok "a program built with pkg-config --cflags --libs libkvmmem"
	diag <<<"$out"
fi

# --- kvmmem-host: command line -------------------------------------------
# case1 DESC WANT_RC WANT_TEXT CMD...: one line on standard error holding
# WANT_TEXT, nothing on standard output, exit WANT_RC
case1() {
	local d=$1 rc=$2 line=$3 err got
	shift 3
	"$@" 2>"$T/stderr" >"$T/stdout" </dev/null
	got=$?
	err=$(cat "$T/stderr")
	if [ "$got" = "$rc" ] && [ "$(wc -l <"$T/stderr")" = 1 ] &&
	   grep -qF -- "$line" <<<"$err" && [ ! -s "$T/stdout" ]; then
		ok "kvmmem-host: $d (exit $rc)"
	else
		nok "kvmmem-host: $d (want exit $rc and one line with '$line', got exit $got: $err)"
	fi
}
out=$("$H" --help 2>/dev/null)
rc=$?
if [ $rc = 0 ] && [[ $out == "usage: kvmmem-host grant "* ]] &&
   [ -z "$("$H" --help 2>&1 >/dev/null)" ]; then
	ok "kvmmem-host --help prints the usage on standard output (exit 0)"
else
	nok "kvmmem-host --help (exit $rc)"
fi
for w in "revoke ID" "list" "status \[--load\]" "resolve VM" "name:NAME" "libvirt:NAME" \
	 KVMMEM_LIBVIRT_RUNDIR "Exit codes"; do
	check "kvmmem-host --help documents $w" grep -q "$w" <<<"$out"
done
"$H" >/dev/null 2>"$T/err"
rc=$?
check "kvmmem-host with no arguments: the usage on standard error (exit 2)" \
	sh -c "[ $rc = 2 ] && grep -q '^usage: kvmmem-host' '$T/err'"
G=(grant --target 1 --introspector 1 --token-file "$T/none.tok")
case1 "an unknown command" 2 "unknown command 'frob'" "$H" frob
case1 "grant without VMs" 2 "grant needs --target VM and --introspector VM" "$H" grant --token-stdout
case1 "grant without an introspector" 2 "grant needs --target VM and --introspector VM" \
	"$H" grant --target 1 --token-stdout
case1 "grant without a token destination" 2 "grant needs --token-file FILE, --token-stdout or --deliver" \
	"$H" grant --target 1 --introspector 2
case1 "grant with two token destinations" 2 "grant takes one of --token-file FILE and --token-stdout" \
	"$H" "${G[@]}" --token-stdout
case1 "a VM that is not a pid or a name" 2 "bad VM 'abc': PID, pid:PID, name:NAME or libvirt:NAME" \
	"$H" grant --target abc --introspector 1 --token-stdout
case1 "pid: without a number" 2 "bad VM 'pid:x'" "$H" grant --target pid:x --introspector 1 --token-stdout
case1 "pid 0" 2 "bad VM '0'" "$H" grant --target 1 --introspector 0 --token-stdout
case1 "a pid with trailing junk" 2 "bad VM '12abc'" "$H" grant --target 12abc --introspector 1 --token-stdout
case1 "name: with no name" 2 "bad VM 'name:'" "$H" grant --target name: --introspector 1 --token-stdout
case1 "a bad range" 2 "bad range '5': START-END" "$H" "${G[@]}" --range 5
case1 "a bad expiry" 2 "bad expiry 'soon'" "$H" "${G[@]}" --expire soon
case1 "a negative quota" 2 "bad quota '-1'" "$H" "${G[@]}" --quota -1
case1 "an unknown option" 2 "bad option '--frob'" "$H" "${G[@]}" --frob
case1 "an option without its argument" 2 "bad option '--target'" "$H" grant --target
case1 "an unexpected argument" 2 "unexpected 'extra'" "$H" "${G[@]}" extra
case1 "revoke without an id" 2 "revoke needs one grant ID" "$H" revoke
case1 "revoke of a bad id" 2 "bad grant ID 'x'" "$H" revoke x
case1 "list with an argument" 2 "unexpected 'extra'" "$H" list extra
case1 "status with an unknown option" 2 "bad option '--frob'" "$H" status --frob
case1 "status with an argument" 2 "unexpected 'extra'" "$H" status extra
case1 "resolve without a VM" 2 "resolve needs one VM" "$H" resolve
if [ -e /dev/kvmmem-host ]; then
	skip "kvmmem-host without /dev/kvmmem-host" "this machine has one"
else
	nodev="/dev/kvmmem-host: No such file or directory (is kvmmem_host loaded?)"
	case1 "grant with plain pids, no module" 4 "$nodev" "$H" "${G[@]}" --rw --range 0x1000-0x1fff \
		--expire 100 --quota 8
	case1 "revoke, no module" 4 "$nodev" "$H" revoke 1
	case1 "list, no module" 4 "$nodev" "$H" list
	[ ! -e "$T/none.tok" ] && ok "kvmmem-host: no token file is left behind" ||
		nok "kvmmem-host: a token file was created"
fi

# --- kvmmem-host status without the module --------------------------------
if [ -e /sys/module/kvmmem_host ]; then
	skip "kvmmem-host status with the module not loaded" "kvmmem_host is loaded here"
else
	if path=$(modinfo -n kvmmem_host 2>/dev/null) && [ -n "$path" ]; then
		avail="available: $(modinfo -F version kvmmem_host) ($path)"
	else
		avail="available: no (not installed for kernel $(uname -r))"
	fi
	out=$("$H" status 2>"$T/err")
	rc=$?
	expect "kvmmem-host status, module not loaded: two lines, exit 4, nothing on standard error" \
		"kvmmem_host: not loaded|$avail|rc=4|" "$(tr '\n' '|' <<<"$out")rc=$rc|$(cat "$T/err")"
fi

# --- kvmmem-host: VM names -----------------------------------------------
# (fake ARGV0 ARGS...: tests/unit/procs.sh)
n=kvmmem-pkg-test-$$
case1 "name: of no QEMU process" 3 "name:$n-none: no QEMU process has -name $n-none" \
	"$H" grant --target "name:$n-none" --introspector 1 --token-stdout
case1 "resolve name: of no QEMU process" 3 "name:$n-none: no QEMU process has -name $n-none" \
	"$H" resolve "name:$n-none"
expect "resolve PID prints it" "$$" "$("$H" resolve $$ 2>&1)"
expect "resolve pid:PID prints it" "$$" "$("$H" resolve pid:$$ 2>&1)"
case1 "resolve of a pid that runs nothing" 3 "2147483647: no process 2147483647" "$H" resolve 2147483647
fake qemu-system-x86_64 -name "guest=$n-a,debug-threads=on"
pa=$fpid
expect "name: finds a QEMU process by -name guest=NAME,debug-threads=on" \
	"$pa" "$("$H" resolve "name:$n-a" 2>&1)"
fake /usr/bin/qemu-kvm -m 64 -name "$n-b" -nographic
expect "name: finds one by -name NAME (full path, other options around)" \
	"$fpid" "$("$H" resolve "name:$n-b" 2>&1)"
fake qemu-system-x86_64 -name "guest=$n-c,,x,process=foo"
expect "name: reads a doubled comma as a comma" "$fpid" "$("$H" resolve "name:$n-c,x" 2>&1)"
fake sleepy -name "guest=$n-d"
case1 "name: ignores processes that are not QEMU" 3 "no QEMU process has -name $n-d" \
	"$H" resolve "name:$n-d"
fake qemu-system-x86_64 -name "guest=$n-a"
pb=$fpid
case1 "name: of two QEMU processes is refused and names both" 3 \
	"name:$n-a: 2 QEMU processes have -name $n-a (pids $(printf '%s\n' "$pa" "$pb" | sort -n | tr '\n' ' ' | sed 's/ $//'))" \
	"$H" resolve "name:$n-a"
case1 "grant naming an ambiguous VM fails before the device (exit 3)" 3 "2 QEMU processes have -name $n-a" \
	"$H" grant --target 1 --introspector "name:$n-a" --token-stdout

R=$T/libvirt
mkdir -p "$R"
echo "$pa" >"$R/dom1.pid"
expect "libvirt: reads the domain's pid file (KVMMEM_LIBVIRT_RUNDIR)" "$pa" \
	"$(KVMMEM_LIBVIRT_RUNDIR=$R "$H" resolve libvirt:dom1 2>&1)"
printf '%s' "$pb" >"$R/dom2.pid"
expect "libvirt: a pid file without a newline" "$pb" \
	"$(KVMMEM_LIBVIRT_RUNDIR=$R "$H" resolve libvirt:dom2 2>&1)"
case1 "libvirt: of no domain" 3 "libvirt:nodom: no running libvirt domain nodom ($R/nodom.pid: No such file or directory)" \
	env KVMMEM_LIBVIRT_RUNDIR="$R" "$H" resolve libvirt:nodom
case1 "libvirt: looks in /run/libvirt/qemu by default" 3 "/run/libvirt/qemu/$n.pid" \
	env -u KVMMEM_LIBVIRT_RUNDIR "$H" resolve "libvirt:$n"
echo junk >"$R/dom3.pid"
case1 "libvirt: a pid file without a pid" 3 "libvirt:dom3: $R/dom3.pid holds no pid" \
	env KVMMEM_LIBVIRT_RUNDIR="$R" "$H" resolve libvirt:dom3
kill "$pb"
wait "$pb" 2>/dev/null
case1 "libvirt: a domain whose process is gone" 3 "libvirt:dom2: process $pb (from $R/dom2.pid) is not running" \
	env KVMMEM_LIBVIRT_RUNDIR="$R" "$H" resolve libvirt:dom2
case1 "libvirt: a name with a slash" 3 "libvirt:../dom1: not a libvirt domain name" \
	env KVMMEM_LIBVIRT_RUNDIR="$R/x" "$H" resolve libvirt:../dom1
case1 "grant naming a missing libvirt domain (exit 3)" 3 "no running libvirt domain nodom" \
	env KVMMEM_LIBVIRT_RUNDIR="$R" "$H" grant --target libvirt:nodom --introspector 1 --token-stdout
kill "${pids[@]}" 2>/dev/null
wait 2>/dev/null
pids=()

# --- the Debian packages --------------------------------------------------
missing=
for c in dpkg-buildpackage dh dh_dkms lintian git fakeroot; do
	command -v "$c" >/dev/null || missing+=" $c"
done
if [ -n "$missing" ]; then
	skip "the Debian packages" "missing:$missing (scripts/install-deps.sh installs them)"
	exit 0
fi
if ! git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	skip "the Debian packages" "not a git checkout: the copy is made from git ls-files"
	exit 0
fi
# A copy of the tree as it is (tracked and new files, not ignored ones),
# committed to a scratch repository so that the build's leftovers show.
B=$T/deb
mkdir -p "$B/src"
(cd "$top" && git ls-files -z -co --exclude-standard) |
	(cd "$top" && tar --null -T - -cf -) | tar -xf - -C "$B/src"
git -C "$B/src" init -q && git -C "$B/src" add -A &&
	git -C "$B/src" -c user.name=t -c user.email=t@t.invalid commit -qm copy
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
touch "$T/before-build"
if out=$(cd "$B/src" && dpkg-buildpackage -us -uc -b 2>&1); then
	ok "dpkg-buildpackage -us -uc -b"
else
	nok "dpkg-buildpackage -us -uc -b"
	tail -n 30 <<<"$out" | diag
fi
expect "the build leaves no file that .gitignore does not cover" "" \
	"$(git -C "$B/src" status --porcelain 2>&1)"
expect "the build writes nothing into the build machine's /usr/lib/$ma" "" \
	"$(find "/usr/lib/$ma" -maxdepth 1 -name 'libkvmmem*' -newer "$T/before-build" 2>/dev/null)"
tools=$B/kvmmem-tools_${version}_amd64.deb
dkms=$B/kvmmem-dkms_${version}_all.deb
# for the lab's t-pkg, which installs them into a fresh root
rm -rf "$top/build/debs" && mkdir -p "$top/build/debs" &&
	cp "$tools" "$dkms" "$top/build/debs/" 2>/dev/null
# contents DEB: "MODE OWNER PATH[ -> TARGET]" of its files and links
contents() {
	dpkg-deb -c "$1" 2>/dev/null | awk '$1 !~ /^d/ {
		$3 = $4 = $5 = ""; sub(/^\.\//, "", $6); print }' | tr -s ' ' | sort
}
want=$(sort <<EOF
-rw-r--r-- root/root etc/modprobe.d/kvmmem-host.conf
-rw-r--r-- root/root lib/systemd/system/kvmmem-guest.service
-rw-r--r-- root/root lib/udev/rules.d/60-kvmmem.rules
-rwxr-xr-x root/root usr/bin/kvmmem
-rw-r--r-- root/root usr/include/kvmmem/linux/kvmmem.h
-rw-r--r-- root/root usr/include/kvmmem/linux/kvmmem_host.h
-rw-r--r-- root/root usr/include/kvmmem_linux.h
-rw-r--r-- root/root usr/include/libkvmmem.h
-rw-r--r-- root/root usr/lib/$ma/libkvmmem.a
-rw-r--r-- root/root usr/lib/$ma/pkgconfig/libkvmmem.pc
-rwxr-xr-x root/root usr/sbin/kvmmem-host
-rw-r--r-- root/root usr/share/doc/kvmmem-tools/README.md.gz
-rw-r--r-- root/root usr/share/doc/kvmmem-tools/changelog.gz
-rw-r--r-- root/root usr/share/doc/kvmmem-tools/copyright
-rw-r--r-- root/root usr/share/lintian/overrides/kvmmem-tools
-rw-r--r-- root/root usr/share/man/man1/kvmmem.1.gz
-rw-r--r-- root/root usr/share/man/man3/kvmmem_linux.3.gz
-rw-r--r-- root/root usr/share/man/man3/libkvmmem.3.gz
-rw-r--r-- root/root usr/share/man/man8/kvmmem-host.8.gz
EOF
)
got=$(contents "$tools")
if [ "$got" = "$want" ]; then
	ok "kvmmem-tools: exactly the tools, library, headers, pkg-config file, man pages, udev rule, unit and modprobe.d file"
else
	nok "kvmmem-tools contents"
	diff <(echo "$want") <(echo "$got") | diag
fi
# kvmmem-dkms holds what make dkms-install installs, and nothing else
make -s -C "$top" dkms-install DESTDIR="$T/dk" >/dev/null 2>&1
want=$( (cd "$T/dk" && find usr -type f -printf '-rw-r--r-- root/root %p\n'
	printf '%s\n' "-rw-r--r-- root/root usr/share/doc/kvmmem-dkms/changelog.gz" \
		"-rw-r--r-- root/root usr/share/doc/kvmmem-dkms/copyright") | sort)
got=$(contents "$dkms")
if [ -n "$want" ] && [ "$got" = "$want" ]; then
	ok "kvmmem-dkms: exactly make dkms-install's tree in /usr/src/kvmmem-$version ($(wc -l <<<"$got") files)"
else
	nok "kvmmem-dkms contents"
	diff <(echo "$want") <(echo "$got") | diag
fi
check "kvmmem-dkms: its dkms.conf is the tree's (AUTOINSTALL)" cmp -s "$top/dkms.conf" \
	<(dpkg-deb --fsys-tarfile "$dkms" | tar -xOf - "./usr/src/kvmmem-$version/dkms.conf")
mkdir -p "$T/ctl/dkms" "$T/ctl/tools"
dpkg-deb -e "$dkms" "$T/ctl/dkms" 2>/dev/null
dpkg-deb -e "$tools" "$T/ctl/tools" 2>/dev/null
check "kvmmem-dkms: architecture all, depends on dkms, postinst adds it to DKMS" \
	sh -c "[ \"\$(dpkg-deb -f '$dkms' Architecture)\" = all ] &&
	       dpkg-deb -f '$dkms' Depends | grep -q '^dkms' &&
	       grep -q 'DKMS_NAME=kvmmem\$' '$T/ctl/dkms/postinst' &&
	       grep -q 'common.postinst' '$T/ctl/dkms/postinst'"
check "kvmmem-tools: amd64, depends on libkmod2, libfuse3, nettle and libyara, recommends kvmmem-dkms and fuse3" \
	sh -c "[ \"\$(dpkg-deb -f '$tools' Architecture)\" = amd64 ] &&
	       dpkg-deb -f '$tools' Depends | grep -q 'libkmod2' &&
	       dpkg-deb -f '$tools' Depends | grep -q 'libfuse3' &&
	       dpkg-deb -f '$tools' Depends | grep -q 'libnettle' &&
	       dpkg-deb -f '$tools' Depends | grep -q 'libyara' &&
	       [ \"\$(dpkg-deb -f '$tools' Recommends)\" = 'kvmmem-dkms, fuse3' ]"
check "kvmmem-tools: postinst enables kvmmem-guest.service, the modprobe.d file is a conffile" \
	sh -c "grep -q \"deb-systemd-helper enable 'kvmmem-guest.service'\" '$T/ctl/tools/postinst' &&
	       grep -qx /etc/modprobe.d/kvmmem-host.conf '$T/ctl/tools/conffiles'"
# lintian: no error or warning; info and pedantic tags are shown
out=$(cd "$B" && lintian --pedantic -I -E --fail-on error,warning \
	"kvmmem_${version}_amd64.changes" 2>&1)
rc=$?
out=$(grep -v 'running with root privileges' <<<"$out")
if [ $rc = 0 ] && ! grep -qE '^[EW]: ' <<<"$out"; then
	ok "lintian --pedantic on the .changes: no errors or warnings"
else
	nok "lintian: errors or warnings"
fi
[ -n "$out" ] && diag <<<"$out"
# every override says why: a comment right before it
check "each lintian override has its reason in a comment" awk '
	/^#/ { why = 1; next }
	/^[[:space:]]*$/ { why = 0; next }
	!why { bad = 1 }
	END { exit bad }' "$top"/debian/*.lintian-overrides
