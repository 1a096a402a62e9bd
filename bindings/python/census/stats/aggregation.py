"""Aggregations, as opencensus.stats.aggregation: how a view summarises its measure.

census keeps opencensus-python's classes, names and defaults; the aggregation itself runs in
census's C core when the view is registered. Differences kept on purpose (docs/python.md):
DistributionAggregation keeps bounds <= 0 (opencensus-python drops them), and buckets are
upper-inclusive (a value equal to a bound counts in the bucket below it). The initial values
(``sum=``, ``count=``, ``value=``) must be the defaults: census starts every row at zero.

Thread-safety: immutable.
"""

from census.metrics.export.metric_descriptor import MetricDescriptorType
from census.stats import aggregation_data
from census.stats import measure as measure_module

__all__ = ["SumAggregation", "CountAggregation", "DistributionAggregation",
           "LastValueAggregation"]

COUNT, SUM, LAST_VALUE, DISTRIBUTION = 1, 2, 3, 4


def _check_initial(name, value, default):
    if value not in (None, default):
        raise ValueError("{}={!r}: census starts every aggregation at 0; leave {} at its "
                         "default".format(name, value, name))


class SumAggregation(object):
    """The sum of the values (int for a MeasureInt, exact; float for a MeasureFloat)."""

    _census_kind = SUM

    def __init__(self, sum=None):
        _check_initial("sum", sum, 0)
        self._initial_sum = 0

    def new_aggregation_data(self, measure):
        """A new, empty SumAggregationData for `measure`."""
        value_type = MetricDescriptorType.to_type_class(self.get_metric_type(measure))
        return aggregation_data.SumAggregationData(value_type=value_type, sum_data=0)

    @staticmethod
    def get_metric_type(measure):
        """CUMULATIVE_INT64 for a MeasureInt, CUMULATIVE_DOUBLE for a MeasureFloat."""
        if isinstance(measure, measure_module.MeasureInt):
            return MetricDescriptorType.CUMULATIVE_INT64
        if isinstance(measure, measure_module.MeasureFloat):
            return MetricDescriptorType.CUMULATIVE_DOUBLE
        raise ValueError


class CountAggregation(object):
    """The number of measurements."""

    _census_kind = COUNT

    def __init__(self, count=0):
        _check_initial("count", count, 0)
        self._initial_count = 0

    def new_aggregation_data(self, measure=None):
        """A new, empty CountAggregationData."""
        return aggregation_data.CountAggregationData(0)

    @staticmethod
    def get_metric_type(measure):
        """CUMULATIVE_INT64."""
        return MetricDescriptorType.CUMULATIVE_INT64


class DistributionAggregation(object):
    """A histogram over explicit bucket bounds, with count, sum, mean and sum of squared
    deviations. Bounds must be strictly increasing (ValueError); census keeps bounds <= 0."""

    _census_kind = DISTRIBUTION

    def __init__(self, boundaries=None):
        if boundaries:
            if not all(boundaries[i] < boundaries[i + 1] for i in range(len(boundaries) - 1)):
                raise ValueError("bounds must be sorted in increasing order")
        self._boundaries = list(boundaries) if boundaries else []

    @property
    def boundaries(self):
        """The bucket bounds (a list)."""
        return self._boundaries

    def new_aggregation_data(self, measure=None):
        """A new, empty DistributionAggregationData with this aggregation's bounds."""
        return aggregation_data.DistributionAggregationData(0, 0, 0, None, self._boundaries)

    @staticmethod
    def get_metric_type(measure):
        """CUMULATIVE_DISTRIBUTION."""
        return MetricDescriptorType.CUMULATIVE_DISTRIBUTION


class LastValueAggregation(object):
    """The last value recorded."""

    _census_kind = LAST_VALUE

    def __init__(self, value=0):
        _check_initial("value", value, 0)
        self._initial_value = 0

    def new_aggregation_data(self, measure):
        """A new LastValueAggregationData for `measure`."""
        value_type = MetricDescriptorType.to_type_class(self.get_metric_type(measure))
        return aggregation_data.LastValueAggregationData(value=0, value_type=value_type)

    @staticmethod
    def get_metric_type(measure):
        """GAUGE_INT64 for a MeasureInt, GAUGE_DOUBLE for a MeasureFloat."""
        if isinstance(measure, measure_module.MeasureInt):
            return MetricDescriptorType.GAUGE_INT64
        if isinstance(measure, measure_module.MeasureFloat):
            return MetricDescriptorType.GAUGE_DOUBLE
        raise ValueError
