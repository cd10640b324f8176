#!/usr/bin/env bash
# The bundled demos, booted for real through all five stages. Each case
# runs in its own copy of the demo workspace (a sibling of the build's, so
# the demo pipelines' ../guests and ../registry paths still resolve).
#   demo-test.sh CASE      (BUILD = the build directory)
set -u
case=$1
build=${BUILD:?}
src=$(cd "$(dirname "$0")/../../.." && pwd)
bootpipe=$build/bin/bootpipe
demo=$build/demo
command -v qemu-system-aarch64 >/dev/null || { echo "SKIP: no qemu-system-aarch64"; exit 77; }
[ -f "$demo/guests/demo-aarch64.elf" ] || { echo "SKIP: demo guests not built"; exit 77; }

ws=$(mktemp -d "$demo/ws-$case.XXXXXX")
trap 'rm -rf "$ws"' EXIT
cp -a "$demo/workspace/." "$ws/"
rm -rf "$ws/tmp" # state of runs made by hand in the build's workspace
store=$ws/tmp/axbuild/rootfs
export NO_COLOR=1
unset BOOTPIPE_OFFLINE BOOTPIPE_PLUGIN_PATH

fail() { echo "FAIL ($case): $*"; echo "--- stderr"; cat "$ws/err" 2>/dev/null; echo "--- stdout"; cat "$ws/out" 2>/dev/null; exit 1; }

# run PIPELINE EXPECTED_EXIT [ARGS...]
run() {
	local pipeline=$1 want=$2
	shift 2
	"$bootpipe" run "$src/pipelines/$pipeline" --workspace "$ws" "$@" >"$ws/out" 2>"$ws/err"
	local got=$?
	[ "$got" = "$want" ] || fail "exit $got, expected $want"
}
expect_err() { grep -qF -- "$1" "$ws/err" || fail "stderr lacks: $1"; }
expect_out() { grep -qF -- "$1" "$ws/out" || fail "stdout lacks: $1"; }
refuse_err() { ! grep -qF -- "$1" "$ws/err" || fail "stderr has: $1"; }
console_log() { ls "$ws"/tmp/bootpipe/logs/*.log | tail -n 1; }

case $case in
aarch64)
	run demo-aarch64.ini 0 --report "json=$ws/report.json"
	expect_err "downloading file://"
	expect_out "rootfs label: bootpipe-demo-rootfs aarch64"
	expect_out "guest test pass!"
	[ -f "$store/rootfs-aarch64-alpine.img" ] || fail "image not in the store"
	grep -qF "rootfs label: bootpipe-demo-rootfs aarch64" "$(console_log)" ||
		fail "console log lacks the label"
	python3 - "$ws/report.json" <<'PY' || fail "report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["outcome"] == "pass" and r["exit_code"] == 0, r
assert r["qemu"]["argv"][0] == "qemu-system-aarch64", r["qemu"]
assert r["qemu"]["accel"] == "tcg", r["qemu"]
assert [s["status"] for s in r["stages"]] == ["ok"] * 5, r["stages"]
assert open(r["console_log"]).read().count("guest test pass!") == 1
PY
	;;
reuse)
	run demo-aarch64.ini 0
	expect_err "downloading"
	run demo-aarch64.ini 0
	refuse_err "downloading"
	expect_out "rootfs label: bootpipe-demo-rootfs aarch64"
	;;
x86_64)
	command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu-system-x86_64"; exit 77; }
	[ -f "$demo/guests/demo-x86_64.elf" ] || { echo "SKIP: x86 guest not built"; exit 77; }
	run demo-x86_64.ini 0
	expect_err "downloading file://"
	expect_out "rootfs label: bootpipe-demo-rootfs x86_64"
	grep -qF "guest test pass!" "$(console_log)" || fail "console log"
	;;
broken-image)
	run demo-aarch64.ini 1 --set "fetch-rootfs.registry=$demo/registry/registry-broken.toml"
	expect_out "rootfs label: wrong-label"
	expect_err "fail pattern"
	expect_err "FAIL (fail, exit 1)"
	;;
sibling)
	run demo-aarch64.ini 0 --set resolve-request.vmconfigs=os/axvisor/configs/vms/aarch64-sibling.toml
	expect_err "(vmconfig)"
	expect_out "rootfs label: bootpipe-demo-rootfs aarch64 sibling"
	refuse_err "downloading"
	[ ! -e "$store/rootfs-aarch64-alpine.img" ] || fail "fetched an image it did not need"
	;;
store)
	# one store, decided by resolve-request: fetch-rootfs fills the one
	# QEMU boots from, and the default store stays untouched
	run demo-aarch64.ini 0 --set resolve-request.store=images
	expect_err "downloading file://"
	expect_err "to $ws/images/rootfs-aarch64-alpine.img.tar.xz.part"
	expect_err "file=$ws/images/rootfs-aarch64-alpine.img,snapshot=on"
	expect_out "rootfs label: bootpipe-demo-rootfs aarch64"
	[ -f "$ws/images/rootfs-aarch64-alpine.img" ] || fail "image not in the store"
	[ ! -e "$store" ] || fail "the default store was filled"
	run demo-aarch64.ini 2 --set "fetch-rootfs.store=$ws/elsewhere"
	expect_err '[fetch-rootfs] has no option `store`'
	[ ! -e "$ws/elsewhere" ] || fail "fetch-rootfs filled a store of its own"
	;;
plan)
	"$bootpipe" plan "$src/pipelines/demo-aarch64.ini" --workspace "$ws" >"$ws/out" 2>"$ws/err" || fail "plan failed"
	expect_out "qemu-system-aarch64 "
	expect_out "file=$store/rootfs-aarch64-alpine.img"
	expect_out "snapshot=on"
	[ "$(wc -l <"$ws/out")" = 1 ] || fail "plan is not one line"
	[ ! -e "$store" ] || [ -z "$(ls -A "$store")" ] || fail "plan wrote to the store"
	;;
kvm-required)
	run demo-aarch64.ini 3 --set patch-qemu.accel=kvm --set patch-qemu.kvm_device=/nonexistent/kvm \
		--set patch-qemu.host_arch=aarch64
	expect_err "KVM is not usable"
	expect_err "/nonexistent/kvm"
	;;
kvm-auto)
	command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu-system-x86_64"; exit 77; }
	run demo-x86_64.ini 0 --set patch-qemu.extra_args=-accel --set patch-qemu.extra_args=kvm \
		--set patch-qemu.kvm_device=/nonexistent/kvm --set patch-qemu.host_arch=x86_64
	expect_err "TCG"
	expect_out "guest test pass!"
	;;
*)
	echo "unknown case $case"
	exit 2
	;;
esac
echo "PASS ($case)"
