"""Periodic metric export, as opencensus.metrics.transport: get_exporter_thread(
metric_producers, exporter, interval=None) has ``exporter.export_metrics(metrics)`` called
with the Metrics of every producer where census exports to exporters written in Python: on its
export worker every export interval, in the calling thread on census.flush(), in the main
thread at interpreter exit (opencensus-python uses a daemon thread of its own, so
the data since the last tick are lost at exit: docs/python.md P1).

census.stats.stats.stats's metrics are made from the snapshot census's worker hands over;
another producer's get_metrics() is called there too (it must not call census.flush(),
census.shutdown() or read census's view data). ``interval`` sets census's process-wide export
interval (P22). An exception in export_metrics or get_metrics is reported, counted and does not
stop later exports (opencensus-python stops on a TransportError). The exporter and producers
are held strongly (P21) until the returned task's cancel() or close().
"""

import itertools

from census.stats import base_exporter

__all__ = ["TransportError", "PeriodicMetricTask", "get_exporter_thread"]

DEFAULT_INTERVAL = 60


class TransportError(Exception):
    """Kept for code that catches it; census's transport does not raise it."""


class PeriodicMetricTask(base_exporter.StatsExporter):
    """The registration get_exporter_thread() returns: a stats exporter on census's worker that
    hands the producers' Metrics to ``exporter.export_metrics``."""

    def __init__(self, metric_producers, exporter, interval=None):
        self.interval = DEFAULT_INTERVAL if interval is None else interval
        self.metric_producers = list(metric_producers)
        self.exporter = exporter
        self.name = "{} Worker".format(type(exporter).__name__)
        # How census's counters and diagnostics name it: the metrics exporter's class.
        self._census_name = "python {} (metrics)".format(type(exporter).__name__)
        self._registered = False

    def export(self, view_datas):
        """Called by census's worker with every view's data."""
        from census.stats import stats as stats_module
        gets = []
        for producer in self.metric_producers:
            if isinstance(producer, stats_module._Stats):
                gets.append(stats_module.metrics_of(view_datas))
            else:
                gets.append(producer.get_metrics())
        self.exporter.export_metrics(itertools.chain(*gets))

    def start(self):
        """Registers with census's export worker (get_exporter_thread calls it)."""
        from census.stats import stats as stats_module
        stats_module.stats.view_manager.register_exporter(self)
        self._registered = True

    def is_alive(self):
        """Whether it is still registered."""
        return self._registered

    def cancel(self):
        """Stops: a final export, then no more (the GIL is released while census waits)."""
        if self._registered:
            from census.stats import stats as stats_module
            self._registered = False
            stats_module.stats.view_manager.unregister_exporter(self)

    close = cancel


def get_exporter_thread(metric_producers, exporter, interval=None):
    """Starts exporting the Metrics of `metric_producers` (e.g. [census.stats.stats.stats]) to
    `exporter.export_metrics(metrics)` on census's export worker (see the module) and returns
    the PeriodicMetricTask (keep it to cancel()). `interval` (seconds), if given, becomes
    census's export interval for the process."""
    if interval is not None:
        import census
        census.set_export_interval(interval)
    task = PeriodicMetricTask(metric_producers, exporter, interval)
    task.start()
    return task
