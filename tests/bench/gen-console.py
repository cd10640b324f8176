#!/usr/bin/env python3
"""Writes console-like output (boot log lines, long lines, ANSI colours)
of about SIZE megabytes to PATH. No line matches the bench's patterns
except the last one, so a matcher has to read everything."""
import random
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen-console.py SIZE_MB PATH")
    target = int(sys.argv[1]) * 1024 * 1024
    rnd = random.Random(42)
    words = ("virtio blk net pci bus device driver memory region mapped "
             "cpu online smp gic timer clock irq vector hart page table "
             "ext4 mounted filesystem readonly journal inode block vcpu "
             "vm hypervisor guest entry point loaded bytes kernel image "
             "console uart serial tty init systemd service started reached "
             "target network interface link up dhcp lease address").split()
    templates = [
        "[{t:12.6f}] {w} {w} {w}: {n} {w} at 0x{h:016x}",
        "[{t:12.6f}] {w}{n}: {w} {w} {w} {w} {w} ({n} {w})",
        "\x1b[32m[  OK  ]\x1b[0m Started {w} {w} {w}.",
        "\x1b[1;34m[INFO]\x1b[0m {w} {w} {w} {n}/{n} done\r",
        "{w}={n} {w}={n} {w}={h:x} {w}={n}",
        "",
    ]
    out = bytearray()
    t = 0.0
    with open(sys.argv[2], "wb") as f:
        while f.tell() + len(out) < target:
            t += rnd.random() / 100
            if rnd.random() < 0.01:
                line = " ".join(rnd.choice(words)
                                for _ in range(rnd.randint(200, 800)))
            else:
                tpl = rnd.choice(templates)
                line = tpl
                while "{w}" in line:
                    line = line.replace("{w}", rnd.choice(words), 1)
                while "{n}" in line:
                    line = line.replace("{n}", str(rnd.randint(0, 99999)), 1)
                line = line.format(t=t, h=rnd.getrandbits(48))
            out += line.encode() + b"\n"
            if len(out) > 1 << 20:
                f.write(out)
                out.clear()
        out += b"guest test pass!\n"
        f.write(out)


if __name__ == "__main__":
    main()
