#!/bin/bash
# `bootpipe test` on a small AxVisor-shaped test-suit tree whose cases boot
# the demo guest in real QEMU: a passing case, a failing case, a case with
# a config error; the suite goes on past failures, exits with the most
# severe outcome, and its JSON and JUnit reports say what happened;
# --rerun-failed runs only what did not pass; -j 2 gives each case its own
# directory and log.
# usage: suite-demo.sh BUILD_DIR WORK_DIR
set -u
build=$1 work=$2
bootpipe=$build/bin/bootpipe
demo=$build/share/bootpipe/demo
guests=$demo/guests
fail() { echo "FAIL: $*"; exit 1; }
command -v qemu-system-aarch64 >/dev/null || { echo "skip: no qemu-system-aarch64"; exit 77; }
[ -f "$guests/demo-aarch64.elf" ] || { echo "skip: no demo guest"; exit 77; }

rm -rf "$work" && mkdir -p "$work/ws"
ws=$work/ws
w=$ws/test-suit/axvisor/normal/qemu
mkdir -p "$w/smoke" "$w/failing" "$w/broken" "$w/grouped" "$ws/vms"
sed 's|^name = .*|name = "suite-demo"|' \
	"$demo/os/axvisor/configs/vms/aarch64-demo.toml" >"$ws/vms/demo.toml"
cat >"$w/build-aarch64-unknown-none-softfloat.toml" <<'T'
features = ["fs"]
log = "Info"
target = "aarch64-unknown-none-softfloat"
vm_configs = ["vms/demo.toml"]
T
qemu_cfg=$demo/os/axvisor/configs/qemu/qemu-aarch64.toml
cp "$qemu_cfg" "$w/smoke/qemu-aarch64.toml"
# the guest prints "guest test pass!": this case's own pattern calls it a failure
sed -e 's|^fail_regex = \[|fail_regex = ["guest test pass",|' \
	-e 's|^timeout = .*|timeout = 30|' "$qemu_cfg" >"$w/failing/qemu-aarch64.toml"
cat >"$w/broken/qemu-aarch64.toml" <<'T'
args = ["-nographic"]
shell_init_cmd = "true"
test_commands = ["true"]
T
# test_commands on a rootfs that is no ext4 image (the demo's is a label)
sed -e '/^shell_init_cmd/d' "$qemu_cfg" >"$w/grouped/qemu-aarch64.toml"
echo 'test_commands = ["echo hi"]' >>"$w/grouped/qemu-aarch64.toml"

run() {
	"$bootpipe" test "$ws/test-suit" --kernel "$guests/demo-aarch64.elf" \
		--set fetch-rootfs.registry="$demo/registry/registry.toml" \
		--run-dir "$work/runs/$1" "${@:2}" >"$work/$1.out" 2>"$work/$1.err"
}

"$bootpipe" test "$ws/test-suit" --list >"$work/list" || fail "--list"
[ "$(cut -f3 "$work/list" | tr '\n' ' ')" = "qemu/broken qemu/failing qemu/grouped qemu/smoke " ] ||
	fail "list: $(cat "$work/list")"

run all --report json="$work/all.json" --report junit="$work/all.xml"
rc=$?
cat "$work/all.out"
# config (2) is more severe than fail (1)
[ $rc -eq 2 ] || fail "exit $rc, expected 2 (config); $(cat "$work/all.err")"
grep -qE '^axvisor +qemu/smoke +aarch64 +pass ' "$work/all.out" || fail "smoke did not pass"
grep -qE '^axvisor +qemu/failing +aarch64 +fail .*guest test pass' "$work/all.out" ||
	fail "failing is not fail with the matched line"
grep -qE '^axvisor +qemu/broken +aarch64 +config .*shell_init_cmd.*test_commands' "$work/all.out" ||
	fail "broken is not a config error naming both keys"
grep -qE '^axvisor +qemu/grouped +aarch64 +config .*not an ext2/3/4 image' "$work/all.out" ||
	fail "grouped is not a config error on the non-ext4 rootfs"
