#!/usr/bin/env python3
"""Warden's IPC figures beside a peer's from the same run (issue 20, item 1).

The peer is Debian 12's own kernel (linux-image-amd64's vmlinuz, fetched as a
.deb and unpacked, never installed: ./warden bench peer) booted under the same
QEMU (TCG, qemu64, -net none, 2 vCPUs) with bench/peer_linux/peer_bench.c as
/init in an initramfs written here (cpio newc). It times a null system call
(getppid), a same-CPU pipe round trip between two processes (two address-space
switches, as Warden's call/reply between two tasks), the same between two
threads (none), and a cross-CPU process round trip. Warden's figures come from
its bench-ipc task (tools/bench_tasks.py), run in the same invocation. TSC
cycles mean little alone under TCG; the ratios are the figures.
"""
import argparse
import gzip
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import bench_tasks  # noqa: E402
import qemu  # noqa: E402

PEER = re.compile(r"^peer: (\S+) (\d+) cycles/op", re.M)


def cpio_newc(entries):
    """An initramfs archive (cpio "newc", the kernel's early-userspace format): entries of
    (name, mode, data, rdev major, rdev minor), then the trailer."""
    out = bytearray()

    def pad4():
        out.extend(b"\0" * (-len(out) % 4))

    for ino, (name, mode, data, major, minor) in enumerate(list(entries) + [("TRAILER!!!", 0, b"", 0, 0)], 1):
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, major, minor, len(name) + 1, 0]
        out += b"070701" + b"".join(b"%08x" % f for f in fields) + name.encode() + b"\0"
        pad4()
        out += data
        pad4()
    return bytes(out)


def initramfs(init_path, out_path):
    with open(init_path, "rb") as f:
        init = f.read()
    archive = cpio_newc([("dev", 0o040755, b"", 0, 0), ("dev/console", 0o020600, b"", 5, 1),
                         ("init", 0o100755, init, 0, 0)])
    with gzip.open(out_path, "wb") as f:
        f.write(archive)


def peer(kernel, initrd, timeout):
    cmd = ["qemu-system-x86_64", "-machine", "pc", "-nodefaults", "-display", "none", "-no-reboot", "-accel", "tcg",
           "-m", "256M", "-smp", "2", "-net", "none", "-kernel", kernel, "-initrd", initrd,
           "-append", "console=ttyS0 quiet panic=-1", "-serial", "stdio", "-monitor", "none"]
    with qemu.qemu_process(cmd, subprocess.DEVNULL) as proc:
        out, _ = proc.communicate(timeout=timeout)
    log = out.decode("utf-8", "replace")
    figures = {m.group(1): int(m.group(2)) for m in PEER.finditer(log)}
    if "peer: done" not in log or "null_syscall" not in figures:
        sys.exit(f"bench_peer: the peer printed no figures:\n{log[-3000:]}")
    return figures


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--kernel", required=True, help="Debian 12's vmlinuz (unpacked from linux-image-*-amd64)")
    p.add_argument("--timeout", type=int, default=300)
    args = p.parse_args()
    initrd = os.path.join(args.build, "peer", "init.cpio.gz")
    os.makedirs(os.path.dirname(initrd), exist_ok=True)
    initramfs(os.path.join(args.build, "bench", "peer_bench"), initrd)
    linux = peer(args.kernel, initrd, args.timeout)
    warden, _created = bench_tasks.run(args.build, "tcg")
    null_w, null_l = warden["null_syscall"], linux["null_syscall"]
    print(f"peer: {os.path.basename(args.kernel)}, TCG qemu64, -smp 2, one run each; TSC cycles per operation")
    print(f"{'':42} {'Warden':>10} {'Linux':>10} {'Warden/Linux':>13}")

    def row(what, w, lx):
        print(f"{what:42} {w:>10} {lx:>10} {w / lx:>13.2f}")

    row("null system call (Linux: getppid)", null_w, null_l)
    row("same-CPU call/reply vs process pipe round trip", warden["ipc_same_cpu"], linux["pipe_rt_process_same_cpu"])
    row("  Linux's thread pipe round trip (no CR3)", warden["ipc_same_cpu"], linux["pipe_rt_thread_same_cpu"])
    if "pipe_rt_process_cross_cpu" in linux:
        row("cross-CPU call/reply vs process round trip", warden["ipc_cross_cpu"], linux["pipe_rt_process_cross_cpu"])
    print(f"ratios to each one's null call: Warden call/reply {warden['ipc_same_cpu'] / null_w:.0f}x, "
          f"Linux process round trip {linux['pipe_rt_process_same_cpu'] / null_l:.0f}x, "
          f"thread round trip {linux['pipe_rt_thread_same_cpu'] / null_l:.0f}x")


if __name__ == "__main__":
    main()
