#!/usr/bin/env bash
# Faults and hostile conditions through the real CLI, each fast:
#   hostile.sh BOOTPIPE LAUNCH_FIXTURES FAKE_QEMU DEMO_PIPELINE WORKDIR
# - bootpipe killed with SIGKILL: QEMU dies with it (parent-death signal);
# - a missing QEMU binary, a QEMU that never prints, a guest that floods
#   the console (bounded RSS), a console log past the file size limit;
# - an image store that is a file, read-only, or full (ulimit -f: EFBIG,
#   not SIGXFSZ), each a clear infra failure that leaves no temporaries.
# The store cases need the demo registry (DEMO_PIPELINE); they are skipped
# with a message when the demo was not built.
set -u

BOOTPIPE=$1
FIXTURES=$2
FAKE=$3
DEMO=$4
WORK=$5
HERE=$(cd "$(dirname "$0")/../launch" && pwd)
PIPE=$HERE/launch.ini

rm -rf "$WORK"
mkdir -p "$WORK"
export XDG_CACHE_HOME=$WORK/cache # the demo workspace
failures=0
cases=0

fail() {
	echo "FAIL [$name]: $*"
	for f in "$WORK/$name.out" "$WORK/$name.err"; do
		[ -f "$f" ] && { echo "---- $f"; tail -20 "$f"; }
	done
	failures=$((failures + 1))
}

qemu_args=()
wrap=() # a command that runs bootpipe (time, a ulimit shell)
qemu() {
	qemu_args=(--set "set-ctx.argv=$1")
	shift
	local a
	for a in "$@"; do
		qemu_args+=(--set "set-ctx.argv=$a")
	done
}

# launch NAME [options...]: runs the launch pipeline, exit code in $rc
launch() {
	name=$1
	shift
	cases=$((cases + 1))
	"${wrap[@]}" "$BOOTPIPE" run "$PIPE" --plugin-dir "$FIXTURES" --workspace "$WORK" -q \
		"${qemu_args[@]}" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null
	rc=$?
	wrap=()
}
expect_rc() { [ "$rc" = "$1" ] || fail "exit code $rc, expected $1"; }
has() { grep -qF -- "$2" "$WORK/$name.$1" || fail "no \"$2\" in $1"; }

