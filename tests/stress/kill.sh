#!/usr/bin/env bash
# 50 demo runs killed with SIGKILL at a random moment, with an empty store
# each time so the kill lands in fetch (download, extraction) or launch
# (QEMU booting). After each: no QEMU outlives bootpipe, a clean run
# passes, and `bootpipe image verify` accepts the store.
#   BUILD=build KILLS=50 tests/stress/kill.sh
set -u
. "$(dirname "$0")/common.sh"
KILLS=${KILLS:-50}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
demo_copy "$T"
store=$T/workspace/tmp/axbuild/rootfs
bad=0 in_fetch=0 in_launch=0 finished=0
for i in $(seq "$KILLS"); do
	rm -rf "$store"
	"$BOOTPIPE" run "$DEMO" --workspace "$T/workspace" -q -v \
		>"$T/out" 2>"$T/err" </dev/null &
	bp=$!
	# the whole demo takes about 0.2 s, its fetch the first 30 ms or so:
	# every other kill lands in 0-40 ms, the rest in 0-200 ms
	if [ $((i % 2)) = 0 ]; then
		delay=$((RANDOM % 40))
	else
		delay=$((RANDOM % 200))
	fi
	sleep "0.$(printf '%03d' $delay)"
	kill -KILL $bp 2>/dev/null
	wait $bp 2>/dev/null
	rc=$?
	if [ "$rc" != 137 ]; then
		finished=$((finished + 1))
	elif grep -q "starting qemu" "$T/err"; then
		in_launch=$((in_launch + 1))
	else
		in_fetch=$((in_fetch + 1))
	fi
	sleep 0.2
	orphans=$(qemu_pids "$T/")
	if [ -n "$orphans" ]; then
		echo "kill $i: QEMU $orphans outlived bootpipe"
		kill -KILL $orphans
		bad=$((bad + 1))
	fi
	if ! "$BOOTPIPE" run "$DEMO" --workspace "$T/workspace" -q >"$T/out2" 2>"$T/err2" </dev/null; then
		echo "kill $i: the clean run after it failed:"
		tail -5 "$T/err2"
		bad=$((bad + 1))
	fi
	if ! "$BOOTPIPE" image verify --pipeline "$DEMO" --workspace "$T/workspace" >"$T/verify" 2>&1; then
		echo "kill $i: image verify refused the store:"
		cat "$T/verify"
		bad=$((bad + 1))
	fi
	left=$(find "$store" -name '*.tmp' -o -name '*.part' 2>/dev/null)
	[ -z "$left" ] || { echo "kill $i: left in the store: $left"; bad=$((bad + 1)); }
done
echo "kill: $KILLS runs killed ($in_fetch in fetch, $in_launch in launch, $finished had finished), $bad problems"
[ "$bad" = 0 ]
