#!/usr/bin/env python3
"""CPU bring-up and IPI figures for docs/benchmarks.md.

Boots warden-cpu_kbench.elf with --smp N under TCG and (where /dev/kvm opens)
KVM, and reports: each AP's bring-up time (INIT to online, from the kernel's
log), and the IPI round trip against a port read measured in the same run.
"""
import argparse
import os
import re
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import qemu  # noqa: E402

ITERATIONS = {"tcg": 10000, "kvm": 200}


def run(build, accel, smp):
    out = qemu.run_batch(f"{build}/bench/warden-cpu_kbench.elf", accel, 300, smp, f"bench.iterations={ITERATIONS[accel]}")
    if "not ok" in out or "\nok 1" not in out.replace("\r", ""):
        sys.exit(f"cpu bench failed under {accel}:\n{out}")
    bringup = [int(m.group(1)) for m in re.finditer(r"online after (\d+) us", out)]
    figures = {m.group(1): int(m.group(2)) for m in re.finditer(r"bench: (\S+) (\d+) cycles/op", out)}
    return bringup, figures


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--smp", type=int, default=4)
    args = p.parse_args()
    for accel in ["tcg"] + (["kvm"] if qemu.kvm_usable() else []):
        bringup, f = run(args.build, accel, args.smp)
        print(f"{accel}: --smp {args.smp}")
        print(f"  AP bring-up (INIT to online), us: {bringup}  median {statistics.median(bringup):.0f}")
        ipi, port = f["ipi_round_trip"], f["port_read"]
        print(f"  IPI round trip {ipi} TSC cycles; port read {port}; ratio {ipi / port:.1f}")


if __name__ == "__main__":
    main()
