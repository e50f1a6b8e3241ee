#!/usr/bin/env python3
"""The snp suite's driver (docs/snp-host.md): packs Warden's kernel for the
emulated SNP host (C-bit 47), boots build/snp-host.fw with it in QEMU's
SVM CPU, and judges what the host and Warden print.

    snp_run.py digest HOST.fw TOOL KERNEL.elf WORKDIR SMP
        the launch digest the host prints equals `warden-igvm measure` for
        the same file, vCPU count and CPU model (nothing hard-coded)
    snp_run.py reach HOST.fw TOOL KERNEL.elf WORKDIR SMP REGEX
        the serial log has a line matching REGEX
"""
import os
import re
import subprocess
import sys

CPU_MODEL = "EPYC-Milan"
CPU = CPU_MODEL + ",+svm,phys-bits=48"  # QEMU-FACTS: SVM under TCG, C-bit 47
C_BIT = "47"
TIMEOUT = 300


def pack(tool, kernel, workdir, smp):
    os.makedirs(workdir, exist_ok=True)
    out = os.path.join(workdir, f"warden-snp-smp{smp}.igvm")
    subprocess.run([tool, "pack", kernel, out, "--c-bit", C_BIT], check=True, stdout=subprocess.DEVNULL)
    return out


def boot(host, igvm, smp):
    cmd = ["qemu-system-x86_64", "-machine", "pc", "-nodefaults", "-display", "none", "-no-reboot",
           "-accel", "tcg", "-cpu", CPU, "-smp", str(smp), "-m", "512M", "-bios", host,
           "-fw_cfg", f"name=opt/warden/igvm,file={igvm}", "-serial", "stdio", "-monitor", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=TIMEOUT)
        return p.returncode, p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode("utf-8", "replace")


def main():
    mode, host, tool, kernel, workdir, smp = sys.argv[1:7]
    igvm = pack(tool, kernel, workdir, smp)
    status, log = boot(host, igvm, smp)
    sys.stdout.write(log)
    if mode == "digest":
        m = re.search(r"^snp-host: launch digest ([0-9a-f]{96})\r?$", log, re.M)
        if not m:
            sys.exit(f"FAIL: the host printed no launch digest (QEMU status {status})")
        want = subprocess.run([tool, "measure", igvm, "--vcpus", smp, "--cpu", CPU_MODEL], check=True,
                              stdout=subprocess.PIPE, text=True).stdout.strip()
        if m.group(1) != want:
            sys.exit(f"FAIL: host digest {m.group(1)}\n      warden-igvm measure {want}")
        print(f"PASS: the host's launch digest equals warden-igvm measure --vcpus {smp} --cpu {CPU_MODEL}")
    elif mode == "reach":
        pattern = re.compile(sys.argv[7], re.M)
        if not pattern.search(log):
            sys.exit(f"FAIL: no line matching {sys.argv[7]!r} (QEMU status {status})")
        print(f"PASS: reached {sys.argv[7]!r}")
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
