"""A typical opencensus-python program that reads its stats as Metrics (what metrics exporters
such as opencensus-ext-azure's consume): stats.get_metrics(), and a metrics exporter of its
own driven by opencensus.metrics.transport.get_exporter_thread. Every aggregation with int and
float measures, a view without columns, and a row with an absent tag."""

from opencensus.metrics import transport
from opencensus.stats import aggregation, measure, view
from opencensus.stats import stats as stats_module
from opencensus.tags import TagKey, TagMap, TagValue

METHOD = TagKey("method")
STATUS = TagKey("status")

bytes_out = measure.MeasureInt("svc/bytes_out", "Bytes sent", "By")
latency = measure.MeasureFloat("svc/latency", "Latency", "ms")

VIEWS = [
    view.View("svc/bytes_sum", "Bytes by method", [METHOD, STATUS], bytes_out,
              aggregation.SumAggregation()),
    view.View("svc/bytes_dist", "Bytes distribution", [METHOD], bytes_out,
              aggregation.DistributionAggregation([100, 1000, 10000])),
    view.View("svc/bytes_last", "Last bytes", [METHOD], bytes_out,
              aggregation.LastValueAggregation()),
    view.View("svc/latency_dist", "Latency", [METHOD, STATUS], latency,
              aggregation.DistributionAggregation([0.5, 2.5, 12.5, 62.5])),
    view.View("svc/latency_sum", "Latency sum", [], latency, aggregation.SumAggregation()),
    view.View("svc/latency_last", "Last latency", [STATUS], latency,
              aggregation.LastValueAggregation()),
    view.View("svc/requests", "Requests", [METHOD], latency, aggregation.CountAggregation()),
]


class LastMetrics(object):
    """A metrics exporter: keeps the Metrics of its last export."""

    def __init__(self):
        self.last_metrics = []

    def export_metrics(self, metrics):
        self.last_metrics = list(metrics)


exporter = LastMetrics()


def main():
    stats = stats_module.stats
    for v in VIEWS:
        stats.view_manager.register_view(v)
    global task
    task = transport.get_exporter_thread([stats], exporter)
    recorder = stats.stats_recorder
    for i in range(40):
        tags = TagMap()
        tags.insert(METHOD, TagValue("GET" if i % 3 else "POST"))
        if i % 4:
            tags.insert(STATUS, TagValue(str(200 + 100 * (i % 3))))
        mmap = recorder.new_measurement_map()
        mmap.measure_int_put(bytes_out, 37 * i * i + 1)
        mmap.measure_float_put(latency, 0.3 * i + 0.05)
        mmap.record(tags)


if __name__ == "__main__":
    main()
