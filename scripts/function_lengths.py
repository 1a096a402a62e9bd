#!/usr/bin/env python3
"""Lists the C functions longer than a limit, longest first, so that anyone can check the house
rule "no function over ~80 lines without a reason in its comment" (docs/design.md).

Usage: scripts/function_lengths.py [--max N] [--all] [PATH...]
  PATH     files or directories (searched for *.c); default: exporters src
  --max N  report functions of more than N lines (default 80)
  --all    list every function, not only those over the limit

A function is a top-level definition: a line that starts in column 0 and ends with '{' after a
parameter list (the tree is clang-formatted: every function body opens at the end of its
signature and closes with '}' in column 0). Its length counts the lines from the signature's
first line to the closing brace. A function whose comment (the block just above it) contains
"long on purpose:" (any case) is listed with its reason and does not count as a violation. The exit status
is 1 when a function over the limit has no such reason, 0 otherwise.
"""
import os
import re
import sys

SIGNATURE_END = re.compile(r"\)\s*(__attribute__\(\(.*\)\)\s*)?\{\s*$")
NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")
REASON = "long on purpose:"


def c_files(paths):
    for path in paths:
        if os.path.isfile(path):
            yield path
            continue
        for root, _, names in os.walk(path):
            for name in sorted(names):
                if name.endswith(".c"):
                    yield os.path.join(root, name)


def functions(path):
    """Yields (name, first line number, length, reason or None) for each function of `path`."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line and not line[0].isspace() and line[0] not in "#/*}" and "(" in line:
            # The signature may span lines: gather until '{' ends one, or ';' ends a declaration.
            end = i
            while end < len(lines) and not SIGNATURE_END.search(lines[end]):
                text = lines[end].rstrip()
                # A declaration, a one-line definition ("f(void) { return 1; }"), or a line that
                # is no continuation of a signature: not a multi-line function here.
                if text.endswith((";", "}")) or (end > i and (not text or text[0] not in " \t")):
                    end = None
                    break
                end += 1
            if end is not None and end < len(lines):
                close = end + 1
                while close < len(lines) and lines[close] != "}":
                    close += 1
                match = NAME.search(" ".join(lines[i:end + 1]).split("(")[0] + "(")
                name = match.group(1) if match else "?"
                comment_start = i - 1
                while comment_start >= 0 and lines[comment_start].startswith((" *", "/*")):
                    comment_start -= 1
                comment = " ".join(lines[comment_start + 1:i])
                reason = None
                at = comment.lower().find(REASON)
                if at >= 0:
                    reason = comment[at + len(REASON):].split("*/")[0].strip()
                    reason = re.sub(r"\s*\*\s*", " ", reason)
                yield name, i + 1, close - i + 1, reason
                i = close + 1
                continue
        i += 1


def main(argv):
    limit, show_all, paths = 80, False, []
    args = iter(argv)
    for a in args:
        if a == "--max":
            limit = int(next(args))
        elif a == "--all":
            show_all = True
        else:
            paths.append(a)
    found = []
    for path in c_files(paths or ["exporters", "src"]):
        for name, line, length, reason in functions(path):
            found.append((length, f"{path}:{line}", name, reason))
    found.sort(key=lambda f: (-f[0], f[1]))
    violations = 0
    for length, where, name, reason in found:
        if length <= limit and not show_all:
            continue
        note = ""
        if length > limit:
            if reason:
                note = f"  (long on purpose: {reason[:100]})"
            else:
                note = "  OVER THE LIMIT, no reason given"
                violations += 1
        print(f"{length:5d}  {name}  {where}{note}")
    print(f"{len(found)} functions, {violations} over {limit} lines without a reason", file=sys.stderr)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
