#!/usr/bin/env bash
# Integration tests of the launch stage through the real CLI:
#   launch.sh BOOTPIPE FIXTURE_PLUGIN_DIR FAKE_QEMU WORKDIR
# Each case runs `bootpipe run launch.ini` with fake-qemu as QEMU and
# checks the exit code (the outcome), the report and the messages.
set -u

BOOTPIPE=$1
FIXTURES=$2
FAKE=$3
WORK=$4
HERE=$(cd "$(dirname "$0")" && pwd)
PIPE=$HERE/launch.ini

rm -rf "$WORK"
mkdir -p "$WORK"
failures=0
cases=0

# qemu CMD... : the fake QEMU's script, as --set set-ctx.argv items
qemu_args=()
qemu() {
	qemu_args=(--set "set-ctx.argv=$FAKE")
	local a
	for a in "$@"; do
		qemu_args+=(--set "set-ctx.argv=$a")
	done
}

fail() {
	echo "FAIL [$name]: $*"
	echo "---- stdout"
	cat "$WORK/$name.out"
	echo "---- stderr"
	cat "$WORK/$name.err"
	failures=$((failures + 1))
}

# expect NAME RC [bootpipe run options...]: runs and checks the exit code
expect() {
	name=$1
	local want=$2
	shift 2
	cases=$((cases + 1))
	local start=$SECONDS
	"$BOOTPIPE" run "$PIPE" --plugin-dir "$FIXTURES" --workspace "$WORK" \
		--report "json=$WORK/$name.json" --report "junit=$WORK/$name.xml" \
		"${qemu_args[@]}" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null
	rc=$?
	elapsed=$((SECONDS - start))
	if [ "$rc" != "$want" ]; then
		fail "exit code $rc, expected $want"
		return 1
	fi
	return 0
}

# json NAME EXPR: a Python expression over the report `r` must be true
json() {
	if ! python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$WORK/$1.json" "$2"; then
		fail "report check failed: $2"
		cat "$WORK/$1.json"
	fi
}

# junit NAME KIND(none|failure|error) OUTCOME [CONSOLE-TEXT]: the JUnit
# report read back: the verdict case's element and its message (the
# outcome and the JSON report's reason), the console's last lines in
# <system-out>, and the attempts and flaky properties
junit() {
	python3 - "$WORK/$1.xml" "$WORK/$1.json" "$2" "$3" "${4:-}" <<'PY' ||
import json, sys, xml.etree.ElementTree as ET
xml, js, kind, outcome, text = sys.argv[1:6]
r = json.load(open(js))
suite = ET.parse(xml).getroot().find("testsuite")
assert suite.get("name"), "empty suite name"
cases = suite.findall("testcase")
assert cases and all(c.get("name") and c.get("classname") for c in cases)
verdict = [c for c in cases if c.get("name").startswith("verdict")][-1]
els = [e.tag for e in verdict if e.tag in ("failure", "error")]
assert els == ([] if kind == "none" else [kind]), (kind, els)
if kind != "none":
    msg = verdict.find(kind).get("message")
    reason = r.get("verdict") or r.get("error")
    assert msg == "%s (exit %d): %s" % (outcome, r["exit_code"], reason), msg
    assert int(suite.get(kind + "s")) >= 1, suite.attrib
props = {p.get("name"): p.get("value") for p in suite.iter("property")}
if "attempts" in r:
    assert props["attempts"] == str(r["attempts"]), props
    assert props["flaky"] == ("true" if r["flaky"] else "false"), props
    assert (verdict.get("name") == "verdict (flaky)") == r["flaky"], verdict.get("name")
if text:
    out = suite.find("system-out").text
    assert "last console lines" in out and text in out, out
PY
		fail "JUnit check failed ($2 $3)"
}

# has NAME FILE-SUFFIX TEXT: fixed TEXT appears in the case's out or err
has() {
	grep -qF -- "$3" "$WORK/$1.$2" || fail "no \"$3\" in $2"
}

