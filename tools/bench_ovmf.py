#!/usr/bin/env python3
"""Debian 13's OVMF to its boot manager under Warden on the emulated SEV-SNP
host, against the same OVMF booted alone by QEMU in the same run, for
docs/benchmarks.md (issue 17, "OVMF's time to its boot manager").

Two boots of the same firmware file, both QEMU TCG, the same vCPU count
(--smp, 1 by default) and CPU model, timed from QEMU's start to the first console line of OVMF's boot
manager (`BdsDxe: loading Boot0001`) and to its shell's banner:

  alone   OVMF_CODE_4M.fd as QEMU's pflash (with its own OVMF_VARS_4M.fd
          copy), no SEV, no SVSM: OVMF's own cost under TCG;
  snp     build/snp-host.fw with Warden's IGVM file carrying the same
          OVMF_CODE_4M.fd (warden-igvm pack --firmware): the host launches
          it, Warden boots at VMPL0, its BIOS loader starts OVMF at VMPL2,
          every #VC of OVMF's goes to the host and every PVALIDATE through
          Warden's core protocol (RUN_VMPL both ways).

It prints each run's seconds, the median ratio snp / alone, and from the
snp run's log the host's and Warden's counts where they are printed.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "snp"))
import snp_run  # noqa: E402  (packing, the SNP QEMU command line)

BOOT_MANAGER = re.compile(r"BdsDxe: loading Boot0001")
SHELL = re.compile(r"UEFI Interactive Shell v2\.2")
TIMEOUT = 600


def timed(cmd, log_path):
    """Seconds from the start to the boot manager's line and to the shell's
    banner (None where not reached), and the log; QEMU is stopped at the banner."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    timer = threading.Timer(TIMEOUT, proc.kill)
    timer.start()
    bds = shell = None
    lines = []
    try:
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            now = time.monotonic() - start
            if bds is None and BOOT_MANAGER.search(line):
                bds = now
            if SHELL.search(line):
                shell = now
                proc.kill()
                break
        proc.wait()
    finally:
        timer.cancel()
    log = "\n".join(lines) + "\n"
    with open(log_path, "w") as f:
        f.write(log)
    return bds, shell, log


def alone_command(code, vars_copy, smp):
    return ["qemu-system-x86_64", "-machine", "pc", "-nodefaults", "-display", "none", "-no-reboot", "-accel", "tcg",
            "-cpu", snp_run.CPU_MODEL, "-smp", str(smp), "-m", "512M",
            "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
            "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
            "-serial", "stdio", "-monitor", "none"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--firmware", required=True, help="Debian 13's OVMF_CODE_4M.fd (./warden firmware debian13)")
    p.add_argument("--runs", type=int, default=3, help="boots of each (default 3)")
    p.add_argument("--smp", type=int, default=1, help="vCPUs of both boots (default 1)")
    args = p.parse_args()
    workdir = os.path.join(args.build, "bench", "ovmf")
    os.makedirs(workdir, exist_ok=True)
    vars_src = os.path.join(os.path.dirname(args.firmware), "OVMF_VARS_4M.fd")
    if not os.path.exists(vars_src):
        sys.exit(f"{vars_src} is missing: the alone boot needs the firmware's own variable store")
    igvm = snp_run.pack(f"{args.build}/tools/igvm/warden-igvm", f"{args.build}/kernel/warden.elf", workdir,
                        args.smp, args.firmware)
    snp_cmd = snp_run.command(f"{args.build}/snp-host.fw", igvm, args.smp)

    results = {"alone": [], "snp": []}
    snp_log = ""
    for i in range(args.runs):
        vars_copy = os.path.join(workdir, "OVMF_VARS_4M.fd")
        shutil.copyfile(vars_src, vars_copy)
        for kind, cmd in (("alone", alone_command(args.firmware, vars_copy, args.smp)), ("snp", snp_cmd)):
            bds, shell, log = timed(cmd, os.path.join(workdir, f"{kind}-{i + 1}.log"))
            if bds is None or shell is None:
                sys.exit(f"{kind} run {i + 1}: OVMF did not reach its boot manager and shell in {TIMEOUT} s; log: "
                         f"{os.path.join(workdir, f'{kind}-{i + 1}.log')}")
            results[kind].append((bds, shell))
            if kind == "snp":
                snp_log = log

    print(f"ovmf: {os.path.basename(args.firmware)} ({os.path.getsize(args.firmware) // 1024} KiB), QEMU TCG, "
          f"{snp_run.CPU_MODEL}, {args.smp} vCPU(s), -m 512M, {args.runs} run(s) each")
    for kind in ("alone", "snp"):
        for i, (bds, shell) in enumerate(results[kind]):
            print(f"{kind:5} run {i + 1}: boot manager {bds:6.1f} s, shell {shell:6.1f} s")
    med = {k: (statistics.median(b for b, _ in v), statistics.median(s for _, s in v)) for k, v in results.items()}
    print(f"median: alone {med['alone'][0]:.1f} s / {med['alone'][1]:.1f} s; under Warden on the emulated host "
          f"{med['snp'][0]:.1f} s / {med['snp'][1]:.1f} s; ratio {med['snp'][0] / med['alone'][0]:.1f}x to the boot "
          f"manager, {med['snp'][1] / med['alone'][1]:.1f}x to the shell")
    ready = re.search(r"^warden: ready .*boot_us=(\d+)$", snp_log, re.M)
    if ready:
        print(f"snp: Warden's ready line at boot_us={ready[1]} (its own boot, before OVMF starts)")
    calls = re.findall(r"svsm: vCPU 0: (\d+) calls: (.*)$", snp_log, re.M)
    if calls:
        print(f"snp: Warden's last call tally before the shell: {calls[-1][0]} calls: {calls[-1][1]}")
    else:
        print("snp: no call tally of Warden's on the console before the shell")


if __name__ == "__main__":
    main()
