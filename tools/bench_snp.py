#!/usr/bin/env python3
"""World switches on the emulated SEV-SNP host for docs/benchmarks.md
(issue 16, "Measure"); docs/snp-host.md "Measurements".

Per operation: boots the bench image (tests/snp/bench_image.cpp, one vCPU)
on build/snp-host.fw; after Warden's ready line it brackets K repetitions
of each operation between two mark lines, on which the host prints its
counters. One repetition costs (bracket - empty bracket) / K: the empty
bracket is what the end mark's own line costs. The counts are the host's,
exact; the image runs every bracket twice and this script boots it --runs
times, and says whether all of them agree.

Per boot: the production image (build/kernel/warden.elf packed with
--c-bit 47) to its ready line, and the wall time from QEMU's start to that
line, beside the native boot `./warden run --exit-when-ready` runs
(warden.fw as -bios) to its ready line; both TCG, alternated. The SNP
figure includes the host's own launch (fw_cfg DMA of the IGVM file,
placing and measuring its pages).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "snp"))
import qemu  # noqa: E402  (the native QEMU command)
import snp_run  # noqa: E402  (the SNP QEMU command, packing, the host's counter lines)

SHOWN = ("exits", "VMGEXITs", "#VC", "NPF", "PVALIDATE", "RMPADJUST", "RUN_VMPL")
READY_LINE = re.compile(r"^warden: ready .*boot_us=(\d+)", re.M)


def timed_to_ready(cmd, ready, stop=False, timeout=300):
    """Runs cmd to its end (or, with stop, to the first line matching ready);
    returns (seconds to that line, seconds to the end, everything printed)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    at_ready, lines = None, []
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            if at_ready is None and ready.search(line):
                at_ready = time.monotonic() - start
                if stop:
                    break
        if not stop:
            proc.wait(timeout=timeout)
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return at_ready, time.monotonic() - start, "\n".join(lines) + "\n"


def snp_boot_to_ready(build, workdir):
    """The production image on the host, stopped once the host printed its
    counters at the ready line (Warden idles there under IGVM)."""
    igvm = snp_run.pack(f"{build}/tools/igvm/warden-igvm", f"{build}/kernel/warden.elf", workdir, 1)
    at_ready, _, log = timed_to_ready(snp_run.command(f"{build}/snp-host.fw", igvm, 1), snp_run.READY, stop=True)
    return at_ready, log


def row(label, counts):
    return f"{label:<24}" + "".join(f"{'-' if c is None else c:>13}" for c in counts)


def shown(counts):
    return tuple(counts[snp_run.FIELDS.index(f)] for f in SHOWN)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--runs", type=int, default=2, help="boots of each kind (default 2)")
    args = p.parse_args()
    workdir = os.path.join(args.build, "bench", "snp")
    bench_elf = f"{args.build}/tests/snp/warden-snp-bench.elf"
    bench_igvm = snp_run.pack(f"{args.build}/tools/igvm/warden-igvm", bench_elf, os.path.join(workdir, "bench"), 1)
    native_cmd = qemu.batch_command(f"{args.build}/warden.fw", "tcg", 1, "warden.exit_when_ready")

    per_run, ready_counts, snp_wall, native_wall, snp_us, native_us = [], [], [], [], [], []
    for run in range(args.runs):
        status, log = snp_run.boot(f"{args.build}/snp-host.fw", bench_igvm, 1)
        done = snp_run.DONE.search(log)
        if status != 33 or not done or done[4] != "1":
            sys.exit(f"the bench image did not finish (QEMU status {status}):\n{log}")
        reps, rounds = int(done[1]), int(done[2])
        per_run.append(snp_run.brackets(log))
        wall, log = snp_boot_to_ready(args.build, workdir)
        snp_wall.append(wall)
        ready_counts.append(snp_run.ready_counts(log))
        if m := READY_LINE.search(log):
            snp_us.append(int(m[1]))
        at_ready, _, out = timed_to_ready(native_cmd, READY_LINE)
        native_wall.append(at_ready)
        if m := READY_LINE.search(out):
            native_us.append(int(m[1]))

    first = per_run[0]
    ops = list(snp_run.RULES)
    print(f"snp bench: {reps} repetitions per bracket, {rounds} rounds per boot, {args.runs} boots (TCG, 1 vCPU)")
    print("per repetition = (bracket - empty bracket) / repetitions; the empty bracket is one mark line")
    print(row("operation", SHOWN))
    empty = first[("empty", 1)]
    for op in ops:
        if (op, 1) not in first:
            print(f"{op:<24} (not measured)")
            continue
        each = dict(zip(snp_run.FIELDS, snp_run.per_repetition(first[(op, 1)], empty, reps)))
        print(row(op if op != "empty" else "empty (one mark line)", shown(first[(op, 1)]) if op == "empty"
                  else tuple(each[f] for f in SHOWN)))
    print("raw brackets (end mark - begin mark, mark line included), every round of every boot:")
    print(row("operation", SHOWN))
    for op in ops:
        seen = [b.get((op, r)) for b in per_run for r in range(1, rounds + 1)]
        same = "identical" if len(set(seen)) == 1 else "DIFFER: " + ", ".join(str(s) for s in seen)
        print(row(op, shown(seen[0]) if seen[0] else (None,) * len(SHOWN)) + f"   x{len(seen)} {same}")
    repeat = all(b == first for b in per_run) and all(len({b.get((op, r)) for r in range(1, rounds + 1)}) == 1
                                                       for b in per_run for op in ops)
    print(f"repeatable: {'yes' if repeat else 'NO'} ({len(per_run) * rounds} rounds)")

    print("per boot, production image, vCPU 0 at Warden's ready line:")
    print(row("boot", snp_run.FIELDS))
    for i, c in enumerate(ready_counts):
        print(row(f"SNP boot {i + 1}", c if c else (None,) * len(snp_run.FIELDS)))
    print("ready counts repeat: " + ("yes" if len(set(ready_counts)) == 1 else
          "no (the ready line reaches COM1 through the console task: what the other boot tasks and the "
          "timer ticks did before it varies from boot to boot; the brackets above run with interrupts off "
          "and no task switch)"))
    ratio = statistics.median(snp_wall) / statistics.median(native_wall)
    print("wall time to the ready line (TCG): native `./warden run --exit-when-ready`'s QEMU command "
          f"{', '.join(f'{t * 1000:.0f}' for t in native_wall)} ms; SNP host (its launch included) "
          f"{', '.join(f'{t * 1000:.0f}' for t in snp_wall)} ms; ratio of the medians {ratio:.2f}")
    print(f"boot_us (Warden's own, first instruction to ready line): native {native_us}, SNP {snp_us}")
    return 0 if repeat else 1


if __name__ == "__main__":
    sys.exit(main())
