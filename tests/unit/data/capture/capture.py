#!/usr/bin/env python3
"""Captures fw_cfg files from the local QEMU for the test vectors in ../.

Boots dump_rom.S as -bios twice, on the machine options tools/qemu.py uses:
first for the file directory (selector 0x19), then for the files named on the
command line. Writes each file as OUTDIR/<prefix>.<name with / -> _>.

usage: capture.py OUTDIR PREFIX ACCEL(tcg|kvm) FILE...
  e.g. capture.py /tmp/cap qemu72-pc-128m-tcg tcg etc/e820 etc/table-loader
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE_AT = 0x100


def build_rom(work):
    obj, rom = os.path.join(work, "dump.o"), os.path.join(work, "dump.bin")
    subprocess.run(["as", "--32", "-o", obj, os.path.join(HERE, "dump_rom.S")], check=True)
    subprocess.run(["objcopy", "-O", "binary", "-j", ".text", obj, rom], check=True)
    data = open(rom, "rb").read()
    assert len(data) == 0x10000, len(data)
    return bytearray(data)


def run(rom, items, accel, work):
    table = b"".join(struct.pack("<HHH", sel, n & 0xFFFF, n >> 16) for sel, n in items) + b"\xff\xff"
    image = bytearray(rom)
    image[TABLE_AT:TABLE_AT + len(table)] = table
    path, out = os.path.join(work, "rom.bin"), os.path.join(work, "serial.bin")
    open(path, "wb").write(image)
    cmd = ["qemu-system-x86_64", "-machine", "pc", "-nodefaults", "-vga", "none", "-display", "none",
           "-no-reboot", "-m", "128M", "-smp", "1", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-accel", accel, "-bios", path, "-serial", "file:" + out, "-monitor", "none"]
    status = subprocess.run(cmd, timeout=60).returncode
    assert status == 33, f"QEMU exited with {status}"
    data = open(out, "rb").read()
    assert len(data) == sum(n for _, n in items), len(data)
    return data


def main():
    outdir, prefix, accel, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    with tempfile.TemporaryDirectory() as work:
        rom = build_rom(work)
        raw = run(rom, [(0x19, 4 + 64 * 256)], accel, work)
        files = {}
        for i in range(struct.unpack(">I", raw[:4])[0]):
            entry = raw[4 + 64 * i:68 + 64 * i]
            size, selector = struct.unpack(">IH", entry[:6])
            files[entry[8:].split(b"\0")[0].decode()] = (selector, size)
        data = run(rom, [files[n] for n in names], accel, work)
    at = 0
    for name in names:
        size = files[name][1]
        with open(os.path.join(outdir, f"{prefix}.{name.replace('/', '_')}"), "wb") as f:
            f.write(data[at:at + size])
        at += size
        print(f"{name}: selector {files[name][0]:#x}, {size} bytes")


if __name__ == "__main__":
    main()
