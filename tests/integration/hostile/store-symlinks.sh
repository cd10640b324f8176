#!/usr/bin/env bash
# store-symlinks.sh: symlinks planted where the store writes its
# temporaries, and store directories others could write, through the real
# `bootpipe run` of resolve-request + fetch-rootfs against
# tests/tools/http-server.py. The targets of the symlinks stay untouched.
# Environment: BOOTPIPE, PYTHON, WORK_ROOT.
set -u
: "${BOOTPIPE:?}" "${WORK_ROOT:=${TMPDIR:-/tmp}}"
PYTHON=${PYTHON:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)

W=$(mktemp -d "$WORK_ROOT/store-symlinks.XXXXXX")
SRV=$W/srv STORE=$W/ws/tmp/axbuild/rootfs LOG=$W/requests.log
NAME=rootfs-aarch64-alpine IMG=$STORE/$NAME.img
. "$(dirname "$0")/../../tools/served-work.sh"

step=setup
umask 022
mkdir -p "$SRV" "$W/src" "$W/victims"
touch "$LOG"
timeout 100 "$PYTHON" "$HERE/../../tools/http-server.py" --root "$SRV" \
	--port-file "$W/port" --log "$LOG" &
server_pid=$!
for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.05; done
[ -s "$W/port" ] || fail "http server did not start"
BASE=http://127.0.0.1:$(cat "$W/port")

head -c 65536 /dev/urandom >"$W/src/$NAME.img"
truncate -s 2M "$W/src/$NAME.img"
tar -C "$W/src" -cJf "$SRV/$NAME.tar.xz" "$NAME.img"
SHA=$(sha256sum "$SRV/$NAME.tar.xz" | cut -d' ' -f1)
P=$W/p.ini
{
	printf '[pipeline]\nname = store-symlinks\nworkspace = %s\nstages = resolve-request fetch-rootfs\n\n' "$W/ws"
	printf '[resolve-request]\narch = aarch64\nrequire_kernel = false\n\n'
	printf '[fetch-rootfs]\nretry_delay_ms = 20\nallow_insecure_url = true\n'
	printf 'url = %s/{name}.tar.xz\nsha256 = %s\n' "$BASE" "$SHA"
} >"$P"

run() {
	timeout 60 "$BOOTPIPE" run "$P" >"$W/out" 2>&1
	RC=$?
}
expect_out() {
	grep -qF -- "$1" "$W/out" || { cat "$W/out" >&2; fail "output lacks: $1"; }
}
# plant FILE: a symlink at FILE to a victim file that must stay as it is
plant() {
	local v
	v=$W/victims/$(basename "$1")
	printf 'victim %s\n' "$1" >"$v"
	touch -d '2001-01-01' "$v"
	ln -sfn "$v" "$1"
}
victims_untouched() {
	local v
	for v in "$W"/victims/*; do
		[ -f "$v" ] && [ ! -L "$v" ] || fail "$v was replaced"
		[ "$(wc -l <"$v")" = 1 ] && grep -q '^victim /' "$v" ||
			fail "$v was written: $(head -c 200 "$v")"
		[ "$(stat -c %Y "$v")" = "$(date -d 2001-01-01 +%s)" ] ||
			fail "$v was modified"
	done
}
reset_store() { rm -rf "$W/ws/tmp"; mkdir -p "$STORE"; rm -f "$W"/victims/*; }

step=lock
reset_store
plant "$IMG.lock"
run
[ "$RC" != 0 ] || fail "fetched through a symlinked lock"
expect_out "cannot open lock $IMG.lock"
expect_out "a symbolic link: remove it"
victims_untouched

step=part
reset_store
plant "$IMG.tar.xz.part"
run
[ "$RC" != 0 ] || fail "downloaded through a symlinked part"
expect_out "cannot open $IMG.tar.xz.part"
victims_untouched

# temporaries are replaced, never followed: the fetch succeeds
step=temporaries
reset_store
plant "$IMG.sha256.tmp"
plant "$IMG.tar.xz.part.src.tmp"
run
[ "$RC" = 0 ] || { cat "$W/out" >&2; fail "exit code $RC"; }
[ "$(cat "$IMG.sha256")" = "$SHA" ] || fail "no marker"
victims_untouched

# the registry cache's temporaries too
step=registry-cache
reset_store
printf '[[images]]\nname = "%s.img"\nversion = "0.0.1"\nsha256 = "%s"\narch = "aarch64"\nurl = "%s/%s.tar.xz"\n' \
	"$NAME" "$SHA" "$BASE" "$NAME" >"$SRV/registry.toml"
printf 'registry = "%s/registry.toml"\n' "$BASE" >"$W/ws/tmp/axbuild/.image.toml"
plant "$STORE/images.toml.tmp"
plant "$STORE/.last_sync.tmp"
sed '/^url = \|^sha256 = /d' "$P" >"$W/sync.ini" # the registry of .image.toml
timeout 60 "$BOOTPIPE" image sync --pipeline "$W/sync.ini" >"$W/out" 2>&1
RC=$?
[ "$RC" = 0 ] || { cat "$W/out" >&2; fail "image sync: exit code $RC"; }
[ -f "$STORE/.last_sync" ] && [ ! -L "$STORE/.last_sync" ] || fail "no .last_sync"
grep -q "$NAME.img" "$STORE/images.toml" || fail "no images.toml"
victims_untouched
rm -f "$W/ws/tmp/axbuild/.image.toml"

step=group-writable
reset_store
chmod 0775 "$STORE"
run
[ "$RC" = 2 ] || { cat "$W/out" >&2; fail "exit code $RC, expected 2"; }
expect_out "image store $STORE is writable by its group (mode 0775)"
expect_out "chmod go-w $STORE"
[ ! -e "$IMG" ] || fail "fetched into a group-writable store"
chmod 0757 "$STORE"
run
expect_out "is writable by every user (mode 0757)"
chmod 0755 "$STORE"

step=other-owner
if [ "$(id -u)" = 0 ]; then
	reset_store
	chown 54321 "$STORE"
	run
	[ "$RC" = 2 ] || { cat "$W/out" >&2; fail "exit code $RC, expected 2"; }
	expect_out "image store $STORE is owned by uid 54321, not by you (uid 0) or root"
	chown 0 "$STORE"
else
	echo "skip other-owner: needs root to chown"
fi
echo ok
