#!/usr/bin/env bash
# Plan cases: each plan/NAME.ini runs through `bootpipe plan` against a
# copy of the test workspace tests/data/axvisor-ws with stand-in kernels;
# the exit code, stdout (the argv) and, for failures, stderr must equal
# plan/NAME.expected, with the workspace path written as @WS@. Check
# cases, check/NAME.ini through `bootpipe check` in the same workspace:
# the exit code, stdout and stderr must equal check/NAME.expected.
#   run-plan.sh BOOTPIPE       (BOOTPIPE_UPDATE_EXPECTED=1 rewrites them)
set -u
bootpipe=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

. "$here/../tools/stand-in-kernel.sh"

cp -R "$here/../data/axvisor-ws" "$work/ws"
ws=$(cd "$work/ws" && pwd)
stand_in_kernel "$ws/target/aarch64-unknown-none-softfloat/release/axvisor" 183
stand_in_kernel "$ws/target/x86_64-unknown-none/release/axvisor" 62
stand_in_kernel "$ws/target/riscv64gc-unknown-none-elf/release/axvisor" 243
stand_in_kernel "$ws/target/loongarch64-unknown-none-softfloat/release/axvisor" 258

unset BOOTPIPE_PLUGIN_PATH BOOTPIPE_OFFLINE
export NO_COLOR=1 TMPDIR=/tmp AXVISOR_QEMU_LVZ_CACHE="$work/no-lvz-cache"
unset AXBUILD_QEMU_SYSTEM_LOONGARCH64 AXBUILD_QEMU_DIR AXBUILD_TEST_TIMEOUT_SCALE

# compare CASE: $work/got against $here/CASE.expected
compare() {
	if [ "${BOOTPIPE_UPDATE_EXPECTED:-}" = 1 ]; then
		cp "$work/got" "$here/$1.expected"
	fi
	if diff -u "$here/$1.expected" "$work/got" >"$work/diff"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $1"
		cat "$work/diff"
		echo "--- full stderr"
		cat "$work/err"
	fi
}

cd "$ws" || exit 1
for ini in "$here"/plan/*.ini; do
	name=$(basename "$ini" .ini)
	"$bootpipe" plan "$ini" --workspace "$ws" \
		>"$work/out" 2>"$work/err"
	code=$?
	{
		echo "exit $code"
		cat "$work/out"
		if [ "$code" -ne 0 ]; then
			echo "--- stderr"
			cat "$work/err"
		fi
	} | sed -E -e "s|$ws|@WS@|g" -e "s|$here|@CASES@|g" \
	    -e "s|/tmp/bootpipe/bin/[0-9a-f]{64}\.bin|/tmp/bootpipe/bin/@SHA256@.bin|g" >"$work/got"
	compare "plan/$name"
done
for ini in "$here"/check/*.ini; do
	name=$(basename "$ini" .ini)
	"$bootpipe" check "$ini" --workspace "$ws" >"$work/out" 2>"$work/err"
	code=$?
	{
		echo "exit $code"
		cat "$work/out"
		echo "--- stderr"
		cat "$work/err"
	} | sed -E -e "s|$ws|@WS@|g" -e "s|$here|@CASES@|g" >"$work/got"
	compare "check/$name"
done
echo "plan and check cases: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
