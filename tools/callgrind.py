"""Instruction counts by callgrind, for the host benchmarks (bench_mm.py,
bench_psp.py): the instructions executed inside functions matching
*bench_FUNC* (--toggle-collect) while `argv` runs."""
import os
import subprocess
import tempfile


def callgrind_ir(argv, func):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        f"--toggle-collect=*bench_{func}*", *argv],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            for line in f:
                if line.startswith("totals:"):
                    return int(line.split()[1])
    raise RuntimeError("no totals in callgrind output")
