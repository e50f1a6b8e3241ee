#!/usr/bin/env python3
"""tpm2-tools (Debian's) against Warden's vTPM (docs/vtpm.md, "tpm2-tools").

Boots IMAGE (Warden with the vTPM and the guest-side relay,
services/guest/tpm_relay) under QEMU with COM2 on a UNIX socket, puts
tools/tpm_relay.py between it and the mssim TCP ports tpm2-tools use, and
runs the tools as a user would: tpm2_startup, tpm2_getrandom,
tpm2_pcrextend and tpm2_pcrread (the PCR checked against SHA-256 computed
here), tpm2_createek (its public area against the SHA-256 the vTPM printed
of the EK it puts in the services manifest), tpm2_createprimary,
tpm2_createak, tpm2_quote and tpm2_checkquote (and checkquote refusing a
wrong nonce). Every command goes guest -> VTPM_CMD -> the SVSM's request
loop -> the vTPM task -> libtpms.

    tpm2_tools.py IMAGE WORKDIR [--accel tcg|kvm]
"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import tpm_relay  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("image")
    p.add_argument("workdir")
    p.add_argument("--accel", default="tcg")
    args = p.parse_args()
    for tool in ("tpm2_startup", "tpm2_quote", "tpm2_checkquote"):
        if not shutil.which(tool):
            sys.exit(f"FAIL: {tool} is not installed (./warden test installs tpm2-tools)")
    work = os.path.join(args.workdir, "tpm2-tools")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    port = 20000 + os.getpid() % 20000
    sock = os.path.join(work, "com2.sock")
    try:
        with tpm_relay.booted(tpm_relay.native_command(args.image, args.accel, sock), sock, port,
                              120 if args.accel == "tcg" else 300) as (relay, log):
            run(work, port, relay, log)
            print(f"PASS: tpm2-tools against Warden's vTPM ({args.accel})")
    except RuntimeError as e:
        sys.exit(f"FAIL: {e}")


def run(work, port, relay, log):
    """The tools' session against the relay at port; returns the EK's public area (TPMT_PUBLIC)."""
    env = dict(os.environ, TPM2TOOLS_TCTI=f"mssim:host=127.0.0.1,port={port}")
    timings = []

    def tool(*argv, expect_ok=True):
        t0 = time.monotonic()
        r = subprocess.run(list(argv), cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=600)
        timings.append((argv[0], time.monotonic() - t0))
        if expect_ok and r.returncode != 0:
            sys.exit(f"FAIL: {' '.join(argv)}: status {r.returncode}\n{r.stdout}\n" + "\n".join(log[-30:]))
        if not expect_ok and r.returncode == 0:
            sys.exit(f"FAIL: {' '.join(argv)} passed, and it must fail")
        return r.stdout

    tool("tpm2_startup", "-c")
    rnd = tool("tpm2_getrandom", "--hex", "16").strip()
    if not re.fullmatch(r"[0-9a-f]{32}", rnd):
        sys.exit(f"FAIL: tpm2_getrandom printed {rnd!r}")
    print(f"PASS: tpm2_startup -c, tpm2_getrandom --hex 16: {rnd}")
    # PCR 16 from reset (zeros) extended once: SHA-256(zeros || digest), computed here.
    digest = hashlib.sha256(b"warden").digest()
    tool("tpm2_pcrextend", f"16:sha256={digest.hex()}")
    out = tool("tpm2_pcrread", "sha256:16")
    want = hashlib.sha256(bytes(32) + digest).hexdigest()
    m = re.search(r"16\s*:\s*0x([0-9A-Fa-f]{64})", out)
    if not m or m.group(1).lower() != want:
        sys.exit(f"FAIL: tpm2_pcrread after one extend: {out!r}, expected {want}")
    print(f"PASS: tpm2_pcrextend then tpm2_pcrread: PCR 16 = SHA-256(0^32 || d) = {want[:16]}...")
    # The EK tpm2_createek makes from the default template: the vTPM's own, whose SHA-256 it printed.
    tool("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub")
    tool("tpm2_readpublic", "-c", "ek.ctx", "-f", "tss", "-o", "ek.tss")
    with open(os.path.join(work, "ek.tss"), "rb") as f:
        tpm2b = f.read()
    ek_sha = hashlib.sha256(tpm2b[2:]).hexdigest()  # TPM2B_PUBLIC: u16 size, then TPMT_PUBLIC
    printed = [re.search(r"vtpm: EK public area SHA-256 ([0-9a-f]{64})$", l) for l in log]
    printed = [x.group(1) for x in printed if x]
    if not printed or printed[0] != ek_sha:
        sys.exit(f"FAIL: tpm2_readpublic's EK hashes to {ek_sha}, the vTPM printed {printed}")
    print(f"PASS: tpm2_createek + tpm2_readpublic: the EK is the vTPM's (SHA-256 {ek_sha[:16]}..., as it printed)")
    tool("tpm2_createprimary", "-C", "o", "-G", "ecc", "-c", "primary.ctx")
    tool("tpm2_flushcontext", "-t")
    tool("tpm2_createak", "-C", "ek.ctx", "-c", "ak.ctx", "-G", "rsa", "-g", "sha256", "-s", "rsassa", "-u", "ak.pub",
         "-f", "pem", "-n", "ak.name")
    nonce = os.urandom(16).hex()
    tool("tpm2_quote", "-c", "ak.ctx", "-l", "sha256:0,16", "-q", nonce, "-m", "quote.msg", "-s", "quote.sig", "-o",
         "quote.pcrs", "-g", "sha256")
    tool("tpm2_checkquote", "-u", "ak.pub", "-m", "quote.msg", "-s", "quote.sig", "-f", "quote.pcrs", "-g", "sha256",
         "-q", nonce)
    tool("tpm2_checkquote", "-u", "ak.pub", "-m", "quote.msg", "-s", "quote.sig", "-f", "quote.pcrs", "-g", "sha256",
         "-q", "00" * 16, expect_ok=False)
    print("PASS: tpm2_createprimary, tpm2_createak, tpm2_quote; tpm2_checkquote verifies it and refuses another nonce")
    print(f"{relay.commands} TPM commands through VTPM_CMD; wall time per tool: " +
          ", ".join(f"{name} {secs:.2f} s" for name, secs in timings))
    return tpm2b[2:]


if __name__ == "__main__":
    main()
