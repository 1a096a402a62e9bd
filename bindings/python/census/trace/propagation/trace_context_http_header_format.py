"""TraceContextPropagator, as opencensus.trace.propagation.trace_context_http_header_format:
the W3C traceparent and tracestate headers, read and written by census's C code
(census_traceparent_extract / _inject: W3C Trace Context Level 2, docs/propagation.md).

Reading: a missing or malformed traceparent (including two traceparent lines, a version ff, a
version 00 with more after it, zero ids, uppercase hex) gives a new SpanContext(), as in
opencensus-python; otherwise the context keeps the sampled and random flags (trace_options byte
'1', '3', '2' or '0') and, when valid, the tracestate (Level 2 rules: '@' anywhere in a key after
the first character, a repeated key kept once, over 512 characters truncated by whole members).
A malformed tracestate never affects the traceparent; census reports why it was dropped.
Writing: ``00-<trace id>-<span id>-<flags>`` with the sampled and random bits, and tracestate
when not empty; a context without a span id gives no headers ({}), where opencensus-python wrote
the span id as the text "None". Thread-safety: stateless.
"""

from census import _census
from census.trace.propagation import _context
from census.trace.span_context import SpanContext

_TRACEPARENT_HEADER_NAME = 'traceparent'
_TRACESTATE_HEADER_NAME = 'tracestate'


class TraceContextPropagator(object):
    """W3C Trace Context headers <-> SpanContext."""

    def from_headers(self, headers):
        """A SpanContext from a mapping of headers (a new one when there is no valid
        traceparent)."""
        if headers is None:
            return SpanContext()
        found = _census.traceparent_extract(headers)
        if found is None:
            return SpanContext()
        context, _tracestate_status = found
        return _context.from_tuple(context)

    def to_headers(self, span_context):
        """{'traceparent': ..., 'tracestate': ...} for a SpanContext ({} without a span id)."""
        return _census.traceparent_inject(span_context.trace_id, span_context.span_id,
                                          _context.flags_of(span_context),
                                          _context.tracestate_text(span_context))
