#!/usr/bin/env python3
"""Independent check of `warden-igvm measure`: the SNP launch digest a QEMU 10.1
+ KVM host computes for an IGVM file, recomputed here from the public rules
(SPEC-FACTS.md 8, docs/igvm.md "What the host measures") with nothing but
hashlib, struct and zlib: its own IGVM reader, its own PAGE_INFO chain, its own
model of the VMSAs KVM measures. It shares no table or code with the packer.

The chain and the reset-state VMSA are first checked against a digest that
virtee/sev-snp-measure publishes (tests/test_guest.py), so a wrong rule here
cannot agree with a wrong rule there by accident.

usage: igvm_digest.py WARDEN_IGVM_TOOL KERNEL.elf WORKDIR
"""
import hashlib
import os
import struct
import subprocess
import sys
import zlib

PAGE = 4096
VMSA_GPA = 0xFFFFFFFFF000  # KVM INITIAL_VMSA_GPA; QEMU check_vmsa_supported refuses any other
EPYC_SIG = 0x00800F12      # QEMU -cpu EPYC*: family 23, model 1, stepping 2 (CPUID 1 EAX)
MILAN_SIG = 0x00A00F11     # EPYC-Milan: 25/1/1
# SNP page types (Firmware ABI 56860, SNP_LAUNCH_UPDATE)
NORMAL, VMSA, ZERO, UNMEASURED, SECRETS, CPUID = 1, 2, 3, 4, 5, 6


class Refused(Exception):
    """The file is one a QEMU 10.1 + KVM host refuses (or measures in a way the public tools disagree on)."""


def page_info(ld, page_type, gpa, contents):
    # digest_cur[48] contents[48] length u16 = 0x70, page_type u8, imi u8,
    # 4 bytes reserved + VMPL1..3 permissions (all 0), gpa u64
    info = ld + contents + struct.pack("<HBB", 0x70, page_type, 0) + bytes(4) + struct.pack("<Q", gpa)
    assert len(info) == 0x70
    return hashlib.sha384(info).digest()


class Chain:
    def __init__(self):
        self.ld = bytes(48)

    def page(self, page_type, gpa, data=None):
        contents = hashlib.sha384(data).digest() if data is not None else bytes(48)
        self.ld = page_info(self.ld, page_type, gpa, contents)


def q(v, at):
    return struct.unpack_from("<Q", v, at)[0]


def reset_vmsa(sig, sev_features):
    """A vCPU in QEMU's x86 reset state as KVM measures it (virtee/sev-snp-measure
    vmsa.py, QEMU profile; QEMU x86_cpu_reset_hold; KVM svm_set_efer/cr0/cr4)."""
    v = bytearray(PAGE)

    def seg(at, sel, attrib, limit, base):
        struct.pack_into("<HHIQ", v, at, sel, attrib, limit, base)
    for at in (0x00, 0x20, 0x30, 0x40, 0x50):  # ES SS DS FS GS
        seg(at, 0, 0x93, 0xFFFF, 0)
    seg(0x10, 0xF000, 0x9B, 0xFFFF, 0xFFFF0000)  # CS
    seg(0x60, 0, 0, 0xFFFF, 0)  # GDTR
    seg(0x70, 0, 0x82, 0xFFFF, 0)  # LDTR
    seg(0x80, 0, 0, 0xFFFF, 0)  # IDTR
    seg(0x90, 0, 0x8B, 0xFFFF, 0)  # TR
    for at, val in ((0xD0, 0x1000), (0x148, 0x40), (0x158, 0x10), (0x160, 0x400), (0x168, 0xFFFF0FF0),
                    (0x170, 2), (0x178, 0xFFF0), (0x268, 0x0007040600070406), (0x310, sig),
                    (0x3B0, sev_features), (0x3E8, 1)):
        struct.pack_into("<Q", v, at, val)
    struct.pack_into("<I", v, 0x408, 0x1F80)  # MXCSR
    struct.pack_into("<H", v, 0x410, 0x037F)  # x87 FCW
    return bytes(v)


