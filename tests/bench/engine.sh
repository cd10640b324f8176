#!/usr/bin/env bash
# Engine overhead: median wall time and peak RSS of `bootpipe check` and
# `bootpipe plan` on a five-stage pipeline of fixture plugins and on the
# shipped pipelines (qemu-aarch64, the demo), beside /bin/true measured in
# the same run. Goal: under 5 ms and 8 MB over it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-$here/../../build}
bootpipe=$build/bin/bootpipe
fixtures=$build/tests/plugins
runs=${RUNS:-50}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/five.ini" <<'INI'
[pipeline]
name = five-fixtures
stages = one two three four five

[one]
plugin = fx-ok
value = ${workspace}/a

[two]
plugin = fx-consumer
count = 2

[three]
plugin = fx-second
argv = qemu-system-aarch64
       -machine
       virt

[four]
plugin = fx-consumer
mode = slow

[five]
plugin = fx-ok
INI

timed() { "$build/tests/run-timed" "$runs" "$@"; }
read -r true_ms true_kib < <(timed /bin/true)
read -r check_ms check_kib < <(timed "$bootpipe" check --plugin-dir "$fixtures" "$work/five.ini")
read -r plan_ms plan_kib < <(timed "$bootpipe" plan --plugin-dir "$fixtures" --workspace "$work" "$work/five.ini")
# the shipped pipelines load the shipped plugins (libcurl and libarchive
# are loaded only to download or unpack); the demo in a private cache
pipelines=$here/../../pipelines
export XDG_CACHE_HOME=$work/cache
read -r qcheck_ms qcheck_kib < <(timed "$bootpipe" check "$pipelines/qemu-aarch64.ini")
read -r dcheck_ms dcheck_kib < <(timed "$bootpipe" check "$pipelines/demo-aarch64.ini")
read -r dplan_ms dplan_kib < <(timed "$bootpipe" plan -q "$pipelines/demo-aarch64.ini")

report() {
	awk -v n="$1" -v ms="$2" -v kib="$3" -v tms="$true_ms" -v tkib="$true_kib" 'BEGIN {
		printf "%-22s %8.2f ms  (x%.1f of /bin/true, +%.2f ms)  %6d KiB peak RSS (+%d KiB)\n",
			n, ms, ms / tms, ms - tms, kib, kib - tkib }'
}
echo "engine overhead, median of $runs runs"
report "/bin/true (baseline)" "$true_ms" "$true_kib"
report "bootpipe check" "$check_ms" "$check_kib"
report "bootpipe plan" "$plan_ms" "$plan_kib"
report "check qemu-aarch64" "$qcheck_ms" "$qcheck_kib"
report "check demo-aarch64" "$dcheck_ms" "$dcheck_kib"
report "plan demo-aarch64" "$dplan_ms" "$dplan_kib"
