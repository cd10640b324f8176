#!/usr/bin/env bash
# What plugin authors and CI users rely on, through the real tools:
#   install          cmake --install into a temporary prefix; the installed
#                    CLI finds its plugins; the example stages build out of
#                    tree (CMake package and pkg-config) and run mixed with
#                    the shipped stages; the embedding example builds too
#   embed            the in-tree build of examples/embed runs and replays
#   check-pipelines  bootpipe check pipelines/*.ini
#   by-name          pipelines by name through the search path, as
#                    `bootpipe pipelines` lists it; include-only files
#   cli              command-line conventions: suggestions, usage errors,
#                    global options first, paths relative to the cwd
#   matrix           bootpipe matrix is JSON and its shards partition
#   ci-yaml          examples/ci/*.yml parse and use the matrix
#   man              docs/bootpipe.1 renders without warnings
#   completion       completions/bootpipe.bash completes commands, stages
#                    and pipeline files
# Usage: sdk-test.sh CASE   (BUILD, EMBED, WORK from ctest)
set -u
case=$1
build=${BUILD:?}
src=$(cd "$(dirname "$0")/../../.." && pwd)
bootpipe=$build/bin/bootpipe
demo=$build/demo
export NO_COLOR=1
unset BOOTPIPE_PLUGIN_PATH BOOTPIPE_OFFLINE BOOTPIPE_DEFAULT_PIPELINE

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

# A copy of the build's demo workspace (its guests/ and registry/ link to
# share/bootpipe/demo).
demo_workspace() {
	[ -f "$build/share/bootpipe/demo/guests/demo-aarch64.elf" ] || skip "demo guests not built"
	ws=$(mktemp -d "$demo/ws-sdk.XXXXXX")
	cp -a "$demo/workspace/." "$ws/"
	rm -rf "$ws/tmp"
	trap 'rm -rf "$tmp" "$ws"' EXIT
}