# QEMU 10.1 check_vmsa_supported: the fields it copies into the vCPU; any other
# byte of the VMSA must be zero. (offset, size) from Linux struct sev_es_save_area.
QEMU_FIELDS = [(0x000, 0xA0),  # es cs ss ds fs gs gdtr ldtr idtr tr
               (0x0D0, 8),  # efer
               (0x148, 8), (0x150, 8), (0x158, 8), (0x160, 8), (0x168, 8), (0x170, 8), (0x178, 8),  # cr4..rip
               (0x1D8, 8), (0x1F8, 8), (0x268, 8),  # rsp rax g_pat
               (0x308, 8), (0x310, 8), (0x318, 8),  # rcx rdx rbx
               (0x328, 8), (0x330, 8), (0x338, 8)] + [(0x340 + 8 * i, 8) for i in range(8)] + [  # rbp..r15
              (0x3B0, 8), (0x3E8, 8), (0x408, 4), (0x410, 2)]  # sev_features xcr0 mxcsr x87_fcw


def kvm_bsp_vmsa(f):
    """What KVM hands to SNP_LAUNCH_UPDATE for the BSP, from the file's VMSA."""
    allowed = bytearray(PAGE)
    for at, size in QEMU_FIELDS:
        allowed[at:at + size] = b"\xff" * size
    if any(b and not a for b, a in zip(f, allowed)):
        raise Refused("VMSA sets a field QEMU does not sync")
    if not q(f, 0x3B0) & 1:
        raise Refused("sev_features without SNP_ACTIVE")
    if q(f, 0x160) != 0x400:
        raise Refused("DR7 other than 0x400 (sev_es_sync_vmsa refuses it)")
    if q(f, 0x98) != q(f, 0x78):
        raise Refused("TR base differs from LDTR base (QEMU 10.0 loads TR's from LDTR's)")
    v = bytearray(x & a for x, a in zip(f, allowed))
    for at in range(0, 0xA0, 16):
        sel, attrib, limit, base = struct.unpack_from("<HHIQ", f, at)
        if at in (0x60, 0x80):  # GDTR, IDTR: kvm_dtable has base and a 16-bit limit only
            struct.pack_into("<HHIQ", v, at, 0, 0, limit & 0xFFFF, base)
        else:
            struct.pack_into("<HHIQ", v, at, sel, attrib & 0xFFF, limit, base)
    v[0xCB] = (struct.unpack_from("<H", f, 0x22)[0] >> 5) & 3  # CPL = SS.DPL
    struct.pack_into("<Q", v, 0xD0, q(f, 0xD0) | 0x1000)  # EFER.SVME
    struct.pack_into("<Q", v, 0x148, q(f, 0x148) | 0x40)  # CR4.MCE
    struct.pack_into("<Q", v, 0x158, (q(f, 0x158) | 0x10) & ~0x60000000)  # CR0: ET on, CD/NW off
    struct.pack_into("<Q", v, 0x170, q(f, 0x170) | 2)  # RFLAGS bit 1
    return bytes(v)


def headers(data):
    magic, version, var_off, var_size, total, checksum = struct.unpack_from("<6I", data, 0)
    assert magic == 0x4D564749 and version == 1, "not an IGVM v1 file"
    fixed = bytearray(data[:24])
    fixed[20:24] = bytes(4)
    crc = zlib.crc32(bytes(fixed) + data[var_off:var_off + var_size]) & 0xFFFFFFFF
    assert crc == checksum, f"CRC-32 {crc:#x} != {checksum:#x}"
    at = var_off
    while at < var_off + var_size:
        htype, length = struct.unpack_from("<II", data, at)
        yield at, htype, data[at + 8:at + 8 + length]
        at += 8 + ((length + 7) & ~7)


