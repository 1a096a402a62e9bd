"""The tracer interface and NullContextManager, as opencensus.trace.tracers.base."""


class Tracer(object):
    """The interface of a tracer; census's tracers (census.trace.tracer.Tracer) implement it."""

    def finish(self):
        """Ends every open span."""
        raise NotImplementedError

    def span(self, name='span'):
        """Starts a span (a context manager)."""
        raise NotImplementedError

    def start_span(self, name='span'):
        """Starts a span."""
        raise NotImplementedError

    def end_span(self):
        """Ends the current span."""
        raise NotImplementedError

    def current_span(self):
        """The current span."""
        raise NotImplementedError

    def add_attribute_to_current_span(self, attribute_key, attribute_value):
        """Sets an attribute on the current span."""
        raise NotImplementedError

    def list_collected_spans(self):
        """The spans not yet ended."""
        raise NotImplementedError


class NullContextManager(object):
    """A stand-in for a span when there is none: a parent that only has a span id."""

    def __init__(self, span_id=None, context_tracer=None):
        self.name = None
        self.span_id = span_id
        self.context_tracer = context_tracer

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        pass

    def span(self, name='span'):
        """Another NullContextManager."""
        return NullContextManager(context_tracer=self.context_tracer)
