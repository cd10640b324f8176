#!/usr/bin/env bash
# fetch-test.sh CASE: one fetch-rootfs integration case. Runs the real
# `bootpipe run` on a pipeline of resolve-request + fetch-rootfs against
# tests/tools/http-server.py, then checks exit code, messages, the files
# in the store and the server's request log.
#
# Environment: BOOTPIPE (the CLI), HTTP_SERVER, PYTHON, WORK_ROOT.
set -u
case_name=${1:?usage: fetch-test.sh CASE}
: "${BOOTPIPE:?}" "${HTTP_SERVER:?}" "${WORK_ROOT:=${TMPDIR:-/tmp}}"
PYTHON=${PYTHON:-python3}

W=$(mktemp -d "$WORK_ROOT/fetch-$case_name.XXXXXX")
SRV=$W/srv STORE=$W/ws/tmp/axbuild/rootfs LOG=$W/requests.log
NAME=rootfs-aarch64-alpine IMG=$STORE/$NAME.img
. "$(dirname "$0")/../../tools/served-work.sh"

mkdir -p "$SRV" "$W/ws" "$W/src"
touch "$LOG"

# An 8 MiB image: 600 KiB of random bytes at the start and 64 KiB at 6 MiB,
# zeros elsewhere; its archive is big enough to cut in the middle.
make_image() {
	local img=$W/src/$NAME.img
	head -c 614400 /dev/urandom >"$img"
	truncate -s 8M "$img"
	head -c 65536 /dev/urandom | dd of="$img" bs=1M seek=6 conv=notrunc status=none
	tar -C "$W/src" -cJf "$SRV/$NAME.tar.xz" "$NAME.img"
	SHA=$(sha256sum "$SRV/$NAME.tar.xz" | cut -d' ' -f1)
}

start_server() {
	"$PYTHON" "$HTTP_SERVER" --root "$SRV" --port-file "$W/port" --log "$LOG" &
	server_pid=$!
	for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.05; done
	[ -s "$W/port" ] || fail "http server did not start"
	PORT=$(cat "$W/port")
	BASE=http://127.0.0.1:$PORT
}

# pipeline FILE [fetch-rootfs lines...]
pipeline() {
	local f=$1
	shift
	{
		printf '[pipeline]\nname = fetch-%s\nworkspace = %s\nstages = resolve-request fetch-rootfs\n\n' "$case_name" "$W/ws"
		printf '[resolve-request]\narch = aarch64\nrequire_kernel = false\n\n'
		# the test server speaks plain http
		printf '[fetch-rootfs]\nretry_delay_ms = 20\nallow_insecure_url = true\n'
		printf '%s\n' "$@"
	} >"$f"
}

# run [args...]: bootpipe run with output in $W/out, exit code in $RC
run() {
	"$BOOTPIPE" run "$@" >"$W/out" 2>&1
	RC=$?
}

expect_rc() {
	[ "$RC" = "$1" ] || { cat "$W/out" >&2; fail "exit code $RC, expected $1"; }
}
expect_out() {
	grep -qF -- "$1" "$W/out" || { cat "$W/out" >&2; fail "output lacks: $1"; }
}
requests() { grep -c "^GET" "$LOG"; }
expect_requests() {
	local n
	n=$(requests)
	[ "$n" = "$1" ] || { cat "$LOG" >&2; fail "$n requests, expected $1"; }
}

# The image is whole, verified by its marker, sparse, and nothing
# half-written is left beside it.
expect_ready() {
	cmp -s "$W/src/$NAME.img" "$IMG" || fail "image differs from the source"
	[ "$(cat "$IMG.sha256")" = "$SHA" ] || fail "marker does not hold the archive sha256"
	expect_record "$IMG" "$IMG.bootpipe-image"
	local used
	used=$(du -k "$IMG" | cut -f1)
	[ "$used" -lt 2048 ] || fail "image uses ${used} KiB: not sparse"
	expect_clean
}
# expect_record IMAGE RECORD: bootpipe's record holds the image's own
# sha256, size and mtime, and the archive it came from
expect_record() {
	local sum
	sum=$(sha256sum "$1" | cut -d' ' -f1)
	grep -qx "sha256 $sum" "$2" || fail "$2 lacks the image sha256 $sum: $(cat "$2")"
	grep -qx "size $(stat -c %s "$1")" "$2" || fail "$2 lacks the size"
	grep -qx "mtime $(stat -c %Y "$1")\.[0-9]\{9\}" "$2" || fail "$2 lacks the mtime"
	grep -qx "archive $SHA" "$2" || fail "$2 lacks the archive sha256"
}
expect_clean() {
	local extra
	extra=$(ls -A "$STORE" 2>/dev/null | grep -Ev "^$NAME\.img(\.sha256|\.bootpipe-image|\.lock)?$")
	[ -z "$extra" ] || fail "left in the store: $extra"
}
expect_not_ready() {
	[ ! -e "$IMG.sha256" ] || fail "a marker was left"
	[ ! -e "$IMG.bootpipe-image" ] || fail "a record was left"
	[ ! -e "$IMG" ] || fail "an image was left"
	expect_clean
}

make_image
start_server
P=$W/p.ini
pipeline "$P" "url = $BASE/{name}.tar.xz" "sha256 = $SHA"

# Today's axbuild: <workspace>/tmp/axbuild/.image.toml names the registry,
# a default.toml whose includes are the releases; the highest (v0.0.10,
# not v0.0.9 as text would sort) is the bootstrap. Entries are named
# after their file; the image lands in <store>/<name>.img/<name>.img.
today_setup() {
	mkdir -p "$SRV/registry" "$W/ws/tmp/axbuild"
	cp "$SRV/$NAME.tar.xz" "$SRV/$NAME.img.tar.xz"
	printf 'registry = "%s/registry/default.toml"\n' "$BASE" >"$W/ws/tmp/axbuild/.image.toml"
	printf '[[includes]]\nurl = "%s/registry/v0.0.9.toml"\n[[includes]]\nurl = "%s/registry/v0.0.10.toml"\n[[includes]]\nurl = "%s/registry/v0.0.2.toml"\n' \
		"$BASE" "$BASE" "$BASE" >"$SRV/registry/default.toml"
	for v in 0.0.9 0.0.2; do
		printf '[[images]]\nname = "%s.img"\nversion = "%s"\nsha256 = "%064d"\narch = "aarch64"\nurl = "%s/old.tar.xz"\n' \
			"$NAME" "$v" 0 "$BASE" >"$SRV/registry/v$v.toml"
	done
	printf '[[images]]\nname = "%s.img"\nversion = "0.0.10"\nreleased_at = "2026-07-01T00:00:00Z"\ndescription = "Alpine"\nsha256 = "%s"\narch = "aarch64"\nurl = "%s/%s.img.tar.xz"\n' \
		"$NAME" "$SHA" "$BASE" "$NAME" >"$SRV/registry/v0.0.10.toml"
	# no url, no registry: the store's own registry
	pipeline "$P"
	TODAY=$STORE/$NAME.img/$NAME.img
}
expect_today_ready() {
	cmp -s "$W/src/$NAME.img" "$TODAY" || fail "$TODAY differs from the source"
	[ "$(cat "$STORE/$NAME.img/.archive.sha256")" = "$SHA" ] || fail "marker lacks the archive sha256"
	expect_record "$TODAY" "$STORE/$NAME.img/.bootpipe-image"
	[ -f "$STORE/$NAME.img.tar.xz" ] || fail "the archive was not kept (axbuild checks it)"
	[ -f "$STORE/images.toml" ] && [ -f "$STORE/.last_sync" ] || fail "no registry cache"
	[ ! -e "$STORE/.$NAME.img.tmp" ] || fail "extraction dir left"
}
gets() { grep -c "^GET $1 " "$LOG"; }

