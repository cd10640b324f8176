#!/usr/bin/env bash
# Matcher throughput: `bootpipe replay` with the eight AxVisor-style
# patterns against `grep -E -c` with equivalent ones, on ~SIZE MB of
# generated console output (long and short lines, ANSI colours, no match
# until the last line). Prints MB/s of both, the ratio and peak RSS at two
# log sizes (RSS must not grow with the log).
#   matcher.sh [BUILD_DIR] [SIZE_MB]   (default: $BUILD or build; 200)
set -eu

if [ ! -x /usr/bin/time ]; then
	echo "skip: GNU time (/usr/bin/time) is needed for peak RSS"
	exit 77
fi

BUILD=$(cd "${1:-${BUILD:-$(dirname "$0")/../../build}}" && pwd)
SIZE=${2:-200}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
WORK=$BUILD/tests/bench-work
BOOTPIPE=$BUILD/bin/bootpipe
FIXTURES=$BUILD/tests/integration/launch/plugins
mkdir -p "$WORK"

LOG=$WORK/console-$SIZE.log
[ -s "$LOG" ] || python3 "$HERE/gen-console.py" "$SIZE" "$LOG"
SMALL=$WORK/console-small.log
head -c $((SIZE * 1024 * 1024 / 10)) "$LOG" >"$SMALL"

cat >"$WORK/bench.ini" <<'INI'
[pipeline]
name   = matcher-bench
stages = set-ctx launch

[set-ctx]
argv = qemu-system-aarch64

[launch]
success_regex = (?m)^guest test pass!\s*$
                ~ #
fail_regex    = (?i)\bpanic(?:ked)?\b
                (?i)kernel panic
                (?i)login incorrect
                (?i)\berror\b
                (?i)assertion failed
                (?i)segmentation fault
INI

# measure CMD...: prints "seconds maxrss_kb" of CMD (output discarded).
# GNU time is small, so its fork does not inflate the child's peak RSS
# the way a fork of a Python interpreter would.
measure() {
	local t
	t=$(mktemp)
	/usr/bin/time -f '%e %M' -o "$t" "$@" >/dev/null 2>&1 || true
	tail -n 1 "$t"
	rm -f "$t"
}

replay() {
	measure "$BOOTPIPE" replay "$WORK/bench.ini" "$1" --plugin-dir "$FIXTURES" \
		--workspace "$WORK" -q
}

grep_e() {
	measure grep -E -c -i -e '^guest test pass![[:space:]]*$' \
		-e '\bpanic(ked)?\b' -e 'kernel panic' -e 'login incorrect' \
		-e '~ #' -e '\berror\b' -e 'assertion failed' \
		-e 'segmentation fault' "$1"
}

cat "$LOG" >/dev/null # warm the page cache for both
bytes=$(stat -L -c %s "$LOG")
verdict=$("$BOOTPIPE" replay "$WORK/bench.ini" "$LOG" --plugin-dir "$FIXTURES" \
	--workspace "$WORK" -q 2>/dev/null || true)
read -r bp_s bp_rss < <(replay "$LOG")
read -r gr_s gr_rss < <(grep_e "$LOG")
read -r _ small_rss < <(replay "$SMALL")
# the matcher alone, without the CLI around it (tests/tools/matcher-bench)
mb_args=(-s '(?m)^guest test pass!\s*$' -s '~ #' -f '(?i)\bpanic(?:ked)?\b'
	-f '(?i)kernel panic' -f '(?i)login incorrect' -f '(?i)\berror\b'
	-f '(?i)assertion failed' -f '(?i)segmentation fault')
read -r mb_s mb_rss < <(measure "$BUILD/tests/matcher-bench" "${mb_args[@]}" "$LOG")

python3 - "$bytes" "$bp_s" "$gr_s" "$bp_rss" "$gr_rss" "$small_rss" "$verdict" \
	"$mb_s" "$mb_rss" <<'PY'
import sys
b, bp, gr = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
bp_rss, gr_rss, small_rss = map(int, sys.argv[4:7])
mbs, mb_rss = float(sys.argv[8]), int(sys.argv[9])
mb = b / 1048576
print("log            %.0f MB" % mb)
print("verdict        %s" % sys.argv[7])
print("bootpipe       %.1f MB/s (%.2f s), peak RSS %d KiB" % (mb / bp, bp, bp_rss))
print("matcher alone  %.1f MB/s (%.2f s), peak RSS %d KiB" % (mb / mbs, mbs, mb_rss))
print("grep -E -c -i  %.1f MB/s (%.2f s), peak RSS %d KiB" % (mb / gr, gr, gr_rss))
print("ratio          %.2f of grep's speed (goal: >= 0.5)" % (gr / bp))
print("RSS at %.0f MB  %d KiB (flat: %+d KiB for 10x the log)" % (mb / 10, small_rss, bp_rss - small_rss))
ok = gr / bp >= 0.5 and bp_rss - small_rss < 4096
sys.exit(0 if ok else 1)
PY
