#!/usr/bin/env bash
# long-name.sh: an archive whose entry name is longer than any path
# buffer, cut so that its first 4095 bytes end in "/rootfs-X.img", through
# the real `bootpipe run` of resolve-request + fetch-rootfs against
# tests/tools/http-server.py. The entry below that directory is not the
# image; the image deep down a tree as long is.
# Environment: BOOTPIPE, PYTHON, WORK_ROOT.
set -u
: "${BOOTPIPE:?}" "${WORK_ROOT:=${TMPDIR:-/tmp}}"
PYTHON=${PYTHON:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)

W=$(mktemp -d "$WORK_ROOT/long-name.XXXXXX")
SRV=$W/srv STORE=$W/ws/tmp/axbuild/rootfs LOG=$W/requests.log
NAME=rootfs-aarch64-alpine IMG=$STORE/$NAME.img
. "$(dirname "$0")/../../tools/served-work.sh"

step=setup
mkdir -p "$SRV" "$STORE"
touch "$LOG"
timeout 100 "$PYTHON" "$HERE/../../tools/http-server.py" --root "$SRV" \
	--port-file "$W/port" --log "$LOG" &
server_pid=$!
for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.05; done
[ -s "$W/port" ] || fail "http server did not start"
BASE=http://127.0.0.1:$(cat "$W/port")

# archive OUT SUFFIX: one 2 MiB entry "a/a/.../b/$NAME.img" + SUFFIX, where
# "/$NAME.img" ends at byte 4095 (pax long name); no SUFFIX: the image
# itself, its name ending past byte 4095
archive() {
	"$PYTHON" - "$1" "$NAME.img" "$2" <<'PY'
import io, os, sys, tarfile
out, img, suffix = sys.argv[1], sys.argv[2], sys.argv[3]
prefix = "a/" * ((4095 - 1 - len(img) - 2) // 2)
prefix += "b" * (4095 - 1 - len(img) - len(prefix))
name = prefix + "/" + img + suffix if suffix else prefix + "bb/" + img
assert len(name) > 4095
assert not suffix or name[:4095].endswith("/" + img)
data = os.urandom(65536) + bytes(2 * 1024 * 1024 - 65536)
with tarfile.open(out, "w:xz", format=tarfile.PAX_FORMAT) as t:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
PY
}
pipeline() {
	local sha
	sha=$(sha256sum "$SRV/$1" | cut -d' ' -f1)
	{
		printf '[pipeline]\nname = long-name\nworkspace = %s\nstages = resolve-request fetch-rootfs\n\n' "$W/ws"
		printf '[resolve-request]\narch = aarch64\nrequire_kernel = false\n\n'
		printf '[fetch-rootfs]\nretry_delay_ms = 20\nallow_insecure_url = true\n'
		printf 'url = %s/%s\nsha256 = %s\n' "$BASE" "$1" "$sha"
	} >"$W/p.ini"
}
run() {
	timeout 60 "$BOOTPIPE" run "$W/p.ini" >"$W/out" 2>&1
	RC=$?
}
expect_out() {
	grep -qF -- "$1" "$W/out" || { cat "$W/out" >&2; fail "output lacks: $1"; }
}

step=evil
archive "$SRV/evil.tar.xz" ".not-the-image/evil" || fail "cannot make the archive"
pipeline evil.tar.xz
run
[ "$RC" != 0 ] || { cat "$W/out" >&2; fail "an entry below $NAME.img.not-the-image/ was taken for the image"; }
expect_out "has no entry named $NAME.img"
[ ! -e "$IMG" ] || fail "$IMG was installed"

step=deep
archive "$SRV/deep.tar.xz" "" || fail "cannot make the archive"
pipeline deep.tar.xz
run
[ "$RC" = 0 ] || { cat "$W/out" >&2; fail "exit $RC for the image deep down a long name"; }
[ "$(stat -c %s "$IMG" 2>/dev/null)" = 2097152 ] || fail "$IMG was not installed"
echo "long-name: ok"
