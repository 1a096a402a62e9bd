"""census.ext.otlp.stats_exporter: every aggregation as OTLP metrics, decoded by the receiver
with the official OpenTelemetry definitions; the exporter's counters agree with the receiver."""

import json

import support
from conftest import run_python

PROGRAM = r"""
import json, sys
import census
from census.ext.otlp import stats_exporter as otlp
from census.stats import stats as stats_module, measure, view, aggregation
from census.tags import TagMap

vm = stats_module.stats.view_manager
size = measure.MeasureInt("otlp_py/size", "Response size", "By")
latency = measure.MeasureFloat("otlp_py/latency", "Latency", "ms")
vm.register_view(view.View("otlp_py/count", "count", ["route"], size,
                           aggregation.CountAggregation()))
vm.register_view(view.View("otlp_py/bytes", "bytes", ["route"], size,
                           aggregation.SumAggregation()))
vm.register_view(view.View("otlp_py/last", "last", ["route"], latency,
                           aggregation.LastValueAggregation()))
vm.register_view(view.View("otlp_py/latency", "latency", ["route"], latency,
                           aggregation.DistributionAggregation([10, 100])))
exporter = otlp.new_stats_exporter(service_name="py-svc", hostname="host-a",
                                   endpoint=sys.argv[1], protocol=sys.argv[2])
vm.register_exporter(exporter)
for route, sizes, latencies in (("/a", [100, 2000], [5.0, 10.0]), ("/b", [7], [250.5])):
    tags = TagMap([("route", route)])
    for s, l in zip(sizes, latencies):
        mmap = stats_module.stats.stats_recorder.new_measurement_map()
        mmap.measure_int_put(size, s)
        mmap.measure_float_put(latency, l)
        mmap.record(tags)
census.flush(10)
print(json.dumps(exporter.stats()))
"""


def check(tmp_path, protocol):
    receiver = support.OtlpReceiver(str(tmp_path))
    try:
        proc = run_python(PROGRAM, args=[receiver.endpoint, protocol])
        requests = receiver.requests()
        points = receiver.metric_points()
    finally:
        receiver.close()
    stats = json.loads(proc.stdout.splitlines()[-1])["metrics"]
    resource = {a["key"]: a["value"].get("stringValue")
                for a in requests[0]["decoded"]["resourceMetrics"][0]["resource"]["attributes"]}
    assert resource["service.name"] == "py-svc" and resource["host.name"] == "host-a"
    assert requests[0]["encoding"] == protocol

    def point(name, route):
        return points[("otlp_py/" + name, (("route", route),))]
    assert point("count", "/a")["kind"] == "sum" and int(point("count", "/a")["asInt"]) == 2
    assert int(point("bytes", "/a")["asInt"]) == 2100 and int(point("bytes", "/b")["asInt"]) == 7
    assert point("last", "/b")["kind"] == "gauge" and point("last", "/b")["asDouble"] == 250.5
    hist = point("latency", "/a")
    assert hist["kind"] == "histogram" and int(hist["count"]) == 2 and hist["sum"] == 15.0
    assert [int(c) for c in hist["bucketCounts"]] == [2, 0, 0]
    assert hist["explicitBounds"] == [10, 100]
    # The flush waited for delivery: what the exporter counts delivered is what arrived.
    assert stats["requests_delivered"] >= 1 and stats["items_dropped"] == 0
    return stats


def test_otlp_protobuf(tmp_path):
    """OTLP/HTTP protobuf: counts, sums, gauges, histograms with their bounds and labels, and
    the resource (service name, host name), as the receiver decodes them."""
    check(tmp_path, "protobuf")


def test_otlp_json(tmp_path):
    """The same data over OTLP/JSON."""
    check(tmp_path, "json")
