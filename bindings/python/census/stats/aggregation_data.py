"""Aggregation data, as opencensus.stats.aggregation_data: one view row's aggregated values.

census fills these from its C snapshots (census.stats.view_data); they are plain values owned by
the caller. The constructors, properties and add_sample() are opencensus-python's; census's
differences (docs/python.md): a distribution's ``sum`` is the exact running sum census kept (an
int for a MeasureInt), not mean x count; buckets are upper-inclusive (add_sample() follows
census's rule too); bounds <= 0 are allowed; ``min`` and ``max`` are census additions; no
exemplars are kept.

``to_point(timestamp)`` makes the census.metrics.export.point.Point of the data, as
opencensus-python's (a distribution's buckets carry no exemplars).

Thread-safety: plain objects, one thread at a time.
"""

import bisect

from census.metrics.export import point, value

__all__ = ["SumAggregationData", "CountAggregationData", "DistributionAggregationData",
           "LastValueAggregationData", "Exemplar"]


class SumAggregationData(object):
    """The sum of a row. ``value_type`` is census.metrics.export.value.ValueLong (MeasureInt)
    or ValueDouble (MeasureFloat)."""

    def __init__(self, value_type, sum_data):
        self._value_type = value_type
        self._sum_data = sum_data

    def __repr__(self):
        return "{}({})".format(type(self).__name__, self.sum_data)

    def add_sample(self, value, timestamp=None, attachments=None):
        """Adds value to the sum."""
        self._sum_data += value

    @property
    def sum_data(self):
        """The sum."""
        return self._sum_data

    @property
    def value_type(self):
        """ValueLong or ValueDouble."""
        return self._value_type

    def to_point(self, timestamp):
        """A Point of the sum, as a value_type, at `timestamp`."""
        return point.Point(self._value_type(self._sum_data), timestamp)


class CountAggregationData(object):
    """The count of a row."""

    def __init__(self, count_data):
        self._count_data = count_data

    def __repr__(self):
        return "{}({})".format(type(self).__name__, self.count_data)

    def add_sample(self, value, timestamp=None, attachments=None):
        """Adds one to the count."""
        self._count_data += 1

    @property
    def count_data(self):
        """The count."""
        return self._count_data

    def to_point(self, timestamp):
        """A Point of the count (a ValueLong) at `timestamp`."""
        return point.Point(value.ValueLong(self._count_data), timestamp)