case_install() {
	local prefix=$tmp/prefix stages=$tmp/plugins ex=$tmp/examples
	command -v qemu-system-aarch64 >/dev/null || skip "no qemu-system-aarch64"
	command -v aarch64-linux-gnu-gcc >/dev/null || skip "no aarch64-linux-gnu-gcc"
	cmake --install "$build" --prefix "$prefix" >"$tmp/out" 2>"$tmp/err" ||
		fail "cmake --install"
	local libdir
	libdir=$(cd "$prefix" && dirname "$(ls -d lib*/libbootpipe.so lib/*/libbootpipe.so 2>/dev/null | head -n 1)")
	[ -n "$libdir" ] && [ "$libdir" != . ] || fail "no libbootpipe.so under $prefix"
	for f in bin/bootpipe "$libdir/bootpipe/plugins/launch.so" \
		"$libdir/pkgconfig/bootpipe.pc" "$libdir/cmake/bootpipe/bootpipeConfig.cmake" \
		"$libdir/cmake/bootpipe/BootpipePlugin.cmake" include/bootpipe/plugin.h \
		share/bootpipe/pipelines/qemu-aarch64.ini share/man/man1/bootpipe.1.gz \
		share/bash-completion/completions/bootpipe; do
		[ -e "$prefix/$f" ] || fail "not installed: $f"
	done
	# the installed CLI finds its library and plugins beside itself
	readelf -d "$prefix/bin/bootpipe" | grep -E 'RUNPATH|RPATH' >"$tmp/out"
	has "[\$ORIGIN/../$libdir]" "$tmp/out"
	local B=$prefix/bin/bootpipe
	"$B" describe launch >"$tmp/out" 2>"$tmp/err" || fail "installed describe"
	local found
	found=$(sed -n 's/^  file: //p' "$tmp/out")
	[ "$(readlink -f "$found")" = "$(readlink -f "$prefix/$libdir/bootpipe/plugins/launch.so")" ] ||
		fail "installed bootpipe loads $found, not the prefix's launch.so"
	"$B" stages >"$tmp/out" 2>"$tmp/err" || fail "installed stages"
	for s in resolve-request fetch-rootfs infer-rootfs patch-qemu launch; do
		has "$s" "$tmp/out"
	done

	# out of tree, against the prefix only: a copy of the sources, strict
	# warnings, and no path into the bootpipe tree
	mkdir -p "$ex"
	cp -a "$src/examples/stages" "$src/examples/embed" "$ex/"
	ln -s "$src/examples/guests" "$ex/guests"
	ln -s "$src/pipelines" "$tmp/pipelines"
	local strict="-Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror"
	# an ASan libbootpipe needs the ASan runtime first in every program
	[ "${SANITIZE:-OFF}" = ON ] && strict+=" -fsanitize=address,undefined -fno-omit-frame-pointer"
	cmake -S "$ex/stages/cmdline-append" -B "$tmp/b-cmdline" \
		-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$strict" \
		-DCMAKE_INSTALL_PREFIX="$tmp/plugins-prefix" >"$tmp/out" 2>"$tmp/err" ||
		fail "configure cmdline-append (find_package)"
	cmake --build "$tmp/b-cmdline" >"$tmp/out" 2>"$tmp/err" || fail "build cmdline-append"
	cmake --install "$tmp/b-cmdline" >"$tmp/out" 2>"$tmp/err" || fail "install cmdline-append"
	[ -f "$tmp/plugins-prefix/lib/bootpipe/plugins/cmdline-append.so" ] ||
		[ -f "$(ls "$tmp"/plugins-prefix/lib*/*/bootpipe/plugins/cmdline-append.so 2>/dev/null | head -n 1)" ] ||
		fail "cmdline-append not installed into its plugin directory"
	# as its Makefile documents: the path as a make variable
	make -C "$ex/stages/build-kernel" PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" \
		CFLAGS="-O2 $strict" >"$tmp/out" 2>"$tmp/err" || fail "make build-kernel (pkg-config)"
	has "-I$prefix/$libdir/pkgconfig/../../include" "$tmp/out"
	mkdir -p "$stages"
	cp "$tmp/b-cmdline/cmdline-append.so" "$ex/stages/build-kernel/build-kernel.so" "$stages/"
	"$B" describe cmdline-append --plugin-dir "$stages" >"$tmp/out" 2>"$tmp/err" ||
		fail "describe cmdline-append"
	has "requires: qemu.argv" "$tmp/out"
	has "provides: qemu.argv" "$tmp/out"

	demo_workspace
	export BOOTPIPE_SRC=$tmp # demo-custom.ini builds from $BOOTPIPE_SRC/examples/stages
	local pipeline=$ex/stages/demo-custom.ini
	# plan: -append added, then appended to an -append patch-qemu already has
	"$B" plan "$pipeline" --plugin-dir "$stages" --workspace "$ws" >"$tmp/out" 2>"$tmp/err" ||
		fail "plan of the mixed pipeline"
	has "-append 'bootpipe.demo=1 console=ttyAMA0'" "$tmp/out"
	has "would run \`make -f demo-kernel.mk OUT=$ws/target\`" "$tmp/err"
	"$B" plan "$pipeline" --plugin-dir "$stages" --workspace "$ws" \
		--set patch-qemu.extra_args=-append --set "patch-qemu.extra_args=root=/dev/vda rw" \
		>"$tmp/out" 2>"$tmp/err" || fail "plan with an -append"
	has "-append 'root=/dev/vda rw bootpipe.demo=1 console=ttyAMA0'" "$tmp/out"
	[ "$(grep -o -- '-append' "$tmp/out" | wc -l)" = 1 ] || fail "two -append"
	[ ! -e "$ws/target" ] || fail "plan built the kernel"
	# run: the kernel is built from source, booted, and passes
	"$B" run "$pipeline" --plugin-dir "$stages" --workspace "$ws" \
		--report "json=$tmp/report.json" >"$tmp/out" 2>"$tmp/err"
	[ $? = 0 ] || fail "run of the mixed pipeline"
	has "guest test pass!" "$tmp/out"
	has "[build-kernel] built $ws/target/demo-aarch64.elf" "$tmp/err"
	has "[patch-qemu] converted $ws/target/demo-aarch64.elf" "$tmp/err"
	python3 - "$tmp/report.json" <<'PY' || fail "report of the mixed pipeline"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["outcome"] == "pass", r["outcome"]
names = [s["name"] for s in r["stages"]]
assert names == ["resolve-request", "build-kernel", "fetch-rootfs", "infer-rootfs",
                 "patch-qemu", "cmdline-append", "launch"], names
argv = r["qemu"]["argv"]
assert argv[argv.index("-append") + 1] == "bootpipe.demo=1 console=ttyAMA0", argv
PY
	# a failing build: its status and its last lines, infra exit code
	"$B" run "$pipeline" --plugin-dir "$stages" --workspace "$ws" \
		--set build-kernel.command=sh --set build-kernel.command=-c \
		--set "build-kernel.command=echo compiling; echo 'error: no rust' >&2; exit 7" \
		>"$tmp/out" 2>"$tmp/err"
	[ $? = 3 ] || fail "failing build: exit $?, expected 3"
	has "exited with status 7; last lines:" "$tmp/err"
	has "error: no rust" "$tmp/err"
	has "FAIL (infra, exit 3)" "$tmp/err"
	"$B" run "$pipeline" --plugin-dir "$stages" --workspace "$ws" \
		--set build-kernel.command=no-such-compiler >"$tmp/out" 2>"$tmp/err"
	[ $? = 3 ] || fail "missing compiler: exit $?, expected 3"
	if [ -n "${MEMCHECK:-}" ]; then
		# valgrind runs posix_spawn's shared-memory clone as a plain
		# fork, so the failed exec comes back as the child's status 127
		has "\`no-such-compiler\` in $ex/stages exited with status 127" "$tmp/err"
	else
		has "cannot run no-such-compiler" "$tmp/err"
	fi
	# Ctrl-C during the build stops the build too
	"$B" run "$pipeline" --plugin-dir "$stages" --workspace "$ws" \
		--set build-kernel.command=sleep --set build-kernel.command=4242 \
		>"$tmp/out" 2>"$tmp/err" &
	local pid=$! waited=0
	until pgrep -f "^sleep 4242$" >/dev/null || ((waited++ > 50)); do sleep 0.1; done
	kill -INT "$pid"
	wait "$pid"
	[ $? = 130 ] || fail "interrupted build: expected exit 130"
	has "interrupted while \`sleep 4242\` ran" "$tmp/err"
	! pgrep -f "^sleep 4242$" >/dev/null || fail "the build outlived bootpipe"
	printf '[pipeline]\ninclude = %s\n[cmdline-append]\ntext =\n' \
		"$pipeline" >"$tmp/empty-text.ini"
	"$B" check "$tmp/empty-text.ini" --plugin-dir "$stages" --workspace "$ws" \
		>"$tmp/out" 2>"$tmp/err"
	[ $? = 2 ] || fail "empty text: expected exit 2"
	has "text is empty" "$tmp/err"
	# an empty --set unsets it: then the required option is missing
	"$B" check "$pipeline" --plugin-dir "$stages" --workspace "$ws" \
		--set cmdline-append.text= >"$tmp/out" 2>"$tmp/err"
	[ $? = 2 ] || fail "unset text: expected exit 2"
	has "needs option \`text\`" "$tmp/err"

	# the embedding example against the prefix
	cmake -S "$ex/embed" -B "$tmp/b-embed" -DCMAKE_PREFIX_PATH="$prefix" \
		-DCMAKE_C_FLAGS="$strict" >"$tmp/out" 2>"$tmp/err" || fail "configure embed"
	cmake --build "$tmp/b-embed" >"$tmp/out" 2>"$tmp/err" || fail "build embed"
	"$tmp/b-embed/bootpipe-embed" -w "$ws" "$src/pipelines/demo-aarch64.ini" \
		>"$tmp/out" 2>"$tmp/err" || fail "embed run"
	has "outcome: pass (exit 0)" "$tmp/out"
	# it used the prefix's plugins, not the build tree's
	has "$prefix" "$tmp/b-embed/CMakeCache.txt"
	ldd "$tmp/b-embed/bootpipe-embed" | grep -F libbootpipe >"$tmp/out"
	has "$prefix/$libdir/libbootpipe.so" "$tmp/out"
}

