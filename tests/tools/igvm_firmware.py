#!/usr/bin/env python3
"""Cross-check `warden-igvm pack --firmware` with Debian's OVMF: the launch
digest matches the independent recomputation (igvm_digest.py) and differs
from the file without firmware; every page of the image is in a measured,
private 4 KiB PAGE_DATA at 4 GiB - size, in file order; the boot block
records the flash; images an SNP launch cannot use are refused by name.

usage: igvm_firmware.py WARDEN_IGVM_TOOL KERNEL.elf WORKDIR OVMF_DIR
       igvm_firmware.py WARDEN_IGVM_TOOL KERNEL.elf WORKDIR --debian13 SHARE_DIR
  the second: Debian 13's SVSM-aware images (fetched into the build tree,
  ./warden firmware debian13), OVMF_CODE_4M.fd (3 568 KiB) and the 4 MiB
  OVMF.fd, get the same checks: flash images up to 4 MiB are packed
"""
import os
import struct
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from igvm_digest import digest  # noqa: E402

PAGE = 4096
FOUR_GIB = 1 << 32
SVSM_BASE = 32 << 20  # SVSM memory inside RAM (--svsm-base; the default, 512 GiB, is outside it)
failures = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def page_data(path):
    """The file's PAGE_DATA headers in order: (gpa, file offset, flags, data type)."""
    data = open(path, "rb").read()
    _magic, _version, var_off, var_size = struct.unpack_from("<4I", data, 0)
    out, at = [], var_off
    while at < var_off + var_size:
        htype, length = struct.unpack_from("<II", data, at)
        if htype == 0x302:
            gpa, _mask, offset, flags, dtype = struct.unpack_from("<QIIIH", data, at + 8)
            out.append((gpa, offset, flags, dtype))
        at += 8 + ((length + 7) & ~7)
    return data, out


