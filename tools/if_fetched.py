#!/usr/bin/env python3
"""Runs a test that needs a Debian 13 package the project fetched into the
build tree (./warden firmware debian13; docs/firmware.md), or skips it
(exit status 77, Meson's SKIP) saying why: not fetched yet, or the reason
the fetch failed, as the warden script left it.

usage: if_fetched.py CACHE_DIR PACKAGE -- COMMAND [ARG]...
  runs COMMAND when CACHE_DIR/PACKAGE (the unpacked package) exists
"""
import os
import sys


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    cache, package, command = sys.argv[1], sys.argv[2], sys.argv[4:]
    if os.path.isdir(os.path.join(cache, package)):
        sys.stdout.flush()
        os.execvp(command[0], command)
    failed = os.path.join(cache, package + ".failed")
    if os.path.exists(failed):
        with open(failed) as f:
            why = f.read().strip()
        print(f"SKIP: Debian 13's {package} is not in {cache}: the fetch failed: {why}")
    else:
        print(f"SKIP: Debian 13's {package} is not in {cache}: not fetched "
              "(./warden firmware debian13 fetches it; ./warden test does first)")
    return 77


if __name__ == "__main__":
    sys.exit(main())
