#!/usr/bin/env python3
"""exp_index_check.py TOOL - census's exponential histogram bucket indexes against an independent
computation written from OpenTelemetry's definition (data-model.md, "Exponential Buckets"): at
scale s the base is 2^(2^-s) and bucket `index` holds (base^index, base^(index+1)], so
index(x) = ceil(log2(x) * 2^s) - 1. Here log2 is evaluated exactly enough to decide every case:
Python's decimal at 60 digits, and an exact power of two (where the ceiling is exact) is taken
from its exponent, as the specification asks. Values, at every scale from -10 to 20: powers of
two and their neighbours (nextafter up and down), the doubles nearest to bucket boundaries
2^(k/2^s) and their neighbours (the cases a log()-based mapping gets wrong), subnormals, the
smallest and largest doubles, and a few thousand pseudo-random doubles over the whole range.
Fails on main: there are no exponential histograms there (exp_index_tool does not build).
"""
import math
import random
import struct
import subprocess
import sys
from decimal import Decimal, getcontext

getcontext().prec = 60
LN2 = Decimal(2).ln()


def expected(x, scale):
    m, e = math.frexp(x)  # x = m * 2^e, m in [0.5, 1)
    if m == 0.5:  # an exact power of two, 2^(e-1): the upper end of its bucket
        return ((e - 1) << scale) - 1 if scale >= 0 else ((e - 2) >> -scale)
    if scale <= 0:
        return (e - 1) >> -scale
    t = Decimal(x).ln() / LN2 * (1 << scale)
    return math.ceil(t) - 1


def nextafter(x, up):
    b = struct.unpack("<q", struct.pack("<d", x))[0]
    return struct.unpack("<d", struct.pack("<q", b + (1 if up else -1)))[0]


def values(scale, rng):
    out = [5e-324, 2.2250738585072014e-308, 1e-310, 1.0, 1.5, 2.0, 3.0, 1.7976931348623157e308,
           0.001, 100.0, 1e6]
    for e in (-1074, -1022, -500, -10, -1, 0, 1, 7, 100, 1023):
        p = math.ldexp(1.0, e)
        out += [p] + ([nextafter(p, True)] if e < 1023 else []) + [nextafter(p, False)]
    if scale > 0:
        n = 1 << scale
        for k in sorted(set([1, 2, 3, n // 2, n - 1] + [rng.randrange(1, n) for _ in range(40)])):
            if 0 < k < n:
                b = float((LN2 * k / n).exp())  # the double nearest to boundary 2^(k/2^s)
                for v in (b, nextafter(b, True), nextafter(b, False)):
                    out += [v, math.ldexp(v, rng.randrange(-1000, 1000))]
    for _ in range(150):
        out.append(math.ldexp(rng.uniform(1.0, 2.0), rng.randrange(-1070, 1020)))
    return [v for v in out if v > 0 and math.isfinite(v)]


def main():
    tool = sys.argv[1]
    rng = random.Random(16)
    cases = [(s, v) for s in range(-10, 21) for v in values(s, rng)]
    text = "".join("%d %s\n" % (s, v.hex()) for s, v in cases)
    got = subprocess.run([tool], input=text, capture_output=True, text=True, check=True).stdout.split()
    failures = 0
    for (s, v), g in zip(cases, got):
        want = expected(v, s)
        if int(g) != want:
            failures += 1
            if failures <= 20:
                print("FAIL: scale %d value %r (%s): census %s, expected %d" % (s, v, v.hex(), g, want))
    if len(got) != len(cases):
        print("FAIL: %d answers for %d cases" % (len(got), len(cases)))
        failures += 1
    print("%d cases at scales -10..20, %d failed" % (len(cases), failures))
    sys.exit(1 if failures else 0)


main()
