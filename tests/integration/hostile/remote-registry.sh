#!/usr/bin/env bash
# remote-registry.sh CASE: a registry served over HTTP that attacks the
# client (hostile-server.py on 127.0.0.1), through the real `bootpipe run`
# of resolve-request + fetch-rootfs. Environment: BOOTPIPE, PYTHON,
# WORK_ROOT.
#   local_refs   file:// includes and image urls, an absolute path as url:
#                refused or fetched from the same server, no local file read
#   include_bomb every document has 50 new includes: stopped at
#                registry_max_documents (256) or registry_max_bytes
#   huge_header  a 1 MiB response header: "too large or malformed" with
#                the URL, not "Out of memory"
set -u
case_name=${1:?usage: remote-registry.sh CASE}
: "${BOOTPIPE:?}" "${WORK_ROOT:=${TMPDIR:-/tmp}}"
PYTHON=${PYTHON:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)

W=$(mktemp -d "$WORK_ROOT/remote-$case_name.XXXXXX")
SRV=$W/srv STORE=$W/ws/tmp/axbuild/rootfs LOG=$W/requests.log
NAME=rootfs-aarch64-alpine
. "$(dirname "$0")/../../tools/served-work.sh"

mkdir -p "$SRV" "$W/ws" "$W/local"
touch "$LOG"
timeout 60 "$PYTHON" "$HERE/hostile-server.py" --root "$SRV" \
	--port-file "$W/port" --log "$LOG" &
server_pid=$!
for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.05; done
[ -s "$W/port" ] || fail "http server did not start"
BASE=http://127.0.0.1:$(cat "$W/port")

# A local archive that would verify: 2 MiB image with random bytes.
head -c 65536 /dev/urandom >"$W/local/$NAME.img"
truncate -s 2M "$W/local/$NAME.img"
tar -C "$W/local" -cJf "$W/local/$NAME.tar.xz" "$NAME.img"
SHA=$(sha256sum "$W/local/$NAME.tar.xz" | cut -d' ' -f1)
P=$W/p.ini

# run REGISTRY_URL [fetch-rootfs lines...]: exit code in $RC, output in $W/out
run() {
	local reg=$1
	shift
	{
		printf '[pipeline]\nname = remote\nworkspace = %s\nstages = resolve-request fetch-rootfs\n\n' "$W/ws"
		printf '[resolve-request]\narch = aarch64\nrequire_kernel = false\n\n'
		printf '[fetch-rootfs]\nretry_delay_ms = 20\nallow_insecure_url = true\nregistry = %s\n' "$reg"
		printf '%s\n' "$@"
	} >"$P"
	timeout 60 "$BOOTPIPE" run "$P" >"$W/out" 2>&1
	RC=$?
}
expect_rc() {
	[ "$RC" = "$1" ] || { cat "$W/out" >&2; fail "exit code $RC, expected $1"; }
}
expect_out() {
	grep -qF -- "$1" "$W/out" || { cat "$W/out" >&2; fail "output lacks: $1"; }
}
no_image() {
	[ -z "$(find "$STORE" -name '*.img' 2>/dev/null)" ] ||
		fail "an image was installed: $(find "$STORE" -name '*.img')"
	! grep -q "$SHA" "$W/out" || fail "the local archive was hashed"
}
image_entry() { # image_entry URL
	printf '[[images]]\nname = "%s"\nsha256 = "%s"\narch = "aarch64"\nurl = "%s"\n' \
		"$NAME" "$SHA" "$1"
}

case $case_name in
local_refs)
	# an include of a local file (a registry that would verify)
	image_entry "file://$W/local/$NAME.tar.xz" >"$W/local/reg.toml"
	printf '[[includes]]\nurl = "file://%s/local/reg.toml"\n' "$W" >"$SRV/inc.toml"
	run "$BASE/inc.toml"
	expect_rc 2
	expect_out "$BASE/inc.toml:2:"
	expect_out "file://$W/local/reg.toml"
	expect_out "may reference only http(s) URLs"
	no_image

	printf '[[includes]]\nurl = "file:///etc/passwd"\n' >"$SRV/passwd.toml"
	run "$BASE/passwd.toml"
	expect_rc 2
	expect_out '`url = "file:///etc/passwd"` is not an http(s) URL'
	no_image

	# an image url naming a local file
	image_entry "file://$W/local/$NAME.tar.xz" >"$SRV/img.toml"
	run "$BASE/img.toml"
	expect_rc 2
	expect_out "may reference only http(s) URLs"
	no_image

	# an absolute path is a path on the same server (RFC 3986), not a
	# local file: the server answers 404
	image_entry "$W/local/$NAME.tar.xz" >"$SRV/abs.toml"
	run "$BASE/abs.toml"
	[ "$RC" != 0 ] || fail "the local archive was installed"
	grep -qF "GET $W/local/$NAME.tar.xz status=404" "$LOG" ||
		{ cat "$LOG" "$W/out" >&2; fail "the path was not asked of the server"; }
	no_image
	;;
include_bomb)
	run "$BASE/bomb/r.toml"
	expect_rc 2
	expect_out "more than 256 documents through includes (registry_max_documents)"
	n=$(grep -c '^GET /bomb/' "$LOG")
	[ "$n" -le 256 ] || fail "$n documents fetched"
	: >"$LOG"
	run "$BASE/bomb/r.toml" "registry_max_documents = 3"
	expect_rc 2
	expect_out "more than 3 documents"
	n=$(grep -c '^GET /bomb/' "$LOG")
	[ "$n" = 3 ] || fail "$n documents fetched, expected 3"
	# each document is about 1.6 KB
	run "$BASE/bomb/r.toml" "registry_max_bytes = 4000"
	expect_rc 2
	expect_out "more than 4000 bytes together (registry_max_bytes)"
	;;
huge_header)
	run "$BASE/bigheader/r.toml"
	[ "$RC" != 0 ] || fail "exit code 0"
	expect_out "GET $BASE/bigheader/r.toml: the response header is too large or malformed"
	! grep -qi "out of memory" "$W/out" || { cat "$W/out" >&2; fail "reported as out of memory"; }
	# an image download, not only a registry
	image_entry "$BASE/bigheader/$NAME.tar.xz" >"$SRV/big.toml"
	run "$BASE/big.toml"
	[ "$RC" != 0 ] || fail "exit code 0"
	expect_out "GET $BASE/bigheader/$NAME.tar.xz: the response header is too large or malformed"
	no_image
	;;
*) fail "unknown case $case_name" ;;
esac
echo "ok $case_name"
