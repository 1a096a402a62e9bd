"""MetricProducer and MetricProducerManager, as opencensus.metrics.export.metric_producer.

census.stats.stats.stats is a MetricProducer. A producer of your own is called by
census.metrics.transport on census's export worker: its get_metrics() must not call
census.flush() or census.shutdown(). MetricProducerManager is thread-safe.
"""

import threading

__all__ = ["MetricProducer", "MetricProducerManager"]


class MetricProducer(object):
    """Something that produces Metrics."""

    def get_metrics(self):
        """An iterable of census.metrics.export.metric.Metric."""
        raise NotImplementedError


class MetricProducerManager(object):
    """A set of MetricProducers (thread-safe)."""

    def __init__(self, metric_producers=None):
        self.mp_lock = threading.Lock()
        self.metric_producers = set(metric_producers or ())

    def add(self, metric_producer):
        """Adds a producer (ValueError for None)."""
        if metric_producer is None:
            raise ValueError
        with self.mp_lock:
            self.metric_producers.add(metric_producer)

    def remove(self, metric_producer):
        """Removes a producer if present (ValueError for None)."""
        if metric_producer is None:
            raise ValueError
        with self.mp_lock:
            self.metric_producers.discard(metric_producer)

    def get_all(self):
        """A copy of the set of producers."""
        with self.mp_lock:
            return set(self.metric_producers)