# A StarryOS-shaped config: alpine as the root disk (nvme, drive=nvm) and
# busybox as a USB disk, both at axbuild's legacy template paths; the
# registry in today's format offers both.
starry_setup() {
	today_setup
	BUSY=rootfs-aarch64-busybox
	head -c 300000 /dev/urandom >"$W/src/$BUSY.img"
	truncate -s 2M "$W/src/$BUSY.img"
	tar -C "$W/src" -cJf "$SRV/$BUSY.img.tar.xz" "$BUSY.img"
	BUSY_SHA=$(sha256sum "$SRV/$BUSY.img.tar.xz" | cut -d' ' -f1)
	printf '[[images]]\nname = "%s.img"\nversion = "0.0.10"\nreleased_at = "2026-07-01T00:00:00Z"\ndescription = "BusyBox"\nsha256 = "%s"\narch = "aarch64"\nurl = "%s/%s.img.tar.xz"\n' \
		"$BUSY" "$BUSY_SHA" "$BASE" "$BUSY" >>"$SRV/registry/v0.0.10.toml"
	legacy='${workspace}/tmp/axbuild/rootfs'
	cat >"$W/ws/qemu-aarch64.toml" <<-TOML
	args = ["-nographic", "-machine", "virt", "-cpu", "cortex-a53",
	  "-device", "nvme,serial=deadbeef,drive=nvm",
	  "-drive", "id=nvm,if=none,format=raw,file=$legacy/$NAME.img",
	  "-device", "qemu-xhci,id=xhci",
	  "-drive", "id=usbdisk,if=none,format=raw,file=$legacy/$BUSY.img",
	  "-device", "usb-storage,bus=xhci.0,drive=usbdisk"]
	to_bin = true
	TOML
	. "$(dirname "$HTTP_SERVER")/stand-in-kernel.sh"
	stand_in_kernel "$W/ws/kernel.elf" 183
	{
		printf '[pipeline]\nname = fetch-%s\nworkspace = %s\n' "$case_name" "$W/ws"
		printf 'stages = resolve-request fetch-rootfs infer-rootfs patch-qemu\n\n'
		printf '[resolve-request]\narch = aarch64\nflow = starry\n'
		printf 'kernel = %s\nqemu_config = %s\n\n' "$W/ws/kernel.elf" "$W/ws/qemu-aarch64.toml"
		printf '[fetch-rootfs]\nretry_delay_ms = 20\nallow_insecure_url = true\n\n'
		printf '[patch-qemu]\naccel = tcg\n'
	} >"$P"
}
# plan: the command line's drive with @1 as its id has file @2 and
# snapshot=on
expect_drive() {
	"$PYTHON" - "$W/out" "$1" "$2" <<-'PY' || { cat "$W/out" >&2; fail "drive $1 is not $2 with snapshot=on"; }
	import shlex, sys
	out, drive_id, file = sys.argv[1:]
	for line in open(out):
	    args = shlex.split(line) if line.startswith("qemu-system-") else []
	    for prev, arg in zip(args, args[1:]):
	        opts = dict(o.split("=", 1) for o in arg.split(",") if "=" in o)
	        if prev == "-drive" and opts.get("id") == drive_id:
	            sys.exit(0 if opts.get("file") == file and opts.get("snapshot") == "on" else 1)
	sys.exit(1)
	PY
}

case $case_name in
today_fresh)
	today_setup
	run "$P"
	expect_rc 0
	expect_today_ready
	[ "$(gets /registry/v0.0.10.toml)" = 1 ] || fail "the bootstrap v0.0.10 was not read"
	[ "$(gets /registry/v0.0.9.toml)" = 0 ] || fail "v0.0.9 was read"
	grep -q 'name = "rootfs-aarch64-alpine.img"' "$STORE/images.toml" || fail "images.toml lacks the entry"
	# fresh cache, ready image: nothing is asked again
	n=$(requests)
	run "$P"
	expect_rc 0
	expect_out "is ready"
	expect_requests "$n"
	# the store commands read the same store and cache
	"$BOOTPIPE" image ls --workspace "$W/ws" >"$W/out" 2>&1 || fail "image ls"
	grep -Eq "^$NAME +aarch64 .* verified +registry 0.0.10" "$W/out" || { cat "$W/out"; fail "ls"; }
	expect_requests "$n"
	;;
pin_version)
	# NAME:VERSION picks that version of the registry's entry, with or
	# without .img, in `image pull` and in the rootfs option; a version
	# the registry does not offer is named with those it does
	today_setup
	"$BOOTPIPE" image pull "$NAME:0.0.7" --pipeline "$P" >"$W/out" 2>&1
	RC=$?
	expect_rc 2
	expect_out "registry has no image $NAME:0.0.7 for arch aarch64; versions of it: $NAME.img:0.0.10"
	run "$P" --dry-run --set resolve-request.rootfs=alpine:0.0.10
	expect_rc 0
	expect_out "would look up $NAME version 0.0.10 in registry"
	run "$P" --set resolve-request.rootfs=alpine:0.0.7
	expect_rc 2
	expect_out "versions of it: $NAME.img:0.0.10"
	run "$P" --set resolve-request.rootfs=alpine:0.0.10 --set fetch-rootfs.image_version=0.0.9
	expect_rc 2
	expect_out "the rootfs pins version 0.0.10 but --set sets image_version = 0.0.9; keep one"
	[ ! -e "$TODAY" ] || fail "a refused pin fetched the image"
	# a pin unpacks beside the unpinned image, as axbuild does:
	# <store>/<name>-<version>/<name>; neither replaces the other
	run "$P"
	expect_rc 0
	expect_today_ready
	mkdir -p "$W/src9" "$SRV/v9"
	head -c 2M /dev/urandom >"$W/src9/$NAME.img"
	tar -C "$W/src9" -cJf "$SRV/v9/$NAME.img.tar.xz" "$NAME.img"
	SHA9=$(sha256sum "$SRV/v9/$NAME.img.tar.xz" | cut -d' ' -f1)
	printf '[[images]]\nname = "%s.img"\nversion = "0.0.9"\nsha256 = "%s"\narch = "aarch64"\nurl = "%s/v9/%s.img.tar.xz"\n' \
		"$NAME" "$SHA9" "$BASE" "$NAME" >>"$SRV/registry/v0.0.10.toml"
	"$BOOTPIPE" image sync --pipeline "$P" >"$W/out" 2>&1 || { cat "$W/out"; fail "image sync"; }
	PIN=$STORE/$NAME.img-0.0.9/$NAME.img
	run "$P" --set resolve-request.rootfs=alpine:0.0.9
	expect_rc 0
	cmp -s "$W/src9/$NAME.img" "$PIN" || fail "$PIN is not version 0.0.9"
	[ "$(cat "$STORE/$NAME.img-0.0.9/.archive.sha256")" = "$SHA9" ] || fail "the pin's marker lacks its archive sha256"
	grep -qx "archive $SHA9" "$STORE/$NAME.img-0.0.9/.bootpipe-image" || fail "no record of the pin"
	cmp -s "$W/src/$NAME.img" "$TODAY" || fail "pinning 0.0.9 replaced the unpinned image"
	n=$(requests)
	run "$P"
	expect_rc 0
	expect_requests "$n"
	cmp -s "$W/src/$NAME.img" "$TODAY" || fail "the unpinned image changed"
	# a pinned unpack laid out by axbuild is reused as it is
	rm -rf "$STORE/$NAME.img-0.0.9"
	mkdir "$STORE/$NAME.img-0.0.9"
	cp "$W/src9/$NAME.img" "$PIN"
	printf '%s' "$SHA9" >"$STORE/$NAME.img-0.0.9/.archive.sha256"
	touch -d @1000000000 "$PIN"
	run "$P" --set resolve-request.rootfs=alpine:0.0.9
	expect_rc 0
	expect_requests "$n"
	[ "$(stat -c %Y "$PIN")" = 1000000000 ] || fail "axbuild's pinned image was rewritten"
	"$BOOTPIPE" image pull "$NAME.img:0.0.10" --pipeline "$P" >"$W/out" 2>&1
	RC=$?
	expect_rc 0
	expect_out "$STORE/$NAME.img-0.0.10/$NAME.img"
	cmp -s "$W/src/$NAME.img" "$STORE/$NAME.img-0.0.10/$NAME.img" || fail "the 0.0.10 pin differs from the source"
	;;
