#!/usr/bin/env python3
"""BIOS loader figures for docs/benchmarks.md.

Boots the production image with Debian's OVMF_CODE.fd as the fw_cfg file
opt/warden/firmware, under TCG and, where /dev/kvm opens, KVM, and reads the
loader's own timing line: the wall time (TSC) from its first fw_cfg request
to the image checked in the flash region (tail read and parsed, 64 KiB fw_cfg
DMA reads, 4 KiB guest writes, the tail read back and compared). Several
runs each; the median and the spread are printed.
"""
import argparse
import os
import re
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import qemu  # noqa: E402

FIRMWARE = "/usr/share/OVMF/OVMF_CODE.fd"


def once(build, accel):
    out = qemu.run_batch(f"{build}/kernel/warden.elf", accel, 600, 2, "warden.exit_when_ready",
                         fw_cfg_file=[f"opt/warden/firmware={FIRMWARE}"])
    m = re.search(r"bios_loader: (\d+) KiB of firmware at \S+ in (\d+) ms", out)
    if not m or "bios_loader: firmware ready" not in out:
        sys.exit(f"the BIOS loader did not get the firmware ready under {accel}:\n{out}")
    return int(m.group(1)), int(m.group(2))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    if not os.path.exists(FIRMWARE):
        sys.exit(f"{FIRMWARE} is missing (the ovmf package; ./warden test installs it)")
    for accel in ["tcg"] + (["kvm"] if qemu.kvm_usable() else []):
        runs = [once(args.build, accel) for _ in range(args.runs if accel == "tcg" else max(1, args.runs // 2))]
        kib = runs[0][0]
        ms = sorted(r[1] for r in runs)
        med = statistics.median(ms)
        print(f"{accel}: load {kib} KiB of OVMF: median {med:.0f} ms over {len(ms)} runs "
              f"(min {ms[0]}, max {ms[-1]}) = {kib / 1024 / (med / 1000) if med else 0:.1f} MiB/s")


if __name__ == "__main__":
    main()
