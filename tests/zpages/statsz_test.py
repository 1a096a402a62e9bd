#!/usr/bin/python3
"""statsz_test.py STATSZ_APP - statsz shows exponential histogram views as recorded.

Runs tests/zpages/statsz_app (VALUES below into a base-2 exponential view with max_size 8, one
row per route) and reads /zpages/statsz.json (strict json) and /zpages/statsz (html.parser).
Proves, with bucket indexes computed here from the OpenTelemetry data model's formula
(index = ceil(log2(v) * 2^scale) - 1, in exact rational arithmetic on the recorded doubles):
  - each row's count, zero count, min, max and sum are the recorded ones, and every non-zero
    value sits in the bucket the formula gives at the row's own scale; the rows' scales differ
    (the wide row had to lower its scale to fit 8 buckets, the narrow one did not);
  - the chart merges the rows at the lowest scale, coarsened until at most 40 bars, with the
    zeros first: chart_buckets equals the formula's counts at chart_scale, and the page draws
    that many bars, each titled with its bucket's upper bound (2^((i+1) * 2^-scale)) and count,
    its height in proportion to its count, the axis labelled with the largest count;
  - the view's total (the sparkline's quantity) is the count of values;
  - an explicit-bucket view of the same values ("latency_dist", BOUNDS) charts the rows' buckets
    summed, upper-inclusive (the values on a bound count in its bucket), each bar titled
    "<= bound: n" (the last "> bound: n") and as tall as its count.
Fails before the zPages knew exponential views: statsz showed them with no rows' buckets, no
chart, and "unknown" as the aggregation.
"""
import fractions
import html.parser
import json
import math
import subprocess
import sys
import urllib.request

VALUES = {"/narrow": [0, 1.5, 1.6, 1.7, 1.7], "/wide": [0.001, 1, 3, 1000, 1e6]}
BOUNDS = [1, 1.6, 1000]  # statsz_app's explicit-bucket view "latency_dist"


def index(value, scale):
    """The bucket of value at scale: the smallest i with value <= 2^((i+1)/2^scale), exactly."""
    v = fractions.Fraction(value)
    # A float estimate, then corrected with exact comparisons (v^(2^scale) against 2^(i+1) when
    # scale >= 0; v against 2^((i+1)*2^-scale) when scale < 0).
    i = math.ceil(math.log2(value) * 2.0**scale) - 1

    def within(i):  # value <= upper bound of bucket i
        if scale >= 0:
            return v ** (2**scale) <= fractions.Fraction(2) ** (i + 1)
        return v <= fractions.Fraction(2) ** ((i + 1) * 2 ** (-scale))

    while not within(i):
        i += 1
    while within(i - 1):
        i -= 1
    return i


class Chart(html.parser.HTMLParser):
    """The bars of one SVG chart: (title text, height) per <rect>, in order, and its <text>s."""

    def __init__(self):
        super().__init__()
        self.bars, self.texts, self._in = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "rect":
            self.bars.append(["", float(dict(attrs)["height"])])
        if tag in ("title", "text"):
            self._in = tag

    def handle_endtag(self, tag):
        self._in = None
        if tag == "rect":
            self.bars[-1] = tuple(self.bars[-1])

    def handle_data(self, data):
        if self._in == "title":
            self.bars[-1][0] += data
        elif self._in == "text":
            self.texts.append(data)


def check_bars(page, view_name, titles, counts):
    """The bar chart in view_name's section of the statsz page: one bar per count, in order,
    titled as `titles`, each as tall as its count over the largest (the chart's height for the
    largest), and the axis labelled with that largest count. Returns the section's HTML."""
    section = page[page.index(f"<h2>{view_name}</h2>") :]
    section = section[: section.index("</section>")]
    svg = section[section.index('<svg class="chart bars"') :]
    svg = svg[: svg.index("</svg>") + len("</svg>")]
    chart = Chart()
    chart.feed(svg)
    got = [title for title, _ in chart.bars]
    assert got == titles, (view_name, got, titles)
    tallest = max(height for _, height in chart.bars)
    assert tallest > 0, chart.bars
    for (title, height), count in zip(chart.bars, counts):
        assert math.isclose(height, tallest * count / max(counts), abs_tol=0.05), (title, height)
    assert f"max {max(counts)}" in chart.texts, (view_name, chart.texts)
    return section