# the runner axbuild would write, beside the case; the store image untouched
g=$(ls -d "$work"/runs/all/*qemu_grouped)
grep -q "^if sh -c 'echo hi'; then" "$g/guest/axvisor-run-case-tests" || fail "no runner"
[ -x "$g/guest/axvisor-run-case-tests" ] || fail "runner not executable"
grep -q -- "--set=patch-qemu.shell_init_cmd=exec /usr/bin/axvisor-run-case-tests" "$g/command.sh" ||
	fail "runner not started at the prompt"
[ ! -e "$g/case-rootfs.img" ] || fail "a failed copy left behind"
grep -q "1 of 4 passed" "$work/all.out" || fail "totals"

python3 - "$work/all.json" "$work/all.xml" <<'P' || fail "reports"
import json, sys, xml.etree.ElementTree as ET
doc = json.load(open(sys.argv[1]))
got = {c["case"]: c["outcome"] for c in doc["cases"]}
assert got == {"qemu/broken": "config", "qemu/failing": "fail", "qemu/grouped": "config", "qemu/smoke": "pass"}, got
assert doc["exit_code"] == 2, doc["exit_code"]
smoke = [c for c in doc["cases"] if c["case"] == "qemu/smoke"][0]
assert open(smoke["console_log"]).read().count("guest test pass!"), "console log"
suite = ET.parse(sys.argv[2]).getroot().find("testsuite")
assert suite.get("tests") == "4" and suite.get("failures") == "1" and suite.get("errors") == "2", suite.attrib
cases = {c.get("name"): c for c in suite.findall("testcase")}
assert cases["qemu/failing"].find("failure") is not None
assert cases["qemu/broken"].find("error") is not None
assert cases["qemu/smoke"].find("failure") is None and cases["qemu/smoke"].find("error") is None
assert "guest test pass!" in cases["qemu/smoke"].find("system-out").text
P

# --rerun-failed: only the two that did not pass; --fail-fast stops after the first
run rerun --rerun-failed "$work/all.json" --fail-fast --report json="$work/rerun.json"
rc=$?
[ $rc -eq 2 ] || fail "rerun exit $rc"
python3 - "$work/rerun.json" <<'P' || fail "rerun report"
import json, sys
doc = json.load(open(sys.argv[1]))
got = [(c["case"], c["outcome"]) for c in doc["cases"]]
assert got == [("qemu/broken", "config"), ("qemu/failing", "not-run"), ("qemu/grouped", "not-run")], got
P

# -j 2: both good cases at once, each its own dir, log and QEMU
run par -j 2 --case qemu/smoke --case qemu/failing --report json="$work/par.json"
rc=$?
[ $rc -eq 1 ] || fail "parallel exit $rc, expected 1; $(cat "$work/par.err")"
python3 - "$work/par.json" <<'P' || fail "parallel report"
import json, sys
doc = json.load(open(sys.argv[1]))
got = {c["case"]: c["outcome"] for c in doc["cases"]}
assert got == {"qemu/failing": "fail", "qemu/smoke": "pass"}, got
logs = {c["console_log"] for c in doc["cases"]}
assert len(logs) == 2, logs
P
# a pipeline's own [launch] timeout and patterns are defaults the case's
# replace; a --set on the command line replaces both
cat >"$work/strict.ini" <<I
[pipeline]
name = strict
include = $build/share/bootpipe/pipelines/test-case.ini
[launch]
timeout = 2
success_regex = this never appears
fail_regex = guest test
I
plan_timeout() {
	sed '$s/$/ --dry-run/' "$(ls -d "$work"/runs/"$1"/*qemu_smoke)/command.sh" | sh 2>&1 |
		sed -n 's/.*would start .*), \(timeout [0-9]* s,\).*/\1/p'
}
run strict --pipeline "$work/strict.ini" --case qemu/smoke
rc=$?
[ $rc -eq 0 ] || fail "the pipeline's [launch] patterns won over the case's: exit $rc; $(cat "$work/strict.out")"
[ "$(plan_timeout strict)" = "timeout 60 s," ] || fail "case timeout: $(plan_timeout strict)"
run strictset --pipeline "$work/strict.ini" --case qemu/smoke --set launch.timeout=7
rc=$?
[ $rc -eq 0 ] || fail "strict with --set: exit $rc"
[ "$(plan_timeout strictset)" = "timeout 7 s," ] || fail "--set timeout: $(plan_timeout strictset)"

