#!/usr/bin/env bash
# The CI examples (examples/ci/) as a CI author copies them: their own
# commands, taken from the YAML by ci-steps.py, run here.
#   lint-matrix     the lint and matrix commands of both files against the
#                   shipped pipelines: include-only files skipped, the
#                   matrix one line of JSON naming installed pipelines
#   empty-shard     a shard beyond the pipeline count, or no pipeline at
#                   all, is an error (exit 2) that says so, also in the
#                   GitLab job
#   pkg-config      examples/stages/build-kernel built with the documented
#                   `make PKG_CONFIG_PATH=...` against a staged install
#   workflows       the files parse; the permissions the JUnit action
#                   needs; an installed tree handed over, not build/; the
#                   console logs uploaded whatever the outcome
#   github-handoff  the build job's steps, then each boot job's in another
#                   directory with only the tarball: every demo passes,
#                   reports and console logs where the upload takes them
#   gitlab-handoff  the same with the GitLab jobs, one runner per shard
# Usage: ci-test.sh CASE   (BUILD, WORK, SANITIZE from ctest)
set -u
case=$1
build=${BUILD:?}
src=$(cd "$(dirname "$0")/../../.." && pwd)
steps="python3 $src/tests/integration/ci/ci-steps.py"
gh=$src/examples/ci/github-actions.yml
gl=$src/examples/ci/gitlab-ci.yml
export NO_COLOR=1
unset BOOTPIPE_PLUGIN_PATH BOOTPIPE_OFFLINE BOOTPIPE_DEFAULT_PIPELINE PKG_CONFIG_PATH

mkdir -p "${WORK:?}"
tmp=$(mktemp -d "$WORK/$case.XXXXXX")
export XDG_CACHE_HOME=$tmp/cache # the demo workspace
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL ($case): $*"
	for f in "$tmp"/out "$tmp"/err; do
		[ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }
	done
	trap - EXIT
	echo "kept $tmp"
	exit 1
}
skip() { echo "SKIP: $*"; exit 77; }
has() { grep -qF -- "$1" "$2" || fail "$2 lacks: $1"; }
python3 -c 'import yaml' 2>/dev/null || skip "no python3-yaml"

# checkout DIR: a runner's checkout of the sources with build/ already
# built (the steps that install packages and build are not run here)
checkout() {
	mkdir -p "$1"
	ln -s "$src/pipelines" "$1/pipelines"
	ln -s "$build" "$1/build"
}

# github_step DIR JOB STEP [ENTRY]: run that step's `run:` in DIR as the
# runner does (bash -eo pipefail), output in $tmp/out and $tmp/err
github_step() {
	$steps github "$gh" "$2" "$3" ${4:+"$4"} >"$tmp/step.sh" || fail "no step $2/$3"
	(cd "$1" && bash --noprofile --norc -eo pipefail "$tmp/step.sh") >"$tmp/out" 2>"$tmp/err"
}

# github_build DIR: the build job's steps after the build
github_build() {
	checkout "$1"
	export GITHUB_OUTPUT=$1/github-output
	: >"$GITHUB_OUTPUT"
	github_step "$1" build Install || fail "Install step"
	github_step "$1" build "Lint the pipelines" || fail "Lint step"
	cp "$tmp/out" "$tmp/lint"
	github_step "$1" build Matrix || fail "Matrix step"
}

# gitlab_job DIR JOB: the job's script (less setup) in DIR
gitlab_job() {
	$steps gitlab "$gl" "$2" >"$tmp/job.sh" || fail "no job $2"
	(cd "$1" && bash --noprofile --norc -eo pipefail "$tmp/job.sh") >"$tmp/out" 2>"$tmp/err"
}

# check_matrix FILE DIR: FILE is one line of JSON, the demo pipelines of
# the installed tree in DIR, no include-only file
check_matrix() {
	python3 - "$1" "$2" <<'PY' || fail "matrix $1"
import json, os, sys
text = open(sys.argv[1]).read()
assert text.count("\n") == 1 and text.endswith("\n"), "one line"
m = json.loads(text)
names = sorted(e["name"] for e in m["include"])
assert names == ["demo-aarch64", "demo-x86_64"], names
for e in m["include"]:
    assert e["pipeline"].startswith("stage/share/bootpipe/pipelines/"), e
    assert os.path.isfile(os.path.join(sys.argv[2], e["pipeline"])), e
    assert "axvisor-common" not in e["pipeline"], e
PY
}

