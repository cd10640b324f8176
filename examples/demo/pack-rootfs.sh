#!/bin/sh
# Packs a rootfs image as IMAGE.tar.xz holding one entry named after the
# image, the way tgosimages ships them, plus ARCHIVE.sha256 (sha256sum format).
# Fixed owner and time keep the archive, and so its checksum, reproducible.
# usage: pack-rootfs.sh IMAGE ARCHIVE
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 IMAGE ARCHIVE" >&2
	exit 2
fi
image=$1
archive=$2

mkdir -p "$(dirname "$archive")"
tmp="$archive.tmp"
rm -f "$tmp"
tar --sparse --format=gnu --mtime=@0 --owner=0 --group=0 --numeric-owner \
	-C "$(dirname "$image")" -cJf "$tmp" "$(basename "$image")"
mv -f "$tmp" "$archive"
(cd "$(dirname "$archive")" && sha256sum "$(basename "$archive")") >"$archive.sha256"
