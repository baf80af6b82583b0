#!/usr/bin/env python3
"""Counts the long functions of tenantsim's Rust sources (outside tests).

What it measures: for every `fn` item in `sim/ models/ reports/ src/` (test code excluded:
`#[cfg(test)]` modules, `tests/` folders, `testdata.rs`), the number of source lines from
the line of `fn` to the line of its closing brace. It prints how many exceed 70 and 150
lines and lists the ones over the limit given by `--list` (default 150), longest first.

How: a small lexer that skips comments, strings (including raw strings) and character
literals, and matches braces. It is a rough tool for a house rule ("no function outside
tests longer than ~150 lines"), not a parser: a `fn` inside a macro body is counted like
any other. Exit code 0 always, unless `--max N` is given and more than N functions exceed
150 lines (then 1), so CI may use it cheaply if it wants.

Usage: python3 ci/long_functions.py [--list 70] [--max 0] [ROOT]
"""

import os
import re
import sys

DIRS = ["sim", "models", "reports", "src"]
FN = re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")


def strip(text):
    """Returns `text` with comments, strings and char literals blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif ch == "r" and re.match(r'r#*"', text[i:i + 10]) and not (
            i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")
        ):
            m = re.match(r'r(#*)"', text[i:])
            close = '"' + m.group(1)
            j = text.find(close, i + len(m.group(0)))
            j = n if j < 0 else j + len(close)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif ch == "'":
            # A char literal ('a', '\n', '\u{1F600}') or a lifetime ('a): only blank literals.
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:i + 12])
            if m:
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
            else:
                out.append(ch)
                i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def test_ranges(clean):
    """Character ranges of `#[cfg(test)]` items (usually `mod tests { ... }`)."""
    ranges = []
    for m in re.finditer(r"#\[cfg\(test\)\]", clean):
        j = clean.find("{", m.end())
        semi = clean.find(";", m.end())
        if j < 0 or (0 <= semi < j):
            continue
        end = match_brace(clean, j)
        ranges.append((m.start(), end))
    return ranges


def match_brace(clean, open_at):
    depth = 0
    for k in range(open_at, len(clean)):
        if clean[k] == "{":
            depth += 1
        elif clean[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    return len(clean) - 1


def functions(path):
    with open(path, encoding="utf-8") as f:
        clean = strip(f.read())
    tests = test_ranges(clean)
    found = []
    for m in FN.finditer(clean):
        if any(a <= m.start() <= b for a, b in tests):
            continue
        # The body opens at the first `{` after the signature, unless a `;` comes first
        # (a trait method without a body).
        j = m.end()
        depth = 0
        body = None
        while j < len(clean):
            c = clean[j]
            if c in "(<[":
                depth += 1
            elif c in ")>]":
                depth = max(0, depth - 1)
            elif c == ";" and depth == 0:
                break
            elif c == "{" and depth == 0:
                body = j
                break
            j += 1
        if body is None:
            continue
        end = match_brace(clean, body)
        first = clean.count("\n", 0, m.start()) + 1
        last = clean.count("\n", 0, end) + 1
        found.append((last - first + 1, path, first, m.group(1)))
    return found


def main(argv):
    list_over, max_over_150, root = 150, None, "."
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--list":
            list_over = int(args.pop(0))
        elif a == "--max":
            max_over_150 = int(args.pop(0))
        else:
            root = a
    everything = []
    for d in DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, d)):
            dirnames[:] = sorted(x for x in dirnames if x not in ("tests", "target"))
            for name in sorted(filenames):
                if name.endswith(".rs") and name not in ("tests.rs", "testdata.rs"):
                    everything += functions(os.path.join(dirpath, name))
    everything.sort(key=lambda f: (-f[0], f[1], f[2]))
    over70 = [f for f in everything if f[0] > 70]
    over150 = [f for f in everything if f[0] > 150]
    for lines, path, line, name in everything:
        if lines > list_over:
            print(f"{lines:5}  {os.path.relpath(path, root)}:{line}  {name}")
    print(f"functions: {len(everything)}; over 70 lines: {len(over70)}; "
          f"over 150 lines: {len(over150)}")
    if max_over_150 is not None and len(over150) > max_over_150:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
