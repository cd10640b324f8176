#!/usr/bin/env bash
# The bundled demos, booted for real through all five stages. Each case
# runs in its own copy of the build's demo workspace (its guests/ and
# registry/ link to share/bootpipe/demo), with its own XDG_CACHE_HOME.
#   demo-test.sh CASE      (BUILD = the build directory)
set -u
case=$1
build=${BUILD:?}
src=$(cd "$(dirname "$0")/../../.." && pwd)
bootpipe=$build/bin/bootpipe
demo=$build/demo
command -v qemu-system-aarch64 >/dev/null || { echo "SKIP: no qemu-system-aarch64"; exit 77; }
guests=$build/share/bootpipe/demo/guests
[ -f "$guests/demo-aarch64.elf" ] || { echo "SKIP: demo guests not built"; exit 77; }

ws=$(mktemp -d "$demo/ws-$case.XXXXXX")
trap 'rm -rf "$ws"' EXIT
cp -a "$demo/workspace/." "$ws/"
rm -rf "$ws/tmp" # state of runs made by hand in the build's workspace
store=$ws/tmp/axbuild/rootfs
export NO_COLOR=1 XDG_CACHE_HOME=$ws/cache
unset BOOTPIPE_OFFLINE BOOTPIPE_PLUGIN_PATH BOOTPIPE_DEMO_WORKSPACE BOOTPIPE_DEFAULT_PIPELINE

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
	[ -f "$guests/demo-x86_64.elf" ] || { echo "SKIP: x86 guest not built"; exit 77; }
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
outside-workspace)
	# A run outside any workspace works in the user's own one under
	# $XDG_CACHE_HOME and leaves the current directory as it was.
	share=$build/share/bootpipe/demo
	cat >"$ws/nows.ini" <<EOF
[pipeline]
name = nows
stages = resolve-request fetch-rootfs infer-rootfs patch-qemu launch
[resolve-request]
arch = x86_64
kernel = $share/guests/demo-x86_64.elf
vmconfigs = $share/os/axvisor/configs/vms/x86_64-demo.toml
qemu_config = $share/os/axvisor/configs/qemu/qemu-x86_64.toml
[fetch-rootfs]
registry = $share/registry/registry.toml
[launch]
idle_timeout = 30
EOF
	empty=$(mktemp -d)
	trap 'rm -rf "$ws" "$empty"' EXIT
	for cmd in run plan check; do
		(cd "$empty" && "$bootpipe" $cmd "$ws/nows.ini") >"$ws/out" 2>"$ws/err" ||
			fail "$cmd outside a workspace"
	done
	(cd "$empty" && "$bootpipe" image ls && "$bootpipe" run -q) >"$ws/out" 2>"$ws/err" ||
		fail "image ls or the demo outside a workspace"
	[ -z "$(ls -A "$empty")" ] || fail "wrote into the current directory: $(ls -A "$empty")"
	[ -f "$XDG_CACHE_HOME/bootpipe/workspace/tmp/axbuild/rootfs/rootfs-x86_64-alpine.img" ] ||
		fail "image not in the user workspace under XDG_CACHE_HOME"
	ls "$XDG_CACHE_HOME"/bootpipe/workspace/tmp/bootpipe/logs/nows-*.log >/dev/null ||
		fail "console log not in the user workspace"
	;;
