#!/usr/bin/env bash
# Data-driven pipeline cases: each cases/NAME.ini runs through the real
# CLI with the fixture plugins, and its exit code and stderr must equal
# cases/NAME.expected; cases/NAME.trace, when present, is the expected
# order of init/run/cleanup calls; cases/NAME.args holds extra arguments
# and cases/NAME.env VAR=VALUE lines for that case only. Plugins other
# users can write live under @WORK@ (in .args and the expected text):
# unsafe-dir/ is world-writable, and so is unsafe-file/fx-ok.so;
# group-dir/ and group-file/fx-ok.so are group-writable; safe-link/ links
# into unsafe-dir/; unsafe-parent/ (world-writable, not sticky) holds a
# safe directory. A GDB port (--debug picks a free one) is written @PORT@.
# other-owner/fx-ok.so belongs to a throw-away second
# user, made with useradd when running as root (cases/NAME.user marks the
# cases that need it; they are skipped without it) and removed on exit.
#   run-cases.sh BOOTPIPE FIXTURE_DIR BUILD_PLUGIN_DIR INSTALL_PLUGIN_DIR
set -u
bootpipe=$1 fixtures=$2 build_plugins=$3 install_plugins=$4
here=$(cd "$(dirname "$0")/cases" && pwd)
work=$(mktemp -d)
other=
cleanup() {
	rm -rf "$work"
	[ -n "$other" ] && userdel "$other" 2>/dev/null
}
trap cleanup EXIT
pass=0 fail=0 skip=0

normalise() {
	sed -e "s|$fixtures|@FIXTURES@|g" -e "s|$build_plugins|@PLUGINS@|g" \
	    -e "s|$install_plugins|@INSTALL_PLUGINS@|g" -e "s|$here|@CASES@|g" \
	    -e "s|$work|@WORK@|g" -e "s|uid $other_uid,|uid @OTHER_UID@,|g" \
	    -e "s|(uid $(id -u))|(uid @UID@)|g" \
	    -e "s|127\.0\.0\.1:[0-9]*|127.0.0.1:@PORT@|g" \
	    -e "s|target remote :[0-9]*|target remote :@PORT@|g"
}

unset BOOTPIPE_PLUGIN_PATH BOOTPIPE_OFFLINE
# cases run outside any workspace: their own user cache, not the real one
export XDG_CACHE_HOME=$work/cache
mkdir -p "$work/unsafe-dir" "$work/unsafe-file"
cp "$fixtures/fx-ok.so" "$work/unsafe-dir/"
cp "$fixtures/fx-ok.so" "$work/unsafe-file/"
chmod 0777 "$work/unsafe-dir"
chmod 0666 "$work/unsafe-file/fx-ok.so"
mkdir -p "$work/group-dir" "$work/group-file" "$work/safe-link" "$work/unsafe-parent/safe"
cp "$fixtures/fx-ok.so" "$work/group-dir/"
cp "$fixtures/fx-ok.so" "$work/group-file/"
cp "$fixtures/fx-ok.so" "$work/unsafe-parent/safe/"
chmod 0775 "$work/group-dir"
chmod 0664 "$work/group-file/fx-ok.so"
ln -s "$work/unsafe-dir/fx-ok.so" "$work/safe-link/fx-ok.so"
chmod 0777 "$work/unsafe-parent"
other_uid=none
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null &&
	useradd --system --no-create-home --shell /usr/sbin/nologin "bp-other-$$" 2>/dev/null; then
	other=bp-other-$$
	other_uid=$(id -u "$other")
	mkdir -p "$work/other-owner"
	cp "$fixtures/fx-ok.so" "$work/other-owner/"
	chown "$other" "$work/other-owner/fx-ok.so"
fi
cd "$here" || exit 1
for ini in *.ini; do
	name=${ini%.ini}
	[ -f "$name.expected" ] || continue
	if [ -f "$name.user" ] && [ -z "$other" ]; then
		echo "SKIP: $name (needs root and useradd for a second user)"
		skip=$((skip + 1))
		continue
	fi
	rm -f "$work/trace"
	args=()
	[ -f "$name.args" ] && read -r -a args <"$name.args"
	args=("${args[@]//@WORK@/$work}")
	envs=()
	[ -f "$name.env" ] && mapfile -t envs <"$name.env"
	env "${envs[@]}" TRACE="$work/trace" NO_COLOR=1 "$bootpipe" run "$ini" \
		--plugin-dir "$fixtures" "${args[@]}" >"$work/out" 2>"$work/err"
	code=$?
	{ echo "exit $code"; normalise <"$work/err"; } >"$work/got"
	ok=1
	if ! diff -u "$name.expected" "$work/got" >"$work/diff"; then
		ok=0
	fi
	if [ -f "$name.trace" ] && ! diff -u "$name.trace" "$work/trace" >>"$work/diff" 2>&1; then
		ok=0
	fi
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $name"
		cat "$work/diff"
	fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