case_embed() {
	local E=${EMBED:?}
	command -v qemu-system-aarch64 >/dev/null || skip "no qemu-system-aarch64"
	demo_workspace
	printf 'boot\nguest test pass!\n' >"$tmp/pass.log"
	printf 'boot\n[ 0.1] Kernel panic - not syncing\n' >"$tmp/panic.log"
	"$E" -w "$ws" -r "$tmp/pass.log" "$src/pipelines/demo-aarch64.ini" >"$tmp/out" 2>"$tmp/err" ||
		fail "replay of a passing log"
	has "outcome: pass (exit 0)" "$tmp/out"
	has "console log: $tmp/pass.log" "$tmp/out"
	"$E" -w "$ws" -r "$tmp/panic.log" "$src/pipelines/demo-aarch64.ini" >"$tmp/out" 2>"$tmp/err"
	[ $? = 1 ] || fail "replay of a panic: expected exit 1"
	has "outcome: fail (exit 1)" "$tmp/out"
	has "Kernel panic" "$tmp/out"
	"$E" -w "$ws" "$src/pipelines/demo-aarch64.ini" >"$tmp/out" 2>"$tmp/err" || fail "real run"
	has "stage launch           ok" "$tmp/out"
	has "outcome: pass (exit 0)" "$tmp/out"
	has "embed: info  [launch] pass" "$tmp/err"
	"$E" -w "$ws" "$tmp/missing.ini" >"$tmp/out" 2>"$tmp/err"
	[ $? = 2 ] || fail "missing pipeline: expected exit 2"
	has "cannot open pipeline file $tmp/missing.ini" "$tmp/err"
}

