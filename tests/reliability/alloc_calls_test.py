#!/usr/bin/python3
"""Fails if census's core or an exporter allocates around the allocator hook.

Proves: every allocation in src/ and exporters/ goes through the wrappers of src/core/alloc.h
(census__malloc, census__calloc, census__realloc, census__free, census__strdup, census__strndup,
census__asprintf), so census_allocator_replace() sees all of census's memory and no block is ever
freed by an allocator that did not make it. It looks at code only (comments and strings are
skipped) for:
  - a call of malloc, calloc, realloc, free, strdup, strndup, asprintf, vasprintf, reallocarray,
    aligned_alloc, posix_memalign, memalign, valloc, getline, getdelim, open_memstream, realpath,
    or one of the first four passed as a value (", free)");
  - MHD_RESPMEM_MUST_FREE (libmicrohttpd would free census's block with the C library's free()).
Only src/core/alloc.c and src/core/alloc.h may use the C library's allocator. Before the hook
(main before issue 19's allocator work) this found 587 bare calls in 60 files; it runs first on a
sample with one bare call of each kind to show that it can fail.
Usage: alloc_calls_test.py <repository root>
"""
import os
import re
import sys

ALLOWED = {os.path.join("src", "core", "alloc.c"), os.path.join("src", "core", "alloc.h")}
CALLS = ("malloc", "calloc", "realloc", "free", "strdup", "strndup", "asprintf", "vasprintf",
         "reallocarray", "aligned_alloc", "posix_memalign", "memalign", "valloc", "getline",
         "getdelim", "open_memstream", "realpath")
CALL = re.compile(r"(?<![\w.>])(" + "|".join(CALLS) + r")\s*\(")
VALUE = re.compile(r"[,(=]\s*(malloc|calloc|realloc|free)\s*[,);]")
MUST_FREE = re.compile(r"\bMHD_RESPMEM_MUST_FREE\b")


def code_only(text):
    """text with comments, string and character literals blanked (line breaks kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif text[i] in "\"'":
            quote, j = text[i], i + 1
            while j < n and text[j] != quote:
                j += 2 if text[j] == "\\" else 1
            j += 1
        elif text.startswith("#include", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        else:
            out.append(text[i])
            i += 1
            continue
        out.append("".join(c if c == "\n" else " " for c in text[i:j]))
        i = j
    return "".join(out)


def findings(name, text):
    """(file:line: what) for each bare allocation in one file's text."""
    found = []
    for number, line in enumerate(code_only(text).split("\n"), 1):
        for pattern, what in ((CALL, "call of {}()"), (VALUE, "{} passed as a function"),
                              (MUST_FREE, "{} (freed with the C library's free())")):
            for m in pattern.finditer(line):
                found.append("%s:%d: %s" % (name, number, what.format(m.group(1) if m.groups()
                                                                        else m.group(0))))
    return found


def self_test():
    """The checker finds each kind of bare allocation in a sample, and nothing in the wrappers'
    uses, comments or strings."""
    bad = ("p = malloc(4); q = calloc(1, 2); r = realloc(p, 8); free(q);\n"
           "s = strdup(t); u = strndup(t, 3); asprintf(&v, \"x\");\n"
           "list_free(l, free);\n"
           "MHD_create_response_from_buffer(n, b, MHD_RESPMEM_MUST_FREE);\n")
    good = ("p = census__malloc(4); census__free(p); x->free(p); s.free(p);\n"
            "/* free(p) and malloc(3) in a comment */ // realloc(p, 2)\n"
            "census__diag(0, \"could not malloc(%zu)\", n); census_tag_map_free(m);\n")
    got = findings("bad.c", bad)
    if len(got) != 9:
        sys.exit("self-test: expected 9 findings in the bad sample, got %d: %s" % (len(got), got))
    got = findings("good.c", good)
    if got:
        sys.exit("self-test: expected nothing in the good sample, got %s" % got)


def main():
    self_test()
    root = sys.argv[1]
    found, files = [], 0
    for top in ("src", "exporters"):
        for directory, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(directory, name)
                relative = os.path.relpath(path, root)
                if relative in ALLOWED:
                    continue
                files += 1
                with open(path, encoding="utf-8") as f:
                    found += findings(relative, f.read())
    for line in found:
        print(line)
    if found:
        print("%d allocation(s) bypass census's allocator hook: use census__malloc, "
              "census__calloc, census__realloc, census__free, census__strdup, census__strndup "
              "or census__asprintf (src/core/alloc.h)" % len(found))
        return 1
    print("%d files checked: every allocation goes through src/core/alloc.h" % files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
