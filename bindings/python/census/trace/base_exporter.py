"""Exporter, as opencensus.trace.base_exporter: the base class of span exporters written in
Python.

Subclass it and implement export(span_datas) (opencensus-python's exporters call
``self.transport.export(span_datas)``, which calls emit()). Given to a Tracer (or to
census.trace.exporters.register()), the exporter joins census's span pipeline: census's export
worker calls export() with a list of SpanData, in batches (up to 512 spans, at least every 5 s,
and on census.flush(), census.shutdown() and interpreter exit), holding the GIL only for the
call. An exception from export() is reported on census's diagnostics channel, counted
(census.trace.exporters.stats(exporter), and census/exporter_dropped_items), and never stops the
worker. export() runs on census's thread, in a context of its own where
execution_context.is_exporter() is True, so the requests integration does not trace the
exporter's own HTTP calls. It must not call census.flush() or unregister exporters.
"""


class Exporter(object):
    """Base class for span exporters; subclasses override export() (and emit())."""

    def emit(self, span_datas):
        """Sends `span_datas` (a list of SpanData) to the backend."""
        raise NotImplementedError

    def export(self, span_datas):
        """Called by census's span pipeline with a batch of SpanData."""
        raise NotImplementedError
