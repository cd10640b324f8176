#!/usr/bin/env bash
# `bootpipe test`: wall time of the same N cases at -j 1 and -j 2 in one
# run, on Debian's Linux kernel and the ext4 busybox rootfs the build
# makes (each case: a rootfs copy, the test_commands runner, a boot, a
# host HTTP fixture fetch). Prints the speed-up; on 2 cores it can be at
# most 2x. Goal: at least 1.5x.
#   BUILD=build CASES=4 tests/bench/suite.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${BUILD:-$here/../../build}" && pwd)
cases=${CASES:-4}
g=$build/linux-guests/x86_64
for f in "$g/vmlinux" "$g/initramfs.cpio.gz" "$g/rootfs.ext4"; do
	[ -f "$f" ] || { echo "suite: skip, no $f (the Linux guests)"; exit 0; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "suite: skip, no qemu-system-x86_64"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
s=$work/ws/test-suit/starryos/qemu
mkdir -p "$s"
printf 'features = []\nlog = "Warn"\ntarget = "x86_64-unknown-none"\n' >"$s/build-x86_64-unknown-none.toml"
for i in $(seq "$cases"); do
	mkdir -p "$s/case$i"
	cat >"$s/case$i/qemu-x86_64.toml" <<T
args = ["-nographic", "-machine", "q35", "-m", "256M",
        "-device", "virtio-blk-pci,drive=disk0",
        "-drive", "id=disk0,if=none,format=raw,file=\${workspace}/tmp/axbuild/rootfs/rootfs-x86_64-alpine.img",
        "-device", "virtio-net-pci,netdev=net0", "-netdev", "user,id=net0",
        "-initrd", "$g/initramfs.cpio.gz",
        "-append", "console=ttyS0 no_timer_check quiet root=/dev/vda"]
timeout = 300
test_commands = ["wget -q -O /tmp/b http://10.0.2.2:18180/ && test \$(wc -c </tmp/b) -eq 1048576"]
[host_http_server]
port = 18180
body_size = 1048576
T
done
run() {
	local t0 t1
	t0=$(date +%s.%N)
	"$build/bin/bootpipe" test "$work/ws/test-suit" --kernel "$g/vmlinux" \
		--set resolve-request.rootfs="$g/rootfs.ext4" --set patch-qemu.accel=tcg \
		--run-dir "$work/runs-j$1" -j "$1" >"$work/j$1.out" 2>&1 ||
		{ cat "$work/j$1.out"; echo "suite: -j $1 failed"; exit 1; }
	t1=$(date +%s.%N)
	python3 -c "print($t1 - $t0)"
}
j1=$(run 1)
j2=$(run 2)
printf 'suite: %d cases: -j 1 %.1f s, -j 2 %.1f s, speed-up %.2fx (goal >= 1.5x)\n' \
	"$cases" "$j1" "$j2" "$(python3 -c "print($j1 / $j2)")"