class DistributionAggregationData(object):
    """The distribution of a row: count, mean, sum of squared deviations, counts per bucket
    (len(bounds) + 1 of them), and census's exact sum, min and max."""

    def __init__(self, mean_data, count_data, sum_of_sqd_deviations, counts_per_bucket=None,
                 bounds=None, exemplars=None):
        if bounds is None and exemplars is not None:
            raise ValueError
        if exemplars is not None and len(exemplars) != len(bounds) + 1:
            raise ValueError
        self._mean_data = mean_data
        self._count_data = count_data
        self._sum_of_sqd_deviations = sum_of_sqd_deviations
        self._bounds = list(bounds) if bounds else []
        if exemplars is None:
            self._exemplars = (None if bounds is None
                               else {i: None for i in range(len(self._bounds) + 1)})
        else:
            self._exemplars = {i: ex for i, ex in enumerate(exemplars)}
        if counts_per_bucket is None:
            counts_per_bucket = [0] * (len(self._bounds) + 1)
        elif len(counts_per_bucket) != len(self._bounds) + 1:
            raise ValueError("counts_per_bucket needs len(bounds) + 1 entries")
        self._counts_per_bucket = list(counts_per_bucket)
        self._sum = None
        self.min = None
        self.max = None

    def __repr__(self):
        return "{}({})".format(type(self).__name__, self.count_data)

    @property
    def mean_data(self):
        """The mean."""
        return self._mean_data

    @property
    def count_data(self):
        """The count."""
        return self._count_data

    @property
    def sum_of_sqd_deviations(self):
        """The sum of squared deviations from the mean."""
        return self._sum_of_sqd_deviations

    @property
    def counts_per_bucket(self):
        """The count of each bucket."""
        return self._counts_per_bucket

    @property
    def exemplars(self):
        """Exemplars by bucket index (census keeps none: all None)."""
        return self._exemplars

    @property
    def bounds(self):
        """The bucket bounds."""
        return self._bounds

    @property
    def sum(self):
        """The sum: census's exact running sum when the data came from census, else mean x
        count as opencensus-python computes it."""
        if self._sum is not None:
            return self._sum
        return self._mean_data * self._count_data

    @property
    def variance(self):
        """sum_of_sqd_deviations / (count - 1), or 0 for a count <= 1."""
        if self._count_data <= 1:
            return 0
        return self._sum_of_sqd_deviations / (self._count_data - 1)

    def add_sample(self, value, timestamp=None, attachments=None):
        """Adds a value (Welford's update); the bucket is census's (upper-inclusive)."""
        self.increment_bucket_count(value)
        if self._sum is not None:
            self._sum += value
        self._count_data += 1
        if self._count_data == 1:
            self._mean_data = value
            return
        old_mean = self._mean_data
        self._mean_data = self._mean_data + (value - self._mean_data) / self._count_data
        self._sum_of_sqd_deviations += (value - old_mean) * (value - self._mean_data)

    def increment_bucket_count(self, value):
        """Counts value in its bucket (the first whose bound is >= value) and returns its
        index."""
        index = bisect.bisect_left(self._bounds, value)
        self._counts_per_bucket[index] += 1
        return index

    def to_point(self, timestamp):
        """A Point of a ValueDistribution at `timestamp`: count, sum, sum of squared
        deviations, and with bounds, Explicit bucket options and one Bucket per count (no
        exemplars: census keeps none); without bounds, no histogram."""
        if self._bounds:
            options = value.BucketOptions(value.Explicit(self._bounds))
            buckets = [value.Bucket(count) for count in self._counts_per_bucket]
        else:
            options, buckets = value.BucketOptions(), None
        return point.Point(value.ValueDistribution(
            count=self._count_data, sum_=self.sum,
            sum_of_squared_deviation=self._sum_of_sqd_deviations, bucket_options=options,
            buckets=buckets), timestamp)


class LastValueAggregationData(object):
    """The last value of a row. ``value_type`` is ValueLong or ValueDouble."""

    def __init__(self, value_type, value):
        self._value_type = value_type
        self._value = value

    def __repr__(self):
        return "{}({})".format(type(self).__name__, self.value)

    def add_sample(self, value, timestamp=None, attachments=None):
        """Replaces the value."""
        self._value = value

    @property
    def value(self):
        """The last value."""
        return self._value

    @property
    def value_type(self):
        """ValueLong or ValueDouble."""
        return self._value_type

    def to_point(self, timestamp):
        """A Point of the last value, as a value_type, at `timestamp`."""
        return point.Point(self._value_type(self._value), timestamp)


class Exemplar(object):
    """An example value with its time and attachments (str -> str), as opencensus-python's;
    census records none, the class is here for code that builds them."""

    def __init__(self, value, timestamp, attachments):
        if attachments is None:
            raise TypeError("attachments should not be empty")
        for key, val in attachments.items():
            if key is None or not isinstance(key, str):
                raise TypeError("attachment key should not be empty and should be a string")
            if val is None or not isinstance(val, str):
                raise TypeError("attachment value should not be empty and should be a string")
        self._value = value
        self._timestamp = timestamp
        self._attachments = attachments

    @property
    def value(self):
        """The value."""
        return self._value

    @property
    def timestamp(self):
        """The time it was recorded."""
        return self._timestamp

    @property
    def attachments(self):
        """The attachments (dict of str)."""
        return self._attachments
