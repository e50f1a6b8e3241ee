#!/usr/bin/env python3
"""The kernel's folders include each other without cycles, and only
kernel/boot (which reads the boot kind from the entry) and kernel/platform
branch on it (docs/architecture.md, "Layers").

An edge A -> B is an #include "B/..." in a file under kernel/A/ that names a
file under kernel/B/. Files at kernel/'s root (main.cpp, log, panic,
runtime) are outside the layering: main.cpp runs the boot sequence over
every part, and log and panic are used by all of them.

usage: kernel_layers.py [KERNEL_DIR]
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
BOOT_KIND = re.compile(r'\bBootKind::')
KIND_OWNERS = {'boot', 'platform'}


def graph(kernel):
    edges = {}
    for f in sorted(kernel.rglob('*')):
        if f.suffix not in ('.cpp', '.hpp', '.S') or len(f.relative_to(kernel).parts) < 2:
            continue
        src = f.relative_to(kernel).parts[0]
        edges.setdefault(src, {})
        for inc in INCLUDE.findall(f.read_text()):
            dst = inc.split('/')[0]
            if dst != src and '/' in inc and (kernel / inc).exists():
                edges[src].setdefault(dst, []).append(f'{f.relative_to(kernel)}: {inc}')
    return edges


def cycles(edges):
    """Strongly connected components of more than one folder (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def order(edges):
    """Folders from the lowest (includes no other) up."""
    done, out = set(), []

    def visit(v):
        if v in done:
            return
        done.add(v)
        for w in sorted(edges.get(v, {})):
            visit(w)
        out.append(v)

    for v in sorted(edges):
        visit(v)
    return out


def main():
    kernel = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[2] / 'kernel')
    edges = graph(kernel)
    bad = 0
    for comp in cycles(edges):
        bad += 1
        print(f'FAIL: kernel folders include each other in a cycle: {" <-> ".join(comp)}')
        for a in comp:
            for b in comp:
                for why in edges.get(a, {}).get(b, []):
                    print(f'  {a} -> {b}   ({why})')
    for f in sorted(kernel.rglob('*')):
        if f.suffix not in ('.cpp', '.hpp') or f.relative_to(kernel).parts[0] in KIND_OWNERS:
            continue
        for no, line in enumerate(f.read_text().splitlines(), 1):
            if BOOT_KIND.search(line):
                bad += 1
                print(f'FAIL: {f.relative_to(kernel)}:{no} branches on the boot kind outside kernel/platform and kernel/boot')
    if bad:
        return 1
    print('kernel layers, lowest first: ' + ' < '.join(order(edges)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
