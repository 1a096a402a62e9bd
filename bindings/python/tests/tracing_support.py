"""Helpers shared by the tracing tests: a span exporter written in Python that keeps what
census's span pipeline hands it (SpanData), registered once per test process."""

import threading

import census
from census.trace import base_exporter, exporters


class Collector(base_exporter.Exporter):
    """Keeps every SpanData census exports to it (thread-safe: census's worker appends)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._spans = []
        self.batches = 0

    def export(self, span_datas):
        with self._lock:
            self._spans.extend(span_datas)
            self.batches += 1

    def take(self):
        """census.flush(), then the spans exported since the last take()."""
        census.flush(10.0)
        with self._lock:
            spans, self._spans = self._spans, []
        return spans


_collector = None


def collector():
    """The process's collecting exporter (registered with census on first use)."""
    global _collector
    if _collector is None:
        _collector = Collector()
        exporters.register(_collector)
    _collector.take()
    return _collector


def by_name(spans):
    """{name: SpanData} (names are unique in each test)."""
    return {s.name: s for s in spans}
