"""census.ext.prometheus.stats_exporter: opencensus-ext-prometheus's Options/new_stats_exporter
on census's C endpoint, checked by promtool, prometheus_client's strict OpenMetrics parser and
the real Prometheus server scraping it."""

import subprocess
import sys
import textwrap

import pytest

import support

APP = textwrap.dedent(r"""
    import sys
    from census.ext.prometheus import stats_exporter as prometheus
    from census.stats import stats as stats_module, measure, view, aggregation
    from census.tags import TagMap

    vm = stats_module.stats.view_manager
    requests = measure.MeasureInt("requests", "Requests", "1")
    latency = measure.MeasureFloat("latency", "Latency", "ms")
    vm.register_view(view.View("requests_count", "Requests by method", ["method"], requests,
                               aggregation.CountAggregation()))
    vm.register_view(view.View("request_bytes", "Bytes", ["method"], requests,
                               aggregation.SumAggregation()))
    vm.register_view(view.View("latency_dist", "Latency", ["method"], latency,
                               aggregation.DistributionAggregation([1, 5, 10])))
    vm.register_view(view.View("latency_last", "Latency", [], latency,
                               aggregation.LastValueAggregation()))
    exporter = prometheus.new_stats_exporter(prometheus.Options(
        namespace="app", port=int(sys.argv[1]), address="127.0.0.1"))
    vm.register_exporter(exporter)
    mmap = stats_module.stats.stats_recorder.new_measurement_map()
    for method, values in (("GET", [0.5, 1, 5, 7]), ("POST", [12])):
        tags = TagMap([("method", method)])
        for v in values:
            mmap.measure_int_put(requests, 3)
            mmap.measure_float_put(latency, v)
            mmap.record(tags)
    print(exporter.port, flush=True)
    sys.stdin.read()          # serve until the test closes stdin
""")


@pytest.fixture
def app(tmp_path):
    port = support.free_port()
    proc = subprocess.Popen([sys.executable, "-c", APP, str(port)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        pytest.fail("app did not start: " + proc.stderr.read())
    assert int(line) == port
    yield port
    proc.stdin.close()
    proc.wait(10)


def test_exposition_valid_for_promtool_and_strict_parser(app, tmp_path):
    """The text format passes `promtool check metrics`; the OpenMetrics format (negotiated by
    Accept) passes prometheus_client's strict parser; names carry the namespace."""
    base = "http://127.0.0.1:%d/metrics" % app
    status, ctype, text = support.http_get(base)
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4")
    ok, output = support.promtool_check(text)
    assert ok, output
    assert 'app_requests_count_total{method="GET"} 4' in text
    status, ctype, om = support.http_get(base, "application/openmetrics-text; version=1.0.0")
    assert ctype.startswith("application/openmetrics-text")
    ok, output = support.strict_openmetrics_parse(om, str(tmp_path))
    assert ok, output


def test_real_prometheus_scrapes_the_recorded_values(app, tmp_path):
    """Prometheus itself scrapes the endpoint; PromQL gives back exactly what was recorded:
    counts, sums, histogram buckets (upper-inclusive: 1 and 5 fall in le=1 and le=5)."""
    prom = support.Prometheus(str(tmp_path), "127.0.0.1:%d" % app)
    try:
        prom.wait_for('up{job="census"} == 1')
        got = dict((r[0]["method"], r[1])
                   for r in prom.wait_for("app_requests_count_total"))
        assert got == {"GET": 4, "POST": 1}
        sums = dict((r[0]["method"], r[1]) for r in prom.query("app_request_bytes_total"))
        assert sums == {"GET": 12, "POST": 3}
        buckets = dict((r[0]["le"], r[1]) for r in
                       prom.query('app_latency_dist_milliseconds_bucket{method="GET"}'))
        assert buckets == {"1.0": 2, "5.0": 3, "10.0": 4, "+Inf": 4}
        total = prom.query('app_latency_dist_milliseconds_sum{method="GET"}')
        assert total[0][1] == 13.5
        assert prom.query("app_latency_last_milliseconds")[0][1] == 12
    finally:
        prom.close()
