"""BinaryFormatPropagator, as opencensus.trace.propagation.binary_format: the OpenCensus binary
trace context (gRPC's ``grpc-trace-bin``), read and written by census's C code
(census_trace_binary_decode / _encode): 29 bytes, version 0, trace id, span id, options (bit 0
sampled). Decoding follows the spec's forward-compatibility rule (fields after the known ones
are ignored; options may be absent), where opencensus-python required exactly 29 bytes.
Thread-safety: stateless.
"""

from census import _census
from census.trace.propagation import _context
from census.trace.span_context import SpanContext


class BinaryFormatPropagator(object):
    """grpc-trace-bin bytes <-> SpanContext."""

    def from_header(self, binary):
        """A SpanContext from the bytes (a new one when malformed)."""
        if binary is None:
            return SpanContext(from_header=False)
        context = _census.trace_binary_decode(binary)
        if context is None:
            return SpanContext(from_header=False)
        return _context.from_tuple(context, tracestate=False)

    def to_header(self, span_context):
        """29 bytes, or None for a context without a span id."""
        return _census.trace_binary_encode(span_context.trace_id, span_context.span_id,
                                           _context.flags_of(span_context) & 1)
