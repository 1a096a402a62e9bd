"""Point, as opencensus.metrics.export.point: a value at a time. Immutable."""

__all__ = ["Point"]


class Point(object):
    """A value (census.metrics.export.value) and its timestamp (a datetime)."""

    def __init__(self, value, timestamp):
        self._value = value
        self._timestamp = timestamp

    def __repr__(self):
        return "{}(value={}, timestamp={})".format(type(self).__name__, self._value,
                                                   self._timestamp)

    @property
    def value(self):
        """The value."""
        return self._value

    @property
    def timestamp(self):
        """When the value was read."""
        return self._timestamp
