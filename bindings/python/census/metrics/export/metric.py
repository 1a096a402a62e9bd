"""Metric, as opencensus.metrics.export.metric: a descriptor and its time series. Immutable."""

from census.metrics.export import metric_descriptor

__all__ = ["Metric"]


class Metric(object):
    """A MetricDescriptor and a non-empty list of TimeSeries whose points have the value class
    of the descriptor's type. ValueError otherwise, as opencensus-python."""

    def __init__(self, descriptor, time_series):
        if not time_series:
            raise ValueError("time_series must not be empty or null")
        if descriptor is None:
            raise ValueError("descriptor must not be null")
        self._time_series = time_series
        self._descriptor = descriptor
        self._check_type()

    def __repr__(self):
        return '{}(time_series=<{} TimeSeries>, descriptor.name="{}")'.format(
            type(self).__name__, len(self._time_series), self._descriptor.name)

    @property
    def time_series(self):
        """The TimeSeries."""
        return self._time_series

    @property
    def descriptor(self):
        """The MetricDescriptor."""
        return self._descriptor

    def _check_type(self):
        value_class = metric_descriptor.MetricDescriptorType.to_type_class(self._descriptor.type)
        for ts in self._time_series:
            if not ts.check_points_type(value_class):
                raise ValueError("Invalid point value type")

    def _check_start_timestamp(self):
        """ValueError if a cumulative metric's series has no start time."""
        if self._descriptor.type in metric_descriptor._CUMULATIVE:
            for ts in self._time_series:
                if ts.start_timestamp is None:
                    raise ValueError("time_series.start_timestamp must exist for cumulative "
                                     "metrics")
