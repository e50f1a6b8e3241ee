#!/usr/bin/env python3
"""Boot-time and image-size figures for docs/benchmarks.md.

For each accelerator, in one run: the wall time of `./warden run
--exit-when-ready` (the whole command a user types, build check included) and
of QEMU booting bench/empty.elf (a PVH kernel that exits at its first
instruction) with the same machine flags, alternated, N times each; the ratio
of the medians; and the kernel's own boot_us from its ready line.
"""
import argparse
import os
import re
import statistics
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import qemu  # noqa: E402  (shared QEMU command line)


def elf_sizes(path):
    """Sizes of the ELF's loadable segments: (file bytes, sum of filesz, sum of memsz)."""
    with open(path, "rb") as f:
        data = f.read()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    filesz = memsz = 0
    for i in range(phnum):
        p_type, _, _, _, _, p_filesz, p_memsz, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            filesz += p_filesz
            memsz += p_memsz
    return len(data), filesz, memsz


def timed(cmd):
    start = time.monotonic()
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return time.monotonic() - start, proc.returncode, proc.stdout.decode("utf-8", "replace")


def bench(accel, build, runs, smp):
    empty_cmd = qemu.batch_command(f"{build}/bench/empty.elf", accel, smp)
    kernel_cmd = qemu.batch_command(f"{build}/kernel/warden.elf", accel, smp, "warden.exit_when_ready")
    warden_cmd = [f"{ROOT}/warden", "run", "--exit-when-ready", "--accel", accel, "--smp", str(smp)]
    warden_t, kernel_t, empty_t, boot_us = [], [], [], []
    for _ in range(runs):
        t, rc, out = timed(kernel_cmd)
        if rc != qemu.PASS_STATUS:
            sys.exit(f"warden.elf did not exit with the pass code under {accel} (status {rc}):\n{out}")
        kernel_t.append(t)
        t, rc, out = timed(warden_cmd)
        if rc != 0:
            sys.exit(f"warden run failed under {accel} (status {rc}):\n{out}")
        warden_t.append(t)
        m = re.search(r"warden: ready cpus=\d+ tasks=\d+ free_kib=\d+ boot_us=(\d+)", out)
        boot_us.append(int(m.group(1)))
        t, rc, out = timed(empty_cmd)
        if rc != qemu.PASS_STATUS:
            sys.exit(f"empty kernel did not exit with the pass code under {accel} (status {rc}):\n{out}")
        empty_t.append(t)
    w, k, e = statistics.median(warden_t), statistics.median(kernel_t), statistics.median(empty_t)
    print(f"{accel}: medians of {runs} runs, alternated")
    print(f"  empty kernel (qemu-system-x86_64 -kernel empty.elf)   {e * 1000:8.1f} ms   1.00")
    print(f"  warden.elf, same QEMU command                         {k * 1000:8.1f} ms   {k / e:4.2f}")
    print(f"  ./warden run --exit-when-ready (script, build check)  {w * 1000:8.1f} ms   {w / e:4.2f}")
    print(f"  kernel boot_us (entry to ready line, TSC)             {statistics.median(boot_us) / 1000:8.1f} ms")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--accel", action="append", choices=["tcg", "kvm"])
    args = p.parse_args()
    accels = args.accel or (["tcg", "kvm"] if qemu.kvm_usable() else ["tcg"])

    size, filesz, memsz = elf_sizes(f"{args.build}/kernel/warden.elf")
    print(f"kernel image: warden.elf {size} bytes on disk (with symbols), "
          f"{filesz} bytes loaded, {memsz} bytes in memory (incl. .bss and boot stack)")
    for accel in accels:
        bench(accel, args.build, args.runs, args.smp)


if __name__ == "__main__":
    main()
