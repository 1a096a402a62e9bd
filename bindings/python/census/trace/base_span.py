"""BaseSpan, as opencensus.trace.base_span: the span interface."""


class BaseSpan(object):
    """The methods every span has; census's Span and BlankSpan implement them."""

    @staticmethod
    def on_create(callback):
        """Registers a callback run for each new span."""
        raise NotImplementedError

    @property
    def children(self):
        """The child spans made with span()."""
        raise NotImplementedError

    def span(self, name='child_span'):
        """A child span."""
        raise NotImplementedError

    def add_attribute(self, attribute_key, attribute_value):
        """Sets an attribute."""
        raise NotImplementedError

    def add_annotation(self, description, **attrs):
        """Adds an annotation."""
        raise NotImplementedError

    def add_message_event(self, message_event):
        """Adds a message event."""
        raise NotImplementedError

    def add_link(self, link):
        """Adds a link."""
        raise NotImplementedError

    def set_status(self, status):
        """Sets the status."""
        raise NotImplementedError

    def start(self):
        """Starts the span."""
        raise NotImplementedError

    def finish(self):
        """Ends the span."""
        raise NotImplementedError

    def __iter__(self):
        raise NotImplementedError

    def __enter__(self):
        raise NotImplementedError

    def __exit__(self, exception_type, exception_value, traceback):
        raise NotImplementedError
