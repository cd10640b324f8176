#!/usr/bin/env bash
# firmware-test.sh CASE: UEFI firmware as a managed artifact. A tarball
# shaped like ovmf-prebuilt's edk2-stable202508-r1-bin.tar.xz (the same
# <top>/<arch>/code.fd and vars.fd paths, other arches first) is served by
# tests/tools/http-server.py; fetch-rootfs fetches it for the loongarch64
# AxVisor config of the tgoskits reference tree (uefi = true; Debian has no
# loongarch64 firmware package) through uefi_firmware_url and
# uefi_firmware_sha256, into the firmware cache; `bootpipe plan` then points
# the pflash drives at it.
#
# Environment: BOOTPIPE (the CLI), HTTP_SERVER, PYTHON, WORK_ROOT,
# REFERENCE (the tgoskits reference tree; exit 77 when absent).
set -u
case_name=${1:?usage: firmware-test.sh CASE}
: "${BOOTPIPE:?}" "${HTTP_SERVER:?}" "${WORK_ROOT:=${TMPDIR:-/tmp}}"
PYTHON=${PYTHON:-python3}
CONFIG=${REFERENCE:-}/test-suit/axvisor/normal/qemu/smoke/qemu-loongarch64.toml
if [ ! -f "$CONFIG" ]; then
	echo "skipped [$case_name]: the tgoskits reference tree is absent ($CONFIG)"
	exit 77
fi
if [ -e /usr/share/qemu-efi-loongarch64/QEMU_EFI.fd ]; then
	echo "skipped [$case_name]: this host has the distribution's loongarch64 firmware"
	exit 77
fi

W=$(mktemp -d "$WORK_ROOT/firmware-$case_name.XXXXXX")
SRV=$W/srv LOG=$W/requests.log
REL=edk2-stable202508-r1 TOP=edk2-stable202508-r1-bin
CACHE=$W/xdg/bootpipe/firmware
FW=$CACHE/$TOP/loongarch64
. "$(dirname "$0")/../../tools/served-work.sh"

mkdir -p "$SRV/$REL" "$W/src/$TOP" "$W/ws"
touch "$LOG"
unset BOOTPIPE_OFFLINE BOOTPIPE_PLUGIN_PATH
export XDG_CACHE_HOME=$W/xdg NO_COLOR=1 TMPDIR=$W

# Every arch of the release with its own bytes; aarch64 comes first in
# the tarball, so a match by base name alone would take its code.fd.
for arch in aarch64 ia32 x64 riscv64 loongarch64; do
	mkdir -p "$W/src/$TOP/$arch"
	head -c 65536 /dev/urandom >"$W/src/$TOP/$arch/code.fd"
	head -c 16384 /dev/urandom >"$W/src/$TOP/$arch/vars.fd"
	head -c 4096 /dev/urandom >"$W/src/$TOP/$arch/shell.efi"
done
tar -C "$W/src" -cJf "$SRV/$REL/$TOP.tar.xz" \
	"$TOP/aarch64" "$TOP/ia32" "$TOP/x64" "$TOP/riscv64" "$TOP/loongarch64"
SHA=$(sha256sum "$SRV/$REL/$TOP.tar.xz" | cut -d' ' -f1)
WRONG=$(printf '%064d' 7)

"$PYTHON" "$HTTP_SERVER" --root "$SRV" --port-file "$W/port" --log "$LOG" &
server_pid=$!
for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.05; done
[ -s "$W/port" ] || fail "http server did not start"
URL=http://127.0.0.1:$(cat "$W/port")/$REL/$TOP.tar.xz

# The rootfs is an explicit file outside the store, so nothing but the
# firmware is fetched.
head -c 1048576 /dev/zero >"$W/rootfs.img"
. "$(dirname "$HTTP_SERVER")/stand-in-kernel.sh"
stand_in_kernel "$W/ws/kernel.elf" 258
printf '[workspace]\nmembers = []\n' >"$W/ws/Cargo.toml"

# pipeline FILE STAGES [fetch-rootfs lines...]
pipeline() {
	local f=$1 stages=$2
	shift 2
	{
		printf '[pipeline]\nname = firmware-%s\nworkspace = %s\n' "$case_name" "$W/ws"
		printf 'stages = resolve-request %s\n\n' "$stages"
		printf '[resolve-request]\narch = loongarch64\nflow = axvisor\n'
		printf 'kernel = %s\nrootfs = %s\nqemu_config = %s\n\n' \
			"$W/ws/kernel.elf" "$W/rootfs.img" "$CONFIG"
		# the test server speaks plain http
		printf '[fetch-rootfs]\nretry_delay_ms = 20\nallow_insecure_url = true\n'
		printf '%s\n' "$@"
		case $stages in *patch-qemu*) printf '\n[patch-qemu]\naccel = tcg\n' ;; esac
	} >"$f"
}
FETCH=$W/fetch.ini PLAN=$W/plan.ini
pipeline "$FETCH" "fetch-rootfs" "uefi_firmware_url = $URL" "uefi_firmware_sha256 = $SHA"
pipeline "$PLAN" "fetch-rootfs infer-rootfs patch-qemu" \
	"uefi_firmware_url = $URL" "uefi_firmware_sha256 = $SHA"