alive() {
	[ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"
}

# --- SIGKILL: no orphan ---------------------------------------------------------

name=sigkill-orphan
cases=$((cases + 1))
rm -f "$WORK/pid"
qemu "$FAKE" "pidfile:$WORK/pid" print:boot hang
"$BOOTPIPE" run "$PIPE" --plugin-dir "$FIXTURES" --workspace "$WORK" -q \
	"${qemu_args[@]}" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null &
bp=$!
for _ in $(seq 200); do
	[ -s "$WORK/pid" ] && break
	sleep 0.05
done
if [ ! -s "$WORK/pid" ]; then
	fail "fake QEMU never started"
else
	qpid=$(cat "$WORK/pid")
	alive "$qpid" || fail "QEMU was not running before the kill"
	kill -KILL $bp
	wait $bp 2>/dev/null
	gone=0
	for _ in $(seq 20); do # one second
		alive "$qpid" || { gone=1; break; }
		sleep 0.05
	done
	[ $gone = 1 ] || { fail "QEMU $qpid outlived bootpipe by a second"; kill -KILL "$qpid"; }
fi

# --- QEMU failures ------------------------------------------------------------------

qemu /nonexistent/qemu-system-aarch64
launch missing-qemu
expect_rc 3
has err 'cannot start QEMU "/nonexistent/qemu-system-aarch64": No such file or directory'

# idle_timeout counts from the first console byte; a QEMU that never
# prints is ended by the timeout
qemu "$FAKE" hang
start=$SECONDS
launch silent-qemu --set launch.idle_timeout=1 --set launch.timeout=2
expect_rc 4
has err 'no verdict within the 2 s timeout'
[ $((SECONDS - start)) -le 6 ] || fail "took $((SECONDS - start)) s for a 2 s timeout"

# 100 MB of console output at full speed: the verdict is still right and
# bootpipe's memory does not grow with it.
qemu "$FAKE" flood:100000000 'print:guest test pass!'
wrap=(/usr/bin/time -f 'peak_kib %M' -o "$WORK/flood.rss")
launch flood
expect_rc 0
peak=$(sed -n 's/^peak_kib //p' "$WORK/flood.rss" 2>/dev/null)
echo "flood: 100 MB of console, bootpipe peak RSS ${peak:-?} KiB"
[ -n "$peak" ] && [ "$peak" -lt 65536 ] || fail "peak RSS ${peak:-?} KiB for a 100 MB flood"

# The console log hits the file size limit: a warning, and the verdict
# still comes from the stream.
qemu "$FAKE" flood:3000000 'print:guest test pass!'
wrap=(bash -c 'ulimit -f 512 && exec "$@"' limit)
launch log-fsize
expect_rc 0
has err "cannot write the console log: File too large"

# --- a console reader that stops reading ------------------------------------------

# stdout is a FIFO whose reader never reads (held open read-write here): the
# console copy must not block the supervisor, so the timeout still fires,
# SIGTERM still ends the run, and QEMU is not left running. The log and
# the matcher still see every byte.
mkfifo "$WORK/stuck.fifo"
exec {stuck}<>"$WORK/stuck.fifo"
# stuck-run NAME [options]: bootpipe run, console not quiet, stdout the FIFO,
# in the background ($bp)
stuck_run() {
	name=$1
	shift
	cases=$((cases + 1))
	rm -f "$WORK/pid"
	"$BOOTPIPE" run "$PIPE" --plugin-dir "$FIXTURES" --workspace "$WORK" \
		--report "json=$WORK/$name.json" "${qemu_args[@]}" "$@" \
		>"$WORK/stuck.fifo" 2>"$WORK/$name.err" </dev/null &
	bp=$!
}
# stuck-wait SECONDS: waits for $bp at most SECONDS, then kills it
stuck_wait() {
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		kill -0 $bp 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 $bp 2>/dev/null; then
		fail "bootpipe still running after $1 s"
		kill -KILL $bp
	fi
	wait $bp
	rc=$?
	[ -s "$WORK/pid" ] && alive "$(cat "$WORK/pid")" &&
		{ fail "QEMU left running"; kill -KILL "$(cat "$WORK/pid")"; }
}

qemu "$FAKE" "pidfile:$WORK/pid" flood:2000000 hang
stuck_run stuck-timeout --set launch.timeout=2
stuck_wait 8
expect_rc 4
has err 'no verdict within the 2 s timeout'
has err 'console bytes were not shown'

qemu "$FAKE" "pidfile:$WORK/pid" flood:2000000 hang
stuck_run stuck-sigterm
for _ in $(seq 100); do
	[ -s "$WORK/pid" ] && break
	sleep 0.05
done
sleep 0.5
kill -TERM $bp
stuck_wait 5
expect_rc 130

flood_bytes=$("$FAKE" print:boot flood:2000000 'print:guest test pass!' | wc -c)
qemu "$FAKE" "pidfile:$WORK/pid" print:boot flood:2000000 'print:guest test pass!' hang
stuck_run stuck-pass --set launch.timeout=20
stuck_wait 20
expect_rc 0
python3 -c 'import json,os,sys; r=json.load(open(sys.argv[1])); sys.exit(os.path.getsize(r["console_log"]) != int(sys.argv[2]))' \
	"$WORK/$name.json" "$flood_bytes" || fail "the console log does not hold all $flood_bytes bytes"
exec {stuck}<&-

# --- the image store ---------------------------------------------------------------

# the build always makes the demo: its absence is a broken build
if [ ! -f "$DEMO" ]; then
	fail "no demo pipeline at $DEMO"
else
	# store STORE NAME [wrap...]: fetches the demo rootfs into STORE
	store() {
		local dir=$1
		name=$2
		shift 2
		cases=$((cases + 1))
		"$@" "$BOOTPIPE" run "$DEMO" --until fetch-rootfs -q \
			--set "resolve-request.store=$dir" >"$WORK/$name.out" \
			2>"$WORK/$name.err" </dev/null
		rc=$?
	}
	no_temporaries() {
		local left
		left=$(find "$1" -name '*.tmp' -o -name '*.part' 2>/dev/null)
		[ -z "$left" ] || fail "left behind: $left"
	}

	touch "$WORK/a-file"
	store "$WORK/a-file/store" store-not-dir
	expect_rc 3
	has err "cannot create $WORK/a-file/store: Not a directory"

	# Root ignores mode bits, so as root the read-only store is a sysfs
	# directory, where nobody may create files.
	if [ "$(id -u)" = 0 ]; then
		ro=/sys/kernel
	else
		ro=$WORK/ro
		mkdir -p "$ro"
		chmod 555 "$ro"
	fi
	store "$ro" store-read-only
	expect_rc 3
	has err "$ro/"
	has err "Permission denied"

	# A full disk, as the file size limit: EFBIG, not death by SIGXFSZ
	store "$WORK/full" store-full bash -c 'ulimit -f 1024 && exec "$@"' limit
	expect_rc 3
	has err "File too large"
	no_temporaries "$WORK/full"
	[ ! -e "$WORK/full/rootfs-aarch64-alpine.img.sha256" ] || fail "a marker vouches for a cut image"
	# ...and the next run, with room, completes it
	store "$WORK/full" store-after-full
	expect_rc 0
	no_temporaries "$WORK/full"
fi

echo "$cases cases, $failures failures"
[ "$failures" = 0 ]
