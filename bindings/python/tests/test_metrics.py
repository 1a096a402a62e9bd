"""census.metrics and the stats-to-metrics conversion (opencensus-python's metrics model):
values and their checks, each aggregation's to_point(), View.get_metric_descriptor(),
stats.get_metrics(), and metrics.transport.get_exporter_thread on census's export worker
(errors counted without stopping it, a final export at exit and on cancel())."""

import datetime
import json

import pytest

from census.metrics import label_key
from census.metrics.export import metric, metric_descriptor, point, time_series, value
from census.stats import aggregation, measure, metric_utils, view
from census.stats import stats as stats_module
from census.tags import TagMap
from conftest import run_python

MDT = metric_descriptor.MetricDescriptorType
stats = stats_module.stats


def test_values_refuse_what_opencensus_refuses():
    """ValueDistribution, Explicit, MetricDescriptor, TimeSeries and Metric raise ValueError
    for the inconsistent inputs opencensus-python refuses (bounds <= 0 are census's P5)."""
    options = value.BucketOptions(value.Explicit([1, 2]))
    with pytest.raises(ValueError):
        value.ValueDistribution(-1, 0, 0, options, [value.Bucket(0)] * 3)
    with pytest.raises(ValueError):
        value.ValueDistribution(0, 1, 0, options, [value.Bucket(0)] * 3)
    with pytest.raises(ValueError):   # 2 buckets for 2 bounds
        value.ValueDistribution(1, 1, 0, options, [value.Bucket(1), value.Bucket(0)])
    with pytest.raises(ValueError):   # counts add up to 2, not 1
        value.ValueDistribution(1, 1, 0, options, [value.Bucket(1)] * 2 + [value.Bucket(0)])
    with pytest.raises(ValueError):
        value.ValueDistribution(1, 1, 0, value.BucketOptions(), [value.Bucket(1)])
    with pytest.raises(ValueError):
        value.Explicit([2, 1])
    assert value.Explicit([-1.0, 0.0, 1.0]).bounds == [-1.0, 0.0, 1.0]
    with pytest.raises(ValueError):
        metric_descriptor.MetricDescriptor("n", "d", "1", 99, [])
    with pytest.raises(ValueError):
        metric_descriptor.MetricDescriptor("n", "d", "1", MDT.GAUGE_INT64, [None])
    with pytest.raises(ValueError):
        time_series.TimeSeries([], [], None)
    md = metric_descriptor.MetricDescriptor("n", "d", "1", MDT.CUMULATIVE_INT64, [])
    now = datetime.datetime(2026, 1, 2, 3, 4, 5)
    with pytest.raises(ValueError):   # a double point in an int64 metric
        metric.Metric(md, [time_series.TimeSeries([], [point.Point(value.ValueDouble(1.5),
                                                                   now)], "t")])
    assert 4 in MDT and 8 not in MDT and MDT.to_type_class(MDT.SUMMARY) is value.ValueSummary


def test_views_become_metrics_exactly():
    """Each aggregation's rows become the Metric opencensus-python makes: descriptor from the
    view (name, description, unit, type, a LabelKey per column), a series per row with its
    label values, cumulative series starting at the view's start time and gauges without one,
    and the values recorded (a distribution's count, exact sum, sum of squared deviations,
    bounds and bucket counts; no histogram without bounds)."""
    i = measure.MeasureInt("metrics_test/i", "ints", "By")
    f = measure.MeasureFloat("metrics_test/f", "floats", "ms")
    views = {
        "metrics_test/count": view.View("metrics_test/count", "c", ["k"], f,
                                        aggregation.CountAggregation()),
        "metrics_test/isum": view.View("metrics_test/isum", "s", ["k"], i,
                                       aggregation.SumAggregation()),
        "metrics_test/flast": view.View("metrics_test/flast", "l", [], f,
                                        aggregation.LastValueAggregation()),
        "metrics_test/idist": view.View("metrics_test/idist", "d", ["k", "j"], i,
                                        aggregation.DistributionAggregation([10, 100])),
        "metrics_test/nobounds": view.View("metrics_test/nobounds", "n", [], f,
                                           aggregation.DistributionAggregation()),
    }
    for v in views.values():
        stats.view_manager.register_view(v)
    mm = stats.stats_recorder.new_measurement_map()
    for n in (3, 30, 300, 7):
        mm.measure_int_put(i, n)
        mm.measure_float_put(f, n / 4)
        mm.record(TagMap([("k", "a" if n < 100 else "b")]))
    got = {m.descriptor.name: m for m in stats.get_metrics()
           if m.descriptor.name.startswith("metrics_test/")}
    assert sorted(got) == sorted(views)
    for name, m in got.items():
        v, d = views[name], m.descriptor
        assert d is v.get_metric_descriptor()
        expected = (v.description, v.measure.unit, v.aggregation.get_metric_type(v.measure))
        assert (d.description, d.unit, d.type) == expected
        assert [(k.key, k.description) for k in d.label_keys] == [(c, "") for c in v.columns]
        assert all(isinstance(k, label_key.LabelKey) for k in d.label_keys)
        start = stats.view_manager.get_view(name).start_time
        for ts in m.time_series:
            assert ts.start_timestamp == (None if name == "metrics_test/flast" else start)
            assert len(ts.points) == 1 and isinstance(ts.points[0].timestamp,
                                                      datetime.datetime)

    def series(name):
        return {tuple(lv.value for lv in ts.label_values): ts.points[0].value
                for ts in got[name].time_series}
    counts = series("metrics_test/count")
    assert {k: (type(v), v.value) for k, v in counts.items()} == {
        ("a",): (value.ValueLong, 3), ("b",): (value.ValueLong, 1)}
    sums = series("metrics_test/isum")
    assert {k: (type(v), v.value) for k, v in sums.items()} == {
        ("a",): (value.ValueLong, 40), ("b",): (value.ValueLong, 300)}
    last = series("metrics_test/flast")
    assert {k: (type(v), v.value) for k, v in last.items()} == {(): (value.ValueDouble, 1.75)}
    dist = series("metrics_test/idist")
    assert sorted(dist) == [("a", ""), ("b", "")]
    a = dist[("a", "")]
    assert (a.count, a.sum, a.bucket_options.type_.bounds) == (3, 40, [10.0, 100.0])
    assert [b.count for b in a.buckets] == [2, 1, 0]
    assert all(b.exemplar is None for b in a.buckets)
    mean = 40 / 3
    assert a.sum_of_squared_deviation == pytest.approx(sum((x - mean) ** 2 for x in (3, 30, 7)))
    nob = series("metrics_test/nobounds")[()]
    assert nob.bucket_options.type_ is None and nob.buckets is None and nob.count == 4
    # The conversion itself, on a ViewData: None for a view without rows.
    stats.view_manager.register_view(view.View("metrics_test/empty", "e", [], i,
                                               aggregation.CountAggregation()))
    empty = stats.view_manager.get_view("metrics_test/empty")
    assert metric_utils.view_data_to_metric(empty, datetime.datetime.utcnow()) is None


