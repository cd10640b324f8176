#!/usr/bin/env bash
# 1 GiB of console output at full speed through launch (fake QEMU), then
# the success line: the verdict is right and bootpipe's peak RSS stays
# flat. The console log goes to a scratch directory removed afterwards.
#   BUILD=build FLOOD_BYTES=1073741824 tests/stress/flood.sh
set -u
. "$(dirname "$0")/common.sh"
BYTES=${FLOOD_BYTES:-1073741824}
FAKE=$BUILD/tests/fake-qemu
FIXTURES=$BUILD/tests/integration/launch/plugins
PIPE=$(cd "$(dirname "$0")/../integration/launch" && pwd)/launch.ini
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$T/rss" "$BOOTPIPE" run "$PIPE" --plugin-dir "$FIXTURES" \
	--workspace "$T" -q --set launch.timeout=600 \
	--set "set-ctx.argv=$FAKE" --set "set-ctx.argv=flood:$BYTES" \
	--set 'set-ctx.argv=print:guest test pass!' >"$T/out" 2>"$T/err" </dev/null
rc=$?
secs=$(awk "BEGIN { print $(date +%s.%N) - $start }")
log=$(find "$T" -name '*.log' | head -1)
size=$(stat -c %s "$log" 2>/dev/null || echo 0)
peak=$(tail -1 "$T/rss")
printf 'flood: %d bytes in %.1f s (%.0f MB/s), exit %d, console log %d bytes, bootpipe peak RSS %s KiB\n' \
	"$BYTES" "$secs" "$(awk "BEGIN { print $BYTES / $secs / 1000000 }")" "$rc" "$size" "$peak"
[ "$rc" = 0 ] || tail -5 "$T/err"
[ "$rc" = 0 ] && [ "$peak" -lt 65536 ]
