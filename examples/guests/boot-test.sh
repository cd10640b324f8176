#!/bin/sh
# Boots a demo guest with the QEMU command line given after `--` and checks
# its console: every --expect LINE must appear as a whole line, no --reject
# LINE may, and QEMU must power off by itself with status 0 within 60 s.
# usage: boot-test.sh [--expect LINE]... [--reject LINE]... -- QEMU ARGS...
set -u

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/expect"
: >"$tmp/reject"

while [ $# -gt 0 ]; do
	case $1 in
	--expect) printf '%s\n' "$2" >>"$tmp/expect"; shift 2 ;;
	--reject) printf '%s\n' "$2" >>"$tmp/reject"; shift 2 ;;
	--) shift; break ;;
	*) echo "boot-test: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ $# -eq 0 ]; then
	echo "boot-test: no QEMU command after --" >&2
	exit 2
fi

timeout 60 "$@" </dev/null >"$tmp/raw" 2>&1
rc=$?
tr -d '\r' <"$tmp/raw" >"$tmp/console"
cat "$tmp/console"

status=0
if [ $rc -eq 124 ]; then
	echo "boot-test: QEMU did not power off within 60 s" >&2
	status=1
elif [ $rc -ne 0 ]; then
	echo "boot-test: QEMU exited with status $rc" >&2
	status=1
fi
while IFS= read -r line; do
	if ! grep -qxF -- "$line" "$tmp/console"; then
		echo "boot-test: expected line missing: $line" >&2
		status=1
	fi
done <"$tmp/expect"
while IFS= read -r line; do
	if grep -qxF -- "$line" "$tmp/console"; then
		echo "boot-test: unwanted line present: $line" >&2
		status=1
	fi
done <"$tmp/reject"
exit $status
