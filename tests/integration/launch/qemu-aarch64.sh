#!/usr/bin/env bash
# Boots a real qemu-system-aarch64 through launch on a tiny image built
# here: a few instructions that print to the PL011 of the virt machine and
# power off with PSCI SYSTEM_OFF.
#   qemu-aarch64.sh BOOTPIPE FIXTURE_PLUGIN_DIR WORKDIR
# Exits 77 (skip) without the cross assembler or QEMU.
set -u

BOOTPIPE=$1
FIXTURES=$2
WORK=$3
HERE=$(cd "$(dirname "$0")" && pwd)

for tool in aarch64-linux-gnu-as aarch64-linux-gnu-objcopy qemu-system-aarch64; do
	if ! command -v "$tool" >/dev/null; then
		echo "skip: $tool not found"
		exit 77
	fi
done

rm -rf "$WORK"
mkdir -p "$WORK"
cat >"$WORK/hello.S" <<'ASM'
	.text
	.global _start
_start:
	ldr	x1, =0x09000000		// PL011 data register on virt
	adr	x2, msg
1:	ldrb	w3, [x2], #1
	cbz	w3, 2f
	strb	w3, [x1]
	b	1b
2:	ldr	x0, =0x84000008		// PSCI SYSTEM_OFF
	hvc	#0
3:	wfi
	b	3b
msg:	.asciz	"hello from aarch64\r\nguest test pass!\r\n"
	.align	3
	.ltorg
ASM
aarch64-linux-gnu-as -o "$WORK/hello.o" "$WORK/hello.S" || exit 1
aarch64-linux-gnu-objcopy -O binary "$WORK/hello.o" "$WORK/hello.bin" || exit 1

qemu=(qemu-system-aarch64 -machine virt -cpu cortex-a72 -nographic
	-monitor none -kernel "$WORK/hello.bin")
args=()
for a in "${qemu[@]}"; do
	args+=(--set "set-ctx.argv=$a")
done

failures=0
run() {
	local name=$1 want=$2
	shift 2
	"$BOOTPIPE" run "$HERE/launch.ini" --plugin-dir "$FIXTURES" \
		--workspace "$WORK" --report "json=$WORK/$name.json" \
		"${args[@]}" --set set-ctx.timeout=30 "$@" \
		>"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null
	local rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL [$name]: exit code $rc, expected $want"
		cat "$WORK/$name.out" "$WORK/$name.err"
		failures=$((failures + 1))
	fi
}

# the success line stops QEMU
run pass 0
grep -q 'hello from aarch64' "$WORK/pass.out" || {
	echo "FAIL [pass]: the console was not copied to stdout"
	failures=$((failures + 1))
}
# without a matching success pattern, SYSTEM_OFF makes QEMU exit 0
run no-verdict 6 --set 'launch.success_regex=never printed'
run exit-zero 0 --set 'launch.success_regex=never printed' \
	--set launch.require_success=false
# --debug: QEMU halts for GDB; neither timeout nor idle_timeout runs, and
# the hint that launch prints, pasted with "continue" added, attaches
# gdb-multiarch, loads the ELF's symbols and lets the guest run to its
# success line (here seconds after both clocks would have fired)
if command -v gdb-multiarch >/dev/null && command -v aarch64-linux-gnu-ld >/dev/null; then
	aarch64-linux-gnu-ld -Ttext=0x40080000 -o "$WORK/hello.elf" "$WORK/hello.o" || exit 1
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$BOOTPIPE" run "$HERE/launch.ini" --plugin-dir "$FIXTURES" \
		--workspace "$WORK" --report "json=$WORK/debug.json" "${args[@]}" \
		--set set-ctx.argv=-S --set set-ctx.argv=-gdb \
		--set "set-ctx.argv=tcp:127.0.0.1:$port" \
		--set set-ctx.debug=true --set "set-ctx.kernel=$WORK/hello.elf" \
		--set set-ctx.arch=aarch64 --set set-ctx.timeout=1 \
		--set launch.idle_timeout=1 \
		>"$WORK/debug.out" 2>"$WORK/debug.err" </dev/null &
	bp=$!
	hint=
	for _ in $(seq 100); do
		hint=$(sed -n 's/.*debug: attach with: //p' "$WORK/debug.err")
		[ -n "$hint" ] && break
		sleep 0.05
	done
	want="gdb-multiarch -ex 'file $WORK/hello.elf' -ex 'target remote :$port'"
	if [ "$(uname -m)" = aarch64 ]; then
		want="gdb -ex 'file $WORK/hello.elf' -ex 'target remote :$port'"
	fi
	if [ "$hint" != "$want" ]; then
		echo "FAIL [debug]: hint \"$hint\", expected \"$want\""
		failures=$((failures + 1))
	fi
	sleep 2.5
	timeout 20 bash -c "$hint -batch -ex 'info address _start' -ex continue" >"$WORK/gdb.out" 2>&1
	wait $bp
	rc=$?
	if [ "$rc" != 0 ]; then
		echo "FAIL [debug]: exit code $rc, expected 0"
		cat "$WORK/debug.out" "$WORK/debug.err" "$WORK/gdb.out"
		failures=$((failures + 1))
	fi
	grep -q 'Symbol "_start" is at 0x40080000' "$WORK/gdb.out" || {
		echo "FAIL [debug]: gdb did not load the ELF's symbols"
		cat "$WORK/gdb.out"
		failures=$((failures + 1))
	}
else
	echo "skip [debug]: gdb-multiarch or aarch64-linux-gnu-ld not found"
fi
# a command line QEMU refuses is the config's fault (2), not a crash (5)
run refused-argv 2 --set set-ctx.argv=-no-such-option
grep -q 'QEMU refused its command line (exit status 1): .*-no-such-option' \
	"$WORK/refused-argv.err" || {
	echo "FAIL [refused-argv]: no reason naming the refused option"
	cat "$WORK/refused-argv.err"
	failures=$((failures + 1))
}
echo "qemu-aarch64: $failures failures"
[ "$failures" = 0 ]
