#!/bin/sh
# TOML reader benchmark: generates a large document, times the bootpipe
# reader (parse only) and Python's tomllib on the same file, and prints the
# throughput, the peak RSS and the speed ratio.
#
# usage: tests/bench/toml.sh [SIZE_MB]   (CC, CFLAGS may be overridden)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
size=${1:-32}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

${CC:-cc} ${CFLAGS:--O2 -g} -std=c11 -D_GNU_SOURCE -I"$src/include" \
	"$here/toml-bench.c" "$src/core/toml.c" -lm -o "$work/toml-bench"
python3 "$here/gen-toml.py" "$work/doc.toml" "$size"
bytes=$(wc -c <"$work/doc.toml")
echo "document: $bytes bytes"

ours=$("$work/toml-bench" "$work/doc.toml" 3)
echo "bootpipe: $ours"

base=$(python3 - "$work/doc.toml" <<'PY'
import resource, sys, time, tomllib
with open(sys.argv[1], "rb") as f:
    data = f.read().decode()
t0 = time.monotonic()
tomllib.loads(data)
dt = time.monotonic() - t0
print("seconds=%.4f mb_per_s=%.1f peak_rss_kb=%d" % (
    dt, len(data.encode()) / 1e6 / dt,
    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
PY
)
echo "tomllib:  $base"

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
awk -v a="$(field "$ours" mb_per_s)" -v b="$(field "$base" mb_per_s)" \
	-v ra="$(field "$ours" peak_rss_kb)" -v rb="$(field "$base" peak_rss_kb)" \
	'BEGIN { printf "speed: %.1fx tomllib; peak RSS: %.2fx tomllib\n", a / b, ra / rb }'