PROGRAM = r"""
import json, sys
import census
from census.metrics import transport
from census.metrics.export.metric_producer import MetricProducer
from census.stats import stats as stats_module, measure, view, aggregation
from census.tags import TagMap

out = open(sys.argv[1], "a")
class Exporter(object):
    calls = 0
    def export_metrics(self, metrics):
        Exporter.calls += 1
        if Exporter.calls == 1:
            raise RuntimeError("first export fails")
        names = {}
        for m in metrics:
            if m.descriptor.name.startswith(("tr/", "own/")):
                names[m.descriptor.name] = sum(ts.points[0].value.value for ts in m.time_series)
        print(json.dumps({"call": Exporter.calls, "metrics": names}), file=out, flush=True)

class Own(MetricProducer):
    def get_metrics(self):
        return []

stats = stats_module.stats
m = measure.MeasureInt("tr/m", "m", "1")
stats.view_manager.register_view(view.View("tr/sum", "s", [], m, aggregation.SumAggregation()))
task = transport.get_exporter_thread([stats, Own()], Exporter(), interval=3600)
bound = m.bind(TagMap())
bound.record(5)
try:
    census.flush(10)  # call 1: raises, reported and counted; flush says an exporter failed
    print(json.dumps({"flush_1": "ok"}), file=out, flush=True)
except census.ExportError as e:
    print(json.dumps({"flush_1": type(e).__name__}), file=out, flush=True)
bound.record(6)
census.flush(10)     # call 2: 11
dropped = stats.view_manager.get_view("census/exporter_dropped_items")
print(json.dumps({"dropped": {"|".join(k): d.sum_data for k, d in
                              dropped.tag_value_aggregation_data_map.items()}}), file=out,
      flush=True)
bound.record(100)
if sys.argv[2] == "cancel":
    task.cancel()    # call 3: a final export with 111, then no more
    bound.record(1000)
    census.flush(10)
# exit: with "exit", census's atexit hook makes call 3 with 111
"""


@pytest.mark.parametrize("ending", ["exit", "cancel"])
def test_transport_counts_errors_and_exports_at_the_end(tmp_path, ending):
    """get_exporter_thread's exporter is called through census's export path (here census's
    flush, at cancel() and at exit) with the producers' Metrics; its first exception is
    reported on stderr and counted in census/exporter_dropped_items under the exporter's name,
    census.flush() raises ExportError for it, and the next export goes on; what was recorded
    after the last flush reaches it at interpreter exit (opencensus-python's daemon thread
    loses it, P1) or at cancel(), after which it is not called again."""
    out = tmp_path / "out.jsonl"
    proc = run_python(PROGRAM, args=(str(out), ending))
    assert "first export fails" in proc.stderr and "Exporter (metrics)" in proc.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    exports = [e for e in lines if "call" in e]
    assert [(e["call"], e["metrics"]) for e in exports] == [(2, {"tr/sum": 11}),
                                                            (3, {"tr/sum": 111})]
    assert [e["flush_1"] for e in lines if "flush_1" in e] == ["ExportError"]
    dropped = [e["dropped"] for e in lines if "dropped" in e][0]
    assert any("python Exporter (metrics)" in key and value >= 1
               for key, value in dropped.items()), dropped
