#!/usr/bin/env bash
# The launch stage at a terminal, on a real pseudo-terminal (pty-run.py):
#   terminal.sh BOOTPIPE FIXTURE_PLUGIN_DIR FAKE_QEMU WORKDIR
# The stop keys, keys forwarded to the guest, a background run, the
# terminal state a guest leaves, keep_running.
set -u

BOOTPIPE=$1
FIXTURES=$2
FAKE=$3
WORK=$4
HERE=$(cd "$(dirname "$0")" && pwd)
PIPE=$HERE/launch.ini
PTY=$HERE/pty-run.py

rm -rf "$WORK"
mkdir -p "$WORK"
export TERM=xterm
failures=0
cases=0

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
	echo "---- transcript"
	cat -v "$WORK/$name.tty"
	echo
	failures=$((failures + 1))
}

alive() {
	[ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"
}

# term NAME RC [pty-run options] -- [bootpipe run options]: bootpipe run at
# a terminal; checks the exit code and that QEMU is gone
term() {
	name=$1
	local want=$2 opts=()
	shift 2
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	cases=$((cases + 1))
	rm -f "$WORK/pid"
	python3 "$PTY" --timeout 20 --transcript "$WORK/$name.tty" "${opts[@]}" -- \
		"$BOOTPIPE" run "$PIPE" --plugin-dir "$FIXTURES" --workspace "$WORK" \
		--report "json=$WORK/$name.json" "${qemu_args[@]}" "$@"
	rc=$?
	if [ -s "$WORK/pid" ] && alive "$(cat "$WORK/pid")"; then
		fail "QEMU left running"
		kill -KILL "$(cat "$WORK/pid")"
	fi
	if [ "$rc" != "$want" ]; then
		fail "exit code $rc, expected $want"
		return 1
	fi
	return 0
}

has() { grep -qaF -- "$2" "$WORK/$1.tty" || fail "no \"$2\" on the terminal"; }
json() {
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$WORK/$1.json" "$2" || fail "report check failed: $2"
}

# --- keys ---------------------------------------------------------------------------

# the start line says how to stop; Ctrl-] stops: interrupted (130)
qemu "pidfile:$WORK/pid" print:boot hang
term stop-key 130 --send 'Ctrl-] to stop=\x1d' -- &&
	has stop-key 'Ctrl-] to stop, keys go to the guest'

# QEMU's own Ctrl-A x is a stop too, not a no-verdict exit
qemu "pidfile:$WORK/pid" print:boot hang
term ctrl-a-x 130 --send 'Ctrl-] to stop=\x01x' -- &&
	json ctrl-a-x '"Ctrl-A x" in r["verdict"]'

# other keys, Ctrl-C among them, go to the guest
qemu "pidfile:$WORK/pid" print:boot readline 'print:guest test pass!' hang
term keys-to-guest 0 --send 'Ctrl-] to stop=a\x03b\n' -- &&
	has keys-to-guest $'echo: a\x03b'

# --- background ---------------------------------------------------------------------

# `bootpipe run &`: the terminal is not ours; it is left alone (no SIGTTOU
# stop) and the run goes on as with </dev/null
qemu "pidfile:$WORK/pid" print:boot sleep:300 'print:guest test pass!' hang
term background 0 --background --
grep -qaF 'Ctrl-] to stop' "$WORK/background.tty" && fail "a background run offered the keys"

# ... and SIGTERM ends it
qemu "pidfile:$WORK/pid" print:boot hang
term background-sigterm 130 --background --sigterm boot --

# the terminal closed (SIGHUP) while the guest runs in raw mode: QEMU
# stopped, interrupted, the terminal's modes restored (pty-run checks them)
qemu "pidfile:$WORK/pid" print:boot hang
term hangup 130 --sigterm boot --signal HUP --

# --- terminal state -----------------------------------------------------------------

# a guest that turns wrap and the cursor off and leaves colours on (SeaBIOS,
# Linux): restored after it, in that order of arrival
qemu 'print:\e[?7l\e[?25l\e[31mred text' 'print:guest test pass!' hang
if term restore 0 --; then
	python3 - "$WORK/restore.tty" <<'PY' || fail "wrap, cursor or attributes not restored after the guest"
import sys
t = open(sys.argv[1], "rb").read()
tail = t[t.rindex(b"\x1b[?7l"):]
sys.exit(0 if all(s in tail for s in (b"\x1b[?7h", b"\x1b[?25h", b"\x1b[0m")) else 1)
PY
fi

# restored: after the last of the guest's @off sequences, @on follows
restored() { # NAME OFF ON
	python3 - "$WORK/$1.tty" "$2" "$3" <<'PY' || fail "$3 not sent after the guest's $2"
import sys
t = open(sys.argv[1], "rb").read()
off, on = (s.encode().decode("unicode_escape").encode("latin-1") for s in sys.argv[2:4])
sys.exit(0 if off in t and on in t[t.rindex(off):] else 1)
PY
}

# a guest on the alternate screen (a full-screen program): back to the
# main screen at the end
qemu 'print:\e[?1049hfull screen' 'print:guest test pass!' hang
term alt-screen 0 -- && restored alt-screen '\x1b[?1049h' '\x1b[?1049l'

# the real x86 demo: SeaBIOS resets the terminal (ESC c), turns wrap off
# and clears the screen; wrap is back on after it (pty-run.py checks the
# terminal's modes)
demo_elf=$(dirname "$BOOTPIPE")/../share/bootpipe/demo/guests/demo-x86_64.elf
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "skip [x86-demo]: no qemu-system-x86_64"
elif [ ! -f "$demo_elf" ]; then
	echo "skip [x86-demo]: the demo guests are not built"
else
	name=x86-demo
	cases=$((cases + 1))
	# the demo in a per-user workspace of its own
	XDG_CACHE_HOME=$WORK/x86-cache python3 "$PTY" --timeout 120 \
		--transcript "$WORK/$name.tty" -- "$BOOTPIPE" run demo-x86_64
	rc=$?
	if [ $rc != 0 ]; then
		fail "exit code $rc, expected 0"
	else
		has x86-demo 'guest test pass!'
		has x86-demo $'\ec'
		restored x86-demo '\x1b[?7l' '\x1b[?7h'
	fi
fi

# TERM=dumb: bootpipe writes no escape sequence of its own
qemu 'print:\e[?7l' 'print:guest test pass!' hang
if TERM=dumb term dumb 0 --; then
	grep -qaF $'\e[?7h' "$WORK/dumb.tty" && fail "escape sequences with TERM=dumb"
fi

# ... not even in red error lines (a crash) or a download's progress bar
noescape() { grep -qaF $'\e' "$WORK/$1.tty" && fail "escape sequences with TERM=dumb"; }
qemu print:boot exit:3
TERM=dumb term dumb-crash 5 -- && noescape dumb-crash
name=dumb-download
cases=$((cases + 1))
mkdir -p "$WORK/dl/src" "$WORK/dl/ws"
# a rootfs too small to use: downloaded (with progress), then refused
head -c 300000 /dev/urandom >"$WORK/dl/src/rootfs-aarch64-alpine.img"
tar -C "$WORK/dl/src" -cJf "$WORK/dl/r.tar.xz" rootfs-aarch64-alpine.img
printf '[pipeline]\nstages = resolve-request fetch-rootfs\n[resolve-request]\narch = aarch64\nrequire_kernel = false\n[fetch-rootfs]\nallow_insecure_url = true\nurl = file://%s\nsha256 = %s\n' \
	"$WORK/dl/r.tar.xz" "$(sha256sum "$WORK/dl/r.tar.xz" | cut -d' ' -f1)" >"$WORK/dl/dl.ini"
TERM=dumb python3 "$PTY" --timeout 20 --transcript "$WORK/$name.tty" -- \
	"$BOOTPIPE" run "$WORK/dl/dl.ini" --workspace "$WORK/dl/ws"
rc=$?
if [ $rc != 3 ]; then
	fail "exit code $rc, expected 3"
elif ! grep -qaF 'download rootfs-aarch64-alpine' "$WORK/$name.tty"; then
	fail "no download progress"
else
	noescape $name
fi

# --- keep_running -------------------------------------------------------------------

# the guest stays up after the verdict, console attached, until Ctrl-];
# the outcome is the verdict
qemu "pidfile:$WORK/pid" 'print:guest test pass!' sleep:1500 'print:still up' hang
if term keep-running 0 --send 'still up\r\n=\x1d' -- --interactive; then
	has keep-running 'the guest keeps running'
	json keep-running 'r["outcome"] == "pass"'
fi

echo "$cases cases, $failures failures"
[ "$failures" = 0 ]