axbuild_store)
	# a store exactly as axbuild leaves it is used as it is: no request
	today_setup
	mkdir -p "$STORE/$NAME.img"
	cp "$W/src/$NAME.img" "$STORE/$NAME.img/$NAME.img"
	printf '%s' "$SHA" >"$STORE/$NAME.img/.archive.sha256"
	cp "$SRV/$NAME.img.tar.xz" "$STORE/"
	cp "$SRV/registry/v0.0.10.toml" "$STORE/images.toml"
	date +%s >"$STORE/.last_sync"
	touch -d @1000000000 "$STORE/$NAME.img/$NAME.img"
	run "$P"
	expect_rc 0
	expect_requests 0
	[ "$(stat -c %Y "$STORE/$NAME.img/$NAME.img")" = 1000000000 ] || fail "axbuild's image was rewritten"
	# a marker of another archive: fetched again, into the same place
	printf '%064d' 1 >"$STORE/$NAME.img/.archive.sha256"
	rm "$STORE/$NAME.img.tar.xz"
	run "$P"
	expect_rc 0
	expect_today_ready
	;;
starry_drives)
	starry_setup
	BUSY_TODAY=$STORE/$BUSY.img/$BUSY.img
	# plan: each image it would fetch, nothing downloaded, not even the
	# registry
	"$BOOTPIPE" plan "$P" >"$W/out" 2>&1
	RC=$?
	expect_rc 0
	expect_out "would look up $NAME in registry $BASE/registry/default.toml"
	expect_out "would look up $BUSY in registry $BASE/registry/default.toml"
	expect_requests 0
	expect_drive nvm "$TODAY"
	expect_drive usbdisk "$BUSY_TODAY"
	# run: both fetched into today's layout, each verified
	run "$P"
	expect_rc 0
	expect_today_ready
	cmp -s "$W/src/$BUSY.img" "$BUSY_TODAY" || fail "$BUSY_TODAY differs from the source"
	[ "$(cat "$STORE/$BUSY.img/.archive.sha256")" = "$BUSY_SHA" ] || fail "busybox marker lacks its sha256"
	[ "$(gets /$BUSY.img.tar.xz)" = 1 ] || fail "busybox was not fetched once"
	[ "$(gets /$NAME.img.tar.xz)" = 1 ] || fail "alpine was not fetched once"
	# both ready: nothing fetched again, both drives read-only to the store
	n=$(requests)
	"$BOOTPIPE" plan "$P" >"$W/out" 2>&1
	RC=$?
	expect_rc 0
	expect_requests "$n"
	expect_drive nvm "$TODAY"
	expect_drive usbdisk "$BUSY_TODAY"
	# an explicit rootfs replaces the root drive: the alpine image its
	# template names is not fetched, busybox still is the store's
	rm -rf "$STORE/$NAME.img" "$STORE/$NAME.img.tar.xz"
	cp "$W/src/$NAME.img" "$W/own.img"
	run "$P" --set resolve-request.rootfs="$W/own.img"
	expect_rc 0
	[ "$(gets /$NAME.img.tar.xz)" = 1 ] || fail "the replaced root drive's image was fetched"
	[ ! -e "$STORE/$NAME.img" ] || fail "the replaced root drive's image was unpacked"
	"$BOOTPIPE" plan "$P" --set resolve-request.rootfs="$W/own.img" >"$W/out" 2>&1
	RC=$?
	expect_rc 0
	expect_drive nvm "$W/own.img"
	expect_drive usbdisk "$BUSY_TODAY"
	# a broken busybox archive fails the run and names the drive
	rm -rf "$STORE/$BUSY.img" "$STORE/$BUSY.img.tar.xz" "$STORE/images.toml"
	printf 'not an archive' >"$SRV/$BUSY.img.tar.xz"
	run "$P"
	expect_rc 3
	expect_out "drive usbdisk:"
	[ ! -e "$BUSY_TODAY" ] || fail "a broken busybox image was left"
	;;
seed_flat)
	# a seed-era flat image with its marker stays flat and is reused
	today_setup
	mkdir -p "$STORE"
	cp "$W/src/$NAME.img" "$IMG"
	echo "$SHA" >"$IMG.sha256"
	cp "$SRV/registry/v0.0.10.toml" "$STORE/images.toml"
	date +%s >"$STORE/.last_sync"
	run "$P"
	expect_rc 0
	expect_requests 0
	[ -f "$IMG" ] && [ ! -d "$STORE/$NAME.img" ] || fail "the flat image was not kept"
	;;
sync_age)
	today_setup
	run "$P"
	expect_rc 0
	# a cache older than auto_sync_threshold is refreshed
	echo $(($(date +%s) - 700000)) >"$STORE/.last_sync"
	run "$P"
	expect_rc 0
	[ "$(gets /registry/default.toml)" = 2 ] || fail "the stale cache was not refreshed"
	# image sync refreshes now; ls --remote lists what the registry offers
	"$BOOTPIPE" image sync --pipeline "$P" >"$W/out" 2>&1 || { cat "$W/out"; fail "image sync"; }
	expect_out "1 images in $STORE/images.toml"
	[ "$(gets /registry/default.toml)" = 3 ] || fail "sync did not fetch the registry"
	"$BOOTPIPE" image ls --remote --pipeline "$P" >"$W/out" 2>&1 || { cat "$W/out"; fail "ls --remote"; }
	grep -Eq "^$NAME.img +0.0.10 +aarch64" "$W/out" || { cat "$W/out"; fail "ls --remote"; }
	# .image.toml's threshold, and the options over it
	printf 'auto_sync_threshold = 100\n' >>"$W/ws/tmp/axbuild/.image.toml"
	echo $(($(date +%s) - 200)) >"$STORE/.last_sync"
	run "$P"
	expect_rc 0
	[ "$(gets /registry/default.toml)" = 4 ] || fail ".image.toml's auto_sync_threshold was not used"
	echo $(($(date +%s) - 200)) >"$STORE/.last_sync"
	run "$P" --set fetch-rootfs.auto_sync_threshold=1000
	expect_rc 0
	run "$P" --set fetch-rootfs.auto_sync=false
	expect_rc 0
	[ "$(gets /registry/default.toml)" = 4 ] || fail "the options did not win over .image.toml"
	"$BOOTPIPE" describe fetch-rootfs >"$W/out" 2>&1
	expect_out "default: .image.toml's auto_sync_threshold"
	;;
offline_cache)
	today_setup
	run "$P"
	expect_rc 0
	# offline: the cached registry still names the image and its checksum
	echo 0 >"$STORE/.last_sync"
	n=$(requests)
	BOOTPIPE_OFFLINE=1 run "$P"
	expect_rc 0
	expect_requests "$n"
	rm -rf "$STORE/$NAME.img"
	BOOTPIPE_OFFLINE=1 run "$P"
	expect_rc 3
	expect_out "offline: image $TODAY is not ready"
	expect_out "$BASE/$NAME.img.tar.xz (sha256 $SHA)"
	expect_requests "$n"
	;;
