#!/usr/bin/env bash
# rootfs_write = persist never writes an image of the store: not named as
# the rootfs, not through a symbolic link or a hard link from outside the
# store. Each is refused by plan and by a real run (up to patch-qemu, the
# stage that builds the drives) with the fix, and the image's bytes stay
# as they were; the user's own image is written as asked.
#   persist-store.sh BOOTPIPE SOURCE_DIR WORKDIR
set -u

BOOTPIPE=$1
SRC=$2
WORK=$3
rm -rf "$WORK"
mkdir -p "$WORK"
failures=0

fail() {
	echo "FAIL [$name]: $*"
	[ -f "$WORK/err" ] && tail -5 "$WORK/err"
	failures=$((failures + 1))
}

. "$SRC/tests/tools/stand-in-kernel.sh"
cp -R "$SRC/tests/data/axvisor-ws" "$WORK/ws"
WS=$WORK/ws
stand_in_kernel "$WS/target/riscv64gc-unknown-none-elf/release/axvisor" 243
STORE=$WS/tmp/axbuild/rootfs
IMG=$STORE/rootfs-riscv64-debian.img
mkdir -p "$STORE"
head -c 65536 /dev/urandom >"$IMG"
truncate -s 2M "$IMG"
SUM=$(sha256sum "$IMG" | cut -d' ' -f1)
ln -s "$IMG" "$WORK/sym.img"
ln "$IMG" "$WORK/hard.img"
truncate -s 2M "$WORK/mine.img"
unset BOOTPIPE_OFFLINE BOOTPIPE_PLUGIN_PATH
export NO_COLOR=1

# pipeline ROOTFS: resolve-request, infer-rootfs, patch-qemu with persist
pipeline() {
	cat >"$WORK/p.ini" <<-INI
	[pipeline]
	stages = resolve-request infer-rootfs patch-qemu

	[resolve-request]
	arch = riscv64
	kernel = target/riscv64gc-unknown-none-elf/release/axvisor
	rootfs = $1

	[patch-qemu]
	rootfs_write = persist
	INI
}

# refused NAME ROOTFS TEXT: plan and run exit 2 with TEXT; image unchanged
refused() {
	name=$1
	pipeline "$2"
	for cmd in plan "run --until patch-qemu"; do
		# shellcheck disable=SC2086
		(cd "$WS" && timeout 60 "$BOOTPIPE" $cmd "$WORK/p.ini" --workspace "$WS") >"$WORK/out" 2>"$WORK/err" </dev/null
		rc=$?
		[ "$rc" = 2 ] || fail "$cmd: exit $rc, expected 2"
		grep -qF -- "$3" "$WORK/err" || fail "$cmd: no \"$3\" on stderr"
		grep -qF -- "or use rootfs_write = discard" "$WORK/err" || fail "$cmd: no fix named"
	done
	[ "$(sha256sum "$IMG" | cut -d' ' -f1)" = "$SUM" ] || fail "the store image changed"
}

refused in-store debian "rootfs_write = persist would write $IMG, an image of the store $STORE, which is never written"
refused symlink "$WORK/sym.img" "would write $WORK/sym.img, a link to $IMG, an image of the store $STORE"
refused hardlink "$WORK/hard.img" "would write $WORK/hard.img, a link to $IMG, an image of the store $STORE"

name=own-image
pipeline "$WORK/mine.img"
(cd "$WS" && timeout 60 "$BOOTPIPE" plan "$WORK/p.ini" --workspace "$WS") >"$WORK/out" 2>"$WORK/err" </dev/null
rc=$?
[ "$rc" = 0 ] || fail "exit $rc, expected 0"
grep -qF "file=$WORK/mine.img" "$WORK/out" || fail "the user's image is not the drive"
! grep -q "snapshot=on" "$WORK/out" || fail "the user's image is not written"

echo "persist-store: $failures failure(s)"
[ "$failures" = 0 ] && rm -rf "$WORK"
[ "$failures" = 0 ]
