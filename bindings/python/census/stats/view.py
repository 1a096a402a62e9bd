"""View, as opencensus.stats.view: a measure, tag-key columns and an aggregation, under a name.

A View is a plain definition; census registers it when the view manager's register_view() is
called. Thread-safety: immutable (get_metric_descriptor() makes its descriptor once, under a
lock).
"""

import threading

from census.metrics import label_key
from census.metrics.export import metric_descriptor

__all__ = ["View"]


class View(object):
    """A view definition.

    :param name: the view's name (1 to 255 characters of printable ASCII)
    :param description: what it shows
    :param columns: a list of tag keys (TagKey or str): the view's labels
    :param measure: a MeasureInt or MeasureFloat
    :param aggregation: a Count/Sum/LastValue/DistributionAggregation
    """

    def __init__(self, name, description, columns, measure, aggregation):
        self._name = name
        self._description = description
        self._columns = columns
        self._measure = measure
        self._aggregation = aggregation
        self._md_cache_lock = threading.Lock()
        self._metric_descriptor = None

    @property
    def name(self):
        """The view's name."""
        return self._name

    @property
    def description(self):
        """The view's description."""
        return self._description

    @property
    def columns(self):
        """The view's tag keys."""
        return self._columns

    @property
    def measure(self):
        """The view's measure."""
        return self._measure

    @property
    def aggregation(self):
        """The view's aggregation."""
        return self._aggregation

    def new_aggregation_data(self):
        """A new, empty aggregation data object of this view's aggregation."""
        return self._aggregation.new_aggregation_data(self.measure)

    def get_metric_descriptor(self):
        """The view's MetricDescriptor (made once): the view's name and description, the
        measure's unit, the aggregation's metric type, a LabelKey (description "") per
        column."""
        with self._md_cache_lock:
            if self._metric_descriptor is None:
                self._metric_descriptor = metric_descriptor.MetricDescriptor(
                    self._name, self._description, self._measure.unit,
                    self._aggregation.get_metric_type(self._measure),
                    [label_key.LabelKey(column, "") for column in self._columns])
        return self._metric_descriptor

    def __repr__(self):
        return "View({!r})".format(self._name)
