#!/usr/bin/env bash
# 32 demo runs at once on one workspace, so one image store: the rootfs is
# downloaded once (the others wait on the store lock and find it ready),
# every run passes, and the store verifies afterwards.
#   BUILD=build RUNS=32 tests/stress/concurrent.sh
set -u
. "$(dirname "$0")/common.sh"
RUNS=${RUNS:-32}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
demo_copy "$T"
start=$(date +%s.%N)
pids=()
for i in $(seq "$RUNS"); do
	"$BOOTPIPE" run "$DEMO" --workspace "$T/workspace" -q \
		>"$T/out.$i" 2>"$T/err.$i" </dev/null &
	pids+=($!)
done
failed=0
for i in $(seq "$RUNS"); do
	wait "${pids[$((i - 1))]}" || { failed=$((failed + 1)); tail -3 "$T/err.$i"; }
done
secs=$(awk "BEGIN { print $(date +%s.%N) - $start }")
downloads=$(cat "$T"/err.* | grep -c "downloading")
waited=$(cat "$T"/err.* | grep -c "waiting for another run")
"$BOOTPIPE" image verify --pipeline "$DEMO" --workspace "$T/workspace" >"$T/verify" 2>&1
verify=$?
printf 'concurrent: %d runs in %.1f s, %d failed, %d download(s), %d waited on the lock, image verify exit %d\n' \
	"$RUNS" "$secs" "$failed" "$downloads" "$waited" "$verify"
[ "$failed" = 0 ] && [ "$downloads" = 1 ] && [ "$verify" = 0 ]
