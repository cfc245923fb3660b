#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kvmmem command's argument parsing and error paths, without the lab
# (this machine has no /dev/kvmmem): each error is one line on standard
# error with the documented exit code. Prints TAP lines.
K=${1:-build/bin/kvmmem}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf '%064x\n' 7 > "$T/good.tok"
echo nothex > "$T/bad.tok"

# case DESC WANT_RC WANT_LINE CMD...: run CMD with standard input from
# /dev/null unless redirected by the caller's own sh -c
case1() {
	local d=$1 rc=$2 line=$3 out got
	shift 3
	out=$("$@" 2>&1 >/dev/null </dev/null)
	got=$?
	if [ "$got" = "$rc" ] && [ "$(wc -l <<<"$out")" = 1 ] && grep -qF -- "$line" <<<"$out"; then
		echo "ok - kvmmem: $d (exit $rc)"
	else
		echo "not ok - kvmmem: $d (want exit $rc and one line with '$line', got exit $got: $out)"
	fi
}

if "$K" --help | grep -q '^usage: kvmmem' && [ "${PIPESTATUS[0]}" = 0 ]; then
	echo "ok - kvmmem --help prints the usage (exit 0)"
else
	echo "not ok - kvmmem --help"
fi
for c in read dump watch find mount yara; do
	grep -q "^  $c " < <("$K" --help) && echo "ok - kvmmem --help documents $c" ||
		echo "not ok - kvmmem --help documents $c"
done
case1 "no arguments" 2 "a command, an address and a length are needed" "$K"
case1 "--pause with a command other than dump --format" 2 "--pause goes with dump --format only" \
	"$K" --token-file "$T/good.tok" --pause read 0 1
case1 "dump --pause of an image" 2 "--pause is for a live target, not --image" \
	"$K" --image "$T/good.tok" dump --format raw --pause "$T/p.raw"
case1 "an unknown command" 2 "unknown command 'frob'" "$K" frob 0 1
case1 "a bad length" 2 "bad address or length" "$K" read 0 12Q
case1 "a zero length" 2 "bad address or length" "$K" read 0 0
case1 "a range that wraps" 2 "bad address or length" "$K" read 0xffffffffffffffff 2
case1 "dump without a file" 2 "dump needs a file" "$K" dump 0 1M
case1 "find without a pattern" 2 "find needs a pattern" "$K" find 0 1M
case1 "a bad hex pattern" 2 "bad pattern" env KVMMEM_TOKEN="$(cat "$T/good.tok")" "$K" find 0 1M hex:123
case1 "watch of too much" 2 "watch: at most 4096 bytes" "$K" watch 0 8192
case1 "an unexpected argument" 2 "unexpected 'extra'" "$K" read 0 16 extra
case1 "a token on the command line is refused" 2 "never taken on the command line" "$K" --token abc read 0 16
case1 "no token" 3 "no token: use --token-file FILE, --token-stdin, --token-port or KVMMEM_TOKEN" "$K" read 0 16
case1 "no token port, KVMMEM_PORT_WAIT=0: at once" 3 "no token port org.kvmmem.token" env KVMMEM_PORT_WAIT=0 "$K" --token-port read 0 16
case1 "a token file that is missing" 3 "cannot read token file" "$K" --token-file "$T/none" read 0 16
case1 "a token that is not 64 hex digits (file)" 3 "the token is not 64 hex digits" "$K" --token-file "$T/bad.tok" read 0 16
case1 "a token that is not 64 hex digits (environment)" 3 "the token is not 64 hex digits" env KVMMEM_TOKEN=123 "$K" read 0 16
case1 "an empty standard input" 3 "the token is not 64 hex digits" "$K" --token-stdin read 0 16
case1 "a good token but no device" 4 "no /dev/kvmmem: is the kvmmem_guest module loaded?" "$K" --token-file "$T/good.tok" read 0 16
case1 "a good token from the environment, no device" 4 "no /dev/kvmmem" env KVMMEM_TOKEN="$(cat "$T/good.tok")" "$K" read 0x1000 4K
case1 "yara without rules" 2 "usage: kvmmem yara RULES [--pid PID | --all | --kernel]" "$K" yara
case1 "yara with --pid and --all" 2 "yara: one of --pid, --all and --kernel" "$K" yara "$T/r" --pid 1 --all
case1 "yara with --kernel and --all" 2 "yara: one of --pid, --all and --kernel" "$K" yara "$T/r" --kernel --all
case1 "yara with a bad pid" 2 "yara: bad pid 'x'" "$K" yara "$T/r" --pid x
case1 "yara with a good token, no device" 4 "no /dev/kvmmem" "$K" --token-file "$T/good.tok" yara "$T/r"
case1 "mount without a directory" 2 "usage: kvmmem mount DIR [--foreground] [--rw]" "$K" mount
case1 "mount with an unknown option" 2 "usage: kvmmem mount DIR [--foreground] [--rw]" "$K" mount "$T" --bogus
case1 "mount with a good token, no device" 4 "no /dev/kvmmem" "$K" --token-file "$T/good.tok" mount "$T"
case1 "dump --format without a file" 2 "usage: kvmmem dump --format raw|lime|elf FILE" "$K" dump --format raw
case1 "dump --format with a good token, no device" 4 "no /dev/kvmmem" "$K" --token-file "$T/good.tok" dump --format elf "$T/x"
out=$(bash -c "'$K' --token-stdin read 0 16 2>&1 >/dev/null < '$T/good.tok'"; echo "rc=$?")
expect_line="kvmmem: no /dev/kvmmem: is the kvmmem_guest module loaded?"
[ "$out" = "$expect_line"$'\n'"rc=4" ] && echo "ok - kvmmem: a good token from standard input, no device (exit 4)" ||
	echo "not ok - kvmmem: token from standard input: $out"