fallback_env)
	# default.toml unreadable: TGOS_IMAGE_REGISTRY_FALLBACK_URL is used;
	# TGOS_IMAGE_LOCAL_STORAGE moves the store
	today_setup
	rm "$SRV/registry/default.toml"
	STORE=$W/elsewhere TODAY=$W/elsewhere/$NAME.img/$NAME.img
	TGOS_IMAGE_LOCAL_STORAGE=$STORE TGOS_IMAGE_REGISTRY_FALLBACK_URL=$BASE/registry/v0.0.10.toml run "$P"
	expect_rc 0
	expect_out "using the fallback $BASE/registry/v0.0.10.toml"
	expect_today_ready
	[ ! -e "$W/ws/tmp/axbuild/rootfs" ] || fail "the default store was used"
	# describe says the order a store and a registry are chosen in
	"$BOOTPIPE" describe resolve-request >"$W/out" 2>&1 || fail "describe"
	tr -s ' \n' ' ' <"$W/out" | grep -q "(this option, else TGOS_IMAGE_LOCAL_STORAGE, else tmp/axbuild/.image.toml \`local_storage\`, else <workspace>/tmp/axbuild/rootfs)" ||
		fail "describe resolve-request does not give the store's order"
	"$BOOTPIPE" describe fetch-rootfs >"$W/out" 2>&1 || fail "describe"
	grep -q "when that cannot be read, TGOS_IMAGE_REGISTRY_FALLBACK_URL" "$W/out" ||
		fail "describe fetch-rootfs does not give the registry's order"
	;;
lazy_libs)
	# libcurl and libarchive are loaded when a byte must be downloaded or
	# unpacked, not before: not by check, plan or a run of a ready image;
	# libmicrohttpd only by a suite case with a host HTTP server
	src=$(cd "$(dirname "$0")/../../.." && pwd)
	plugin=$(dirname "$BOOTPIPE")/../lib/bootpipe/plugins/fetch-rootfs.so
	for f in "$BOOTPIPE" "$plugin"; do
		! readelf -d "$f" | grep -Eq "NEEDED.*lib(curl|archive|microhttpd)" || fail "$f links libcurl, libarchive or libmicrohttpd"
	done
	libs() { grep -Eo "calling init: [^ ]*lib(curl|archive|microhttpd)[^ ]*" "$W/out"; }
	LD_DEBUG=libs "$BOOTPIPE" check "$src/pipelines/qemu-aarch64.ini" >"$W/out" 2>&1 || fail "check"
	! libs || fail "check loads $(libs)"
	LD_DEBUG=libs "$BOOTPIPE" plan "$P" >"$W/out" 2>&1 || fail "plan"
	! libs || fail "plan loads $(libs)"
	LD_DEBUG=libs run "$P"
	libs | grep -q libcurl || fail "the download did not load libcurl"
	libs | grep -q libarchive || fail "the extraction did not load libarchive"
	LD_DEBUG=libs run "$P"
	expect_rc 0
	! libs || fail "a run of the ready image loads $(libs)"
	# missing libraries are infra errors that say what to install
	rm -rf "$STORE"
	BOOTPIPE_LIBCURL=/nonexistent/libcurl.so.4 run "$P"
	expect_rc 3
	expect_out "cannot load libcurl, needed to download: /nonexistent/libcurl.so.4"
	expect_out "apt-get install libcurl4"
	BOOTPIPE_LIBARCHIVE=/nonexistent/libarchive.so.13 run "$P"
	expect_rc 3
	expect_out "cannot load libarchive, needed to unpack images"
	[ ! -e "$IMG" ] && [ ! -e "$IMG.sha256" ] || fail "an image was left without libarchive"
	run "$P"
	expect_rc 0
	expect_ready
	;;
fresh)
	run "$P"
	expect_rc 0
	expect_requests 1
	expect_ready
	;;
cached)
	run "$P"
	expect_rc 0
	run "$P"
	expect_rc 0
	expect_out "is ready"
	expect_requests 1
	expect_ready
	;;
resume)
	pipeline "$P" "url = $BASE/{name}.tar.xz?drop=200000" "sha256 = $SHA"
	run "$P"
	expect_rc 0
	expect_requests 2
	grep -q "range=bytes=200000- status=206" "$LOG" || fail "no resumed range request: $(cat "$LOG")"
	expect_out "resuming"
	expect_ready
	;;
retry503)
	pipeline "$P" "url = $BASE/{name}.tar.xz?fail=2" "sha256 = $SHA"
	run "$P"
	expect_rc 0
	expect_requests 3
	expect_out "HTTP 503; retrying"
	expect_ready
	;;
retry429)
	# Give up after the attempts: still an infra error, nothing ready.
	pipeline "$P" "url = $BASE/{name}.tar.xz?fail=9&fail_status=429" "sha256 = $SHA" "attempts = 3"
	run "$P"
	expect_rc 3
	expect_requests 3
	expect_out "HTTP 429 (gave up after 3 attempts)"
	expect_not_ready
	;;
retry_after)
	# Retry-After in seconds on a 503: the pause is at least that long
	# (a lower bound; the retry_delay_ms backoff alone is 20 ms).
	pipeline "$P" "url = $BASE/{name}.tar.xz?fail=1&retry_after=2" "sha256 = $SHA"
	start=$(date +%s%N)
	run "$P"
	elapsed=$((($(date +%s%N) - start) / 1000000))
	expect_rc 0
	expect_requests 2
	expect_out "HTTP 503; retrying in 2000 ms (Retry-After: 2 s"
	[ "$elapsed" -ge 2000 ] || fail "retried after ${elapsed} ms, Retry-After asked 2 s"
	expect_ready
	;;
retry_after_date)
	# The HTTP-date form on a 429, 3 s ahead: whole seconds, so at least
	# 2 s remain when the answer arrives.
	pipeline "$P" "url = $BASE/{name}.tar.xz?fail=1&fail_status=429&retry_after_date=3" "sha256 = $SHA"
	start=$(date +%s%N)
	run "$P"
	elapsed=$((($(date +%s%N) - start) / 1000000))
	expect_rc 0
	expect_requests 2
	grep -Eq "HTTP 429; retrying in [23]000 ms \(Retry-After: [23] s" "$W/out" ||
		{ cat "$W/out" >&2; fail "no Retry-After date honoured"; }
	[ "$elapsed" -ge 2000 ] || fail "retried after ${elapsed} ms, Retry-After asked 2-3 s"
	expect_ready
	;;
retry_after_interrupt)
	# An hour asked is capped at 60 s, and Ctrl-C ends the wait.
	pipeline "$P" "url = $BASE/{name}.tar.xz?fail=1&retry_after=3600" "sha256 = $SHA"
	"$BOOTPIPE" run "$P" >"$W/out" 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		grep -qF "retrying in 60000 ms (Retry-After: 3600 s, honoured up to 60 s" "$W/out" && break
		sleep 0.05
	done
	expect_out "retrying in 60000 ms (Retry-After: 3600 s, honoured up to 60 s"
	start=$(date +%s)
	kill -INT $pid
	wait $pid
	RC=$?
	# the 60 s pause was cut short, not waited out
	[ $(($(date +%s) - start)) -lt 30 ] || fail "the interrupt did not end the Retry-After wait"
	expect_rc 130
	expect_out "interrupted"
	expect_requests 1
	;;
norange)
	# A server that ignores Range: the download starts over and the
	# checksum still matches.
	pipeline "$P" "url = $BASE/{name}.tar.xz?norange=1&drop=200000" "sha256 = $SHA"
	run "$P"
	expect_rc 0
	expect_requests 2
	expect_out "ignored the range request"
	expect_ready
	;;
