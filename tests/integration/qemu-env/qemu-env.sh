#!/usr/bin/env bash
# axbuild's environment through `bootpipe plan`: AXBUILD_QEMU_SYSTEM_LOONGARCH64,
# AXBUILD_QEMU_DIR and the qemu-lvz build cache pick the loongarch64 QEMU
# (in that order, as axbuild's find_loongarch_qemu_dir); AXBUILD_TEST_TIMEOUT_SCALE
# multiplies the timeout (an integer > 1, else a warning).
#   qemu-env.sh BOOTPIPE
set -u
bootpipe=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$here/../../tools/stand-in-kernel.sh"
cp -R "$here/../../data/axvisor-ws" "$work/ws"
ws=$work/ws
stand_in_kernel "$ws/target/loongarch64-unknown-none-softfloat/release/axvisor" 258
for d in exe/bin dir/bin home/.cache/axvisor/qemu-lvz/latest/bin \
	cache/0abc/bin cache/1pinned/bin cache/src/bin; do
	mkdir -p "$work/$d"
	printf '#!/bin/sh\nexit 0\n' >"$work/$d/qemu-system-loongarch64"
	chmod +x "$work/$d/qemu-system-loongarch64"
done
mkdir -p "$ws/os/axvisor/scripts"
printf 'QEMU_LVZ_COMMIT=1pinned\n' >"$ws/os/axvisor/scripts/qemu-lvz.version"
cat >"$work/p.ini" <<'INI'
[pipeline]
stages = resolve-request infer-rootfs patch-qemu
[resolve-request]
arch = loongarch64
kernel = target/loongarch64-unknown-none-softfloat/release/axvisor
INI
echo 'timeout = 180' >>"$ws/os/axvisor/configs/qemu/qemu-loongarch64.toml"
unset AXBUILD_QEMU_SYSTEM_LOONGARCH64 AXBUILD_QEMU_DIR AXVISOR_QEMU_LVZ_CACHE \
	AXBUILD_TEST_TIMEOUT_SCALE BOOTPIPE_PLUGIN_PATH
export NO_COLOR=1 HOME=$work/nohome
failures=0

# binary WANT [VAR=VALUE...]: argv[0] of the plan with that environment
binary() {
	local want=$1 got
	shift
	got=$(cd "$ws" && timeout -s KILL 20 env "$@" "$bootpipe" plan "$work/p.ini" \
		--workspace "$ws" 2>"$work/err" | python3 -c \
		'import shlex, sys; print(shlex.split(sys.stdin.read())[0])')
	if [ "$got" != "$want" ]; then
		echo "FAIL [$*]: QEMU $got, expected $want"
		cat "$work/err"
		failures=$((failures + 1))
	fi
}
binary qemu-system-loongarch64
binary "$work/exe/bin/qemu-system-loongarch64" \
	"AXBUILD_QEMU_SYSTEM_LOONGARCH64=$work/exe/bin/qemu-system-loongarch64" \
	"AXBUILD_QEMU_DIR=$work/dir/bin"
binary "$work/dir/bin/qemu-system-loongarch64" \
	"AXBUILD_QEMU_SYSTEM_LOONGARCH64=$work/missing/qemu" \
	"AXBUILD_QEMU_DIR=$work/dir/bin"
binary "$work/home/.cache/axvisor/qemu-lvz/latest/bin/qemu-system-loongarch64" \
	"HOME=$work/home"
binary "$work/cache/1pinned/bin/qemu-system-loongarch64" \
	"AXVISOR_QEMU_LVZ_CACHE=$work/cache"
rm -r "$work/cache/1pinned"
binary "$work/cache/0abc/bin/qemu-system-loongarch64" \
	"AXVISOR_QEMU_LVZ_CACHE=$work/cache"
# a FIFO as qemu-lvz.version names no commit; it is not waited on
rm "$ws/os/axvisor/scripts/qemu-lvz.version"
mkfifo "$ws/os/axvisor/scripts/qemu-lvz.version"
binary "$work/cache/0abc/bin/qemu-system-loongarch64" \
	"AXVISOR_QEMU_LVZ_CACHE=$work/cache"
rm "$ws/os/axvisor/scripts/qemu-lvz.version"

# scale VALUE PATTERN [OPTIONS]: the plan's log has PATTERN with
# AXBUILD_TEST_TIMEOUT_SCALE=VALUE (an empty PATTERN: no line about it)
scale() {
	(cd "$ws" && AXBUILD_TEST_TIMEOUT_SCALE=$1 "$bootpipe" plan \
		"$work/p.ini" --workspace "$ws" "${@:3}" >/dev/null 2>"$work/err")
	if [ -z "$2" ] && grep -q TIMEOUT_SCALE "$work/err"; then
		echo "FAIL [scale $1 ${*:3}]: the timeout option was scaled"
		cat "$work/err"
		failures=$((failures + 1))
	elif [ -n "$2" ] && ! grep -q -- "$2" "$work/err"; then
		echo "FAIL [scale $1]: no \"$2\" in the log"
		cat "$work/err"
		failures=$((failures + 1))
	fi
}
scale 3 'AXBUILD_TEST_TIMEOUT_SCALE=3: timeout 180s -> 540s'
scale 1 'ignoring AXBUILD_TEST_TIMEOUT_SCALE=1: expected an integer > 1'
scale x2 'ignoring AXBUILD_TEST_TIMEOUT_SCALE=x2'
# an explicit timeout is final (bootpipe test passes it scaled already)
scale 3 '' --set patch-qemu.timeout=100
echo "qemu-env: $failures failures"
[ "$failures" = 0 ]
