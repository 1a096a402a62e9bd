"""NoopTracer, as opencensus.trace.tracers.noop_tracer: a tracer that records nothing (what an
unsampled Tracer is, and the current tracer of a context where none was made)."""

from census import _census
from census.trace import trace_options
from census.trace.span_context import SpanContext
from census.trace.tracers import base


class NoopTracer(_census.Tracer, base.Tracer):
    """Every method does nothing; span() and current_span() give BlankSpans. Thread-safe."""

    def __init__(self):
        self.span_context = SpanContext(trace_options=trace_options.TraceOptions(0))
        self._sampled = False

    def list_collected_spans(self):
        """None (nothing is collected)."""
        return None
