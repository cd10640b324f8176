#!/usr/bin/env bash
# The reference walk: every QEMU config of the real tgoskits tree (the
# AxVisor templates and the test-suit cases, tests/data/reference/cases.txt)
# goes through `bootpipe plan` in its flow; the argv must equal
# tests/data/reference/NAME.argv, which is axbuild's and ostool's command
# for that config (derived from their sources; each file's comments name
# the rules and bootpipe's documented deviations). Paths are normalised:
# @WS@ the workspace, @STORE@/NAME an image of the store in today's layout
# (<store>/NAME/NAME, never the directory <store>/NAME itself),
# @BIN@ the raw kernel, @UEFI@ the per-run UEFI dir, @FW@ the firmware.
# Cases in pending.txt are known to differ still: they must differ (so
# the list cannot go stale). Every config's keys are axbuild's, so an
# "unknown key" warning on stderr fails the case, pending or not.
#   walk.sh BOOTPIPE TGOSKITS DATA        (exit 77: TGOSKITS absent)
# WALK_VERBOSE=1 prints the diffs of the pending cases too.
set -u
bootpipe=$(realpath "$1") ref=$(realpath -m "$2") data=$3
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$ref/test-suit" ] || [ ! -d "$ref/os/axvisor/configs/qemu" ]; then
	echo "SKIP: the tgoskits reference tree $ref is absent"
	exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$here/../../tools/stand-in-kernel.sh"

declare -A machine=([aarch64]=183 [x86_64]=62 [riscv64]=243 [loongarch64]=258)
mkdir -p "$work/fw" "$work/tmp"
printf 'code' >"$work/fw/code.fd"
printf 'vars' >"$work/fw/vars.fd"
cat >"$work/walk.ini" <<'INI'
[pipeline]
name = reference-walk
stages = resolve-request fetch-rootfs infer-rootfs patch-qemu
[fetch-rootfs]
url = https://example.invalid/{image}.tar.xz
allow_unverified = true
layout = today
INI
unset BOOTPIPE_PLUGIN_PATH BOOTPIPE_OFFLINE AXBUILD_QEMU_SYSTEM_LOONGARCH64 \
	AXBUILD_QEMU_DIR AXBUILD_TEST_TIMEOUT_SCALE
export NO_COLOR=1 TMPDIR="$work/tmp" AXVISOR_QEMU_LVZ_CACHE="$work/no-lvz-cache" \
	XDG_CACHE_HOME="$work/cache"
pending=" $(grep -v '^#' "$data/pending.txt" 2>/dev/null | awk '{print $1}' | tr '\n' ' ') "
pass=0 fail=0 still=0

while read -r name flow arch config build; do
	case "$name" in '' | '#'*) continue ;; esac
	ws="$work/ws-$name"
	mkdir -p "$ws"
	printf '[workspace]\nmembers = []\n' >"$ws/Cargo.toml"
	stand_in_kernel "$ws/kernel.elf" "${machine[$arch]}"
	set -- --workspace "$ws" --arch "$arch" \
		--set "resolve-request.flow=$flow" \
		--set "resolve-request.kernel=$ws/kernel.elf" \
		--set "resolve-request.qemu_config=$ref/$config" \
		--set "patch-qemu.accel=tcg"
	# Debian has loongarch64 firmware in no package: its configs plan
	# the firmware fetch-rootfs fetches, as ostool does; the others get
	# a stand-in for the distribution's
	[ "$arch" = loongarch64 ] || set -- "$@" \
		--set "patch-qemu.uefi_code=$work/fw/code.fd" \
		--set "patch-qemu.uefi_vars=$work/fw/vars.fd"
	[ -n "$build" ] && set -- "$@" --set "resolve-request.build_config=$ref/$build"
	(cd "$ws" && "$bootpipe" plan "$work/walk.ini" "$@") >"$work/out" 2>"$work/err"
	code=$?
	{
		echo "exit $code"
		python3 -c 'import shlex, sys
for line in sys.stdin:
    for arg in shlex.split(line):
        print(arg)' <"$work/out"
	} | sed -E -e "s|$ws|@WS@|g" -e "s|$work/fw|@FW@|g" \
		-e "s|$work/cache/bootpipe/firmware/[^/,]+/$arch|@FW@|g" \
		-e "s|$work/tmp/bootpipe-uefi-[A-Za-z0-9]{6}|@UEFI@|g" \
		-e 's|@WS@/tmp/bootpipe/bin/[0-9a-f]{64}\.bin|@BIN@|g' \
		-e 's#@WS@/tmp/axbuild/rootfs/(rootfs-[^,/]*\.img)/\1([,]|$)#@STORE@/\1\2#g' \
		>"$work/got"
	{
		echo "exit 0"
		grep -v '^#' "$data/$name.argv"
	} >"$work/want"
	if grep -q 'unknown key' "$work/err"; then
		fail=$((fail + 1))
		echo "FAIL $name ($config): a key axbuild reads is unknown"
		grep 'unknown key' "$work/err"
	elif diff -u "$work/want" "$work/got" >"$work/diff"; then
		if [[ $pending == *" $name "* ]]; then
			echo "FAIL $name matches now: remove it from pending.txt"
			fail=$((fail + 1))
		else
			pass=$((pass + 1))
		fi
	elif [[ $pending == *" $name "* ]]; then
		still=$((still + 1))
		[ -n "${WALK_VERBOSE:-}" ] && echo "PENDING $name" && cat "$work/diff"
	else
		fail=$((fail + 1))
		echo "FAIL $name ($config, flow $flow)"
		cat "$work/diff"
		echo "--- stderr"
		cat "$work/err"
	fi
done <"$data/cases.txt"
echo "reference walk: $pass match, $still pending, $fail failed"
[ "$fail" -eq 0 ] && [ $((pass + still)) -eq 32 ]
