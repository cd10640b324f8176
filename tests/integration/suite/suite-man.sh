#!/bin/bash
# Every option `bootpipe test --help` prints is documented in the test
# entry of docs/bootpipe.1 (the source, so that line breaks and hyphenation
# of the rendered page do not matter).
# usage: suite-man.sh BUILD_DIR SOURCE_DIR
set -u
build=$1 src=$2
fail() { echo "FAIL: $*"; exit 1; }

help=$("$build/bin/bootpipe" test --help) || fail "test --help"
opts=$(printf '%s\n' "$help" | grep -oE '(^|[[ |])--?[a-z][a-z-]*' |
	sed -E 's/^[[ |]//' | sort -u)
[ "$(printf '%s\n' "$opts" | wc -l)" -ge 15 ] || fail "too few options in --help: $opts"
# the entry from `.B test` to the next command, escapes undone
entry=$(sed -n '/^\.B test /,/^\.B image /p' "$src/docs/bootpipe.1" |
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g')
[ -n "$entry" ] || fail "no test entry in docs/bootpipe.1"
missing=
for o in $opts; do
	printf '%s\n' "$entry" | grep -qE -- "(^|[^a-z-])$o([^a-z-]|$)" ||
		missing="$missing $o"
done
[ -z "$missing" ] || fail "options of bootpipe test --help missing from docs/bootpipe.1:$missing"
echo PASS
