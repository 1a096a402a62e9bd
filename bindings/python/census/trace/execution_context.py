"""The execution context, as opencensus.trace.execution_context: the current tracer, the
current span, free-form attributes and the is-exporter flag, each in a context slot
(census.common.runtime_context, a ContextVar each).

So the current span follows Python code, not OS threads: an asyncio task sees the span that was
current when it was created and its own spans after that, never another task's; a new thread
starts with none (as with opencensus-python; wrap the callable with
``RuntimeContext.with_current_context`` to carry them over); ``contextvars.copy_context().run``
gets its own copy. census's tracers read and write the current span's ContextVar directly in C.
Thread-safety: every function affects only the calling context.
"""

from census.common.runtime_context import RuntimeContext
from census.trace.tracers import noop_tracer

_attrs_slot = RuntimeContext.register_slot('attrs', {})
_current_span_slot = RuntimeContext.register_slot('current_span', None)
_exporter_slot = RuntimeContext.register_slot('is_exporter', False)
_tracer_slot = RuntimeContext.register_slot('tracer', noop_tracer.NoopTracer())

_current_span_var = _current_span_slot.contextvar
_tracer_var = _tracer_slot.contextvar


def is_exporter():
    """True inside an exporter's export() (integrations then trace nothing)."""
    return _exporter_slot.contextvar.get()


def set_is_exporter(is_exporter):
    """Marks the current context as an exporter's."""
    _exporter_slot.contextvar.set(is_exporter)


def get_opencensus_tracer():
    """The current tracer (a NoopTracer when none was made in this context)."""
    return _tracer_var.get()


def set_opencensus_tracer(tracer):
    """Makes `tracer` the current tracer."""
    _tracer_var.set(tracer)


def set_opencensus_attr(attr_key, attr_value):
    """Sets one free-form attribute of the context (the dict is copied, not changed)."""
    attrs = _attrs_slot.contextvar.get().copy()
    attrs[attr_key] = attr_value
    _attrs_slot.contextvar.set(attrs)


def set_opencensus_attrs(attrs):
    """Replaces the context's free-form attributes."""
    _attrs_slot.contextvar.set(attrs)


def get_opencensus_attr(attr_key):
    """One free-form attribute, or None."""
    return _attrs_slot.contextvar.get().get(attr_key)


def get_opencensus_attrs():
    """The context's free-form attributes (a dict; do not change it in place)."""
    return _attrs_slot.contextvar.get()


def get_current_span():
    """The current span, or None."""
    return _current_span_var.get()


def set_current_span(current_span):
    """Makes `current_span` the current span (None: no current span)."""
    _current_span_var.set(current_span)


def get_opencensus_full_context():
    """(tracer, current span, attrs) of the current context."""
    return get_opencensus_tracer(), get_current_span(), get_opencensus_attrs()


def set_opencensus_full_context(tracer, span, attrs):
    """Sets the tracer, current span and attrs (e.g. in a thread, from a full context)."""
    set_opencensus_tracer(tracer)
    set_current_span(span)
    set_opencensus_attrs(attrs or {})


def clean():
    """Sets the tracing slots back to their defaults in the current context."""
    _attrs_slot.clear()
    _current_span_slot.clear()
    _tracer_slot.clear()


def clear():
    """As clean() (used in tests)."""
    clean()