def launch(path, vcpus=1, sig=EPYC_SIG, file_order=False):
    """(digest, policy). file_order=True measures as microsoft/igvm does: the
    file's own VMSA in place at its GPA, no AP VMSAs."""
    data = open(path, "rb").read()
    hs = list(headers(data))
    snp = [b for _, t, b in hs if t == 0x001 and b[5] == 2]
    if len(snp) != 1:
        raise Refused("no single SEV-SNP platform")
    mask, = struct.unpack_from("<I", snp[0], 0)
    policies = [b for _, t, b in hs if t == 0x101 and struct.unpack_from("<I", b, 8)[0] & mask]
    if len(policies) != 1:
        raise Refused("no GUEST_POLICY (microsoft/igvm refuses to measure such a file)")
    policy, = struct.unpack_from("<Q", policies[0], 0)
    if not policy & (1 << 17) or policy & ~0x1BFFFF:
        raise Refused(f"policy {policy:#x}: bit 17 must be set, and KVM takes only bits 0-17, 19, 20")
    chain, areas, bsp, seen_page = Chain(), {}, None, False
    for _, htype, body in hs:
        if htype == 0x301:
            size, index, _ = struct.unpack_from("<QII", body)
            areas[index] = size
        elif htype == 0x302:
            gpa, m, offset, flags, dtype = struct.unpack_from("<QIIIH", body)
            if not m & mask:
                continue
            if bsp is not None:
                raise Refused("PAGE_DATA after the VP context")
            if flags & 0b101:
                raise Refused("2 MiB or shared PAGE_DATA")
            seen_page = True
            if dtype == 1:
                chain.page(SECRETS, gpa)
            elif dtype in (2, 3):
                chain.page(CPUID, gpa)
            elif flags & 2:
                chain.page(UNMEASURED, gpa)
            else:  # without file data: a normal page of zeros (igvm_defs; QEMU)
                chain.page(NORMAL, gpa, data[offset:offset + PAGE] if offset else bytes(PAGE))
        elif htype == 0x303:
            gpa, m, index = struct.unpack_from("<QII", body)
            if not m & mask:
                continue
            if seen_page or bsp is not None:
                raise Refused("PARAMETER_INSERT after PAGE_DATA (QEMU measures it ahead of the pending run)")
            for p in range(gpa, gpa + areas.pop(index), PAGE):
                chain.page(UNMEASURED, p)
        elif htype == 0x304:
            gpa, m, offset, vp = struct.unpack_from("<QIIH", body)
            if not m & mask:
                continue
            if gpa != VMSA_GPA or vp != 0 or bsp is not None:
                raise Refused(f"VP context {vp} at {gpa:#x}")
            bsp = data[offset:offset + PAGE]
            if file_order:
                chain.page(VMSA, gpa, bsp)
    if bsp is None:
        raise Refused("no VP context")
    if not file_order:
        chain.page(VMSA, VMSA_GPA, kvm_bsp_vmsa(bsp))
        for _ in range(vcpus - 1):
            chain.page(VMSA, VMSA_GPA, reset_vmsa(sig, q(bsp, 0x3B0)))
    return chain.ld.hex(), policy


def digest(path, vcpus=1, sig=EPYC_SIG):
    return launch(path, vcpus, sig)[0]


