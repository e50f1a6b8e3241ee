#!/usr/bin/env python3
"""Boot a Warden image under QEMU and judge what it reports.

Two modes:
  run   (default) stream the serial log; exit 0 when the kernel exits with the
        pass code, non-zero otherwise. Used by `./warden run` and `./warden debug`.
  check (--check or --expect-fail) capture the log, parse the ready line and
        TAP, and print one verdict line. Used by the Meson `qemu` suite.

Verdict rules (QEMU-FACTS.md): isa-debug-exit maps V to status (V << 1) | 1, so
the kernel's pass code 0x10 is status 33 and fail 0x11 is 35. A triple fault
with -no-reboot exits 0, and a KVM internal error never exits: status 0 is
never a pass, and every run has a timeout.

QEMU never outlives the runner: it dies with it (PR_SET_PDEATHSIG, which covers
even SIGKILL), and SIGTERM, SIGHUP and SIGINT stop it before the runner exits.
"""
import argparse
import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import threading
import time

PASS_STATUS = 33
FAIL_STATUS = 35
SKIP_STATUS = 77  # Meson's "skipped"
READY_RE = re.compile(r"^warden: ready cpus=(\d+) tasks=(\d+) free_kib=(\d+) boot_us=(\d+)$")


def kvm_usable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError:
        return False
    os.close(fd)
    return True


def is_firmware(image):
    """An ELF boots through PVH (-kernel); anything else is a -bios image."""
    with open(image, "rb") as f:
        return f.read(4) != b"\x7fELF"


