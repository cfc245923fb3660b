#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kvmmem-host deliver, without the lab: against a stand-in for QEMU's QMP
# socket (fake-qmp.py), the exact commands sent, the token that comes
# through the passed pipe, the QMP socket found on a VMM's command line,
# and the error paths (one line, documented exit code). Prints TAP lines.
#
#   tests/unit/deliver.sh [KVMMEM_HOST]
H=${1:-build/bin/kvmmem-host}
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$T"' EXIT
# the documented test vector: the token's bytes 00 01 ... 1f in memory order
tok=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
echo "$tok" > "$T/good.tok"
echo nothex > "$T/bad.tok"

ok()  { echo "ok - deliver: $*"; }
nok() { echo "not ok - deliver: $*"; }
# fake NAME [MODE [ARGS...]]: a stand-in QMP socket $T/NAME.sock logging to
# $T/NAME.log, its process's command line ending in ARGS; FAKE_PID is its pid
fake() {
	local n=$1 m=${2:-ok}
	shift 2 2>/dev/null || shift
	(cd "$T" && exec python3 "$here/fake-qmp.py" "$T/$n.sock" "$T/$n.log" "$m" "$@") &
	FAKE_PID=$!
	pids+=($FAKE_PID)
	for _ in $(seq 200); do [ -S "$T/$n.sock" ] && return; sleep 0.1; done
	nok "the stand-in QMP socket $n did not appear"
}
# started PID WORD: wait until PID's command line (after exec) has WORD
started() {
	for _ in $(seq 50); do
		tr '\0' '\n' < "/proc/$1/cmdline" 2>/dev/null | grep -qxF -- "$2" && return
		sleep 0.1
	done
}
# run DESC WANT_RC WANT_LINE CMD...: exit code and one line on stderr
run() {
	local d=$1 rc=$2 line=$3 out got
	shift 3
	out=$("$@" 2>&1 >/dev/null </dev/null)
	got=$?
	if [ "$got" = "$rc" ] && [ "$(wc -l <<<"$out")" = 1 ] && grep -qF -- "$line" <<<"$out"; then
		ok "$d (exit $rc)"
	else
		nok "$d (want exit $rc and one line with '$line', got exit $got: $out)"
	fi
}
# the commands a log holds, one per line, without arguments
cmds() { awk '$1 == "execute" { printf "%s ", $2 }' "$T/$1.log"; }

fake q
if "$H" deliver --qmp "$T/q.sock" --token-file "$T/good.tok"; then
	ok "a token delivered through a stand-in QMP socket (exit 0)"
else
	nok "a token delivered through a stand-in QMP socket"
fi
want="qmp_capabilities device_add device_del chardev-remove add-fd chardev-add remove-fd device_add "
[ "$(cmds q)" = "$want" ] && ok "the QMP commands, in order: $want" ||
	nok "the QMP commands: want '$want', got '$(cmds q)'"
grep -qx "token $tok" "$T/q.log" && grep -qx "eof True" "$T/q.log" &&
	ok "QEMU gets a pipe that holds the token line and then ends" ||
	nok "the pipe's contents: $(grep -E '^(token|eof)' "$T/q.log")"
grep -qF '"in": "/dev/fdset/3", "out": "/dev/null"' "$T/q.log" &&
	ok "the character device reads the passed pipe (/dev/fdset/3)" ||
	nok "the character device: $(grep chardev-add "$T/q.log")"
grep -qF '"bus": "kvmmem-vser.0", "chardev": "kvmmem-token", "driver": "virtserialport", "id": "kvmmem-token", "name": "org.kvmmem.token"' "$T/q.log" &&
	ok "the port: virtserialport org.kvmmem.token on the kvmmem-vser controller" ||
	nok "the port: $(grep virtserialport "$T/q.log")"

# again: the controller exists, the old port and its character device go
: > "$T/q.log"
"$H" deliver --qmp "$T/q.sock" --token-stdin < "$T/good.tok" &&
	grep -q '^execute device_del' "$T/q.log" && grep -qx "token $tok" "$T/q.log" &&
	[ "$(grep -c '^execute device_add' "$T/q.log")" = 2 ] &&
	ok "a second delivery (token on standard input) replaces the first port" ||
	nok "a second delivery: $(cmds q)"

# the QMP socket on the introspector's command line
# via DESC NAME ARGS...: a stand-in QEMU whose command line has ARGS (its
# QMP socket $T/NAME.sock) is named with --introspector PID
via() {
	local d=$1 n=$2
	shift 2
	fake "$n" ok "$@"
	started "$FAKE_PID" "$1"
	"$H" deliver --introspector "$FAKE_PID" --token-file "$T/good.tok" &&
		grep -qx "token $tok" "$T/$n.log" && ok "$d" || nok "$d"
}
via "the QMP socket found on the VMM's command line (-qmp unix:PATH,...)" q1 \
	-name intro -qmp "unix:$T/q1.sock,server=on,wait=off"
