#!/usr/bin/env python3
"""Writes a large TOML document (about SIZE_MB megabytes) mixing what real
configs hold: tables with scalars, dotted keys, long arrays, nested arrays,
inline tables, arrays of tables, comments and multi-line strings.

usage: gen-toml.py OUT [SIZE_MB]
"""
import sys


def main():
    out = sys.argv[1]
    target = int(float(sys.argv[2] if len(sys.argv) > 2 else 32) * 1e6)
    written = 0
    i = 0
    with open(out, "w") as f:
        while written < target:
            ints = ", ".join(str((i * 7 + k) * 1013) for k in range(16))
            chunk = (
                "# VM %d\n"
                "[vm%d.base]\n"
                "id = %d\n"
                "name = \"linux-qemu-%d\"\n"
                "ratio = %d.%03de-3\n"
                "enabled = %s\n"
                "created = 2024-01-%02dT10:%02d:00Z\n"
                "phys_cpu_ids = [%s]\n"
                "[vm%d.kernel]\n"
                "entry_point = 0x8020_%04x\n"
                "kernel_path = '/guest/linux/linux-qemu-%d'\n"
                "memory_regions = [\n"
                "    [0x8000_0000, 0x1000_0000, 0x7, 1], # System RAM\n"
                "    [0x9000_0000, 0x0100_0000, 0x3, 0],\n"
                "]\n"
                "limits.cpu.shares = %d\n"
                "limits.mem = { soft = %d, hard = %d, unit = \"MiB\" }\n"
                "cmdline = \"\"\"\n"
                "earlycon=sbi console=ttyS0 \\\n"
                "  root=/dev/vda rw\"\"\"\n"
                "[[vm%d.devices]]\n"
                "name = \"plic\"\n"
                "regs = [\"plic\", 0x0c00_0000, 0x60_0000, 0, 0x30, [2]]\n"
                "[[vm%d.devices]]\n"
                "name = \"uart\\u0030\"\n"
                "regs = [\"uart\", 0x1000_0000, 0x100, 0, 0x0a, [10, 11]]\n"
                "\n"
            ) % (i, i, i, i, i % 97, i % 1000, "true" if i % 2 else "false",
                 i % 28 + 1, i % 60, ints, i, i % 0x10000, i, i * 3, i, i * 2,
                 i, i)
            f.write(chunk)
            written += len(chunk)
            i += 1


if __name__ == "__main__":
    main()