# save-token: a new file of mode 0600 with the token line; the file is made
# before the token is read (a port's token is read once)
if "$K" --token-file "$T/good.tok" save-token "$T/saved.tok" && [ "$(stat -c %a "$T/saved.tok")" = 600 ] &&
   cmp -s "$T/good.tok" "$T/saved.tok"; then
	echo "ok - kvmmem save-token: a new file of mode 0600 with the token (exit 0)"
else
	echo "not ok - kvmmem save-token: $(ls -l "$T/saved.tok" 2>&1)"
fi
case1 "save-token to a file that exists" 1 "saved.tok: File exists" "$K" --token-file "$T/good.tok" save-token "$T/saved.tok"
case1 "save-token of a bad token" 3 "the token is not 64 hex digits" "$K" --token-file "$T/bad.tok" save-token "$T/bad-saved.tok"
[ ! -e "$T/bad-saved.tok" ] && echo "ok - kvmmem save-token: a failed save leaves no file" ||
	echo "not ok - kvmmem save-token: a failed save left $T/bad-saved.tok"

# the text is the token's bytes in memory order (the documented vector:
# bytes 00 01 ... 1f); upper case is accepted, and save-token writes the
# token as libkvmmem formats it: lower case, no white space
vec=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
printf ' %s\r\n' "$(tr a-f A-F <<<"$vec")" > "$T/upper.tok"
case1 "an upper-case token from the environment, no device" 4 "no /dev/kvmmem" \
	env KVMMEM_TOKEN="$(tr a-f A-F <<<"$vec")" "$K" read 0 16
if "$K" --token-file "$T/upper.tok" save-token "$T/canon.tok" &&
   [ "$(cat "$T/canon.tok")" = "$vec" ] && [ "$(wc -c <"$T/canon.tok")" = 65 ]; then
	echo "ok - kvmmem save-token: an upper-case token with white space is saved as 64 lower-case digits"
else
	echo "not ok - kvmmem save-token of an upper-case token: $(cat -A "$T/canon.tok" 2>&1)"
fi
