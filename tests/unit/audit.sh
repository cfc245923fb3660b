#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kvmmem-host's audit log (syslog, LOG_AUTHPRIV), without the module: a
# grant or revoke that fails for want of /dev/kvmmem-host is logged at
# LOG_WARNING with its terms, the VMs' pids and names, who ran it and the
# reason. syslog() drops lines when nothing listens on /dev/log, so the
# test asks for a copy on standard error (KVMMEM_HOST_LOG_STDERR=1,
# LOG_PERROR), which is the same line without syslog's "<PRI>DATE " head.
# A grant that succeeds is checked in the lab; deliver's line (which must
# not hold the token it delivers) in deliver.sh. Prints TAP lines.
#
#   tests/unit/audit.sh [KVMMEM_HOST]     (default build/bin/kvmmem-host)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
H=${1:-$top/build/bin/kvmmem-host}
. "$top/tests/unit/procs.sh"
. "$top/tests/tap.sh"

if [ -e /dev/kvmmem-host ]; then
	skip "kvmmem-host's audit log without the module" "this machine has a /dev/kvmmem-host"
	exit 0
fi
nodev="/dev/kvmmem-host: No such file or directory (is kvmmem_host loaded?)"
auid=$(cat /proc/self/loginuid 2>/dev/null)
[ -z "$auid" ] || [ "$auid" = 4294967295 ] && auid=-
who="uid=$(id -u) auid=$auid"

# logged DESC WANT_RC WANT CMD...: CMD (with KVMMEM_HOST_LOG_STDERR=1)
# exits WANT_RC and writes two lines on standard error: its error, then
# the audit line "kvmmem-host[PID]: WANT"
logged() {
	local d=$1 rc=$2 want=$3 got line
	shift 3
	KVMMEM_HOST_LOG_STDERR=1 "$@" 2>"$T/err" >/dev/null </dev/null
	got=$?
	line=$(sed -n 2p "$T/err")
	if [ "$got" = "$rc" ] && [ "$(wc -l <"$T/err")" = 2 ] &&
	   [[ $line =~ ^kvmmem-host\[[0-9]+\]:\ (.*)$ ]] && [ "${BASH_REMATCH[1]}" = "$want" ]; then
		ok "audit: $d"
	else
		nok "audit: $d (exit $got)"
		printf 'want: kvmmem-host[PID]: %s\n' "$want" | diag
		diag <"$T/err"
	fi
}

# stand-in QEMU processes (fake: tests/unit/procs.sh)
fake qemu-system-x86_64 -name "guest=audit-t-$$,debug-threads=on"
pt=$fpid
fake qemu-system-x86_64 -name "audit-i-$$"
pi=$fpid
fake qemu-system-x86_64 -name $'ev"il\\\nx'
pe=$fpid

logged "a refused grant: its terms, VMs, who ran it and the reason (exit 4)" 4 \
	"grant-failed id=- target=$pt target_vm=\"name:audit-t-$$\" introspector=$pi introspector_vm=\"name:audit-i-$$\" range=0x1000-0x2000 rights=rw quota=8 expires_in_ms=100 $who sudo_user=\"tester\" reason=\"$nodev\"" \
	env SUDO_USER=tester "$H" grant --target "$pt" --introspector "name:audit-i-$$" \
	--token-file "$T/t.tok" --rw --range 0x1000-0x2000 --expire 100 --quota 8
[ ! -e "$T/t.tok" ] && ok "audit: ... and no token file is left behind" ||
	nok "audit: a token file was created"
logged "a read-only grant with no range, quota or expiry" 4 \
	"grant-failed id=- target=$pi target_vm=\"name:audit-i-$$\" introspector=$pt introspector_vm=\"name:audit-t-$$\" range=0x0-0x0 rights=ro quota=0 expires_in_ms=-1 $who sudo_user=\"\" reason=\"$nodev\"" \
	env -u SUDO_USER "$H" grant --target "$pi" --introspector "pid:$pt" --token-stdout
logged "quotes, backslashes and line ends in names become '?': one line, no forged field" 4 \
	"grant-failed id=- target=$pe target_vm=\"name:ev?il??x\" introspector=$pi introspector_vm=\"name:audit-i-$$\" range=0x0-0x0 rights=ro quota=0 expires_in_ms=-1 $who sudo_user=\"a?b?c\" reason=\"$nodev\"" \
	env SUDO_USER=$'a"b\nc' "$H" grant --target "$pe" --introspector "$pi" --token-stdout
logged "a VM that cannot be found: the reason, the name asked for (exit 3)" 3 \
	"grant-failed id=- target=$pt target_vm=\"name:audit-t-$$\" introspector=- introspector_vm=\"libvirt:none-$$\" range=0x0-0x0 rights=ro quota=0 expires_in_ms=-1 $who sudo_user=\"\" reason=\"libvirt:none-$$: no running libvirt domain none-$$ ($T/none-$$.pid: No such file or directory)\"" \
	env -u SUDO_USER KVMMEM_LIBVIRT_RUNDIR="$T" "$H" grant --target "$pt" \
	--introspector "libvirt:none-$$" --token-stdout
logged "a refused revoke (exit 4)" 4 \
	"revoke-failed id=7 target=- target_vm=\"\" introspector=- introspector_vm=\"\" range=- rights=- quota=- expires_in_ms=- $who sudo_user=\"\" reason=\"$nodev\"" \
	env -u SUDO_USER "$H" revoke 7

# without KVMMEM_HOST_LOG_STDERR the line goes to syslog only; a bad
# command line is not a grant attempt and is not logged
for c in "grant --target 1 --introspector 1 --token-stdout" "grant --target 1 --token-stdout" \
	 "revoke 7" "revoke x"; do
	env -u KVMMEM_HOST_LOG_STDERR "$H" $c 2>"$T/err" >/dev/null </dev/null
	[ "$(wc -l <"$T/err")" = 1 ] && ok "audit: kvmmem-host $c: one line on standard error" ||
		{ nok "audit: kvmmem-host $c"; diag <"$T/err"; }
done
KVMMEM_HOST_LOG_STDERR=1 "$H" grant --target 1 --token-stdout 2>"$T/err" >/dev/null </dev/null
[ "$(wc -l <"$T/err")" = 1 ] && ok "audit: a bad command line is not logged" ||
	{ nok "audit: a bad command line was logged"; diag <"$T/err"; }
