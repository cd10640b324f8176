#!/usr/bin/env bash
# fetch-rootfs extraction against GNU tar: a 1 GiB rootfs-like image (a
# few MiB of random data, zeros elsewhere) packed as .tar.xz and .tar.zst,
# plain and GNU-sparse tar. For each, times `bootpipe image pull` from a
# file:// URL (sha256 check + extraction) and `tar -xf` of the same
# archive, in the same run, and prints wall times, their ratio, disk usage
# of both results (du) and peak RSS. Goal: not slower than tar, disk use
# close to the real data, RSS flat (independent of the image size).
#   BUILD=build-dir SIZE_MIB=1024 DATA_MIB=8 tests/bench/fetch.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-$here/../../build}
bootpipe=$build/bin/bootpipe
size_mib=${SIZE_MIB:-1024}
data_mib=${DATA_MIB:-8}
name=rootfs-aarch64-alpine
work=$(mktemp -d "${TMPDIR:-/tmp}/bp-fetch-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
[ -x "$bootpipe" ] || { echo "no $bootpipe (set BUILD)" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time" >&2; exit 2; }

echo "building a ${size_mib} MiB image with ${data_mib} MiB of data..."
mkdir -p "$work/src" "$work/arc"
img=$work/src/$name.img
truncate -s "${size_mib}M" "$img"
# The data in four runs spread over the image, like files in a filesystem.
chunk=$((data_mib / 4 > 0 ? data_mib / 4 : 1))
for i in 0 1 2 3; do
	head -c "$((chunk << 20))" /dev/urandom |
		dd of="$img" bs=1M seek=$((i * size_mib / 4)) conv=notrunc status=none
done

pack() { # pack ARCHIVE FILTER-OPTION [tar options]
	local out=$1 filt=$2
	shift 2
	tar -C "$work/src" "$@" -I "$filt" -cf "$out" "$name.img"
}
pack "$work/arc/plain-xz.tar.xz" "xz -T0"
pack "$work/arc/plain-zst.tar.zst" "zstd -T0 -q"
pack "$work/arc/sparse-xz.tar.xz" "xz -T0" --sparse
pack "$work/arc/sparse-zst.tar.zst" "zstd -T0 -q" --sparse

# "wall_s peak_kib" of a command
timed() {
	/usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/cmd.out" 2>&1 ||
		{ cat "$work/cmd.out" >&2; return 1; }
	cat "$work/time"
}
du_kib() { du -k "$1" | cut -f1; }

printf '\n%-11s %9s %9s %6s %10s %10s %10s %10s\n' archive "ours s" "tar s" ratio \
	"ours KiB" "tar KiB" "ours RSS" "tar RSS"
for arc in "$work"/arc/*; do
	label=$(basename "$arc" | sed 's/\.tar\..*//')
	sha=$(sha256sum "$arc" | cut -d' ' -f1)
	store=$work/store-$label
	out=$work/tar-$label
	mkdir -p "$out"
	cat >"$work/p.ini" <<-INI
	[pipeline]
	name = fetch-bench
	workspace = $work
	stages = resolve-request fetch-rootfs
	[resolve-request]
	arch = aarch64
	require_kernel = false
	store = $store
	[fetch-rootfs]
	url = file://$arc
	sha256 = $sha
	INI
	sync
	read -r ours_s ours_rss < <(timed "$bootpipe" image pull "$name" --pipeline "$work/p.ini")
	sync
	read -r tar_s tar_rss < <(timed tar -xf "$arc" -C "$out")
	cmp -s "$img" "$store/$name.img" || { echo "$label: extracted image differs" >&2; exit 1; }
	ratio=$(awk -v a="$ours_s" -v b="$tar_s" 'BEGIN { printf("%.2f", (b > 0) ? a / b : 0) }')
	printf '%-11s %9s %9s %6s %10s %10s %10s %10s\n' "$label" "$ours_s" "$tar_s" "$ratio" \
		"$(du_kib "$store/$name.img")" "$(du_kib "$out/$name.img")" "$ours_rss" "$tar_rss"
	rm -rf "$store" "$out"
done
echo
echo "ratio = ours / tar wall time (below 1: faster than tar); KiB = du of"
echo "the extracted image (data: $((data_mib * 1024)) KiB, apparent: $((size_mib * 1024)) KiB);"
echo "RSS = peak resident KiB of the largest process (for tar: tar or its"
echo "decompressor child, as wait4 reports it)."
