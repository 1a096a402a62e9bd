"""Conversions between SpanContext and the plain tuples census._census's propagation functions
take and return: (trace_id, span_id, trace_flags, tracestate)."""

from census.trace import trace_options as trace_options_module
from census.trace.span_context import SpanContext
from census.trace.tracestate import Tracestate


def flags_of(span_context):
    """The int trace flags of a SpanContext (its TraceOptions byte)."""
    options = span_context.trace_options
    if options is None:
        return 0
    try:
        return int(options.trace_options_byte) & 0xff
    except (TypeError, ValueError):
        return 1 if options.get_enabled() else 0


def tracestate_text(span_context):
    """The tracestate of a SpanContext as a header value ('' when none)."""
    tracestate = span_context.tracestate
    if not tracestate:
        return ''
    if isinstance(tracestate, str):
        return tracestate
    return ','.join(key + '=' + tracestate[key] for key in tracestate)


def from_tuple(context, tracestate=True):
    """A SpanContext (from_header=True) from census's tuple."""
    trace_id, span_id, flags, state = context
    return SpanContext(
        trace_id=trace_id, span_id=span_id,
        trace_options=trace_options_module.TraceOptions(str(flags)),
        tracestate=Tracestate._trusted(state) if tracestate and state else None,
        from_header=True)
