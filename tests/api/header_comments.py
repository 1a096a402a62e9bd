#!/usr/bin/python3
"""Checks that every public function's header comment states threading, ownership and errors.

For each CENSUS_EXPORT function declared in include/census/*.h and include/census/exporters/*.h,
the comment that documents it must say:
  - threading: "thread" (thread-safe, one thread at a time, the calling thread) or
    "async-signal";
  - errors: a CENSUS_E* code it returns, or what it gives on bad input or failure ("NULL",
    "never fails", "no error", "0 for", "false for", "does nothing", "no-op", "unknown",
    "never");
  - ownership, for a function that takes or returns a pointer: "borrowed", "copied", "copy",
    "static", "owned", "caller", "free", "no-op", "plain value", "keeps no state", "allocat",
    "valid until", "valid as long", "belongs to", "lives", "handle", "only read",
    "read during", "compared".
A declaration's comment is the one nearest above it in its paragraph (no blank line between),
plus the paragraph's opening comment, which may cover every declaration of the paragraph. A
comment that refers to another function ("As census_x()", "as for census_x()") takes from that
function's comment what it does not say itself.
The words are a floor, not a proof: a reviewer still reads what the comment says. They catch the
common failure, a new function with no word on one of the three.
Fails on main (before issue 12's header pass): 79 of 170 functions lacked one of the three.
Prints each gap as file:line: function: missing ...; exits 1 if there is any.
Usage: header_comments.py <include dir>
"""
import os
import re
import sys

THREAD = re.compile(r"thread|async-signal", re.I)
ERRORS = re.compile(
    r"CENSUS_E[A-Z]+|\bNULL\b|never fails|no error|cannot fail|\b0 for\b|false for|does nothing|"
    r"no-op|unknown|\bnever\b", re.I)
OWNERSHIP = re.compile(
    r"borrow|copied|\bcop(y|ies)\b|static|owned|\bowns?\b|caller|free|no-op|plain value|"
    r"keeps no state|allocat|valid until|valid as long|belongs? to|lives?\b|handle|only read|"
    r"read during|compared", re.I)
REFERENCE = re.compile(r"\b[Aa]s (?:for )?(census_[a-z0-9_]+)\(\)")
DECL = re.compile(r"CENSUS_EXPORT\b(.*?)\b(census_[a-z0-9_]+)\s*\(", re.S)


def declarations(text):
    """Yields (line number, name, signature, comment) for each CENSUS_EXPORT function.

    A declaration's comment is the comment block nearest above it in the same paragraph (lines
    without a blank one between), plus the paragraph's first comment when that is another one: a
    paragraph may open with a comment that covers every declaration in it, each of which may
    have a comment of its own."""
    lines = text.split("\n")
    i = 0
    nearest = ""
    opening = None  # the paragraph's first comment, None before any line of the paragraph
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped:
            nearest = ""
            opening = None
            i += 1
            continue
        if stripped.startswith("/*"):
            block = [lines[i]]
            while "*/" not in lines[i]:
                i += 1
                block.append(lines[i])
            nearest = "\n".join(block)
            if opening is None:
                opening = nearest
            i += 1
            continue
        if opening is None:
            opening = ""
        if stripped.startswith("CENSUS_EXPORT"):
            start = i
            decl = [lines[i]]
            while ";" not in lines[i]:
                i += 1
                decl.append(lines[i])
            signature = " ".join(decl)
            m = DECL.search(signature)
            if m:
                comment = nearest if nearest == opening else opening + "\n" + nearest
                yield start + 1, m.group(2), signature, comment.strip()
        i += 1


def main():
    root = sys.argv[1]
    headers = []
    for sub in ("census", os.path.join("census", "exporters")):
        d = os.path.join(root, sub)
        headers += sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".h"))
    found = []
    comments = {}
    for path in headers:
        with open(path) as f:
            text = f.read()
        for line, name, signature, comment in declarations(text):
            found.append((path, line, name, signature, comment))
            comments[name] = comment
    gaps = 0
    count = len(found)
    for path, line, name, signature, comment in found:
        # A comment that points to another function ("As census_x()", "as for census_x()",
        # "Same ... rules as census_x()") takes from it what it does not say itself.
        text = comment
        for ref in REFERENCE.findall(comment):
            text += "\n" + comments.get(ref, "")
        missing = []
        if not comment:
            missing.append("a comment")
        else:
            if not THREAD.search(text):
                missing.append("threading")
            if not ERRORS.search(text):
                missing.append("errors")
            if "*" in signature and not OWNERSHIP.search(text):
                missing.append("ownership")
        if missing:
            gaps += 1
            print(f"{os.path.relpath(path, root)}:{line}: {name}: missing {', '.join(missing)}")
    if count < 100:
        print(f"only {count} public functions found under {root}: wrong directory?")
        return 1
    print(f"header_comments: {count} public functions, {gaps} with gaps")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