checksum)
	pipeline "$P" "url = $BASE/{name}.tar.xz?corrupt=1" "sha256 = $SHA"
	run "$P"
	expect_rc 3
	expect_requests 2
	expect_out "sha256 mismatch for $BASE/$NAME.tar.xz?corrupt=1: expected $SHA, got "
	expect_not_ready
	;;
http404)
	pipeline "$P" "url = $BASE/{name}.tar.xz?status=404" "sha256 = $SHA"
	run "$P"
	expect_rc 3
	expect_requests 1
	expect_out "GET $BASE/$NAME.tar.xz?status=404: HTTP 404"
	expect_not_ready
	;;
offline)
	BOOTPIPE_OFFLINE=1 run "$P"
	expect_rc 3
	expect_out "offline: image $IMG is not ready"
	expect_out "download $BASE/$NAME.tar.xz (sha256 $SHA)"
	expect_requests 0
	run "$P"
	expect_rc 0
	BOOTPIPE_OFFLINE=1 run "$P"
	expect_rc 0
	run "$P" --set fetch-rootfs.offline=true
	expect_rc 0
	expect_requests 1
	expect_ready
	;;
offline_file)
	# file:// is local: allowed offline, and resumes like http.
	pipeline "$P" "url = file://$SRV/{name}.tar.xz" "sha256 = $SHA" "offline = true"
	mkdir -p "$STORE"
	head -c 100000 "$SRV/$NAME.tar.xz" >"$STORE/$NAME.img.tar.xz.part"
	run "$P"
	expect_rc 0
	expect_out "at byte 100000"
	expect_requests 0
	expect_ready
	# A part longer than the file starts over.
	rm "$IMG" "$IMG.sha256"
	cat "$SRV/$NAME.tar.xz" "$SRV/$NAME.tar.xz" >"$STORE/$NAME.img.tar.xz.part"
	run "$P"
	expect_rc 0
	expect_ready
	;;
stall)
	# Slower than stall_speed for stall_timeout: a network error, retried.
	pipeline "$P" "url = $BASE/{name}.tar.xz?rate=4000" "sha256 = $SHA" \
		"stall_speed = 100000" "stall_timeout = 1" "attempts = 2"
	run "$P"
	expect_rc 3
	expect_requests 2
	expect_out "Operation too slow"
	expect_out "(gave up after 2 attempts)"
	;;
registry)
	mkdir -p "$W/reg/more"
	cat >"$W/reg/main.toml" <<-TOML
	[[includes]]
	url = "more/images.toml"
	[[includes]]
	url = "$BASE/remote.toml"
	TOML
	cat >"$W/reg/more/images.toml" <<-TOML
	[[images]]
	name = "$NAME"
	version = "1"
	sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
	arch = "aarch64"
	url = "$BASE/old.tar.xz"
	released_at = 2024-01-01T00:00:00Z
	[[includes]]
	url = "../main.toml"
	TOML
	cat >"$SRV/remote.toml" <<-TOML
	[[images]]
	name = "$NAME"
	version = "2"
	sha256 = "$SHA"
	arch = "aarch64"
	url = "$NAME.tar.xz"
	released_at = 2025-02-01T00:00:00Z
	description = "newest"
	TOML
	pipeline "$P" "registry = $W/reg/main.toml"
	run "$P"
	expect_rc 2
	expect_out "registry include cycle"
	sed -i '/^\[\[includes\]\]$/,$d' "$W/reg/more/images.toml"
	"$BOOTPIPE" image ls --pipeline "$P" >"$W/out" 2>&1
	RC=$?
	expect_rc 0
	grep -Eq "^$NAME +aarch64 +- +- +available +registry 2 $BASE/remote.toml:1" "$W/out" || { cat "$W/out"; fail "ls does not offer the registry image"; }
	run "$P"
	expect_rc 0
	expect_out "registry 2 $BASE/remote.toml:1"
	grep -q "GET /$NAME.tar.xz " "$LOG" || fail "the newest image was not fetched"
	expect_ready
	# An explicit older version has another checksum: the image is not
	# ready for it, so that version's URL is fetched (and is not there).
	run "$P" --set fetch-rootfs.image_version=1
	expect_rc 3
	expect_out "GET $BASE/old.tar.xz: HTTP 404"
	# Registry unreachable: the verified image is used as it is...
	kill "$server_pid"
	wait "$server_pid" 2>/dev/null
	server_pid=
	run "$P"
	expect_rc 0
	expect_out "using $IMG as it is"
	# ...and offline a remote include is not even tried.
	BOOTPIPE_OFFLINE=1 run "$P"
	expect_rc 0
	expect_out "offline: cannot fetch registry $BASE/remote.toml"
	;;
concurrent)
	pipeline "$P" "url = $BASE/{name}.tar.xz?rate=1500000" "sha256 = $SHA"
	"$BOOTPIPE" run "$P" >"$W/out1" 2>&1 &
	a=$!
	"$BOOTPIPE" run "$P" >"$W/out2" 2>&1 &
	b=$!
	wait $a
	ra=$?
	wait $b
	rb=$?
	cat "$W/out1" "$W/out2" >"$W/out"
	[ "$ra" = 0 ] && [ "$rb" = 0 ] || { cat "$W/out"; fail "exit codes $ra and $rb"; }
	expect_requests 1
	expect_out "waiting for another run"
	expect_ready
	;;
sigkill)
	pipeline "$P" "url = $BASE/{name}.tar.xz?rate=200000" "sha256 = $SHA"
	"$BOOTPIPE" run "$P" >"$W/out" 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		[ -s "$STORE/$NAME.img.tar.xz.part" ] && break
		sleep 0.05
	done
	sleep 0.3
	kill -KILL $pid
	wait $pid 2>/dev/null
	[ -s "$STORE/$NAME.img.tar.xz.part" ] || fail "no partial download to resume"
	[ ! -e "$IMG" ] && [ ! -e "$IMG.sha256" ] || fail "a killed run left an image"
	# the same URL: a part is only resumed from the URL it came from
	run "$P"
	expect_rc 0
	grep -Eq 'range=bytes=[1-9][0-9]*- status=206 if-range="' "$LOG" || fail "the rerun did not resume with If-Range: $(cat "$LOG")"
	expect_ready
	"$BOOTPIPE" image verify --pipeline "$P" >"$W/out" 2>&1
	RC=$?
	expect_rc 0
	expect_out "ok         $NAME (sha256 $SHA"
	;;
explicit)
	run "$P" --set resolve-request.rootfs=$W/elsewhere/mine.img
	expect_rc 3
	expect_out "rootfs $W/elsewhere/mine.img: No such file or directory (it is outside the image store"
	expect_requests 0
	mkdir -p "$W/elsewhere"
	truncate -s 2M "$W/elsewhere/mine.img"
	run "$P" --set resolve-request.rootfs=$W/elsewhere/mine.img
	expect_rc 0
	expect_requests 0
	# Plan mode does not insist.
	run "$P" --dry-run --set resolve-request.rootfs=$W/nowhere.img
	expect_rc 0
	# A file in the store that is not <name>.img is used as it is...
	run "$P" --set resolve-request.rootfs=custom.raw
	expect_rc 2
	expect_out "$STORE/custom.raw must be named <name>.img"
	mkdir -p "$STORE"
	truncate -s 2M "$STORE/custom.raw"
	run "$P" --set resolve-request.rootfs=custom.raw
	expect_rc 0
	expect_out "using $STORE/custom.raw as it is"
	# ...and a named one in the store is fetched.
	run "$P" --set resolve-request.rootfs=$NAME.img
	expect_rc 0
	expect_requests 1
	;;
plan)
	run "$P" --dry-run
	expect_rc 0
	expect_out "would download $BASE/$NAME.tar.xz to $STORE/$NAME.img.tar.xz (sha256 $SHA)"
	expect_requests 0
	[ ! -e "$STORE" ] || [ -z "$(ls -A "$STORE")" ] || fail "plan mode wrote to the store"
	run "$P"
	expect_rc 0
	run "$P" --dry-run
	expect_rc 0
	expect_out "is ready"
	expect_requests 1
	;;
