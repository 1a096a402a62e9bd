"""B3FormatPropagator, as opencensus.trace.propagation.b3_format: Zipkin's B3 headers, read
and written by census's C code (census_b3_extract / _inject, docs/propagation.md).

Reading: the single ``b3`` header when present and valid, else ``x-b3-traceid``,
``x-b3-spanid``, ``x-b3-sampled`` ('1', '0', 'true', 'false') and ``x-b3-flags`` (debug);
a 64-bit trace id is left-padded with zeros; a sampling decision alone gives a new context with
that decision; anything malformed gives a new SpanContext(). Writing: the three ``x-b3-*``
headers, as opencensus-python does ({} for a context without a span id, where
opencensus-python wrote sixteen zeros). Thread-safety: stateless.
"""

from census import _census
from census.trace.propagation import _context
from census.trace.span_context import SpanContext
from census.trace.trace_options import TraceOptions

_STATE_HEADER_KEY = 'b3'
_TRACE_ID_KEY = 'x-b3-traceid'
_SPAN_ID_KEY = 'x-b3-spanid'
_SAMPLED_KEY = 'x-b3-sampled'


class B3FormatPropagator(object):
    """B3 headers <-> SpanContext."""

    def from_headers(self, headers):
        """A SpanContext from a mapping of headers."""
        if headers is None:
            return SpanContext(from_header=False)
        found = _census.b3_extract(headers)
        if found is None:
            return SpanContext()
        context, sampling = found
        if context is None:
            return SpanContext(trace_options=TraceOptions(
                '1' if sampling in ('accept', 'debug') else '0'))
        return _context.from_tuple(context, tracestate=False)

    def to_headers(self, span_context):
        """{'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled'} for a SpanContext."""
        return _census.b3_inject(span_context.trace_id, span_context.span_id,
                                 1 if span_context.trace_options.get_enabled() else 0)