failures = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def known_answers():
    """The published vectors this checker must reproduce before it judges anything."""
    check(hashlib.sha384(bytes(PAGE)).hexdigest() ==
          "c0e59a3e3ffbd3b5c75428fb36432facabc745944296ff515f737c4fef4efc64"
          "586809f7a16f56354a1eaecf2aa8d774", "SHA-384 of a 4 KiB zero page")
    # virtee/sev-snp-measure tests/test_guest.py test_snp_with_ovmfx64_without_kernel_feature_snp_only:
    # 1 vCPU, EPYC-v4, guest features 0x1, QEMU, tests/fixtures/ovmf_OvmfX64_suffix.bin. That fixture
    # is one 4 KiB page at 4 GiB - 4 KiB (its SHA-384 below) whose SEV metadata lists the sections
    # below (base, size, type: 1 pre-validated -> ZERO, 2 secrets, 3 CPUID, 4 SVSM CAA -> ZERO);
    # the BSP starts at the reset vector, which is exactly this checker's AP VMSA.
    c = Chain()
    c.ld = page_info(c.ld, NORMAL, (1 << 32) - PAGE, bytes.fromhex(
        "3c11386e135b00d4065b771e222fda89b2fda0ab0cc364dfbbc7f0e4460c7dc9"
        "70fcda61ec05a35d81aa2d521f694601"))
    for base, size, kind in ((0x800000, 0x9000, 1), (0x80A000, 0x3000, 1), (0x80D000, 0x1000, 2),
                             (0x80E000, 0x1000, 3), (0x80F000, 0x1000, 4), (0x810000, 0x10000, 1)):
        for gpa in range(base, base + size, PAGE):
            c.page({1: ZERO, 2: SECRETS, 3: CPUID, 4: ZERO}[kind], gpa)
    c.page(VMSA, VMSA_GPA, reset_vmsa(EPYC_SIG, 0x1))
    check(c.ld.hex() == "da0296de8193586a5512078dcd719eccecbd87e2b825ad41"
                        "48c44f665dc87df21e5b49e21523a9ad993afdb6a30b4005",
          "sev-snp-measure's published OvmfX64 digest (PAGE_INFO chain, ZERO/SECRETS/CPUID/VMSA, reset VMSA)")


