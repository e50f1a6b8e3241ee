#!/usr/bin/env python3
"""SVSM protocol figures for docs/benchmarks.md.

Boots the production image (--smp 4, the harness guest on every vCPU) under
TCG and, where /dev/kvm opens, KVM, and reads what each harness measured:
the median SVSM call round trip (harness -> request loop -> harness, a
QUERY_PROTOCOL) in TSC cycles, and on vCPU 0 a 511-entry PVALIDATE list
(validate, which zeroes every page, and rescind) in cycles and pages/s.
"""
import argparse
import os
import re
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import qemu  # noqa: E402


def run(build, accel):
    out = qemu.run_batch(f"{build}/kernel/warden.elf", accel, 600, 4, "warden.exit_when_ready warden.bench")
    verdicts = re.findall(r"harness: vcpu=\d+ svsm_calls=\d+ checks=\d+ passed=\d+ failed=(\d+)", out)
    if len(verdicts) != 4 or any(v != "0" for v in verdicts):
        sys.exit(f"the harness did not pass on 4 vCPUs under {accel}:\n{out}")
    trips = [int(m) for m in re.findall(r"round trip median (\d+) TSC cycles", out)]
    pv = re.search(r"PVALIDATE 511 x 4K: validate (\d+) cycles \((\d+) pages/s.*rescind (\d+) cycles \((\d+) pages/s", out)
    return trips, pv


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = p.parse_args()
    for accel in ["tcg"] + (["kvm"] if qemu.kvm_usable() else []):
        trips, pv = run(args.build, accel)
        print(f"{accel}: SVSM call round trip, median per vCPU {trips} TSC cycles "
              f"(median {statistics.median(trips):.0f})")
        if pv:
            print(f"{accel}: PVALIDATE 511 x 4K: validate {pv.group(1)} cycles = {pv.group(2)} pages/s "
                  f"(zeroing included); rescind {pv.group(3)} cycles = {pv.group(4)} pages/s")


if __name__ == "__main__":
    main()