def main():
    app = subprocess.Popen([sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = int(app.stdout.readline().split()[1])
        base = f"http://127.0.0.1:{port}/zpages"
        with urllib.request.urlopen(base + "/statsz.json", timeout=10) as r:
            doc = json.loads(r.read().decode(), strict=True)
        with urllib.request.urlopen(base + "/statsz", timeout=10) as r:
            page = r.read().decode()
    finally:
        app.stdin.close()
        app.wait(timeout=20)
    assert app.returncode == 0, app.returncode
    view = next(v for v in doc["views"] if v["name"] == "latency_exp")
    assert view["aggregation"] == "exponential", view["aggregation"]
    assert view["total"] == sum(len(v) for v in VALUES.values()), view["total"]
    rows = {row["tags"][0]: row for row in view["rows"]}
    assert set(rows) == set(VALUES), rows.keys()
    scales = {}
    for route, values in VALUES.items():
        row, e = rows[route], rows[route]["exponential"]
        nonzero = [v for v in values if v > 0]
        assert row["count"] == len(values), (route, row["count"])
        assert e["zero_count"] == values.count(0), (route, e)
        assert row["min"] == min(values) and row["max"] == max(values), (route, row)
        assert math.isclose(row["sum"], sum(values), rel_tol=1e-12), (route, row["sum"])
        expected = {}
        for v in nonzero:
            i = index(v, e["scale"])
            expected[i] = expected.get(i, 0) + 1
        got = {e["offset"] + k: c for k, c in enumerate(e["buckets"]) if c}
        assert got == expected, (route, e["scale"], got, expected)
        assert len(e["buckets"]) <= 8, (route, e)
        scales[route] = e["scale"]
    assert scales["/wide"] < scales["/narrow"], scales

    chart_scale = view["chart_scale"]
    assert chart_scale <= min(scales.values()), (chart_scale, scales)
    merged = {}
    for values in VALUES.values():
        for v in values:
            if v > 0:
                i = index(v, chart_scale)
                merged[i] = merged.get(i, 0) + 1
    lo, hi = min(merged), max(merged)
    zeros = sum(v.count(0) for v in VALUES.values())
    expected_chart = [zeros] + [merged.get(i, 0) for i in range(lo, hi + 1)]
    assert view["chart_buckets"] == expected_chart, (view["chart_buckets"], expected_chart)
    assert len(expected_chart) <= 41, expected_chart
    # The page draws one bar per chart bucket inside the view's section, in order: the zeros'
    # bar titled "= 0: n", then bucket i's titled "<= upper: n" with upper = 2^((i+1) * 2^-scale)
    # (printed as C's %g).
    section = check_bars(page, "latency_exp", [f"= 0: {zeros}"] + [
        "<= %g: %d" % (2.0 ** ((i + 1) * 2.0**-chart_scale), merged.get(i, 0))
        for i in range(lo, hi + 1)
    ], expected_chart)
    assert "exponential" in section and "scale " in section, "no exponential cells on the page"
    print("statsz exponential: rows", scales, "chart scale", chart_scale, "bars", expected_chart)

    # The explicit-bucket view: its chart sums the rows' buckets, upper-inclusive (bucket i holds
    # (BOUNDS[i-1], BOUNDS[i]], the last everything above), each bar titled with its bound.
    dist = next(v for v in doc["views"] if v["name"] == "latency_dist")
    assert dist["aggregation"] == "distribution", dist["aggregation"]
    counts = [0] * (len(BOUNDS) + 1)
    for values in VALUES.values():
        for v in values:
            counts[next((i for i, b in enumerate(BOUNDS) if v <= b), len(BOUNDS))] += 1
    assert dist["chart_buckets"] == counts, (dist["chart_buckets"], counts)
    check_bars(page, "latency_dist", ["<= %g: %d" % (b, c) for b, c in zip(BOUNDS, counts)]
               + ["> %g: %d" % (BOUNDS[-1], counts[-1])], counts)
    print("statsz distribution: bars", counts)


if __name__ == "__main__":
    main()
