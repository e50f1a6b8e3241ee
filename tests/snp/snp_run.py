#!/usr/bin/env python3
"""The snp suite's driver (docs/snp-host.md): packs Warden's kernel for the
emulated SNP host (C-bit 47), boots build/snp-host.fw with it in QEMU's
SVM CPU, and judges what the host and Warden print.

    snp_run.py digest HOST.fw TOOL KERNEL.elf WORKDIR SMP
        the launch digest the host prints equals `warden-igvm measure` for
        the same file, vCPU count and CPU model (nothing hard-coded)
    snp_run.py reach HOST.fw TOOL KERNEL.elf WORKDIR SMP REGEX
        the serial log has a line matching REGEX
    snp_run.py report HOST.fw TOOL KERNEL.elf WORKDIR SMP REPORT_TOOL REGEX...
        as answer (no counter), and the attestation report the image printed
        ("snp-psp: report" lines) is checked outside Warden and the host by
        REPORT_TOOL (tools/report, OpenSSL): its signature under the chip key
        the host printed, MEASUREMENT equal to `TOOL measure` of the image,
        REPORT_DATA the data the image printed, VMPL 0
    snp_run.py answer HOST.fw TOOL KERNEL.elf WORKDIR SMP INSN COUNT REGEX...
        for an instruction whose failure the hardware reports only in EAX/CF
        (no report line): the image's KTESTs all pass, the log has a line
        matching every REGEX (the answers the image printed), and, unless
        INSN is "-", vCPU 0's INSN counter (PVALIDATE or RMPADJUST; VMPLn:INSN
        for its VMPLn context alone) when it
        stopped exceeds the one at Warden's ready line by exactly COUNT: the
        host emulated that many after boot. Only for an instruction nothing
        else in Warden issues after its ready line (Warden's fw_cfg service
        shares DMA pages then, so PVALIDATE is not one)
    snp_run.py ktest HOST.fw TOOL KERNEL.elf WORKDIR SMP FWCFG_FILE
        the KTEST image runs to its end on the host (opt/warden/test is
        FWCFG_FILE): a TAP plan, as many results as it plans, no "not ok",
        and QEMU ends with the pass status (33)
    snp_run.py bench HOST.fw TOOL KERNEL.elf WORKDIR SMP
        the bench image (bench_image.cpp) runs to its end with its KTEST
        passing, every bracket between two of the host's marks counts the
        same in both rounds, and each operation costs per repetition what
        the host's rules and Warden's code for it say (RULES below)
    snp_run.py cpuid HOST.fw TOOL KERNEL.elf WORKDIR EDITS REGEX...
        the host, as the hypervisor, proposes its CPUID page with EDITS
        (fw_cfg opt/snp-host/cpuid): the log has a line matching every
        REGEX, every "the CPU does not support" rejection allows exactly the
        proposed value without the named bits, Warden never runs (no VMRUN),
        and QEMU ends with the fail status (35)
    snp_run.py harness HOST.fw TOOL KERNEL.elf WORKDIR SMP IMAGE REPORT_TOOL
        KERNEL.elf carries the harness guest's loader; IMAGE goes in as fw_cfg
        opt/warden/guest. The run ends when the guest terminates: every vCPU
        0..SMP-1 printed its verdict line with checks > 0 and failed=0, the
        loader started SMP vCPUs, the host saw reason set 4 code 0; the
        world switches per SVSM call (RUN_VMPLs from VMPL2 and VMPL0 at the
        stop, over the calls) are printed, and must be 2 with one vCPU; the
        attestation report vCPU 0 got verifies with REPORT_TOOL (warden-report)
        against the chip key, the launch digest and SHA-512(nonce || manifest)
    snp_run.py tpm2-tools HOST.fw TOOL KERNEL.elf WORKDIR RELAY_IMAGE REPORT_TOOL
        as harness with the relay image (guest/harness/relay.cpp) and COM2 on a
        socket: the vTPM's ATTEST_SINGLE_SERVICE report verifies outside Warden
        (chip key certificate, MEASUREMENT, REPORT_DATA = SHA-512(nonce || EK));
        then tpm2-tools through tools/tpm_relay.py, VTPM_CMD and the same vTPM
        (tests/tools/tpm2_tools.py's session), and the EK tpm2_readpublic shows
        is the one the report binds
    snp_run.py harness-refused HOST.fw TOOL KERNEL.elf WORKDIR SMP IMAGE EDITS REGEX
        as harness, with IMAGE edited (EDITS: OFFSET=HEX[,OFFSET=HEX...], the
        bytes at OFFSET replaced by HEX): the log has a line matching REGEX
        and Warden's ready line, and no guest vCPU ran (the SVSM serves on,
        the guest stays down)
    snp_run.py harness-bench HOST.fw TOOL KERNEL.elf WORKDIR SMP IMAGE [SCRATCH_MIB]
        as harness, with the bench image (guest/harness/bench.cpp), its
        header's scratch size set to SCRATCH_MIB when given: the guest
        terminates with reason set 4 code 0, names its TSC rate, prints every
        phase (PHASES) with pages > 0, a rate > 0 and every call answered
        success (the 2 MiB rescinds: success or a size mismatch, then
        rescinded as 4 KiB), and the host's marks around each phase count
        exactly 2 RUN_VMPLs (world switches) per call
    snp_run.py void HOST.fw TOOL KERNEL.elf WORKDIR
        the host's void run (fw_cfg opt/snp-host/selftest "void": the BSP's
        first #VMEXIT carries the host's RIP and CR3, as L1's TCG leaves it
        now and then) is one VOID line and QEMU status 37, and boot() makes
        it again and, void each time, gives no verdict (docs/snp-host.md)
    snp_run.py hostfault HOST.fw
    --firmware=PATH (digest, reach, answer, bench; anywhere after the mode)
        packs the guest's firmware in too (warden-igvm pack --firmware), as
        ./warden run --platform snp --firmware does; digest then also needs
        the host's line saying it placed every page of it in the flash
        the host's own fault (fw_cfg opt/snp-host/selftest "fault": a write to
        page 0) is reported with vector, error code, RIP and CR2, and QEMU
        ends with the fail status (35)
"""
import hashlib
import os
import re
import struct
import subprocess
import sys
import tempfile
import threading
import uuid

