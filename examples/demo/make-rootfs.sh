#!/bin/sh
# Makes a demo rootfs image: a sparse raw disk whose sector 0 starts with a
# NUL-terminated label, which the demo guests read and check.
# usage: make-rootfs.sh LABEL OUTPUT [SIZE]   (SIZE as for truncate, default 16M)
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 LABEL OUTPUT [SIZE]" >&2
	exit 2
fi
label=$1
out=$2
size=${3:-16M}

if [ ${#label} -gt 500 ]; then
	echo "$0: label longer than 500 bytes does not fit sector 0" >&2
	exit 2
fi

mkdir -p "$(dirname "$out")"
tmp="$out.tmp"
rm -f "$tmp"
truncate -s "$size" "$tmp"
printf '%s\0' "$label" | dd of="$tmp" conv=notrunc status=none
mv -f "$tmp" "$out"
