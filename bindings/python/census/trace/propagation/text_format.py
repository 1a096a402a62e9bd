"""TextFormatPropagator, as opencensus.trace.propagation.text_format: the
``opencensus-trace-traceid/-spanid/-traceoptions`` keys of a dict carrier. census has no C
format for it (it is opencensus-python's own), so it is plain Python. One fix: the options value
is read as an integer ('0' is not sampled), where opencensus-python took any non-empty string,
'0' included, as sampled."""

from census.trace.span_context import SpanContext
from census.trace.trace_options import TraceOptions

_OPENCENSUS_TRACE_PREFIX = 'opencensus-trace'
_TRACE_ID_KEY = '{}-traceid'.format(_OPENCENSUS_TRACE_PREFIX)
_SPAN_ID_KEY = '{}-spanid'.format(_OPENCENSUS_TRACE_PREFIX)
_TRACE_OPTIONS_KEY = '{}-traceoptions'.format(_OPENCENSUS_TRACE_PREFIX)
DEFAULT_TRACE_OPTIONS = '1'


class TextFormatPropagator(object):
    """A dict carrier <-> SpanContext."""

    def from_carrier(self, carrier):
        """A SpanContext from the carrier's keys (any case)."""
        trace_id = span_id = trace_options = None
        for key in carrier:
            lower = key.lower()
            if lower == _TRACE_ID_KEY:
                trace_id = carrier[key]
            elif lower == _SPAN_ID_KEY:
                span_id = carrier[key]
            elif lower == _TRACE_OPTIONS_KEY:
                try:
                    trace_options = str(int(carrier[key]) & 0xff)
                except (TypeError, ValueError):
                    trace_options = DEFAULT_TRACE_OPTIONS
        if trace_options is None:
            trace_options = DEFAULT_TRACE_OPTIONS
        return SpanContext(trace_id=trace_id, span_id=span_id,
                           trace_options=TraceOptions(trace_options), from_header=True)

    def to_carrier(self, span_context, carrier):
        """Puts the span context's keys into `carrier` and returns it."""
        carrier[_TRACE_ID_KEY] = str(span_context.trace_id)
        if span_context.span_id is not None:
            carrier[_SPAN_ID_KEY] = str(span_context.span_id)
        carrier[_TRACE_OPTIONS_KEY] = str(span_context.trace_options.trace_options_byte)
        return carrier
