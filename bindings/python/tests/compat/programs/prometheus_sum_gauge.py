"""An opencensus-python program exporting Sum and LastValue views to Prometheus: with the PyPI
releases (opencensus 0.11.4, opencensus-ext-prometheus 0.2.1) every scrape fails once such a view
has data (the exporter refers to aggregation_data.SumAggregationDataFloat, which 0.11.4 no longer
has); census serves them."""

import os

from opencensus.ext.prometheus import stats_exporter as prometheus
from opencensus.stats import aggregation, measure, view
from opencensus.stats import stats as stats_module
from opencensus.tags import TagMap

bytes_in = measure.MeasureInt("bytes_in", "Bytes received", "By")
temperature = measure.MeasureFloat("temperature", "Temperature", "Cel")
VIEWS = [
    view.View("bytes_in_total", "Bytes", ["host"], bytes_in, aggregation.SumAggregation()),
    view.View("temperature_now", "Temperature", ["host"], temperature,
              aggregation.LastValueAggregation()),
]


def main():
    view_manager = stats_module.stats.view_manager
    exporter = prometheus.new_stats_exporter(prometheus.Options(
        namespace="app", port=int(os.environ.get("PORT", "8000")), address="127.0.0.1"))
    view_manager.register_exporter(exporter)
    for v in VIEWS:
        view_manager.register_view(v)
    tags = TagMap()
    tags.insert("host", "a")
    for value in (10, 20, 12):
        mmap = stats_module.stats.stats_recorder.new_measurement_map()
        mmap.measure_int_put(bytes_in, value)
        mmap.measure_float_put(temperature, value + 0.5)
        mmap.record(tags)


if __name__ == "__main__":
    main()
