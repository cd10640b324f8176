#!/bin/sh
# Installs the Debian 12 packages bootpipe builds, tests and boots with.
# Does nothing when they are all present; uses sudo when not root.
#   --fuzz      also clang and libFuzzer (make fuzz)
#   --memcheck  also valgrind (make memcheck)
set -eu
extra=""
for a in "$@"; do
	case $a in
	--fuzz) extra="$extra clang-14 libclang-rt-14-dev" ;;
	--memcheck) extra="$extra valgrind" ;;
	*) echo "install-deps.sh: unknown option $a" >&2; exit 2 ;;
	esac
done
packages="$extra build-essential cmake pkg-config python3 xz-utils zstd bzip2
  libinih-dev libarchive-dev libcmocka-dev libcurl4-openssl-dev libssl-dev
  libpcre2-dev libelf-dev libjansson-dev
  qemu-system-arm qemu-system-x86 qemu-system-misc qemu-utils
  qemu-efi-aarch64 ovmf ipxe-qemu seabios opensbi
  gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
  binutils-x86-64-linux-gnu time
  python3-yaml"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "installing:$missing"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
