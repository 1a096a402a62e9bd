#!/usr/bin/env python3
"""code-map.py - where the code's dependencies circle, and which functions are long.

Usage: scripts/code-map.py [--top N] [--max-lines L] [--why] [--root DIR] [--check]

Prints
  (a) the import cycles among the files of src/: the strongly connected components (Tarjan) of
      the file dependency graph, where a file depends on
        - each internal header it #includes ("core/global.h", not <census/...> or system ones),
        - and a header depends on each .c file that defines a non-static function or variable the
          header declares (a header stands for the files that implement it; a prototype written
          in a .c file is an edge from that .c file to the definer likewise).
      A header implemented by one .c file alone is that file's interface: the two are one node (a
      module), so a file including its own header is no cycle. So "a.c includes b.h, b.h is
      implemented by b.c, b.c includes a.h, a.h is implemented by a.c" is one cycle of two modules
      {a.c a.h} {b.c b.h}. A header implemented by several files (or a prototype written in a .c
      file) stays a node of its own. Public headers (include/census/) are left out as includes
      (every file includes the umbrella header), but a call from one src/ file to a public
      function another src/ file defines (census_tag_map_new(), say) is an edge too, found by
      name in the source: the graph holds every dependency a call makes, whichever header
      declared it.
  (b) the largest functions in src/ and exporters/, in lines from the line naming the function
      to its closing brace, and every function of src/ or exporters/ longer than --max-lines
      (default 80) whose comment does not give a reason (a comment above it containing "Long:").
With --check, exits 1 when (b) lists a function over the limit without a reason.

Needs python3 and universal-ctags (Debian: universal-ctags; scripts/install-deps.sh test), which
finds declarations, definitions and where each function ends.
"""
import argparse
import json
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
CALL = re.compile(r'\b(census_[a-z0-9_]+)\s*\(')
REASONS = {}  # (from, to) -> why the edge exists, for --why
# Comments and string literals (messages name functions: "after census_shutdown()").
COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"', re.S)


