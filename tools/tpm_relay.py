#!/usr/bin/env python3
"""The host side of the tpm2-tools relay (docs/vtpm.md, "tpm2-tools").

tpm2-tools speak the Microsoft TPM simulator's TCP protocol (the TSS's mssim
TCTI): a command port and, one above it, a platform port. This relay serves
both on 127.0.0.1 and passes each TPM_SEND_COMMAND to Warden's guest-side
relay (services/guest/tpm_relay) over a QEMU chardev (a UNIX socket that
QEMU serves as COM2), which sends it to the vTPM as VTPM_CMD.

mssim framing (TSS tcti-mssim; all integers big-endian): on the command
port, u32 TPM_SEND_COMMAND (8), u8 locality, u32 size, the command; the
answer u32 size, the response, u32 0. Platform-port signals (power, NV,
cancel) are u32 each, answered with u32 0: the vTPM is Warden's to power
(it waits for TPM2_Startup after its start), so they change nothing there.
TPM_SESSION_END (20) closes the connection. Towards the guest: u32 size
(little-endian) and the bytes, both ways; a size of 0 back means the SVSM
refused the call (the guest logs why), and the client's connection is
closed rather than given a made-up TPM answer.
"""
import argparse
import contextlib
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

TPM_SEND_COMMAND, TPM_SESSION_END = 8, 20
# Signals the platform port carries (TSS tcti-mssim.h): power on/off, physical presence, NV on/off, cancel...
PLATFORM_SIGNALS = {1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 21}


def read_exact(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return bytes(data)


class Relay:
    def __init__(self, guest_socket, port, log=sys.stderr):
        self.guest = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.guest.connect(guest_socket)
        self.guest_lock = threading.Lock()
        self.port = port
        self.log = log
        self.commands = 0
        self.servers = []

    def transact(self, command):
        """One TPM command to the guest's relay; the response, or None when the SVSM refused it."""
        with self.guest_lock:
            self.guest.sendall(struct.pack("<I", len(command)) + command)
            (size,) = struct.unpack("<I", read_exact(self.guest, 4))
            response = read_exact(self.guest, size) if size else None
        self.commands += 1
        return response

    def serve(self, conn, port, answer):
        """Requests off one client connection until it ends: answer(conn, cmd) replies, or says False to close."""
        with conn:
            while True:
                try:
                    (cmd,) = struct.unpack(">I", read_exact(conn, 4))
                except EOFError:
                    return
                if cmd == TPM_SESSION_END:
                    return
                if not answer(conn, cmd):
                    print(f"tpm_relay: {port} port: request {cmd} not served: closing", file=self.log)
                    return

    def command(self, conn, cmd):
        if cmd != TPM_SEND_COMMAND:
            return False
        _locality, size = struct.unpack(">BI", read_exact(conn, 5))
        response = self.transact(read_exact(conn, size))
        if response is None:  # the SVSM refused it (the guest's log says why)
            return False
        conn.sendall(struct.pack(">I", len(response)) + response + struct.pack(">I", 0))
        return True

    def platform(self, conn, cmd):
        if cmd not in PLATFORM_SIGNALS:
            return False
        conn.sendall(struct.pack(">I", 0))
        return True

    def listen(self, port, handler):
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(4)
        self.servers.append(server)

        def accept():
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                threading.Thread(target=handler, args=(conn,), daemon=True).start()
        threading.Thread(target=accept, daemon=True).start()

    def start(self):
        self.listen(self.port, lambda conn: self.serve(conn, "command", self.command))
        self.listen(self.port + 1, lambda conn: self.serve(conn, "platform", self.platform))

    def stop(self):
        for s in self.servers:
            s.close()
        self.guest.close()


def native_command(image, accel, sock):
    """QEMU for IMAGE (Warden with the vTPM and services/guest/tpm_relay) with COM2 on the socket."""
    cmd = qemu.batch_command(image, accel, smp=2, append="")
    cmd += ["-chardev", f"socket,id=tpm,path={sock},server=on,wait=off", "-serial", "chardev:tpm"]
    if accel == "tcg":
        cmd += ["-cpu", "max"]  # RDRAND/RDSEED: the vTPM refuses to start without the CPU's entropy
    return cmd


@contextlib.contextmanager
def booted(cmd, sock, port, timeout, ready="relaying TPM commands"):
    """Runs QEMU's cmd (its COM2 a server socket at sock), waits up to timeout
    seconds for the guest's relay line, and yields (relay, log): the mssim
    ports serving, the lines printed so far. QEMU is stopped however the
    block ends."""
    log = []
    seen = threading.Event()
    with qemu.qemu_process(cmd, subprocess.DEVNULL) as proc:
        def read_log():
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                log.append(line)
                if ready in line or "not relaying" in line:
                    seen.set()
            seen.set()
        threading.Thread(target=read_log, daemon=True).start()
        try:
            if not seen.wait(timeout) or not any(ready in l for l in log):
                raise RuntimeError("the guest's relay did not start:\n" + "\n".join(log[-40:]))
            relay = Relay(sock, port)
            relay.start()
            try:
                yield relay, log
            finally:
                relay.stop()
        finally:
            proc.kill()
            proc.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--guest-socket", help="relay for a QEMU already running, whose COM2 is this UNIX socket")
    where.add_argument("--boot", metavar="IMAGE", help="boot IMAGE (build/tests/tools/warden-tpm-relay.elf) first")
    p.add_argument("--accel", default="tcg", choices=["tcg", "kvm"])
    p.add_argument("--port", type=int, default=2321, help="mssim command port (the platform port is one above)")
    p.add_argument("command", nargs="*", help="run this with TPM2TOOLS_TCTI set, then stop (else serve until ^C)")
    args = p.parse_args()
    tcti = f"mssim:host=127.0.0.1,port={args.port}"

    def serve():
        print(f"tpm_relay: mssim on 127.0.0.1:{args.port}/{args.port + 1}; in another shell:\n"
              f"    export TPM2TOOLS_TCTI={tcti}", file=sys.stderr)
        if args.command:
            return subprocess.run(args.command, env=dict(os.environ, TPM2TOOLS_TCTI=tcti)).returncode
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            return 0

    if args.guest_socket:
        relay = Relay(args.guest_socket, args.port)
        relay.start()
        return serve()
    with tempfile.TemporaryDirectory() as work:
        try:
            sock = os.path.join(work, "com2.sock")
            cmd = native_command(args.boot, args.accel, sock)
            with booted(cmd, sock, args.port, 120 if args.accel == "tcg" else 300) as (relay, _log):
                status = serve()
                print(f"tpm_relay: {relay.commands} TPM commands relayed", file=sys.stderr)
                return status
        except RuntimeError as e:
            print(f"tpm_relay: error: {e}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