def pack(tool, kernel, out, *extra):
    return subprocess.run([tool, "pack", kernel, out, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def sev_metadata_offset(image):
    """Where the "ASEV" metadata starts: the footer table (SPEC-FACTS.md 11)
    holds its offset from the end of the image under the metadata GUID."""
    def guid(text):
        a, b, c, d, e = text.split("-")
        return struct.pack("<IHH", int(a, 16), int(b, 16), int(c, 16)) + bytes.fromhex(d + e)
    table_guid, meta_guid = guid("96b582de-1fb2-45f7-baea-a366c55a082d"), guid("dc886566-984a-4798-a75e-5585a7bf67cc")
    n = len(image)
    assert image[n - 48:n - 32] == table_guid, "no OVMF footer table"
    table_len, = struct.unpack_from("<H", image, n - 50)
    start, end = n - 32 - table_len, n - 50
    while end > start:
        length, = struct.unpack_from("<H", image, end - 18)
        if image[end - 16:end] == meta_guid:
            offset_from_end, = struct.unpack_from("<I", image, end - length)
            return n - offset_from_end
        end -= length
    raise AssertionError("no SEV metadata entry")


def check_packed(tool, kernel, workdir, code_path):
    """Packs code_path and checks the digest, the pages and the boot block;
    False when it could not be packed."""
    code = open(code_path, "rb").read()
    flash_base = FOUR_GIB - len(code)

    # The digest: as the independent implementation computes it, and not the
    # digest of the same kernel without firmware.
    plain, with_fw = os.path.join(workdir, "plain.igvm"), os.path.join(workdir, "ovmf.igvm")
    check(pack(tool, kernel, plain).returncode == 0, "packs without firmware")
    r = pack(tool, kernel, with_fw, "--firmware", code_path)
    check(r.returncode == 0, f"packs with --firmware {code_path} ({len(code)} bytes)")
    if r.returncode != 0:
        print(r.stderr.decode())
        return False
    theirs = subprocess.run([tool, "measure", with_fw], check=True, stdout=subprocess.PIPE).stdout.decode().strip()
    mine = digest(with_fw)
    print(f"warden-igvm measure: {theirs}\nindependent:         {mine}")
    check(len(theirs) == 96 and theirs == mine, "the digest with firmware matches the independent one")
    check(digest(plain) != mine, "the firmware changes the digest")

    # The image, page by page at 4 GiB - size: measured (flags 0: 4 KiB,
    # measured, private), normal data, in file order and nowhere else.
    data, headers = page_data(with_fw)
    fw_headers = [h for h in headers if flash_base <= h[0] < FOUR_GIB]
    check([h[0] for h in fw_headers] == list(range(flash_base, FOUR_GIB, PAGE)),
          f"{len(code) // PAGE} PAGE_DATA at {flash_base:#x}..4 GiB, one per page, in file order")
    first = headers.index(fw_headers[0]) if fw_headers else 0
    check(headers[first:first + len(fw_headers)] == fw_headers, "the firmware's PAGE_DATA are consecutive")
    check(all(h[2] == 0 and h[3] == 0 for h in fw_headers), "every firmware page is normal, measured and private")
    mismatched = [h[0] for h in fw_headers
                  if (data[h[1]:h[1] + PAGE] if h[1] else bytes(PAGE)) != code[h[0] - flash_base:h[0] - flash_base + PAGE]]
    check(not mismatched, "the IGVM file carries the firmware's bytes page by page"
          + (f" (first bad page at {mismatched[0]:#x})" if mismatched else ""))
    check(not any(flash_base <= h[0] < FOUR_GIB for h in page_data(plain)[1]), "no flash pages without --firmware")

    # The boot block (version 2) records the flash at 0x60/0x68.
    blocks = [data[h[1]:h[1] + 0x70] for h in headers if h[1] and data[h[1]:h[1] + 8] == b"WARDENBB"]
    check(len(blocks) == 1, "one boot block")
    if blocks:
        version, = struct.unpack_from("<I", blocks[0], 8)
        fw_base, fw_size = struct.unpack_from("<QQ", blocks[0], 0x60)
        check(version == 2 and (fw_base, fw_size) == (flash_base, len(code)),
              f"the boot block says firmware at {fw_base:#x} size {fw_size:#x} (version {version})")
    return True


def debian13(tool, kernel, workdir, share):
    os.makedirs(workdir, exist_ok=True)
    for name in ("OVMF/OVMF_CODE_4M.fd", "ovmf/OVMF.fd"):
        path = os.path.join(share, name)
        print(f"-- {path}")
        check_packed(tool, kernel, workdir, path)
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


def main(tool, kernel, workdir, ovmf_dir, *debian13_share):
    if ovmf_dir == "--debian13":
        return debian13(tool, kernel, workdir, *debian13_share)
    code_path = os.path.join(ovmf_dir, "OVMF_CODE.fd")
    if not os.path.exists(code_path):
        print(f"{code_path} is missing: install Debian's ovmf package (./warden test does)")
        return 1
    if not check_packed(tool, kernel, workdir, code_path):
        return 1
    code = open(code_path, "rb").read()

    # Images an SNP launch cannot use: refused, non-zero, with a message naming the file.
    truncated = os.path.join(workdir, "OVMF_CODE-truncated.fd")
    open(truncated, "wb").write(code[:100000])
    moved = bytearray(code)  # the first SEV metadata section (pre-validated, at 8 MiB) moved into SVSM memory
    meta = sev_metadata_offset(code)
    size0, type0 = struct.unpack_from("<II", code, meta + 20)
    struct.pack_into("<I", moved, meta + 16, SVSM_BASE)
    moved_path = os.path.join(workdir, "OVMF_CODE-in-svsm.fd")
    open(moved_path, "wb").write(moved)
    for path, says in [(truncated, "not a usable OVMF image: misaligned"),
                       (os.path.join(ovmf_dir, "OVMF_VARS.fd"), "not a usable OVMF image: bad magic"),
                       (os.path.join(ovmf_dir, "OVMF_CODE_4M.fd"), "no SEV metadata: not an SNP-capable OVMF build"),
                       (moved_path, f"its pre-validated section {SVSM_BASE:#x}..{SVSM_BASE + size0:#x} overlaps "
                                    "the SVSM memory")]:
        if path == moved_path and type0 != 1:
            check(False, f"Debian's OVMF_CODE.fd changed: its first SEV section has type {type0}, not 1")
            continue
        inside = ["--svsm-base", str(SVSM_BASE)] if path == moved_path else []
        r = pack(tool, kernel, os.path.join(workdir, "refused.igvm"), "--firmware", path, *inside)
        err = r.stderr.decode()
        check(r.returncode != 0 and path in err and says in err, f"{os.path.basename(path)} refused: {err.strip()}")

    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