image_cmds)
	img() { "$BOOTPIPE" image "$@" --pipeline "$P" >"$W/out" 2>&1; RC=$?; }
	img ls
	expect_rc 0
	img pull "$NAME"
	expect_rc 0
	expect_out "$IMG"
	expect_ready
	img ls
	expect_rc 0
	grep -Eq "^$NAME +aarch64 +[0-9.]+ KiB +8.0 MiB +verified +url option" "$W/out" || { cat "$W/out"; fail "ls line"; }
	# A tampered marker fails verification.
	echo 1111111111111111111111111111111111111111111111111111111111111111 >"$IMG.sha256"
	img verify
	expect_rc 3
	expect_out "FAILED     $NAME"
	img rm "$NAME.img"
	expect_rc 0
	[ ! -e "$IMG" ] && [ ! -e "$IMG.sha256" ] && [ ! -e "$IMG.bootpipe-image" ] || fail "rm left files"
	img rm "$NAME"
	expect_rc 2
	expect_out "no image $NAME in $STORE"
	img pull "../evil"
	expect_rc 2
	expect_requests 1
	;;
image_changed)
	# The image is what came out of its archive: `image verify` reads it,
	# and a run or plan refuses one whose size or mtime moved since.
	img() { "$BOOTPIPE" image "$@" --pipeline "$P" >"$W/out" 2>&1; RC=$?; }
	run "$P"
	expect_rc 0
	sum=$(sha256sum "$IMG" | cut -d' ' -f1)
	img verify "$NAME"
	expect_rc 0
	expect_out "ok         $NAME (sha256 $SHA"
	expect_out "image sha256 $sum)"
	# one byte changed, mtime kept: only reading the image tells
	cp -p "$IMG" "$W/orig.img"
	printf 'X' | dd of="$IMG" bs=1 seek=4096 conv=notrunc status=none
	touch -r "$W/orig.img" "$IMG"
	img verify "$NAME"
	expect_rc 3
	expect_out "FAILED     $NAME: $IMG has sha256 $(sha256sum "$IMG" | cut -d' ' -f1), $sum when it was extracted"
	expect_out "run \`bootpipe image rm $NAME --store $STORE\`, then \`bootpipe image pull $NAME --store $STORE\`"
	# the same byte changed the usual way: the cheap check sees it
	printf 'X' | dd of="$IMG" bs=1 seek=4096 conv=notrunc status=none
	run "$P"
	expect_rc 3
	grep -Eq "managed image $IMG changed after it was extracted \(modified $(date -u -r "$IMG" +%F) [0-9:.]+ UTC, extracted $(date -u -r "$W/orig.img" +%F) [0-9:.]+ UTC\)" "$W/out" ||
		{ cat "$W/out" >&2; fail "no change of mtime reported"; }
	expect_out "so it is not booted: \`bootpipe image verify $NAME --store $STORE\` reads it"
	expect_out "\`bootpipe image rm $NAME --store $STORE\` removes it, and the next run fetches it anew"
	"$BOOTPIPE" plan "$P" >"$W/out" 2>&1
	RC=$?
	expect_rc 3
	expect_out "managed image $IMG changed after it was extracted"
	img ls
	grep -Eq "^$NAME +aarch64 .* CHANGED " "$W/out" || { cat "$W/out"; fail "ls does not say CHANGED"; }
	# truncated: its size tells
	cp -p "$W/orig.img" "$IMG"
	truncate -s 4M "$IMG"
	touch -r "$W/orig.img" "$IMG"
	run "$P"
	expect_rc 3
	expect_out "(it is 4194304 bytes, 8388608 when it was extracted)"
	# pull extracts it again (the archive is gone: downloaded again)
	img pull "$NAME"
	expect_rc 0
	expect_out "changed after it was extracted (it is 4194304 bytes"
	expect_out "extracting it again"
	expect_requests 2
	expect_ready
	run "$P"
	expect_rc 0
	# touched but the same bytes: verify reads it and records it anew
	touch -d '2020-01-01' "$IMG"
	run "$P"
	expect_rc 3
	img verify "$NAME"
	expect_rc 0
	expect_out "image sha256 $sum, recorded)"
	run "$P"
	expect_rc 0
	expect_out "is ready"
	expect_requests 2
	# an unreadable record: verify cannot help, pull or rm can
	echo garbage >"$IMG.bootpipe-image"
	run "$P"
	expect_rc 3
	expect_out "managed image $IMG is not booted: its record $IMG.bootpipe-image is unreadable; \`bootpipe image pull $NAME --store $STORE\` extracts it again, or \`bootpipe image rm $NAME --store $STORE\` removes it"
	;;
axbuild_record)
	# A store axbuild filled has no record: its image is used as it is,
	# `image verify` records it once its archive checks out, and from
	# then on a change to it is refused.
	today_setup
	mkdir -p "$STORE/$NAME.img"
	cp "$W/src/$NAME.img" "$TODAY"
	printf '%s' "$SHA" >"$STORE/$NAME.img/.archive.sha256"
	cp "$SRV/$NAME.img.tar.xz" "$STORE/"
	cp "$SRV/registry/v0.0.10.toml" "$STORE/images.toml"
	date +%s >"$STORE/.last_sync"
	run "$P"
	expect_rc 0
	expect_out "is ready"
	[ ! -e "$STORE/$NAME.img/.bootpipe-image" ] || fail "a run recorded the image"
	"$BOOTPIPE" image verify --workspace "$W/ws" >"$W/out" 2>&1
	RC=$?
	expect_rc 0
	expect_out "image sha256 $(sha256sum "$TODAY" | cut -d' ' -f1), recorded)"
	expect_record "$TODAY" "$STORE/$NAME.img/.bootpipe-image"
	[ "$(cat "$STORE/$NAME.img/.archive.sha256")" = "$SHA" ] || fail "axbuild's marker was rewritten"
	printf 'X' | dd of="$TODAY" bs=1 seek=100 conv=notrunc status=none
	run "$P"
	expect_rc 3
	expect_out "managed image $TODAY changed after it was extracted"
	expect_requests 0
	;;
