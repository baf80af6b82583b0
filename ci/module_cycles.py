#!/usr/bin/env python3
"""Finds import cycles between the top-level modules of a crate's `src/`.

What it measures: for each top-level module M of `models/src` (and of `reports/src`, `src`),
the set of other top-level modules its files name as `crate::X` (in `use` lines or paths),
outside `#[cfg(test)]` modules; then every pair of modules that name each other, directly or
through a chain (strongly connected components of more than one module).

And one rule inside the binary: a subcommand (a file or folder of `src/commands/` other
than `mod.rs`) never names another subcommand — as `super::B` from a file of
`src/commands/`, `super::super::B` from a file a folder deeper, or `crate::commands::B`.
What subcommands share lives in `src/service/`, which names no subcommand (that would be a
cycle between `commands` and `service`, found above).

A rough tool (it reads text, not the compiler's resolution), used by nobody at CI time.
Usage: python3 ci/module_cycles.py [ROOT]; exit 1 when a cycle or a subcommand naming
another is found.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from long_functions import strip, test_ranges  # noqa: E402

CRATES = ["models/src", "reports/src", "src"]
COMMANDS = "src/commands"


def top_modules(src):
    mods = set()
    for name in os.listdir(src):
        if name.endswith(".rs") and name not in ("lib.rs", "main.rs"):
            mods.add(name[:-3])
        elif os.path.isdir(os.path.join(src, name)):
            mods.add(name)
    return mods


def module_of(src, path):
    rel = os.path.relpath(path, src).split(os.sep)
    return rel[0][:-3] if rel[0].endswith(".rs") else rel[0]


def edges(src):
    mods = top_modules(src)
    out = {m: set() for m in mods}
    for dirpath, _, files in os.walk(src):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(dirpath, name)
            m = module_of(src, path)
            if m not in out:
                continue
            with open(path, encoding="utf-8") as f:
                clean = strip(f.read())
            for a, b in reversed(test_ranges(clean)):
                clean = clean[:a] + clean[b + 1:]
            for x in re.findall(r"\bcrate::(\w+)", clean):
                if x in mods and x != m:
                    out[m].add(x)
            # `use crate::{a, b::c}` groups.
            for grp in re.findall(r"\bcrate::\{([^}]*)\}", clean):
                for x in re.findall(r"(?:^|,)\s*(\w+)", grp):
                    if x in mods and x != m:
                        out[m].add(x)
    return out


def sccs(graph):
    index, low, stack, on, result, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
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
            result.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [c for c in result if len(c) > 1]


def command_imports(root):
    """(A, B) for every subcommand A whose files name subcommand B, sorted."""
    cmd_dir = os.path.join(root, COMMANDS)
    if not os.path.isdir(cmd_dir):
        return []
    mods = top_modules(cmd_dir) - {"mod"}
    found = set()
    for dirpath, _, files in os.walk(cmd_dir):
        for name in files:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, cmd_dir).split(os.sep)
            if not name.endswith(".rs") or rel == ["mod.rs"]:
                continue
            me = module_of(cmd_dir, path)
            # The path from this file's module up to `commands`.
            depth = len(rel) - (1 if rel[-1] == "mod.rs" else 0)
            up = re.escape("super::" * depth)
            with open(path, encoding="utf-8") as f:
                clean = strip(f.read())
            for a, b in reversed(test_ranges(clean)):
                clean = clean[:a] + clean[b + 1:]
            names = re.findall(r"\bcrate::commands::(\w+)", clean)
            names += re.findall(r"(?<![\w:])" + up + r"(\w+)", clean)
            for grp in re.findall(
                r"(?:\bcrate::commands::|(?<![\w:])" + up + r")\{([^}]*)\}", clean
            ):
                names += re.findall(r"(?:^|,)\s*(\w+)", grp)
            found.update((me, x) for x in names if x in mods and x != me)
    return sorted(found)


def main(argv):
    root = argv[0] if argv else "."
    found = False
    for crate in CRATES:
        src = os.path.join(root, crate)
        g = edges(src)
        for comp in sccs(g):
            found = True
            links = [f"{a}→{b}" for a in comp for b in sorted(g[a]) if b in comp]
            print(f"{crate}: cycle between {', '.join(comp)}: {'; '.join(links)}")
    if not found:
        print("no import cycle between top-level modules")
    imports = command_imports(root)
    for a, b in imports:
        print(f"{COMMANDS}: subcommand {a} names subcommand {b}; move what they share to src/service/")
    if not imports:
        print("no subcommand names another")
    return 1 if found or imports else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
