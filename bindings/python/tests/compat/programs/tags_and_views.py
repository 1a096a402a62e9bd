"""A typical opencensus-python stats program: several measures recorded together through
measurement maps, tags from the current tag context and explicit tag maps, all four
aggregations, a view without columns, and an exporter of its own (push: export(view_datas))."""

from opencensus.stats import aggregation, measure, view
from opencensus.stats import stats as stats_module
from opencensus.stats.base_exporter import StatsExporter
from opencensus.tags import Tag, TagContext, TagKey, TagMap, TagValue

FRONTEND = TagKey("frontend")
ROUTE = TagKey("route")

size = measure.MeasureInt("myapp/response_size", "Response size", "By")
latency = measure.MeasureFloat("myapp/latency", "Latency", "ms")
errors = measure.MeasureInt("myapp/errors", "Errors", "1")

VIEWS = [
    view.View("myapp/size_sum", "Bytes by route", [FRONTEND, ROUTE], size,
              aggregation.SumAggregation()),
    view.View("myapp/size_dist", "Size distribution", [ROUTE], size,
              aggregation.DistributionAggregation([64, 1024, 65536])),
    view.View("myapp/latency_dist", "Latency", [FRONTEND], latency,
              aggregation.DistributionAggregation([1.5, 10.5, 100.5])),
    view.View("myapp/latency_last", "Last latency", [], latency,
              aggregation.LastValueAggregation()),
    view.View("myapp/latency_sum", "Latency sum", [ROUTE], latency,
              aggregation.SumAggregation()),
    view.View("myapp/error_count", "Errors", [ROUTE], errors, aggregation.CountAggregation()),
]


class LastViewData(StatsExporter):
    """Keeps the last ViewData it was given for each view."""

    def __init__(self):
        self.last = {}

    def on_register_view(self, v):
        pass

    def export(self, view_datas):
        for vd in view_datas:
            self.last[vd.view.name] = vd


exporter = LastViewData()


def main():
    view_manager = stats_module.stats.view_manager
    recorder = stats_module.stats.stats_recorder
    view_manager.register_exporter(exporter)
    for v in VIEWS:
        view_manager.register_view(v)

    TagContext.set(TagMap([Tag(FRONTEND, "mobile")]))
    for i in range(50):
        mmap = recorder.new_measurement_map()
        mmap.measure_int_put(size, 100 * i + 3)
        mmap.measure_float_put(latency, 0.25 * i + 0.1)
        if i % 7 == 0:
            mmap.measure_int_put(errors, 1)
        route = TagMap([Tag(FRONTEND, "web" if i % 2 else "mobile")])
        route.insert(ROUTE, TagValue("/r%d" % (i % 4)))
        mmap.record(route if i % 5 else None)


if __name__ == "__main__":
    main()
