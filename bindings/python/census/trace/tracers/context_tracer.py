"""ContextTracer, as opencensus.trace.tracers.context_tracer: a tracer that records every span
(what a sampled Tracer is). Its spans go to the exporters registered with census's span
pipeline; `exporter` is registered (census.trace.exporters)."""

from census import _census
from census.trace import exporters as exporters_module
from census.trace.span_context import SpanContext
from census.trace.tracers import base


class ContextTracer(_census.Tracer, base.Tracer):
    """A sampled tracer for `span_context` (default: a new trace). Thread-safe; the current
    span is per context."""

    def __init__(self, exporter=None, span_context=None):
        if span_context is None:
            span_context = SpanContext()
        self.exporter = exporters_module.use(exporter)
        self.span_context = span_context
        self.trace_id = span_context.trace_id
        self.root_span_id = span_context.span_id
        self._sampled = True

    def list_collected_spans(self):
        """The spans started and not yet ended."""
        return self._open_spans
