"""Span and SpanKind, as opencensus.trace.span, on census spans.

A span a tracer makes (``tracer.span()``, ``tracer.start_span()``) is a started census span and
the current span of the calling context; it ends with ``tracer.end_span()`` or at the end of its
``with`` block, and census then queues it for export (every registered exporter receives it,
batched, from census's export worker). A span made directly (``Span(name)``, ``span.span(name)``)
starts at ``start()`` or ``with``, as a child of `parent_span` (else of the current span), and is
not made current, as in opencensus-python.

What each method records (census's C call in brackets): add_attribute [attribute, typed as
bool/int/float/str, others as str()], add_annotation [an event with typed attributes],
add_message_event [an event "message"], add_link [a link], set_status / ``status =`` [given to
census at the end: code 0 is OK, others an error with the message], ``name =`` [rename],
``span_kind =`` [kind]. Before start they are kept and given to census when it starts.
Limits are census's (128 attributes, events and links per span by default; beyond them census
drops and counts), not opencensus-python's 32 with the oldest evicted.

Thread-safety: one thread at a time per span (the GIL serialises the calls).
"""

from census import _census
from census.common import utils
from census.trace import attributes as attributes_module
from census.trace import base_span, blank_span, execution_context
from census.trace import link as link_module
from census.trace import status as status_module
from census.trace import time_event

MAX_NUM_ATTRIBUTES = 128
MAX_NUM_ANNOTATIONS = 128
MAX_NUM_MESSAGE_EVENTS = 128
MAX_NUM_LINKS = 128


class SpanKind(object):
    """The kind of a span: UNSPECIFIED (census: internal), SERVER, CLIENT; census also records
    PRODUCER and CONSUMER."""
    UNSPECIFIED = 0
    SERVER = 1
    CLIENT = 2
    PRODUCER = 3
    CONSUMER = 4


class Span(_census.Span, base_span.BaseSpan):
    """A span. The arguments are opencensus-python's; `start_time`, `end_time` and `span_id`
    are accepted and ignored (census sets times and ids when the span starts and ends), and
    `stack_trace` and `same_process_as_parent_span` are kept on the object only."""

    _on_create_callbacks = []

    def __init__(self, name, parent_span=None, attributes=None, start_time=None, end_time=None,
                 span_id=None, stack_trace=None, annotations=None, message_events=None,
                 links=None, status=None, same_process_as_parent_span=None, context_tracer=None,
                 span_kind=SpanKind.UNSPECIFIED):
        _census.Span.__init__(self, name, parent_span, context_tracer, span_kind)
        for key, value in (attributes or {}).items():
            self.add_attribute(key, value)
        if annotations or message_events or links:
            self.annotations.extend(annotations or ())
            self.message_events.extend(message_events or ())
            for link in links or ():
                self.add_link(link)
            self._pending = True
        if status is not None:
            self.status = status
        self.stack_trace = stack_trace
        self.same_process_as_parent_span = same_process_as_parent_span
        for callback in Span._on_create_callbacks:
            callback(self)

    @staticmethod
    def on_create(callback):
        """Registers `callback(span)`, run for each Span made with ``Span(...)`` (not for the
        spans tracers make in C)."""
        Span._on_create_callbacks.append(callback)

    def __getattr__(self, name):
        # The lists and plain attributes a span made by a tracer (which skips __init__) has not
        # set yet, created on first use.
        if name in ('annotations', 'message_events', 'links'):
            value = []
        elif name in ('stack_trace', 'same_process_as_parent_span'):
            value = None
        else:
            raise AttributeError(name)
        self.__dict__[name] = value
        return value

    def span(self, name='child_span'):
        """A child span of this one (not started; start it with ``with`` or start())."""
        child = type(self)(name, parent_span=self)
        self.children.append(child)
        return child

    def add_annotation(self, description, **attrs):
        """Adds an annotation (a census event named `description`) with typed attributes."""
        self.annotations.append(time_event.Annotation(
            utils.utcnow(), description, attributes_module.Attributes(attrs)))
        if not self._add_event(description, attrs) and not self._started:
            self._pending = True

    def add_message_event(self, message_event):
        """Adds a message event (a census event "message" with message.* attributes)."""
        self.message_events.append(message_event)
        if not self._add_event('message', message_event._census_attributes()) and \
                not self._started:
            self._pending = True

    def add_link(self, link):
        """Adds a Link (TypeError for anything else); census records its trace and span id."""
        if not isinstance(link, link_module.Link):
            raise TypeError("Type Error: received {}, but requires Link.".format(
                type(link).__name__))
        self.links.append(link)
        if not self._add_link(link.trace_id, link.span_id) and not self._started:
            self._pending = True

    def set_status(self, status):
        """Sets the status (TypeError for anything but a Status); the last one set is the one
        census records when the span ends."""
        if not isinstance(status, status_module.Status):
            raise TypeError("Type Error: received {}, but requires Status.".format(
                type(status).__name__))
        self.status = status

    def _replay(self):
        """Records the annotations, message events and links added before start (called by
        start())."""
        for annotation in self.__dict__.get('annotations', ()):
            attrs = annotation.attributes.attributes if annotation.attributes else None
            self._add_event(annotation.description, attrs)
        for message_event in self.__dict__.get('message_events', ()):
            self._add_event('message', message_event._census_attributes())
        for link in self.__dict__.get('links', ()):
            self._add_link(link.trace_id, link.span_id)

    def __iter__(self):
        for child in self.children:
            for span in child:
                yield span
        yield self

    def __repr__(self):
        return '{}(name={!r}, span_id={}, trace_id={})'.format(
            type(self).__name__, self.name, self.span_id, self.trace_id)


def format_span_json(span):
    """A span as opencensus-python's legacy JSON dict (what FileExporter wrote per span)."""
    from census.trace.span_data import _format_legacy_span_json, _span_data_of
    return _format_legacy_span_json(_span_data_of(span))


_census._trace_setup(execution_context._current_span_var,
                     execution_context._exporter_slot.contextvar, Span, blank_span.BlankSpan,
                     status_module.Status, status_module.Status.from_exception)