alive() {
	# a zombie is dead: only a running process counts
	[ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"
}

# --- verdicts ---------------------------------------------------------------

qemu print:boot 'print:guest test pass!' hang
if expect pass 0; then
	json pass 'r["outcome"] == "pass" and r["attempts"] == 1 and not r["flaky"]'
	json pass '"matched line 2" in r["verdict"]'
	json pass 'open(r["console_log"]).read() == "boot\nguest test pass!\n"'
	has pass out 'guest test pass!'
	junit pass none pass 'guest test pass!'
fi

qemu print:boot 'print:[    1.5] Kernel panic - not syncing: VFS' hang
if expect fail 1; then
	json fail 'r["outcome"] == "fail"'
	json fail 'r["verdict"] == "fail pattern \"(?i)\\bpanic(?:ked)?\\b\" matched line 2: \"[    1.5] Kernel panic - not syncing: VFS\""'	junit fail failure fail 'Kernel panic'
fi

# a verdict found before its line ends names the whole line: the fail
# pattern matches "Kernel panic" while " - not syncing..." is still coming
qemu 'write:[    1.5] Kernel panic' sleep:50 'print: - not syncing: VFS: Unable to mount root fs' hang
expect fail-whole-line 1 --set launch.drain_ms=1500 &&
	json fail-whole-line 'r["verdict"].endswith("matched line 1: \"[    1.5] Kernel panic - not syncing: VFS: Unable to mount root fs\"")'

# a line that matches a success and a fail pattern fails
qemu 'print:guest ok; panic follows' hang
expect both-on-one-line 1 --set 'set-ctx.success_regex=guest ok' &&
	json both-on-one-line '"(?i)\\bpanic" in r["verdict"]'

# a prompt without a newline
qemu print:boot 'write:~ # ' hang
expect success-without-newline 0 --set 'set-ctx.success_regex=~ #'

# a prompt after a long unterminated line arrives in a small write: the
# supervisor matches the line's newest bytes once output pauses
qemu longline:20000 sleep:100 'write:~ # ' hang
expect prompt-after-long-line 0 --set 'set-ctx.success_regex=~ #' \
	--set set-ctx.timeout=5

# the success line arrives in three writes
qemu 'write:guest te' sleep:200 'write:st pass' sleep:200 'print:!' hang
expect success-split 0 && json success-split '"matched line 1" in r["verdict"]'

# ANSI colours around the success line
qemu 'print:\e[32mguest test pass!\e[0m\r' hang
expect ansi 0 && json ansi '"ANSI" in r["verdict"]'

# success patterns from the stage options replace the context's
qemu 'print:all done' hang
expect option-patterns 0 --set 'launch.success_regex=^all done$'

# --- exits, timeouts, crashes --------------------------------------------------

qemu print:boot exit:0
expect no-verdict 6 && json no-verdict 'r["outcome"] == "no-verdict"' &&
	junit no-verdict failure no-verdict boot

qemu print:boot exit:0
expect no-success-required 0 --set launch.require_success=false

qemu print:boot hang
if expect timeout 4 --set set-ctx.timeout=1; then
	json timeout 'r["outcome"] == "timeout" and "1 s timeout" in r["verdict"]'
	[ "$elapsed" -le 6 ] || fail "took ${elapsed}s"
	junit timeout error timeout boot
fi

# the stage option wins over qemu.timeout
qemu print:boot hang
expect timeout-option 4 --set set-ctx.timeout=100 --set launch.timeout=1

qemu print:a sleep:300 print:b sleep:300 print:c hang
expect idle-timeout 4 --set launch.idle_timeout=1 &&
	json idle-timeout '"idle_timeout" in r["verdict"]'

# idle_timeout starts at the first console byte: a silent firmware phase
# longer than it is the timeout's business
qemu sleep:1500 print:boot 'print:guest test pass!' hang
expect idle-after-first-byte 0 --set launch.idle_timeout=1 --set set-ctx.timeout=10

# a guest that never says anything is still ended by the timeout
qemu hang
expect idle-silent-timeout 4 --set launch.idle_timeout=1 --set set-ctx.timeout=2 &&
	json idle-silent-timeout '"2 s timeout" in r["verdict"]'

# --debug: QEMU waits for GDB, so neither clock runs; the run here ends by
# its verdict after both would have fired
qemu sleep:2500 'print:guest test pass!' hang
if expect debug-no-timeouts 0 --set set-ctx.debug=true --set set-ctx.timeout=1 \
	--set launch.idle_timeout=1; then
	has debug-no-timeouts err 'debug: timeout (1 s) and idle_timeout (1 s) do not run'
	has debug-no-timeouts err 'no TCP GDB stub'
fi

qemu print:boot signal:11
expect crash-signal 5 && json crash-signal '"signal 11" in r["verdict"]' &&
	junit crash-signal error crash boot

qemu print:boot 'stderr:qemu-system-aarch64: -drive file=x.img: Could not open '"'"'x.img'"'"'' exit:1
if expect crash-exit 5; then
	json crash-exit '"status 1" in r["verdict"] and "Could not open" in r["verdict"]'
	grep -q 'exited with status 1.*Could not open' "$WORK/crash-exit.err" ||
		fail "the error line lacks the status and QEMU's stderr"
fi

# QEMU refusing its command line before the guest says a word is a
# configuration outcome: its error line starts with its program name
qemu "stderr:fake-qemu: -machine virt,foo=bar: Property 'virt-9.0-machine.foo' not found" exit:1
expect argv-refused 2 &&
	json argv-refused 'r["outcome"] == "config" and "QEMU refused its command line" in r["verdict"] and "foo=bar" in r["verdict"]'

# KVM that opens but does not work: QEMU with KVM dies at start; with
# accel = auto (qemu.accel_auto) launch retries once with qemu.argv_tcg
kvm_death=("stderr:fake-qemu: error: failed to set MSR 0x10a to 0x2000000000000000"
	"stderr:fake-qemu: ../target/i386/kvm/kvm.c:2996: kvm_buf_set_msrs: Assertion failed." signal:6)
qemu "${kvm_death[@]}"
tcg=(--set "set-ctx.argv_tcg=$FAKE" --set 'set-ctx.argv_tcg=print:guest test pass!' --set set-ctx.argv_tcg=hang)
if expect kvm-to-tcg 0 --set set-ctx.accel_auto=true "${tcg[@]}"; then
	json kvm-to-tcg 'r["attempt_outcomes"] == ["crash", "pass"]'
	has kvm-to-tcg err 'QEMU with KVM died at start'
	has kvm-to-tcg err 'retrying once under TCG'
fi
# only once, and only for accel = auto: accel = kvm fails loudly
qemu "${kvm_death[@]}"
expect kvm-explicit 5 "${tcg[@]}" && json kvm-explicit '"failed to set MSR" in r["verdict"]'
qemu "${kvm_death[@]}"
expect kvm-to-tcg-once 5 --set set-ctx.accel_auto=true \
	--set "set-ctx.argv_tcg=$FAKE" --set "set-ctx.argv_tcg=${kvm_death[0]}" --set set-ctx.argv_tcg=signal:6 &&
	json kvm-to-tcg-once 'r["attempt_outcomes"] == ["crash", "crash"]'

qemu_args=(--set "set-ctx.argv=$WORK/no-such-qemu")
expect infra 3 &&
	has infra err 'No such file or directory'

# --- shell_prefix / shell_init_cmd -----------------------------------------------

# fake-qemu's readline echoes the typed line as "echo: LINE", as a shell
# at a prompt echoes it
qemu print:boot 'write:~ # ' readline 'print:/root' 'print:guest test pass!' hang
if expect shell 0 --set 'set-ctx.shell_prefix=~ #' \
	--set "set-ctx.shell_init_cmd=pwd && echo 'guest test pass!'" \
	--set set-ctx.timeout=10; then
	json shell '"matched line 4" in r["verdict"]'
	has shell err "typing \"pwd && echo 'guest test pass!'\""
fi

# the echo of the typed command is not guest output: a command that prints
# nothing does not pass by its own echo ...
qemu print:boot 'write:~ # ' readline 'write:~ # ' hang
expect shell-echo-no-pass 4 --set 'set-ctx.shell_prefix=~ #' \
	--set "set-ctx.shell_init_cmd=false && echo 'guest test pass!'" \
	--set 'set-ctx.success_regex=guest test pass!' --set set-ctx.timeout=2

# ... and a command that names "panic" does not fail by it
qemu print:boot 'write:~ # ' readline print:0 'print:guest test pass!' hang
expect shell-echo-no-fail 0 --set 'set-ctx.shell_prefix=~ #' \
	--set "set-ctx.shell_init_cmd=dmesg | grep -c panic; echo 'guest test pass!'" \
	--set set-ctx.timeout=10 &&
	json shell-echo-no-fail '"matched line 4" in r["verdict"]'

# a guest that does not echo: its output is matched as usual
qemu print:boot 'write:~ # ' sleep:300 'print:' 'print:guest test pass!' hang
expect shell-no-echo 0 --set 'set-ctx.shell_prefix=~ #' \
	--set "set-ctx.shell_init_cmd=echo 'guest test pass!'" \
	--set 'set-ctx.success_regex=^guest test pass!$' --set set-ctx.timeout=10

# --- retries ----------------------------------------------------------------------

rm -f "$WORK/counter"
qemu "counter:$WORK/counter" @1:hang 'print:guest test pass!' hang
if expect flaky 0 --set set-ctx.timeout=1 --set launch.retries=2; then
	json flaky 'r["attempts"] == 2 and r["flaky"] and r["attempt_outcomes"] == ["timeout", "pass"]'
	has flaky err flaky
	junit flaky none pass 'guest test pass!'
	ls "$WORK"/tmp/bootpipe/logs/launch-test-*-attempt2.log >/dev/null ||
		fail "no console log for attempt 2"
fi

# a fail is never retried
rm -f "$WORK/counter"
qemu "counter:$WORK/counter" 'print:panic' hang
expect no-retry-on-fail 1 --set launch.retries=2 &&
	json no-retry-on-fail 'r["attempts"] == 1'

qemu_args=(--set "set-ctx.argv=$WORK/no-such-qemu")
expect infra-retried 3 --set launch.retries=1 &&
	json infra-retried 'r["attempt_outcomes"] == ["infra", "infra"]'

# --- concurrent runs -------------------------------------------------------------

# two runs of one pipeline started in the same second get a console log each
# (the default name has a one-second stamp); each log holds its own output
while [ $((10#$(date +%N))) -gt 200000000 ]; do sleep 0.02; done
pids=()
for run in one two; do
	qemu "print:run $run" sleep:500 'print:guest test pass!' hang
	"$BOOTPIPE" run "$PIPE" --plugin-dir "$FIXTURES" --workspace "$WORK" \
		--report "json=$WORK/concurrent-$run.json" "${qemu_args[@]}" \
		>"$WORK/concurrent-$run.out" 2>"$WORK/concurrent-$run.err" </dev/null &
	pids+=($!)
done
for run in one two; do
	name=concurrent-$run
	cases=$((cases + 1))
	wait "${pids[0]}"
	rc=$?
	pids=("${pids[@]:1}")
	[ "$rc" = 0 ] || fail "exit code $rc, expected 0"
	json "$name" "open(r['console_log']).read() == 'run $run\\nguest test pass!\\n'"
done
python3 -c 'import json,sys; a, b = (json.load(open(f))["console_log"] for f in sys.argv[1:]); sys.exit(a == b)' \
	"$WORK/concurrent-one.json" "$WORK/concurrent-two.json" ||
	fail "both runs report one console log"

# --- console log cap ----------------------------------------------------------------

# ~5 MB of console under a 1 MiB cap: the log keeps the first MiB and a
# marker with the exact count dropped; the verdict comes from the stream,
# so the success line after the flood still passes
flood=(print:boot flood:5000000 'print:guest test pass!')
total=$("$FAKE" "${flood[@]}" exit:0 | wc -c)
"$FAKE" "${flood[@]}" exit:0 | head -c 1048576 >"$WORK/log-cap.head"
qemu "${flood[@]}" hang
if expect log-cap 0 --set launch.console_log_max=1; then
	json log-cap 'r["outcome"] == "pass" and "guest test pass!" in r["verdict"]'
	# the first MiB exactly, then the marker on a line of its own
	json log-cap "(lambda d, h: d == h + (b'' if h.endswith(b'\\n') else b'\\n') +
		b'[bootpipe: console log truncated after 1 MiB; $((total - 1048576)) bytes dropped]\\n')(
		open(r['console_log'], 'rb').read(), open('$WORK/log-cap.head', 'rb').read())"
	has log-cap err 'console log reached console_log_max (1 MiB)'
	[ "$(grep -c console_log_max "$WORK/log-cap.err")" = 1 ] ||
		fail "the cap warning is not given exactly once"
fi

# 0: no cap, every byte is kept and nothing is said
qemu "${flood[@]}" hang
if expect log-cap-unlimited 0 --set launch.console_log_max=0; then
	json log-cap-unlimited "(lambda d: len(d) == $total and b'[bootpipe:' not in d)(open(r['console_log'], 'rb').read())"
	grep -q console_log_max "$WORK/log-cap-unlimited.err" &&
		fail "a warning about the cap without one"
fi

qemu hang
expect log-cap-negative 2 --set launch.console_log_max=-1 &&
	has log-cap-negative err '--set: console_log_max = -1: must be 0 to 1048576 MiB'
expect log-cap-huge 2 --set launch.console_log_max=1048577 &&
	has log-cap-huge err 'console_log_max = 1048577: must be 0 to 1048576 MiB'

# --- stopping -----------------------------------------------------------------------

# QEMU that ignores SIGTERM is killed after the grace period, with the
# helper process it started
rm -f "$WORK/pid" "$WORK/cpid"
qemu "pidfile:$WORK/pid" "child:$WORK/cpid" ignore-term 'print:guest test pass!' hang
if expect stop-grace 0 --set launch.stop_grace_ms=500; then
	alive "$(cat "$WORK/pid")" && fail "QEMU survived"
	alive "$(cat "$WORK/cpid")" && fail "QEMU's child survived"
fi

# a stop signal to bootpipe (Ctrl-C, kill, terminal closed, Ctrl-\):
# QEMU and its children go, exit 130
for sig in INT TERM HUP QUIT; do
	name=sig$sig
	cases=$((cases + 1))
	rm -f "$WORK/pid" "$WORK/cpid"
	qemu "pidfile:$WORK/pid" "child:$WORK/cpid" print:boot hang
	"$BOOTPIPE" run "$PIPE" --plugin-dir "$FIXTURES" --workspace "$WORK" \
		--report "json=$WORK/$name.json" --report "junit=$WORK/$name.xml" \
		"${qemu_args[@]}" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null &
	bp=$!
	for _ in $(seq 100); do
		[ -s "$WORK/cpid" ] && break
		sleep 0.05
	done
	kill -$sig $bp
	wait $bp
	rc=$?
	[ "$rc" = 130 ] || fail "exit code $rc, expected 130"
	[ -s "$WORK/pid" ] || fail "fake QEMU never started"
	alive "$(cat "$WORK/pid")" && fail "QEMU survived SIG$sig"
	alive "$(cat "$WORK/cpid")" && fail "QEMU's child survived SIG$sig"
	junit $name error interrupted boot
done

# the drain ends once the verdict's line is whole and the console is quiet
# (drain_quiet_ms), not after the whole drain_ms; what comes within the
# quiet time is still kept
qemu 'print:guest test pass!' sleep:50 print:after hang
if expect drain-quiet 0 --set launch.drain_ms=8000 --set launch.drain_quiet_ms=400; then
	[ "$elapsed" -le 4 ] || fail "took ${elapsed}s: the drain waited for drain_ms"
	json drain-quiet 'open(r["console_log"]).read() == "guest test pass!\nafter\n"'
fi

# --- plan and replay -----------------------------------------------------------------

rm -f "$WORK/pid"
qemu "pidfile:$WORK/pid" hang
name=plan
cases=$((cases + 1))
"$BOOTPIPE" plan "$PIPE" --plugin-dir "$FIXTURES" --workspace "$WORK" \
	"${qemu_args[@]}" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null
rc=$?
[ "$rc" = 0 ] || fail "exit code $rc, expected 0"
[ -e "$WORK/pid" ] && fail "plan started QEMU"
has plan err 'would start'

printf 'boot\r\nlogin: root\r\n\e[31mKernel panic - not syncing\e[0m\r\nguest test pass!\r\n' >"$WORK/saved.log"
qemu hang
name=replay
cases=$((cases + 1))
"$BOOTPIPE" replay "$PIPE" "$WORK/saved.log" --plugin-dir "$FIXTURES" \
	--workspace "$WORK" "${qemu_args[@]}" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null
rc=$?
[ "$rc" = 1 ] || fail "exit code $rc, expected 1"
has replay out 'fail: fail pattern "(?i)\bpanic(?:ked)?\b" matched line 3'

# --- configuration errors ----------------------------------------------------------

qemu hang
if expect bad-option-regex 2 --set 'launch.fail_regex=(?i)kernel (panic'; then
	has bad-option-regex err 'offset 17'
	has bad-option-regex err '(?i)kernel (panic'
fi
qemu hang
expect bad-context-regex 2 --set 'set-ctx.success_regex=[' &&
	has bad-context-regex err 'qemu.success_regex'

echo "$cases cases, $failures failures"
[ "$failures" = 0 ]
