#!/usr/bin/env bash
# End to end: `bootpipe run` of the cached demo against the same QEMU argv
# run bare (same guest, same machine, A/B interleaved in one run), and the
# teardown after the verdict on a guest that does not power off: the time
# from its success line on bootpipe's stdout to bootpipe's exit.
# Goals: run/bare at most 1.10x; teardown under 50 ms.
#   BUILD=build RUNS=20 tests/bench/e2e.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${BUILD:-$here/../../build}" && pwd)
runs=${RUNS:-20}
for tool in qemu-system-aarch64 aarch64-linux-gnu-as aarch64-linux-gnu-objcopy; do
	command -v "$tool" >/dev/null || { echo "e2e: skip, $tool not found"; exit 0; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# a demo workspace of the bench's own, filled (cached) by a first run
export XDG_CACHE_HOME=$work/cache

# the guest that stays up: prints its success line, then waits for ever
cat >"$work/stay.S" <<'ASM'
	.text
	.global _start
_start:
	ldr	x1, =0x09000000		// PL011 data register on virt
	adr	x2, msg
1:	ldrb	w3, [x2], #1
	cbz	w3, 2f
	strb	w3, [x1]
	b	1b
2:	wfi
	b	2b
msg:	.asciz	"hello, staying up\r\nguest test pass!\r\n"
	.align	3
	.ltorg
ASM
aarch64-linux-gnu-as -o "$work/stay.o" "$work/stay.S"
aarch64-linux-gnu-objcopy -O binary "$work/stay.o" "$work/stay.bin"

python3 - "$build" "$runs" "$work" "$here/../integration/launch/launch.ini" <<'PY'
import os, shlex, statistics, subprocess, sys, time

build, runs, work, launch_ini = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
bootpipe = os.path.join(build, "bin", "bootpipe")
quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
             stderr=subprocess.DEVNULL)

def timed(argv):
    t = time.perf_counter()
    rc = subprocess.run(argv, **quiet).returncode
    return (time.perf_counter() - t) * 1000, rc

# warm up: fetch the demo image into the store, fill the page cache
if subprocess.run([bootpipe, "run"], **quiet).returncode != 0:
    sys.exit("e2e: `bootpipe run` of the demo does not pass")
plan = subprocess.run([bootpipe, "plan"], capture_output=True, text=True)
argv = shlex.split(plan.stdout.strip().splitlines()[-1])
k = argv.index("-kernel") + 1
if not os.path.exists(argv[k]):
    # the raw binary is made per run: make the same bytes for the bare run
    elf = os.path.join(os.environ["XDG_CACHE_HOME"], "bootpipe", "demo",
                       "guests", "demo-aarch64.elf")
    argv[k] = os.path.join(work, "demo.bin")
    subprocess.run(["aarch64-linux-gnu-objcopy", "-O", "binary", elf, argv[k]],
                   check=True)
if timed(argv)[1] != 0:
    sys.exit("e2e: the bare QEMU command fails: " + shlex.join(argv))

a, b = [], []
for _ in range(runs):
    ms, rc = timed([bootpipe, "run"])
    assert rc == 0, "bootpipe run failed"
    a.append(ms)
    b.append(timed(argv)[0])
ma, mb = statistics.median(a), statistics.median(b)
print(f"e2e, median of {runs} interleaved runs of the cached demo (aarch64, TCG)")
print(f"  bootpipe run     {ma:8.1f} ms")
print(f"  bare QEMU argv   {mb:8.1f} ms")
print(f"  ratio            {ma / mb:8.2f}x   (goal <= 1.10x)")

# teardown: success line seen on stdout -> bootpipe exited
cmd = [bootpipe, "run", launch_ini, "--workspace", work, "--plugin-dir",
       os.path.join(build, "tests", "integration", "launch", "plugins"),
       "--set", "launch.drain_ms=500", "--set", "set-ctx.timeout=30"]
for arg in ["qemu-system-aarch64", "-machine", "virt", "-cpu", "cortex-a72",
            "-nographic", "-monitor", "none", "-kernel",
            os.path.join(work, "stay.bin")]:
    cmd += ["--set", "set-ctx.argv=" + arg]
down = []
for _ in range(runs):
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    seen, buf = None, b""
    while True:
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        if seen is None and b"guest test pass!\r\n" in buf:
            seen = time.perf_counter()
    rc = p.wait()
    end = time.perf_counter()
    assert rc == 0 and seen is not None, f"teardown run: exit {rc}"
    down.append((end - seen) * 1000)
print(f"  teardown         {statistics.median(down):8.1f} ms   (goal < 50 ms; "
      f"guest that does not power off, drain_ms = 500, median of {runs})")
PY
