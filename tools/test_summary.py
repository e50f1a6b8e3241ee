#!/usr/bin/env python3
"""Count every test of a `./warden test` run and print `N passed, N failed`.

Reads Meson's testlog.json files. A doctest binary counts its test cases (from
doctest's own summary line); every other test (QEMU boot, fuzz run) counts
once. A doctest run that crashed before its summary counts as one failure.
Skipped tests (KVM without /dev/kvm) are reported but are neither.
"""
import json
import re
import sys

DOCTEST_RE = re.compile(r"\[doctest\] test cases:\s*(\d+) \|\s*(\d+) passed \|\s*(\d+) failed")


def main(paths):
    passed = failed = skipped = 0
    failures = []
    per_suite = {}
    for path in paths:
        try:
            with open(path) as f:
                records = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            print(f"missing test log {path}: that build did not run its tests")
            failed += 1
            continue
        for r in records:
            # "warden:unit / unit - addr" in a project with several suites,
            # plain "fuzz - pvh" in the fuzz build: the suite is the first word.
            suite = r["name"].split(" / ")[-1].split(" - ")[0]
            s = per_suite.setdefault(suite, [0, 0])
            result = r["result"]
            m = DOCTEST_RE.search(r.get("stdout", "") or "")
            if result == "SKIP":
                skipped += 1
                continue
            if m:
                p, f_ = int(m.group(2)), int(m.group(3))
                if result != "OK" and f_ == 0:
                    f_ = 1  # the binary failed outside any case (sanitizer, crash)
            else:
                p, f_ = (1, 0) if result == "OK" else (0, 1)
            passed += p
            failed += f_
            s[0] += p
            s[1] += f_
            if f_:
                failures.append(f"{r['name']} ({result})")
    for suite, (p, f_) in sorted(per_suite.items()):
        print(f"  {suite:6} {p} passed, {f_} failed")
    for name in failures:
        print(f"  FAILED: {name}")
    if skipped:
        print(f"  ({skipped} skipped)")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
