#!/bin/bash
# `bootpipe test` end to end on Debian's Linux kernel and the ext4 busybox
# rootfs the build makes (tests/integration/linux/README.md), on a
# test-suit tree shaped like StarryOS's and AxVisor's: test_commands run
# by the generated runner written into a per-case copy of the rootfs
# (StarryOS: /etc/profile.d; AxVisor: typed at the prompt), a failing
# command, guests fetching from the [host_http_server] fixture and
# checking the size, two such cases at once on the same fixture port
# (-j 2: per-case host ports through guestfwd); JUnit and JSON read back.
# usage: suite-linux.sh BUILD_DIR WORK_DIR KERNEL INITRAMFS ROOTFS
set -u
build=$1 work=$2 kernel=${3:-} initramfs=${4:-} rootfs=${5:-}
abs() { [ -n "$1" ] && realpath -m "$1"; }
kernel=$(abs "$kernel") initramfs=$(abs "$initramfs") rootfs=$(abs "$rootfs")
bootpipe=$build/bin/bootpipe
fail() { echo "FAIL: $*"; exit 1; }
[ -n "$kernel" ] && [ -f "$kernel" ] && [ -f "$initramfs" ] && [ -f "$rootfs" ] ||
	{ echo "skip: no x86_64 Linux guest (see tests/integration/linux/README.md)"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 77; }

rm -rf "$work" && mkdir -p "$work/ws"
ws=$work/ws
rootfs_sum=$(sha256sum <"$rootfs")

# qemu_config FILE [TOML LINES...]: a StarryOS-style config for the guest
qemu_config() {
	local file=$1
	shift
	mkdir -p "$(dirname "$file")"
	cat >"$file" <<T
args = ["-nographic", "-machine", "q35", "-m", "256M",
        "-device", "virtio-blk-pci,drive=disk0",
        "-drive", "id=disk0,if=none,format=raw,file=\${workspace}/tmp/axbuild/rootfs/rootfs-x86_64-alpine.img",
        "-device", "virtio-net-pci,netdev=net0",
        "-netdev", "user,id=net0",
        "-initrd", "$initramfs",
        "-append", "console=ttyS0 no_timer_check quiet root=/dev/vda"]
fail_regex = ["(?i)kernel panic"]
timeout = 150
shell_prefix = "~ #"
T
	printf '%s\n' "$@" >>"$file"
}
s=$ws/test-suit/starryos/qemu
mkdir -p "$s"
printf 'features = []\nlog = "Warn"\ntarget = "x86_64-unknown-none"\n' >"$s/build-x86_64-unknown-none.toml"
qemu_config "$s/pass/qemu-x86_64.toml" \
	'test_commands = ["uname -s | grep -x Linux", "test -x /bin/busybox"]'
qemu_config "$s/fail-cmd/qemu-x86_64.toml" \
	'test_commands = ["true", "echo about to fail; exit 3"]'
fetch='test_commands = ["wget -q -O /tmp/body http://10.0.2.2:18180/x && test $(wc -c </tmp/body) -eq 123457 && test $(tr -d z </tmp/body | wc -c) -eq 0"]'
fixture='[host_http_server]
port = 18180
body_size = 123457
body_byte = 122'
qemu_config "$s/http-a/qemu-x86_64.toml" "$fetch" "$fixture"
qemu_config "$s/http-b/qemu-x86_64.toml" "$fetch" "$fixture"
a=$ws/test-suit/axvisor/normal/qemu
mkdir -p "$a"
printf 'features = []\nlog = "Info"\ntarget = "x86_64-unknown-none"\n' >"$a/build-x86_64-unknown-none.toml"
qemu_config "$a/smoke/qemu-x86_64.toml" 'test_commands = ["test -d /proc/1"]'

run() {
	"$bootpipe" test "$ws/test-suit" --kernel "$kernel" \
		--set resolve-request.rootfs="$rootfs" --set patch-qemu.accel=tcg \
		--run-dir "$work/runs/$1" "${@:2}" >"$work/$1.out" 2>"$work/$1.err"
}

# one after another, as axbuild: both fixtures on port 18180 in turn
run seq --report json="$work/seq.json" --report junit="$work/seq.xml"
rc=$?
cat "$work/seq.out"
[ $rc -eq 1 ] || fail "exit $rc, expected 1 (fail); $(tail -5 "$work/seq.err")"
python3 - "$work/seq.json" "$work/seq.xml" <<'P' || fail "reports"
import json, sys, xml.etree.ElementTree as ET
doc = json.load(open(sys.argv[1]))
got = {(c["os"], c["case"]): c["outcome"] for c in doc["cases"]}
want = {("axvisor", "qemu/smoke"): "pass", ("starry", "qemu/fail-cmd"): "fail",
        ("starry", "qemu/http-a"): "pass", ("starry", "qemu/http-b"): "pass",
        ("starry", "qemu/pass"): "pass"}
assert got == want, got
failing = [c for c in doc["cases"] if c["case"] == "qemu/fail-cmd"][0]
assert "STARRY_GROUPED_TEST_FAILED" in failing["reason"], failing["reason"]
log = open(failing["console_log"]).read()
assert "STARRY_GROUPED_TEST_PASSED: step=1/2" in log
assert "status=3 command=echo about to fail; exit 3" in log, log[-2000:]
suite = ET.parse(sys.argv[2]).getroot().find("testsuite")
assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "1", "0"), suite.attrib
cases = {c.get("name"): c for c in suite.findall("testcase")}
assert cases["qemu/fail-cmd"].find("failure") is not None
assert "STARRY_GROUPED_TESTS_PASSED" in cases["qemu/http-a"].find("system-out").text
assert "AXVISOR_GROUPED_TESTS_PASSED" in cases["qemu/smoke"].find("system-out").text
P
# the rootfs is never written; the per-case copies are gone
[ "$(sha256sum <"$rootfs")" = "$rootfs_sum" ] || fail "rootfs.ext4 was written"
! ls "$work"/runs/seq/*/case-rootfs.img >/dev/null 2>&1 || fail "case copies left behind"

# both fixture cases at once on the same guest port, with that port taken
# on the host: each fixture must be on a port of its own
# (SO_REUSEADDR: the run above leaves the port in TIME_WAIT)
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 18180)); s.listen(1)
print("held", flush=True); time.sleep(600)' >"$work/hold.out" &
holder=$!
trap 'kill $holder 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q held "$work/hold.out" && break; sleep 0.1; done
# without the port held the test below would not show what it claims
grep -q held "$work/hold.out" || fail "could not hold port 18180 on the host"
run par -j 2 --case qemu/http-a --case qemu/http-b --report json="$work/par.json"
rc=$?
kill $holder
cat "$work/par.out"
[ $rc -eq 0 ] || fail "parallel exit $rc; $(tail -5 "$work/par.err")"
for d in "$work"/runs/par/*; do
	grep -q 'guestfwd=tcp:10.0.2.2:18180-cmd:.* --relay 127.0.0.1:' "$d/qemu-x86_64.toml" ||
		fail "$d: no guestfwd to a per-case port"
done
[ "$(grep -ho 'relay 127.0.0.1:[0-9]*' "$work"/runs/par/*/qemu-x86_64.toml | sort -u | wc -l)" -eq 2 ] ||
	fail "the two cases share a host port"
pgrep -f "qemu-system-x86_64.*$work" >/dev/null && fail "QEMU left running"
echo PASS