def tool_measure(tool, path, *extra):
    return subprocess.run([tool, "measure", path, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def rewrite(src, dst, patch):
    """Copy an IGVM file, let patch(data, headers) change it, fix the CRC-32."""
    data = bytearray(open(src, "rb").read())
    patch(data, list(headers(bytes(data))))
    _, _, var_off, var_size = struct.unpack_from("<4I", data, 0)
    data[20:24] = bytes(4)
    struct.pack_into("<I", data, 20, zlib.crc32(bytes(data[:24]) + bytes(data[var_off:var_off + var_size])))
    open(dst, "wb").write(data)


def main(tool, kernel, workdir):
    known_answers()
    if failures:
        print("the checker itself is wrong; not judging the tool")
        return 1
    out = os.path.join(workdir, "crosscheck.igvm")
    subprocess.run([tool, "pack", kernel, out], check=True, stdout=subprocess.DEVNULL)
    for vcpus, sig, extra in ((1, EPYC_SIG, []), (2, EPYC_SIG, ["--vcpus", "2"]), (4, EPYC_SIG, ["--vcpus", "4"]),
                              (2, MILAN_SIG, ["--vcpus", "2", "--cpu", "EPYC-Milan"])):
        r = tool_measure(tool, out, *extra)
        theirs, mine = r.stdout.decode().strip(), digest(out, vcpus, sig)
        print(f"  {' '.join(extra) or '(1 vCPU)'}: tool {theirs}\n  {' ' * len(' '.join(extra) or '(1 vCPU)')}  "
              f"mine {mine}")
        check(r.returncode == 0 and theirs == mine, f"the tool's digest with {vcpus} vCPUs (sig {sig:#x}) is mine")
    one, two = digest(out, 1), digest(out, 2)
    check(one != two and two != digest(out, 2, MILAN_SIG), "the digest depends on the vCPU count and, for APs, the CPU")

    # The file as QEMU and microsoft/igvm see it.
    data = open(out, "rb").read()
    hs = list(headers(data))
    types = [t for _, t, _ in hs]
    check(types[0] == 0x001 and types[1] == 0x101, "SUPPORTED_PLATFORM, then GUEST_POLICY")
    check(launch(out)[1] == 0x30000, "the default policy is 0x30000 (SMT allowed, bit 17 set, no debug)")
    check(types[-1] == 0x304, "the VP context is the last directive")
    vp = [b for _, t, b in hs if t == 0x304]
    check(len(vp) == 1 and struct.unpack_from("<Q", vp[0])[0] == VMSA_GPA, "one VP context, at 0xFFFFFFFFF000")
    file_vmsa = data[struct.unpack_from("<I", vp[0], 12)[0]:][:PAGE]
    check(kvm_bsp_vmsa(file_vmsa) == file_vmsa, "the file's VMSA is exactly what KVM measures for the BSP")
    check(launch(out, file_order=True)[0] == one,
          "measured in file order with the file's VMSA (as microsoft/igvm does), the digest is the same")
    first_page = types.index(0x302)
    check(all(t != 0x303 for t in types[first_page:]), "every PARAMETER_INSERT precedes every PAGE_DATA")
    check(types.index(0x305) < types.index(0x303), "REQUIRED_MEMORY precedes the parameter inserts")

    # What the host would refuse, the tool refuses too.
    def moved_vmsa(d, hs):
        at = next(a for a, t, _ in hs if t == 0x304)
        struct.pack_into("<Q", d, at + 8, 0x3FFF000)
    def no_snp_active(d, hs):
        off = next(struct.unpack_from("<I", b, 12)[0] for _, t, b in hs if t == 0x304)
        d[off + 0x3B0] = 0
    def star_set(d, hs):  # STAR (0x200) is not among the fields QEMU syncs
        off = next(struct.unpack_from("<I", b, 12)[0] for _, t, b in hs if t == 0x304)
        d[off + 0x200] = 1
    def policy_bit17_clear(d, hs):
        at = next(a for a, t, _ in hs if t == 0x101)
        struct.pack_into("<Q", d, at + 8, 0x10000)
    def no_policy(d, hs):
        at = next(a for a, t, _ in hs if t == 0x101)
        struct.pack_into("<I", d, at + 8 + 8, 0)  # its compatibility mask: not for the SNP platform
    for name, patch in (("VMSA GPA moved", moved_vmsa), ("SNP_ACTIVE clear", no_snp_active),
                        ("STAR set in the VMSA", star_set), ("policy bit 17 clear", policy_bit17_clear),
                        ("no GUEST_POLICY for the platform", no_policy)):
        bad = os.path.join(workdir, "refused.igvm")
        rewrite(out, bad, patch)
        try:
            launch(bad)
            mine = "accepted"
        except Refused as e:
            mine = f"refused ({e})"
        r = tool_measure(tool, bad)
        check(mine.startswith("refused") and r.returncode != 0,
              f"{name}: checker {mine}; tool: {r.stderr.decode().strip()}")

    # --policy: checked, written, and not part of the digest.
    polout = os.path.join(workdir, "policy.igvm")
    for policy, ok in (("0x30000", True), ("0xb0000", True), ("0x20000", True), ("0x10000", False),
                       ("0x70000", False), ("0x1030000", False), ("nonsense", False)):
        r = subprocess.run([tool, "pack", kernel, polout, "--policy", policy], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if ok:
            check(r.returncode == 0 and launch(polout)[1] == int(policy, 16) and digest(polout) == one,
                  f"--policy {policy} is written and leaves the digest alone")
        else:
            check(r.returncode != 0 and b"policy" in r.stderr, f"--policy {policy} refused: {r.stderr.decode().strip()}")
    for bad in (["--vcpus", "0"], ["--vcpus", "x"], ["--cpu", "Skylake"]):
        r = tool_measure(tool, out, *bad)
        check(r.returncode != 0 and r.stderr, f"measure {' '.join(bad)} refused: {r.stderr.decode().strip()}")

    # Packing is deterministic: the same kernel gives the same file.
    again = os.path.join(workdir, "crosscheck-again.igvm")
    subprocess.run([tool, "pack", kernel, again], check=True, stdout=subprocess.DEVNULL)
    check(open(again, "rb").read() == data, "packing the same kernel twice gives the same file")
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
    check(digest(changed) != one, "a changed kernel byte changes the digest")
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
