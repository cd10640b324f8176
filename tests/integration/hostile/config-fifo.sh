#!/usr/bin/env bash
# A FIFO or a device named as a pipeline file or an include is refused at
# once by every command that reads pipelines (check, plan, matrix,
# pipelines), with the file, line and kind named; none of them waits for
# a writer that never comes.
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

if [ "$failures" -ne 0 ]; then
	echo "$failures failures"
	exit 1
fi
echo "PASS (config files that are not regular files)"