run() {
	"$BOOTPIPE" run "$@" >"$W/out" 2>&1
	RC=$?
}
plan() {
	"$BOOTPIPE" plan "$@" >"$W/cmd" 2>"$W/err"
	RC=$?
	cat "$W/cmd" "$W/err" >"$W/out"
}
expect_rc() {
	[ "$RC" = "$1" ] || { cat "$W/out" >&2; fail "exit code $RC, expected $1"; }
}
expect_out() {
	grep -qF -- "$1" "$W/out" || { cat "$W/out" >&2; fail "output lacks: $1"; }
}
expect_requests() {
	local n
	n=$(grep -c "^GET" "$LOG")
	[ "$n" = "$1" ] || { cat "$LOG" >&2; fail "$n requests, expected $1"; }
}
# The loongarch64 code and vars of the tarball, its marker, the archive
# kept for the other arches, nothing half-written.
expect_cached() {
	cmp -s "$W/src/$TOP/loongarch64/code.fd" "$FW/code.fd" || fail "code.fd is not loongarch64's"
	cmp -s "$W/src/$TOP/loongarch64/vars.fd" "$FW/vars.fd" || fail "vars.fd is not loongarch64's"
	[ "$(cat "$FW/.archive.sha256")" = "$SHA" ] || fail "the marker lacks the archive sha256"
	cmp -s "$SRV/$REL/$TOP.tar.xz" "$CACHE/$TOP.tar.xz" || fail "the archive was not kept"
	[ "$(ls -A "$FW")" = "$(printf '.archive.sha256\ncode.fd\nvars.fd')" ] ||
		fail "more than code, vars and marker in $FW: $(ls -A "$FW")"
	[ "$(ls -A "$CACHE/$TOP")" = loongarch64 ] || fail "left in $CACHE/$TOP: $(ls -A "$CACHE/$TOP")"
	[ -z "$(ls -A "$CACHE" | grep -Ev "^($TOP|$TOP\.tar\.xz|$TOP\.lock)$")" ] ||
		fail "left in the cache: $(ls -A "$CACHE")"
}
# No firmware, archive or partial download in the cache (the lock may be).
expect_no_firmware() {
	local files
	files=$(find "$W/xdg" -type f ! -name '*.lock' 2>/dev/null)
	[ -z "$files" ] || fail "left in the cache: $files"
}
# pflash UNIT FILE: the plan's command has that pflash drive
pflash() {
	"$PYTHON" - "$W/cmd" "$1" "$2" <<-'PY'
	import shlex, sys
	words = [w for line in open(sys.argv[1]) for w in shlex.split(line)]
	want = "if=pflash,format=raw,unit=%s" % sys.argv[2]
	for a, b in zip(words, words[1:]):
	    if a == "-drive" and b.startswith(want):
	        file = b.split("file=", 1)[1]
	        sys.exit(0 if file == sys.argv[3] else 1)
	sys.exit(1)
	PY
}

case $case_name in
fetch)
	# plan first: it says what it would fetch, downloads and writes
	# nothing, and its pflash drive already names the cache's file
	plan "$PLAN"
	expect_rc 0
	expect_out "would download UEFI firmware $URL to $CACHE/$TOP.tar.xz (sha256 $SHA)"
	expect_requests 0
	[ ! -e "$W/xdg" ] || fail "plan wrote to the cache: $(find "$W/xdg")"
	pflash 0 "$FW/code.fd" || { cat "$W/out"; fail "plan's pflash is not $FW/code.fd"; }
	run "$FETCH"
	expect_rc 0
	expect_out "fetching UEFI firmware for loongarch64 from $URL"
	expect_requests 1
	expect_cached
	# a second run reuses it: no request
	run "$FETCH"
	expect_rc 0
	expect_out "UEFI firmware $FW is ready"
	expect_requests 1
	expect_cached
	# the plan boots it: code read-only from the cache, the vars copied
	# per run
	plan "$PLAN"
	expect_rc 0
	expect_requests 1
	pflash 0 "$FW/code.fd" || { cat "$W/out"; fail "no pflash unit 0 on $FW/code.fd"; }
	expect_out "readonly=on,file=$FW/code.fd"
	expect_out "would copy $FW/vars.fd to"
	# explicit uefi_code / uefi_vars win over it
	printf 'c' >"$W/own-code.fd"
	printf 'v' >"$W/own-vars.fd"
	plan "$PLAN" --set "patch-qemu.uefi_code=$W/own-code.fd" --set "patch-qemu.uefi_vars=$W/own-vars.fd"
	expect_rc 0
	pflash 0 "$W/own-code.fd" || { cat "$W/out"; fail "uefi_code did not win"; }
	# uefi_firmware = never: the distribution's or nothing, which
	# loongarch64 on Debian does not have
	plan "$PLAN" --set fetch-rootfs.uefi_firmware=never
	expect_rc 3
	expect_out "UEFI firmware for this arch not found"
	expect_out "[fetch-rootfs] uefi_firmware = always"
	;;
