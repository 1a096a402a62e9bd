#!/usr/bin/python3
"""check_exponential_gm.py <values.json> <state.json> <metric prefix> - the distributions
fake_google.js accepted for monitoring_exp_app's exponential views, against what this script
computes from the recorded values, independently of census:

- by OpenTelemetry's definition, at scale s bucket i holds (2^(i/2^s), 2^((i+1)/2^s)], so a value
  x > 0 has index ceil(log2(x) * 2^s) - 1, an exact power of two 2^e being the upper end of
  bucket e * 2^s - 1 (log2 evaluated with Python's decimal at 50 digits: exact enough to decide);
  the scale is the highest <= 20 at which the positive values span at most min(max_size, 197)
  indexes (197 finite buckets + underflow + overflow = Cloud Monitoring's 200);
- exponentialBuckets (Cloud Monitoring: finite bucket i, 1 <= i <= N, is
  [scale * growthFactor^(i-1), scale * growthFactor^i)): growthFactor = 2^(2^-s), scale =
  growthFactor^offset (offset the lowest index), N = the indexes spanned, bucketCounts = [zeros,
  the counts by index, 0];
- explicitBuckets (expected where base^offset is not a normal double): bounds strictly
  increasing from 0, and each count the number of values in [bound k-1, bound k) as Cloud
  Monitoring places them (no value of the test lies on a bound but 0);
- count, mean, range as recorded.
"""
import json
import math
import sys
from decimal import Decimal, getcontext

getcontext().prec = 50
LN2 = Decimal(2).ln()


def index(x, s):
    m, e = math.frexp(x)  # x = m * 2^e, m in [0.5, 1)
    if m == 0.5:
        return ((e - 1) << s) - 1 if s >= 0 else ((e - 2) >> -s)
    if s <= 0:
        return (e - 1) >> -s
    return math.ceil(Decimal(x).ln() / LN2 * (1 << s)) - 1


def main():
    values = json.load(open(sys.argv[1]))
    state = json.load(open(sys.argv[2]))
    prefix = sys.argv[3]
    failures = []
    dists = {}
    for key, value in state["lastValues"].items():
        metric = key.split("{")[0]
        if metric.startswith(prefix):
            dists[metric[len(prefix):]] = value["distributionValue"]
    for view, spec in values.items():
        vals = spec["values"]
        d = dists.get(view)
        if d is None:
            failures.append("%s: no point accepted" % view)
            continue
        pos = [x for x in vals if x > 0]
        zeros = len(vals) - len(pos)
        limit = min(spec["max_size"], 197)
        s = 20
        while pos and s > -10:
            idx = [index(x, s) for x in pos]
            if max(idx) - min(idx) + 1 <= limit:
                break
            s -= 1
        got_counts = [int(c) for c in d["bucketCounts"]]
        if int(d["count"]) != len(vals):
            failures.append("%s: count %s, want %d" % (view, d["count"], len(vals)))
        mean = sum(vals) / len(vals)
        if not math.isclose(d.get("mean", 0), mean, rel_tol=1e-12):
            failures.append("%s: mean %r, want %r" % (view, d.get("mean"), mean))
        if d["range"] != {"min": min(vals), "max": max(vals)}:
            failures.append("%s: range %r" % (view, d["range"]))
        opts = d["bucketOptions"]
        lowest_ok = False
        if pos:
            idx = [index(x, s) for x in pos]
            lo, hi = min(idx), max(idx)
            lowest = Decimal(2) ** (Decimal(lo) * Decimal(2) ** -s)
            highest = Decimal(2) ** (Decimal(hi + 1) * Decimal(2) ** -s)
            lowest_ok = Decimal("2.2250738585072014e-308") <= lowest and highest < Decimal("1.7976931348623157e308")
        if lowest_ok:
            if "exponentialBuckets" not in opts:
                failures.append("%s: want exponentialBuckets, got %r" % (view, opts))
                continue
            ex = opts["exponentialBuckets"]
            base = float(Decimal(2) ** (Decimal(2) ** -s))
            want = [zeros] + [idx.count(i) for i in range(lo, hi + 1)] + [0]
            if ex["numFiniteBuckets"] != hi - lo + 1:
                failures.append("%s: numFiniteBuckets %r, want %d" % (view, ex["numFiniteBuckets"], hi - lo + 1))
            if not math.isclose(ex["growthFactor"], base, rel_tol=1e-15):
                failures.append("%s: growthFactor %r, want %r (scale %d)" % (view, ex["growthFactor"], base, s))
            if not math.isclose(ex["scale"], float(lowest), rel_tol=1e-14):
                failures.append("%s: scale %r, want %r" % (view, ex["scale"], float(lowest)))
            if got_counts != want:
                failures.append("%s: bucketCounts %r, want %r" % (view, got_counts, want))
        else:
            if "explicitBuckets" not in opts:
                failures.append("%s: want explicitBuckets, got %r" % (view, opts))
                continue
            b = opts["explicitBuckets"]["bounds"]
            if b[0] != 0 or any(not (b[k] > b[k - 1]) for k in range(1, len(b))) or len(b) > 199:
                failures.append("%s: bounds %r" % (view, b))
            want = [0] * (len(b) + 1)
            for x in vals:
                want[sum(1 for bound in b if x >= bound)] += 1
            if got_counts != want:
                failures.append("%s: bucketCounts %r, want %r" % (view, got_counts, want))
        print("%s: scale %d, %s" % (view, s, "exponential" if lowest_ok else "explicit"))
    for f in failures:
        print("FAIL: " + f)
    sys.exit(1 if failures else 0)


main()
