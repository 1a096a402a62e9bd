"""The compatibility test: the examples (the talk's walk-through to Cloud Monitoring and to
Prometheus) and typical opencensus-python stats programs run unchanged under opencensus 0.11.4
from PyPI and, with the import prefix changed, under census (tests/compat/runner.py); what they
export is compared field by field. Every difference found must be one that docs/python.md's
table lists: each is asserted here under the row number it has there (``allowed(n)`` checks the
row exists), and anything else fails the comparison.
"""

import json
import math
import os
import re
import subprocess
import sys

import pytest

import support
from conftest import PACKAGE_DIR, REPO

RUNNER = os.path.join(PACKAGE_DIR, "tests", "compat", "runner.py")
PROGRAMS = os.path.join(PACKAGE_DIR, "tests", "compat", "programs")
EXAMPLES = os.path.join(PACKAGE_DIR, "examples")

with open(os.path.join(REPO, "docs", "python.md")) as _f:
    DOC_ROWS = set(re.findall(r"(?m)^\| (P\d+) \|", _f.read()))


def allowed(row):
    """The difference `row` (e.g. "P3") is listed in docs/python.md's differences table."""
    assert row in DOC_ROWS, "difference %s is not in docs/python.md's table" % row
    return True


def run(library, program, outdir, env=None):
    """Runs `program` under `library` with the runner; returns (outdir, completed process)."""
    full_env = dict(os.environ, **(env or {}))
    proc = subprocess.run([sys.executable, RUNNER, library, program, str(outdir)], env=full_env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return outdir, proc


def load(path):
    with open(path) as f:
        return json.load(f)


def close(a, b, rel=1e-9):
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


def compare_rows(oc_rows, census_rows):
    """Compares one view's rows field by field; returns the difference rows used."""
    used = set()
    oc_keys = {}
    for key in oc_rows:
        if "\0" in key.split("|"):
            # An absent tag: None in opencensus-python's key, "" in census's.
            used.add("P3")
        oc_keys[key.replace("\0", "")] = key
    assert sorted(oc_keys) == sorted(census_rows)
    for key, census_data in census_rows.items():
        oc_data = oc_rows[oc_keys[key]]
        assert oc_data["type"] == census_data["type"]
        for field in ("count_data", "counts_per_bucket", "value"):
            if field in oc_data:
                assert oc_data[field] == census_data[field], (key, field)
        if "bounds" in oc_data:
            assert [float(b) for b in oc_data["bounds"]] == census_data["bounds"]
        if "sum_data" in oc_data:
            if isinstance(oc_data["sum_data"], float) and oc_data["sum_data"] != \
                    census_data["sum_data"]:
                # Float sums rounded per collection, not per value.
                assert close(oc_data["sum_data"], census_data["sum_data"], 1e-12)
                used.add("P11")
            else:
                assert oc_data["sum_data"] == census_data["sum_data"]
        if "mean_data" in oc_data:
            for field in ("mean_data", "sum_of_sqd_deviations"):
                assert close(oc_data[field], census_data[field]), (key, field)
            if oc_data["sum"] != census_data["sum"]:
                # A distribution's sum: mean x count in opencensus-python, exact in census.
                assert close(oc_data["sum"], census_data["sum"], 1e-12)
                used.add("P10")
    return used


def test_typical_program_views_and_exporter(tmp_path):
    """tags_and_views.py (measurement maps, explicit and current tags, all aggregations, an
    exporter of its own): get_view() data and what the program's exporter last received agree
    field by field; the differences are P2 (when the exporter is called), P3, P10, P11."""
    program = os.path.join(PROGRAMS, "tags_and_views.py")
    oc, _ = run("opencensus", program, tmp_path / "oc")
    cs, _ = run("census", program, tmp_path / "census")
    oc_views, census_views = load(oc / "views.json"), load(cs / "views.json")
    assert sorted(oc_views) == sorted(census_views) and len(oc_views) == 6
    used = set()
    for name in oc_views:
        used |= compare_rows(oc_views[name], census_views[name])
    assert "P3" in used
    oc_last, census_last = load(oc / "exporter_last.json"), load(cs / "exporter_last.json")
    # opencensus-python pushes inside record(); census's exporter got the same totals from the
    # flush the runner made (P2).
    # census's exporter also gets census's own views (census/...): P2.
    extra = [name for name in census_last if name.startswith("census/")]
    assert extra and allowed("P2")
    census_last = {k: v for k, v in census_last.items() if k not in extra}
    assert sorted(oc_last) == sorted(census_last)
    for name in oc_last:
        used |= compare_rows(oc_last[name], census_last[name])
    for row in used:
        assert allowed(row)


def prometheus_samples(body, namespace):
    """{(family, sample name, sorted labels): value} of a text exposition, via prometheus_client's
    parser (Debian's), for the families of `namespace`."""
    from prometheus_client.parser import text_string_to_metric_families
    out = {}
    for family in text_string_to_metric_families(body):
        if not family.name.startswith(namespace + "_"):
            continue
        for s in family.samples:
            out[(family.name, s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_walkthrough_to_prometheus(tmp_path):
    """examples/walkthrough_prometheus.py: both serve the same series and values; differences:
    census's names carry the unit (P24: _milliseconds), le label text (P24), only census's
    views are served (P23: no process_/python_ collectors), float sums in the last bits
    (P10/P11)."""
    program = os.path.join(EXAMPLES, "walkthrough_prometheus.py")
    oc, _ = run("opencensus", program, tmp_path / "oc", {"PORT": str(support.free_port())})
    cs, _ = run("census", program, tmp_path / "cs", {"PORT": str(support.free_port())})
    oc_scrape, census_scrape = load(oc / "prom.json"), load(cs / "prom.json")
    assert oc_scrape["status"] == census_scrape["status"] == 200
    assert "process_cpu_seconds_total" in oc_scrape["body"] and allowed("P23")
    assert "process_cpu_seconds_total" not in census_scrape["body"]
    oc_samples = prometheus_samples(oc_scrape["body"], "oc_python")
    census_samples = prometheus_samples(census_scrape["body"], "oc_python")

    def census_key(family, sample, labels):
        if family == "oc_python_latency_distribution":
            assert allowed("P24")
            family += "_milliseconds"
            sample = sample.replace("oc_python_latency_distribution",
                                    "oc_python_latency_distribution_milliseconds")
            labels = tuple((k, "%g" % float(v) if k == "le" and v != "+Inf" else v)
                           for k, v in labels)
        return family, sample, labels
    # 3 methods x (7 buckets, _sum, _count) of the distribution, 3 counters.
    assert len(oc_samples) == len(census_samples) == 3 * 9 + 3
    for key, value in oc_samples.items():
        got = census_samples[census_key(*key)]
        if key[1].endswith("_sum"):
            assert close(value, got, 1e-12) and allowed("P10")
        else:
            assert value == got, key


def test_prometheus_sum_and_gauge_views(tmp_path):
    """prometheus_sum_gauge.py: the PyPI release of opencensus-ext-prometheus fails every scrape
    once a Sum or LastValue view has data (P25); census serves both, a Sum as a counter with the
    unit suffix (P24)."""
    program = os.path.join(PROGRAMS, "prometheus_sum_gauge.py")
    oc, _ = run("opencensus", program, tmp_path / "oc", {"PORT": str(support.free_port())})
    cs, _ = run("census", program, tmp_path / "cs", {"PORT": str(support.free_port())})
    assert load(oc / "prom.json")["status"] == 500 and allowed("P25")
    census_scrape = load(cs / "prom.json")
    assert census_scrape["status"] == 200
    samples = prometheus_samples(census_scrape["body"], "app")
    assert samples[("app_bytes_in_bytes", "app_bytes_in_bytes_total", (("host", "a"),))] == 42
    assert samples[("app_temperature_now_celsius", "app_temperature_now_celsius",
                    (("host", "a"),))] == 12.5


def test_walkthrough_to_cloud_monitoring(tmp_path):
    """examples/walkthrough_stackdriver.py: the requests opencensus-ext-stackdriver builds (its
    own code, through a recording client) and the bodies census sent to the Google fake agree
    field by field: descriptor (type, display name, kind, value type, unit, description, label
    keys) and every series (type, labels, resource, count, bounds with the 0 prepended, bucket
    counts, mean, sum of squared deviations). Differences: the opencensus_task value (P17), the
    mean in its last bits (P10), and census's descriptor labels carry descriptions (P20)."""
    google = support.FakeGoogle(str(tmp_path))
    try:
        oc, _ = run("opencensus", os.path.join(EXAMPLES, "walkthrough_stackdriver.py"),
                    tmp_path / "oc", {"GOOGLE_CLOUD_PROJECT": "test-project"})
        run("census", os.path.join(EXAMPLES, "walkthrough_stackdriver.py"), tmp_path / "cs",
            {"GOOGLE_CLOUD_PROJECT": "test-project", "CENSUS_TEST_GOOGLE_ENDPOINT":
             google.endpoint, "CENSUS_TEST_TOKEN": google.TOKEN})
        state = google.state()
        logged = google.logged()
    finally:
        google.close()
    assert state["violations"] == []
    oc_requests = load(oc / "oc_google.json")

    def descriptors(entries):
        return {e["body"]["type"]: e["body"] for e in entries if e["kind"] == "metricDescriptor"
                and "task_latency" in e["body"]["type"]}

    def series(entries):
        out = {}
        for e in entries:
            if e["kind"] != "timeSeries":
                continue
            for ts in e["body"]["timeSeries"]:
                if "task_latency" in ts["metric"]["type"]:
                    out[(ts["metric"]["type"], ts["metric"]["labels"]["method"])] = ts
        return out
    oc_desc, census_desc = descriptors(oc_requests), descriptors(logged)
    assert sorted(oc_desc) == sorted(census_desc) == [
        "custom.googleapis.com/opencensus/task_latency_distribution"]
    for metric_type, d in oc_desc.items():
        c = census_desc[metric_type]
        for field in ("type", "displayName", "metricKind", "valueType", "unit", "description"):
            assert d[field] == c[field], field
        oc_labels = {label["key"]: label.get("description") for label in d["labels"]}
        census_labels = {label["key"]: label.get("description") for label in c["labels"]}
        # census declares the otel_metric_overflow label its overflow row uses (P20).
        assert census_labels.pop("otel_metric_overflow", None) is not None and allowed("P20")
        assert sorted(oc_labels) == sorted(census_labels)
        if oc_labels != census_labels:
            assert allowed("P20")

    oc_series, census_series = series(oc_requests), series(logged)
    assert sorted(oc_series) == sorted(census_series) and len(oc_series) == 2
    for key, o in oc_series.items():
        c = census_series[key]
        o_labels, c_labels = dict(o["metric"]["labels"]), dict(c["metric"]["labels"])
        assert re.fullmatch(r"py-\d+@.+", o_labels.pop("opencensus_task"))
        assert re.fullmatch(r"c-\d+@.+", c_labels.pop("opencensus_task")) and allowed("P17")
        assert o_labels == c_labels
        assert o["resource"]["type"] == c["resource"]["type"] == "global"
        assert o["resource"].get("labels", {}) == {}
        if c["resource"].get("labels", {}) != {}:
            assert allowed("P20")
        od = o["points"][0]["value"]["distributionValue"]
        cd = c["points"][0]["value"]["distributionValue"]
        assert int(od["count"]) == int(cd["count"])
        assert od["bucketOptions"] == cd["bucketOptions"]
        assert [int(n) for n in od["bucketCounts"]] == [int(n) for n in cd["bucketCounts"]]
        assert close(od["sumOfSquaredDeviation"], cd["sumOfSquaredDeviation"])
        if od["mean"] != cd["mean"]:
            assert close(od["mean"], cd["mean"], 1e-12) and allowed("P10")


def test_metrics_model_get_metrics_and_a_metrics_exporter(tmp_path):
    """metrics_model.py (stats.get_metrics() and a metrics exporter of its own driven by
    metrics.transport.get_exporter_thread): the Metrics agree field by field under both
    libraries, from get_metrics() and from what the exporter received: descriptor (description,
    unit, type, label keys), series keys, point value classes, start times (present for
    cumulative metrics, absent for gauges), values, and distributions (count, sum, sum of
    squared deviations, bounds, bucket counts). Differences: an absent tag's label value (P3),
    a float distribution's sum in its last bits (P10/P11), census's own views among what the
    exporter gets (P27)."""
    program = os.path.join(PROGRAMS, "metrics_model.py")
    oc, _ = run("opencensus", program, tmp_path / "oc")
    cs, _ = run("census", program, tmp_path / "cs")
    oc_m, census_m = load(oc / "metrics.json"), load(cs / "metrics.json")
    census_only = [n for n in census_m["exporter_names"] if n not in oc_m["exporter_names"]]
    assert all(n.startswith("census/") for n in census_only)
    if census_only:
        assert allowed("P27")
    used = set()
    for source in ("get_metrics", "exporter"):
        oc_metrics, census_metrics = oc_m[source], census_m[source]
        assert sorted(oc_metrics) == sorted(census_metrics) and len(oc_metrics) == 7, source
        for name, o in oc_metrics.items():
            c = census_metrics[name]
            assert o["descriptor"] == c["descriptor"], name
            keys = {}
            for key in o["series"]:
                if "\0" in key:
                    used.add("P3")
                keys[key.replace("\0", "")] = key
            assert sorted(keys) == sorted(c["series"]), name
            for key, cp in c["series"].items():
                op = dict(o["series"][keys[key]])
                cp = dict(cp)
                for field in ("sum", "sum_of_squared_deviation"):
                    if field in op and op[field] != cp[field]:
                        assert close(op[field], cp[field], 1e-12), (name, key, field)
                        used.add("P10")
                        op[field] = cp[field]
                if cp["value_class"] == "ValueDouble" and op["value"] != cp["value"]:
                    assert close(op["value"], cp["value"], 1e-12), (name, key)
                    used.add("P11")
                    op["value"] = cp["value"]
                assert op == cp, (name, key)
    assert "P3" in used
    for row in used:
        assert allowed(row)


@pytest.mark.parametrize("row", ["P1", "P4", "P5", "P6", "P7", "P8", "P9", "P12", "P13",
                                 "P14", "P15", "P16", "P18", "P19", "P21", "P22", "P26", "P27"])
def test_every_documented_row_exists(row):
    """The rows the other tests of the suite prove (exit flush P1: test_lifecycle; buckets P4,
    bounds P5, refusals P6/P7, conflicts P8: test_view_manager, test_measure,
    test_measurement_map; ...) are in the table too."""
    assert allowed(row)
