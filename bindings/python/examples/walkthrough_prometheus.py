"""The talk's walk-through exported to Prometheus: measure -> view -> view manager -> exporter
-> measurement map -> record, served on http://127.0.0.1:8000/metrics.

opencensus-python's Prometheus quickstart with the import prefix changed from ``opencensus`` to
``census``; tests/test_compat.py runs it under both libraries. PORT overrides the port; with
SERVE_SECONDS set the program keeps serving that long (point Prometheus at it).
"""

import os
import random
import time

from census.ext.prometheus import stats_exporter as prometheus
from census.stats import aggregation as aggregation_module
from census.stats import measure as measure_module
from census.stats import stats as stats_module
from census.stats import view as view_module
from census.tags import tag_key as tag_key_module
from census.tags import tag_map as tag_map_module
from census.tags import tag_value as tag_value_module

m_latency_ms = measure_module.MeasureFloat("latency", "The latency in milliseconds", "ms")
m_line_lengths = measure_module.MeasureInt("line_lengths", "The length of lines", "By")
key_method = tag_key_module.TagKey("method")

latency_view = view_module.View(
    "latency_distribution", "The distribution of the latencies", [key_method], m_latency_ms,
    aggregation_module.DistributionAggregation([25.0, 100.0, 200.0, 400.0, 800.0, 10000.0]))
line_count_view = view_module.View(
    "lines_in", "The number of lines processed", [key_method], m_line_lengths,
    aggregation_module.CountAggregation())


def main():
    view_manager = stats_module.stats.view_manager
    stats_recorder = stats_module.stats.stats_recorder
    exporter = prometheus.new_stats_exporter(prometheus.Options(
        namespace="oc_python", port=int(os.environ.get("PORT", "8000")), address="127.0.0.1"))
    view_manager.register_exporter(exporter)
    for view in (latency_view, line_count_view):
        view_manager.register_view(view)

    rng = random.Random(7)
    for num in range(200):
        tmap = tag_map_module.TagMap()
        tmap.insert(key_method, tag_value_module.TagValue(("GET", "POST", "PUT")[num % 3]))
        mmap = stats_recorder.new_measurement_map()
        mmap.measure_float_put(m_latency_ms, rng.random() * 1000 + 0.5)
        mmap.measure_int_put(m_line_lengths, rng.randrange(1, 120))
        mmap.record(tmap)
    time.sleep(float(os.environ.get("SERVE_SECONDS", "0")))


if __name__ == "__main__":
    main()
