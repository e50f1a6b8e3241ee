#!/usr/bin/env python3
"""PVALIDATE through the SVSM core protocol on the emulated SEV-SNP host, for
docs/benchmarks.md (issue 17, "Tests and measures").

Boots build/kernel/warden-harness.elf (Warden with the harness guest's
loader) on build/snp-host.fw, TCG, 1 vCPU, with the bench image
build/guest/harness/harness-bench.bin as fw_cfg opt/warden/guest
(guest/harness/bench.cpp, docs/harness-guest.md "The bench image"). Warden's
request loop serves the guest at VMPL2. The guest times each phase with the
TSC (its rate measured against the PIT, it says how) and prints its
pages/s; the host prints its counters at the guest's marks around each
phase, from which this script takes the world switches (RUN_VMPL) per call
and what the host did per page. With --native (the default) it also runs
tools/bench_svsm.py's native measurement (the harness task's 511-entry list
on the native RMP model, TCG) and prints the ratio.
"""
import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "snp"))
import snp_run  # noqa: E402  (packing, the SNP QEMU command, the bench image's lines)


def per(x, n):
    return f"{x / n:.2f}" if n else "-"


def one_run(build, workdir):
    status, log = snp_run.harness_bench_log(f"{build}/snp-host.fw", f"{build}/tools/igvm/warden-igvm",
                                            f"{build}/kernel/warden-harness.elf", workdir, 1,
                                            f"{build}/guest/harness/harness-bench.bin")
    with open(os.path.join(workdir, "harness-bench-run.log"), "w") as f:
        f.write(log)
    done = snp_run.BENCH_DONE.search(log)
    if not done or done[6] != "0" or "reason set 4 code 0:" not in log:
        sys.exit(f"the bench guest did not finish cleanly (QEMU status {status}); log: "
                 f"{os.path.join(workdir, 'harness-bench-run.log')}")
    return log


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--runs", type=int, default=1, help="boots of the bench image (default 1)")
    p.add_argument("--no-native", action="store_true", help="skip the native measurement (tools/bench_svsm.py)")
    p.add_argument("--native-runs", type=int, default=3, help="boots of the native measurement (default 3)")
    args = p.parse_args()
    workdir = os.path.join(args.build, "bench", "snp-pvalidate")
    logs = [one_run(args.build, workdir) for _ in range(args.runs)]

    print("snp-pvalidate: the bench guest at VMPL2 under Warden's loader and request loop, emulated SNP host, "
          "TCG, 1 vCPU")
    for i, log in enumerate(logs):
        tsc = snp_run.BENCH_TSC.search(log)
        print(f"run {i + 1}: TSC {tsc[1]} Hz ({tsc[2]} MHz): {tsc[3]}")
        if warden_tsc := re.search(r"tsc: (\d+) MHz", log):
            print(f"  (Warden's own calibration at VMPL0, one 2 ms PIT gate: {warden_tsc[1]} MHz)")
        results, brackets = snp_run.bench_results(log), snp_run.bench_brackets(log)
        empty = brackets.get(("empty", "vcpu"), {})
        print(f"{'phase':<18}{'pages':>7}{'us':>10}{'pages/s':>10}{'E/call':>7}{'calls':>7}{'ok':>7}"
              f"{'switch/call':>12}{'PVAL/page':>10}{'RMPADJ/page':>12}{'NPF':>6}{'exits/call':>11}{'us/exit':>8}")
        for phase in snp_run.BENCH_PHASES:
            r, c = results.get(phase), brackets.get((phase, "vcpu"))
            if r is None or c is None:
                print(f"{phase:<18} (not measured)")
                continue
            exits = c["exits"] - empty.get("exits", 0)  # less the end mark's own line
            ok = r["success"] + r["mismatch"]
            print(f"{phase:<18}{r['pages']:>7}{r['us']:>10}{r['rate']:>10}{r['per_call']:>7}{r['calls']:>7}{ok:>7}"
                  f"{per(c['RUN_VMPL'], r['calls']):>12}{per(c['PVALIDATE'], r['pages']):>10}"
                  f"{per(c['RMPADJUST'], r['pages']):>12}{c['NPF']:>6}{per(exits, r['calls']):>11}{per(r['us'], exits):>8}")
        print(f"  (exits/call: vCPU 0's exits between the marks, less the empty bracket's {empty.get('exits', '?')} "
              "(one mark line); us/exit: the phase's time over those exits; 'ok': calls answered success, or a "
              "2 MiB rescind's size mismatch)")
    if args.no_native:
        return 0
    import bench_svsm  # noqa: E402  (the native figure, same machine, same hour)
    native_runs = []
    for _ in range(args.native_runs):
        _, pv = bench_svsm.run(args.build, "tcg")
        if not pv:
            sys.exit("the native bench printed no PVALIDATE figure")
        native_runs.append(pv)
    print("native runs (TSC cycles, validate / rescind): "
          + ", ".join(f"{pv.group(1)} / {pv.group(3)}" for pv in native_runs))
    pv = sorted(native_runs, key=lambda m: int(m.group(1)))[len(native_runs) // 2]  # the median validation
    # The native harness converts its cycles with Warden's own TSC calibration (one 2 ms PIT
    # gate, which a loaded machine can throw far off: one native boot here read 5830 MHz on
    # this 2600 MHz machine). Under TCG both TSCs are this machine's, so the cycles are
    # converted here with the rate the bench guest measured (the lowest of its 5 gates).
    hz = int(snp_run.BENCH_TSC.search(logs[-1])[1])
    validate, rescind = int(pv.group(1)), int(pv.group(3))
    rescind = sorted(int(m.group(3)) for m in native_runs)[len(native_runs) // 2]  # its own median
    native_validate, native_rescind = 511 * hz // validate, 511 * hz // rescind
    print(f"native (./warden bench svsm, TCG), medians of {len(native_runs)}: PVALIDATE 511 x 4K validate {validate} "
          f"TSC cycles = {native_validate} pages/s at the guest's {hz} Hz (that boot's own conversion: "
          f"{pv.group(2)}); rescind {rescind} cycles = {native_rescind} pages/s")
    for phase, native in (("pvalidate-4k-x511", native_validate), ("rescind-4k-x511", native_rescind)):
        rates = sorted(r[phase]["rate"] for r in map(snp_run.bench_results, logs) if phase in r)
        if rates:
            snp = rates[len(rates) // 2]
            print(f"{phase}: native {native} pages/s, emulated SNP host {snp} pages/s (median of {len(rates)} "
                  f"runs): native / SNP = {native / snp:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