image-anywhere)
	# The store commands run no stage: from an empty directory outside
	# any workspace they list the store of --workspace, of the demo
	# pipeline given without one (its per-user workspace), and of
	# --store, and verify one image by name.
	run demo-aarch64.ini 0
	"$bootpipe" run "$src/pipelines/demo-aarch64.ini" -q >"$ws/out" 2>"$ws/err" ||
		fail "run in the per-user workspace"
	empty=$(mktemp -d)
	trap 'rm -rf "$ws" "$empty"' EXIT
	img=rootfs-aarch64-alpine
	ls_in_empty() {
		(cd "$empty" && "$bootpipe" image "$@") >"$ws/out" 2>"$ws/err" ||
			fail "image $* failed"
		grep -Eq "^$img +aarch64 .* (verified|marker|unverified) " "$ws/out" ||
			fail "image $* does not list $img"
	}
	ls_in_empty ls --workspace "$ws"
	ls_in_empty ls --pipeline "$src/pipelines/demo-aarch64.ini"
	expect_out "verified"
	expect_out "registry 0.1.0 $XDG_CACHE_HOME/bootpipe/demo/registry/registry.toml"
	# a registry that cannot be read does not hide what is in the store
	printf '[pipeline]\nname = broken\nstages = resolve-request fetch-rootfs\n[resolve-request]\narch = aarch64\n[fetch-rootfs]\nregistry = /nonexistent/registry.toml\n' >"$ws/broken.ini"
	ls_in_empty ls --pipeline "$ws/broken.ini" --store "$store"
	expect_err "listing the store only"
	(cd "$empty" && "$bootpipe" image verify "$img" --workspace "$ws") >"$ws/out" 2>"$ws/err" ||
		fail "image verify $img"
	expect_out "$img"
	(cd "$empty" && "$bootpipe" image verify rootfs-aarch64-none --workspace "$ws") >"$ws/out" 2>"$ws/err"
	got=$?
	[ "$got" = 2 ] || fail "verify of a missing image: exit $got, expected 2"
	expect_err "no image rootfs-aarch64-none in $store"
	[ -z "$(ls -A "$empty")" ] || fail "image commands wrote into the current directory"
	;;
plan)
	"$bootpipe" plan "$src/pipelines/demo-aarch64.ini" --workspace "$ws" >"$ws/out" 2>"$ws/err" || fail "plan failed"
	expect_out "qemu-system-aarch64 "
	expect_out "file=$store/rootfs-aarch64-alpine.img"
	expect_out "snapshot=on"
	[ "$(wc -l <"$ws/out")" = 1 ] || fail "plan is not one line"
	[ ! -e "$store" ] || [ -z "$(ls -A "$store")" ] || fail "plan wrote to the store"
	;;
plan-paste)
	# the printed command boots when pasted into sh: plan alone makes the
	# raw kernel, at a path stable by content. The image is pulled, which
	# runs no stage, so nothing else can have made the raw kernel.
	"$bootpipe" image pull rootfs-aarch64-alpine --pipeline "$src/pipelines/demo-aarch64.ini" \
		--workspace "$ws" >"$ws/out" 2>"$ws/err" || fail "image pull"
	[ ! -e "$ws/tmp/bootpipe/bin" ] || fail "pull made $ws/tmp/bootpipe/bin"
	"$bootpipe" plan "$src/pipelines/demo-aarch64.ini" --workspace "$ws" >"$ws/plan" 2>"$ws/err" || fail "plan failed"
	grep -qE -- "-kernel $ws/tmp/bootpipe/bin/[0-9a-f]{64}\.bin" "$ws/plan" || fail "no content-addressed kernel in: $(cat "$ws/plan")"
	bin=$(grep -oE -- "$ws/tmp/bootpipe/bin/[0-9a-f]{64}\.bin" "$ws/plan")
	[ -s "$bin" ] || fail "plan did not make $bin"
	[ "$(basename "$bin" .bin)" = "$(sha256sum <"$ws/guests/demo-aarch64.elf" | cut -d' ' -f1)" ] ||
		fail "$bin is not named by the ELF's sha256"
	rm -f "$ws/out"
	timeout 60 sh -c "$(cat "$ws/plan")" </dev/null >"$ws/out" 2>&1 &
	pasted=$!
	for _ in $(seq 600); do
		grep -qF "guest test pass!" "$ws/out" 2>/dev/null && break
		kill -0 $pasted 2>/dev/null || break
		sleep 0.1
	done
	pkill -f -- "-kernel $ws/tmp/bootpipe/bin/" 2>/dev/null
	wait $pasted
	expect_out "guest test pass!"
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
kvm-retry)
	# KVM that passes the probe (a guest run to its hlt) but dies in QEMU at
	# start, as broken nested virtualisation does: one retry under TCG
	command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu-system-x86_64"; exit 77; }
	[ "$(uname -m)" = x86_64 ] || { echo "SKIP: not an x86_64 host"; exit 77; }
	kvm=(--set patch-qemu.extra_args=-accel --set patch-qemu.extra_args=kvm)
	"$bootpipe" plan "$src/pipelines/demo-x86_64.ini" --workspace "$ws" "${kvm[@]}" \
		>"$ws/out" 2>"$ws/err" || fail "plan"
	grep -q -- '-accel kvm' "$ws/out" || { echo "SKIP: KVM is not usable here"; exit 77; }
	cat >"$ws/qemu-broken-kvm" <<'SH'
