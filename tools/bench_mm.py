#!/usr/bin/env python3
"""Memory-code figures for docs/benchmarks.md.

Instructions per operation: callgrind on the host build (bench/mm_bench),
counting only inside one benchmark function (--toggle-collect) for two
iteration counts; the difference divided by the extra iterations cancels any
fixed cost. TSC cycles per operation: the kernel's own timings
(bench/mm_kbench.cpp) under TCG and, where /dev/kvm opens, KVM.
"""
import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import qemu  # noqa: E402
from callgrind import callgrind_ir  # noqa: E402

# Nested KVM here costs ~10 us per guest memory access (docs/benchmarks.md).
KERNEL_ITERATIONS = {"tcg": 10000, "kvm": 50}

OPS = [("frame_alloc_free", "frame alloc+free (order 0)"),
       ("slab_alloc_free", "slab alloc+free (64 B)"),
       ("map_unmap", "map+unmap (4 KiB)"),
       ("translate", "translate")]


def kernel_cycles(build, accel):
    out = qemu.run_batch(f"{build}/bench/warden-mm_kbench.elf", accel, 120, 1,
                         f"bench.iterations={KERNEL_ITERATIONS[accel]}")
    if "not ok" in out or "1..4" not in out:
        sys.exit(f"kernel bench failed under {accel}:\n{out}")
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"bench: (\S+) (\d+) cycles/op", out)}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = p.parse_args()
    binary = f"{args.build}/bench/mm_bench"
    accels = ["tcg"] + (["kvm"] if qemu.kvm_usable() else [])
    cycles = {a: kernel_cycles(args.build, a) for a in accels}
    header = "operation                    host instr/op (callgrind)" + "".join(f"  {a} TSC cycles/op" for a in accels)
    print(header)
    for func, label in OPS:
        lo, hi = 10000, 20000
        per_op = (callgrind_ir([binary, str(hi)], func) - callgrind_ir([binary, str(lo)], func)) / (hi - lo)
        kname = {"slab_alloc_free": "slab_alloc_free_64", "map_unmap": "map_unmap_4k"}.get(func, func)
        row = f"{label:28} {per_op:12.1f}" + "".join(f"  {cycles[a].get(kname, -1):18}" for a in accels)
        print(row)


if __name__ == "__main__":
    main()
