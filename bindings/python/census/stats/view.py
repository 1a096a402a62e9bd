"""View, as opencensus.stats.view: a measure, tag-key columns and an aggregation, under a name.

A View is a plain definition; census registers it when the view manager's register_view() is
called. Thread-safety: immutable.
"""

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

    def __repr__(self):
        return "View({!r})".format(self._name)
