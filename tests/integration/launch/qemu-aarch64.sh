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
echo "qemu-aarch64: $failures failures"
[ "$failures" = 0 ]
