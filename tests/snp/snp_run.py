#!/usr/bin/env python3
"""The snp suite's driver (docs/snp-host.md): packs Warden's kernel for the
emulated SNP host (C-bit 47), boots build/snp-host.fw with it in QEMU's
SVM CPU, and judges what the host and Warden print.

    snp_run.py digest HOST.fw TOOL KERNEL.elf WORKDIR SMP
        the launch digest the host prints equals `warden-igvm measure` for
        the same file, vCPU count and CPU model (nothing hard-coded)
    snp_run.py reach HOST.fw TOOL KERNEL.elf WORKDIR SMP REGEX
        the serial log has a line matching REGEX
    snp_run.py answer HOST.fw TOOL KERNEL.elf WORKDIR SMP INSN COUNT REGEX...
        for an instruction whose failure the hardware reports only in EAX/CF
        (no report line): the image's KTESTs all pass, the log has a line
        matching every REGEX (the answers the image printed), and, unless
        INSN is "-", vCPU 0's INSN counter (PVALIDATE or RMPADJUST) when it
        stopped exceeds the one at Warden's ready line by exactly COUNT: the
        host emulated that many after boot. Only for an instruction nothing
        else in Warden issues after its ready line (Warden's fw_cfg service
        shares DMA pages then, so PVALIDATE is not one)
    snp_run.py ktest HOST.fw TOOL KERNEL.elf WORKDIR SMP FWCFG_FILE
        the KTEST image runs to its end on the host (opt/warden/test is
        FWCFG_FILE): a TAP plan, as many results as it plans, no "not ok",
        and QEMU ends with the pass status (33)
    snp_run.py cpuid HOST.fw TOOL KERNEL.elf WORKDIR EDITS REGEX...
        the host, as the hypervisor, proposes its CPUID page with EDITS
        (fw_cfg opt/snp-host/cpuid): the log has a line matching every
        REGEX, every "the CPU does not support" rejection allows exactly the
        proposed value without the named bits, Warden never runs (no VMRUN),
        and QEMU ends with the fail status (35)
    snp_run.py hostfault HOST.fw
        the host's own fault (fw_cfg opt/snp-host/selftest "fault": a write to
        page 0) is reported with vector, error code, RIP and CR2, and QEMU
        ends with the fail status (35)
"""
import os
import re
import subprocess
import sys
import threading

CPU_MODEL = "EPYC-Milan"
CPU = CPU_MODEL + ",+svm,phys-bits=48"  # QEMU-FACTS: SVM under TCG, C-bit 47
C_BIT = "47"
TIMEOUT = 300


def pack(tool, kernel, workdir, smp):
    os.makedirs(workdir, exist_ok=True)
    out = os.path.join(workdir, f"warden-snp-smp{smp}.igvm")
    subprocess.run([tool, "pack", kernel, out, "--c-bit", C_BIT], check=True, stdout=subprocess.DEVNULL)
    return out


