#!/usr/bin/python3
"""check_exemplars_openmetrics.py DIR - otlp_exemplar_app's Prometheus exposition, checked with
Debian's python3-prometheus-client strict OpenMetrics parser (an implementation independent of
census): DIR/openmetrics.txt must parse, and the latency histogram's +Inf bucket sample must carry
the slow request's exemplar (trace_id and span_id of its span, its value, a timestamp), the first
bucket the last fast request's, the two buckets whose requests were not in a sampled span none;
the Sum view's counter carries one exemplar from a sampled span; the view registered while the
filter was always_off carries none. DIR/text.txt (text 0.0.4, which has no exemplars) must contain
no exemplar. Run with /usr/bin/python3.
"""
import json
import math
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def main(d):
    expect = json.load(open(d + "/expect.json"))
    with open(d + "/openmetrics.txt", "rb") as f:
        text = f.read().decode("utf-8")
    families = {fam.name: fam for fam in text_string_to_metric_families(text)}
    failures = []

    def eq(got, want, what):
        if got != want:
            failures.append("%s: got %r, want %r" % (what, got, want))

    lat = [f for n, f in families.items() if "latency" in n]
    plain = [f for n, f in families.items() if "plain" in n]
    reqs = [f for n, f in families.items() if "requests" in n]
    eq((len(lat), len(plain), len(reqs)), (1, 1, 1), "families found")
    buckets = {s.labels["le"]: s for s in lat[0].samples if s.name.endswith("_bucket")}
    inf = buckets.get("+Inf")
    ex = inf.exemplar if inf else None
    eq(ex and ex.labels, {"trace_id": expect["slow"]["trace_id"], "span_id": expect["slow"]["span_id"]},
       "+Inf bucket exemplar labels (the slow request's span)")
    # The value is in the family's unit: 2500 ms, or 2.5 when census scales to seconds.
    scale = 1000.0 if lat[0].name.endswith("_seconds") else 1.0
    eq(ex and ex.value, 2500 / scale, "+Inf bucket exemplar value")
    if not ex or ex.timestamp is None or abs(float(ex.timestamp) - __import__("time").time()) > 600:
        failures.append("+Inf exemplar timestamp missing or not now: %r" % (ex and ex.timestamp))
    bounds = sorted((float(le), le) for le in buckets if le != "+Inf")
    first, second, third = (le for _, le in bounds)
    fx = buckets[first].exemplar
    eq(fx and fx.labels.get("span_id"), expect["fast"][2]["span_id"], "first bucket: the last fast span")
    eq(fx and fx.value, 5 / scale, "first bucket exemplar value")
    eq(buckets[second].exemplar, None, "bucket of the unsampled span's request: no exemplar")
    eq(buckets[third].exemplar, None, "bucket of the request outside any span: no exemplar")
    total = [s for s in reqs[0].samples if s.name.endswith("_total")]
    sampled = [f["span_id"] for f in expect["fast"]] + [expect["slow"]["span_id"]]
    tex = total[0].exemplar if total else None
    if not tex or tex.labels.get("span_id") not in sampled or tex.value != 1:
        failures.append("counter exemplar: %r, want one of %r with value 1" % (tex, sampled))
    for s in plain[0].samples:
        eq(s.exemplar, None, "always_off view sample %s" % s.name)
    with open(d + "/text.txt") as f:
        classic = f.read()
    if " # {" in classic:
        failures.append("text 0.0.4 carries an exemplar")
    if "_bucket" not in classic:
        failures.append("text 0.0.4 has no histogram")
    for f in failures:
        print("FAIL: " + f, file=sys.stderr)
    if failures:
        return 1
    print("check_exemplars_openmetrics: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
