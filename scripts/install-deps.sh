#!/bin/sh
# Installs the Debian 12 packages bootpipe builds, tests and boots with.
# Does nothing when they are all present; uses sudo when not root.
#   --fuzz       also clang and libFuzzer (make fuzz)
#   --memcheck   also valgrind (make memcheck)
#   --no-guests  skip the Linux guest packages (see below)
#
# The Linux guest tests (tests/integration/linux) boot Debian's own kernels
# with a busybox userland, for x86_64 and aarch64. Those packages are
# downloaded and unpacked into $BOOTPIPE_GUEST_CACHE (default
# /var/cache/bootpipe/linux-guests), one folder per QEMU arch, never
# installed: a foreign-arch package cannot be, and the host's own kernel
# and /bin must not change for a test.
set -eu
extra=""
guests=1
for a in "$@"; do
	case $a in
	--fuzz) extra="$extra clang-14 libclang-rt-14-dev" ;;
	--memcheck) extra="$extra valgrind" ;;
	--deb) extra="$extra lintian" ;;
	--no-guests) guests=0 ;;
	*) echo "install-deps.sh: unknown option $a" >&2; exit 2 ;;
	esac
done
packages="$extra build-essential cmake pkg-config python3 xz-utils zstd bzip2
  libinih-dev libarchive-dev libcmocka-dev libcurl4-openssl-dev libssl-dev
  libpcre2-dev libelf-dev libjansson-dev libmicrohttpd-dev libext2fs-dev
  liblzma-dev
  qemu-system-arm qemu-system-x86 qemu-system-misc qemu-utils dosfstools
  qemu-efi-aarch64 ovmf ipxe-qemu seabios opensbi
  gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
  binutils-x86-64-linux-gnu time
  python3-yaml
  e2fsprogs gdb-multiarch"
guest_cache=${BOOTPIPE_GUEST_CACHE:-/var/cache/bootpipe/linux-guests}
# QEMU arch : Debian arch
guest_archs="x86_64:amd64 aarch64:arm64"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
missing_guests=""
if [ $guests -eq 1 ]; then
	for pair in $guest_archs; do
		[ -f "$guest_cache/${pair%%:*}/.complete" ] ||
			missing_guests="$missing_guests $pair"
	done
fi
[ -z "$missing$missing_guests" ] && exit 0

host_arch=$(dpkg --print-architecture)
for pair in $missing_guests; do
	deb=${pair#*:}
	[ "$deb" = "$host_arch" ] && continue
	dpkg --print-foreign-architectures | grep -qx "$deb" || {
		echo "adding the $deb architecture to dpkg (its guest packages)"
		$sudo dpkg --add-architecture "$deb"
	}
done
$sudo apt-get update -q
if [ -n "$missing" ]; then
	echo "installing:$missing"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
fi

# fetch_guest QEMU_ARCH DEBIAN_ARCH: the kernel that linux-image-<arch>
# names and busybox-static, unpacked into a temporary folder that is renamed
# into place only when whole.
fetch_guest() {
	dir=$guest_cache/$1
	kernel=$(apt-cache depends "linux-image-$2:$2" |
		sed -n 's/^ *Depends: \(linux-image-[^ :]*\).*/\1/p' | head -n 1)
	[ -n "$kernel" ] || {
		echo "install-deps.sh: apt names no kernel for linux-image-$2:$2" >&2
		exit 1
	}
	echo "unpacking $kernel:$2 and busybox-static:$2 into $dir"
	$sudo mkdir -p "$guest_cache"
	tmp=$($sudo mktemp -d "$guest_cache/.$1.XXXXXX")
	(cd "$tmp" && $sudo apt-get download -q -o APT::Sandbox::User=root \
		"$kernel:$2" "busybox-static:$2")
	for deb in "$tmp"/*.deb; do
		$sudo dpkg-deb -x "$deb" "$tmp/root"
		dpkg-deb -W --showformat='${Package} ${Version} ${Architecture}\n' "$deb" |
			$sudo tee -a "$tmp/root/.packages" >/dev/null
		$sudo rm -f "$deb"
	done
	$sudo touch "$tmp/root/.complete"
	$sudo rm -rf "$dir"
	$sudo mv "$tmp/root" "$dir"
	$sudo rmdir "$tmp"
}
for pair in $missing_guests; do
	fetch_guest "${pair%%:*}" "${pair#*:}"
done
