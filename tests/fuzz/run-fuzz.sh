#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each, seeded from the project's
# own test data, and prints one summary line per target (runs executed,
# corpus size, crashes). Exit 1 when any target found a crash.
#   run-fuzz.sh BUILD_DIR SECONDS
set -u
build=$(cd "$1" && pwd)
secs=${2:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
fz=$build/fuzz
work=$build/fuzz-work
mkdir -p "$work"

seed() { # seed TARGET: fills $work/corpus-TARGET from the project data
	local t=$1 c=$work/corpus-$1
	mkdir -p "$c"
	case $t in
	toml)
		cp "$src"/tests/data/axvisor-ws/os/axvisor/configs/qemu/*.toml "$c"/
		find "$src"/tests/data -name '*.toml' -exec cp {} "$c"/ \; ;;
	pipeline)
		cp "$src"/tests/pipelines/cases/*.ini "$src"/pipelines/*.ini "$c"/ ;;
	drive)
		grep -rhoE -- '"[^"]*(file|if|format|id)=[^"]*"' \
			"$src"/tests/unit/test_drive.c "$src"/tests/data |
			tr -d '"' | while IFS= read -r l; do
			printf '%s' "$l" >"$c/$(printf '%s' "$l" | md5sum | cut -c1-12)"
		done ;;
	qemu_args) # flags byte, then the ostool TOMLs' args one per line
		python3 - "$c" "$src"/tests/data/axvisor-ws/os/axvisor/configs/qemu/*.toml <<-'PY'
		import hashlib, os, sys, tomllib
		for f in sys.argv[2:]:
		    args = tomllib.load(open(f, 'rb')).get('args') or []
		    for flags in (0, 1, 2, 5, 0x41):
		        d = bytes([flags]) + '\n'.join(args).encode()
		        open(os.path.join(sys.argv[1], hashlib.md5(d).hexdigest()[:12]), 'wb').write(d)
		PY
		;;
	matcher)
		cp "$src"/tests/fuzz/seeds/matcher/* "$c"/ ;;
	registry)
		cp "$src"/tests/fuzz/seeds/registry/* "$c"/
		for r in "$build"/demo/registry "$build"/share/bootpipe/demo/registry; do
			[ -d "$r" ] && cp "$r"/*.toml "$c"/
		done ;;
	url_ref) # RFC 3986, 5.4's base and references, and hostile ones
		for r in g ./g ../../g /g //g '?y' '#s' '' . .. g/./h g/../h \
			file:///etc/passwd /etc/shadow ../../../../etc/x; do
			printf 'http://a/b/c/d;p?q\n%s' "$r" \
				>"$c/$(printf '%s' "$r" | md5sum | cut -c1-12)"
		done ;;
	part_write) # a limit, then chunks: under, at and past it
		printf '\x00\x10\x04abcd\x0c0123456789ab\x01z' >"$c/at-limit"
		printf '\x00\x02\x03abc' >"$c/past-limit"
		printf '\xff\xff\xffxx' >"$c/short-chunk" ;;
	esac
}

status=0
for t in toml pipeline drive qemu_args matcher registry url_ref part_write; do
	[ -x "$fz/fuzz_$t" ] || { echo "fuzz_$t: not built"; status=1; continue; }
	seed "$t"
	mkdir -p "$work/artifacts-$t"
	"$fz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/artifacts-$t/" \
		"$work/corpus-$t" >"$work/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
	crashes=$(find "$work/artifacts-$t" -type f | wc -l)
	printf 'fuzz_%-10s %4ss  %9s runs  corpus %5s  artifacts %s  rc %s\n' \
		"$t" "$secs" "${runs:-?}" "$(ls "$work/corpus-$t" | wc -l)" \
		"$crashes" "$rc"
	if [ "$rc" != 0 ]; then
		status=1
		grep -m1 -A12 'ERROR\|deadly signal\|timeout' "$work/$t.log"
	fi
done
exit $status
