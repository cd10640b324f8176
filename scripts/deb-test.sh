#!/bin/sh
# Installs a bootpipe .deb as users do, `apt-get install ./bootpipe_*.deb`
# (its Depends and Recommends come from the archive), then runs the demo
# as a throw-away non-root user from a directory outside the checkout:
# `bootpipe run` must PASS with exit 0. The user is removed afterwards, and
# the package too unless it was installed before.
#   scripts/deb-test.sh build-deb/bootpipe_0.1.0_amd64.deb
set -eu
[ $# -eq 1 ] && [ -f "$1" ] || { echo "usage: deb-test.sh PACKAGE.deb" >&2; exit 2; }
dir=$(cd "$(dirname "$1")" && pwd)
deb=$(basename "$1")
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
had=$(dpkg-query -W -f='${Status}' bootpipe 2>/dev/null | grep -c "ok installed" || true)
user=bpdeb$$
home=$(mktemp -d /tmp/bootpipe-deb.XXXXXX)
cleanup() {
	$sudo userdel "$user" 2>/dev/null || true
	$sudo rm -rf "$home"
	[ "$had" != 0 ] || $sudo apt-get remove -y -q bootpipe >/dev/null || true
}
trap cleanup EXIT

# the libraries the store dlopens are not seen by dpkg-shlibdeps
for lib in libcurl4 libarchive13 libjansson4 libinih1 libpcre2-8-0; do
	dpkg-deb -f "$dir/$deb" Depends | grep -q "$lib" ||
		{ echo "deb-test: Depends lacks $lib" >&2; exit 1; }
done
dpkg-deb -f "$dir/$deb" Recommends | grep -q qemu-system-arm ||
	{ echo "deb-test: Recommends lacks QEMU" >&2; exit 1; }
# only `bootpipe test`'s host HTTP fixtures load libmicrohttpd
dpkg-deb -f "$dir/$deb" Recommends | grep -q libmicrohttpd12 ||
	{ echo "deb-test: Recommends lacks libmicrohttpd12" >&2; exit 1; }
! dpkg-deb -f "$dir/$deb" Depends | grep -q libmicrohttpd ||
	{ echo "deb-test: libmicrohttpd is a Depends" >&2; exit 1; }
(cd "$dir" && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "./$deb")
[ "$(command -v bootpipe)" = /usr/bin/bootpipe ] || { echo "deb-test: bootpipe is not /usr/bin/bootpipe" >&2; exit 1; }
$sudo useradd -M -d "$home" -s /bin/sh "$user"
$sudo chown "$user" "$home"
chmod 755 "$home"
out=$home/out
# env -i: nothing of this shell (build paths, XDG_*) reaches the run
status=0
$sudo runuser -u "$user" -- env -i PATH=/usr/bin:/bin HOME="$home" \
	sh -c 'cd "$HOME" && bootpipe run >out 2>&1' || status=$?
cat "$out"
[ "$status" = 0 ] || { echo "deb-test: bootpipe run exited $status" >&2; exit 1; }
grep -q "demo-aarch64: PASS" "$out" || { echo "deb-test: no PASS line" >&2; exit 1; }
[ -f "$home/.cache/bootpipe/demo/tmp/axbuild/rootfs/rootfs-aarch64-alpine.img" ] ||
	{ echo "deb-test: the demo did not run in the user's workspace" >&2; exit 1; }
echo "deb-test: PASS (bootpipe run as $user in $home, exit $status)"
