"""The talk's walk-through, in Python: measure -> view -> view manager -> exporter ->
measurement map -> record, exported to Cloud Monitoring (formerly Stackdriver).

This is opencensus-python's Stackdriver stats quickstart with the import prefix changed from
``opencensus`` to ``census``; tests/test_compat.py runs it under both libraries. Set
GOOGLE_CLOUD_PROJECT (and credentials: GOOGLE_APPLICATION_CREDENTIALS, or run on Google Cloud).
census exports every minute and, unlike opencensus-python, everything recorded is exported when
the program ends.
"""

import os
import random

from census.ext.stackdriver import stats_exporter as stackdriver
from census.stats import aggregation as aggregation_module
from census.stats import measure as measure_module
from census.stats import stats as stats_module
from census.stats import view as view_module
from census.tags import tag_key as tag_key_module
from census.tags import tag_map as tag_map_module
from census.tags import tag_value as tag_value_module

# The latency in milliseconds
m_latency_ms = measure_module.MeasureFloat(
    "task_latency", "The task latency in milliseconds", "ms")

# The stats recorder
stats_recorder = stats_module.stats.stats_recorder

key_method = tag_key_module.TagKey("method")
latency_view = view_module.View(
    "task_latency_distribution",
    "The distribution of the task latencies",
    [key_method],
    m_latency_ms,
    # Latency in buckets: [>=0ms, >=100ms, >=200ms, >=400ms, >=1s, >=2s, >=4s]
    aggregation_module.DistributionAggregation(
        [100.0, 200.0, 400.0, 1000.0, 2000.0, 4000.0]))


def main():
    # Register the view. Measurements are only aggregated and exported if they're associated
    # with a registered view.
    stats_module.stats.view_manager.register_view(latency_view)

    # Create the Stackdriver stats exporter and start exporting metrics in the background,
    # once every 60 seconds by default.
    exporter = stackdriver.new_stats_exporter(
        stackdriver.Options(project_id=os.environ.get("GOOGLE_CLOUD_PROJECT", "my-project")))
    stats_module.stats.view_manager.register_exporter(exporter)

    # Record 100 fake latency values between 0 and 5 seconds.
    rng = random.Random(1)
    for num in range(100):
        ms = rng.random() * 5 * 1000
        mmap = stats_recorder.new_measurement_map()
        mmap.measure_float_put(m_latency_ms, ms)
        tmap = tag_map_module.TagMap()
        tmap.insert(key_method, tag_value_module.TagValue("GET" if num % 3 else "POST"))
        mmap.record(tmap)


if __name__ == "__main__":
    main()
