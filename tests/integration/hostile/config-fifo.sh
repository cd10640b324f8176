#!/usr/bin/env bash
# A FIFO or a device named as a pipeline file or an include is refused at
# once by every command that reads pipelines (check, plan, matrix,
# pipelines), with the file, line and kind named; none of them waits for
# a writer that never comes. Nor do a case-rootfs inject file and the
# store's .last_sync.
#   config-fifo.sh BOOTPIPE WORKDIR
set -u

BOOTPIPE=$1
WORK=$2
rm -rf "$WORK"
mkdir -p "$WORK/dir"
failures=0

fail() {
	echo "FAIL [$name]: $*"
	[ -f "$WORK/err" ] && tail -5 "$WORK/err"
	failures=$((failures + 1))
}

mkfifo "$WORK/dir/fifo.ini"
printf '[pipeline]\nstages = x\ninclude = fifo.ini\n' >"$WORK/dir/inc.ini"

# run NAME EXPECTED-TEXT COMMAND...: exit 2 within 5 s, text on stderr
run() {
	name=$1
	want=$2
	shift 2
	timeout -s KILL 5 "$BOOTPIPE" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
	rc=$?
	[ "$rc" = 137 ] && { fail "hung (killed after 5 s)"; return; }
	[ "$rc" = 2 ] || fail "exit $rc, expected 2"
	grep -qF -- "$want" "$WORK/err" || fail "no \"$want\" on stderr"
}

inc_msg="$WORK/dir/inc.ini:3: include $WORK/dir/fifo.ini is a FIFO, not a regular file"
run check-include "$inc_msg" check "$WORK/dir/inc.ini"
run plan-include "$inc_msg" plan "$WORK/dir/inc.ini"
run matrix-include "$inc_msg" matrix "$WORK/dir/inc.ini"
run check-fifo "pipeline file $WORK/dir/fifo.ini is a FIFO" check "$WORK/dir/fifo.ini"
run matrix-fifo "pipeline file $WORK/dir/fifo.ini is a FIFO" matrix "$WORK/dir/fifo.ini"
printf '[pipeline]\ninclude = /dev/zero\nstages = x\n' >"$WORK/dev.ini"
run matrix-device "include /dev/zero is a character device" matrix "$WORK/dev.ini"

# `pipelines` lists the directory and says which file is unreadable
name=pipelines-listing
timeout -s KILL 5 "$BOOTPIPE" pipelines "$WORK/dir" >"$WORK/out" 2>"$WORK/err" </dev/null
rc=$?
[ "$rc" = 0 ] || fail "exit $rc"
grep -qF "is a FIFO" "$WORK/out" || fail "fifo.ini not reported as a FIFO"

# a FIFO as a case-rootfs inject file: refused, not waited on
truncate -s 2M "$WORK/disk.img"
printf '[pipeline]\nstages = resolve-request infer-rootfs case-rootfs\n[resolve-request]\narch = aarch64\nrequire_kernel = false\nrootfs = %s\n[case-rootfs]\ncopy = %s\ninject = %s=/etc/x\n' \
	"$WORK/disk.img" "$WORK/copy.img" "$WORK/dir/fifo.ini" >"$WORK/inject.ini"
run inject-fifo "inject: inject file $WORK/dir/fifo.ini is a FIFO, not a regular file" \
	run "$WORK/inject.ini" --workspace "$WORK"

# the registry cache's .last_sync as a FIFO: read as "never synced", at once
name=image-ls-last-sync
store=$WORK/ws/tmp/axbuild/rootfs
mkdir -p "$store"
printf '[[images]]\nname = "rootfs-aarch64-alpine.img"\nversion = "0.0.8"\nsha256 = "%064d"\ndescription = "cached"\narch = "aarch64"\nurl = "http://127.0.0.1:1/a.tar.xz"\n' 0 >"$store/images.toml"
mkfifo "$store/.last_sync"
BOOTPIPE_OFFLINE=1 timeout -s KILL 5 "$BOOTPIPE" image ls --remote --workspace "$WORK/ws" \
	>"$WORK/out" 2>"$WORK/err" </dev/null
rc=$?
[ "$rc" = 137 ] && fail "hung on $store/.last_sync (killed after 5 s)"
[ "$rc" = 0 ] || fail "exit $rc"
grep -qF "cached" "$WORK/out" || fail "the cached registry was not listed"

if [ "$failures" -ne 0 ]; then
	echo "$failures failures"
	exit 1
fi
echo "PASS (config files that are not regular files)"