#!/bin/sh
for a; do
	if [ "$a" = kvm ]; then
		echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0" >&2
		echo "qemu-system-x86_64: ../target/i386/kvm/kvm.c:2996: kvm_buf_set_msrs: Assertion failed." >&2
		kill -ABRT $$
	fi
done
exec qemu-system-x86_64 "$@"
SH
	chmod +x "$ws/qemu-broken-kvm"
	run demo-x86_64.ini 0 "${kvm[@]}" --set "patch-qemu.qemu=$ws/qemu-broken-kvm"
	expect_err "retrying once under TCG"
	expect_out "guest test pass!"
	;;
per-user)
	# the source tree's pipeline by a relative path, from the checkout, with
	# no --workspace: the per-user demo workspace is made on first use
	(cd "$src" && "$bootpipe" run pipelines/demo-aarch64.ini -q) >"$ws/out" 2>"$ws/err" ||
		fail "run from the checkout"
	user_ws=$XDG_CACHE_HOME/bootpipe/demo
	expect_err "downloading file://"
	expect_err "console log $user_ws/tmp/bootpipe/logs/"
	[ "$(readlink "$user_ws/guests")" = "$(cd "$guests" && pwd -P)" ] || fail "guests not linked"
	[ -f "$user_ws/tmp/axbuild/rootfs/rootfs-aarch64-alpine.img" ] || fail "image not in its store"
	# from elsewhere, no pipeline: the same workspace, nothing fetched again
	mkdir "$ws/elsewhere"
	(cd "$ws/elsewhere" && "$bootpipe" run -q) >"$ws/out" 2>"$ws/err" || fail "run with no pipeline"
	refuse_err "downloading"
	[ -z "$(ls -A "$ws/elsewhere")" ] || fail "the run wrote into the current directory"
	# by name, from there: the shipped pipeline
	(cd "$ws/elsewhere" && "$bootpipe" run demo-aarch64 -q) >"$ws/out" 2>"$ws/err" ||
		fail "run demo-aarch64 by name"
	expect_err "demo-aarch64: PASS"
	# an explicit BOOTPIPE_DEMO_WORKSPACE wins and is not touched
	BOOTPIPE_DEMO_WORKSPACE=$ws "$bootpipe" plan >"$ws/out" 2>"$ws/err" || fail "plan"
	expect_out "file=$store/rootfs-aarch64-alpine.img"
	# a cache that cannot be made is named with the fix
	XDG_CACHE_HOME=/proc/nonexistent "$bootpipe" run -q >"$ws/out" 2>"$ws/err"
	[ $? = 2 ] || fail "unwritable cache: expected exit 2"
	expect_err "cannot create the demo workspace /proc/nonexistent/bootpipe/demo"
	expect_err "set XDG_CACHE_HOME"
	;;
