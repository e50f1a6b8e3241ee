#!/usr/bin/env python3
"""Boot-time and image-size figures for docs/benchmarks.md.

For each accelerator, in one run, alternated N times: the floor, a trivial
firmware this script writes (64 KiB whose reset vector writes the exit port:
QEMU's own start and stop); Warden as the firmware (-bios build/warden.fw)
and through PVH (-kernel warden.elf: SeaBIOS and the PVH option ROM first),
each both as the bare QEMU command and as `./warden run --exit-when-ready
[--boot pvh]` (the command a user types, build check included); and
bench/empty.elf, a PVH kernel that exits at its first instruction (the PVH
floor). Printed: medians, their ratio to the trivial firmware, and the
kernel's own boot_us (TSC from its first instruction - the reset vector on
the firmware path - to the ready line).
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


def trivial_firmware(path):
    """64 KiB of hlt; at the reset vector: mov al, 0x10; out 0xf4, al (the pass code); hlt."""
    rom = bytearray(b"\xf4" * 0x10000)
    rom[0xfff0:0xfff6] = bytes([0xb0, 0x10, 0xe6, 0xf4, 0xf4, 0xeb])
    rom[0xfff6] = 0xfd  # jmp back to the hlt
    with open(path, "wb") as f:
        f.write(rom)


def bench(accel, build, runs, smp):
    floor = f"{build}/bench/trivial.fw"
    trivial_firmware(floor)
    script = [f"{ROOT}/warden", "run", "--exit-when-ready", "--accel", accel, "--smp", str(smp)]
    rows = [  # (label, command, exit status that means success, has a ready line)
        ("trivial firmware (-bios, writes the exit port)", qemu.batch_command(floor, accel, smp), qemu.PASS_STATUS,
         False),
        ("warden.fw as firmware (-bios), QEMU command",
         qemu.batch_command(f"{build}/warden.fw", accel, smp, "warden.exit_when_ready"), qemu.PASS_STATUS, True),
        ("./warden run --exit-when-ready (firmware)", script, 0, True),
        ("warden.elf through PVH (-kernel), QEMU command",
         qemu.batch_command(f"{build}/kernel/warden.elf", accel, smp, "warden.exit_when_ready"), qemu.PASS_STATUS,
         True),
        ("./warden run --exit-when-ready --boot pvh", script + ["--boot", "pvh"], 0, True),
        ("empty PVH kernel (-kernel empty.elf)", qemu.batch_command(f"{build}/bench/empty.elf", accel, smp),
         qemu.PASS_STATUS, False),
    ]
    times = [[] for _ in rows]
    boot_us = [[] for _ in rows]
    for _ in range(runs):
        for i, (label, cmd, ok, ready) in enumerate(rows):
            t, rc, out = timed(cmd)
            if rc != ok:
                sys.exit(f"{label} failed under {accel} (status {rc}):\n{out}")
            times[i].append(t)
            if ready:
                m = re.search(r"warden: ready cpus=\d+ tasks=\d+ free_kib=\d+ boot_us=(\d+)", out)
                boot_us[i].append(int(m.group(1)))
    base = statistics.median(times[0])
    print(f"{accel}: medians of {runs} runs, alternated; ratio to the trivial firmware; kernel boot_us")
    for i, (label, _, _, ready) in enumerate(rows):
        med = statistics.median(times[i])
        us = f"{statistics.median(boot_us[i]) / 1000:8.1f} ms" if ready else ""
        print(f"  {label:50s} {med * 1000:8.1f} ms   {med / base:5.2f}   {us}")


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