def ctags(files):
    """Every tag of `files` as dicts (name, path, kind, line, end, file-scoped)."""
    out = subprocess.run(
        ["ctags", "--output-format=json", "--languages=C", "--language-force=C",
         "--kinds-C=+px", "--fields=+nKeZ", "-f", "-"] + files,
        check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def tarjan(nodes, edges):
    """Strongly connected components of the graph, each a sorted list (iterative Tarjan)."""
    index, low, on_stack, stack, sccs = {}, {}, set(), [], []
    counter = [0]
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                scc = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    scc.append(top)
                    if top == node:
                        break
                sccs.append(sorted(scc))
    return sccs


def source_files(root, top):
    found = []
    for directory, _, names in os.walk(os.path.join(root, top)):
        for name in names:
            if name.endswith((".c", ".h")):
                found.append(os.path.relpath(os.path.join(directory, name), root))
    return sorted(found)


def dependency_graph(root, files, tags):
    """(edges, module): edges[file] = the set of src/ files it depends on, module[file] = the
    file naming its node (a header implemented by one .c file alone maps to that file)."""
    present = set(files)
    edges = {f: set() for f in files}
    calls = {}
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8") as handle:
            text = handle.read()
        for target in INCLUDE.findall(text):
            for candidate in (os.path.join("src", target),
                              os.path.normpath(os.path.join(os.path.dirname(f), target))):
                if candidate in present and candidate != f:
                    edges[f].add(candidate)
                    REASONS.setdefault((f, candidate), f"#include \"{target}\"")
                    break
        calls[f] = set(CALL.findall(COMMENT.sub("", text)))
    definers = {}
    for t in tags:
        if t["path"].endswith(".c") and t["kind"] in ("function", "variable") and not t.get("file"):
            definers.setdefault(t["name"], set()).add(t["path"])
    for f, names in calls.items():
        for name in names:
            if not name.startswith("census__"):  # internal calls go through their headers
                for d in definers.get(name, ()):
                    if d != f:
                        edges[f].add(d)
                        REASONS.setdefault((f, d), f"calls {name}()")
    implementers = {}
    for t in tags:
        declared = t["kind"] == "prototype" or t["kind"] == "externvar"
        if declared:
            for definer in definers.get(t["name"], ()):
                if definer != t["path"]:
                    edges[t["path"]].add(definer)
                    REASONS.setdefault((t["path"], definer), f"declares {t['name']}")
                    implementers.setdefault(t["path"], set()).add(definer)
    module = {f: f for f in files}
    for header, by in implementers.items():
        if header.endswith(".h") and len(by) == 1:
            module[header] = next(iter(by))
    return edges, module


def cycles_report(root, why):
    files = source_files(root, "src")
    tags = ctags([os.path.join(root, f) for f in files])
    for t in tags:
        t["path"] = os.path.relpath(t["path"], root)
    edges, module = dependency_graph(root, files, tags)
    nodes = sorted(set(module.values()))
    node_edges = {n: set() for n in nodes}
    for f, targets in edges.items():
        for t in targets:
            if module[t] != module[f]:
                node_edges[module[f]].add(module[t])
    members = {n: sorted(f for f in files if module[f] == n) for n in nodes}
    sccs = [s for s in tarjan(nodes, node_edges) if len(s) > 1]
    sccs = [(len(s), sorted(f for n in s for f in members[n])) for s in sccs]
    sccs.sort(key=lambda s: (-len(s[1]), s[1]))
    print("== (a) import cycles among src/ files (strongly connected components)")
    if not sccs:
        print("none")
    for i, (modules, scc) in enumerate(sccs, 1):
        print(f"cycle {i}: {modules} modules, {len(scc)} files: {' '.join(scc)}")
        inside = set(scc)
        for f in scc if why else ():
            for t in sorted(edges[f]):
                if t in inside and module[t] != module[f]:
                    print(f"    {f} -> {t}: {REASONS.get((f, t), '?')}")
    print(f"total: {len(sccs)} cycles, {sum(m for m, _ in sccs)} modules and "
          f"{sum(len(s) for _, s in sccs)} files in cycles, largest "
          f"{max((len(s) for _, s in sccs), default=0)} files ({len(files)} files in src/)")


def comment_above(lines, line_number):
    """The comment block ending just above line `line_number` (1-based), as one string."""
    i = line_number - 2
    block = []
    while i >= 0 and lines[i].strip() and not lines[i].strip().endswith(("}", ";")):
        block.append(lines[i])
        i -= 1
        if block[-1].lstrip().startswith("/*"):
            break
    return "\n".join(reversed(block))


def functions_report(root, top, max_lines):
    files = source_files(root, "src") + source_files(root, "exporters")
    files = [f for f in files if f.endswith(".c")]
    tags = ctags([os.path.join(root, f) for f in files])
    rows, unexplained = [], []
    texts = {}
    for t in tags:
        if t["kind"] != "function" or "end" not in t:
            continue
        path = os.path.relpath(t["path"], root)
        length = t["end"] - t["line"] + 1
        rows.append((length, path, t["line"], t["name"]))
        if path.startswith(("src/", "exporters/")) and length > max_lines:
            if path not in texts:
                with open(os.path.join(root, path), encoding="utf-8") as handle:
                    texts[path] = handle.read().splitlines()
            if "Long:" not in comment_above(texts[path], t["line"]):
                unexplained.append((length, path, t["line"], t["name"]))
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    print(f"\n== (b) the {top} largest functions in src/ and exporters/ (lines)")
    for length, path, line, name in rows[:top]:
        print(f"{length:5d}  {path}:{line}  {name}")
    for prefix in ("src/", "exporters/"):
        over = [r for r in rows if r[1].startswith(prefix) and r[0] > max_lines]
        print(f"{prefix}: {len(over)} functions over {max_lines} lines")
    print(f"src/ and exporters/ functions over {max_lines} lines without a reason (\"Long:\" in "
          f"the comment above): {len(unexplained)}")
    for length, path, line, name in unexplained:
        print(f"{length:5d}  {path}:{line}  {name}")
    return unexplained


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=20, help="how many functions to list")
    parser.add_argument("--max-lines", type=int, default=80, help="the function length limit")
    parser.add_argument("--why", action="store_true",
                        help="list the edges inside each cycle, with what makes each")
    parser.add_argument("--root", help="the source tree (default: this script's repository)")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a function over the limit gives no reason")
    args = parser.parse_args()
    root = args.root or subprocess.run(["git", "rev-parse", "--show-toplevel"], check=True,
                                       capture_output=True, text=True,
                                       cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    cycles_report(root, args.why)
    unexplained = functions_report(root, args.top, args.max_lines)
    return 1 if args.check and unexplained else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # piped into head
        sys.exit(0)
