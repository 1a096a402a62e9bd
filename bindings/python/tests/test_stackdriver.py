"""census.ext.stackdriver.stats_exporter: opencensus-ext-stackdriver's Options and
new_stats_exporter on census's Cloud Monitoring exporter, against the loopback Google fake
(which enforces Cloud Monitoring's rules); every request body checked by Google's proto3-JSON
parser with the API's own definitions."""

import json
import re

import pytest

import support
from conftest import run_python

PROGRAM = r"""
import json, sys
import census
from census.ext.stackdriver import stats_exporter as stackdriver
from census.stats import stats as stats_module, measure, view, aggregation
from census.tags import TagMap

endpoint, token, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
vm = stats_module.stats.view_manager
latency = measure.MeasureFloat("sd_py/latency", "The latency", "ms")
lines = measure.MeasureInt("sd_py/lines", "Lines", "1")
vm.register_view(view.View("sd_py_latency", "Latency", ["method"], latency,
                           aggregation.DistributionAggregation([25, 100, 200])))
vm.register_view(view.View("sd_py_lines", "Lines", ["method"], lines,
                           aggregation.SumAggregation()))
exporter = stackdriver.new_stats_exporter(stackdriver.Options(
    project_id="test-project", metric_prefix=prefix, resource="global",
    monitoring_endpoint=endpoint, access_token=token, min_write_interval=0.01))
vm.register_exporter(exporter)
for method, values in (("GET", [10.0, 50.0, 100.0]), ("PUT", [300.0])):
    tags = TagMap([("method", method)])
    for v in values:
        mmap = stats_module.stats.stats_recorder.new_measurement_map()
        mmap.measure_float_put(latency, v)
        mmap.measure_int_put(lines, 2)
        mmap.record(tags)
census.flush(10)
print(json.dumps(exporter.stats()))
"""


@pytest.mark.parametrize("prefix,metric_type,display", [
    ("", "custom.googleapis.com/opencensus/", "OpenCensus/"),
    ("custom.googleapis.com/myapp", "custom.googleapis.com/myapp/", "custom.googleapis.com/myapp/"),
])
def test_cloud_monitoring_bodies_names_and_values(tmp_path, prefix, metric_type, display):
    """Metric types and display names follow opencensus-ext-stackdriver (prefix or defaults);
    labels are the view's columns plus opencensus_task (c-<pid>@<host>); every body is a valid
    CreateTimeSeriesRequest / MetricDescriptor; the fake saw no rule broken; the points hold what
    was recorded (a 0 bound prepended to the distribution's bounds, as Cloud Monitoring wants)."""
    google = support.FakeGoogle(str(tmp_path))
    try:
        proc = run_python(PROGRAM, args=[google.endpoint, google.TOKEN, prefix])
        state = google.state()
        logged = google.logged()
    finally:
        google.close()
    assert state["violations"] == []
    stats = json.loads(proc.stdout.splitlines()[-1])
    series_bodies = [e["body"] for e in logged if e["kind"] == "timeSeries"]
    descriptors = [e["body"] for e in logged if e["kind"] == "metricDescriptor"]
    ok, message = support.check_proto_json("google.monitoring.v3.CreateTimeSeriesRequest",
                                           series_bodies)
    assert ok, message
    ok, message = support.check_proto_json("google.api.MetricDescriptor", descriptors)
    assert ok, message
    names = {d["type"]: d["displayName"] for d in descriptors if "sd_py" in d["type"]}
    assert names == {metric_type + "sd_py_latency": display + "sd_py_latency",
                     metric_type + "sd_py_lines": display + "sd_py_lines"}

    last = {}
    for body in series_bodies:
        for series in body["timeSeries"]:
            if "sd_py" in series["metric"]["type"]:
                labels = series["metric"]["labels"]
                assert re.fullmatch(r"c-\d+@.+", labels.pop("opencensus_task"))
                assert series["resource"]["type"] == "global"
                last[(series["metric"]["type"], labels["method"])] = series["points"][0]["value"]
    dist = last[(metric_type + "sd_py_latency", "GET")]["distributionValue"]
    assert int(dist["count"]) == 3 and dist["mean"] == pytest.approx(160.0 / 3)
    assert dist["bucketOptions"]["explicitBuckets"]["bounds"] == [0, 25, 100, 200]
    assert [int(c) for c in dist["bucketCounts"]] == [0, 1, 2, 0, 0]
    assert int(last[(metric_type + "sd_py_lines", "GET")]["int64Value"]) == 6
    assert int(last[(metric_type + "sd_py_lines", "PUT")]["int64Value"]) == 2
    assert stats["points_dropped"] == 0 and stats["points_delivered"] >= 4


def test_blank_project_and_unsupported_labels_refused():
    """A blank project_id raises ValueError (as opencensus-ext-stackdriver); monitoring labels
    census cannot send are refused with a message saying what it supports."""
    from census.ext.stackdriver import stats_exporter as stackdriver
    from census.metrics.label_key import LabelKey
    from census.metrics.label_value import LabelValue
    with pytest.raises(ValueError):
        stackdriver.new_stats_exporter(stackdriver.Options(project_id=" "))
    options = stackdriver.Options(project_id="p", default_monitoring_labels={
        LabelKey("env", "d"): LabelValue("prod")})
    with pytest.raises(ValueError, match="opencensus_task"):
        stackdriver._c_options(options)
    with pytest.raises(TypeError):
        stackdriver.Options(default_monitoring_labels={"k": "v"})
