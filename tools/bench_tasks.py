#!/usr/bin/env python3
"""Task and IPC figures for docs/benchmarks.md.

Boots warden-task_kbench.elf (--smp 3) under TCG and, where /dev/kvm opens,
KVM. The bench-ipc service times a null system call and call/reply to an
echo task on its own CPU and on another, plain and lending 4 KiB (TSC
cycles per operation); the
kernel logs how long each task took to create.
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
    out = qemu.run_batch(f"{build}/bench/warden-task_kbench.elf", accel, 600, 3)
    if "not ok" in out or "ok 1 - bench" not in out:
        sys.exit(f"task bench failed under {accel}:\n{out}")
    figures = {m.group(1): int(m.group(2)) for m in re.finditer(r"bench: (\S+) (\d+) cycles/op", out)}
    created = [int(m.group(1)) for m in re.finditer(r"created in (\d+) us", out)]
    return figures, created


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = p.parse_args()
    for accel in ["tcg"] + (["kvm"] if qemu.kvm_usable() else []):
        f, created = run(args.build, accel)
        null = f["null_syscall"]
        print(f"{accel}: null system call {null} TSC cycles; "
              f"call/reply same CPU {f['ipc_same_cpu']} ({f['ipc_same_cpu'] / null:.1f}x null); "
              f"cross CPU {f['ipc_cross_cpu']} ({f['ipc_cross_cpu'] / null:.1f}x null); "
              f"with 4 KiB lent, read and written back: same CPU {f['ipc_same_cpu_lend_4k']}, "
              f"cross CPU {f['ipc_cross_cpu_lend_4k']}; "
              f"task creation {created} us (median {statistics.median(created):.0f})")


if __name__ == "__main__":
    main()