axbuild_modified)
	# A store axbuild filled, its image changed after it was unpacked:
	# with no record, `image verify` checks the kept archive against the
	# registry and the image against the archive's entry, and records
	# nothing it cannot vouch for.
	today_setup
	mkdir -p "$STORE/$NAME.img"
	cp "$W/src/$NAME.img" "$TODAY"
	printf 'X' | dd of="$TODAY" bs=1 seek=100 conv=notrunc status=none
	printf '%s' "$SHA" >"$STORE/$NAME.img/.archive.sha256"
	cp "$SRV/$NAME.img.tar.xz" "$STORE/"
	cp "$SRV/registry/v0.0.10.toml" "$STORE/images.toml"
	date +%s >"$STORE/.last_sync"
	"$BOOTPIPE" image verify --workspace "$W/ws" >"$W/out" 2>&1
	RC=$?
	expect_rc 3
	expect_out "FAILED     $NAME: $TODAY has sha256 $(sha256sum "$TODAY" | cut -d' ' -f1), but entry $NAME.img of its archive $STORE/$NAME.img.tar.xz has $(sha256sum "$W/src/$NAME.img" | cut -d' ' -f1): the image was changed after it was unpacked; run \`bootpipe image rm $NAME --store $STORE\`, then \`bootpipe image pull $NAME --store $STORE\`"
	[ ! -e "$STORE/$NAME.img/.bootpipe-image" ] || fail "a changed image was recorded"
	# an archive that is not the registry's
	cp "$W/src/$NAME.img" "$TODAY"
	head -c 1000 /dev/urandom >>"$STORE/$NAME.img.tar.xz"
	"$BOOTPIPE" image verify --workspace "$W/ws" >"$W/out" 2>&1
	RC=$?
	expect_rc 3
	expect_out "archive $STORE/$NAME.img.tar.xz has sha256 $(sha256sum "$STORE/$NAME.img.tar.xz" | cut -d' ' -f1), not the $SHA the registry and the marker name"
	[ ! -e "$STORE/$NAME.img/.bootpipe-image" ] || fail "recorded against a foreign archive"
	# no archive kept: nothing to vouch for it with, not recorded
	rm "$STORE/$NAME.img.tar.xz"
	"$BOOTPIPE" image verify --workspace "$W/ws" >"$W/out" 2>&1
	RC=$?
	expect_rc 0
	expect_out "unverified $NAME"
	expect_out "no archive $STORE/$NAME.img.tar.xz to check it against"
	[ ! -e "$STORE/$NAME.img/.bootpipe-image" ] || fail "recorded with no archive"
	# the archive back: the unchanged image verifies and is recorded
	cp "$SRV/$NAME.img.tar.xz" "$STORE/"
	"$BOOTPIPE" image verify --workspace "$W/ws" >"$W/out" 2>&1
	RC=$?
	expect_rc 0
	expect_out "ok         $NAME"
	expect_record "$TODAY" "$STORE/$NAME.img/.bootpipe-image"
	expect_requests 0
	;;
small_image)
	# An image entry under 1 MiB is refused when it is extracted, naming
	# the archive, the entry and its size; it was reported ready and then
	# fetched again on every run.
	mkdir -p "$W/small"
	head -c 4096 /dev/urandom >"$W/small/$NAME.img"
	tar -C "$W/small" -cJf "$SRV/small.tar.xz" "$NAME.img"
	SMALL=$(sha256sum "$SRV/small.tar.xz" | cut -d' ' -f1)
	pipeline "$P" "url = $BASE/small.tar.xz" "sha256 = $SMALL"
	run "$P"
	expect_rc 3
	expect_out "archive $STORE/$NAME.img.tar.xz: entry $NAME.img is 4096 bytes, smaller than the 1048576 a rootfs image has at least; refusing it"
	expect_requests 1
	[ ! -e "$IMG" ] && [ ! -e "$IMG.tmp" ] && [ ! -e "$IMG.sha256" ] || fail "something of the image was left"
	# the verified archive stays: the next run says the same, offline
	run "$P"
	expect_rc 3
	expect_out "is 4096 bytes, smaller than the 1048576"
	expect_requests 1
	;;
complete_part)
	# A run killed between download and rename left a whole .part: the
	# server answers 416 to its range, and the bytes are verified.
	mkdir -p "$STORE"
	cp "$SRV/$NAME.tar.xz" "$STORE/$NAME.img.tar.xz.part"
	run "$P"
	expect_rc 0
	expect_requests 1
	grep -q "status=416" "$LOG" || fail "no 416 answer: $(cat "$LOG")"
	expect_ready
	;;
corrupt_archive)
	# Right checksum pinned for a truncated archive: it extracts badly,
	# is fetched once more, then the run fails with nothing ready.
	head -c 100000 "$SRV/$NAME.tar.xz" >"$SRV/cut.tar.xz"
	CUT=$(sha256sum "$SRV/cut.tar.xz" | cut -d' ' -f1)
	pipeline "$P" "url = $BASE/cut.tar.xz" "sha256 = $CUT"
	run "$P"
	expect_rc 3
	expect_requests 2
	expect_out "downloaded twice"
	expect_not_ready
	;;
stale_marker)
	# An image whose marker names another archive is fetched again; an
	# axbuild image without marker and without a known checksum is kept.
	mkdir -p "$STORE"
	truncate -s 4M "$IMG"
	echo 2222222222222222222222222222222222222222222222222222222222222222 >"$IMG.sha256"
	run "$P"
	expect_rc 0
	expect_requests 1
	expect_ready
	rm -f "$IMG.sha256"
	truncate -s 4M "$W/axbuild.img"
	cp --sparse=always "$W/axbuild.img" "$IMG"
	pipeline "$P" "url = $BASE/{name}.tar.xz"
	run "$P"
	expect_rc 0
	expect_out "is ready"
	expect_requests 1
	;;
stale_tmp)
	# A run killed mid-extraction left a big .tmp, and another a .part
	# of garbage: the next run starts both over and leaves neither.
	mkdir -p "$STORE"
	head -c 3000000 /dev/urandom >"$IMG.tmp"
	head -c 50000 /dev/urandom >"$STORE/$NAME.img.tar.xz.part"
	run "$P"
	expect_rc 0
	expect_out "downloading it once more"
	expect_ready
	;;
policy)
	# Remote sources must be https with a sha256 unless the pipeline
	# opts out by name; file:// is always allowed.
	pipeline_strict() {
		local f=$1
		shift
		pipeline "$f" "$@"
		sed -i '/^allow_insecure_url = true$/d' "$f"
	}
	pipeline_strict "$P" "url = $BASE/{name}.tar.xz" "sha256 = $SHA"
	run "$P"
	expect_rc 2
	expect_out "refusing to download $BASE/$NAME.tar.xz (url option ($P:"
	expect_out "not an https URL"
	expect_out "set allow_insecure_url = true"
	run "$P" --dry-run
	expect_rc 2
	pipeline_strict "$P" "url = https://127.0.0.1:1/{name}.tar.xz"
	run "$P"
	expect_rc 2
	expect_out "no sha256 to verify it"
	expect_requests 0
	expect_not_ready
	pipeline "$P" "url = $BASE/{name}.tar.xz"
	run "$P"
	expect_rc 2
	expect_out "set sha256 = <64 hex digits> or allow_unverified = true"
	pipeline "$P" "url = $BASE/{name}.tar.xz" "allow_unverified = true"
	run "$P"
	expect_rc 0
	expect_requests 1
	cp "$SRV/$NAME.tar.xz" "$W/local.tar.xz"
	rm -rf "$STORE"
	pipeline_strict "$P" "url = file://$W/local.tar.xz"
	run "$P"
	expect_rc 0
	expect_requests 1
	# a registry over plain http is refused like an archive
	printf '[[images]]\nname = "%s"\nversion = "1"\nsha256 = "%s"\narch = "aarch64"\nurl = "%s.tar.xz"\n' \
		"$NAME" "$SHA" "$NAME" >"$SRV/reg.toml"
	rm -rf "$STORE"
	pipeline_strict "$P" "registry = $BASE/reg.toml"
	run "$P"
	expect_rc 2
	expect_out "refusing to download $BASE/reg.toml (registry): not an https URL"
	pipeline "$P" "registry = $BASE/reg.toml"
	run "$P"
	expect_rc 0
	expect_ready
	;;
part_other_url)
	# A .part recorded as coming from another URL (an older image) is not
	# completed from this one: the download starts from byte 0.
	mkdir -p "$STORE"
	head -c 100000 /dev/urandom >"$STORE/$NAME.img.tar.xz.part"
	printf 'url %s\n' "$BASE/old-$NAME.tar.xz" >"$STORE/$NAME.img.tar.xz.part.src"
	run "$P"
	expect_rc 0
	expect_requests 1
	grep -q "range=- status=200" "$LOG" || fail "a Range was sent: $(cat "$LOG")"
	expect_out "holds a partial download of $BASE/old-$NAME.tar.xz"
	expect_ready
	;;
