"""The stats singleton, as opencensus.stats.stats: ``stats.stats.view_manager``,
``stats.stats.stats_recorder`` and ``stats.stats.get_metrics()``."""

from census import _census
from census.common import utils
from census.metrics.export.metric_producer import MetricProducer
from census.stats import metric_utils
from census.stats import view_data as view_data_module
from census.stats.stats_recorder import StatsRecorder
from census.stats.view_manager import ViewManager

__all__ = ["stats"]


def metrics_of(view_datas, timestamp=None):
    """The Metrics of a list of ViewData (those with rows), at `timestamp` (default now)."""
    timestamp = utils.utcnow() if timestamp is None else timestamp
    metrics = (metric_utils.view_data_to_metric(vd, timestamp) for vd in view_datas)
    return [m for m in metrics if m is not None]


class _Stats(MetricProducer):
    """A view manager and a stats recorder (both process-wide), and the MetricProducer of
    every view."""

    def __init__(self):
        self.stats_recorder = StatsRecorder()
        self.view_manager = ViewManager()

    def get_metrics(self):
        """A Metric for each view with data (census's self-metrics ``census/...`` included,
        docs/python.md P27), from one census collection, every point stamped now (a naive UTC
        datetime, as opencensus-python's). Thread-safe; the GIL is released while census
        collects. Not to be called from an exporter's export() (use the view_datas given)."""
        return iter(metrics_of(view_data_module._from_snapshots(_census.view_data_get_all())))


stats = _Stats()
