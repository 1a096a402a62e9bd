"""bench_stats.py [OUT.json]: census's Python recording costs beside prometheus_client (Debian's
0.16), opencensus-python 0.11.4 and opentelemetry-sdk (pinned from PyPI), in one run of one
interpreter (Debian's /usr/bin/python3 in `make bench`, scripts/bench-python.sh).

Each figure is ns per operation: the best of REPEATS runs of a loop of N operations (the loop's
own cost included, as a user's loop has it), next to an empty Python call measured the same way.
Also: the cost with 1000 series in the view (census must not grow; opencensus-python deep-copies
its view data on each record) and 4 Python threads recording through one bound measure (the
counts must add up exactly). Prints a table and writes the figures as JSON.
"""

import json
import platform
import sys
import threading
import time

REPEATS = 5


def best_ns(fn, n, repeats=REPEATS):
    """Best ns/op of fn(n) (a function running n operations) over `repeats` runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter_ns()
        fn(n)
        best = min(best, (time.perf_counter_ns() - start) / n)
    return best


def empty_call(n):
    def f(x):
        pass
    for _ in range(n):
        f(1)


def census_benches(results):
    import census
    from census.stats import aggregation, measure, view
    from census.stats import stats as stats_module
    from census.tags import TagMap
    vm = stats_module.stats.view_manager
    recorder = stats_module.stats.stats_recorder
    requests = measure.MeasureInt("bench/requests", "requests", "1")
    latency = measure.MeasureFloat("bench/latency", "latency", "ms")
    wide = measure.MeasureInt("bench/wide", "many series", "1")
    vm.register_view(view.View("bench/requests", "c", ["method", "route"], requests,
                               aggregation.CountAggregation()))
    vm.register_view(view.View("bench/latency", "d", ["method", "route"], latency,
                               aggregation.DistributionAggregation([1, 5, 10, 50, 100, 500])))
    vm.register_view(view.View("bench/wide", "c", ["method", "route"], wide,
                               aggregation.CountAggregation()))
    tags = TagMap([("method", "GET"), ("route", "/users")])
    mmap = recorder.new_measurement_map()

    def map_put_record(n):
        for _ in range(n):
            mmap.measure_int_put(requests, 1)
            mmap.record(tags)

    def new_map_put_record(n):
        for _ in range(n):
            m = recorder.new_measurement_map()
            m.measure_int_put(requests, 1)
            m.record(tags)

    dist_map = recorder.new_measurement_map()

    def map_put_record_distribution(n):
        for _ in range(n):
            dist_map.measure_float_put(latency, 12.5)
            dist_map.record(tags)
    bound_count = requests.bind(tags)
    bound_dist = latency.bind(tags)

    def bound_counter(n):
        record = bound_count.record
        for _ in range(n):
            record(1)

    def bound_distribution(n):
        record = bound_dist.record
        for _ in range(n):
            record(12.5)
    results["census_map_put_record_2tags"] = best_ns(map_put_record, 200000)
    results["census_new_map_put_record_2tags"] = best_ns(new_map_put_record, 200000)
    results["census_map_put_record_distribution_2tags"] = best_ns(map_put_record_distribution,
                                                                  200000)
    results["census_bound_record_counter"] = best_ns(bound_counter, 500000)
    results["census_bound_record_distribution"] = best_ns(bound_distribution, 500000)

    # Independence from the number of series: the same loop (same indexing) recording into
    # one row (one tag map: the thread's 64-entry cache of recent (tag map, view) cells hits),
    # into 100 rows and into 1000 rows (both past that cache: the thread's cell table is
    # searched, a hash lookup whose cost must not grow from 100 to 1000 series).
    many = [TagMap([("method", "GET"), ("route", "/r%d" % i)]) for i in range(1000)]
    same = [many[0]] * 1000
    hundred = many[:100] * 10
    wide_map = recorder.new_measurement_map()
    wide_map.measure_int_put(wide, 1)

    def cycle(tag_maps):
        def run(n):
            for i in range(n):
                wide_map.record(tag_maps[i % 1000])
        return run
    one_series, hundred_series, thousand_series = cycle(same), cycle(hundred), cycle(many)
    results["census_map_record_1_series"] = best_ns(one_series, 200000)
    results["census_map_record_100_series"] = best_ns(hundred_series, 200000)
    results["census_map_record_1000_series"] = best_ns(thousand_series, 200000)

    # 4 Python threads through one bound measure: no lost counts.
    threads_m = measure.MeasureInt("bench/threads", "t", "1")
    vm.register_view(view.View("bench/threads", "c", [], threads_m,
                               aggregation.CountAggregation()))
    bound = threads_m.bind(TagMap())
    per_thread = 250000

    def worker():
        record = bound.record
        for _ in range(per_thread):
            record(1)

    def empty_worker():
        def record(x):
            pass
        for _ in range(per_thread):
            record(1)

    def four_threads(target):
        workers = [threading.Thread(target=target) for _ in range(4)]
        start = time.perf_counter_ns()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return (time.perf_counter_ns() - start) / (4 * per_thread)
    results["empty_call_4_threads_ns_per_op"] = four_threads(empty_worker)
    results["census_4_threads_ns_per_op"] = four_threads(worker)
    got = vm.get_view("bench/threads").tag_value_aggregation_data_map[()].count_data
    results["census_4_threads_counts"] = {"expected": 4 * per_thread, "got": got}
    assert got == 4 * per_thread, "lost counts: %d of %d" % (got, 4 * per_thread)
    results["census_version"] = census.version()


def prometheus_client_benches(results):
    import prometheus_client
    registry = prometheus_client.CollectorRegistry()
    counter = prometheus_client.Counter("bench_requests", "r", ["method", "route"],
                                        registry=registry)
    histogram = prometheus_client.Histogram("bench_latency", "l", ["method", "route"],
                                            registry=registry,
                                            buckets=[1, 5, 10, 50, 100, 500])
    bound_c = counter.labels("GET", "/users")
    bound_h = histogram.labels("GET", "/users")

    def labels_inc(n):
        for _ in range(n):
            counter.labels("GET", "/users").inc()

    def bound_inc(n):
        for _ in range(n):
            bound_c.inc()

    def labels_observe(n):
        for _ in range(n):
            histogram.labels("GET", "/users").observe(12.5)

    def bound_observe(n):
        for _ in range(n):
            bound_h.observe(12.5)
    results["prometheus_client_labels_inc"] = best_ns(labels_inc, 200000)
    results["prometheus_client_bound_inc"] = best_ns(bound_inc, 500000)
    results["prometheus_client_labels_observe"] = best_ns(labels_observe, 200000)
    results["prometheus_client_bound_observe"] = best_ns(bound_observe, 200000)
    results["prometheus_client_version"] = getattr(prometheus_client, "__version__", "0.16")


def opencensus_benches(results):
    from opencensus.stats import aggregation, measure, view
    from opencensus.stats import stats as stats_module
    from opencensus.tags import TagMap
    vm = stats_module.stats.view_manager
    recorder = stats_module.stats.stats_recorder
    requests = measure.MeasureInt("ocbench/requests", "r", "1")
    latency = measure.MeasureFloat("ocbench/latency", "l", "ms")
    wide = measure.MeasureInt("ocbench/wide", "w", "1")
    vm.register_view(view.View("ocbench/requests", "c", ["method", "route"], requests,
                               aggregation.CountAggregation()))
    vm.register_view(view.View("ocbench/latency", "d", ["method", "route"], latency,
                               aggregation.DistributionAggregation([1, 5, 10, 50, 100, 500])))
    vm.register_view(view.View("ocbench/wide", "c", ["method", "route"], wide,
                               aggregation.CountAggregation()))
    tags = TagMap()
    tags.insert("method", "GET")
    tags.insert("route", "/users")

    def put_record(n):
        for _ in range(n):
            m = recorder.new_measurement_map()
            m.measure_int_put(requests, 1)
            m.record(tags)

    def put_record_distribution(n):
        for _ in range(n):
            m = recorder.new_measurement_map()
            m.measure_float_put(latency, 12.5)
            m.record(tags)
    results["opencensus_put_record_2tags"] = best_ns(put_record, 20000, 3)
    results["opencensus_put_record_distribution_2tags"] = best_ns(put_record_distribution,
                                                                  20000, 3)
    many = []
    for i in range(1000):
        t = TagMap()
        t.insert("method", "GET")
        t.insert("route", "/r%d" % i)
        many.append(t)
    m = recorder.new_measurement_map()
    m.measure_int_put(wide, 1)
    for t in many:
        m.record(t)

    def thousand_series(n):
        for i in range(n):
            m.record(many[i % 1000])
    results["opencensus_record_1000_series"] = best_ns(thousand_series, 50, 3)


def opentelemetry_benches(results):
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("bench")
    counter = meter.create_counter("requests")
    histogram = meter.create_histogram("latency")
    attributes = {"method": "GET", "route": "/users"}

    def add(n):
        for _ in range(n):
            counter.add(1, attributes)

    def record(n):
        for _ in range(n):
            histogram.record(12.5, attributes)
    results["opentelemetry_counter_add_2attrs"] = best_ns(add, 100000)
    results["opentelemetry_histogram_record_2attrs"] = best_ns(record, 100000)
    import opentelemetry.sdk.version as v
    results["opentelemetry_sdk_version"] = v.__version__


ROWS = [
    ("empty Python call", "empty_python_call", None),
    ("census: measurement map put + record, 2 tags", "census_map_put_record_2tags", 400),
    ("census: new map + put + record, 2 tags", "census_new_map_put_record_2tags", None),
    ("census: map put + record, distribution", "census_map_put_record_distribution_2tags",
     None),
    ("census: bound record, counter", "census_bound_record_counter", 120),
    ("census: bound record, distribution", "census_bound_record_distribution", 150),
    ("census: map record, 1 series (same loop)", "census_map_record_1_series", None),
    ("census: map record, 100 series cycling", "census_map_record_100_series", None),
    ("census: map record, 1000 series cycling", "census_map_record_1000_series", None),
    ("empty Python call, 4 threads (per op: the GIL's cost)", "empty_call_4_threads_ns_per_op",
     None),
    ("census: bound record, 4 threads (per op)", "census_4_threads_ns_per_op", None),
    ("prometheus_client: labels(...).inc()", "prometheus_client_labels_inc", None),
    ("prometheus_client: bound inc()", "prometheus_client_bound_inc", None),
    ("prometheus_client: labels(...).observe()", "prometheus_client_labels_observe", None),
    ("prometheus_client: bound observe()", "prometheus_client_bound_observe", None),
    ("opencensus 0.11.4: new map + put + record, 2 tags", "opencensus_put_record_2tags", None),
    ("opencensus 0.11.4: same, distribution", "opencensus_put_record_distribution_2tags", None),
    ("opencensus 0.11.4: record, 1000 series", "opencensus_record_1000_series", None),
    ("opentelemetry-sdk: counter.add, 2 attributes", "opentelemetry_counter_add_2attrs", None),
    ("opentelemetry-sdk: histogram.record, 2 attributes",
     "opentelemetry_histogram_record_2attrs", None),
]


def main():
    results = {"python": sys.version.split()[0], "executable": sys.executable,
               "machine": platform.machine()}
    results["empty_python_call"] = best_ns(empty_call, 500000)
    census_benches(results)
    prometheus_client_benches(results)
    opencensus_benches(results)
    opentelemetry_benches(results)
    print("Python %s (%s)" % (results["python"], sys.executable))
    print("%-52s %12s %8s" % ("operation", "ns/op", "target"))
    for label, key, target in ROWS:
        print("%-52s %12.1f %8s" % (label, results[key], target or ""))
    print("census 4 threads: %(got)d of %(expected)d counts" % results["census_4_threads_counts"])
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
