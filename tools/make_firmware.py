#!/usr/bin/env python3
"""Builds the firmware image for QEMU's -bios (docs/firmware.md):

    make_firmware.py KERNEL.elf RESET.elf OUT.fw
    make_firmware.py --min-ram-mib IMAGE.fw   the RAM (MiB) IMAGE needs: the end of the
                                              kernel's memory image, which the stub checks

The image maps at [4 GiB - size, 4 GiB), size a multiple of 64 KiB. From
its start: the kernel's flat image (its PT_LOAD segments laid out from the
lowest physical address, file bytes only; the trailing zeros are not
stored), padding, and the reset stub (firmware/reset.S) in the last 4 KiB,
whose parameter block says where the kernel is, where it goes, how much to
copy and zero, and where to enter (the kernel's "WardenFW" note). The
kernel itself is unchanged: the same ELF boots through PVH.
"""
import struct
import sys

FOUR_GIB = 1 << 32
STUB_SIZE = 0x1000
ROM_ALIGN = 0x10000


def die(msg):
    sys.exit(f"make_firmware: {msg}")


def segments(elf, name):
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        die(f"{name}: not a little-endian ELF64")
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, p_paddr, p_filesz, p_memsz = struct.unpack_from("<IIQQQQQ", elf, phoff + i * phentsize)
        yield p_type, p_offset, p_paddr, p_filesz, p_memsz


def note(elf, name, owner, ntype):
    for p_type, off, _, filesz, _ in segments(elf, name):
        if p_type != 4:  # PT_NOTE
            continue
        at, end = off, off + filesz
        while at + 12 <= end:
            namesz, descsz, t = struct.unpack_from("<III", elf, at)
            n = elf[at + 12:at + 12 + namesz].rstrip(b"\0")
            desc = at + 12 + ((namesz + 3) & ~3)
            if n == owner and t == ntype and descsz == 8:
                return struct.unpack_from("<Q", elf, desc)[0]
            at = desc + ((descsz + 3) & ~3)
    die(f"{name}: no {owner.decode()} note of type {ntype}")


def min_ram_mib(image_path):
    """What the reset stub checks before it copies: RAM up to the end of the
    kernel's memory image (destination + bytes copied + bytes zeroed)."""
    with open(image_path, "rb") as f:
        f.seek(-STUB_SIZE, 2)
        block = f.read(24)
    if block[:4] != b"WFW1":
        die(f"{image_path}: no parameter block in its last 4 KiB: not a Warden firmware image")
    _, dst, copy, zero, _ = struct.unpack_from("<IIIII", block, 4)
    return (dst + copy + zero + (1 << 20) - 1) >> 20


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--min-ram-mib":
        print(min_ram_mib(sys.argv[2]))
        return
    if len(sys.argv) != 4:
        die("usage: make_firmware.py KERNEL.elf RESET.elf OUT.fw")
    kernel_path, reset_path, out_path = sys.argv[1:]
    kernel = open(kernel_path, "rb").read()
    reset = open(reset_path, "rb").read()

    loads = [s for s in segments(kernel, kernel_path) if s[0] == 1 and s[4] > 0]
    lo = min(s[2] for s in loads)
    hi = max(s[2] + s[4] for s in loads)
    flat = bytearray(hi - lo)
    for _, off, paddr, filesz, _ in loads:
        flat[paddr - lo:paddr - lo + filesz] = kernel[off:off + filesz]
    copy = len(flat.rstrip(b"\0"))
    copy = (copy + 3) & ~3
    zero = ((hi - lo) - copy + 3) & ~3
    entry = note(kernel, kernel_path, b"WardenFW", 1)

    stub = [s for s in segments(reset, reset_path) if s[0] == 1]
    if len(stub) != 1 or stub[0][2] != FOUR_GIB - STUB_SIZE or stub[0][3] != STUB_SIZE:
        die(f"{reset_path}: expected one 4 KiB segment at 0xfffff000")
    stub_bytes = bytearray(reset[stub[0][1]:stub[0][1] + STUB_SIZE])
    if stub_bytes[:4] != b"WFW1":
        die(f"{reset_path}: no parameter block")

    size = (copy + STUB_SIZE + ROM_ALIGN - 1) // ROM_ALIGN * ROM_ALIGN
    src = FOUR_GIB - size
    if hi > src or not lo <= entry < hi:
        die(f"the kernel ({lo:#x}..{hi:#x}, entry {entry:#x}) must load below the ROM at {src:#x} and enter inside")
    struct.pack_into("<IIIII", stub_bytes, 4, src, lo, copy, zero, entry)
    rom = bytearray(size)
    rom[:copy] = flat[:copy]
    rom[size - STUB_SIZE:] = stub_bytes
    with open(out_path, "wb") as f:
        f.write(rom)
    print(f"make_firmware: {out_path}: {size // 1024} KiB; kernel {copy} bytes -> {lo:#x} "
          f"(+{zero} zeroed), entry {entry:#x}")


if __name__ == "__main__":
    main()