def qemu_command(args):
    firmware = is_firmware(args.image)
    cmd = [args.qemu, "-machine", "pc", "-nodefaults", "-vga", "none", "-display", "none",
           "-no-reboot", "-m", args.mem, "-smp", str(args.smp),
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-bios" if firmware else "-kernel", args.image]
    if args.accel == "kvm":
        cmd += ["-accel", "kvm"]
    else:
        cmd += ["-accel", "tcg"]
    if args.append and firmware:  # no -kernel, so no -append: the kernel reads this fw_cfg file
        cmd += ["-fw_cfg", "name=opt/warden/cmdline,string=" + args.append.replace(",", ",,")]
    elif args.append:
        cmd += ["-append", args.append]
    if args.gdb:
        cmd += ["-s", "-S"]
    # COM1 and the debug console (port 0xe9, for -Dconsole=debugcon) share
    # stdout through one multiplexed chardev (Ctrl-A X quits QEMU); or the
    # debug console goes to a file of its own.
    cmd += ["-chardev", "stdio,id=con,mux=on,signal=off", "-serial", "chardev:con", "-monitor", "none"]
    if getattr(args, "debugcon_file", None):
        cmd += ["-debugcon", f"file:{args.debugcon_file}"]
    else:
        cmd += ["-device", "isa-debugcon,iobase=0xe9,chardev=con"]
    for item in args.fw_cfg_file:
        name, _, path = item.partition("=")
        cmd += ["-fw_cfg", f"name={name},file={path.replace(',', ',,')}"]  # QEMU escapes a comma by doubling it
    for extra in args.qemu_arg:
        cmd += extra.split()
    return cmd


def batch_command(image, accel, smp=1, append="", mem="128M", fw_cfg_file=()):
    """The QEMU command a non-interactive run of image uses (benchmarks)."""
    args = argparse.Namespace(qemu="qemu-system-x86_64", mem=mem, smp=smp, image=image, accel=accel, append=append,
                              gdb=False, check=True, qemu_arg=[], fw_cfg_file=list(fw_cfg_file), debugcon_file=None)
    return qemu_command(args)


def run_batch(image, accel, timeout, smp=1, append="", fw_cfg_file=()):
    """Boots image without a terminal and returns everything it printed."""
    cmd = batch_command(image, accel, smp, append, fw_cfg_file=fw_cfg_file)
    with qemu_process(cmd, subprocess.DEVNULL) as proc:
        out, _ = proc.communicate(timeout=timeout)
    return out.decode("utf-8", "replace")


PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


class Stopped(Exception):
    """The runner was told to stop by a signal; QEMU is stopped on the way out."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stopped(signum, _frame):
    raise Stopped(signum)


def _die_with_runner(runner_pid):
    """Runs in QEMU's process before exec: its parent's death kills it."""
    def arm():
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != runner_pid:  # the runner died before the prctl took effect
            os._exit(1)
    return arm


@contextlib.contextmanager
def qemu_process(cmd, stdin):
    """Starts QEMU with stdout and stderr piped; however the block ends (return,
    exception, timeout, SIGTERM/SIGHUP/SIGINT), QEMU is stopped and reaped. A
    detached stdin puts QEMU in a session of its own, out of the terminal's reach:
    then only the runner can stop it, so the runner must."""
    proc = None
    pending = []  # a stop signal that came while QEMU was being stopped
    previous = {}
    try:
        for s in STOP_SIGNALS:
            previous[s] = signal.signal(s, _raise_stopped)
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=stdin is subprocess.DEVNULL,
                                preexec_fn=_die_with_runner(os.getpid()))
        yield proc
    finally:
        # A signal now must not cut the stop short; it is raised once QEMU is gone.
        for s in STOP_SIGNALS:
            signal.signal(s, lambda signum, _frame: pending.append(signum))
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for s, handler in previous.items():
            signal.signal(s, handler)
        if pending:
            raise Stopped(pending[0])


def run_qemu(cmd, timeout, echo):
    """Runs QEMU, returning (status or None on timeout, list of serial lines).
    A stop signal ends QEMU and is raised again as Stopped."""
    lines = []
    stdin = None if (echo and sys.stdin.isatty()) else subprocess.DEVNULL
    with qemu_process(cmd, stdin) as proc:
        status = _stream(proc, lines, timeout, echo)
    return status, lines


def _stream(proc, lines, timeout, echo):
    def reader():
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n").replace("\r", "")
            lines.append(line)
            if echo:
                print(line, flush=True)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        status = proc.wait(timeout=timeout if timeout > 0 else None)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        status = None
    t.join(timeout=2)
    return status


def judge(status, lines, timeout, free_kib_range=None, cpus=None):
    """Returns a list of failure reasons; empty means PASS."""
    reasons = []
    if status is None:
        reasons.append(f"timed out after {timeout:g} s (hang, or a KVM internal error)")
    elif status == 0:
        reasons.append("exit status 0 (triple fault or reset)")
    elif status == FAIL_STATUS:
        reasons.append("kernel reported failure (exit status 35)")
    elif status != PASS_STATUS:
        reasons.append(f"QEMU exited with status {status}")
    for line in lines:
        # Panics, fatal exceptions, "cannot boot": every error-level line is a reason.
        if line.startswith("PANIC:") or line.startswith("error: "):
            reasons.append(line)
    ready = [m for m in (READY_RE.match(l) for l in lines) if m]
    if not ready:
        reasons.append("no ready line")
    if ready and cpus is not None and int(ready[0].group(1)) != cpus:
        reasons.append(f"cpus={ready[0].group(1)}, expected {cpus}")
    if ready and free_kib_range:
        lo, hi = free_kib_range
        free = int(ready[0].group(3))
        if not lo <= free <= hi:
            reasons.append(f"free_kib={free} outside [{lo}, {hi}]")
    tap = [l for l in lines if l.startswith("TAP version")]
    if tap:
        plan = [l for l in lines if re.match(r"^1\.\.\d+$", l)]
        results = [l for l in lines if re.match(r"^(not )?ok \d+ ", l)]
        if not plan:
            reasons.append("TAP without a plan")
        elif int(plan[0][3:]) != len(results):
            reasons.append(f"TAP plan {plan[0]} but {len(results)} results")
        reasons += [l for l in results if l.startswith("not ok")]
    return reasons


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image", required=True, help="an ELF boots through PVH (-kernel), a .fw image as -bios")
    p.add_argument("--accel", choices=["tcg", "kvm"], default="tcg")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--mem", default="128M")
    p.add_argument("--append", default="")
    p.add_argument("--qemu", default="qemu-system-x86_64")
    p.add_argument("--qemu-arg", action="append", default=[])
    p.add_argument("--fw-cfg-file", action="append", default=[], metavar="NAME=PATH",
                   help="a fw_cfg file for the guest (the path may hold spaces and commas)")
    p.add_argument("--timeout", type=float, default=0, help="seconds; 0 = none (run mode only)")
    p.add_argument("--gdb", action="store_true", help="start halted with a gdb stub on :1234")
    p.add_argument("--check", action="store_true", help="judge the run and print a verdict")
    p.add_argument("--cpus", type=int, help="the ready line must say cpus=N")
    p.add_argument("--debugcon-file", help="send port 0xe9 to this file; --check judges its lines too")
    p.add_argument("--expect-debugcon-line", action="append", default=[], metavar="REGEX",
                   help="--check: some line of --debugcon-file must match REGEX (repeatable)")
    p.add_argument("--reject-line", action="append", default=[], metavar="REGEX",
                   help="--check fails if a console line matches")
    p.add_argument("--expect-line", action="append", default=[], metavar="REGEX",
                   help="--check: some console line must match REGEX (repeatable)")
    p.add_argument("--free-kib", metavar="MIN:MAX",
                   help="the ready line's free_kib must lie in [MIN, MAX]")
    p.add_argument("--expect-fail", metavar="REGEX",
                   help="pass only if the verdict is FAIL with a reason matching REGEX")
    args = p.parse_args()
    args.check = args.check or args.expect_fail is not None
    if args.check and args.timeout <= 0:
        p.error("--check needs a --timeout")

    if args.accel == "kvm" and not kvm_usable():
        print("SKIP: /dev/kvm cannot be opened; KVM runs need it")
        return SKIP_STATUS if args.check else 1

    cmd = qemu_command(args)
    print("$ " + " ".join(cmd), flush=True)
    start = time.monotonic()
    try:
        status, lines = run_qemu(cmd, args.timeout, echo=True)
    except Stopped as stop:
        print(f"qemu: stopped by {stop}; QEMU ended with it", file=sys.stderr)
        return 128 + stop.signum
    wall = time.monotonic() - start

    if not args.check:
        if status == PASS_STATUS:
            return 0
        print(f"qemu: {judge(status, lines, args.timeout)[0]}", file=sys.stderr)
        return 1

    extra = []
    if args.debugcon_file:
        try:
            with open(args.debugcon_file, errors="replace") as f:
                extra = [l.rstrip("\r\n") for l in f]
        except FileNotFoundError:
            extra = []
        print(f"--- {args.debugcon_file}: {len(extra)} lines ---")
        print("\n".join(extra))
        lines = lines + extra
    free_range = tuple(int(x) for x in args.free_kib.split(":")) if args.free_kib else None
    reasons = judge(status, lines, args.timeout, free_range, args.cpus)
    for pattern in args.expect_line:
        if not any(re.search(pattern, l) for l in lines):
            reasons.append(f"no console line matches /{pattern}/")
    for pattern in args.reject_line:
        if any(re.search(pattern, l) for l in lines):
            reasons.append(f"a console line matches /{pattern}/, which must not appear")
    for pattern in args.expect_debugcon_line:
        if not any(re.search(pattern, l) for l in extra):
            reasons.append(f"no debugcon line matches /{pattern}/")
    verdict = "PASS" if not reasons else "FAIL: " + "; ".join(reasons)
    print(f"RESULT: {verdict} ({wall:.2f} s wall)")
    if args.expect_fail is None:
        return 0 if not reasons else 1
    if reasons and re.search(args.expect_fail, verdict):
        print(f"expected failure seen: /{args.expect_fail}/")
        return 0
    print(f"expected a failure matching /{args.expect_fail}/")
    return 1


if __name__ == "__main__":
    sys.exit(main())
