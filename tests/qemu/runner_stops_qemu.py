#!/usr/bin/env python3
"""Every signal that ends the QEMU runner ends its QEMU (issue 15).

   runner_stops_qemu.py RUNNER IMAGE

For each of SIGTERM, SIGHUP, SIGINT and SIGKILL: start RUNNER (tools/qemu.py) on
IMAGE, an image that never exits, with stdin detached as under `timeout` or CI
(QEMU is then in a session of its own, out of reach of the terminal), wait
until QEMU runs, signal the runner alone, and require that QEMU is gone within
10 s. This process is a child subreaper, so an orphaned QEMU is reparented here
and can be seen and reaped rather than lost to init. Prints one line per case
and exits 1 if any QEMU outlived its runner.
"""
import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36  # prctl(2)


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except FileNotFoundError:
        return []


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return None


def reaped(pid):
    """True once pid has exited (and is reaped here, its subreaper)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == pid
    except ChildProcessError:  # not ours: gone already, or reaped elsewhere
        return not os.path.exists(f"/proc/{pid}")


def one_case(runner, image, sig, extra):
    proc = subprocess.Popen([sys.executable, runner, "--image", image] + extra, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    found = wait_for(lambda: children(proc.pid), 30)
    if not found:
        proc.kill()
        proc.wait()
        return "the runner never started QEMU"
    qemu = found[0]
    time.sleep(0.5)  # let QEMU start executing the guest
    os.kill(proc.pid, sig)
    proc.wait(timeout=30)
    if wait_for(lambda: reaped(qemu), 10):
        return None
    os.kill(qemu, signal.SIGKILL)
    os.waitpid(qemu, 0)
    return f"QEMU (pid {qemu}) still ran 10 s after the runner ended (status {proc.returncode})"


def main():
    runner, image = sys.argv[1:3]
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1) != 0:
        sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")
    cases = [(s, [], "run mode") for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGKILL)]
    cases.append((signal.SIGTERM, ["--check", "--timeout", "600"], "check mode"))
    failed = 0
    for sig, extra, mode in cases:
        why = one_case(runner, image, sig, extra)
        print(f"{'ok' if why is None else 'FAIL'}: {signal.Signals(sig).name} to the runner ({mode})"
              + ("" if why is None else f": {why}"))
        failed += why is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