CPU_MODEL = "EPYC-Milan"
CPU = CPU_MODEL + ",+svm,phys-bits=48"  # QEMU-FACTS: SVM under TCG, C-bit 47
C_BIT = "47"
TIMEOUT = 300


def pack(tool, kernel, workdir, smp, firmware=None):
    os.makedirs(workdir, exist_ok=True)
    out = os.path.join(workdir, f"warden-snp-smp{smp}{'-firmware' if firmware else ''}.igvm")
    extra = ["--firmware", firmware] if firmware else []
    subprocess.run([tool, "pack", kernel, out, "--c-bit", C_BIT, *extra], check=True, stdout=subprocess.DEVNULL)
    return out


def command(host, igvm, smp, extra=()):
    fw_cfg = ["-fw_cfg", f"name=opt/warden/igvm,file={igvm}"] if igvm else []
    return ["qemu-system-x86_64", "-machine", "pc", "-nodefaults", "-display", "none", "-no-reboot",
           "-accel", "tcg", "-cpu", CPU, "-smp", str(smp), "-m", "512M", "-bios", host,
           *fw_cfg, *extra, "-serial", "stdio", "-monitor", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


VOID_STATUS = 37  # the host's kExitVoid: L1's TCG broke the run (snp-host/vcpu.cpp void_run)
VOID_TRIES = 3


def boot(host, igvm, smp, until=None, extra=()):
    """Runs QEMU to its end, or until a line matches `until` (then stops it:
    Warden idles after its ready line, it does not exit under IGVM). A run
    the host ends void (L1's TCG saved the host's state as a guest's: no
    verdict on anything of ours, docs/snp-host.md) is made again, at most
    VOID_TRIES times in all, each said on stderr."""
    for attempt in range(1, VOID_TRIES + 1):
        status, log = boot_once(host, igvm, smp, until, extra)
        void = re.search(r"^snp-host: VOID: .*$", log, re.M)
        if status != VOID_STATUS or not void:
            return status, log
        print(f"snp_run: run {attempt} of {VOID_TRIES} void: {void.group(0)}", file=sys.stderr)
    sys.exit(f"FAIL: {VOID_TRIES} runs in a row void (L1's TCG): no verdict")


def boot_once(host, igvm, smp, until, extra):
    # QEMU's own record of each CPU reset: with -no-reboot an L1 that resets
    # (a triple fault of the host itself) ends QEMU with status 0 and no line
    # of the host's; then its last register dump says where (below).
    resets = tempfile.NamedTemporaryFile(prefix="snp-resets-", suffix=".log", delete=False)
    resets.close()
    proc = subprocess.Popen(command(host, igvm, smp, [*extra, "-d", "cpu_reset", "-D", resets.name]),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
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
    if proc.returncode == 0:
        with open(resets.name, errors="replace") as f:
            dump = f.read().rstrip().split("\n")[-24:]
        lines.append("snp_run: QEMU ended with status 0: L1 (the emulated host) reset; QEMU's last CPU state:")
        lines += ["snp_run:   " + d for d in dump]
    os.unlink(resets.name)
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


def void_run(host, tool, kernel, workdir):
    igvm = pack(tool, kernel, workdir, 1)
    selftest = ["-fw_cfg", "name=opt/snp-host/selftest,string=void"]
    status, log = boot_once(host, igvm, 1, None, selftest)
    sys.stdout.write(log)
    want = r"^snp-host: VOID: vCPU 0 VMPL0 after 0 exits: a #VMEXIT saved the host's state as the guest's .*void$"
    if not re.search(want, log, re.M):
        sys.exit(f"FAIL: no line matching {want!r} (QEMU status {status})")
    if status != VOID_STATUS:
        sys.exit(f"FAIL: QEMU status {status}, expected {VOID_STATUS} (the void code)")
    try:
        boot(host, igvm, 1, extra=selftest)
    except SystemExit as e:
        if "runs in a row void" not in str(e.code):
            sys.exit(f"FAIL: a void run every time ended otherwise: {e.code}")
        print(f"PASS: the void run ends with status {VOID_STATUS} and its line; {VOID_TRIES} in a row are no verdict")
        return
    sys.exit("FAIL: boot() returned a verdict for runs that were all void")


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
    m = re.search(rf"^snp-host: {when}.*[ (](\d+) {insn}\b", log, re.M)
    return int(m.group(1)) if m else None


def answer(log, status, insn, count, patterns):
    if status != 33:
        sys.exit(f"FAIL: QEMU status {status}, expected 33 (the image's KTESTs end with the pass code)")
    for want in patterns:
        if not re.search(want, log, re.M):
            sys.exit(f"FAIL: no line matching {want!r} (QEMU status {status})")
    if re.search(r"^not ok ", log, re.M) or not re.search(r"^ok 1 ", log, re.M):
        sys.exit("FAIL: the image's KTEST did not pass")
    if insn == "-":
        print(f"PASS: {patterns!r}")
        return
    vmpl, _, insn = insn.rpartition(":")  # "VMPL1:RMPADJUST": that context's counter
    who = f"vCPU 0 {vmpl}" if vmpl else "vCPU 0"
    ready = counter(log, f"at Warden's ready line: {who}:", insn)
    stopped = counter(log, f"{who} stopped:", insn)
    if ready is None and vmpl:
        ready = 0  # the context did not exist at the ready line
    if ready is None or stopped is None:
        sys.exit(f"FAIL: the host printed no {insn} counter at the ready line and at the stop")
    if stopped - ready != count:
        sys.exit(f"FAIL: the host counted {stopped - ready} {insn} after the ready line, expected {count}")
    print(f"PASS: {patterns!r}, and the host emulated {count} {insn} after the ready line")


def measured(tool, igvm, smp):
    """The launch digest `warden-igvm measure` computes for the file, vCPU count and CPU model."""
    return subprocess.run([tool, "measure", igvm, "--vcpus", smp, "--cpu", CPU_MODEL], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()


def hex_lines(log, what):
    """The bytes of the image's `snp-psp: WHAT +0xOFF HEX` lines (or the
    attestation test task's, `[attest-report] WHAT ...`, or the harness
    guest's vCPU 0's, `harness: vcpu=0 WHAT ...`), in order."""
    out = bytearray()
    prefix = r"(?:snp-psp:|\[attest-report\]|harness: vcpu=0|snp-host: PSP:)"
    for m in re.finditer(rf"^{prefix} {what} \+(0x[0-9a-f]+) ([0-9a-f]+)$", log, re.M):
        if int(m.group(1), 16) != len(out):
            sys.exit(f"FAIL: the {what} lines are not contiguous at {m.group(1)}")
        out += bytes.fromhex(m.group(2))
    return bytes(out)


def chip_key(log):
    key = re.search(r"^snp-host: PSP: this boot's chip key \(the VCEK's role\), P-384 public point: ([0-9a-f]{194})$",
                    log, re.M)
    if not key:
        sys.exit("FAIL: the host printed no chip key")
    return key.group(1)


def chip_certificate(log, workdir):
    """The chip key's certificate the host printed (DER, in hex lines), as a file."""
    der = hex_lines(log, "chip key certificate")
    said = re.search(r"^snp-host: PSP: chip key certificate: (\d+) bytes of DER", log, re.M)
    if not der or not said or int(said.group(1)) != len(der):
        sys.exit("FAIL: the host printed no whole chip key certificate")
    path = os.path.join(workdir, "chip-key.der")
    with open(path, "wb") as f:
        f.write(der)
    return path


def verify_report(report_tool, workdir, key, digest, data, rep, certificate=None):
    """warden-report verify (OpenSSL, outside Warden): the chip key's
    signature (the key from the host's certificate too, which must verify
    and agree with the printed point), MEASUREMENT, REPORT_DATA and VMPL 0;
    then the same with one bit of each changed, which it must refuse."""
    if len(data) != 64 or len(rep) != 0x4a0:
        sys.exit(f"FAIL: {len(data)} bytes of report data and {len(rep)} of report")
    cert = ["--certificate", certificate] if certificate else []

    def verify(report_bytes):
        path = os.path.join(workdir, "report.bin")
        with open(path, "wb") as f:
            f.write(report_bytes)
        return subprocess.run([report_tool, "verify", path, "--public-key", key] + cert + ["--measurement", digest,
                               "--report-data", data.hex(), "--vmpl", "0"], stdout=subprocess.PIPE, text=True)

    check = verify(rep)
    sys.stdout.write(check.stdout)
    if check.returncode != 0:
        sys.exit(f"FAIL: {report_tool} verify: status {check.returncode}")
    # The checker can fail: one bit of MEASUREMENT, of REPORT_DATA or of s changed.
    for at, what in ((0x090, "MEASUREMENT"), (0x050, "REPORT_DATA"), (0x2e8, "the signature's s")):
        changed = bytearray(rep)
        changed[at] ^= 1
        if verify(bytes(changed)).returncode != 1:
            sys.exit(f"FAIL: {report_tool} verify passed a report with a bit of {what} changed")


def report(log, status, tool, igvm, smp, workdir, report_tool, patterns):
    answer(log, status, "-", 0, patterns)
    verify_report(report_tool, workdir, chip_key(log), measured(tool, igvm, smp), hex_lines(log, "report data"),
                  hex_lines(log, "report"), chip_certificate(log, workdir))
    print("PASS: the report verifies outside Warden: the chip key's signature, MEASUREMENT = warden-igvm measure, "
          "REPORT_DATA, VMPL 0")


# The host's counter line (vcpu.cpp report_counters), at a mark of the bench
# image or at Warden's ready line.
FIELDS = ("exits", "VMGEXITs", "MSR protocol", "GHCB page", "#VC", "NPF", "PVALIDATE", "unchanged", "RMPADJUST",
          "RUN_VMPL")
COUNTERS = (r"(\d+) exits, (\d+) VMGEXITs \((\d+) MSR protocol, (\d+) GHCB page\), (\d+) #VC, (\d+) NPF, "
            r"(\d+) PVALIDATE \((\d+) unchanged\), (\d+) RMPADJUST, (\d+) RUN_VMPL$")
MARK = re.compile(r"^snp-host: at mark (\S+) (\d+) (begin|end): vCPU 0: " + COUNTERS, re.M)
READY = re.compile(r"^snp-host: at Warden's ready line: vCPU 0: " + COUNTERS, re.M)
DONE = re.compile(r"^snp-bench: done reps=(\d+) rounds=(\d+) dma=(\d) ok=(\d)$", re.M)


def ready_counts(log):
    m = READY.search(log)
    return tuple(int(x) for x in m.groups()) if m else None


def brackets(log):
    """{(operation, round): counts between its begin and its end mark}."""
    marks = {(m[1], int(m[2]), m[3]): tuple(int(x) for x in m.groups()[3:]) for m in MARK.finditer(log)}
    return {(op, rnd): tuple(e - b for e, b in zip(marks[(op, rnd, "end")], counts))
            for (op, rnd, edge), counts in marks.items() if edge == "begin" and (op, rnd, "end") in marks}


def per_repetition(bracket, empty, reps):
    """What one repetition costs: the bracket minus the empty one (the end
    mark's own line), divided by reps; None where that is not a whole number."""
    out = []
    for b, e in zip(bracket, empty):
        q, r = divmod(b - e, reps)
        out.append(None if r else q)
    return tuple(out)


# What one repetition must cost, from the host's rules (docs/snp-host.md) and
# the instructions Warden's code for the operation issues. A #VC served
# through the GHCB page is 3 exits (the intercept, the GHCB MSR write,
# VMGEXIT); a CPUID is answered from the CPUID page inside the #VC handler
# (no VMGEXIT); PVALIDATE and RMPADJUST are one #UD exit each; a page-state
# change is one GHCB request (MSR write + VMGEXIT). The early console reads
# the UART status once per 16 bytes. A RUN_VMPL round trip is VMPL0's GHCB
# MSR write and VMGEXIT (GHCB page), then VMPL1's GHCB MSR write and VMGEXIT
# (MSR protocol): 4 exits and 2 switches between VMPLs.
def _cost(ghcb_vc=0, cpuid_vc=0, pvalidate=0, rmpadjust=0, psc=0, round_trips=0):
    ghcb_page = ghcb_vc + psc + round_trips
    return {"exits": 3 * ghcb_vc + cpuid_vc + pvalidate + rmpadjust + 2 * psc + 4 * round_trips,
            "VMGEXITs": ghcb_page + round_trips, "MSR protocol": round_trips, "GHCB page": ghcb_page,
            "#VC": ghcb_vc + cpuid_vc, "NPF": 0, "PVALIDATE": pvalidate, "unchanged": 0, "RMPADJUST": rmpadjust,
            "RUN_VMPL": 2 * round_trips}


MARK_BYTES, LINE_BYTES, UART_FIFO = 48, 16, 16
RULES = {
    "empty": None,  # the baseline: checked as the end mark's line below
    "console-line": _cost(ghcb_vc=LINE_BYTES + LINE_BYTES // UART_FIFO),
    "cpuid": _cost(cpuid_vc=1),
    "rdmsr": _cost(ghcb_vc=1),
    "pvalidate": _cost(pvalidate=2),  # rescind, validate
    "psc": _cost(pvalidate=2, psc=2),  # rescind + to shared, to private + validate
    "fw_cfg-dma": _cost(ghcb_vc=2),  # the descriptor's address: two 32-bit port writes
    "rmpadjust": _cost(rmpadjust=1),
    "run-vmpl": _cost(round_trips=1),
}
MARK_LINE = _cost(ghcb_vc=MARK_BYTES + MARK_BYTES // UART_FIFO)


def bench(log, status):
    done = DONE.search(log)
    if not done or status != 33 or re.search(r"^not ok ", log, re.M):
        sys.exit(f"FAIL: the bench image did not run to its end with its KTEST passing (QEMU status {status})")
    reps, rounds = int(done[1]), int(done[2])
    got = brackets(log)
    ops = sorted({op for op, _ in got})
    if set(ops) != set(RULES):
        sys.exit(f"FAIL: brackets for {ops}, expected {sorted(RULES)}")
    for op in ops:
        counts = {got.get((op, r)) for r in range(1, rounds + 1)}
        if len(counts) != 1 or None in counts:
            sys.exit(f"FAIL: {op}: the {rounds} rounds counted {sorted(counts, key=str)}: not repeatable")
    empty = got[("empty", 1)]
    if dict(zip(FIELDS, empty)) != MARK_LINE:
        sys.exit(f"FAIL: the empty bracket (one mark line) counted {dict(zip(FIELDS, empty))}, expected {MARK_LINE}")
    for op, rule in RULES.items():
        if rule is None:
            continue
        each = dict(zip(FIELDS, per_repetition(got[(op, 1)], empty, reps)))
        if each != rule:
            sys.exit(f"FAIL: {op}: one repetition counted {each}, the rules say {rule}")
    print(f"PASS: {len(ops)} operations x {reps} repetitions: every bracket repeats in {rounds} rounds and costs "
          "what the host's rules say per repetition")


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


# The guest writes each line whole (one rep outsb), but COM1 is shared: a line
# of Warden's console may have been cut by it, so a verdict may follow such a
# fragment on its line. Its end is the guest's own.
VERDICT = r"harness: vcpu=(\d+) svsm_calls=(\d+) checks=(\d+) passed=(\d+) failed=(\d+)$"
STOPPED = r"^snp-host: vCPU {} VMPL{} stopped: .* (\d+) RUN_VMPL$"
# The harness guest's checks per vCPU: 98 on every vCPU; vCPU 0 adds the
# 2 MiB page (9), fw_cfg etc/e820 (4) and the chipset (14).
HARNESS_CHECKS_VCPU0 = 129
HARNESS_CHECKS_AP = 98
STOPPED_ALL = r"^snp-host: vCPU {} stopped: .* (\d+) RUN_VMPL$"
PREEMPTED = r"^snp-host: vCPU {} VMPL{} stopped: (\d+) of its RUN_VMPLs went to VMPL0 on a physical interrupt$"


def harness(host, tool, kernel, workdir, smp, image, report_tool):
    igvm = pack(tool, kernel, workdir, smp)
    status, log = boot(host, igvm, smp, extra=["-fw_cfg", f"name=opt/warden/guest,file={image}"])
    sys.stdout.write(log)
    n = int(smp)
    verdicts = {int(m[0]): [int(x) for x in m[1:]] for m in re.findall(VERDICT, log, re.M)}
    for i in range(n):
        if i not in verdicts:
            sys.exit(f"FAIL: vCPU {i} printed no verdict line (QEMU status {status})")
        calls, checks, passed, failed = verdicts[i]
        if checks == 0 or failed != 0 or passed != checks:
            sys.exit(f"FAIL: vCPU {i}: {checks} checks, {passed} passed, {failed} failed")
    if sorted(verdicts) != list(range(n)):
        sys.exit(f"FAIL: verdicts from vCPUs {sorted(verdicts)}, expected 0..{n - 1}")
    # The loader's CPU started each vCPU by AP creation at VMPL2 (the host's
    # lines: Warden's own can be cut by the guest's on COM1).
    for i in range(n):
        created = rf"snp-host: vCPU 0: AP creation: vCPU {i} VMPL2 runs from the VMSA at GPA 0x"
        if not re.search(created, log, re.M):
            sys.exit(f"FAIL: no line matching {created!r}: the loader did not start vCPU {i}")
    # The memory map the guest's firmware would read is the VM's: the extent
    # the guest read from fw_cfg etc/e820 is the one the host built (L1's
    # describes L1's RAM).
    seen = re.search(r"harness: fw_cfg etc/e820: RAM (0x[0-9a-f]+)\.\.(0x[0-9a-f]+) ", log)
    built = re.search(r"snp-host: fw_cfg: the guest's etc/e820 is its own RAM, GPA 0\.\.(0x[0-9a-f]+) ", log)
    if not seen or not built:
        sys.exit("FAIL: no etc/e820 line from the guest or from the host")
    if int(seen.group(1), 16) != 0 or int(seen.group(2), 16) != int(built.group(1), 16):
        sys.exit(f"FAIL: the guest read RAM {seen.group(1)}..{seen.group(2)} from etc/e820, the host built "
                 f"0..{built.group(1)}")
    print(f"PASS: the guest's etc/e820 is the VM's RAM, 0..{built.group(1)}")
    # The chipset the host emulates (snp-host/chipset.hpp): vCPU 0 programmed
    # PMBA and PMIOSE, the host said where once, and the guest measured the
    # PM timer against its TSC (its own check holds it to 2..6 MHz).
    enabled = re.findall(r"^snp-host: pci: the guest enabled PIIX4 PM IO at (0x[0-9a-f]+)$", log, re.M)
    timer = re.search(r"harness: pci: PIIX4 PM IO at (0x[0-9a-f]+), PM timer (\d+) Hz against the TSC", log)
    if len(enabled) != 1 or not timer or enabled[0] != timer.group(1):
        sys.exit(f"FAIL: the host said the PM IO enabled at {enabled}, the guest {timer and timer.group(1)}")
    print(f"PASS: PIIX4 PM IO at {enabled[0]} (said once by the host); the guest's PM timer ran at "
          f"{timer.group(2)} Hz against its TSC")
    # The checks each vCPU makes (docs/harness-guest.md): vCPU 0 alone reads
    # fw_cfg and the chipset and validates the 2 MiB page.
    for i in range(n):
        want = HARNESS_CHECKS_VCPU0 if i == 0 else HARNESS_CHECKS_AP
        if verdicts[i][1] != want:
            sys.exit(f"FAIL: vCPU {i} made {verdicts[i][1]} checks, {want} expected (docs/harness-guest.md)")
    if not re.search(r"snp-host: vCPU 0 VMPL2: termination requested .* reason set 4 code 0:", log):
        sys.exit("FAIL: the guest did not terminate with reason set 4 code 0 (every check passed)")
    # vCPU 0's counters: its VMPL2 context's RUN_VMPLs, and the vCPU's total
    # less those (VMPL0's); none before the ready line (the loader starts it after).
    lower = re.search(STOPPED.format(0, 2), log, re.M)
    total = re.search(STOPPED_ALL.format(0), log, re.M)
    if lower and total:
        from_vmpl2 = int(lower.group(1))
        from_vmpl0 = int(total.group(1)) - from_vmpl2
        # A physical interrupt while VMPL2 runs (after its slice, or in a HLT
        # the host waits out) is VMPL0's: a switch there and Warden's RUN_VMPL
        # back, no call (docs/snp-host.md, "The guest's PIT, PICs and local APIC").
        preempted = re.search(PREEMPTED.format(0, 2), log, re.M)
        if preempted:
            from_vmpl2 -= int(preempted.group(1))
            from_vmpl0 -= int(preempted.group(1))
        calls = verdicts[0][0]
        print(f"vCPU 0: {calls} SVSM calls, RUN_VMPL {from_vmpl2} from VMPL2 and {from_vmpl0} from VMPL0: "
              f"{(from_vmpl2 + from_vmpl0) / calls:.2f} world switches per call")
        if n == 1 and (from_vmpl2 + from_vmpl0) // calls != 2:
            sys.exit("FAIL: not 2 world switches per SVSM call with one vCPU")
    attested(log, tool, igvm, smp, workdir, report_tool)
    print(f"PASS: the harness guest at VMPL2 passed every check on each of its {n} vCPU(s) under Warden's loader "
          "and request loop")


def attested(log, tool, igvm, smp, workdir, report_tool):
    """SVSM attestation as the harness guest's vCPU 0 got it (guest/harness/checks.cpp
    attestation): each report verifies with the chip key, MEASUREMENT is the launch
    digest of the file booted, and REPORT_DATA = SHA-512(nonce || manifest), the
    hash taken here (hashlib), not by Warden; the services manifest's one entry is
    the vTPM's, whose data hashes to the SHA-256 the vTPM printed of its EK, and
    ATTEST_SINGLE_SERVICE's manifest is that EK."""
    nonce, manifest, rep = (hex_lines(log, "attest " + w) for w in ("nonce", "manifest", "report"))
    single_manifest, single = hex_lines(log, "attest single manifest"), hex_lines(log, "attest single report")
    if len(nonce) != 64 or len(manifest) < 48:
        sys.exit(f"FAIL: the guest printed a {len(nonce)}-byte nonce and a {len(manifest)}-byte manifest")
    digest = measured(tool, igvm, smp)
    key = chip_key(log)
    cert = chip_certificate(log, workdir)
    verify_report(report_tool, workdir, key, digest, hashlib.sha512(nonce + manifest).digest(), rep, cert)
    verify_report(report_tool, workdir, key, digest, hashlib.sha512(nonce + single_manifest).digest(), single, cert)
    # The GUID table (SPEC-FACTS 7b), read here from its bytes.
    total, count = struct.unpack_from("<II", manifest, 16)
    entry_guid = manifest[24:40]
    offset, length = struct.unpack_from("<II", manifest, 40)
    ek = manifest[offset:offset + length]
    vtpm_guid = uuid.UUID("c476f1eb-0123-45a5-9641-b4e7dde5bfe3").bytes_le
    printed = re.search(r"^\[vtpm\] vtpm: EK public area SHA-256 ([0-9a-f]{64})$", log, re.M)
    if (total != len(manifest) or count != 1 or entry_guid != vtpm_guid or not printed
            or hashlib.sha256(ek).hexdigest() != printed.group(1) or ek != single_manifest):
        sys.exit("FAIL: the services manifest's entry is not the vTPM's EK as the vTPM printed it")
    cycles = re.search(r"^harness: vcpu=0 ATTEST_SERVICES answered in (\d+) TSC cycles$", log, re.M)
    tsc = re.search(r"against the TSC \((\d+) Hz", log)
    took = f", answered in {int(cycles.group(1)) * 1000 // int(tsc.group(1))} ms" if cycles and tsc else ""
    print(f"PASS: ATTEST_SERVICES and ATTEST_SINGLE_SERVICE (vTPM): both reports verify outside Warden (chip key, "
          f"MEASUREMENT = warden-igvm measure, VMPL 0), REPORT_DATA = SHA-512(nonce || manifest), the manifest's entry "
          f"is the vTPM's EK (SHA-256 {printed.group(1)[:16]}... as the vTPM printed it){took}")


def tpm2_tools(host, tool, kernel, workdir, image, report_tool):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    import tpm_relay
    import tpm2_tools as session
    work = os.path.join(workdir, "tpm2-tools-snp")
    os.makedirs(work, exist_ok=True)
    igvm = pack(tool, kernel, workdir, 1)
    sock = os.path.join(work, "com2.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    cmd = command(host, igvm, 1, ["-fw_cfg", f"name=opt/warden/guest,file={image}"])
    cmd += ["-chardev", f"socket,id=tpm,path={sock},server=on,wait=off", "-serial", "chardev:tpm"]  # COM2, after COM1
    port = 20000 + (os.getpid() + 7) % 20000
    try:
        with tpm_relay.booted(cmd, sock, port, TIMEOUT) as (relay, log):
            text = "\n".join(log)
            nonce, ek, rep = (hex_lines(text, "attest single " + w) for w in ("nonce", "manifest", "report"))
            verify_report(report_tool, work, chip_key(text), measured(tool, igvm, "1"),
                          hashlib.sha512(nonce + ek).digest(), rep, chip_certificate(text, work))
            print("PASS: the vTPM's ATTEST_SINGLE_SERVICE report verifies outside Warden: the chip key's certificate, "
                  "MEASUREMENT = warden-igvm measure, REPORT_DATA = SHA-512(nonce || EK), VMPL 0")
            read_back = session.run(work, port, relay, log)
            if read_back != ek:
                sys.exit(f"FAIL: tpm2_readpublic's EK ({hashlib.sha256(read_back).hexdigest()[:16]}...) is not the "
                         f"one the report binds ({hashlib.sha256(ek).hexdigest()[:16]}...)")
            print("PASS: on the emulated SNP host, tpm2-tools through VTPM_CMD; the EK tpm2_readpublic shows is the one "
                  "the attestation report binds")
    except RuntimeError as e:
        sys.exit(f"FAIL: {e}")


# The bench image's lines (guest/harness/bench.cpp) and the host's counters
# at its marks: vCPU 0's total, and its VMPL2 context's.
BENCH_PHASES = ("pvalidate-2m-all", "rescind-2m-all", "pvalidate-2m-x1", "rescind-2m-x1", "pvalidate-4k-x511",
                "rescind-4k-x511", "pvalidate-4k-x1", "rescind-4k-x1")
BENCH_LINE = re.compile(r"harness-bench: (pvalidate|rescind) (4k|2m): (\d+) pages(?: \((\d+) x 2 MiB\))? in (\d+) us: "
                        r"(\d+) pages/s \((\d+) entries per call, (\d+) calls, (\d+) answered success"
                        r"(?:, (\d+) size mismatches rescinded as 4 KiB)?\) \[mark (\S+)\]$", re.M)
BENCH_TSC = re.compile(r"harness-bench: TSC (\d+) Hz \((\d+) MHz\)[,:] (.*)$", re.M)
BENCH_DONE = re.compile(r"harness-bench: done phases=(\d+) calls=(\d+) success=(\d+) size_mismatches=(\d+) "
                        r"checks=(\d+) failed=(\d+)$", re.M)
BENCH_MARK = re.compile(r"^snp-host: at mark (\S+) (begin|end): vCPU 0( VMPL2)?: " + COUNTERS, re.M)


def bench_results(log):
    """{phase: dict of the guest's figures} from its result lines."""
    out = {}
    for m in BENCH_LINE.finditer(log):
        out[m[11]] = {"op": m[1], "size": m[2], "pages": int(m[3]), "us": int(m[5]), "rate": int(m[6]),
                      "per_call": int(m[7]), "calls": int(m[8]), "success": int(m[9]),
                      "mismatch": int(m[10] or 0)}
    return out


def bench_brackets(log):
    """{(phase, "vcpu" or "vmpl2"): {field: end - begin}} from the host's marks."""
    marks = {}
    for m in BENCH_MARK.finditer(log):
        marks[(m[1], m[2], "vmpl2" if m[3] else "vcpu")] = [int(x) for x in m.groups()[3:]]
    return {(phase, who): dict(zip(FIELDS, (e - b for e, b in zip(end, marks[(phase, "begin", who)]))))
            for (phase, edge, who), end in marks.items() if edge == "end" and (phase, "begin", who) in marks}


def harness_bench_log(host, tool, kernel, workdir, smp, image, scratch_mib=None):
    """Boots the bench image (its scratch size edited when asked) to the
    guest's termination; returns (QEMU status, the log)."""
    if scratch_mib is not None:
        with open(image, "rb") as f:
            data = bytearray(f.read())
        data[0x28:0x30] = (int(scratch_mib) << 20).to_bytes(8, "little")  # guest_entry.hpp: scratch_size
        os.makedirs(workdir, exist_ok=True)
        image = os.path.join(workdir, f"harness-bench-{scratch_mib}m.bin")
        with open(image, "wb") as f:
            f.write(data)
    igvm = pack(tool, kernel, workdir, smp)
    return boot(host, igvm, smp, extra=["-fw_cfg", f"name=opt/warden/guest,file={image}"])


def harness_bench(host, tool, kernel, workdir, smp, image, scratch_mib=None):
    status, log = harness_bench_log(host, tool, kernel, workdir, smp, image, scratch_mib)
    sys.stdout.write(log)
    if not re.search(r"snp-host: vCPU 0 VMPL2: termination requested .* reason set 4 code 0:", log):
        sys.exit(f"FAIL: the bench guest did not terminate with reason set 4 code 0 (QEMU status {status})")
    tsc, done = BENCH_TSC.search(log), BENCH_DONE.search(log)
    if not tsc or int(tsc[1]) == 0:
        sys.exit("FAIL: the bench guest named no TSC rate")
    if not done or int(done[5]) == 0 or done[6] != "0":
        sys.exit("FAIL: the bench guest's done line is missing or counts a failure")
    results, brackets = bench_results(log), bench_brackets(log)
    for phase in BENCH_PHASES:
        r = results.get(phase)
        if r is None:
            sys.exit(f"FAIL: no result line for {phase}")
        if r["pages"] == 0 or r["rate"] == 0 or r["calls"] == 0:
            sys.exit(f"FAIL: {phase}: {r}: no pages, no rate or no call")
        if r["calls"] != r["success"] + r["mismatch"] or (r["mismatch"] and phase != "rescind-2m-all"
                                                           and phase != "rescind-2m-x1"):
            sys.exit(f"FAIL: {phase}: {r['calls']} calls, {r['success']} answered success, {r['mismatch']} "
                     "size mismatches")
        c = brackets.get((phase, "vcpu"))
        if c is None:
            sys.exit(f"FAIL: {phase}: no host counters at its two marks")
        if c["RUN_VMPL"] != 2 * r["calls"]:
            sys.exit(f"FAIL: {phase}: {c['RUN_VMPL']} RUN_VMPLs for {r['calls']} calls, not 2 per call")
        print(f"{phase}: {r['pages']} pages, {r['rate']} pages/s, {r['calls']} calls, "
              f"{c['RUN_VMPL'] / r['calls']:.0f} world switches per call")
    print(f"PASS: the bench guest ran {len(BENCH_PHASES)} phases, every call answered as expected, "
          f"2 world switches per call (TSC {tsc[2]} MHz)")


def harness_refused(host, tool, kernel, workdir, smp, image, edits, want):
    with open(image, "rb") as f:
        data = bytearray(f.read())
    for edit in edits.split(","):
        offset, value = edit.split("=")
        patch = bytes.fromhex(value)
        data[int(offset, 0):int(offset, 0) + len(patch)] = patch
    os.makedirs(workdir, exist_ok=True)
    bad = os.path.join(workdir, f"harness-guest-refused-{edits.replace(',', '_').replace('=', '-')}.bin")
    with open(bad, "wb") as f:
        f.write(data)
    igvm = pack(tool, kernel, workdir, smp)
    seen = {"want": False, "ready": False}
    ready = re.compile(r"^warden: ready cpus=")

    class Until:  # both lines, in either order
        def search(self, line):
            seen["want"] = seen["want"] or bool(re.search(want, line))
            seen["ready"] = seen["ready"] or bool(ready.search(line))
            return seen["want"] and seen["ready"]

    status, log = boot(host, igvm, smp, Until(), extra=["-fw_cfg", f"name=opt/warden/guest,file={bad}"])
    sys.stdout.write(log)
    if not re.search(want, log, re.M):
        sys.exit(f"FAIL: no line matching {want!r} (QEMU status {status})")
    if not re.search(r"^warden: ready cpus=", log, re.M):
        sys.exit("FAIL: Warden did not reach its ready line")
    if re.search(r"snp-host: vCPU \d+ VMPL2: VMRUN", log):
        sys.exit("FAIL: a guest vCPU ran from a refused image")
    print(f"PASS: the loader refused the malformed image ({want!r}), the SVSM served on, no guest vCPU ran")


def main():
    firmware = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--firmware=")]
    sys.argv = [a for a in sys.argv if not a.startswith("--firmware=")]
    if sys.argv[1] == "hostfault":
        return hostfault(sys.argv[2])
    if sys.argv[1] == "void":
        return void_run(*sys.argv[2:6])
    if sys.argv[1] == "ktest":
        return ktest(*sys.argv[2:8])
    if sys.argv[1] == "cpuid":
        return cpuid(*sys.argv[2:7], sys.argv[7:])
    if sys.argv[1] == "harness":
        return harness(*sys.argv[2:9])
    if sys.argv[1] == "tpm2-tools":
        return tpm2_tools(*sys.argv[2:9])
    if sys.argv[1] == "harness-bench":
        return harness_bench(*sys.argv[2:9])
    if sys.argv[1] == "harness-refused":
        return harness_refused(*sys.argv[2:10])
    mode, host, tool, kernel, workdir, smp = sys.argv[1:7]
    igvm = pack(tool, kernel, workdir, smp, firmware[-1] if firmware else None)
    digest_line = r"^snp-host: launch digest ([0-9a-f]{96})$"
    if mode == "bench":
        status, log = boot(host, igvm, smp)
        sys.stdout.write(log)
        return bench(log, status)
    if mode == "answer":
        status, log = boot(host, igvm, smp)
        sys.stdout.write(log)
        return answer(log, status, sys.argv[7], int(sys.argv[8]), sys.argv[9:])
    if mode == "report":
        status, log = boot(host, igvm, smp)
        sys.stdout.write(log)
        return report(log, status, tool, igvm, smp, workdir, sys.argv[7], sys.argv[8:])
    # reach: every REGEX must match a line; the run stops at the last one's.
    pattern = re.compile(sys.argv[-1] if mode == "reach" else digest_line)
    status, log = boot(host, igvm, smp, pattern)
    sys.stdout.write(log)
    if mode == "digest":
        m = re.search(digest_line, log, re.M)
        if not m:
            sys.exit(f"FAIL: the host printed no launch digest (QEMU status {status})")
        want = measured(tool, igvm, smp)
        if m.group(1) != want:
            sys.exit(f"FAIL: host digest {m.group(1)}\n      warden-igvm measure {want}")
        if firmware:
            pages = os.path.getsize(firmware[-1]) // 4096
            placed = (rf"^snp-host: launched: the guest's firmware, {pages} pages \({pages * 4} KiB\), at GPA "
                      rf"{0x100000000 - pages * 4096:#x}\.\.0x100000000: private, validated")
            if not re.search(placed, log, re.M):
                sys.exit(f"FAIL: no line matching {placed!r}: the host did not place the firmware")
            print(f"PASS: the host placed the firmware's {pages} pages in the flash")
        print(f"PASS: the host's launch digest equals warden-igvm measure --vcpus {smp} --cpu {CPU_MODEL}")
    elif mode == "reach":
        for want in sys.argv[7:]:
            if not re.search(want, log, re.M):
                sys.exit(f"FAIL: no line matching {want!r} (QEMU status {status})")
            print(f"PASS: reached {want!r}")
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
