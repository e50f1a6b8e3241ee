#!/usr/bin/env python3
"""Cross-check: recompute the SNP launch digest of an IGVM file with Python's
hashlib and struct (an implementation independent of lib/warden/igvm and
OpenSSL) and compare with `warden-igvm measure`. Also checks the CRC-32.

usage: igvm_digest.py WARDEN_IGVM_TOOL KERNEL.elf WORKDIR
"""
import hashlib
import os
import struct
import subprocess
import sys
import zlib


def digest(path):
    data = open(path, "rb").read()
    magic, version, var_off, var_size, total, checksum = struct.unpack_from("<6I", data, 0)
    assert magic == 0x4D564749 and version == 1, "not an IGVM v1 file"
    fixed = bytearray(data[:24])
    fixed[20:24] = b"\0\0\0\0"
    crc = zlib.crc32(bytes(fixed) + data[var_off:var_off + var_size]) & 0xFFFFFFFF
    assert crc == checksum, f"CRC-32 {crc:#x} != {checksum:#x}"
    running = bytes(48)
    at = var_off
    while at < var_off + var_size:
        htype, length = struct.unpack_from("<II", data, at)
        body = data[at + 8:at + 8 + length]
        at += 8 + ((length + 7) & ~7)
        if htype == 0x302:
            gpa, _mask, offset, flags, dtype = struct.unpack_from("<QIIIH", body)
            if dtype == 1:
                ptype, contents = 5, bytes(48)
            elif dtype in (2, 3):
                ptype, contents = 6, bytes(48)
            elif flags & 2:
                ptype, contents = 4, bytes(48)
            elif offset == 0:
                ptype, contents = 3, bytes(48)
            else:
                ptype, contents = 1, hashlib.sha384(data[offset:offset + 4096]).digest()
        elif htype == 0x304:
            gpa, _mask, offset = struct.unpack_from("<QII", body)
            ptype, contents = 2, hashlib.sha384(data[offset:offset + 4096]).digest()
        else:
            continue
        page_info = running + contents + struct.pack("<HBBBBBBQ", 0x70, ptype, 0, 0, 0, 0, 0, gpa)
        assert len(page_info) == 112
        running = hashlib.sha384(page_info).digest()
    return running.hex()


def main(tool, kernel, workdir):
    out = os.path.join(workdir, "crosscheck.igvm")
    subprocess.run([tool, "pack", kernel, out], check=True, stdout=subprocess.DEVNULL)
    theirs = subprocess.run([tool, "measure", out], check=True, stdout=subprocess.PIPE).stdout.decode().strip()
    mine = digest(out)
    print(f"warden-igvm measure: {theirs}\nindependent:         {mine}")
    if len(theirs) != 96 or theirs != mine:
        print("MISMATCH")
        return 1
    # Packing is deterministic: the same kernel gives the same digest.
    again = os.path.join(workdir, "crosscheck-again.igvm")
    subprocess.run([tool, "pack", kernel, again], check=True, stdout=subprocess.DEVNULL)
    if digest(again) != mine or open(again, "rb").read() != open(out, "rb").read():
        print("packing the same kernel twice gave different files")
        return 1
    # One changed byte of the kernel's first loaded segment changes the digest.
    elf = bytearray(open(kernel, "rb").read())
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phnum, = struct.unpack_from("<H", elf, 0x38)
    load = next(phoff + i * 56 for i in range(phnum) if struct.unpack_from("<I", elf, phoff + i * 56)[0] == 1)
    seg_offset, = struct.unpack_from("<Q", elf, load + 8)
    elf[seg_offset] ^= 1
    changed_kernel = os.path.join(workdir, "changed-kernel.elf")
    open(changed_kernel, "wb").write(elf)
    changed = os.path.join(workdir, "changed.igvm")
    subprocess.run([tool, "pack", changed_kernel, changed], check=True, stdout=subprocess.DEVNULL)
    if digest(changed) == mine:
        print("a changed kernel byte did not change the digest")
        return 1
    print("deterministic; a changed kernel byte changes the digest")
    # A changed byte in a measured page of the file must change the digest too.
    data = bytearray(open(out, "rb").read())
    offset = struct.unpack_from("<I", data, 24 + 8 + 16 + 8 + 12)[0]  # first PAGE_DATA's file offset
    data[offset] ^= 1
    open(out, "wb").write(data)
    if digest(out) == mine:
        print("a modified page did not change the digest")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
