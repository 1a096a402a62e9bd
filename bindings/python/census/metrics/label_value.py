"""LabelValue, as opencensus.metrics.label_value."""


class LabelValue(object):
    """A metric label's value (a str, or None). Immutable."""

    def __init__(self, value=None):
        self._value = value

    @property
    def value(self):
        """The value."""
        return self._value

    def __repr__(self):
        return "LabelValue({!r})".format(self._value)
