#!/bin/bash
# `bootpipe test` at a terminal (a real pseudo-terminal, pty-run.py): a
# status line with the cases done, the total and the cases running is
# redrawn on stderr while cases run, and erased before the summary; off a
# terminal there is none.
# usage: suite-progress.sh BUILD_DIR WORK_DIR
set -u
build=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
bootpipe=$build/bin/bootpipe
demo=$build/share/bootpipe/demo
guests=$demo/guests
fail() { echo "FAIL: $*"; exit 1; }
command -v qemu-system-aarch64 >/dev/null || { echo "skip: no qemu-system-aarch64"; exit 77; }
[ -f "$guests/demo-aarch64.elf" ] || { echo "skip: no demo guest"; exit 77; }

rm -rf "$work" && mkdir -p "$work/ws"
ws=$work/ws
w=$ws/test-suit/axvisor/normal/qemu
mkdir -p "$w/a" "$w/b" "$w/c" "$ws/vms"
sed 's|^name = .*|name = "suite-progress"|' \
	"$demo/os/axvisor/configs/vms/aarch64-demo.toml" >"$ws/vms/demo.toml"
cat >"$w/build-aarch64-unknown-none-softfloat.toml" <<'T'
target = "aarch64-unknown-none-softfloat"
vm_configs = ["vms/demo.toml"]
T
for c in a b c; do
	cp "$demo/os/axvisor/configs/qemu/qemu-aarch64.toml" "$w/$c/"
done
set -- "$bootpipe" test "$ws/test-suit" --kernel "$guests/demo-aarch64.elf" -j 2 \
	--set fetch-rootfs.registry="$demo/registry/registry.toml"

python3 "$here/../launch/pty-run.py" --timeout 120 --transcript "$work/pty.out" \
	-- "$@" --run-dir "$work/runs/pty"
rc=$?
[ $rc -eq 0 ] || fail "exit $rc at a terminal: $(cat "$work/pty.out")"
python3 - "$work/pty.out" <<'P' || fail "progress line"
import re, sys
out = open(sys.argv[1], "rb").read().decode()
lines = re.findall(r"\r\x1b\[K\[(\d+)/(\d+)\] running:((?: qemu/[abc])+)", out)
assert lines, repr(out[-2000:])
assert all(total == "3" for _, total, _ in lines), lines
# two at once under -j 2, never more; done counts up to 2 while one runs
assert max(len(r.split()) for _, _, r in lines) == 2, lines
assert all(len(r.split()) <= 2 for _, _, r in lines), lines
assert lines[0][0] == "0" and {d for d, _, _ in lines} >= {"0", "1", "2"}, lines
# erased before the summary, which follows on a clean line
tail = out[out.rindex("running:"):]
assert "\r\x1b[K" in tail and "3 of 3 passed" in tail, repr(tail)
P

# off a terminal: no status line, no escapes
"$@" --run-dir "$work/runs/file" >"$work/file.out" 2>"$work/file.err" || fail "exit $? off a terminal"
grep -q $'\033' "$work/file.err" && fail "escapes off a terminal: $(cat -v "$work/file.err")"
grep -q "running:" "$work/file.err" && fail "status line off a terminal"
pgrep -f "qemu-system-aarch64.*$work" >/dev/null && fail "QEMU left running"
echo PASS
