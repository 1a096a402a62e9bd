"""GoogleCloudFormatPropagator, as opencensus.trace.propagation.google_cloud_format: the
``X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=OPTIONS`` header, read and written by census's C
code (census_cloud_trace_parse / _format, docs/propagation.md).

Reading: 32 hex digits (either case), a decimal span id that fits 64 bits and is not 0, an
optional ``;o=`` whose bit 0 means sampled; without ``;o=`` the context is not sampled (where
opencensus-python took it as sampled), and anything malformed (or trailing text, which
opencensus-python's regular expression skipped) gives a new SpanContext(). Writing:
``TRACE/SPANDEC;o=1`` or ``;o=0``. Thread-safety: stateless.
"""

from census import _census
from census.trace.propagation import _context
from census.trace.span_context import SpanContext

_TRACE_CONTEXT_HEADER_NAME = 'X-Cloud-Trace-Context'


class GoogleCloudFormatPropagator(object):
    """X-Cloud-Trace-Context <-> SpanContext."""

    def from_header(self, header):
        """A SpanContext from the header's value (TypeError for a non-str)."""
        if header is None:
            return SpanContext()
        context = _census.cloud_trace_parse(header)
        if context is None:
            return SpanContext()
        return _context.from_tuple(context, tracestate=False)

    def from_headers(self, headers):
        """A SpanContext from a mapping of headers (the header in any case)."""
        if headers is None:
            return SpanContext()
        context = _census.cloud_trace_extract(headers)
        if context is None:
            return SpanContext()
        return _context.from_tuple(context, tracestate=False)

    def to_header(self, span_context):
        """The header's value, or None for a context without a span id."""
        return _census.cloud_trace_format(span_context.trace_id, span_context.span_id,
                                          _context.flags_of(span_context) & 1)

    def to_headers(self, span_context):
        """{'X-Cloud-Trace-Context': value} ({} for a context without a span id)."""
        header = self.to_header(span_context)
        return {_TRACE_CONTEXT_HEADER_NAME: header} if header is not None else {}