case_lint_matrix() {
	local a=$tmp/a
	github_build "$a"
	# lint: every shipped pipeline checked, the include-only one skipped
	has "pipelines/axvisor-common.ini: include-only, skipped" "$tmp/lint"
	[ "$(grep -c ': ok (' "$tmp/lint")" = "$(($(ls "$src"/pipelines/*.ini | wc -l) - 1))" ] ||
		fail "not every pipeline linted: $(cat "$tmp/lint")"
	[ "$(wc -l <"$a/github-output")" = 1 ] || fail "GITHUB_OUTPUT: $(cat "$a/github-output")"
	sed -n 's/^matrix=//p' "$a/github-output" >"$tmp/matrix.json"
	check_matrix "$tmp/matrix.json" "$a"
	# every shipped pipeline of the installed tree: the include-only one is no job
	(cd "$a" && stage/bin/bootpipe matrix stage/share/bootpipe/pipelines/*.ini) \
		>"$tmp/all.json" 2>"$tmp/err" || fail "matrix of all shipped pipelines"
	has "axvisor-common.ini: include-only, not a job" "$tmp/err"
	python3 - "$tmp/all.json" "$(ls "$a"/stage/share/bootpipe/pipelines/*.ini | wc -l)" <<'PY' ||
import json, sys
m = json.load(open(sys.argv[1]))
files = [e["pipeline"] for e in m["include"]]
assert len(files) == int(sys.argv[2]) - 1, files
assert not [f for f in files if f.endswith("axvisor-common.ini")], files
PY
		fail "matrix of all shipped pipelines"
	# GitLab's build job: the same lint, matrix.json beside the tarball
	local g=$tmp/g
	checkout "$g"
	gitlab_job "$g" build || fail "GitLab build job"
	has "pipelines/axvisor-common.ini: include-only, skipped" "$tmp/out"
	check_matrix "$g/matrix.json" "$g"
	[ -s "$g/bootpipe-stage.tar.gz" ] || fail "GitLab build job made no tarball"
}

case_empty_shard() {
	local B=$build/bin/bootpipe demos=("$src"/pipelines/demo-*.ini)
	"$B" matrix --shard 3/3 "${demos[@]}" >"$tmp/out" 2>"$tmp/err"
	[ $? = 2 ] || fail "shard 3/3 of ${#demos[@]}: expected exit 2"
	has "shard 3/3 is empty: ${#demos[@]} pipelines for 3 shards; use at most ${#demos[@]} shards" "$tmp/err"
	[ ! -s "$tmp/out" ] || fail "an empty shard printed a matrix"
	# nothing but include-only files: no pipeline at all
	"$B" matrix "$src/pipelines/axvisor-common.ini" >"$tmp/out" 2>"$tmp/err"
	[ $? = 2 ] || fail "only include-only files: expected exit 2"
	has "no pipeline for the matrix: every file given is include-only" "$tmp/err"
	[ ! -s "$tmp/out" ] || fail "no pipeline printed a matrix"
	"$B" matrix >"$tmp/out" 2>"$tmp/err"
	[ $? = 2 ] || fail "no file: expected exit 2"
	has "matrix needs at least one pipeline file" "$tmp/err"
	# a GitLab job of a shard with no pipeline fails, and boots nothing
	local g=$tmp/g
	checkout "$g"
	gitlab_job "$g" build || fail "GitLab build job"
	rm "$g/build"
	CI_NODE_INDEX=3 CI_NODE_TOTAL=3 gitlab_job "$g" boot
	[ $? != 0 ] || fail "GitLab job of an empty shard passed"
	has "shard 3/3 is empty" "$tmp/err"
	[ -z "$(ls "$g/reports" 2>/dev/null)" ] || fail "an empty shard wrote reports"
}

case_pkg_config() {
	local prefix=$tmp/prefix ex=$tmp/build-kernel libdir
	cmake --install "$build" --prefix "$prefix" >"$tmp/out" 2>"$tmp/err" || fail "cmake --install"
	libdir=$(cd "$prefix" && dirname "$(ls -d lib*/libbootpipe.so lib/*/libbootpipe.so 2>/dev/null | head -n 1)")
	[ -f "$prefix/$libdir/pkgconfig/bootpipe.pc" ] || fail "no bootpipe.pc under $prefix"
	cp -a "$src/examples/stages/build-kernel" "$ex"
	rm -f "$ex/build-kernel.so"
	local cflags="-O2 -Wall -Wextra -Werror"
	# an ASan libbootpipe: the plugin is built as the library was
	[ "${SANITIZE:-OFF}" = ON ] && cflags+=" -fsanitize=address,undefined"
	# the documented form: a make variable, not the environment
	make -C "$ex" PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" CFLAGS="$cflags" \
		>"$tmp/out" 2>"$tmp/err" || fail "make PKG_CONFIG_PATH=..."
	has "-I$prefix/$libdir/pkgconfig/../../include" "$tmp/out"
	[ -f "$ex/build-kernel.so" ] || fail "no build-kernel.so"
	"$prefix/bin/bootpipe" describe build-kernel --plugin-dir "$ex" >"$tmp/out" 2>"$tmp/err" ||
		fail "the installed bootpipe does not load build-kernel.so"
	has "file: $ex/build-kernel.so" "$tmp/out"
	make -C "$ex" install PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" DESTDIR="$tmp/dest" \
		>"$tmp/out" 2>"$tmp/err" || fail "make install PKG_CONFIG_PATH=..."
	[ -f "$(readlink -m "$tmp/dest/$prefix/$libdir/bootpipe/plugins/build-kernel.so")" ] ||
		fail "not installed into the plugin directory: $(find "$tmp/dest" -type f)"
	# without it: a message that names the fix (when no bootpipe.pc is
	# installed on this machine)
	if ! pkg-config --exists bootpipe 2>/dev/null; then
		make -C "$ex" clean >/dev/null
		make -C "$ex" >"$tmp/out" 2>"$tmp/err" && fail "make without bootpipe.pc passed"
		has "finds no bootpipe.pc; point it at the installed one: make PKG_CONFIG_PATH=" "$tmp/err"
	fi
}

case_workflows() {
	python3 - "$gh" "$gl" <<'PY' || fail "CI examples"
import sys, yaml
gh = yaml.safe_load(open(sys.argv[1]))
# the default token of a repository may be read-write: say what is needed
assert gh.get("permissions") == {"contents": "read"}, gh.get("permissions")
jobs = gh["jobs"]
build = [j for j in jobs.values() if "outputs" in j][0]
boot = [j for j in jobs.values() if "strategy" in j][0]
# mikepenz/action-junit-report creates a check run
junit = [s for s in boot["steps"] if s.get("uses", "").startswith("mikepenz/action-junit-report@")]
assert junit and junit[0].get("if") == "always()", junit
assert boot["permissions"] == {"contents": "read", "checks": "write"}, boot.get("permissions")
# the handoff: a tarball of an installed tree, never build/
runs = " ".join(s.get("run", "") for s in build["steps"])
assert 'cmake --install build --prefix "$PWD/stage"' in runs, runs
up = [s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
assert len(up) == 1 and up[0]["with"]["path"] == "bootpipe-stage.tar.gz", up
assert "build/" not in str(boot), "the boot job uses the build directory"
assert any("tar -xzf bootpipe-stage.tar.gz" in s.get("run", "") for s in boot["steps"])
# reports and console logs uploaded whatever the outcome
boot_run = [s for s in boot["steps"] if s.get("name") == "Boot"][0]["run"]
assert 'launch.console_log=$PWD/logs/' in boot_run, boot_run
up = [s for s in boot["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
assert len(up) == 1 and up[0].get("if") == "always()", up
paths = up[0]["with"]["path"].split()
assert "logs/" in paths and "reports/" in paths, paths

gl = yaml.safe_load(open(sys.argv[2]))
b, r = gl["build"], gl["boot"]
assert 'cmake --install build --prefix "$PWD/stage"' in b["script"], b["script"]
assert b["artifacts"]["paths"] == ["bootpipe-stage.tar.gz", "matrix.json"], b["artifacts"]
assert "build/" not in str(r), "the boot job uses the build directory"
assert r["artifacts"]["when"] == "always", r["artifacts"]
assert "logs/" in r["artifacts"]["paths"] and "reports/" in r["artifacts"]["paths"]
assert "launch.console_log=$PWD/logs/" in " ".join(r["script"]), r["script"]
assert gl["variables"]["PIPELINES"].startswith("stage/"), gl["variables"]
PY
}

# check_boot DIR NAME: the boot of NAME in DIR left what the upload takes
check_boot() {
	local d=$1 n=$2
	[ -s "$d/reports/$n.xml" ] || fail "no JUnit report for $n"
	[ -s "$d/reports/$n.json" ] || fail "no JSON report for $n"
	has "guest test pass!" "$d/logs/$n.log"
	python3 - "$d/reports/$n.json" "$d/logs/$n.log" "$tmp/a" <<'PY' || fail "report of $n"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["outcome"] == "pass", r["outcome"]
text = json.dumps(r)
assert sys.argv[2] in text, "the report names another console log"
assert sys.argv[3] not in text, "the boot job used the build job's tree"
PY
}

# bootable [COMMAND...]: skip when the demo cannot boot here
bootable() {
	[ -f "$build/share/bootpipe/demo/guests/demo-aarch64.elf" ] || skip "demo guests not built"
	for q in qemu-system-aarch64 qemu-system-x86_64 "$@"; do
		command -v "$q" >/dev/null || skip "no $q"
	done
}

# hand_over DIR: keep the build job's tarball as the artifact store does,
# and remove its runner, so no boot job can reach into it
hand_over() {
	[ -s "$1/bootpipe-stage.tar.gz" ] || fail "no tarball"
	mv "$1/bootpipe-stage.tar.gz" "$tmp/artifact.tar.gz"
	rm -rf "$1"
}

case_github_handoff() {
	local a=$tmp/a entry
	bootable
	github_build "$a"
	sed -n 's/^matrix=//p' "$a/github-output" >"$tmp/matrix.json"
	hand_over "$a"
	# one fresh runner per job: the tarball, a checkout and nothing else
	python3 -c 'import json,sys; [print(json.dumps(e)) for e in json.load(open(sys.argv[1]))["include"]]' \
		"$tmp/matrix.json" >"$tmp/entries"
	[ -s "$tmp/entries" ] || fail "empty matrix"
	local i=0
	while read -r entry; do
		local b=$tmp/boot-$((i++)) name
		name=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["name"])' "$entry")
		mkdir -p "$b" && ln -s "$src/pipelines" "$b/pipelines"
		cp "$tmp/artifact.tar.gz" "$b/bootpipe-stage.tar.gz"
		github_step "$b" boot Unpack || fail "Unpack step"
		[ ! -e "$b/build" ] || fail "build/ in the boot job"
		github_step "$b" boot Boot "$entry" || fail "Boot step of $name"
		check_boot "$b" "$name"
	done <"$tmp/entries"
	[ "$i" = 2 ] || fail "$i boot jobs, expected the 2 demos"
}

case_gitlab_handoff() {
	bootable jq
	local a=$tmp/a
	checkout "$a"
	gitlab_job "$a" build || fail "GitLab build job"
	hand_over "$a"
	: >"$tmp/booted"
	for i in 1 2; do
		local b=$tmp/boot-$i
		mkdir -p "$b" && ln -s "$src/pipelines" "$b/pipelines"
		cp "$tmp/artifact.tar.gz" "$b/bootpipe-stage.tar.gz"
		CI_NODE_INDEX=$i CI_NODE_TOTAL=2 gitlab_job "$b" boot || fail "GitLab boot job $i/2"
		[ ! -e "$b/build" ] || fail "build/ in the boot job"
		for x in "$b"/reports/*.xml; do
			[ -f "$x" ] || fail "shard $i/2 booted nothing"
			check_boot "$b" "$(basename "$x" .xml)"
			basename "$x" .xml >>"$tmp/booted"
		done
	done
	[ "$(sort "$tmp/booted" | tr '\n' ' ')" = "demo-aarch64 demo-x86_64 " ] ||
		fail "the shards booted: $(cat "$tmp/booted")"
}

case $case in
lint-matrix) case_lint_matrix ;;
empty-shard) case_empty_shard ;;
pkg-config) case_pkg_config ;;
workflows) case_workflows ;;
github-handoff) case_github_handoff ;;
gitlab-handoff) case_gitlab_handoff ;;
*) fail "unknown case" ;;
esac
echo "PASS ($case)"