installed)
	# cmake --install into a temporary prefix, run by a throw-away user
	# (when root; else by this user) from a directory outside the checkout
	prefix=$(mktemp -d /tmp/bootpipe-prefix.XXXXXX)
	home=$(mktemp -d /tmp/bootpipe-home.XXXXXX)
	user=""
	cleanup() {
		[ -n "$user" ] && userdel "$user" 2>/dev/null
		rm -rf "$ws" "$prefix" "$home"
	}
	trap cleanup EXIT
	chmod 755 "$prefix" "$home"
	cmake --install "$build" --prefix "$prefix" >"$ws/out" 2>"$ws/err" || fail "cmake --install"
	for f in demo/Cargo.toml demo/os/axvisor/configs/vms/aarch64-demo.toml \
		demo/guests/demo-aarch64.elf demo/registry/registry.toml \
		demo/registry/rootfs-aarch64-alpine.img.tar.xz pipelines/demo-aarch64.ini; do
		[ -f "$prefix/share/bootpipe/$f" ] || fail "not installed: share/bootpipe/$f"
	done
	! grep -rqF "$build" "$prefix/share/bootpipe" || fail "the installed demo names the build tree"
	as_user=()
	if [ "$(id -u)" = 0 ]; then
		command -v useradd >/dev/null && command -v runuser >/dev/null ||
			{ echo "SKIP: no useradd/runuser"; exit 77; }
		user=bptest$$
		useradd -M -d "$home" -s /bin/sh "$user" || fail "useradd"
		chown "$user" "$home"
		as_user=(runuser -u "$user" --)
	fi
	mkdir "$home/work"
	[ -z "$user" ] || chown "$user" "$home/work"
	# urun EXPECTED_EXIT ARGS...: the installed bootpipe in $home/work
	urun() {
		local want=$1
		shift
		(cd "$home/work" && "${as_user[@]}" env -i PATH=/usr/bin:/bin HOME="$home" \
			"$prefix/bin/bootpipe" "$@") >"$ws/out" 2>"$ws/err"
		local got=$?
		[ "$got" = "$want" ] || fail "installed bootpipe $*: exit $got, expected $want"
	}
	user_ws=$home/.cache/bootpipe/demo
	# a demo workspace the build tree's bootpipe made first is re-linked
	if [ -z "$user" ]; then
		(cd "$home/work" && env -i PATH=/usr/bin:/bin HOME="$home" "$bootpipe" plan) \
			>"$ws/out" 2>"$ws/err" || fail "build tree plan"
		[ "$(readlink "$user_ws/guests")" = "$(cd "$guests" && pwd -P)" ] || fail "build link"
	fi
	urun 0 plan
	expect_out "file=$user_ws/tmp/axbuild/rootfs/rootfs-aarch64-alpine.img"
	[ "$(readlink "$user_ws/guests")" = "$(cd "$prefix" && pwd -P)/share/bootpipe/demo/guests" ] ||
		fail "guests link to $(readlink "$user_ws/guests")"
	urun 0 run
	expect_out "rootfs label: bootpipe-demo-rootfs aarch64"
	expect_out "guest test pass!"
	expect_err "demo-aarch64: PASS"
	urun 0 image ls
	expect_out "rootfs-aarch64-alpine"
	if command -v qemu-system-x86_64 >/dev/null && [ -f "$guests/demo-x86_64.elf" ]; then
		urun 0 run "$prefix/share/bootpipe/pipelines/demo-x86_64.ini" -q
		expect_err "demo-x86_64: PASS"
	fi
	[ -z "$(ls -A "$home/work")" ] || fail "the run wrote into the current directory"
	if [ -n "$user" ]; then
		[ "$(stat -c %U "$user_ws/tmp/axbuild/rootfs/rootfs-aarch64-alpine.img")" = "$user" ] ||
			fail "the store is not the user's"
	fi
	;;
json-log)
	# --log-format json: every stderr line one object, in passing, failing,
	# config-error, infra and usage-error runs; the last one the end line
	check_json() { # EXPECTED_EXIT OUTCOME
		python3 - "$ws/err" "$1" "$2" <<'PY' || fail "JSON lines ($2)"
import json, re, sys
path, code, outcome = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(path, encoding="utf-8").read().splitlines()
assert lines, "no line"
stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d)$")
for n, line in enumerate(lines, 1):
    o = json.loads(line)
    assert isinstance(o, dict), (n, line)
    for k in ("time", "level", "stage", "message"):
        assert k in o, (n, k, line)
    assert stamp.match(o["time"]), (n, o["time"])
    assert o["level"] in ("error", "warn", "info", "debug"), (n, o)
    assert o["stage"] is None or isinstance(o["stage"], str), (n, o)
    assert isinstance(o["message"], str), (n, o)
end = json.loads(lines[-1])
assert end["outcome"] == outcome and end["exit_code"] == code, end
assert isinstance(end["reason"], str) and end["reason"], end
assert all("outcome" not in json.loads(l) for l in lines[:-1])
stages = {json.loads(l)["stage"] for l in lines}
if code in (0, 1):
    assert "launch" in stages, stages
