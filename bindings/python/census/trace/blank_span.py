"""BlankSpan, as opencensus.trace.blank_span: the span of an unsampled tracer. Every method
does nothing; attributes assigned to it are kept on the object. Its methods are in C
(census._census.BlankSpan), so an unsampled ``with tracer.span():`` costs a few hundred ns."""

from census import _census
from census.trace import base_span
from census.trace.span_context import generate_span_id
from census.trace.tracers import base


class BlankSpan(_census.BlankSpan, base_span.BaseSpan):
    """A span that records nothing."""

    def __init__(self, name=None, parent_span=None, attributes=None, start_time=None,
                 end_time=None, span_id=None, stack_trace=None, annotations=None,
                 message_events=None, links=None, status=None,
                 same_process_as_parent_span=None, context_tracer=None, span_kind=None):
        self.name = name
        self.start_time = start_time
        self.end_time = end_time
        self.parent_span = base.NullContextManager()
        self.stack_trace = stack_trace
        self.annotations = annotations
        self.message_events = message_events
        self.status = status
        self.same_process_as_parent_span = same_process_as_parent_span
        self.context_tracer = context_tracer
        self.span_kind = span_kind

    def __getattr__(self, name):
        # Attributes a BlankSpan made by a tracer (which skips __init__) has not set yet.
        if name == 'span_id':
            value = generate_span_id()
        elif name in ('attributes',):
            value = {}
        elif name in ('links', '_child_spans'):
            value = []
        elif name == 'parent_span':
            value = base.NullContextManager()
        elif name in ('start_time', 'end_time', 'stack_trace', 'annotations',
                      'message_events', 'status', 'same_process_as_parent_span', 'span_kind'):
            value = None
        else:
            raise AttributeError(name)
        self.__dict__[name] = value
        return value

    @staticmethod
    def on_create(callback):
        """Does nothing."""

    @property
    def children(self):
        """Always empty."""
        return []

    def span(self, name='child_span'):
        """Another BlankSpan."""
        return BlankSpan(name, parent_span=self)

    def __iter__(self):
        yield self