part_416_unverified)
	# A .part longer than the file gets a 416; with no sha256 to check
	# it, that is no proof it is whole (here it is another image, a valid
	# archive): the download starts over.
	mkdir -p "$W/other" "$STORE"
	head -c 1500000 /dev/urandom >"$W/other/$NAME.img"
	truncate -s 8M "$W/other/$NAME.img"
	tar -C "$W/other" -cJf "$STORE/$NAME.img.tar.xz.part" "$NAME.img"
	printf 'url %s\n' "$BASE/$NAME.tar.xz" >"$STORE/$NAME.img.tar.xz.part.src"
	pipeline "$P" "url = $BASE/{name}.tar.xz" "allow_unverified = true"
	run "$P"
	expect_rc 0
	expect_requests 2
	grep -q "status=416" "$LOG" || fail "no 416 answer: $(cat "$LOG")"
	grep -q "range=- status=200" "$LOG" || fail "no download from the start: $(cat "$LOG")"
	expect_out "answered 416 to a resume"
	expect_ready
	;;
if_range)
	# A .part whose recorded ETag the server no longer has: the resume
	# carries If-Range, so the server sends the new file whole.
	mkdir -p "$STORE"
	head -c 100000 /dev/urandom >"$STORE/$NAME.img.tar.xz.part"
	printf 'url %s\netag "old"\n' "$BASE/$NAME.tar.xz" >"$STORE/$NAME.img.tar.xz.part.src"
	pipeline "$P" "url = $BASE/{name}.tar.xz" "allow_unverified = true"
	run "$P"
	expect_rc 0
	expect_requests 1
	grep -q 'range=bytes=100000- status=200 if-range="old"' "$LOG" || fail "no If-Range: $(cat "$LOG")"
	expect_out "ignored the range request"
	expect_ready
	;;
redirect)
	# Redirects are followed; to plain http only with allow_insecure_url
	# (set by pipeline()), and the part's source is the URL asked for.
	pipeline "$P" "url = $BASE/moved.tar.xz?redirect=$BASE/$NAME.tar.xz" "sha256 = $SHA"
	run "$P"
	expect_rc 0
	expect_requests 2
	grep -q "status=302" "$LOG" || fail "no redirect: $(cat "$LOG")"
	expect_ready
	;;
resume_changed)
	# Version 1 is cut after 1 MiB; when the download resumes the server
	# has version 2 (another ETag and Last-Modified) and ignores If-Range.
	# Its 206 must not be appended to version 1's bytes: plain tar, so a
	# splice would still unpack and be installed.
	for v in 1 2; do
		mkdir -p "$W/v$v"
		head -c 2M /dev/urandom >"$W/v$v/$NAME.img"
		tar --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$W/v$v" \
			-cf "$SRV/v$v.tar" "$NAME.img"
	done
	touch -d @1000000000 "$SRV/v1.tar"
	touch -d @1100000000 "$SRV/v2.tar"
	pipeline "$P" "url = $BASE/v1.tar?drop=1048576&then=v2.tar&ignore_if_range=1" \
		"allow_unverified = true"
	run "$P"
	expect_rc 0
	expect_requests 3
	grep -q 'range=bytes=1048576- status=206 if-range="' "$LOG" ||
		fail "no resume answered 206 despite If-Range: $(cat "$LOG")"
	grep '^GET' "$LOG" | sed -n 3p | grep -q 'range=- status=200' ||
		fail "no download from the start after the 206: $(cat "$LOG")"
	expect_out "changed since"
	expect_out "ignored If-Range; discarding the 1048576 bytes"
	cmp -s "$W/v2/$NAME.img" "$IMG" || fail "the installed image is not version 2"
	expect_clean
	;;
resume_no_validator)
	# As resume_changed, but the resumed 206 carries neither ETag nor
	# Last-Modified: nothing shows it is the version the part holds, so
	# the part is discarded rather than spliced.
	for v in 1 2; do
		mkdir -p "$W/v$v"
		head -c 2M /dev/urandom >"$W/v$v/$NAME.img"
		tar --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$W/v$v" \
			-cf "$SRV/v$v.tar" "$NAME.img"
	done
	touch -d @1000000000 "$SRV/v1.tar"
	touch -d @1100000000 "$SRV/v2.tar"
	pipeline "$P" "url = $BASE/v1.tar?drop=1048576&then=v2.tar&ignore_if_range=1&drop_validators=1" \
		"allow_unverified = true"
	run "$P"
	expect_rc 0
	expect_requests 3
	grep -q 'range=bytes=1048576- status=206 if-range="' "$LOG" ||
		fail "no resume answered 206: $(cat "$LOG")"
	grep '^GET' "$LOG" | sed -n 3p | grep -q 'range=- status=200' ||
		fail "no download from the start after the 206: $(cat "$LOG")"
	expect_out "without the ETag \""
	expect_out "discarding the 1048576 bytes"
	cmp -s "$W/v2/$NAME.img" "$IMG" || fail "the installed image is not version 2"
	expect_clean
	;;
endless)
	# A body without end and without Content-Length stops at
	# max_download_size: a clear error, no .part; the image already in
	# the store (with another sha256) is untouched.
	run "$P"
	expect_rc 0
	expect_ready
	pipeline "$P" "url = $BASE/$NAME.tar.xz?endless=1" "sha256 = $(printf '%064d' 1)" \
		"max_download_size = 2M"
	run "$P"
	expect_rc 3
	expect_out "GET $BASE/$NAME.tar.xz?endless=1: more than the download limit of 2 MiB ([fetch-rootfs] max_download_size"
	expect_out "the partial download is removed"
	expect_requests 2
	[ ! -e "$STORE/$NAME.img.tar.xz.part" ] || fail "the .part was left"
	[ ! -e "$STORE/$NAME.img.tar.xz.part.src" ] || fail "the .part.src was left"
	expect_ready
	# a bad size is a config error naming the option's place
	pipeline "$P" "url = $BASE/$NAME.tar.xz" "sha256 = $SHA" "max_download_size = 2X"
	run "$P"
	expect_rc 2
	expect_out "max_download_size must be a size such as 512M or 64G, not \`2X\`"
	;;
length_lie)
	# A Content-Length past max_download_size is refused before a byte is
	# stored; one shorter than the body ends the body there, and the cut
	# file is not taken for the archive.
	pipeline "$P" "url = $BASE/$NAME.tar.xz?length=1099511627776" "sha256 = $SHA"
	run "$P"
	expect_rc 3
	expect_out "GET $BASE/$NAME.tar.xz?length=1099511627776: the server announces 1099511627776 bytes, more than the download limit of 64 GiB ([fetch-rootfs] max_download_size)"
	expect_requests 1
	expect_not_ready
	pipeline "$P" "url = $BASE/$NAME.tar.xz?length=1000" "sha256 = $SHA"
	run "$P"
	expect_rc 3
	expect_out "sha256 mismatch"
	expect_not_ready
	;;
enospc)
	# The store's file system fills up (an endless body into an 8 MiB
	# tmpfs, no limit reached): "no space left on" the store, no .part.
	mkdir -p "$STORE"
	if ! mount -t tmpfs -o size=8m,mode=0755 tmpfs "$STORE" 2>"$W/mount.err"; then
		echo "skipped [$case_name]: cannot mount a tmpfs: $(cat "$W/mount.err")"
		exit 77
	fi
	trap 'umount "$STORE"; cleanup' EXIT
	pipeline "$P" "url = $BASE/$NAME.tar.xz?endless=1" "allow_unverified = true"
	run "$P"
	expect_rc 3
	expect_out "GET $BASE/$NAME.tar.xz?endless=1: no space left on $STORE; the partial download is removed"
	expect_requests 1
	[ -z "$(ls -A "$STORE" | grep -v '\.lock$')" ] || fail "left in the store: $(ls -A "$STORE")"
	;;
*)
	fail "unknown case"
	;;
esac
echo "ok [$case_name]"
