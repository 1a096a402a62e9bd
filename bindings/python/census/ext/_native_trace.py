"""The shape census's own span exporters share in Python (census.ext.zipkin,
census.ext.stackdriver and census.ext.otlp trace exporters).

Such an exporter is census's C exporter: spans reach it from census's span pipeline without
passing through Python (encoded and sent on census's threads, retried, counted). It starts the
first time it is given to a Tracer (or census.trace.exporters.register()), as an
opencensus-python exporter starts exporting when a tracer uses it; ``start()`` starts it at
once. From then on it receives every sampled span that ends in the process (census's exporters
are process-wide). ``stats()`` gives its exact delivery counters; ``stop(timeout)`` makes a
final export and stops it (also done by census.shutdown() and the process exit). ``export()``
and ``emit()`` are accepted and do nothing: census hands spans over itself.
Thread-safety: thread-safe; stop() must be the last call.
"""

import threading

from census.trace import base_exporter


class NativeTraceExporter(base_exporter.Exporter):
    """Base of census's C span exporters (see the module); subclasses define _start()."""

    def __init__(self):
        self._lock = threading.Lock()
        self._handle = None

    def _start(self):
        raise NotImplementedError

    def start(self):
        """Starts census's exporter (once); returns self."""
        with self._lock:
            if self._handle is None:
                self._handle = self._start()
        return self

    def _census_register(self):
        self.start()

    def _census_unregister(self, timeout):
        self.stop(timeout)

    def stats(self):
        """The exporter's delivery counters (a dict), or None before start."""
        handle = self._handle
        return handle.stats() if handle is not None else None

    def stop(self, timeout=5.0):
        """Final export and stop (GIL released), within `timeout` seconds."""
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is not None:
            handle.stop(timeout)

    @property
    def running(self):
        """True between start and stop."""
        handle = self._handle
        return handle is not None and handle.running

    def emit(self, span_datas):
        """Nothing to do: census sends the spans."""

    def export(self, span_datas):
        """Nothing to do: census sends the spans."""