PY
	}
	run demo-aarch64.ini 0 --log-format json
	check_json 0 pass
	run demo-aarch64.ini 1 --log-format json --set "fetch-rootfs.registry=$demo/registry/registry-broken.toml"
	check_json 1 fail
	run demo-aarch64.ini 2 --log-format json --set launch.no_such_key=1
	check_json 2 config
	grep -q 'no_such_key' "$ws/err" || fail "the config error is not in the JSON"
	run demo-aarch64.ini 3 --log-format json --set patch-qemu.accel=kvm \
		--set patch-qemu.kvm_device=/nonexistent/kvm --set patch-qemu.host_arch=aarch64
	check_json 3 infra
	"$bootpipe" --log-format json run --reprot x >"$ws/out" 2>"$ws/err"
	[ $? = 2 ] || fail "usage error: expected exit 2"
	check_json 2 config
	grep -q 'did you mean `--report`' "$ws/err" || fail "no suggestion in the JSON"
	;;
junit)
	# JUnit read back for pass, fail, config and infra runs
	junit_check() { # KIND(none|failure|error) OUTCOME [SUITE_HAS]
		python3 - "$ws/r.xml" "$1" "$2" "${3:-}" <<'PY' || fail "JUnit ($2)"
import sys, xml.etree.ElementTree as ET
path, kind, outcome, has = sys.argv[1:5]
root = ET.parse(path).getroot()
suite = root.find("testsuite")
assert suite.get("name"), "empty suite name"
if has:
    assert has in suite.get("name"), suite.get("name")
cases = suite.findall("testcase")
assert cases and all(c.get("name") and c.get("classname") for c in cases)
verdict = [c for c in cases if c.get("name").startswith("verdict")][0]
if kind == "none":
    assert verdict.find("failure") is None and verdict.find("error") is None
else:
    other = "error" if kind == "failure" else "failure"
    el = verdict.find(kind)
    assert el is not None and verdict.find(other) is None, ET.tostring(verdict)
    assert el.get("message").startswith(outcome) and len(el.get("message")) > len(outcome) + 10, el.get("message")
    assert int(suite.get(kind + "s")) >= 1, suite.attrib
if outcome in ("pass", "fail"):
    out = suite.find("system-out").text
    assert "last console lines" in out and "rootfs label" in out, out
PY
	}
	run demo-aarch64.ini 0 --report "junit=$ws/r.xml"
	junit_check none pass
	run demo-aarch64.ini 1 --report "junit=$ws/r.xml" --set "fetch-rootfs.registry=$demo/registry/registry-broken.toml"
	junit_check failure fail "--set fetch-rootfs.registry="
	run demo-aarch64.ini 2 --report "junit=$ws/r.xml" --set launch.no_such_key=1
	junit_check error config
	run demo-aarch64.ini 3 --report "junit=$ws/r.xml" --set patch-qemu.accel=kvm \
		--set patch-qemu.kvm_device=/nonexistent/kvm --set patch-qemu.host_arch=aarch64
	junit_check error infra
	# config errors the command line finds before a pipeline loads: the
	# reports are still written, the reason in them
	rm -f "$ws/r.xml" "$ws/r.json"
	"$bootpipe" run nosuch-pipeline --workspace "$ws" --report "junit=$ws/r.xml" \
		--report "json=$ws/r.json" >"$ws/out" 2>"$ws/err"
	[ $? = 2 ] || fail "nosuch-pipeline: expected exit 2"
	junit_check error config
	grep -qF 'no pipeline `nosuch-pipeline`' "$ws/r.xml" || fail "JUnit lacks the reason"
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["outcome"] == "config" and r["exit_code"] == 2 and "nosuch-pipeline" in r["error"], r' \
		"$ws/r.json" || fail "JSON report of a missing pipeline"
	rm -f "$ws/r.xml"
	run demo-aarch64.ini 2 --report "junit=$ws/r.xml" --set bad
	junit_check error config
	grep -qF 'expected STAGE.KEY=VALUE' "$ws/r.xml" || fail "JUnit lacks the --set reason"
	;;
*)
	echo "unknown case $case"
	exit 2
	;;
esac
echo "PASS ($case)"