# no --kernel: each build group is built first by the cargo-build stage;
# a stand-in cargo records its argv, cwd and environment and writes the ELF
cat >"$work/cargo" <<S
#!/bin/sh
{ echo "cwd=\$(pwd)"; echo "argv=\$*"; env | grep -E '^(AX_|SMP=|AXVISOR_VM_CONFIGS=|FOO=)' | sort; } >>"$work/cargo.log"
while [ \$# -gt 0 ]; do case \$1 in --target) t=\$2; shift;; --bin) b=\$2; shift;; esac; shift; done
mkdir -p "target/\$t/release" && cp "$demo/guests/demo-aarch64.elf" "target/\$t/release/\$b"
S
chmod +x "$work/cargo"
cat >"$w/build-aarch64-unknown-none-softfloat.toml" <<'T'
features = ["fs", "ax-driver/virtio-blk"]
log = "Info"
max_cpu_num = 2
target = "aarch64-unknown-none-softfloat"
vm_configs = ["vms/demo.toml"]
[env]
FOO = "bar"
T
"$bootpipe" test "$ws/test-suit" --cargo "$work/cargo" --case qemu/smoke --case qemu/failing \
	--set fetch-rootfs.registry="$demo/registry/registry.toml" \
	--run-dir "$work/runs/build" >"$work/build.out" 2>"$work/build.err"
rc=$?
[ $rc -eq 1 ] || fail "built run exit $rc; $(cat "$work/build.err")"
grep -qE '^axvisor +qemu/smoke +aarch64 +pass ' "$work/build.out" || fail "built smoke did not pass"
[ "$(grep -c '^argv=' "$work/cargo.log")" -eq 1 ] || fail "not one build for the group: $(cat "$work/cargo.log")"
cat >"$work/cargo.want" <<W
cwd=$ws
argv=build -p axvisor --bin axvisor --target aarch64-unknown-none-softfloat --release --features ax-driver/virtio-blk,fs,smp
AXVISOR_VM_CONFIGS=$ws/vms/demo.toml
AX_ARCH=aarch64
AX_LOG=info
AX_TARGET=aarch64-unknown-none-softfloat
FOO=bar
SMP=2
W
diff -u "$work/cargo.want" "$work/cargo.log" || fail "cargo argv/env"
grep -q -- "--set=resolve-request.kernel=$ws/target/aarch64-unknown-none-softfloat/release/axvisor" \
	"$work"/runs/build/*qemu_smoke/command.sh || fail "case does not boot the built kernel"
# a failing build fails its group's cases, and no QEMU starts for them
printf '#!/bin/sh\necho compile error >&2\nexit 101\n' >"$work/cargo"
"$bootpipe" test "$ws/test-suit" --cargo "$work/cargo" --case qemu/smoke \
	--run-dir "$work/runs/badbuild" >"$work/badbuild.out" 2>"$work/badbuild.err"
rc=$?
[ $rc -eq 2 ] || fail "failed build exit $rc"
grep -qE '^axvisor +qemu/smoke +aarch64 +config .*build of qemu failed.*exit 101' "$work/badbuild.out" ||
	fail "failed build not named: $(cat "$work/badbuild.out")"
# ArceOS: the package (and binary) is the one the case's Cargo.toml
# names, as axbuild reads it; the C group is not cargo's to build
aw=$ws/test-suit/arceos/apps/hello
mkdir -p "$aw" "$ws/test-suit/arceos/c"
cat >"$aw/Cargo.toml" <<'T'
[package]
name = "arceos-hello-suit"
version = "0.1.0"
edition.workspace = true
T
cat >"$aw/build-aarch64-unknown-none-softfloat.toml" <<'T'
features = ["ax-std"]
log = "Warn"
target = "aarch64-unknown-none-softfloat"
T
cp "$aw/build-aarch64-unknown-none-softfloat.toml" "$ws/test-suit/arceos/c/"
cp "$qemu_cfg" "$aw/qemu-aarch64.toml"
cp "$aw/qemu-aarch64.toml" "$ws/test-suit/arceos/c/"
cat >"$work/cargo" <<S
#!/bin/sh
echo "argv=\$*" >>"$work/cargo-arceos.log"
while [ \$# -gt 0 ]; do case \$1 in --target) t=\$2; shift;; --bin) b=\$2; shift;; esac; shift; done
mkdir -p "target/\$t/release" && cp "$demo/guests/demo-aarch64.elf" "target/\$t/release/\$b"
S
"$bootpipe" test "$ws/test-suit" --os arceos --cargo "$work/cargo" \
	--set fetch-rootfs.registry="$demo/registry/registry.toml" --run-dir "$work/runs/arceos" >"$work/arceos.out" 2>"$work/arceos.err"
rc=$?
cat "$work/arceos.out"
[ $rc -eq 2 ] || fail "arceos exit $rc, expected 2 (the C case); $(cat "$work/arceos.err")"
[ "$(cat "$work/cargo-arceos.log")" = "argv=build -p arceos-hello-suit --bin arceos-hello-suit --target aarch64-unknown-none-softfloat --release --features ax-std" ] ||
	fail "arceos cargo argv: $(cat "$work/cargo-arceos.log")"
grep -qE '^arceos +hello +aarch64 +pass ' "$work/arceos.out" || fail "arceos case did not pass"
grep -q -- "--set=resolve-request.kernel=$ws/target/aarch64-unknown-none-softfloat/release/arceos-hello-suit" \
	"$work"/runs/arceos/*hello/command.sh || fail "arceos case does not boot the built kernel"
grep -qE "^arceos +all +aarch64 +config .*ArceOS C case is built by axbuild's C build" "$work/arceos.out" ||
	fail "the C case is not a config error saying why"

# --kernel ARCH=PATH: each arch's cases boot their own image; a plain
# --kernel over two arches is warned about; bad ones are refused
if command -v qemu-system-x86_64 >/dev/null && [ -f "$guests/demo-x86_64.elf" ]; then
	two=$work/ws2/test-suit/arceos/apps/hello
	mkdir -p "$two"
	cp "$aw/Cargo.toml" "$aw/build-aarch64-unknown-none-softfloat.toml" "$aw/qemu-aarch64.toml" "$two/"
	sed 's/aarch64-unknown-none-softfloat/x86_64-unknown-none/' \
		"$aw/build-aarch64-unknown-none-softfloat.toml" >"$two/build-x86_64-unknown-none.toml"
	cp "$demo/os/axvisor/configs/qemu/qemu-x86_64.toml" "$two/"
	kt() {
		"$bootpipe" test "$work/ws2/test-suit" --set fetch-rootfs.registry="$demo/registry/registry.toml" \
			--run-dir "$work/runs/$1" "${@:2}" >"$work/$1.out" 2>"$work/$1.err"
	}
	kt perarch --kernel "aarch64=$guests/demo-aarch64.elf" --kernel "x86_64=$guests/demo-x86_64.elf"
	rc=$?
	[ $rc -eq 0 ] || fail "per-arch kernels: exit $rc; $(cat "$work/perarch.out" "$work/perarch.err")"
	grep -qE '^arceos +hello +aarch64 +pass ' "$work/perarch.out" || fail "aarch64 case did not pass"
	grep -qE '^arceos +hello +x86_64 +pass ' "$work/perarch.out" || fail "x86_64 case did not pass"
	grep -q -- "--set=resolve-request.kernel=$guests/demo-x86_64.elf" "$work"/runs/perarch/*x86_64*/command.sh ||
		fail "the x86_64 case does not boot the x86_64 kernel"
	grep -q -- "--set=resolve-request.kernel=$guests/demo-aarch64.elf" "$work"/runs/perarch/*aarch64*/command.sh ||
		fail "the aarch64 case does not boot the aarch64 kernel"
	grep -q warning "$work/perarch.err" && fail "per-arch kernels warned: $(cat "$work/perarch.err")"
	# a plain --kernel for both arches: said before anything boots
	kt plain --kernel "$guests/demo-aarch64.elf" --case hello --arch aarch64
	grep -q warning "$work/plain.err" && fail "one arch, plain --kernel warned"
	kt plain2 --kernel "$guests/demo-aarch64.elf" --kernel "riscv64=$guests/demo-aarch64.elf" \
		--set launch.timeout=5
	grep -qF "warning: --kernel $guests/demo-aarch64.elf boots the cases of 2 arches (aarch64, x86_64)" \
		"$work/plain2.err" || fail "plain --kernel over two arches: $(cat "$work/plain2.err")"
	grep -qF "warning: --kernel riscv64=$guests/demo-aarch64.elf: no selected case is riscv64" \
		"$work/plain2.err" || fail "unused per-arch kernel not said: $(cat "$work/plain2.err")"
	# the plain one still boots the arch it is for, after the per-arch one
	kt mixed --kernel "$guests/demo-aarch64.elf" --kernel "x86_64=$guests/demo-x86_64.elf"
	rc=$?
	[ $rc -eq 0 ] || fail "plain + x86_64=: exit $rc; $(cat "$work/mixed.out")"
	grep -q warning "$work/mixed.err" && fail "plain + x86_64= warned: $(cat "$work/mixed.err")"
	kt badarch --kernel "mips=$guests/demo-aarch64.elf"
	[ $? -eq 2 ] && grep -qF "unknown arch before \`=\`" "$work/badarch.err" ||
		fail "--kernel mips=: $(cat "$work/badarch.err")"
	kt twice --kernel "x86_64=$guests/demo-x86_64.elf" --kernel "x86_64=$guests/demo-x86_64.elf"
	[ $? -eq 2 ] && grep -qF "a second kernel for this arch" "$work/twice.err" ||
		fail "--kernel x86_64= twice: $(cat "$work/twice.err")"
	kt twoplain --kernel "$guests/demo-aarch64.elf" --kernel "$guests/demo-x86_64.elf"
	[ $? -eq 2 ] && grep -qF "a second kernel for every arch" "$work/twoplain.err" ||
		fail "two plain --kernel: $(cat "$work/twoplain.err")"
	kt missing --kernel "x86_64=$work/nope.elf"
	[ $? -eq 2 ] && grep -qF -- "--kernel x86_64=$work/nope.elf: No such file" "$work/missing.err" ||
		fail "missing per-arch kernel: $(cat "$work/missing.err")"
fi
pgrep -f "qemu-system-(aarch64|x86_64).*$work" >/dev/null && fail "QEMU left running"
echo PASS