via "... or as -chardev socket,path=PATH with -mon mode=control" q2 \
	-chardev "socket,id=qmp0,path=$T/q2.sock,server=on,wait=off" -mon chardev=qmp0,mode=control
via "... a relative path, relative to the VMM's working directory" q3 -qmp unix:q3.sock,server=on
run "a socket on the command line that another process serves" 1 "is not served by process $FAKE_PID" \
	"$H" deliver --introspector "$FAKE_PID" --qmp "$T/q.sock" --token-file "$T/good.tok"
printf '%s\r\n' "$tok" > "$T/crlf.tok"
: > "$T/q.log"
"$H" deliver --qmp "$T/q.sock" --token-file "$T/crlf.tok" && grep -qx "token $tok" "$T/q.log" &&
	ok "a token file with a CRLF line end" || nok "a token file with a CRLF line end"

tr a-f A-F <"$T/good.tok" > "$T/upper.tok"
: > "$T/q.log"
"$H" deliver --qmp "$T/q.sock" --token-file "$T/upper.tok" && grep -qx "token $tok" "$T/q.log" &&
	ok "a token in upper case goes as libkvmmem writes it, in lower case" ||
	nok "an upper-case token: $(grep '^token' "$T/q.log")"

# the audit line (a copy on standard error): where the token went, never the
# token, nor a part of it (16 hex digits in a row)
KVMMEM_HOST_LOG_STDERR=1 SUDO_USER=tester "$H" deliver --qmp "$T/q.sock" \
	--token-file "$T/good.tok" 2>"$T/err" >/dev/null
rc=$?
line=$(cat "$T/err")
if [ $rc = 0 ] && [ "$(wc -l <"$T/err")" = 1 ] &&
   [[ $line =~ ^kvmmem-host\[[0-9]+\]:\ deliver\ introspector=-\ introspector_vm=\"\"\ qmp=\"$T/q.sock\"\ uid=[0-9]+\ auid=[-0-9]+\ sudo_user=\"tester\"$ ]] &&
   ! grep -qiE '[0-9a-f]{16}' "$T/err"; then
	ok "an audit line for the delivery, without the token (KVMMEM_HOST_LOG_STDERR=1)"
else
	nok "the audit line of a delivery (exit $rc): $line"
fi
printf '%s\n' "${tok:0:63}" > "$T/short.tok"
KVMMEM_HOST_LOG_STDERR=1 "$H" deliver --qmp "$T/q.sock" --token-file "$T/short.tok" \
	2>"$T/err" >/dev/null
rc=$?
if [ $rc = 2 ] && grep -q 'deliver-failed .* reason="the token is not 64 hex digits"$' "$T/err" &&
   ! grep -qiE '[0-9a-f]{16}' "$T/err"; then
	ok "a failed delivery is logged with its reason, without the digits it was given"
else
	nok "the audit line of a failed delivery (exit $rc): $(cat "$T/err")"
fi

fake v vser
"$H" deliver --qmp "$T/v.sock" --token-file "$T/good.tok" && grep -qx "token $tok" "$T/v.log" &&
	ok "a virtio-serial controller that exists already is used" ||
	nok "an existing controller: $(tail -n 3 "$T/v.log")"

fake h hmp
run "a human monitor socket" 1 "is not a QMP socket" "$H" deliver --qmp "$T/h.sock" --token-file "$T/good.tok"
fake r refuse-chardev
run "QEMU refuses the character device" 1 "QEMU refused to add the port's character device: Could not open" \
	"$H" deliver --qmp "$T/r.sock" --token-file "$T/good.tok"
run "no QMP socket there" 1 "QMP socket $T/none.sock:" "$H" deliver --qmp "$T/none.sock" --token-file "$T/good.tok"
sleep 60 &
pids+=($!)
run "no QMP socket on the VMM's command line" 2 "has no QMP socket on its command line" \
	"$H" deliver --introspector $! --token-file "$T/good.tok"
run "a malformed token" 2 "the token is not 64 hex digits" "$H" deliver --qmp "$T/q.sock" --token-file "$T/bad.tok"
run "no token source" 2 "deliver needs one of --token-file FILE and --token-stdin" "$H" deliver --qmp "$T/q.sock"
run "no introspector" 2 "deliver needs --introspector VM or --qmp SOCKET" "$H" deliver --token-file "$T/good.tok"
"$H" --help | grep -q -- '--deliver' && "$H" --help | grep -q '^       kvmmem-host deliver' &&
	ok "--help documents --deliver and deliver" || nok "--help documents --deliver and deliver"
# pause-port: its command line (the agent itself runs in the lab: t-linux)
run "pause-port without a grant ID" 2 "pause-port needs one grant ID" "$H" pause-port
run "pause-port with a lease below 500 ms" 2 "--lease: 500 to 600000 ms" "$H" pause-port 1 --lease 10
run "pause-port with a time limit of 0" 2 "--max-pause: 1 to 86400 s" "$H" pause-port 1 --max-pause 0
"$H" --help | grep -q '^       kvmmem-host pause-port ID' &&
	ok "--help documents pause-port" || nok "--help documents pause-port"
