"""SpanContext, as opencensus.trace.span_context: a trace id, a span id, trace options and a
tracestate, the part of a trace that crosses processes.

A bad or all-zero trace id is replaced by a new random one, and a bad span id becomes None (each
with a warning, and ``from_header`` cleared), as in opencensus-python. New trace ids are 128
random bits (Python's ``random``, reseeded in fork children), so census marks the traces it
starts from them with the W3C random-trace-id flag. Thread-safety: a plain value; a Tracer's
span_context is refreshed by the tracer, so read it through ``tracer.span_context``.
"""

import logging
import random
import re

from census.trace import trace_options as trace_options_module

_INVALID_TRACE_ID = '0' * 32
INVALID_SPAN_ID = '0' * 16

TRACE_ID_PATTERN = re.compile('[0-9a-f]{32}?')
SPAN_ID_PATTERN = re.compile('[0-9a-f]{16}?')

DEFAULT_OPTIONS = '0'


class SpanContext(object):
    """The context of a span: trace_id (32 lowercase hex digits), span_id (16, or None),
    trace_options (TraceOptions, default '0'), tracestate (Tracestate or None), from_header."""

    def __init__(self, trace_id=None, span_id=None, trace_options=None, tracestate=None,
                 from_header=False):
        self._random_trace_id = trace_id is None
        if trace_id is None:
            trace_id = generate_trace_id()
        if trace_options is None:
            trace_options = trace_options_module.TraceOptions(DEFAULT_OPTIONS)
        self.from_header = from_header
        self.trace_id = self._check_trace_id(trace_id)
        self.span_id = self._check_span_id(span_id)
        self.trace_options = trace_options
        self.tracestate = tracestate

    def __repr__(self):
        return '{}(trace_id={}, span_id={}, trace_options={}, tracestate={})'.format(
            type(self).__name__, self.trace_id, self.span_id, self.trace_options,
            self.tracestate)

    def _check_span_id(self, span_id):
        """The span id if it is 16 lowercase hex digits and not all zeros, else None."""
        if span_id is None:
            return None
        if not isinstance(span_id, str):
            raise TypeError('span_id must be a str of 16 hex digits')
        if span_id == INVALID_SPAN_ID:
            logging.warning('Span_id %s is invalid (cannot be all zero)', span_id)
            self.from_header = False
            return None
        if SPAN_ID_PATTERN.match(span_id):
            return span_id
        logging.warning('Span_id %s does not the match the required format', span_id)
        self.from_header = False
        return None

    def _check_trace_id(self, trace_id):
        """The trace id if it is 32 lowercase hex digits and not all zeros, else a new one."""
        if not isinstance(trace_id, str):
            raise TypeError('trace_id must be a str of 32 hex digits')
        if trace_id == _INVALID_TRACE_ID:
            logging.warning('Trace_id %s is invalid (cannot be all zero), generating a new one.',
                            trace_id)
            self.from_header = False
            self._random_trace_id = True
            return generate_trace_id()
        if TRACE_ID_PATTERN.match(trace_id):
            return trace_id
        logging.warning('Trace_id %s does not the match the required format,'
                        'generating a new one instead.', trace_id)
        self.from_header = False
        self._random_trace_id = True
        return generate_trace_id()

    @classmethod
    def _trusted(cls, trace_id, span_id, flags, tracestate):
        """A SpanContext from values census produced (valid ids, int flags, tracestate str)."""
        from census.trace.tracestate import Tracestate
        context = cls.__new__(cls)
        context._random_trace_id = False
        context.from_header = False
        context.trace_id = trace_id
        context.span_id = span_id
        context.trace_options = trace_options_module.TraceOptions(str(flags))
        context.tracestate = Tracestate._trusted(tracestate) if tracestate else None
        return context


def generate_span_id():
    """A random span id: 16 lowercase hex digits."""
    return '{:016x}'.format(random.getrandbits(64))


def generate_trace_id():
    """A random trace id: 32 lowercase hex digits (128 random bits)."""
    return '{:032x}'.format(random.getrandbits(128))