case_check_pipelines() {
	# outside any workspace, and in an AxVisor-shaped one
	(cd "$tmp" && "$bootpipe" check "$src"/pipelines/*.ini) >"$tmp/out" 2>"$tmp/err" ||
		fail "check outside a workspace"
	[ "$(grep -c ': ok (' "$tmp/out")" = "$(($(ls "$src"/pipelines/*.ini | wc -l) - 1))" ] ||
		fail "not every pipeline checked"
	has "axvisor-common.ini: include-only, skipped" "$tmp/out"
	# in a workspace check reads the files the pipeline names there (the
	# demo pipelines name the demo workspace's, which this one lacks)
	"$bootpipe" check "$src"/pipelines/qemu-*.ini "$src"/pipelines/test-case.ini \
		--workspace "$src/tests/data/axvisor-ws" \
		>"$tmp/out" 2>"$tmp/err" || fail "check in the AxVisor test workspace"
	[ ! -s "$tmp/err" ] || fail "check in the AxVisor test workspace: $(cat "$tmp/err")"
	"$bootpipe" check "$src"/pipelines/demo-aarch64.ini --workspace "$src/tests/data/axvisor-ws" \
		>"$tmp/out" 2>"$tmp/err"
	[ $? = 2 ] || fail "check of the demo in the AxVisor workspace: expected exit 2"
	has "aarch64-demo.toml: No such file or directory" "$tmp/err"
	# board pipelines share axvisor-common.ini and set only what differs
	for f in "$src"/pipelines/qemu-*.ini; do
		grep -q '^include = axvisor-common.ini' "$f" || fail "$f does not include axvisor-common.ini"
		! grep -qE '^(stages|url|success_regex|fail_regex|timeout) *=' "$f" ||
			fail "$f repeats what axvisor-common.ini sets"
	done
	"$bootpipe" pipelines "$src/pipelines" >"$tmp/out" 2>"$tmp/err" || fail "pipelines"
	has "qemu-riscv64.ini             qemu-riscv64         AxVisor on QEMU virt, riscv64" "$tmp/out"
}

case_by_name() {
	local p=$tmp/proj ws=$tmp/ws
	export XDG_CONFIG_HOME=$tmp/config
	# a workspace with the files its pipeline names: check reads them
	cp -r "$src/tests/data/axvisor-ws" "$ws"
	mkdir -p "$p/pipelines" "$XDG_CONFIG_HOME/bootpipe/pipelines" "$ws/pipelines" "$ws/sub"
	printf '[pipeline]\nname = mine-local\ninclude = %s\n' "$src/pipelines/demo-aarch64.ini" \
		>"$p/pipelines/mine.ini"
	printf '[pipeline]\nname = from-config\ndescription = the user'"'"'s\ninclude = %s\n' \
		"$src/pipelines/demo-x86_64.ini" >"$XDG_CONFIG_HOME/bootpipe/pipelines/demo-x86_64.ini"
	printf '[pipeline]\nname = in-ws\ninclude = %s\n' "$src/pipelines/qemu-aarch64.ini" \
		>"$ws/pipelines/wsp.ini"
	# chk DIR NAME WANT: `bootpipe check NAME` from DIR names pipeline WANT
	chk() {
		(cd "$1" && "$bootpipe" check "$2") >"$tmp/out" 2>"$tmp/err" || fail "check $2 from $1"
		has "$2: ok ($3, 5 stages)" "$tmp/out"
	}
	chk "$p" mine mine-local
	chk "$p" mine.ini mine-local
	chk "$p" demo-x86_64 from-config # ~/.config comes before the shipped ones
	chk "$p" demo-aarch64 demo-aarch64
	chk "$ws/sub" wsp in-ws
	(cd "$p" && "$bootpipe" check wsp --workspace "$ws") >"$tmp/out" 2>"$tmp/err" ||
		fail "check wsp --workspace"
	has "wsp: ok (in-ws, 5 stages)" "$tmp/out"
	# what pipelines lists is what run finds, in the same order
	(cd "$p" && "$bootpipe" pipelines) >"$tmp/out" 2>"$tmp/err" || fail "pipelines"
	has "$p/pipelines (./pipelines):" "$tmp/out"
	has "$XDG_CONFIG_HOME/bootpipe/pipelines (\$XDG_CONFIG_HOME):" "$tmp/out"
	has "$build/share/bootpipe/pipelines (shipped):" "$tmp/out"
	has "  mine.ini                     mine-local" "$tmp/out"
	has "  demo-x86_64.ini              from-config          the user's" "$tmp/out"
	has "  axvisor-common.ini           (include-only)" "$tmp/out"
	grep -q "demo-x86_64.ini .*(shadowed: an earlier directory has it)" "$tmp/out" ||
		fail "the shipped demo-x86_64.ini is not marked shadowed"
	[ "$(grep -o '^/[^ ]* (' "$tmp/out" | tr -d ' (' | tr '\n' ' ')" = \
		"$p/pipelines $XDG_CONFIG_HOME/bootpipe/pipelines $build/share/bootpipe/pipelines " ] ||
		fail "search order: $(grep '^/' "$tmp/out")"
	# a name that is nowhere: exit 2, the directories, the closest name
	(cd "$p" && "$bootpipe" run demo-x86) >"$tmp/out" 2>"$tmp/err"
	[ $? = 2 ] || fail "unknown name: expected exit 2"
	has "no pipeline \`demo-x86\`: no demo-x86.ini in $p/pipelines, $XDG_CONFIG_HOME/bootpipe/pipelines" "$tmp/err"
	has "did you mean \`demo-x86_64\`?" "$tmp/err"
	# include-only: never run, checked as skipped, no matrix job
	(cd "$p" && "$bootpipe" run axvisor-common) >"$tmp/out" 2>"$tmp/err"
	[ $? = 2 ] || fail "include-only run: expected exit 2"
	has "axvisor-common.ini: include-only ([pipeline] include_only = true at line" "$tmp/err"
	has "run one that includes it" "$tmp/err"
	(cd "$p" && "$bootpipe" check axvisor-common) >"$tmp/out" 2>"$tmp/err" || fail "check include-only"
	has "axvisor-common: include-only, skipped" "$tmp/out"
	# ...but what includes it still gets its settings
	(cd "$p" && "$bootpipe" check qemu-aarch64 --workspace "$src/tests/data/axvisor-ws") \
		>"$tmp/out" 2>"$tmp/err" || fail "check qemu-aarch64"
	has "qemu-aarch64: ok (qemu-aarch64, 5 stages)" "$tmp/out"
}

case_cli() {
	local B=$bootpipe
	[ -f "$build/share/bootpipe/demo/guests/demo-aarch64.elf" ] || skip "demo guests not built"
	# code CMD...: the exit code of bootpipe CMD, output in $tmp/out, $tmp/err
	code() {
		"$B" "$@" >"$tmp/out" 2>"$tmp/err"
		echo $?
	}
	[ "$(code describe lunch)" = 2 ] || fail "describe lunch: not a usage error"
	has "did you mean \`launch\`?" "$tmp/err"
	[ "$(code stages extra)" = 2 ] || fail "stages took an extra argument"
	[ "$(code help nosuch)" = 2 ] || fail "help nosuch passed"
	has "unknown command \`nosuch\`" "$tmp/err"
	[ "$(code help run)" = 0 ] || fail "help run"
	has "usage: bootpipe run" "$tmp/out"
	[ "$(code lpan)" = 2 ] || fail "unknown command"
	has "did you mean \`plan\`?" "$tmp/err"
	[ "$(code run --reprot x)" = 2 ] || fail "unknown option"
	has "unknown option \`--reprot\`; did you mean \`--report\`?" "$tmp/err"
	[ "$(code run --report)" = 2 ] || fail "option without its value"
	has "needs a value" "$tmp/err"
	# global options before the command; -v gives each stage's duration
	[ "$(code -v plan demo-aarch64)" = 0 ] || fail "-v plan"
	grep -qE '^\[bootpipe\] stage launch: [0-9]+\.[0-9]{3} s$' "$tmp/err" || fail "no stage durations"
	[ "$(code replay demo-aarch64 "$tmp/missing.log")" = 2 ] || fail "replay of a missing log"
	has "console log $tmp/missing.log: No such file or directory" "$tmp/err"
	# the report path is checked before anything runs
	[ "$(code run demo-aarch64 --report "junit=$tmp/nodir/r.xml")" = 2 ] || fail "bad report path"
	has "cannot write in $tmp/nodir" "$tmp/err"
	! grep -q "starting qemu" "$tmp/err" || fail "QEMU ran before the report path was checked"
	[ "$(BOOTPIPE_PLUGIN_PATH=rel code stages)" = 3 ] || fail "relative BOOTPIPE_PLUGIN_PATH"
	has "BOOTPIPE_PLUGIN_PATH entry \`rel\` is relative" "$tmp/err"
	# command-line paths are relative to the current directory
	mkdir "$tmp/k"
	cp "$build/share/bootpipe/demo/guests/demo-aarch64.elf" "$tmp/k/guest.elf"
	(cd "$tmp/k" && "$B" plan demo-aarch64 --kernel guest.elf) >"$tmp/out" 2>"$tmp/err" ||
		fail "plan --kernel guest.elf"
	has "$tmp/k/guest.elf" "$tmp/err"
	# ... and so are the others: none of these files is in the (demo's)
	# workspace, so each is found only from the current directory
	local configs=$build/share/bootpipe/demo/os/axvisor/configs
	cp "$configs/vms/aarch64-demo.toml" "$tmp/k/vm.toml"
	sed 's|"128M"|"96M"|' "$configs/qemu/qemu-aarch64.toml" >"$tmp/k/q.toml"
	head -c 2M /dev/zero >"$tmp/k/r.img"
	(cd "$tmp/k" && "$B" plan demo-aarch64 --vmconfig vm.toml --qemu-config q.toml \
		--rootfs r.img) >"$tmp/out" 2>"$tmp/err" || fail "plan with relative paths"
	has "-m 96M" "$tmp/out"
	has "file=$tmp/k/r.img," "$tmp/out"
	mkdir "$tmp/k/ws"
	cp -a "$demo/workspace/." "$tmp/k/ws/"
	(cd "$tmp/k" && "$B" plan demo-aarch64 --workspace ws) >"$tmp/out" 2>"$tmp/err" ||
		fail "plan --workspace ws"
	has "workspace $tmp/k/ws" "$tmp/err"
	printf 'boot\nguest test pass!\n' >"$tmp/k/ok.log"
	(cd "$tmp/k" && "$B" replay demo-aarch64 ok.log) >"$tmp/out" 2>"$tmp/err" ||
		fail "replay of a relative log"
	# a mistyped option alone, a mistyped stage, an option the command
	# does not use
	[ "$(code --verison)" = 2 ] || fail "--verison"
	has "did you mean \`--version\`?" "$tmp/err"
	[ "$(code plan demo-aarch64 --until lunch)" = 2 ] || fail "--until lunch"
	has "no stage \`lunch\` to stop after; did you mean \`launch\`?" "$tmp/err"
	[ "$(code stages --kernel x)" = 2 ] || fail "stages --kernel x"
	has "\`stages\` does not use \`--kernel\`" "$tmp/err"
	[ "$(code describe launch --report "json=$tmp/d.json")" = 2 ] || fail "describe --report"
	# the JSON end line without a command or pipeline
	[ "$(code --log-format json)" = 2 ] || fail "no command"
	tail -n 1 "$tmp/err" | python3 -c 'import json,sys; e=json.load(sys.stdin); assert e["message"] == "bootpipe: config, exit 2", e' ||
		fail "end line without a command"
	# replay writes its reports, and checks their paths first
	printf 'boot\nguest test pass!\n' >"$tmp/ok.log"
	[ "$(code replay demo-aarch64 "$tmp/ok.log" --report "junit=$tmp/replay.xml")" = 0 ] ||
		fail "replay --report"
	has 'name="verdict"' "$tmp/replay.xml"
	[ "$(code replay demo-aarch64 "$tmp/ok.log" --report "junit=$tmp/nodir/r.xml")" = 2 ] ||
		fail "replay: bad report path"
	has "cannot write in $tmp/nodir" "$tmp/err"
	# so does test, before it looks for cases
	[ "$(code test "$tmp/no-suite" --report "junit=$tmp/nodir/r.xml")" = 2 ] ||
		fail "test: bad report path"
	has "bootpipe test: --report junit=$tmp/nodir/r.xml: cannot write in $tmp/nodir" "$tmp/err"
}

case_matrix() {
	local files=("$src"/pipelines/*.ini "$src/examples/stages/demo-custom.ini")
	# matrix and pipelines read files through libbootpipe's one reader
	if readelf -d "$bootpipe" | grep -q 'libinih'; then
		fail "bootpipe links libinih"
	fi
	"$bootpipe" matrix "${files[@]}" "$src/pipelines/demo-aarch64.ini" >"$tmp/all" 2>"$tmp/err" ||
		fail "matrix"
	for n in 1 2 3 4 7 8; do
		for ((i = 1; i <= n; i++)); do
			"$bootpipe" matrix --shard "$i/$n" "${files[@]}" >"$tmp/shard-$n-$i" 2>"$tmp/err" ||
				fail "matrix --shard $i/$n"
		done
	done
	# axvisor-common.ini is include-only: no job
	has "axvisor-common.ini: include-only, not a job" "$tmp/err"
	python3 - "$tmp" "$((${#files[@]} - 1))" <<'PY' || fail "matrix content"
import json, sys, glob, os
tmp, count = sys.argv[1], int(sys.argv[2])
lines = open(os.path.join(tmp, "all")).read().splitlines()
assert len(lines) == 1, "one line, for $GITHUB_OUTPUT"
full = json.loads(lines[0])
assert list(full) == ["include"], full
paths = [e["pipeline"] for e in full["include"]]
assert len(paths) == count and len(set(paths)) == count, "duplicates dropped"
assert paths == sorted(paths)
by = {os.path.basename(e["pipeline"]): e for e in full["include"]}
assert by["qemu-riscv64.ini"]["name"] == "qemu-riscv64"
assert by["qemu-riscv64.ini"]["arch"] == "riscv64"
assert by["demo-x86_64.ini"]["arch"] == "x86_64"
# through the include of demo-aarch64.ini
assert by["demo-custom.ini"]["name"] == "demo-custom-stages"
assert by["demo-custom.ini"]["arch"] == "aarch64"
assert "axvisor-common.ini" not in by
for e in full["include"]:
    assert set(e) == {"pipeline", "name", "arch"}, e
    assert all(isinstance(v, str) for v in e.values())
for n in (1, 2, 3, 4, 7, 8):
    seen = []
    sizes = []
    for i in range(1, n + 1):
        shard = json.load(open(os.path.join(tmp, f"shard-{n}-{i}")))["include"]
        sizes.append(len(shard))
        seen += [e["pipeline"] for e in shard]
        assert all(e in full["include"] for e in shard)
    assert sorted(seen) == sorted(paths), (n, seen)
    assert len(seen) == len(set(seen)), f"{n}: a pipeline in two shards"
    assert max(sizes) - min(sizes) <= 1, (n, sizes)
PY
	# the shards do not depend on the argument order
	"$bootpipe" matrix --shard 2/3 $(printf '%s\n' "${files[@]}" | sort -r) >"$tmp/rev" ||
		fail "reversed"
	cmp -s "$tmp/rev" "$tmp/shard-3-2" || fail "shard 2/3 changed with the argument order"
	for bad in 0/2 3/2 2 x/2 1/0 -1/2 "1/2x" ""; do
		"$bootpipe" matrix --shard "$bad" "${files[@]}" >"$tmp/out" 2>"$tmp/err"
		[ $? = 2 ] || fail "--shard '$bad' accepted"
		has "expected I/N" "$tmp/err"
		[ ! -s "$tmp/out" ] || fail "--shard '$bad' printed a matrix"
	done
	# more shards than jobs: the empty one is an error, not a green job
	"$bootpipe" matrix --shard 9/9 "${files[@]}" >"$tmp/out" 2>"$tmp/err"
	[ $? = 2 ] || fail "an empty shard passed"
	has "shard 9/9 is empty: 8 pipelines for 9 shards; use at most 8 shards" "$tmp/err"
	[ ! -s "$tmp/out" ] || fail "an empty shard printed a matrix"
	"$bootpipe" matrix "$tmp/nope.ini" >"$tmp/out" 2>"$tmp/err"
	[ $? = 2 ] || fail "missing file accepted"
	has "cannot open pipeline file $tmp/nope.ini" "$tmp/err"
	"$bootpipe" matrix >"$tmp/out" 2>"$tmp/err"
	[ $? = 2 ] || fail "no files accepted"
	"$bootpipe" matrix "$src/pipelines/axvisor-common.ini" >"$tmp/out" 2>"$tmp/err"
	[ $? = 2 ] || fail "a matrix of include-only files passed"
	has "no pipeline for the matrix: every file given is include-only" "$tmp/err"
}

case_ci_yaml() {
	python3 -c 'import yaml' 2>/dev/null || skip "no python3-yaml"
	python3 - "$src/examples/ci" <<'PY' || fail "CI examples"
import os, sys, yaml
ci = sys.argv[1]
gh = yaml.safe_load(open(os.path.join(ci, "github-actions.yml")))
# PyYAML reads the key `on` as True (YAML 1.1)
assert True in gh or "on" in gh, "workflow has no trigger"
jobs = gh["jobs"]
plan = [j for j in jobs.values() if "outputs" in j]
assert plan and any("bootpipe matrix" in s.get("run", "")
                    for s in plan[0]["steps"]), "no job computes the matrix"
fan = [j for j in jobs.values() if "strategy" in j]
assert fan, "no matrix job"
assert "fromJSON(" in str(fan[0]["strategy"]["matrix"]), fan[0]["strategy"]
steps = " ".join(s.get("run", "") for s in fan[0]["steps"])
assert "--report \"junit=" in steps and "matrix.pipeline" in steps, steps
assert any("upload-artifact" in s.get("uses", "") for s in fan[0]["steps"])

gl = yaml.safe_load(open(os.path.join(ci, "gitlab-ci.yml")))
jobs = {k: v for k, v in gl.items() if isinstance(v, dict) and "script" in v}
runs = [j for j in jobs.values() if "parallel" in j]
assert runs, "no parallel job"
script = " ".join(runs[0]["script"])
assert "bootpipe matrix --shard" in script and "CI_NODE_INDEX" in script, script
assert "junit" in runs[0]["artifacts"]["reports"], runs[0]["artifacts"]
for name, job in jobs.items():
    assert job.get("stage") in gl["stages"], (name, job.get("stage"))
PY
	# the workflow's matrix step, run here: its output line parses
	cd "$src" && "$bootpipe" matrix pipelines/demo-*.ini >"$tmp/out" || fail "matrix"
	python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert len(m["include"]) == 2' "$tmp/out" ||
		fail "matrix of the demo pipelines"
}

case_man() {
	command -v groff >/dev/null || skip "no groff"
	LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$src/docs/bootpipe.1" 2>"$tmp/err" ||
		fail "groff failed"
	[ ! -s "$tmp/err" ] || fail "groff warnings"
	groff -man -Tutf8 "$src/docs/bootpipe.1" 2>/dev/null | col -b >"$tmp/out"
	for word in matrix "BOOTPIPE_PLUGIN_PATH" "BOOTPIPE_OFFLINE" \
		"BOOTPIPE_DEFAULT_PIPELINE" "NO_COLOR" "EXIT STATUS" "--shard" \
		"--allow-unsafe-plugins"; do
		has "$word" "$tmp/out"
	done
	# the console rules of README's "The console" are on the page too
	# (lines too long to wrap: no hyphen splits a phrase)
	groff -man -Tutf8 -rLL=2000n -rHY=0 "$src/docs/bootpipe.1" 2>/dev/null |
		col -b | tr -s ' \t' ' ' >"$tmp/wide"
	sed -n '/^THE CONSOLE/,/^EXIT STATUS/p' "$tmp/wide" >"$tmp/console"
	for word in "echo of the typed text is not matched" \
		"The verdict names the whole line" \
		"was refused its command line: exit status 2 (config)"; do
		has "$word" "$tmp/console"
	done
	# exit 5 is not QEMU refusing its argv, in the page and the README
	sed -n '/^EXIT STATUS/,/^ENVIRONMENT/p' "$tmp/wide" >"$tmp/exit"
	has "other than by refusing its command line (which is 2)" "$tmp/exit"
	grep '^| 5 | crash |' "$src/README.md" >"$tmp/readme5"
	has "other than by refusing its command line" "$tmp/readme5"
	# every command of `bootpipe --help` has its entry
	"$bootpipe" --help | sed -n '/^commands:/,/^$/p' | awk '/^  [a-z]/ {print $1}' |
		while read -r cmd; do
			grep -qE "^\.B[IR]? $cmd( |$)" "$src/docs/bootpipe.1" || echo "$cmd"
		done >"$tmp/missing"
	[ ! -s "$tmp/missing" ] || fail "commands missing from the man page: $(cat "$tmp/missing")"
	# the terminal keys, in the man page and both help texts
	has "Ctrl-A x" "$tmp/out"
	"$bootpipe" --help >"$tmp/help"
	has 'Ctrl-] stops the run (130), keys (Ctrl-C too) go to' "$tmp/help"
	"$bootpipe" help run >"$tmp/help"
	has 'Ctrl-] stops the run (130), keys (Ctrl-C too) go to' "$tmp/help"
	has "Ctrl-A x" "$tmp/help"
}

case_completion() {
	local comp=$src/completions/bootpipe.bash
	mkdir -p "$tmp/p" && touch "$tmp/p/one.ini" "$tmp/p/two.ini" "$tmp/p/notes.txt"
	cd "$tmp/p" || fail "cd"
	# complete LINE: the candidates bash would offer for LINE (cursor at end)
	complete_line() {
		PATH="$build/bin:$PATH" bash --norc --noprofile -c '
			source "$1"
			read -r -a COMP_WORDS <<<"$2"
			[[ $2 == *" " ]] && COMP_WORDS+=("")
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMP_LINE=$2 COMP_POINT=${#2}
			_bootpipe bootpipe "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
			printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$1"
	}
	complete_line "bootpipe " >"$tmp/out"
	for c in run plan check replay stages describe pipelines matrix image; do
		grep -qx "$c" "$tmp/out" || fail "command $c not offered"
	done
	complete_line "bootpipe ma" >"$tmp/out"
	[ "$(cat "$tmp/out")" = matrix ] || fail "bootpipe ma -> $(cat "$tmp/out")"
	complete_line "bootpipe describe " >"$tmp/out"
	for s in resolve-request fetch-rootfs infer-rootfs patch-qemu launch; do
		grep -qx "$s" "$tmp/out" || fail "stage $s not offered"
	done
	complete_line "bootpipe run " >"$tmp/out"
	grep -qx one.ini "$tmp/out" && grep -qx two.ini "$tmp/out" || fail "pipeline files not offered"
	! grep -qx notes.txt "$tmp/out" || fail "a .txt offered as pipeline"
	complete_line "bootpipe run --" >"$tmp/out"
	for o in --set --dry-run --report --workspace --plugin-dir; do
		grep -qx -- "$o" "$tmp/out" || fail "option $o not offered"
	done
	complete_line "bootpipe run one.ini --set " >"$tmp/out"
	grep -qx "launch." "$tmp/out" || fail "--set does not offer stage names"
	complete_line "bootpipe run one.ini --log-format " >"$tmp/out"
	[ "$(sort "$tmp/out" | tr '\n' ' ')" = "json text " ] || fail "--log-format values"
	complete_line "bootpipe image " >"$tmp/out"
	[ "$(sort "$tmp/out" | tr '\n' ' ')" = "ls pull rm verify " ] || fail "image verbs"
}

case $case in
install) case_install ;;
embed) case_embed ;;
check-pipelines) case_check_pipelines ;;
by-name) case_by_name ;;
cli) case_cli ;;
matrix) case_matrix ;;
ci-yaml) case_ci_yaml ;;
man) case_man ;;
completion) case_completion ;;
*) fail "unknown case" ;;
esac
echo "PASS ($case)"