def command(host, igvm, smp, extra=()):
    fw_cfg = ["-fw_cfg", f"name=opt/warden/igvm,file={igvm}"] if igvm else []
    return ["qemu-system-x86_64", "-machine", "pc", "-nodefaults", "-display", "none", "-no-reboot",
           "-accel", "tcg", "-cpu", CPU, "-smp", str(smp), "-m", "512M", "-bios", host,
           *fw_cfg, *extra, "-serial", "stdio", "-monitor", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


def boot(host, igvm, smp, until=None, extra=()):
    """Runs QEMU to its end, or until a line matches `until` (then stops it:
    Warden idles after its ready line, it does not exit under IGVM)."""
    proc = subprocess.Popen(command(host, igvm, smp, extra), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines = []
    timer = threading.Timer(TIMEOUT, proc.kill)
    timer.start()
    try:
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            if until is not None and until.search(line):
                proc.kill()
                break
        proc.wait()
    finally:
        timer.cancel()
    return proc.returncode, "\n".join(lines) + "\n"


def hostfault(host):
    status, log = boot(host, None, 1, extra=["-fw_cfg", "name=opt/snp-host/selftest,string=fault"])
    sys.stdout.write(log)
    want = r"^snp-host: HOST EXCEPTION 14 \(#PF\) error 0x2 rip 0x[0-9a-f]+ cr2 0x8 "
    if not re.search(want, log, re.M):
        sys.exit(f"FAIL: no report matching {want!r}")
    if status != 35:
        sys.exit(f"FAIL: QEMU status {status}, expected 35 (the fail code)")
    print("PASS: the host's fault is reported with its cause and ends QEMU with the fail code")


def cpuid(host, tool, kernel, workdir, edits, patterns):
    igvm = pack(tool, kernel, workdir, 1)
    status, log = boot(host, igvm, 1, extra=["-fw_cfg", f"name=opt/snp-host/cpuid,string={edits}"])
    sys.stdout.write(log)
    for want in patterns:
        if not re.search(want, log, re.M):
            sys.exit(f"FAIL: no line matching {want!r} (QEMU status {status})")
    unsupported = r"^snp-host: PSP: CPUID page rejected: .* (0x[0-9a-f]+) has bits (0x[0-9a-f]+) the CPU does not support \(allowed (0x[0-9a-f]+)\)$"
    for proposed, bits, allowed in re.findall(unsupported, log, re.M):
        if int(allowed, 16) != int(proposed, 16) & ~int(bits, 16):
            sys.exit(f"FAIL: proposed {proposed} without bits {bits} is not the allowed {allowed}")
    if re.search(r"^snp-host: vCPU \d+ VMPL\d: VMRUN", log, re.M):
        sys.exit("FAIL: the guest ran although the launch should have failed")
    if status != 35:
        sys.exit(f"FAIL: QEMU status {status}, expected 35 (the fail code)")
    print(f"PASS: with CPUID edits {edits!r} the host reports {patterns!r} and the launch fails")


def counter(log, when, insn):
    m = re.search(rf"^snp-host: {when}.* (\d+) {insn}\b", log, re.M)
    return int(m.group(1)) if m else None


def answer(log, status, insn, count, patterns):
    for want in patterns:
        if not re.search(want, log, re.M):
            sys.exit(f"FAIL: no line matching {want!r} (QEMU status {status})")
    if re.search(r"^not ok ", log, re.M) or not re.search(r"^ok 1 ", log, re.M):
        sys.exit("FAIL: the image's KTEST did not pass")
    if insn == "-":
        print(f"PASS: {patterns!r}")
        return
    ready = counter(log, "at Warden's ready line: vCPU 0:", insn)
    stopped = counter(log, "vCPU 0 stopped:", insn)
    if ready is None or stopped is None:
        sys.exit(f"FAIL: the host printed no {insn} counter at the ready line and at the stop")
    if stopped - ready != count:
        sys.exit(f"FAIL: the host counted {stopped - ready} {insn} after the ready line, expected {count}")
    print(f"PASS: {patterns!r}, and the host emulated {count} {insn} after the ready line")


def ktest(host, tool, kernel, workdir, smp, fw_cfg_file):
    igvm = pack(tool, kernel, workdir, smp)
    status, log = boot(host, igvm, smp, extra=["-fw_cfg", f"name=opt/warden/test,file={fw_cfg_file}"])
    sys.stdout.write(log)
    plan = re.search(r"^1\.\.(\d+)$", log, re.M)
    if not plan:
        sys.exit(f"FAIL: no TAP plan (QEMU status {status})")
    results = re.findall(r"^(not )?ok \d+ ", log, re.M)
    failed = [r for r in results if r]
    if len(results) != int(plan.group(1)) or failed:
        sys.exit(f"FAIL: {len(results)} of {plan.group(1)} results, {len(failed)} not ok (QEMU status {status})")
    if status != 33:
        sys.exit(f"FAIL: QEMU status {status}, expected 33 (the pass code)")
    skipped = len(re.findall(r"^ok \d+ .* # SKIP ", log, re.M))
    print(f"PASS: {len(results)} KTESTs ok on the emulated SNP host, {skipped} skipped as not applicable")


def main():
    if sys.argv[1] == "hostfault":
        return hostfault(sys.argv[2])
    if sys.argv[1] == "ktest":
        return ktest(*sys.argv[2:8])
    if sys.argv[1] == "cpuid":
        return cpuid(*sys.argv[2:7], sys.argv[7:])
    mode, host, tool, kernel, workdir, smp = sys.argv[1:7]
    igvm = pack(tool, kernel, workdir, smp)
    digest_line = r"^snp-host: launch digest ([0-9a-f]{96})$"
    if mode == "answer":
        status, log = boot(host, igvm, smp)
        sys.stdout.write(log)
        return answer(log, status, sys.argv[7], int(sys.argv[8]), sys.argv[9:])
    pattern = re.compile(sys.argv[7] if mode == "reach" else digest_line)
    status, log = boot(host, igvm, smp, pattern)
    sys.stdout.write(log)
    if mode == "digest":
        m = re.search(digest_line, log, re.M)
        if not m:
            sys.exit(f"FAIL: the host printed no launch digest (QEMU status {status})")
        want = subprocess.run([tool, "measure", igvm, "--vcpus", smp, "--cpu", CPU_MODEL], check=True,
                              stdout=subprocess.PIPE, text=True).stdout.strip()
        if m.group(1) != want:
            sys.exit(f"FAIL: host digest {m.group(1)}\n      warden-igvm measure {want}")
        print(f"PASS: the host's launch digest equals warden-igvm measure --vcpus {smp} --cpu {CPU_MODEL}")
    elif mode == "reach":
        if not re.search(sys.argv[7], log, re.M):
            sys.exit(f"FAIL: no line matching {sys.argv[7]!r} (QEMU status {status})")
        print(f"PASS: reached {sys.argv[7]!r}")
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
