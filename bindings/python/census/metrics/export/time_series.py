"""TimeSeries, as opencensus.metrics.export.time_series: the points of one set of label
values. Immutable."""

__all__ = ["TimeSeries"]


class TimeSeries(object):
    """Label values (a list of LabelValue), points (a non-empty list of Point) and the start
    time of a cumulative series (an ISO string; None for a gauge). ValueError for None label
    values or no points."""

    def __init__(self, label_values, points, start_timestamp):
        if label_values is None:
            raise ValueError("label_values must not be None")
        if not points:
            raise ValueError("points must not be null or empty")
        self._label_values = label_values
        self._points = points
        self._start_timestamp = start_timestamp

    def __repr__(self):
        return "{}([{}], label_values={}, start_timestamp={})".format(
            type(self).__name__, ", ".join(repr(p.value) for p in self._points),
            tuple(lv.value for lv in self._label_values), self._start_timestamp)

    @property
    def start_timestamp(self):
        """When the cumulative value started (None for a gauge)."""
        return self._start_timestamp

    @property
    def label_values(self):
        """The LabelValues, in the descriptor's label key order."""
        return self._label_values

    @property
    def points(self):
        """The Points."""
        return self._points

    def check_points_type(self, type_class):
        """Whether every point's value (None aside) is an instance of `type_class`."""
        return all(p.value is None or isinstance(p.value, type_class) for p in self._points)