cache_option)
	# firmware_cache (relative: to the workspace) instead of XDG
	pipeline "$FETCH" "fetch-rootfs" "uefi_firmware_url = $URL" \
		"uefi_firmware_sha256 = $SHA" "firmware_cache = fw-cache"
	run "$FETCH"
	expect_rc 0
	CACHE=$W/ws/fw-cache FW=$W/ws/fw-cache/$TOP/loongarch64
	expect_cached
	[ ! -e "$W/xdg" ] || fail "the XDG cache was used"
	# neither XDG_CACHE_HOME nor HOME: the passwd entry's home
	pw_home=$(getent passwd "$(id -u)" | cut -d: -f6)
	case $pw_home in
	/*)
		pipeline "$PLAN" "fetch-rootfs infer-rootfs patch-qemu" \
			"uefi_firmware_url = $URL" "uefi_firmware_sha256 = $SHA"
		env -u XDG_CACHE_HOME -u HOME "$BOOTPIPE" plan "$PLAN" >"$W/out" 2>&1
		RC=$?
		expect_rc 0
		expect_out "to ${pw_home%/}/.cache/bootpipe/firmware/$TOP.tar.xz"
		;;
	esac
	;;
checksum)
	# a wrong sha256 is refused: twice downloaded, nothing kept
	pipeline "$FETCH" "fetch-rootfs" "uefi_firmware_url = $URL" "uefi_firmware_sha256 = $WRONG"
	run "$FETCH"
	expect_rc 3
	expect_out "sha256 mismatch for UEFI firmware $URL: expected $WRONG"
	expect_requests 2
	expect_no_firmware
	# nor does it touch firmware that is in the cache already
	pipeline "$FETCH" "fetch-rootfs" "uefi_firmware_url = $URL" "uefi_firmware_sha256 = $SHA"
	run "$FETCH"
	expect_rc 0
	expect_cached
	cp -a "$CACHE" "$W/before"
	pipeline "$FETCH" "fetch-rootfs" "uefi_firmware_url = $URL" "uefi_firmware_sha256 = $WRONG"
	run "$FETCH"
	expect_rc 3
	expect_out "sha256 mismatch"
	diff -r "$W/before" "$CACHE" >/dev/null || fail "the cache changed: $(diff -r "$W/before" "$CACHE")"
	expect_cached
	# a bad pin is a config error naming where it was set
	pipeline "$FETCH" "fetch-rootfs" "uefi_firmware_url = $URL" "uefi_firmware_sha256 = 12ab"
	run "$FETCH"
	expect_rc 2
	expect_out "fetch.ini:"
	expect_out "uefi_firmware_sha256 must be 64 hex digits, not \`12ab\`"
	;;
offline)
	# offline and missing: what to download from where, where to put it
	run "$FETCH" --set fetch-rootfs.offline=true
	expect_rc 3
	expect_out "offline: UEFI firmware for loongarch64 is not in the cache"
	expect_out "download $URL (sha256 $SHA) to $CACHE/$TOP.tar.xz"
	expect_requests 0
	expect_no_firmware
	BOOTPIPE_OFFLINE=1 run "$FETCH"
	expect_rc 3
	expect_out "download $URL (sha256 $SHA) to $CACHE/$TOP.tar.xz"
	# put there by hand, it is checked and used offline
	mkdir -p "$CACHE"
	cp "$SRV/$REL/$TOP.tar.xz" "$CACHE/"
	BOOTPIPE_OFFLINE=1 run "$FETCH"
	expect_rc 0
	expect_requests 0
	expect_cached
	;;
default_source)
	# without the options: ovmf-prebuilt's release at ostool's pin (plan
	# mode, so nothing leaves the machine)
	pipeline "$PLAN" "fetch-rootfs infer-rootfs patch-qemu"
	plan "$PLAN"
	expect_rc 0
	expect_out "would download UEFI firmware https://github.com/rust-osdev/ovmf-prebuilt/releases/download/edk2-stable202508-r1/edk2-stable202508-r1-bin.tar.xz to $CACHE/$TOP.tar.xz (sha256 e461e2f0a43092ef9d29996ba0f8c05de097223791c33f5ff61a7e1ea12e6dac)"
	pflash 0 "$FW/code.fd" || { cat "$W/out"; fail "plan's pflash is not $FW/code.fd"; }
	expect_requests 0
	;;
*)
	fail "unknown case"
	;;
esac
echo "ok [$case_name]"
