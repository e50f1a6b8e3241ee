#!/usr/bin/env python3
"""The emulated PSP's guest request for docs/benchmarks.md (issue 19,
"report latency").

Instructions per operation: callgrind on the host build (bench/psp_bench),
counting only inside one benchmark function (--toggle-collect) for two
iteration counts; the difference divided by the extra iterations cancels any
fixed cost. Operations: a whole MSG_REPORT_REQ exchange (the guest's seal,
the PSP's open, report, ECDSA P-384 signature and seal), a refused replay
(the tag checked, nothing answered), BearSSL's signature alone, and the peer
in the same run: OpenSSL's ECDSA P-384 signature of a hash.

Latency on the emulated host: boots the guest-request image
(tests/snp/guest_request_image.cpp) on build/snp-host.fw under TCG --runs
times and reports the host's own measure of each request ("answered in N
us", TSC of L1) and the QEMU wall time.
"""
import argparse
import os
import re
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "snp"))
import snp_run  # noqa: E402  (packing and the SNP QEMU command)
from callgrind import callgrind_ir  # noqa: E402

OPS = [("report_request", "MSG_REPORT_REQ exchange (seal, open, report, sign, seal)", 2, 4),
       ("refused_replay", "a replay refused (tag checked, no answer)", 100, 200),
       ("sign_bearssl", "ECDSA P-384 sign, BearSSL i31 (the PSP's)", 2, 4),
       ("sign_openssl", "ECDSA P-384 sign, OpenSSL (peer)", 2, 4)]


def emulated(build, runs):
    workdir = os.path.join(build, "bench", "psp")
    igvm = snp_run.pack(f"{build}/tools/igvm/warden-igvm", f"{build}/tests/snp/warden-snp-guest-request.elf", workdir,
                        "1")
    answered, refused, walls = [], [], []
    for _ in range(runs):
        start = time.monotonic()
        status, log = snp_run.boot(f"{build}/snp-host.fw", igvm, "1")
        walls.append(time.monotonic() - start)
        if status != 33:
            sys.exit(f"the guest-request image failed (QEMU status {status})")
        answered += [int(x) for x in re.findall(r"PSP: message type 5 answered in (\d+) us, its status 0x0 ", log)]
        refused += [int(x) for x in re.findall(r"PSP refused it in (\d+) us", log)]
    return answered, refused, walls


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    binary = f"{args.build}/bench/psp_bench"
    print(f"{'operation':58} host instr/op (callgrind)")
    for func, label, lo, hi in OPS:
        per_op = (callgrind_ir([binary, func, str(hi)], func) - callgrind_ir([binary, func, str(lo)], func)) / (hi - lo)
        print(f"{label:58} {per_op:14,.0f}")
    answered, refused, walls = emulated(args.build, args.runs)
    print(f"emulated host (TCG), {args.runs} boots of the guest-request image:")
    print(f"  report answered (successful MSG_REPORT_REQ): median {statistics.median(answered)} us "
          f"(min {min(answered)}, max {max(answered)}, n={len(answered)}), the host's TSC")
    print(f"  request refused at the mailbox: median {statistics.median(refused)} us (n={len(refused)})")
    print(f"  QEMU wall time per boot: median {statistics.median(walls):.2f} s")


if __name__ == "__main__":
    main()
